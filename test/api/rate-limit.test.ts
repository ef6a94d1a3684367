// Per-tenant rate limiting on the DynamoDB counter, both modes, against the local stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
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
    // Admitted requests reach the shared counter (none lost in batching; the last write lands in the background);
    // ones refused locally do not.
    const counted = await waitFor(
      async () => {
        const count = await h.stack.table.incrementRateCounter('acme', windowOf(windowSeconds), windowSeconds * 2, 0);
        return count >= 10 ? count : undefined;
      },
      10_000,
      'the admitted requests to reach the table',
    );
    expect(counted).toBe(10);
  });

  it('batched: a second instance learns the shared count from the table', async () => {
    const settings = { apiKeyPepper: 'test-pepper', rateLimitPerWindow: 6, rateWindowSeconds: 10_800, rateLimitMode: 'batched' as const };
    const first = h.appWith({ settings });
    const second = h.appWith({ settings });
    const a = [];
    for (let i = 0; i < 4; i += 1) a.push((await get(first, h.otherKey)).status);
    // The first instance's last writes land in the background; the second starts once the table has all four.
    await waitFor(
      async () => ((await h.stack.table.incrementRateCounter('globex', windowOf(10_800), 21_600, 0)) >= 4 ? true : undefined),
      10_000,
      'the first four to be counted',
    );
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
