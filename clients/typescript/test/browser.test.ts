// The built client in a real browser (Debian's Chromium through playwright-core, loopback only): the page imports
// dist/index.js as an ES module, straight from the API's own origin (the API sends no CORS headers), and runs a
// real generate job against the local platform: events stream through fetch + a stream reader, the result's
// image loads in an <img>, and its bytes (read back in Node) hash to the sha256 the API reported.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserForSuite, CHROMIUM } from '../../../test/support/browser.js';
import { MODEL_DIR, startPlatform, type Platform } from './platform.js';

const PACKAGE = join(import.meta.dirname, '..');
const run = promisify(execFile);

let platform: Platform;
let browser: BrowserContext;
let buildDir = '';
let profileDir = '';

// The page a customer would write: a module script importing the client from the API's origin.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>client test</title>
<script type="module">
import { Nexus, NotFoundError } from '/__test/client/index.js';
window.runTest = async (key) => {
  const nexus = new Nexus({ apiKey: key, baseURL: location.origin });
  const events = [];
  const done = await nexus.generate('a red circle in the middle', { params: { seed: 4, steps: 2 }, onProgress: (_job, event) => events.push(event?.type ?? null) });
  const [image] = done.images;
  const img = document.createElement('img');
  await new Promise((resolve, reject) => { img.onload = resolve; img.onerror = reject; img.src = image.image_url.url; });
  const missing = await nexus.jobs.get('job_01JD3V9X8M4Q2W7RZK5T0B6N1C').catch((error) => error);
  return {
    status: done.job.status,
    events,
    image: { url: image.image_url.url, width: image.width, height: image.height, sha256: image.sha256 },
    loaded: { width: img.naturalWidth, height: img.naturalHeight },
    notFound: { name: missing instanceof NotFoundError ? 'NotFoundError' : String(missing), status: missing.status, code: missing.code },
  };
};
window.ready = true;
</script></head><body></body></html>`;

beforeAll(async () => {
  // A private build, so this file never races another test that builds dist/.
  buildDir = await mkdtemp(join(tmpdir(), 'nexus-client-build-'));
  profileDir = await mkdtemp(join(tmpdir(), 'nexus-chromium-'));
  await run(process.execPath, [join(PACKAGE, '../../node_modules/typescript/bin/tsc'), '-p', join(PACKAGE, 'tsconfig.json'), '--outDir', buildDir], { cwd: PACKAGE });
  platform = await startPlatform({
    extend: (app) => {
      app.get('/__test/page', (c) => c.html(PAGE));
      app.get('/__test/client/*', async (c) => {
        const file = normalize(c.req.path.slice('/__test/client/'.length));
        if (file.startsWith('..') || !file.endsWith('.js')) return c.text('no', 404);
        return c.body(await readFile(join(buildDir, file), 'utf8'), 200, { 'content-type': 'text/javascript; charset=utf-8' });
      });
    },
  });
  // A fresh profile per run (launchPersistentContext is how playwright takes --user-data-dir).
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await rm(buildDir, { recursive: true, force: true });
  await rm(profileDir, { recursive: true, force: true });
});

interface PageResult {
  status: string;
  events: (string | null)[];
  image: { url: string; width: number; height: number; sha256: string };
  loaded: { width: number; height: number };
  notFound: { name: string; status: number; code: string };
}

describe.skipIf(MODEL_DIR === null || !browserForSuite('@nexus/client in Chromium'))('@nexus/client in Chromium', () => {
  it('imports the built ES module and runs a real generate job against the local API', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      const host = new URL(request.url()).hostname;
      if (host !== '127.0.0.1') outside.push(request.url());
    });
    await page.goto(`${platform.url}/__test/page`);
    await page.waitForFunction('window.ready === true');
    const result = await page.evaluate<PageResult>(`runTest(${JSON.stringify(platform.key)})`);
    await page.close();

    expect(result.status).toBe('succeeded');
    expect(result.events[0]).toBe('job.queued');
    expect(result.events.at(-1)).toBe('job.succeeded');
    expect(result.loaded).toEqual({ width: result.image.width, height: result.image.height });
    const bytes = Buffer.from(await (await fetch(result.image.url)).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(result.image.sha256);
    expect(result.notFound).toEqual({ name: 'NotFoundError', status: 404, code: 'not_found' });
    expect(outside).toEqual([]);
  }, 120_000);
});
