// The typed client against the real local platform: the API over HTTP, the local AWS servers and a worker running
// the bundled model. Every call crosses a real socket; nothing is mocked.
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../shared/webhook-signing.js';
import {
  AuthenticationError,
  InvalidRequestError,
  JobFailedError,
  Nexus,
  NotFoundError,
  WaitTimeoutError,
  WebhookVerificationError,
  type Job,
  type JobEvent,
} from '../src/index.js';
import { waitFor } from '../../../test/support/wait.js';
import { MODEL_DIR, startPlatform, type Platform } from './platform.js';

let platform: Platform;
let nexus: Nexus;

beforeAll(async () => {
  platform = await startPlatform({ stepDelayMs: 60 });
  nexus = new Nexus({ apiKey: platform.key, baseURL: platform.url });
}, 120_000);
afterAll(async () => {
  await platform?.stop();
});

const pngInfo = async (bytes: Uint8Array) => {
  const meta = await sharp(Buffer.from(bytes)).metadata();
  return { format: meta.format, width: meta.width, height: meta.height };
};

describe.skipIf(MODEL_DIR === null)('jobs and helpers on the local platform', () => {
  it('generate(): one call, a finished job, a PNG of the model size, progress seen live', async () => {
    const seen: { type: string | undefined; status: string }[] = [];
    // 20 steps held 60 ms each: progress is written every 500 ms and the stream reads the row every 250 ms, so
    // the run lasts long enough for a progress event to be seen on any host (4 steps could end between two reads).
    const result = await nexus.generate('a red circle in the middle', {
      params: { seed: 5, steps: 20 },
      onProgress: (job, event) => seen.push({ type: event?.type, status: job.status }),
    });
    expect(result.job.status).toBe('succeeded');
    expect(result.images).toHaveLength(1);
    const bytes = await nexus.download(result.images[0] ?? '');
    expect(await pngInfo(bytes)).toEqual({ format: 'png', width: result.images[0]?.width, height: result.images[0]?.height });
    expect(seen[0]).toEqual({ type: 'job.queued', status: 'queued' });
    expect(seen.at(-1)).toEqual({ type: 'job.succeeded', status: 'succeeded' });
    expect(seen.some((s) => s.type === 'job.progress')).toBe(true);
  }, 60_000);

  it('wait() polls when asked not to stream, and gives the same final job', async () => {
    const job = await nexus.jobs.create({ model: 'nexus-mini', messages: [{ role: 'user', content: 'Draw a blue square.' }], params: { seed: 3, steps: 2 } });
    const polled: Job[] = [];
    const done = await nexus.jobs.wait(job.id, { stream: false, pollIntervalMs: 100, onProgress: (j, event) => (expect(event).toBeUndefined(), polled.push(j)) });
    expect(done.status).toBe('succeeded');
    expect(polled.at(-1)?.status).toBe('succeeded');
    expect((await nexus.jobs.get(job.id)).status).toBe('succeeded');
  }, 60_000);

  it('edit() and understand() take bytes; uploads.create() gives a reference a job can use', async () => {
    const source = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .composite([{ input: Buffer.from('<svg width="64" height="64"><circle cx="32" cy="32" r="14" fill="#ff0000"/></svg>') }])
      .png()
      .toBuffer();
    const edited = await nexus.edit(new Uint8Array(source), 'Make the circle blue.', { params: { seed: 1, steps: 2 } });
    expect(edited.images).toHaveLength(1);
    const upload = await nexus.uploads.create(new Uint8Array(source));
    expect(upload.reference).toMatch(/^upload:upl_/);
    const answer = await nexus.understand(upload.reference, 'What colour is the circle?', { params: { max_tokens: 8 } });
    expect(answer.job.status).toBe('succeeded');
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.images).toEqual([]);
  }, 90_000);

  it('conversation() keeps the turns: generate, then a follow-up sends the whole history', async () => {
    const chat = nexus.conversation({ params: { seed: 2, steps: 2, max_tokens: 16 } });
    const first = await chat.send('Generate an image according to the following description: a red circle in the middle');
    expect(first.images).toHaveLength(1);
    const second = await chat.send('What colour is the circle?');
    expect(second.job.status).toBe('succeeded');
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    // The assistant's image rides along as bytes (a data URI), so the history never points at an expired URL.
    const assistant = chat.messages[1]?.content;
    expect(Array.isArray(assistant) && assistant.some((p) => p.type === 'image_url' && p.image_url.url.startsWith('data:image/png;base64,'))).toBe(true);
  }, 90_000);
});

describe('jobs without a worker run', () => {
  let idle: Platform;
  let client: Nexus;
  beforeAll(async () => {
    idle = await startPlatform({ worker: false });
    client = new Nexus({ apiKey: idle.key, baseURL: idle.url });
  }, 60_000);
  afterAll(async () => {
    await idle?.stop();
  });

  it('list() iterates every job across pages, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await client.jobs.create({ model: 'nexus-mini', messages: [{ role: 'user', content: `job ${i}` }] })).id);
    const listed: string[] = [];
    for await (const job of client.jobs.list({ limit: 2 })) listed.push(job.id);
    expect(listed).toEqual([...ids].reverse());
    const pages: number[] = [];
    for await (const page of client.jobs.list({ limit: 2 }).pages()) pages.push(page.data.length);
    expect(pages).toEqual([2, 2, 1]);
  });

  it('cancel() a queued job; wait() returns it canceled and the helpers throw JobFailedError', async () => {
    const job = await client.jobs.create({ model: 'nexus-mini', messages: [{ role: 'user', content: 'Draw a red circle.' }] });
    const events: JobEvent['type'][] = [];
    const waiting = client.jobs.wait(job.id, { onProgress: (_j, event) => event && events.push(event.type) });
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.jobs.cancel(job.id)).status).toBe('canceled');
    const done = await waiting;
    expect(done.status).toBe('canceled');
    expect(events).toEqual(['job.queued', 'job.canceled']);
    // A helper whose job is canceled under it rejects with JobFailedError carrying the job.
    let created = '';
    const generating = client.generate('a red circle', { onProgress: (j) => (created = j.id) }).catch((e: unknown) => e);
    await waitFor(async () => created !== '');
    await client.jobs.cancel(created);
    const failed = await generating;
    expect(failed).toBeInstanceOf(JobFailedError);
    expect(failed).toMatchObject({ message: `job ${created} ended canceled`, job: { id: created, status: 'canceled' } });
  });

  it('wait() times out with WaitTimeoutError naming the job, and stops at an aborted signal', async () => {
    const job = await client.jobs.create({ model: 'nexus-mini', messages: [{ role: 'user', content: 'Draw a red circle.' }] });
    const timedOut = await client.jobs.wait(job.id, { timeout: 400 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(WaitTimeoutError);
    expect(timedOut).toMatchObject({ jobId: job.id, lastSeen: { id: job.id, status: 'queued' } });
    const controller = new AbortController();
    const reason = new Error('user stopped');
    setTimeout(() => controller.abort(reason), 200);
    await expect(client.jobs.wait(job.id, { signal: controller.signal })).rejects.toBe(reason);
  });

  it('errors carry the API type, status, code, param and request id', async () => {
    const missing = await client.jobs.get('job_01JD3V9X8M4Q2W7RZK5T0B6N1C').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, type: 'not_found_error', code: 'not_found', param: 'id', requestId: expect.stringMatching(/^req_/) });
    const bad = await client.jobs.create({ model: 'nexus-mini', messages: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidRequestError);
    expect(bad).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'messages' });
    const other = await client.jobs.create({ model: 'nexus-mini', messages: [{ role: 'user', content: 'x' }] });
    await expect(new Nexus({ apiKey: idle.otherKey, baseURL: idle.url }).jobs.get(other.id)).rejects.toBeInstanceOf(NotFoundError);
    const unauth = await new Nexus({ apiKey: 'sk_test_revoked', baseURL: idle.url }).models.list().catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(AuthenticationError);
    expect(unauth).toMatchObject({ status: 401, type: 'authentication_error' });
  });

  it('refuses an unusable key or an empty job id before sending anything', async () => {
    expect(() => new Nexus({ apiKey: 'sk_test_x\r\nX-Injected: 1', baseURL: idle.url })).toThrow(TypeError);
    expect(() => new Nexus({ apiKey: '', baseURL: idle.url })).toThrow('apiKey is required');
    await expect(client.jobs.get('')).rejects.toThrow('a job id is required');
    await expect(client.jobs.cancel('')).rejects.toThrow('a job id is required');
    // An id with a slash stays one path segment: no other route is reached.
    await expect(client.jobs.get('job_x/cancel')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('models.list() names the served model', async () => {
    expect((await client.models.list()).map((m) => [m.id, m.capabilities])).toEqual([['nexus-mini', ['understand', 'generate', 'edit']]]);
  });
});

describe('webhooks.verify()', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = JSON.stringify({ id: 'evt_1', type: 'job.succeeded', created_at: '2026-01-01T00:00:00.000Z', sequence: 3, data: { id: 'job_1' } });
  const now = Math.floor(Date.now() / 1000);

  it('accepts what the platform signs and what the standardwebhooks library signs', async () => {
    const ours = await signWebhook({ id: 'msg_1', timestamp: now, body, secrets: [secret] });
    expect(await nexus.webhooks.verify(body, ours, secret, { now: () => now })).toMatchObject({ id: 'evt_1', sequence: 3 });
    const theirs = new Webhook(secret).sign('msg_2', new Date(now * 1000), body);
    const headers = new Headers({ 'webhook-id': 'msg_2', 'webhook-timestamp': String(now), 'webhook-signature': theirs });
    expect(await nexus.webhooks.verify(new TextEncoder().encode(body), headers, secret, { now: () => now })).toMatchObject({ id: 'evt_1' });
    // And the library accepts ours.
    expect(new Webhook(secret).verify(body, { ...ours })).toMatchObject({ id: 'evt_1' });
  });

  it('accepts the previous secret during a rotation, and refuses tampering, wrong secrets and stale timestamps', async () => {
    const previous = 'whsec_' + btoa('previous-secret-bytes-0123456789');
    const signed = await signWebhook({ id: 'msg_3', timestamp: now, body, secrets: [secret, previous] });
    expect(await nexus.webhooks.verify(body, signed, previous, { now: () => now })).toMatchObject({ id: 'evt_1' });
    const refuse = (raw: string, headers: Record<string, string>, key: string, at = now) =>
      expect(nexus.webhooks.verify(raw, headers, key, { now: () => at })).rejects.toBeInstanceOf(WebhookVerificationError);
    await refuse(body.replace('"sequence":3', '"sequence":4'), signed, secret);
    await refuse(body, signed, 'whsec_' + btoa('another-secret-entirely-000000'));
    await refuse(body, signed, secret, now + 301);
    await refuse(body, { ...signed, 'webhook-signature': 'v1,%%%' }, secret);
    await refuse(body, { 'webhook-id': 'msg_3' }, secret);
  });
});
