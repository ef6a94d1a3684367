// When to try a failed webhook delivery again (docs/architecture.md §4.4): about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
// 10 h, with jitter so endpoints that failed together are not retried together.

/** Seconds to wait after failed attempt n (index n-1); after the last entry the delivery gives up. */
export const RETRY_SCHEDULE_SECONDS: readonly number[] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];

/** SQS's largest DelaySeconds: longer waits hop through the queue in steps of at most this. */
export const MAX_SQS_DELAY_SECONDS = 15 * 60;

/** A Retry-After longer than the schedule's longest wait is capped there. */
export const MAX_RETRY_AFTER_SECONDS = 10 * 3600;

export interface BackoffOptions {
  schedule?: readonly number[];
  /** Multiplies the schedule (tests use e.g. 0.001); Retry-After is honoured as sent, never scaled. */
  scale?: number;
  /** ±fraction of random spread; 0.2 means 80 %–120 % of the scheduled wait. */
  jitter?: number;
  random?: () => number;
}

/**
 * Seconds to wait before the attempt after failed attempt `failedAttempt`, or null when the schedule is
 * exhausted. A Retry-After from the endpoint replaces the scheduled wait.
 */
export function retryDelaySeconds(failedAttempt: number, retryAfterSeconds: number | null, options: BackoffOptions = {}): number | null {
  const schedule = options.schedule ?? RETRY_SCHEDULE_SECONDS;
  const base = schedule[failedAttempt - 1];
  if (base === undefined) return null;
  if (retryAfterSeconds !== null) return Math.min(Math.max(retryAfterSeconds, 0), MAX_RETRY_AFTER_SECONDS);
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  return base * (options.scale ?? 1) * (1 - jitter + 2 * jitter * random());
}

/** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, (at - now.getTime()) / 1000);
}
