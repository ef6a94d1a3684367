// How the page follows a job, against a loopback HTTP server that answers as the API does: over the event stream
// when it serves one (the contract of GET /v1/jobs/{id}/events), by polling when it answers 404, when the stream
// breaks mid-job, and through transient errors; a wrong key ends it with the API's error.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, createApiClient } from './api.js';
import { followJob, LostContactError } from './follow-job.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let baseUrl: string;
let handler: Handler;
let seenAuth: (string | undefined)[];
let seenRequests: [string | undefined, string | undefined][];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenAuth.push(req.headers.authorization);
    seenRequests.push([req.url, req.headers.accept]);
    handler(req, res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  baseUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  seenAuth = [];
  seenRequests = [];
});

const job = (status: string, extra: Record<string, unknown> = {}) => ({
  id: 'job_1',
  object: 'job',
  status,
  created_at: '2026-12-03T00:00:00.000Z',
  started_at: null,
  completed_at: null,
  progress: null,
  queue_position: null,
  cancel_requested: false,
  output: null,
  error: null,
  usage: null,
  ...extra,
});
const frame = (n: number, type: string, data: object) =>
  `id: evt_${n}\nevent: ${type}\ndata: ${JSON.stringify({ id: `evt_${n}`, type, created_at: '2026-12-03T00:00:00.000Z', sequence: n, data })}\n\n`;
const notFound = (res: ServerResponse) =>
  res
    .writeHead(404, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: { type: 'not_found_error', code: 'route_not_found', message: 'no route', param: null }, request_id: 'req_1' }));

/** Polling answers: each GET of the job takes the next one (the last repeats). */
function polls(answers: ((res: ServerResponse) => void)[]): (res: ServerResponse) => void {
  let i = 0;
  return (res) => answers[Math.min(i++, answers.length - 1)]!(res);
}
const ok = (body: object) => (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function follow() {
  const seen: [string, string][] = [];
  const notices: (string | null)[] = [];
  const api = createApiClient({ baseUrl, apiKey: () => 'sk_test' });
  const final = await followJob({
    api,
    jobId: 'job_1',
    signal: new AbortController().signal,
    onJob: (j, via) => seen.push([j.status, via]),
    onNotice: (t) => notices.push(t),
    pollMs: 10,
    giveUpAfterMs: 5_000,
  });
  return { final, seen, notices };
}

describe('followJob', () => {
  it('follows the event stream to its final event (heartbeats and odd chunking included)', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const text = [
        ': ping\n\n',
        frame(1, 'job.queued', job('queued')),
        frame(2, 'job.started', job('running')),
        ': ping\n\n',
        frame(3, 'job.progress', job('running', { progress: { stage: 'diffusion', step: 4, total: 10 } })),
        frame(4, 'job.succeeded', job('succeeded')),
      ].join('');
      // Cut into 7-byte writes, so lines and events straddle chunks.
      for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7));
      res.end();
    };
    const { final, seen, notices } = await follow();
    expect(final.status).toBe('succeeded');
    expect(seen).toEqual([
      ['queued', 'events'],
      ['running', 'events'],
      ['running', 'events'],
      ['succeeded', 'events'],
    ]);
    expect(notices).toEqual([]);
    expect(seenAuth).toEqual(['Bearer sk_test']);
    expect(seenRequests).toEqual([['/v1/jobs/job_1/events', 'text/event-stream']]);
  });

  it('polls GET /v1/jobs/{id} where the API has no event stream (404)', async () => {
    const poll = polls([ok(job('queued', { queue_position: 2 })), ok(job('running')), ok(job('succeeded'))]);
    handler = (req, res) => (req.url === '/v1/jobs/job_1' ? poll(res) : notFound(res));
    const { final, seen } = await follow();
    expect(final.status).toBe('succeeded');
    expect(seen).toEqual([
      ['queued', 'polling'],
      ['running', 'polling'],
      ['succeeded', 'polling'],
    ]);
  });

  it('falls back to polling when the stream breaks mid-job', async () => {
    const poll = polls([ok(job('succeeded'))]);
    handler = (req, res) => {
      if (req.url === '/v1/jobs/job_1') return poll(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame(1, 'job.started', job('running')));
      setTimeout(() => res.destroy(), 20);
    };
    const { final, seen } = await follow();
    expect(final.status).toBe('succeeded');
    expect(seen).toEqual([
      ['running', 'events'],
      ['succeeded', 'polling'],
    ]);
  });

  it('rides out 503s and a dropped connection while polling, saying so, then clears the notice', async () => {
    const poll = polls([
      (res) =>
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { type: 'overloaded_error', code: 'busy', message: 'busy', param: null }, request_id: 'req_2' })),
      (res) => res.socket?.destroy(),
      ok(job('failed', { error: { type: 'context_too_long', message: 'too long', retryable: false } })),
    ]);
    handler = (req, res) => (req.url === '/v1/jobs/job_1' ? poll(res) : notFound(res));
    const { final, notices } = await follow();
    expect([final.status, final.error?.type]).toEqual(['failed', 'context_too_long']);
    expect(notices).toEqual([
      'busy. The service is busy: try again shortly. [HTTP 503, overloaded_error/busy, request req_2] Retrying; the job keeps running on the server.',
      'Could not reach the API: the network or the server is down. Retrying; the job keeps running on the server.',
      null,
    ]);
  });

  it('gives up after giveUpAfterMs without an answer, saying the job runs on', async () => {
    handler = (req, res) => (req.url === '/v1/jobs/job_1' ? res.socket?.destroy() : notFound(res));
    const api = createApiClient({ baseUrl, apiKey: () => 'sk_test' });
    const error = await followJob({
      api,
      jobId: 'job_1',
      signal: new AbortController().signal,
      onJob: () => undefined,
      onNotice: () => undefined,
      pollMs: 10,
      giveUpAfterMs: 200,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LostContactError);
    expect(String(error)).toBe('LostContactError: Lost contact with the API for 0.2 s. Job job_1 keeps running on the server: check again when the connection is back.');
  });

  it('ends with the API error when the key is refused', async () => {
    handler = (_req, res) =>
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { type: 'authentication_error', code: 'invalid_api_key', message: 'invalid API key', param: null }, request_id: 'req_3' }));
    const error = await follow().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, type: 'authentication_error', code: 'invalid_api_key', requestId: 'req_3' });
  });
});
