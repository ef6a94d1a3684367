import type { MiddlewareHandler } from 'hono';
import { apiLog } from '../api-log.js';
import { PlatformError } from '../../../shared/errors.js';
import type { RateCounterStore } from '../../../shared/ports.js';
import { sleep } from '../../../shared/sleep.js';
import type { ApiEnv } from '../deps.js';

export interface RateLimitOptions {
  table: RateCounterStore;
  limit: number;
  windowSeconds: number;
  now: () => Date;
  /**
   * sync: every request waits for its atomic ADD in the table (exact across instances; right for Lambda,
   * which freezes a function between requests, so background writes cannot be relied on).
   * batched: a long-lived process counts locally and flushes the sum in one ADD at a time, so the table
   * costs one write per round trip instead of one per request. Other instances' counts are learnt from
   * each flush's reply, so the overshoot is bounded by what arrives during one round trip.
   */
  mode: 'sync' | 'batched';
  /**
   * batched only: at least this long between two writes for one tenant. Without it a fast table (a few ms
   * per round trip) gets one ADD per request again at a few hundred req/s; with it, at most 1000 / this
   * writes per second per tenant and process, and other instances' counts are learnt that much later.
   */
  flushIntervalMs?: number;
}

interface TenantWindow {
  windowStart: number;
  /** Count in the table as of the last reply (includes every flushed local request). */
  known: number;
  pending: number;
  inFlight: number;
  flushing: Promise<void> | null;
  /** performance.now() when the last write for this window started. */
  lastFlushAt: number;
}

const rateLimited = (limit: number, windowSeconds: number, retryAfterSeconds: number): PlatformError =>
  new PlatformError({
    type: 'rate_limit_error',
    status: 429,
    code: 'rate_limited',
    message: `rate limit of ${limit} requests per ${windowSeconds} s exceeded`,
    retryable: true,
    retryAfterSeconds,
  });

/** Fixed-window counter per tenant in DynamoDB, shared by every API instance. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<ApiEnv> {
  const windowMs = options.windowSeconds * 1000;
  const ttl = options.windowSeconds * 2;
  const windows = new Map<string, TenantWindow>();
  // The window's length is part of its key: windows of different lengths that start at the same instant
  // (a 1 h and a 2 h window at an even hour) are different counters.
  const windowKey = (windowStart: number): string => `${options.windowSeconds}s@${windowStart}`;
  const interval = options.mode === 'batched' ? Math.max(0, options.flushIntervalMs ?? 0) : 0;

  const flush = (tenant: string, w: TenantWindow): Promise<void> => {
    w.flushing ??= (async () => {
      while (w.pending > 0) {
        // The real clock, not options.now: tests move the window's clock, not time itself.
        // A timer can fire up to a millisecond early against performance.now() (Node's timers run on the event
        // loop's cached whole-millisecond clock), so the wait is checked again until the interval has truly passed.
        const remaining = (): number => w.lastFlushAt + interval - performance.now();
        for (let wait = remaining(); wait > 0; wait = remaining()) await sleep(wait);
        w.lastFlushAt = performance.now();
        const amount = w.pending;
        w.pending = 0;
        w.inFlight += amount;
        try {
          w.known = Math.max(w.known, await options.table.incrementRateCounter(tenant, windowKey(w.windowStart), ttl, amount));
        } catch (err) {
          // Fail open: a counter outage must not take the API down with it.
          apiLog('rate_counter_unavailable', { level: 'warn', cause: String(err) });
          w.known += amount;
        } finally {
          w.inFlight -= amount;
        }
      }
      w.flushing = null;
    })();
    return w.flushing;
  };

  return async (c, next) => {
    const tenant = c.get('tenant');
    // The tenant's plan may set its own rate (per minute); the legacy plan keeps the deployment's.
    const perMinute = c.get('limits').requestsPerMinute;
    const limit = perMinute === null ? options.limit : Math.max(1, Math.round((perMinute * options.windowSeconds) / 60));
    const nowMs = options.now().getTime();
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    let w = windows.get(tenant);
    if (w === undefined || w.windowStart !== windowStart) {
      if (windows.size >= 10_000) windows.clear();
      w = { windowStart, known: 0, pending: 0, inFlight: 0, flushing: null, lastFlushAt: -Infinity };
      windows.set(tenant, w);
    }
    const resetSeconds = Math.max(1, Math.ceil((windowStart + windowMs - nowMs) / 1000));
    if (w.known + w.pending + w.inFlight >= limit) throw rateLimited(limit, options.windowSeconds, resetSeconds);
    // The first request of a window in this process waits, so a fresh instance starts from the shared count.
    const first = w.known === 0 && w.inFlight === 0 && w.pending === 0;
    w.pending += 1;
    const flushed = flush(tenant, w);
    if (options.mode === 'sync' || first) await flushed;
    const count = w.known + w.pending + w.inFlight;
    if (count > limit) throw rateLimited(limit, options.windowSeconds, resetSeconds);
    c.header('RateLimit-Limit', String(limit));
    c.header('RateLimit-Remaining', String(Math.max(0, limit - count)));
    c.header('RateLimit-Reset', String(resetSeconds));
    await next();
  };
}
