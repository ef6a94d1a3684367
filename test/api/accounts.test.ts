// Accounts against the real local stack: the operator API (admin keys only), self-service keys (shown once,
// listed without secrets, revoked at once), expiry, suspension and per-tenant rate limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAdminKey } from '../../infra/api-keys.js';
import { PEPPER, startApiHarness, type ApiHarness, type JsonError } from './api-harness.js';

let h: ApiHarness;
let admin: string;
beforeAll(async () => {
  h = await startApiHarness({ tenantCacheSeconds: 0 });
  admin = (await issueAdminKey({ table: h.stack.table, pepper: PEPPER, name: 'bootstrap' })).key;
});
afterAll(() => h.stop());

const call = async (method: string, path: string, key: string | null, body?: unknown) => {
  const res = await h.call(method, path, { key, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as Record<string, unknown> & JsonError };
};

describe('the operator API', () => {
  it('creates a tenant with its plan\u2019s limits, refuses a second one with the same id, and reads it back', async () => {
    const created = await call('POST', '/v1/admin/tenants', admin, { id: 'initech', name: 'Initech', plan: 'free', limits: { max_queued_jobs: 3 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: 'tenant',
      id: 'initech',
      name: 'Initech',
      status: 'active',
      plan: 'free',
      limits: { requests_per_minute: 60, max_queued_jobs: 3, monthly_spend_usd_micros: 5_000_000 },
      overrides: { max_queued_jobs: 3 },
    });
    expect((await call('POST', '/v1/admin/tenants', admin, { id: 'initech', name: 'Again' })).body.error).toMatchObject({
      type: 'conflict_error',
      code: 'tenant_exists',
    });
    expect((await call('GET', '/v1/admin/tenants/initech', admin)).body).toEqual(created.body);
    expect((await call('GET', '/v1/admin/tenants/nobody', admin)).status).toBe(404);
  });

  it('is closed to customer keys (403 permission_denied), and admin keys open nothing else', async () => {
    expect((await call('GET', '/v1/admin/tenants/initech', h.key)).body.error).toMatchObject({ type: 'permission_error', code: 'permission_denied' });
    expect((await call('POST', '/v1/admin/tenants', h.key, { id: 'evil', name: 'x' })).status).toBe(403);
    expect((await call('GET', '/v1/jobs', admin)).body.error).toMatchObject({ type: 'permission_error', code: 'permission_denied' });
    expect((await call('GET', '/v1/admin/tenants/initech', null)).status).toBe(401);
  });

  it('refuses bad tenant bodies with the field named', async () => {
    const cases: [unknown, string][] = [
      [{ id: 'Bad Id', name: 'x' }, 'id'],
      [{ id: '_admin', name: 'x' }, 'id'],
      [{ id: 'ok-1', name: '' }, 'name'],
      [{ id: 'ok-2', name: 'x', plan: 'platinum' }, 'plan'],
      [{ id: 'ok-3', name: 'x', limits: { max_queued_jobs: -1 } }, 'limits.max_queued_jobs'],
      [{ id: 'ok-4', name: 'x', extra: 1 }, ''],
    ];
    for (const [body, param] of cases) {
      const res = await call('POST', '/v1/admin/tenants', admin, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      if (param !== '') expect(res.body.error.param, JSON.stringify(body)).toBe(param);
    }
  });
});

describe('keys', () => {
  let key: string;
  it('an admin issues a key for a tenant; the tenant creates more, lists them without secrets, and revokes one at once', async () => {
    const issued = await call('POST', '/v1/admin/tenants/initech/api-keys', admin, { name: 'first' });
    expect(issued.status).toBe(201);
    key = String(issued.body.key);
    expect(key).toMatch(/^sk_live_[A-Za-z0-9_-]{32}$/);
    expect(issued.body).toMatchObject({ object: 'api_key', name: 'first', prefix: key.slice(0, 14), last_used_at: null, expires_at: null });

    const second = await call('POST', '/v1/api-keys', key, { name: 'ci', expires_at: '2030-01-01T00:00:00+02:00' });
    expect(second.body.error).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ name: 'ci', expires_at: '2029-12-31T22:00:00.000Z' });
    const secondKey = String(second.body.key);
    expect((await call('GET', '/v1/models', secondKey)).status).toBe(200);

    const list = await call('GET', '/v1/api-keys', secondKey);
    const data = list.body.data as Record<string, unknown>[];
    expect(data.map((k) => k.name)).toEqual(['first', 'ci']);
    expect(JSON.stringify(list.body)).not.toContain(key.slice(14));
    expect(JSON.stringify(list.body)).not.toContain(secondKey.slice(14));
    expect(data.every((k) => !('key' in k))).toBe(true);
    // Both were used by now (last use is written at most once a minute per process).
    expect(data.every((k) => typeof k.last_used_at === 'string')).toBe(true);

    // Another tenant sees none of them and cannot revoke them.
    expect(((await call('GET', '/v1/api-keys', h.key)).body.data as unknown[]).length).toBe(0);
    expect((await call('DELETE', `/v1/api-keys/${String(second.body.id)}`, h.key)).status).toBe(404);

    const revoked = await call('DELETE', `/v1/api-keys/${String(second.body.id)}`, key);
    expect(revoked).toEqual({ status: 200, body: { object: 'api_key', id: second.body.id, deleted: true } });
    // The very next request with it fails.
    expect((await call('GET', '/v1/models', secondKey)).body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    expect((await call('DELETE', `/v1/api-keys/${String(second.body.id)}`, key)).status).toBe(404);
    expect((await call('DELETE', '/v1/api-keys/not-an-id', key)).status).toBe(404);
  });

  it('refuses key names that would spoof a list: control and bidi-override characters, unpaired surrogates', async () => {
    for (const name of ['a\u0000b', '\u202eevil', 'line\nbreak', '\ud800']) {
      const res = await call('POST', '/v1/api-keys', key, { name });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body.error.param).toBe('name');
    }
    expect((await call('POST', '/v1/api-keys', key, { name: 'CI \u2014 déploiement 🚀' })).status).toBe(201);
  });

  it('refuses an expiry in the past, and an expired key is 401 api_key_expired', async () => {
    expect((await call('POST', '/v1/api-keys', key, { name: 'old', expires_at: '2020-01-01T00:00:00Z' })).body.error).toMatchObject({
      code: 'invalid_expiry',
      param: 'expires_at',
    });
    expect((await call('POST', '/v1/api-keys', key, { name: 'x', expires_at: 'tomorrow' })).body.error).toMatchObject({ param: 'expires_at' });
    const soon = new Date(Date.now() + 60_000).toISOString();
    const short = String((await call('POST', '/v1/api-keys', key, { name: 'short', expires_at: soon })).body.key);
    const later = h.appWith({ now: () => new Date(Date.now() + 120_000), settings: { apiKeyPepper: PEPPER, tenantCacheSeconds: 0 } });
    const res = await later.request('/v1/models', { headers: { authorization: `Bearer ${short}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as JsonError).error.code).toBe('api_key_expired');
  });

  it('a suspended tenant\u2019s keys get 403 account_suspended until it is resumed', async () => {
    const suspended = await call('PATCH', '/v1/admin/tenants/initech', admin, { status: 'suspended' });
    expect(suspended.body).toMatchObject({ status: 'suspended' });
    expect((await call('GET', '/v1/models', key)).body.error).toMatchObject({ type: 'permission_error', code: 'account_suspended' });
    await call('PATCH', '/v1/admin/tenants/initech', admin, { status: 'active' });
    expect((await call('GET', '/v1/models', key)).status).toBe(200);
  });

  it('holds a tenant to 100 keys even when they are created in parallel', async () => {
    await call('POST', '/v1/admin/tenants', admin, { id: 'many-keys', name: 'Many', plan: 'enterprise' });
    const first = String((await call('POST', '/v1/admin/tenants/many-keys/api-keys', admin, { name: 'k0' })).body.key);
    const replies = await Promise.all(Array.from({ length: 110 }, (_, i) => call('POST', '/v1/api-keys', first, { name: `k${i + 1}` })));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(99);
    expect(replies.filter((r) => r.status === 400).every((r) => r.body.error.code === 'too_many_api_keys')).toBe(true);
    expect(((await call('GET', '/v1/api-keys', first)).body.data as unknown[]).length).toBe(100);
    // Revoking one makes room for exactly one more.
    const listed = (await call('GET', '/v1/api-keys', first)).body.data as { id: string; name: string }[];
    const victim = listed.find((k) => k.name !== 'k0');
    expect((await call('DELETE', `/v1/api-keys/${victim?.id ?? ''}`, first)).status).toBe(200);
    expect((await call('POST', '/v1/api-keys', first, { name: 'again' })).status).toBe(201);
    expect((await call('POST', '/v1/api-keys', first, { name: 'one too many' })).status).toBe(400);
  });

  it('a tenant\u2019s own rate limit applies (429 names it)', async () => {
    // A fresh tenant: the counter of this minute starts at zero.
    await call('POST', '/v1/admin/tenants', admin, { id: 'hooli', name: 'Hooli', plan: 'pro', limits: { requests_per_minute: 2 } });
    const hooli = String((await call('POST', '/v1/admin/tenants/hooli/api-keys', admin, { name: 'k' })).body.key);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await call('GET', '/v1/models', hooli)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await call('GET', '/v1/models', hooli);
    expect(limited.body.error.message).toBe('rate limit of 2 requests per 60 s exceeded');
  });
});
