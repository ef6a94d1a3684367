// Job rows against dynalite: conditional create, newest-first pages, and status races with one winner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../errors.js';
import { createIdGenerator } from '../ids.js';
import type { JobRecord } from '../job.js';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

let clock = Date.parse('2026-01-01T00:00:00Z');
const ids = createIdGenerator({ now: () => clock });

function job(tenant: string, overrides: Partial<JobRecord> = {}): JobRecord {
  clock += 1000;
  const id = ids.next('job');
  return {
    id,
    tenant,
    model: 'nexus-mini',
    status: 'queued',
    createdAt: new Date(clock).toISOString(),
    startedAt: null,
    completedAt: null,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image', key: `inputs/${tenant}/${id}/0.png`, mediaType: 'image/png', width: 64, height: 64 },
          { type: 'text', text: 'Make the circle blue.' },
        ],
      },
    ],
    output: { modalities: ['image'], format: 'png', n: 1 },
    params: { seed: 7, steps: 20, guidance: 3, temperature: 0, topP: 1, maxTokens: 64 },
    webhook: { url: 'http://127.0.0.1:9/hooks', events: ['job.succeeded'] },
    metadata: { order: 'A-17' },
    progress: null,
    result: null,
    error: null,
    usage: null,
    cancelRequested: false,
    eventSequence: 0,
    deadline: new Date(clock + 3_600_000).toISOString(),
    ...overrides,
  };
}

describe('createJob / getJob', () => {
  it('stores every field and reads it back unchanged', async () => {
    const record = job('t-create');
    expect(await stack.table.createJob(record)).toBe(true);
    expect(await stack.table.getJob('t-create', record.id)).toEqual(record);
  });

  it('refuses a second create with the same id and keeps the first row', async () => {
    const record = job('t-create');
    expect(await stack.table.createJob(record)).toBe(true);
    expect(await stack.table.createJob({ ...record, model: 'other' })).toBe(false);
    expect((await stack.table.getJob('t-create', record.id))?.model).toBe('nexus-mini');
  });

  it("does not find another tenant's job", async () => {
    const record = job('t-owner');
    await stack.table.createJob(record);
    expect(await stack.table.getJob('t-other', record.id)).toBeNull();
  });

  it('keeps empty strings and an empty metadata map', async () => {
    const record = job('t-create', { messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }], metadata: {} });
    await stack.table.createJob(record);
    expect(await stack.table.getJob('t-create', record.id)).toEqual(record);
  });
});

describe('listJobs', () => {
  it('pages newest first and ends with a null cursor', async () => {
    const created = [job('t-list'), job('t-list'), job('t-list'), job('t-list'), job('t-list')];
    for (const record of created) await stack.table.createJob(record);
    await stack.table.claimIdempotencyKey('t-list', 'k1', { bodyHash: 'h', jobId: created[0]?.id ?? '' }, 60);
    const newestFirst = created.map((r) => r.id).reverse();
    const seen: string[][] = [];
    let cursor: string | null = null;
    do {
      const page = await stack.table.listJobs('t-list', { limit: 2, cursor });
      seen.push(page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
  });

  it('gives no cursor when the last page is exactly full', async () => {
    for (let i = 0; i < 4; i += 1) await stack.table.createJob(job('t-even'));
    const first = await stack.table.listJobs('t-even', { limit: 2, cursor: null });
    const second = await stack.table.listJobs('t-even', { limit: 2, cursor: first.nextCursor });
    expect([first.items.length, second.items.length, second.nextCursor]).toEqual([2, 2, null]);
  });

  it("rejects a malformed cursor and another tenant's cursor", async () => {
    for (let i = 0; i < 3; i += 1) await stack.table.createJob(job('t-cur'));
    const page = await stack.table.listJobs('t-cur', { limit: 1, cursor: null });
    expect(page.nextCursor).not.toBeNull();
    await expect(stack.table.listJobs('t-stranger', { limit: 1, cursor: page.nextCursor })).rejects.toMatchObject({
      code: 'invalid_cursor',
      status: 400,
    });
    await expect(stack.table.listJobs('t-cur', { limit: 1, cursor: 'not-base64-json' })).rejects.toBeInstanceOf(PlatformError);
  });

  it('returns an empty page for a tenant with no jobs', async () => {
    expect(await stack.table.listJobs('t-none', { limit: 10, cursor: null })).toEqual({ items: [], nextCursor: null });
  });
});

describe('transition', () => {
  it('lets exactly one of two concurrent queued → running transitions win', async () => {
    const record = job('t-race');
    await stack.table.createJob(record);
    const results = await Promise.all([
      stack.table.transition('t-race', record.id, ['queued'], 'running', { startedAt: '2026-01-01T00:00:01.000Z' }),
      stack.table.transition('t-race', record.id, ['queued'], 'running', { startedAt: '2026-01-01T00:00:02.000Z' }),
    ]);
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(await stack.table.getJob('t-race', record.id)).toEqual(winners[0]);
    expect(winners[0]?.status).toBe('running');
  });

  it('lets a cancel and a finish race with one winner and the loser seeing null', async () => {
    const record = job('t-race', { status: 'running' });
    await stack.table.createJob(record);
    const [finished, canceled] = await Promise.all([
      stack.table.transition('t-race', record.id, ['running'], 'succeeded', {
        completedAt: '2026-01-01T00:01:00.000Z',
        result: { text: 'ok', images: [] },
        usage: { inputTokens: 3, outputTokens: 2, images: 0, computeMs: 40, billable: true, costUsdMicros: 2, priceVersion: '2026-12-01' },
      }),
      stack.table.transition('t-race', record.id, ['queued', 'running'], 'canceled', { completedAt: '2026-01-01T00:01:00.000Z' }),
    ]);
    expect([finished, canceled].filter((r) => r !== null)).toHaveLength(1);
    const final = await stack.table.getJob('t-race', record.id);
    expect(final?.status).toBe(finished ? 'succeeded' : 'canceled');
  });

  it('applies the patch fields and leaves the others alone', async () => {
    const record = job('t-patch', { status: 'running' });
    await stack.table.createJob(record);
    const error = { type: 'invalid_image', message: 'bad png', retryable: false };
    const updated = await stack.table.transition('t-patch', record.id, ['running'], 'failed', { error, completedAt: '2026-01-02T00:00:00.000Z' });
    expect(updated).toEqual({ ...record, status: 'failed', error, completedAt: '2026-01-02T00:00:00.000Z' });
  });

  it('returns null from the wrong status, for an unknown job, and never creates a row', async () => {
    const record = job('t-patch', { status: 'succeeded' });
    await stack.table.createJob(record);
    expect(await stack.table.transition('t-patch', record.id, ['queued', 'running'], 'canceled')).toBeNull();
    expect(await stack.table.transition('t-patch', 'job_missing', ['queued'], 'running')).toBeNull();
    expect(await stack.table.getJob('t-patch', 'job_missing')).toBeNull();
    expect(await stack.table.transition('t-patch', record.id, [], 'canceled')).toBeNull();
  });
});

describe('claimRun', () => {
  it('claims a queued job once per attempt and lets only a later attempt take over', async () => {
    const record = job('t-claim');
    await stack.table.createJob(record);
    const first = await Promise.all([stack.table.claimRun('t-claim', record.id, 1), stack.table.claimRun('t-claim', record.id, 1)]);
    expect(first.filter((r) => r !== null).map((r) => [r?.status, r?.attempt])).toEqual([['running', 1]]);
    expect(await stack.table.claimRun('t-claim', record.id, 1)).toBeNull();
    const takeover = await stack.table.claimRun('t-claim', record.id, 3, { startedAt: '2026-01-01T00:00:09.000Z' });
    expect([takeover?.attempt, takeover?.startedAt]).toEqual([3, '2026-01-01T00:00:09.000Z']);
    expect(await stack.table.claimRun('t-claim', record.id, 2)).toBeNull();
  });

  it('takes over a running job that has no recorded attempt, and never a finished one', async () => {
    const running = job('t-claim', { status: 'running' });
    const done = job('t-claim', { status: 'succeeded' });
    await stack.table.createJob(running);
    await stack.table.createJob(done);
    expect((await stack.table.claimRun('t-claim', running.id, 1))?.attempt).toBe(1);
    expect(await stack.table.claimRun('t-claim', done.id, 9)).toBeNull();
    expect(await stack.table.claimRun('t-claim', 'job_missing', 1)).toBeNull();
  });
});

describe('patch and nextEventSequence', () => {
  it('patches only while the status matches', async () => {
    const record = job('t-prog', { status: 'running' });
    await stack.table.createJob(record);
    const progress = { stage: 'diffusion', step: 12, total: 20 };
    expect((await stack.table.patch('t-prog', record.id, ['running'], { progress }))?.progress).toEqual(progress);
    expect(await stack.table.patch('t-prog', record.id, ['queued'], { cancelRequested: true })).toBeNull();
    expect((await stack.table.patch('t-prog', record.id, ['running'], {}))?.progress).toEqual(progress);
    expect((await stack.table.getJob('t-prog', record.id))?.cancelRequested).toBe(false);
  });

  it('hands out every sequence number exactly once under concurrency', async () => {
    const record = job('t-seq');
    await stack.table.createJob(record);
    const values = await Promise.all(Array.from({ length: 10 }, () => stack.table.nextEventSequence('t-seq', record.id)));
    expect([...values].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await stack.table.getJob('t-seq', record.id))?.eventSequence).toBe(10);
    await expect(stack.table.nextEventSequence('t-seq', 'job_missing')).rejects.toMatchObject({ status: 404 });
  });

  it('takes the next sequence inside a patch or transition that lands, and none in one that loses its condition', async () => {
    const record = job('t-bump', { status: 'running', eventSequence: 2 });
    await stack.table.createJob(record);
    const progress = { stage: 'diffusion', step: 3, total: 10 };
    const patched = await stack.table.patch('t-bump', record.id, ['running'], { progress }, { bumpSequence: true });
    expect(patched).toMatchObject({ progress, eventSequence: 3 });
    expect(await stack.table.patch('t-bump', record.id, ['queued'], { progress }, { bumpSequence: true })).toBeNull();
    expect(await stack.table.transition('t-bump', record.id, ['queued'], 'canceled', {}, { bumpSequence: true })).toBeNull();
    expect((await stack.table.getJob('t-bump', record.id))?.eventSequence).toBe(3);
    const canceled = await stack.table.transition('t-bump', record.id, ['running'], 'canceled', { progress: null }, { bumpSequence: true });
    expect(canceled).toMatchObject({ status: 'canceled', progress: null, eventSequence: 4 });
  });
});
