// The playground in real Chromium against `npm start` with the bundled model: generate, edit the result, ask
// about it; the pictures are read back from the page and scored with the shapes world's scorer. Then the page
// as a hostile or unlucky user meets it: no key, a wrong key, a huge prompt, a file that is not an image, a
// job that fails, a cancel while queued behind another job, the network dropping mid-job, markup in a prompt.
//
// The screenshot the README shows: `npm run screenshot:playground` (this file with UPDATE_SCREENSHOT=1).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import sharp from 'sharp';
import { decodeImage, readScene, renderScene, scoreAnswer, scoreEdit, scoreGeneration, type Scene } from '../../models/world/index.js';
import { browserForSuite, launchBrowser, type Browser } from '../support/browser.js';
import { startPlatform, type StartedPlatform } from '../support/start-platform.js';

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'sk_dev_e2e_0123456789abcdef';
const GENERATE = 'Generate an image according to the following description: a large red circle in the center';
let dataDir: string;
let platform: StartedPlatform;
let browser: Browser;
let page: Page;

const auth = { authorization: `Bearer ${KEY}` };
const JobSchema = z.object({
  id: z.string(),
  status: z.string(),
  output: z
    .object({
      content: z.array(
        z.union([z.object({ type: z.literal('text'), text: z.string() }), z.object({ type: z.literal('image_url'), sha256: z.string(), seed: z.number() })]),
      ),
    })
    .nullable(),
});

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'nexus-playground-'));
  // One job at a time (no batching, no prefetch: a busy GPU), so jobs queue behind each other; progress written
  // every 100 ms (default 500), so a job of a second or two shows several steps.
  platform = await startPlatform({
    dataDir,
    apiKey: KEY,
    env: { WORKER_PROGRESS_INTERVAL_MS: '100', WORKER_BATCH_SIZE: '1', WORKER_PREFETCH: 'false' },
  });
  browser = await launchBrowser();
}, 180_000);

/** A fresh tab on the playground (the key filled in through the fragment unless told otherwise). */
async function open(withKey = true): Promise<void> {
  await page?.close();
  page = await browser.context.newPage();
  await page.goto(`${platform.url}/playground${withKey ? `#key=${KEY}` : ''}`);
}

afterAll(async () => {
  await browser?.close();
  if (platform?.child.exitCode === null) {
    platform.child.kill('SIGTERM');
    await platform.exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

const assistant = (n: number) => page.locator('#log li.assistant').nth(n);

/** Types a message and sends it with Enter, as a keyboard user does. */
async function send(text: string): Promise<void> {
  await page.locator('#prompt').fill(text);
  await page.locator('#prompt').press('Enter');
}

async function finished(n: number, status = 'succeeded'): Promise<void> {
  await expect.poll(() => assistant(n).getAttribute('data-status'), { timeout: 60_000 }).toBe(status);
  await expect.poll(() => assistant(n).getAttribute('aria-busy'), { timeout: 10_000 }).toBe('false');
}

/** The n-th assistant turn's image, as the page holds it (its blob: URL fetched inside the page). */
async function imageBytes(n: number): Promise<Uint8Array> {
  const src = await assistant(n).locator('img.image').getAttribute('src');
  expect(src).toMatch(/^blob:/);
  const bytes = await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())), src ?? '');
  return new Uint8Array(bytes);
}

async function apiJob(id: string) {
  return JobSchema.parse(await (await fetch(`${platform.url}/v1/jobs/${id}`, { headers: auth })).json());
}

/** How the page should have followed jobs: the event stream where the API serves one, else polling. */
async function expectedVia(jobId: string): Promise<string> {
  const probe = await fetch(`${platform.url}/v1/jobs/${jobId}/events`, { headers: { ...auth, accept: 'text/event-stream' } });
  await probe.body?.cancel();
  return probe.ok && (probe.headers.get('content-type') ?? '').startsWith('text/event-stream') ? 'events' : 'polling';
}

function meta(n: number): Promise<Record<string, string>> {
  return assistant(n)
    .locator('dl.meta')
    .evaluate((dl) => {
      const out: Record<string, string> = {};
      const terms = dl.querySelectorAll('dt');
      terms.forEach((dt) => (out[dt.textContent ?? ''] = dt.nextElementSibling?.textContent ?? ''));
      return out;
    });
}

describe.skipIf(!browserForSuite('the playground in Chromium'))('the playground', () => {
  it('is linked from / and served under a strict CSP', async () => {
    const front = await fetch(`${platform.url}/`);
    expect(await front.text()).toContain('<a href="/playground">Playground</a>');
    const res = await fetch(`${platform.url}/playground`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'; script-src 'self'; style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // The page embeds no key, and the key is nowhere in what the API serves for it.
    expect(await res.text()).not.toContain(KEY);
    const etag = res.headers.get('etag') ?? '';
    expect((await fetch(`${platform.url}/playground`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${platform.url}/playground/__proto__`)).status).toBe(404);
    expect((await fetch(`${platform.url}/playground/main.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('generates, edits the result, then answers about it; the pictures score exactly', async () => {
    await open();
    const bodies: unknown[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/jobs') bodies.push(request.postDataJSON());
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // The probe of the job event stream answers 404 where the API has none (the page then polls).
      if (message.type() === 'error' && !message.location().url.endsWith('/events')) errors.push(message.text());
    });
    // The key came from the fragment, which the page then removed from the address bar.
    expect(await page.locator('#key').inputValue()).toBe(KEY);
    expect(page.url()).toBe(`${platform.url}/playground`);
    await expect.poll(() => page.locator('#model option').first().textContent()).toBe('nexus-mini (1.2.0)');
    await page.locator('summary').click();
    await page.locator('#seed').fill('7');
    await page.locator('summary').click();

    await send(GENERATE);
    await finished(0);
    const jobId = (await assistant(0).getAttribute('data-job')) ?? '';
    expect(await assistant(0).getAttribute('data-via')).toBe(await expectedVia(jobId));
    const first = await imageBytes(0);
    // The bytes on the page are the bytes the job stored.
    const stored = (await apiJob(jobId)).output?.content.find((p) => p.type === 'image_url');
    expect(stored).toMatchObject({ sha256: createHash('sha256').update(first).digest('hex'), seed: 7 });
    const picture = await decodeImage(first);
    const generated = scoreGeneration(picture, { background: [0, 0, 0], shapes: [{ shape: 'circle', colour: 'red', size: 'large', cell: 4, dx: 0, dy: 0 }] });
    expect(generated.details.detected.map((d) => [d.colour, d.shape, d.size, d.cell])).toEqual([['red', 'circle', 'large', 4]]);
    expect(generated.ok).toBe(true);
    expect(await assistant(0).locator('p.text').textContent()).toBe('here is an image based on the description:');
    const facts = await meta(0);
    expect(Object.keys(facts)).toEqual(['seed', 'queued', 'ran', 'compute', 'round trip', 'usage']);
    expect(facts.seed).toBe('7');
    expect(facts.usage).toMatch(/^\d+ tokens in, \d+ out, 1 image$/);

    await send('Make the circle blue.');
    await finished(1);
    const source = readScene(picture);
    expect(source).not.toBeNull();
    const target: Scene = { background: source!.background, shapes: source!.shapes.map((s) => ({ ...s, colour: 'blue' })) };
    const edited = scoreEdit(await decodeImage(await imageBytes(1)), source!, target);
    expect(edited.details.failures).toEqual([]);
    expect(edited.ok).toBe(true);

    await send('What colour is the circle?');
    await finished(2);
    const answer = (await assistant(2).locator('p.text').allTextContents()).join(' ');
    expect(scoreAnswer(answer, 'blue')).toBe(true);
    expect(await assistant(2).locator('img').count()).toBe(0);

    // Stateless: the third request carried the whole conversation, both earlier pictures as data: URIs.
    const third = z
      .object({
        messages: z.array(z.object({ role: z.string(), content: z.array(z.object({ type: z.string(), image_url: z.object({ url: z.string() }).optional() })) })),
      })
      .parse(bodies[2]);
    expect(third.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    const images = third.messages.flatMap((m) => m.content.flatMap((p) => (p.image_url === undefined ? [] : [p.image_url.url])));
    expect(images.map((u) => u.slice(0, 22))).toEqual(['data:image/png;base64,', 'data:image/png;base64,']);
    expect(errors).toEqual([]);
    expect(browser.blocked).toEqual([]);

    // The whole conversation in one tall viewport (a full-page capture would leave the sticky composer mid-page).
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: 900, height });
    const shot = await page.screenshot();
    const out = process.env.UPDATE_SCREENSHOT === '1' ? join(ROOT, 'docs/playground.png') : join(dataDir, 'playground.png');
    await writeFile(out, shot);
    expect(shot.byteLength).toBeGreaterThan(10_000);
  }, 240_000);

  it('says clearly what is wrong: no key, wrong key, huge prompt, not an image, a bad image, a failing job', async () => {
    await open(false);
    await send('Draw a red circle.');
    await expect.poll(() => page.locator('#composer-error').textContent()).toBe('Enter your API key first (npm start prints a link that fills it in).');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('key');

    await page.locator('#key').fill('sk_wrong_0123456789abcdef');
    await send('Draw a red circle.');
    await finished(0, 'error');
    expect(await assistant(0).locator('.error').textContent()).toMatch(/Check the API key field\. \[HTTP 401, authentication_error\/\w+, request req_\w+\]$/);

    await page.locator('#key').fill(KEY);
    await send('red '.repeat(1250));
    await expect.poll(() => page.locator('#composer-error').textContent()).toBe('Your message has 4999 characters; the API takes at most 4000 per message.');

    await page.locator('#file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect.poll(() => page.locator('#composer-error').textContent()).toBe('"notes.txt" is text/plain: attach a PNG, JPEG or WebP image.');

    // Says it is a PNG, is not: the API sniffs the bytes and says so.
    await page.locator('#file').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
    await expect.poll(() => page.locator('#attachment').isVisible()).toBe(true);
    await send('What colour is the circle?');
    await finished(1, 'error');
    expect(await assistant(1).locator('.error').textContent()).toContain('image format is not PNG, JPEG or WebP (field messages[0].content[0].image_url.url)');

    // Longer than the model's context: accepted, then failed by the worker with its reason.
    await send('red '.repeat(600).trim());
    await finished(2, 'failed');
    expect(await assistant(2).locator('.error').textContent()).toBe(
      'The job failed: the conversation needs 619 positions; the model holds 512 [context_too_long] Start a new conversation (the model reads only so much).',
    );

    // Markup in a prompt is shown as text, never parsed.
    await send('<img src=x onerror="document.title=\'owned\'"> <b>bold</b>');
    await expect.poll(() => page.locator('#log li.user').last().locator('p.text').textContent()).toBe('<img src=x onerror="document.title=\'owned\'"> <b>bold</b>');
    expect(await page.locator('#log li.user').last().locator('img, b').count()).toBe(0);
    await finished(3, 'succeeded').catch(() => undefined);
    expect(await page.title()).toBe('Nexus playground');
  }, 180_000);

  it('shows the queue position and diffusion steps live, and cancels', async () => {
    await open();
    // Every status line the page shows, recorded in the page as it changes.
    await page.evaluate(() => {
      const seen: string[] = [];
      Object.assign(window, { seenStatuses: seen });
      new MutationObserver(() => {
        for (const node of document.querySelectorAll('#log li.assistant .status')) {
          const text = node.textContent ?? '';
          if (seen.at(-1) !== text) seen.push(text);
        }
      }).observe(document.getElementById('log') ?? document.body, { subtree: true, childList: true, characterData: true });
    });
    const seen = () => page.evaluate(() => ('seenStatuses' in window && Array.isArray(window.seenStatuses) ? window.seenStatuses.map(String) : []));
    // Work ahead of the page's jobs, so they wait in the queue.
    const ahead = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const created = await fetch(`${platform.url}/v1/jobs`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'nexus-mini',
            messages: [{ role: 'user', content: 'Draw a blue square.' }],
            output: { modalities: ['image'], n: 4 },
            params: { steps: 100 },
          }),
        });
        return z.object({ id: z.string() }).parse(await created.json()).id;
      }),
    );
    await page.locator('summary').click();
    await page.locator('#steps').fill('100');
    await page.locator('#n').fill('4');

    await send(GENERATE);
    await expect.poll(() => assistant(0).locator('.status').textContent(), { timeout: 20_000 }).toMatch(/^Queued, position \d+ · job_/);
    await assistant(0).getByRole('button', { name: 'Cancel' }).click();
    await finished(0, 'canceled');
    expect(await assistant(0).locator('.error').textContent()).toBe('Canceled.');

    await send(GENERATE);
    await finished(1);
    expect(await assistant(1).locator('img.image').count()).toBe(4);
    const statuses = await seen();
    const secondId = (await assistant(1).getAttribute('data-job')) ?? '-';
    const second = statuses.filter((t) => t.endsWith(secondId));
    expect(second.some((t) => /^Queued, position \d+ · /.test(t))).toBe(true);
    expect(second.some((t) => /^Running: diffusion step \d+ of 100 · /.test(t))).toBe(true);
    expect(second.at(-1)).toMatch(/^Succeeded · /);
    for (const id of ahead) expect((await apiJob(id)).status).toBe('succeeded');
  }, 180_000);

  it('takes a dropped image (a large one through POST /v1/uploads and a presigned PUT) and answers about it', async () => {
    await open();
    const bodies: unknown[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/jobs') bodies.push(request.postDataJSON());
    });
    // A red circle, 512 px and stored uncompressed: over the page's 512 KiB inline limit.
    const scene: Scene = { background: [40, 40, 48], shapes: [{ shape: 'circle', colour: 'red', size: 'large', cell: 4, dx: 0, dy: 0 }] };
    const png = await sharp(renderScene(scene).rgb, { raw: { width: 64, height: 64, channels: 3 } })
      .resize(512, 512, { kernel: 'nearest' })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(png.byteLength).toBeGreaterThan(512 * 1024);
    const dataTransfer = await page.evaluateHandle((base64) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0))], 'circle.png', { type: 'image/png' }));
      return transfer;
    }, png.toString('base64'));
    await page.locator('#composer').dispatchEvent('drop', { dataTransfer });
    await expect.poll(() => page.locator('#attachment').isVisible(), { timeout: 20_000 }).toBe(true);
    await send('What colour is the circle?');
    await finished(0);
    expect(scoreAnswer((await assistant(0).locator('p.text').allTextContents()).join(' '), 'red')).toBe(true);
    const sent = z.object({ messages: z.array(z.object({ content: z.array(z.object({ image_url: z.object({ url: z.string() }).optional() })) })) }).parse(bodies[0]);
    expect(sent.messages[0]?.content[0]?.image_url?.url).toMatch(/^upload:upl_/);
  }, 120_000);

  it('rides out a network drop mid-job and shows the result', async () => {
    await open();
    await page.locator('summary').click();
    // 4 pictures × 100 steps: long enough to still be running when the network drops (1 × 100 could finish on a
    // quiet host before the page had shown it running).
    await page.locator('#steps').fill('100');
    await page.locator('#n').fill('4');
    await send(GENERATE);
    await expect.poll(() => assistant(0).getAttribute('data-status'), { timeout: 60_000 }).toBe('running');
    const jobId = (await assistant(0).getAttribute('data-job')) ?? '';
    await browser.context.setOffline(true);
    if ((await expectedVia(jobId)) === 'polling') {
      await expect
        .poll(() => assistant(0).locator('.notice').textContent(), { timeout: 20_000 })
        .toBe('Could not reach the API: the network or the server is down. Retrying; the job keeps running on the server.');
    }
    await browser.context.setOffline(false);
    await finished(0);
    expect(await assistant(0).locator('.notice').isVisible()).toBe(false);
    expect(await assistant(0).locator('img.image').count()).toBe(4);

    // Offline when sending: said so, with a retry that reuses the turn's Idempotency-Key.
    const keys: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/jobs') keys.push(request.headers()['idempotency-key'] ?? '');
    });
    await browser.context.setOffline(true);
    await send('Make the circle blue.');
    await finished(1, 'error');
    expect(await assistant(1).locator('.error').textContent()).toBe('Could not reach the API: the network or the server is down. The message may not have been sent.');
    await browser.context.setOffline(false);
    await assistant(1).getByRole('button', { name: 'Retry' }).click();
    await finished(1);
    expect(keys.length).toBe(2);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  }, 180_000);
});
