// Per-tenant rate limiting on the DynamoDB counter, both modes, against the local stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

const get = (app: ApiHarness['app'], key: string) => app.request('/v1/models', { headers: { authorization: `Bearer ${key}` } });

function windowOf(seconds: number): string {
  const ms = seconds * 1000;
  return `${seconds}s@${Math.floor(Date.now() / ms) * ms}`;
}

describe('rate limit', () => {
  it.each(['sync', 'batched'] as const)('%s: 25 concurrent requests against a limit of 10 → exactly 10 pass and the table counts 10', async (mode) => {
    // A window of its own per mode, so the two cases do not share a counter.
    const windowSeconds = mode === 'sync' ? 3600 : 7200;
    const app = h.appWith({ settings: { apiKeyPepper: 'test-pepper', rateLimitPerWindow: 10, rateWindowSeconds: windowSeconds, rateLimitMode: mode } });
    const replies = await Promise.all(Array.from({ length: 25 }, () => get(app, h.key)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    const limited = replies.find((r) => r.status === 429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Admitted requests reach the shared counter (none lost in batching); ones refused locally do not.
    expect(await h.stack.table.incrementRateCounter('acme', windowOf(windowSeconds), windowSeconds * 2, 0)).toBe(10);
  });

  it('batched: a second instance learns the shared count from the table', async () => {
    const settings = { apiKeyPepper: 'test-pepper', rateLimitPerWindow: 6, rateWindowSeconds: 10_800, rateLimitMode: 'batched' as const };
    const first = h.appWith({ settings });
    const second = h.appWith({ settings });
    const a = [];
    for (let i = 0; i < 4; i += 1) a.push((await get(first, h.otherKey)).status);
    const b = [];
    for (let i = 0; i < 4; i += 1) b.push((await get(second, h.otherKey)).status);
    expect(a).toEqual([200, 200, 200, 200]);
    expect(b).toEqual([200, 200, 429, 429]);
  });

  it('fails open when the counter is unavailable', async () => {
    const app = h.appWith({ jobs: { ...h.stack.table, incrementRateCounter: () => Promise.reject(new Error('injected: table down')) } });
    expect((await get(app, h.key)).status).toBe(200);
  });
});
