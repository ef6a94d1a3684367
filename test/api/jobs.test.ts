// Every job endpoint against the real local stack: create, get, list, cancel, idempotency, Prefer: wait.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResource } from '../../functions/api/schemas/job-resource.js';
import { STALE_CLAIM_SECONDS } from '../../functions/api/create-job.js';
import { startApiHarness, textJob, type ApiHarness, type JsonError } from './api-harness.js';
import { nearMissId } from '../support/ids.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;

describe('POST /v1/jobs', () => {
  it('accepts a messages request with 202, Location and the queued job resource', async () => {
    const res = await h.call('POST', '/v1/jobs', {
      body: textJob('Draw a red circle.', { params: { seed: 7, steps: 4 }, metadata: { order: 'A-17' } }),
    });
    expect(res.status).toBe(202);
    const job = await json<JobResource>(res);
    expect(res.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({
      object: 'job',
      model: 'nexus-mini',
      status: 'queued',
      started_at: null,
      completed_at: null,
      output: null,
      error: null,
      usage: null,
      cancel_requested: false,
      metadata: { order: 'A-17' },
      webhook: null,
    });
    expect(job.id).toMatch(/^job_[0-9A-Z]{26}$/);
    const stored = await h.stack.table.getJob('acme', job.id);
    expect(stored?.params).toEqual({ seed: 7, steps: 4, temperature: 0, topP: 1, maxTokens: 64 });
    expect(stored?.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Draw a red circle.' }] }]);
  });

  it('fills defaults: random seed, png, n=1, model decides the modality; webhook events default to terminal ones', async () => {
    const res = await h.call('POST', '/v1/jobs', { body: textJob('hi', { webhook: { url: 'https://hooks.example.com/x' } }) });
    const job = await json<JobResource>(res);
    const stored = await h.stack.table.getJob('acme', job.id);
    expect(stored?.output).toEqual({ modalities: null, format: 'png', n: 1 });
    expect(stored?.params.seed).toBeGreaterThanOrEqual(0);
    expect(stored?.webhook).toEqual({ url: 'https://hooks.example.com/x', events: ['job.succeeded', 'job.failed', 'job.canceled', 'job.expired'] });
  });
});

describe('GET /v1/jobs/:id', () => {
  it('returns the job with a best-effort queue position while queued', async () => {
    const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
    const res = await h.call('GET', `/v1/jobs/${created.id}`);
    expect(res.status).toBe(200);
    const job = await json<JobResource>(res);
    expect({ ...job, queue_position: null }).toEqual({ ...created, queue_position: null });
    expect(job.queue_position).toBeGreaterThanOrEqual(1);
  });

  it('shows a finished job with presigned output URLs that fetch the image', async () => {
    const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
    const png = new Uint8Array([1, 2, 3, 4]);
    const key = `outputs/acme/${created.id}/0.png`;
    await h.stack.objects.put(key, png, 'image/png');
    await h.stack.table.transition('acme', created.id, ['queued'], 'running', { startedAt: '2026-01-01T00:00:01.000Z' });
    await h.stack.table.transition('acme', created.id, ['running'], 'succeeded', {
      completedAt: '2026-01-01T00:00:02.000Z',
      model: 'nexus-mini@1.0.0',
      result: { text: 'Here it is.', images: [{ key, width: 64, height: 64, sha256: 'ab'.repeat(32), seed: 7, mediaType: 'image/png' }] },
      usage: { inputTokens: 12, outputTokens: 5, images: 1, computeMs: 40, billable: true, costUsdMicros: 3_004, priceVersion: '2026-12-01' },
    });
    const job = await json<JobResource>(await h.call('GET', `/v1/jobs/${created.id}`));
    expect(job).toMatchObject({
      status: 'succeeded',
      model: 'nexus-mini@1.0.0',
      queue_position: null,
      usage: { input_tokens: 12, output_tokens: 5, images: 1, compute_ms: 40, billable: true, cost_usd_micros: 3_004, price_version: '2026-12-01' },
      output: {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Here it is.' },
          { type: 'image_url', width: 64, height: 64, seed: 7 },
        ],
      },
    });
    const part = job.output?.content[1];
    if (part?.type !== 'image_url') throw new Error('expected an image part');
    expect(Date.parse(part.image_url.expires_at)).toBeGreaterThan(Date.now());
    const fetched = await fetch(part.image_url.url);
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(png);
  });

  it("another tenant's job id, a malformed id and a missing id are all 404 not_found_error", async () => {
    const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
    for (const [path, key] of [
      [`/v1/jobs/${created.id}`, h.otherKey],
      ['/v1/jobs/job_nope', h.key],
      ['/v1/jobs/job_01ZZZZZZZZZZZZZZZZZZZZZZZZ', h.key],
      [`/v1/jobs/${nearMissId(created.id, '0')}`, h.key],
    ] as const) {
      const res = await h.call('GET', path, { key });
      expect(res.status).toBe(404);
      expect((await json<JsonError>(res)).error).toMatchObject({ type: 'not_found_error', code: 'not_found', param: 'id' });
    }
    expect((await h.call('POST', `/v1/jobs/${created.id}/cancel`, { key: h.otherKey })).status).toBe(404);
    expect((await h.stack.table.getJob('acme', created.id))?.status).toBe('queued');
  });
});

describe('GET /v1/jobs (pagination)', () => {
  it("lists only the caller's jobs, newest first, across pages with next_cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob(`n${i}`), key: h.otherKey }))).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
      const page = await json<{ object: string; data: JobResource[]; has_more: boolean; next_cursor: string | null }>(
        await h.call('GET', `/v1/jobs${query}`, { key: h.otherKey }),
      );
      expect(page.object).toBe('list');
      expect(page.has_more).toBe(page.next_cursor !== null);
      seen.push(...page.data.map((j) => j.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('rejects a bad limit and a forged cursor with 400 and the query param', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=2.5', 'limit=abc', 'limit=5&limit=7']) {
      const bad = await h.call('GET', `/v1/jobs?${query}`);
      expect(bad.status).toBe(400);
      expect((await json<JsonError>(bad)).error).toMatchObject({ type: 'invalid_request_error', param: 'limit', message: 'limit: must be one integer from 1 to 100' });
    }
    const forged = await h.call('GET', '/v1/jobs?cursor=not-a-cursor');
    expect(forged.status).toBe(400);
    expect((await json<JsonError>(forged)).error).toMatchObject({ code: 'invalid_cursor', param: 'cursor' });
    // A valid cursor of another tenant does not leak its rows.
    const page = await json<{ next_cursor: string | null }>(await h.call('GET', '/v1/jobs?limit=1', { key: h.otherKey }));
    const stolen = await h.call('GET', `/v1/jobs?cursor=${encodeURIComponent(page.next_cursor ?? '')}`);
    expect(stolen.status).toBe(400);
    // Well-formed, own tenant, but a sort key longer than DynamoDB accepts in a start key (was a 500).
    const long = Buffer.from(JSON.stringify({ pk: 'TENANT#acme', sk: `JOB#${'a'.repeat(1400)}` })).toString('base64url');
    const tooLong = await h.call('GET', `/v1/jobs?cursor=${long}`);
    expect(tooLong.status).toBe(400);
    expect((await json<JsonError>(tooLong)).error).toMatchObject({ code: 'invalid_cursor', param: 'cursor' });
  });
});

describe('POST /v1/jobs/:id/cancel', () => {
  it('cancels a queued job at once', async () => {
    const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
    const res = await h.call('POST', `/v1/jobs/${created.id}/cancel`);
    expect(res.status).toBe(200);
    const job = await json<JobResource>(res);
    expect(job.status).toBe('canceled');
    expect(job.completed_at).not.toBeNull();
  });

  it('asks a running job to stop (cancel_requested) and leaves the status to the worker', async () => {
    const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
    await h.stack.table.transition('acme', created.id, ['queued'], 'running', { startedAt: new Date().toISOString() });
    const job = await json<JobResource>(await h.call('POST', `/v1/jobs/${created.id}/cancel`));
    expect(job).toMatchObject({ status: 'running', cancel_requested: true });
    expect((await h.stack.table.getJob('acme', created.id))?.cancelRequested).toBe(true);
  });

  it('reports a finished job unchanged', async () => {
    const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
    await h.stack.table.transition('acme', created.id, ['queued'], 'failed', {
      completedAt: new Date().toISOString(),
      error: { type: 'invalid_image', message: 'x', retryable: false },
    });
    const job = await json<JobResource>(await h.call('POST', `/v1/jobs/${created.id}/cancel`));
    expect(job).toMatchObject({ status: 'failed', cancel_requested: false, error: { type: 'invalid_image' } });
  });

  it('a cancel racing a worker start: exactly one consistent outcome, repeated 10 times', async () => {
    for (let i = 0; i < 10; i += 1) {
      const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
      const [reply, started] = await Promise.all([
        h.call('POST', `/v1/jobs/${created.id}/cancel`).then((r) => json<JobResource>(r)),
        h.stack.table.transition('acme', created.id, ['queued'], 'running', { startedAt: new Date().toISOString() }),
      ]);
      const final = await h.stack.table.getJob('acme', created.id);
      if (started === null) {
        expect(reply.status).toBe('canceled');
        expect(final?.status).toBe('canceled');
      } else {
        expect(reply).toMatchObject({ status: 'running', cancel_requested: true });
        expect(final).toMatchObject({ status: 'running', cancelRequested: true });
      }
    }
  });

  it('two concurrent cancels of a queued job both report it canceled', async () => {
    const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
    const replies = await Promise.all([1, 2].map(() => h.call('POST', `/v1/jobs/${created.id}/cancel`).then((r) => json<JobResource>(r))));
    expect(replies.map((r) => r.status)).toEqual(['canceled', 'canceled']);
  });
});

describe('Idempotency-Key', () => {
  it('same key + same body → the same job (200, Idempotent-Replayed); one row, one message', async () => {
    const before = (await h.stack.jobs.depth()).visible;
    const body = { model: 'nexus-mini', messages: [{ role: 'user', content: 'idem' }], params: { seed: 1 } };
    const first = await h.call('POST', '/v1/jobs', { body, headers: { 'idempotency-key': 'k-1' } });
    // Whitespace and field order do not make a different body.
    const reordered = { params: body.params, messages: body.messages, model: body.model };
    const second = await h.call('POST', '/v1/jobs', { body: JSON.stringify(reordered, null, 2), headers: { 'idempotency-key': 'k-1' } });
    expect([first.status, second.status]).toEqual([202, 200]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await json<JobResource>(second)).id).toBe((await json<JobResource>(first)).id);
    expect((await h.stack.jobs.depth()).visible).toBe(before + 1);
  });

  it('same key + different body → 409 conflict_error; the key is per tenant', async () => {
    await h.call('POST', '/v1/jobs', { body: textJob('a'), headers: { 'idempotency-key': 'k-2' } });
    const res = await h.call('POST', '/v1/jobs', { body: textJob('b'), headers: { 'idempotency-key': 'k-2' } });
    expect(res.status).toBe(409);
    expect((await json<JsonError>(res)).error).toMatchObject({ type: 'conflict_error', code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    const other = await h.call('POST', '/v1/jobs', { body: textJob('b'), headers: { 'idempotency-key': 'k-2' }, key: h.otherKey });
    expect(other.status).toBe(202);
  });

  it('two concurrent requests with the same key create one job', async () => {
    const body = textJob('concurrent');
    const replies = await Promise.all(Array.from({ length: 6 }, () => h.call('POST', '/v1/jobs', { body, headers: { 'idempotency-key': 'k-3' } })));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 202]);
    const ids = new Set(await Promise.all(replies.map(async (r) => (await json<JobResource>(r)).id)));
    expect(ids.size).toBe(1);
  });

  it('a claim left by a request that died before writing its row blocks the key (409) until it is stale, then a retry takes it over', async () => {
    const body = textJob('died mid-request');
    const headers = { authorization: `Bearer ${h.key}`, 'content-type': 'application/json', 'idempotency-key': 'k-dead' };
    // The first request claims the key and then hangs in its SQS send forever, as a process that died there.
    let reachedSend: () => void = () => undefined;
    const claimed = new Promise<void>((resolve) => (reachedSend = resolve));
    const hung = h.appWith({
      queue: {
        ...h.stack.jobs,
        send: () => {
          reachedSend();
          return new Promise<void>(() => undefined);
        },
      },
    });
    void hung.request('/v1/jobs', { method: 'POST', headers, body: JSON.stringify(body) });
    await claimed;

    const fresh = await h.call('POST', '/v1/jobs', { body, headers: { 'idempotency-key': 'k-dead' } });
    expect(fresh.status).toBe(409);
    expect((await json<JsonError>(fresh)).error).toMatchObject({ code: 'idempotency_request_in_progress', param: 'Idempotency-Key' });

    // The same retry, STALE_CLAIM_SECONDS later: it takes the key over and creates the job.
    const later = h.appWith({ now: () => new Date(Date.now() + (STALE_CLAIM_SECONDS + 5) * 1000) });
    const takeover = await later.request('/v1/jobs', { method: 'POST', headers, body: JSON.stringify(body) });
    expect(takeover.status).toBe(202);
    const job = await json<JobResource>(takeover);
    expect(job.status).toBe('queued');
    const replay = await h.call('POST', '/v1/jobs', { body, headers: { 'idempotency-key': 'k-dead' } });
    expect(replay.status).toBe(200);
    expect((await json<JobResource>(replay)).id).toBe(job.id);
  });

  it('rejects a malformed key', async () => {
    const res = await h.call('POST', '/v1/jobs', { body: textJob(), headers: { 'idempotency-key': 'x'.repeat(256) } });
    expect(res.status).toBe(400);
    expect((await json<JsonError>(res)).error.param).toBe('Idempotency-Key');
  });
});

describe('Prefer: wait', () => {
  it('holds the reply until the job finishes, then answers 200 with the final job', async () => {
    const started = Date.now();
    // wait=10 with the job finished within 8 s: a reply before 10 s came from the finish, not the time running out.
    const pending = h.call('POST', '/v1/jobs', { body: textJob('wait'), headers: { prefer: 'wait=10' } });
    // Play the worker: finish whichever job appears.
    let finished = false;
    while (!finished && Date.now() - started < 8000) {
      const page = await h.stack.table.listJobs('acme', { limit: 1, cursor: null });
      const job = page.items[0];
      if (job?.status === 'queued' && job.messages[0]?.content[0]?.type === 'text' && job.messages[0].content[0].text === 'wait') {
        finished =
          (await h.stack.table.transition('acme', job.id, ['queued'], 'succeeded', { completedAt: new Date().toISOString(), result: { text: 'done', images: [] } })) !==
          null;
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=10');
    expect(await json<JobResource>(res)).toMatchObject({ status: 'succeeded', output: { content: [{ type: 'text', text: 'done' }] } });
    expect(Date.now() - started).toBeLessThan(9500);
  });

  it('gives up after N seconds and still returns the job id (202)', async () => {
    const started = Date.now();
    const res = await h.call('POST', '/v1/jobs', { body: textJob(), headers: { prefer: 'wait=1' } });
    const elapsed = Date.now() - started;
    expect(res.status).toBe(202);
    expect((await json<JobResource>(res)).status).toBe('queued');
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    // Well under the 60 s cap, with room for a loaded host's submit.
    expect(elapsed).toBeLessThan(6000);
  });

  it('works on GET too, and caps N at 60', async () => {
    const created = await json<JobResource>(await h.call('POST', '/v1/jobs', { body: textJob() }));
    await h.stack.table.transition('acme', created.id, ['queued'], 'canceled', { completedAt: new Date().toISOString() });
    const res = await h.call('GET', `/v1/jobs/${created.id}`, { headers: { prefer: 'respond-async, wait=600' } });
    expect(res.headers.get('preference-applied')).toBe('wait=60');
    expect((await json<JobResource>(res)).status).toBe('canceled');
  });
});
