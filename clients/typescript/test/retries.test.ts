// Retries against a real server: a loopback proxy in front of the real local API injects 503s, 429s with
// Retry-After and cut connections, and records what the client sent. The API behind it is the real one, so
// "exactly one job" is read from its table.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, InvalidRequestError, Nexus, OverloadedError, RateLimitError } from '../src/index.js';
import { retryDelayMs, DEFAULT_RETRY } from '../src/retry.js';
import { waitFor } from '../../../test/support/wait.js';
import { startPlatform, type Platform } from './platform.js';

type Fault = 'pass' | 'swallow-503' | '503' | '429' | 'cut';

interface Seen {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  at: number;
}

let platform: Platform;
let proxy: Server;
let proxyUrl = '';
let plan: Fault[] = [];
/** How the proxy answers the events stream: through, as an API without the route, or as a buffering proxy's JSON. */
let eventsRoute: 'pass' | 'missing' | 'json' | 'empty' = 'pass';
const seen: Seen[] = [];

const envelope = (type: string, code: string) => JSON.stringify({ error: { type, code, message: 'injected', param: null }, request_id: 'req_injected' });

async function forward(req: IncomingMessage, body: Buffer): Promise<Response> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers.set(name, value);
  return fetch(`${platform.url}${req.url ?? '/'}`, { method: req.method, headers, body: req.method === 'GET' ? undefined : body.toString('utf8') });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.from(chunk));
  const header = req.headers['idempotency-key'];
  seen.push({ method: req.method ?? '', path: req.url ?? '', idempotencyKey: typeof header === 'string' ? header : undefined, at: Date.now() });
  if (req.url?.endsWith('/events') && eventsRoute === 'missing')
    return void res.writeHead(404, { 'content-type': 'application/json' }).end(envelope('not_found_error', 'route_not_found'));
  if (req.url?.endsWith('/events') && eventsRoute === 'empty') return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end();
  if (req.url?.endsWith('/events') && eventsRoute === 'json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  const fault = plan.shift() ?? 'pass';
  if (fault === 'cut') return void req.socket.destroy();
  if (fault === '503') return void res.writeHead(503, { 'content-type': 'application/json' }).end(envelope('overloaded_error', 'queue_unavailable'));
  if (fault === '429') return void res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end(envelope('rate_limit_error', 'rate_limited'));
  const upstream = await forward(req, Buffer.concat(chunks));
  const text = await upstream.text();
  // The API did the work, but the client never hears of it: the case Idempotency-Key exists for.
  if (fault === 'swallow-503') return void res.writeHead(503, { 'content-type': 'application/json' }).end(envelope('overloaded_error', 'lost_reply'));
  res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(text);
}

beforeAll(async () => {
  platform = await startPlatform({ worker: false });
  proxy = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address: AddressInfo | string | null = proxy.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  proxyUrl = `http://127.0.0.1:${address.port}`;
}, 60_000);
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await platform?.stop();
});

const client = (maxRetries = 3) => new Nexus({ apiKey: platform.key, baseURL: proxyUrl, maxRetries, retry: { baseDelayMs: 20, maxDelayMs: 5000 } });
const request = { model: 'nexus-mini', messages: [{ role: 'user' as const, content: 'Draw a red circle.' }] };

async function jobsOfTenant(): Promise<number> {
  let count = 0;
  for await (const _job of new Nexus({ apiKey: platform.key, baseURL: platform.url }).jobs.list({ limit: 100 })) count += 1;
  return count;
}

describe('wait() where streaming is unavailable', () => {
  for (const mode of ['missing', 'json', 'empty'] as const) {
    it(`falls back to polling (events route ${mode})`, async () => {
      eventsRoute = mode;
      plan = [];
      try {
        const nexus = client();
        const job = await nexus.jobs.create(request);
        seen.length = 0;
        const seenStatuses: string[] = [];
        const waiting = nexus.jobs.wait(job.id, { pollIntervalMs: 100, onProgress: (j, event) => (expect(event).toBeUndefined(), seenStatuses.push(j.status)) });
        await waitFor(async () => seenStatuses.length > 0, 5_000, 'the first poll');
        await new Nexus({ apiKey: platform.key, baseURL: platform.url }).jobs.cancel(job.id);
        expect((await waiting).status).toBe('canceled');
        expect(seen[0]?.path).toBe(`/v1/jobs/${job.id}/events`);
        // A proxy that ends every stream at once and empty is retried a bounded number of times, not in a tight loop.
        expect(seen.filter((s) => s.path.endsWith('/events')).length).toBe(mode === 'empty' ? 6 : 1);
        expect(seen.filter((s) => s.path === `/v1/jobs/${job.id}`).length).toBeGreaterThanOrEqual(2);
        expect(seenStatuses[0]).toBe('queued');
        expect(seenStatuses.at(-1)).toBe('canceled');
      } finally {
        eventsRoute = 'pass';
      }
    });
  }

  it('keeps a 404 for a missing job a NotFoundError (no fallback)', async () => {
    eventsRoute = 'pass';
    await expect(client().jobs.wait('job_01JD3V9X8M4Q2W7RZK5T0B6N1C')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('retries', () => {
  it('retries 503s and a lost reply with one Idempotency-Key, so the API makes exactly one job', async () => {
    const before = await jobsOfTenant();
    seen.length = 0;
    plan = ['503', 'swallow-503', 'pass'];
    const job = await client().jobs.create(request);
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts).toHaveLength(3);
    const key = posts[0]?.idempotencyKey;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts.map((p) => p.idempotencyKey)).toEqual([key, key, key]);
    expect(await jobsOfTenant()).toBe(before + 1);
    // The reply to the third attempt is the job the second one created.
    expect((await new Nexus({ apiKey: platform.key, baseURL: platform.url }).jobs.get(job.id)).id).toBe(job.id);
    // A second create is a new job with a new key.
    plan = [];
    await client().jobs.create(request);
    expect(seen.at(-1)?.idempotencyKey).not.toBe(key);
  });

  it('honours Retry-After on a 429 (1 s, though its own backoff would be 20 ms)', async () => {
    seen.length = 0;
    plan = ['429', 'pass'];
    await client().models.list();
    expect(seen).toHaveLength(2);
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('retries a cut connection', async () => {
    seen.length = 0;
    plan = ['cut', 'cut', 'pass'];
    expect((await client().models.list()).map((m) => m.id)).toEqual(['nexus-mini']);
    expect(seen).toHaveLength(3);
  });

  it('gives up after maxRetries with the last error, typed and with its request id', async () => {
    seen.length = 0;
    plan = ['503', '503', '503'];
    const error = await client(2)
      .models.list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error).toMatchObject({ status: 503, type: 'overloaded_error', code: 'queue_unavailable', requestId: 'req_injected' });
    expect(seen).toHaveLength(3);
    plan = ['429', '429'];
    const limited = await client(1)
      .models.list()
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited).toMatchObject({ retryAfterSeconds: 1 });
    plan = ['cut', 'cut'];
    expect(
      await client(1)
        .models.list()
        .catch((e: unknown) => e),
    ).toBeInstanceOf(ConnectionError);
  });

  it('does not retry a 400', async () => {
    seen.length = 0;
    plan = [];
    await expect(client().jobs.create({ model: 'nexus-mini', messages: [] })).rejects.toBeInstanceOf(InvalidRequestError);
    expect(seen).toHaveLength(1);
  });

  it('backs off exponentially with equal jitter, capped', () => {
    const at = (random: number) => ({ ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000, random: () => random });
    expect([0, 1, 2, 3, 4].map((n) => retryDelayMs(n, null, at(0)))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 4].map((n) => retryDelayMs(n, null, at(0.5)))).toEqual([75, 150, 300, 600, 750]);
    expect(retryDelayMs(0, '2', at(0))).toBe(1000);
    expect(retryDelayMs(0, '0.5', at(0))).toBe(500);
    expect(retryDelayMs(3, 'soon', at(0))).toBe(400);
  });
});
