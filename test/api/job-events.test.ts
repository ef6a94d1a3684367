// GET /v1/jobs/{id}/events over a real HTTP server, a private local stack and a real in-process worker running the
// bundled model (each diffusion step held 120 ms so progress is written while the test watches). Checks the event
// order and ids against the webhook events the same job put on the events queue, progress events, the end of the
// stream, exact Last-Event-ID resumption, and the hostile cases: bad ids, bad keys, garbage Last-Event-ID, a
// client that disconnects, a job canceled while it streams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedApiKey } from '../../functions/api/auth-keys.js';
import type { ApiDeps } from '../../functions/api/app.js';
import { startApiServer, type ApiServer } from '../../functions/api/serve.js';
import { createEventEmitter, deriveEventId, parseEventMessage, type EventMessage } from '../../shared/events.js';
import type { JobTable } from '../../shared/ports.js';
import type { RunningWorker } from '../../workers/gpu/start-worker.js';
import { makeJob } from '../webhooks/support.js';
import { bundleDir, collectEvents, eventsQueue, quickJob, startInProcessWorker, waitFor } from '../reliability/support.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';
import { readSse, type SseEvent } from '../support/sse.js';
import { MODELS, PEPPER } from './api-harness.js';

const dir = bundleDir('job events stream');
let stack: LocalStack;
let server: ApiServer;
let worker: RunningWorker | null = null;
let reads = 0;
const key = `sk_test_acme_${crypto.randomUUID()}`;
const otherKey = `sk_test_globex_${crypto.randomUUID()}`;

beforeAll(async () => {
  stack = await startLocalStack();
  await seedApiKey(stack.table, key, 'acme', PEPPER);
  await seedApiKey(stack.table, otherKey, 'globex', PEPPER);
  // The real table, counting the stream's reads of job rows (to see that a closed stream stops reading).
  const table: JobTable = {
    ...stack.table,
    getJob: (tenant, id) => {
      reads += 1;
      return stack.table.getJob(tenant, id);
    },
  };
  const deps: ApiDeps = {
    jobs: table,
    objects: stack.objects,
    queue: stack.jobs,
    models: MODELS,
    events: createEventEmitter({ table: stack.table, queue: stack.queue(stack.resources.events.queueUrl, parseEventMessage) }),
    settings: { apiKeyPepper: PEPPER, allowLoopbackHttp: true, rateLimitPerWindow: 100_000, eventsPollMs: 40, eventsHeartbeatMs: 150, eventsMaxSeconds: 60 },
  };
  server = await startApiServer({ deps, port: 0 });
  if (dir !== null) worker = await startInProcessWorker(stack, dir, { stepDelayMs: 120 });
}, 120_000);

afterAll(async () => {
  await worker?.drain();
  await server?.close();
  await stack?.stop();
});

const get = (path: string, headers: Record<string, string> = {}, auth: string | null = key): Promise<Response> =>
  fetch(`${server.url}${path}`, { headers: { ...(auth === null ? {} : { authorization: `Bearer ${auth}` }), ...headers } });

async function submit(body: unknown): Promise<string> {
  const res = await fetch(`${server.url}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const job: { id: string } = await res.json();
  expect(res.status).toBe(202);
  return job.id;
}

interface Parsed {
  id: string;
  type: string;
  sequence: number;
  created_at: string;
  data: { id: string; status: string; progress: { stage: string; step: number; total: number } | null; output: unknown; queue_position: number | null };
}
const parse = (event: SseEvent): Parsed => {
  const body: Parsed = JSON.parse(event.data);
  expect(body.id).toBe(event.id);
  expect(body.type).toBe(event.event);
  return body;
};

const stream = async (id: string, headers: Record<string, string> = {}) => {
  const res = await get(`/v1/jobs/${id}/events`, headers);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const read = await readSse(res);
  return { ...read, parsed: read.events.map(parse) };
};

const slowJob = (seed: number, extra: Record<string, unknown> = {}) => quickJob(seed, { params: { seed, steps: 6, max_tokens: 8 }, ...extra });

describe.skipIf(dir === null)('the events stream of a running job', () => {
  it('sends queued, started, progress and the final event with the webhooks ids, then ends', async () => {
    await collectEvents(eventsQueue(stack), 100);
    const id = await submit(slowJob(11, { webhook: { url: 'http://127.0.0.1:9/hook', events: ['job.queued', 'job.started', 'job.progress', 'job.succeeded'] } }));
    const { parsed, ended } = await stream(id);
    expect(ended).toBe(true);
    const types = parsed.map((e) => e.type);
    expect(types[0]).toBe('job.queued');
    expect(types[1]).toBe('job.started');
    expect(types.at(-1)).toBe('job.succeeded');
    const progress = parsed.filter((e) => e.type === 'job.progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(types.slice(2, -1).every((t) => t === 'job.progress')).toBe(true);
    for (const e of progress) {
      expect(e.data.status).toBe('running');
      expect(e.data.progress?.total).toBeGreaterThan(0);
    }
    // Sequences strictly increase; every id is the derived id of its sequence.
    const sequences = parsed.map((e) => e.sequence);
    expect(sequences.slice(0, 2)).toEqual([1, 2]);
    for (let i = 1; i < sequences.length; i += 1) expect(sequences[i]).toBeGreaterThan(sequences[i - 1] ?? 0);
    for (const e of parsed) expect(e.id).toBe(await deriveEventId(id, e.sequence));
    // The final event is the job as GET shows it.
    const row = await stack.table.getJob('acme', id);
    const final = parsed.at(-1);
    expect(final?.sequence).toBe(row?.eventSequence);
    expect(final?.data.status).toBe('succeeded');
    expect(final?.data.output).not.toBeNull();

    // The webhook events of the same job: same ids for queued, started and the final event, and every streamed
    // progress event is one of the webhook's progress events (the stream samples them).
    const hooks: EventMessage[] = (
      await waitFor(async () => {
        const all = await collectEvents(eventsQueue(stack), 300);
        return all.length > 0 ? all : undefined;
      })
    ).filter((e) => e.job_id === id);
    const hookId = (type: string) => hooks.filter((e) => e.type === type).map((e) => e.id);
    expect(hookId('job.queued')).toEqual([parsed[0]?.id]);
    expect(hookId('job.started')).toEqual([parsed[1]?.id]);
    expect(hookId('job.succeeded')).toEqual([final?.id]);
    const hookProgress = new Set(hookId('job.progress'));
    for (const e of progress) expect(hookProgress.has(e.id)).toBe(true);
  }, 60_000);

  it('resumes after a disconnect with Last-Event-ID: nothing lost, nothing repeated', async () => {
    const id = await submit(slowJob(12));
    const first = await readSse(await get(`/v1/jobs/${id}/events`), { onEvent: (e) => e.event === 'job.progress' });
    expect(first.ended).toBe(false);
    const seen = first.events.map(parse);
    const last = seen.at(-1);
    expect(last?.type).toBe('job.progress');
    const rest = await stream(id, { 'last-event-id': last?.id ?? '' });
    expect(rest.ended).toBe(true);
    const all = [...seen, ...rest.parsed];
    expect(rest.parsed[0]?.sequence).toBeGreaterThan(last?.sequence ?? 0);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.slice(0, 2).map((e) => e.type)).toEqual(['job.queued', 'job.started']);
    expect(all.at(-1)?.type).toBe('job.succeeded');
  }, 60_000);

  it('ends with job.canceled when the job is canceled while it streams', async () => {
    const id = await submit(slowJob(13, { params: { seed: 13, steps: 20, max_tokens: 8 } }));
    let canceled = false;
    const res = await get(`/v1/jobs/${id}/events`);
    const read = await readSse(res, {
      onEvent: (e) => {
        if (e.event === 'job.progress' && !canceled) {
          canceled = true;
          void fetch(`${server.url}/v1/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
        }
      },
    });
    expect(read.ended).toBe(true);
    const parsed = read.events.map(parse);
    expect(parsed.at(-1)?.type).toBe('job.canceled');
    expect(parsed.at(-1)?.data.output).toBeNull();
    expect(parsed.filter((e) => e.type === 'job.canceled')).toHaveLength(1);
  }, 60_000);
});

describe('the events stream of a finished or waiting job', () => {
  it('replays what the row implies for a finished job, and resumes from each of its ids exactly', async () => {
    const job = makeJob('acme', null, { eventSequence: 5 });
    expect(await stack.table.createJob(job)).toBe(true);
    const full = await stream(job.id);
    expect(full.ended).toBe(true);
    expect(full.parsed.map((e) => [e.type, e.sequence, e.created_at, e.data.status])).toEqual([
      ['job.queued', 1, '2026-01-01T00:00:00.000Z', 'queued'],
      ['job.started', 2, '2026-01-01T00:00:01.000Z', 'running'],
      ['job.succeeded', 5, '2026-01-01T00:00:02.000Z', 'succeeded'],
    ]);
    // A queued event rebuilt for a job that has moved on carries no queue position.
    expect(full.parsed[0]?.data.queue_position).toBeNull();
    const ids = full.parsed.map((e) => e.id);
    expect((await stream(job.id, { 'last-event-id': ids[0] ?? '' })).parsed.map((e) => e.type)).toEqual(['job.started', 'job.succeeded']);
    expect((await stream(job.id, { 'last-event-id': ids[1] ?? '' })).parsed.map((e) => e.type)).toEqual(['job.succeeded']);
    const after = await stream(job.id, { 'last-event-id': ids[2] ?? '' });
    expect(after).toMatchObject({ ended: true, events: [] });
  });

  it('keeps an idle stream open with pings, and ends it with job.canceled when the queued job is canceled', async () => {
    // A queued row with no message: no worker will take it.
    const job = makeJob('acme', null, {
      status: 'queued',
      startedAt: null,
      completedAt: null,
      result: null,
      usage: null,
      eventSequence: 1,
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(await stack.table.createJob(job)).toBe(true);
    let pings = 0;
    const read = await readSse(await get(`/v1/jobs/${job.id}/events`), {
      onComment: (comment) => {
        pings += comment === 'ping' ? 1 : 0;
        if (pings === 2) void fetch(`${server.url}/v1/jobs/${job.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
      },
    });
    expect(read.ended).toBe(true);
    expect(pings).toBeGreaterThanOrEqual(2);
    const parsed = read.events.map(parse);
    expect(parsed.map((e) => [e.type, e.sequence])).toEqual([
      ['job.queued', 1],
      ['job.canceled', 2],
    ]);
    // Still queued when it was sent: the queue position (a bound from the queue's depth) rides along.
    expect(parsed[0]?.data.queue_position).toBeGreaterThanOrEqual(1);
  });

  it('stops reading the row once the client disconnects', async () => {
    const job = makeJob('acme', null, {
      status: 'queued',
      startedAt: null,
      completedAt: null,
      result: null,
      usage: null,
      eventSequence: 1,
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(await stack.table.createJob(job)).toBe(true);
    const read = await readSse(await get(`/v1/jobs/${job.id}/events`), { onEvent: () => true });
    expect(read.ended).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    const before = reads;
    await new Promise((r) => setTimeout(r, 500));
    // A live stream reads every 40 ms (about 12 reads in 500 ms); a closed one none.
    expect(reads - before).toBe(0);
  });

  it('ends a stream after eventsMaxSeconds without a final event', async () => {
    const job = makeJob('acme', null, {
      status: 'queued',
      startedAt: null,
      completedAt: null,
      result: null,
      usage: null,
      eventSequence: 1,
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(await stack.table.createJob(job)).toBe(true);
    const short = await startApiServer({
      deps: { jobs: stack.table, objects: stack.objects, queue: stack.jobs, models: MODELS, settings: { apiKeyPepper: PEPPER, eventsPollMs: 40, eventsMaxSeconds: 1 } },
      port: 0,
    });
    try {
      const started = Date.now();
      const read = await readSse(await fetch(`${short.url}/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${key}` } }));
      expect(read.ended).toBe(true);
      expect(read.events.map((e) => e.event)).toEqual(['job.queued']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      await short.close();
    }
  });
});

describe('limits', () => {
  it('caps the open streams of one tenant on one process (429 too_many_streams), and frees a slot when one closes', async () => {
    const queued = () =>
      makeJob('acme', null, {
        status: 'queued',
        startedAt: null,
        completedAt: null,
        result: null,
        usage: null,
        eventSequence: 1,
        deadline: new Date(Date.now() + 3_600_000).toISOString(),
      });
    const jobs = [queued(), queued()];
    for (const job of jobs) expect(await stack.table.createJob(job)).toBe(true);
    const other = makeJob('globex', null);
    expect(await stack.table.createJob(other)).toBe(true);
    const capped = await startApiServer({
      deps: {
        jobs: stack.table,
        objects: stack.objects,
        queue: stack.jobs,
        models: MODELS,
        settings: { apiKeyPepper: PEPPER, eventsPollMs: 40, eventsMaxStreamsPerTenant: 2 },
      },
      port: 0,
    });
    const open = (id: string, auth = key) => fetch(`${capped.url}/v1/jobs/${id}/events`, { headers: { authorization: `Bearer ${auth}` } });
    try {
      // HEAD answers the headers and opens no stream: it holds no slot.
      for (let i = 0; i < 3; i += 1) {
        const head = await fetch(`${capped.url}/v1/jobs/${jobs[0]?.id ?? ''}/events`, { method: 'HEAD', headers: { authorization: `Bearer ${key}` } });
        expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
      }
      const first = await open(jobs[0]?.id ?? '');
      const second = await open(jobs[1]?.id ?? '');
      expect([first.status, second.status]).toEqual([200, 200]);
      const third = await open(jobs[0]?.id ?? '');
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toBe('5');
      expect(await third.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'too_many_streams' } });
      // Another tenant is not held to acme's streams.
      const theirs = await open(other.id, otherKey);
      expect(theirs.status).toBe(200);
      await theirs.body?.cancel();
      await first.body?.cancel();
      const again = await waitFor(
        async () => {
          const res = await open(jobs[0]?.id ?? '');
          if (res.status === 200) return res;
          await res.body?.cancel();
          return undefined;
        },
        5_000,
        'a freed stream slot',
      );
      await again.body?.cancel();
      await second.body?.cancel();
    } finally {
      await capped.close();
    }
  });
});

describe('errors before the stream starts', () => {
  const expectError = async (res: Response, status: number, type: string, code: string, param: string | null) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body: { error: { type: string; code: string; param: string | null } } = await res.json();
    expect(body.error).toMatchObject({ type, code, param });
  };

  it('answers 404 for an unknown id, a malformed id and another tenant job', async () => {
    const job = makeJob('acme', null);
    expect(await stack.table.createJob(job)).toBe(true);
    await expectError(await get('/v1/jobs/job_01JD3V9X8M4Q2W7RZK5T0B6N1C/events'), 404, 'not_found_error', 'not_found', 'id');
    await expectError(await get('/v1/jobs/nope/events'), 404, 'not_found_error', 'not_found', 'id');
    await expectError(await get(`/v1/jobs/${job.id}/events`, {}, otherKey), 404, 'not_found_error', 'not_found', 'id');
  });

  it('answers 401 without a key or with an unknown one', async () => {
    const job = makeJob('acme', null);
    expect(await stack.table.createJob(job)).toBe(true);
    expect((await get(`/v1/jobs/${job.id}/events`, {}, null)).status).toBe(401);
    expect((await get(`/v1/jobs/${job.id}/events`, {}, 'sk_test_revoked')).status).toBe(401);
  });

  it('answers 400 for a Last-Event-ID that is not one of the job events', async () => {
    const job = makeJob('acme', null, { eventSequence: 3 });
    const other = makeJob('acme', null, { eventSequence: 3 });
    expect(await stack.table.createJob(job)).toBe(true);
    for (const garbage of ['garbage', 'evt_', await deriveEventId(other.id, 2), await deriveEventId(job.id, 4), 'x'.repeat(5000)]) {
      await expectError(await get(`/v1/jobs/${job.id}/events`, { 'last-event-id': garbage }), 400, 'invalid_request_error', 'invalid_last_event_id', 'Last-Event-ID');
    }
  });
});
