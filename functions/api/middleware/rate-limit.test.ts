// Batched rate counting with a flush interval, against the local stack's real table: writes for one tenant
// are spaced by the interval, and every admitted request still reaches the shared counter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobTable } from '../../../shared/ports.js';
import { startApiHarness, type ApiHarness } from '../../../test/api/api-harness.js';
import { sleep, waitFor } from '../../../test/support/wait.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

/** The real table; only the times of its counter writes are noted. */
function watchedTable(): { table: JobTable; writes: { at: number; by: number }[] } {
  const writes: { at: number; by: number }[] = [];
  const real = h.stack.table;
  return {
    writes,
    table: {
      ...real,
      incrementRateCounter: (tenant, window, ttlSeconds, by) => {
        writes.push({ at: performance.now(), by: by ?? 1 });
        return real.incrementRateCounter(tenant, window, ttlSeconds, by);
      },
    },
  };
}

describe('rate limit, batched with a flush interval', () => {
  it('spaces the writes of one tenant by the interval and loses no admitted request', async () => {
    const windowSeconds = 14_400;
    const { table, writes } = watchedTable();
    const app = h.appWith({
      jobs: table,
      settings: { apiKeyPepper: 'test-pepper', rateLimitPerWindow: 1_000_000, rateWindowSeconds: windowSeconds, rateLimitMode: 'batched', rateFlushIntervalMs: 150 },
    });
    const started = performance.now();
    let sent = 0;
    // The limit is far above what 500 ms can send, so every request is admitted however fast the host is.
    while (performance.now() - started < 500) {
      const reply = await app.request('/v1/models', { headers: { authorization: `Bearer ${h.key}` } });
      expect(reply.status).toBe(200);
      sent += 1;
    }
    const window = `${windowSeconds}s@${Math.floor(Date.now() / (windowSeconds * 1000)) * windowSeconds * 1000}`;
    // The last batch is written up to one interval after the last request; wait until the table has it all.
    await waitFor(async () => (await h.stack.table.incrementRateCounter('acme', window, windowSeconds * 2, 0)) >= sent, 10_000, 'every admitted request in the table');
    const gaps = writes.slice(1).map((write, i) => write.at - (writes[i]?.at ?? 0));
    expect(gaps.filter((gap) => gap < 150)).toEqual([]);
    // At most one write per interval (plus the first, at once) in the time the requests took and drained.
    expect(writes.length).toBeLessThanOrEqual(Math.ceil((performance.now() - started) / 150) + 1);
    expect(writes.reduce((sum, write) => sum + write.by, 0)).toBe(sent);
    expect(await h.stack.table.incrementRateCounter('acme', window, windowSeconds * 2, 0)).toBe(sent);
  });

  it('without an interval (the default) writes again as soon as the last write returns', async () => {
    const { table, writes } = watchedTable();
    const app = h.appWith({ jobs: table, settings: { apiKeyPepper: 'test-pepper', rateLimitPerWindow: 1000, rateWindowSeconds: 18_000, rateLimitMode: 'batched' } });
    for (let i = 0; i < 5; i += 1) {
      await app.request('/v1/models', { headers: { authorization: `Bearer ${h.key}` } });
      await sleep(300);
    }
    // Each request arrives after the previous write returned, so each is written on its own.
    expect(writes.map((write) => write.by)).toEqual([1, 1, 1, 1, 1]);
  });
});
