import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_SECONDS, parseRetryAfter, RETRY_SCHEDULE_SECONDS, retryDelaySeconds } from './backoff.js';

describe('retry schedule', () => {
  it('follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h and then gives up', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelaySeconds(n, null, { jitter: 0 }));
    expect(waits).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(retryDelaySeconds(8, null, { jitter: 0 })).toBeNull();
    expect(RETRY_SCHEDULE_SECONDS).toHaveLength(7);
  });

  it('spreads each wait by the jitter fraction', () => {
    expect(retryDelaySeconds(2, null, { random: () => 0 })).toBeCloseTo(240, 9);
    expect(retryDelaySeconds(2, null, { random: () => 1 })).toBeCloseTo(360, 9);
    expect(retryDelaySeconds(2, null, { random: () => 0.5 })).toBeCloseTo(300, 9);
  });

  it('scales the schedule but not Retry-After', () => {
    expect(retryDelaySeconds(1, null, { scale: 0.002, jitter: 0 })).toBeCloseTo(0.01, 9);
    expect(retryDelaySeconds(1, 2, { scale: 0.002, jitter: 0 })).toBe(2);
    expect(retryDelaySeconds(1, 10 ** 9)).toBe(MAX_RETRY_AFTER_SECONDS);
    expect(retryDelaySeconds(8, 2)).toBeNull();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
