// GET /v1/usage and GET /v1/usage/export against the real local stack: jobs submitted through the API, finished
// through the job table's own transitions, and billed by the worker's countUsage (twice, as after a crash).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord, Usage } from '../../shared/job.js';
import { countUsage } from '../../workers/gpu/process-job.js';
import { startApiHarness, textJob, type ApiHarness, type JsonError } from './api-harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

const usage = (images: number, inputTokens: number, outputTokens: number, costUsdMicros: number): Usage => ({
  images,
  inputTokens,
  outputTokens,
  computeMs: 100,
  billable: true,
  costUsdMicros,
  priceVersion: '2026-12-01',
});

/** Submits a job as `tenant`, runs it through running to `status` completing at `completedAt`, and counts it. */
async function finished(tenant: 'acme' | 'globex', status: 'succeeded' | 'failed', completedAt: string, model: string, u: Usage | null): Promise<JobRecord> {
  const res = await h.call('POST', '/v1/jobs', { body: textJob(), key: tenant === 'acme' ? h.key : h.otherKey });
  const { id } = (await res.json()) as { id: string };
  await h.stack.table.transition(tenant, id, ['queued'], 'running', { startedAt: completedAt, model });
  const final = await h.stack.table.transition(tenant, id, ['running'], status, {
    completedAt,
    ...(status === 'succeeded' ? { result: { text: 'ok', images: [] }, usage: u } : { error: { type: 'model_error', message: 'boom', retryable: false } }),
  });
  if (final === null) throw new Error('transition lost');
  await countUsage(h.stack.table, final);
  await countUsage(h.stack.table, final);
  return final;
}

const get = async (path: string, key?: string) => {
  const res = await h.call('GET', path, key === undefined ? {} : { key });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

let jobs: JobRecord[] = [];
beforeAll(async () => {
  jobs = [
    await finished('acme', 'succeeded', '2026-11-30T23:59:59.999Z', 'nexus-mini@1.2.0', usage(1, 30, 8, 3_004)),
    await finished('acme', 'succeeded', '2026-12-01T00:00:00.000Z', 'nexus-mini@1.2.0', usage(2, 60, 16, 6_013)),
    await finished('acme', 'succeeded', '2026-12-01T10:00:00.000Z', 'nexus-mini@2.0.0', usage(0, 40, 20, 12)),
    await finished('acme', 'succeeded', '2026-12-03T08:00:00.000Z', 'nexus-mini@2.0.0', usage(1, 30, 8, 3_004)),
    await finished('acme', 'failed', '2026-12-02T08:00:00.000Z', 'nexus-mini@2.0.0', null),
    await finished('globex', 'succeeded', '2026-12-02T08:00:00.000Z', 'nexus-mini@2.0.0', usage(4, 99, 99, 99_999)),
  ];
});

describe('GET /v1/usage', () => {
  it('sums succeeded jobs by day of completion, exactly once each, nothing for failures or other tenants', async () => {
    const res = await get('/v1/usage?from=2026-11-30&to=2026-12-03');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      object: 'usage',
      from: '2026-11-30',
      to: '2026-12-03',
      group_by: 'day',
      data: [
        { day: '2026-11-30', jobs: 1, images: 1, input_tokens: 30, output_tokens: 8, compute_ms: 100, cost_usd_micros: 3_004 },
        { day: '2026-12-01', jobs: 2, images: 2, input_tokens: 100, output_tokens: 36, compute_ms: 200, cost_usd_micros: 6_025 },
        { day: '2026-12-03', jobs: 1, images: 1, input_tokens: 30, output_tokens: 8, compute_ms: 100, cost_usd_micros: 3_004 },
      ],
      total: { jobs: 4, images: 4, input_tokens: 160, output_tokens: 52, compute_ms: 400, cost_usd_micros: 12_033 },
    });
  });

  it('groups by model, and a range takes only its days (to is inclusive)', async () => {
    const res = await get('/v1/usage?from=2026-12-01&to=2026-12-01&group_by=model');
    expect(JSON.parse(res.text)).toMatchObject({
      group_by: 'model',
      data: [
        { model: 'nexus-mini@1.2.0', jobs: 1, cost_usd_micros: 6_013 },
        { model: 'nexus-mini@2.0.0', jobs: 1, cost_usd_micros: 12 },
      ],
      total: { jobs: 2, cost_usd_micros: 6_025 },
    });
    expect(JSON.parse((await get('/v1/usage?from=2026-12-02&to=2026-12-02', h.otherKey)).text)).toMatchObject({ total: { jobs: 1, cost_usd_micros: 99_999 } });
  });

  it('refuses impossible dates, reversed and over-long ranges with the field named', async () => {
    const cases: [string, string, string][] = [
      ['/v1/usage?from=2026-02-30&to=2026-03-01', 'invalid_date', 'from'],
      ['/v1/usage?to=2026-13-01', 'invalid_date', 'to'],
      ['/v1/usage?from=2026-12-03&to=2026-12-01', 'invalid_date_range', 'from'],
      ['/v1/usage?from=2025-01-01&to=2026-12-01', 'invalid_date_range', 'from'],
      ['/v1/usage?group_by=week', 'invalid_request', 'group_by'],
    ];
    for (const [path, code, param] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      const body = JSON.parse(res.text) as JsonError;
      expect(body.error.param, path).toBe(param);
      if (code !== 'invalid_request') expect(body.error.code, path).toBe(code);
    }
    expect((await get('/v1/usage?from=2025-12-03&to=2026-12-03')).status).toBe(200);
    expect((await h.call('GET', '/v1/usage', { key: null })).status).toBe(401);
  });
});

describe('GET /v1/usage/export', () => {
  it('streams one JSON line per billed job completed in the month, oldest first', async () => {
    const res = await get('/v1/usage/export?month=2026-12');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/x-ndjson; charset=utf-8');
    expect(res.text.endsWith('\n')).toBe(true);
    const lines = res.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const billed = [jobs[1], jobs[2], jobs[3]];
    expect(lines).toEqual(
      billed.map((job) => ({
        job_id: job?.id,
        tenant: 'acme',
        model: job?.model,
        created_at: job?.createdAt,
        completed_at: job?.completedAt,
        usage: { input_tokens: job?.usage?.inputTokens, output_tokens: job?.usage?.outputTokens, images: job?.usage?.images, compute_ms: 100 },
        cost_usd_micros: job?.usage?.costUsdMicros,
        price_version: '2026-12-01',
      })),
    );
    expect(
      (await get('/v1/usage/export?month=2026-11')).text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { job_id: string }).job_id),
    ).toEqual([jobs[0]?.id]);
    expect((await get('/v1/usage/export?month=2026-10')).text).toBe('');
  });

  it('pages through more lines than one store page', async () => {
    for (let i = 0; i < 130; i += 1) {
      const at = new Date(Date.UTC(2026, 8, 1, 0, 0, i)).toISOString();
      await h.stack.table.putBillingLine({
        jobId: `job_${String(i).padStart(26, '0')}`,
        tenant: 'acme',
        model: 'nexus-mini@1.2.0',
        createdAt: at,
        completedAt: at,
        usage: usage(1, 1, 1, 2_101),
      });
    }
    const lines = (await get('/v1/usage/export?month=2026-09')).text.trimEnd().split('\n');
    expect(lines).toHaveLength(130);
    expect(new Set(lines).size).toBe(130);
  });

  it('refuses a month that is not YYYY-MM, or given twice', async () => {
    for (const query of ['month=2026-13', 'month=2026-1', 'month=', '', 'month=2026-12&month=2026-11']) {
      const res = await get(`/v1/usage/export?${query}`);
      expect(res.status, query).toBe(400);
      expect((JSON.parse(res.text) as JsonError).error).toMatchObject({ code: 'invalid_month', param: 'month' });
    }
  });
});
