// A monthly spend limit against the real local stack: a parallel burst of 50 submissions cannot pass it, every
// refusal is a 402 that names the limit and writes nothing, and a canceled job gives its reservation back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAdminKey } from '../../infra/api-keys.js';
import { PEPPER, startApiHarness, textJob, type ApiHarness, type JsonError } from './api-harness.js';

let h: ApiHarness;
let key: string;
const body = textJob('Generate an image according to the following description: a red circle', { params: { steps: 10, max_tokens: 8 } });

beforeAll(async () => {
  h = await startApiHarness({ tenantCacheSeconds: 0 });
  const admin = (await issueAdminKey({ table: h.stack.table, pepper: PEPPER, name: 'a' })).key;
  const post = (path: string, b: unknown) => h.call('POST', path, { key: admin, body: b });
  await post('/v1/admin/tenants', { id: 'capped', name: 'Capped', plan: 'free', limits: { monthly_spend_usd_micros: 40_000 } });
  key = String(((await (await post('/v1/admin/tenants/capped/api-keys', { name: 'k' })).json()) as { key: string }).key);
});
afterAll(() => h.stop());

describe('monthly spend limit', () => {
  it('a burst of 50 parallel submissions reserves at most the limit: the rest get 402 and leave nothing behind', async () => {
    const estimate = ((await (await h.call('POST', '/v1/jobs/estimate', { key, body })).json()) as { cost_usd_micros: number }).cost_usd_micros;
    expect(estimate).toBeGreaterThan(3_000);
    const fit = Math.floor(40_000 / estimate);
    const depthBefore = await h.stack.jobs.depth();
    const replies = await Promise.all(Array.from({ length: 50 }, () => h.call('POST', '/v1/jobs', { key, body })));
    const accepted = replies.filter((r) => r.status === 202);
    const refused = replies.filter((r) => r.status === 402);
    expect(accepted.length).toBe(fit);
    expect(refused.length).toBe(50 - fit);
    const error = ((await refused[0]?.json()) as JsonError).error;
    expect(error).toMatchObject({ type: 'billing_error', code: 'spend_limit_reached' });
    expect(error.message).toContain('monthly spend limit of $0.040000 (40000 micros) reached');
    const month = new Date().toISOString().slice(0, 7);
    const spend = await h.stack.table.getSpend('capped', month);
    expect(spend).toEqual({ committedMicros: fit * estimate, openReservations: fit });
    expect(spend.committedMicros).toBeLessThanOrEqual(40_000);
    // Refusals wrote no job and sent no message.
    expect((await h.stack.table.listJobs('capped', { limit: 100, cursor: null })).items).toHaveLength(fit);
    expect((await h.stack.jobs.depth()).visible - depthBefore.visible).toBe(fit);
  });

  it('canceling a queued job gives its reservation back, so the next submission fits', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const before = await h.stack.table.getSpend('capped', month);
    expect((await h.call('POST', '/v1/jobs', { key, body })).status).toBe(402);
    const { items } = await h.stack.table.listJobs('capped', { limit: 1, cursor: null });
    const id = items[0]?.id ?? '';
    expect((await h.call('POST', `/v1/jobs/${id}/cancel`, { key })).status).toBe(200);
    const after = await h.stack.table.getSpend('capped', month);
    expect(after.openReservations).toBe(before.openReservations - 1);
    expect((await h.call('POST', '/v1/jobs', { key, body })).status).toBe(202);
  });

  it('jobs submitted before a limit existed count against it once it is set (every job reserves)', async () => {
    const admin = (await issueAdminKey({ table: h.stack.table, pepper: PEPPER, name: 'b' })).key;
    const post = (path: string, b: unknown, key: string) => h.call('POST', path, { key, body: b });
    await post('/v1/admin/tenants', { id: 'later', name: 'Later', plan: 'enterprise' }, admin);
    const later = String(((await (await post('/v1/admin/tenants/later/api-keys', { name: 'k' }, admin)).json()) as { key: string }).key);
    const estimate = ((await (await post('/v1/jobs/estimate', body, later)).json()) as { cost_usd_micros: number }).cost_usd_micros;
    for (let i = 0; i < 3; i += 1) expect((await post('/v1/jobs', body, later)).status).toBe(202);
    const month = new Date().toISOString().slice(0, 7);
    expect(await h.stack.table.getSpend('later', month)).toEqual({ committedMicros: 3 * estimate, openReservations: 3 });
    await h.call('PATCH', '/v1/admin/tenants/later', { key: admin, body: { limits: { monthly_spend_usd_micros: 4 * estimate - 1 } } });
    const refused = await post('/v1/jobs', body, later);
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as JsonError).error.message).toContain(`${3 * estimate} micros are spent or reserved`);
  });

  it('an idempotent replay does not reserve twice', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const { items } = await h.stack.table.listJobs('capped', { limit: 1, cursor: null });
    await h.call('POST', `/v1/jobs/${items[0]?.id ?? ''}/cancel`, { key });
    const before = await h.stack.table.getSpend('capped', month);
    const headers = { 'idempotency-key': 'spend-once' };
    const first = await h.call('POST', '/v1/jobs', { key, body, headers });
    const second = await h.call('POST', '/v1/jobs', { key, body, headers });
    expect([first.status, second.status]).toEqual([202, 200]);
    expect((await h.stack.table.getSpend('capped', month)).openReservations).toBe(before.openReservations + 1);
  });
});
