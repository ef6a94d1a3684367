// When and how long to wait before retrying: 429 and 5xx replies and network errors are retried with exponential
// backoff and jitter; a Retry-After the server sent wins (capped, so a hostile or broken header cannot park a
// caller for hours).

export interface RetryOptions {
  /** Retries after the first attempt (default 2: three attempts in all). */
  maxRetries: number;
  /** First backoff (default 500 ms); doubles each retry. */
  baseDelayMs: number;
  /** Cap of one backoff and of a Retry-After (default 30 s). */
  maxDelayMs: number;
  /** Uniform [0, 1); injectable for tests. */
  random: () => number;
}

export const DEFAULT_RETRY: RetryOptions = { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 30_000, random: Math.random };

/** Statuses worth another try: timeouts, rate limits and the server's own failures. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The wait before retry number `retry` (0-based): the server's Retry-After when it gave one, else
 * base × 2^retry with "equal jitter" (half fixed, half random), so a crowd of clients spreads out.
 */
export function retryDelayMs(retry: number, retryAfter: string | null, options: RetryOptions): number {
  const asked = parseRetryAfter(retryAfter);
  if (asked !== null) return Math.min(asked, options.maxDelayMs);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return ceiling / 2 + options.random() * (ceiling / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
