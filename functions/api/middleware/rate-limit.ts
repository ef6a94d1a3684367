import type { MiddlewareHandler } from 'hono';
import { PlatformError } from '../../../shared/errors.js';
import type { JobTable } from '../../../shared/ports.js';
import type { ApiEnv } from '../deps.js';

export interface RateLimitOptions {
  table: JobTable;
  limit: number;
  windowSeconds: number;
  now: () => Date;
}

/**
 * Fixed-window counter per tenant in DynamoDB: one atomic ADD per request, shared by every API instance
 * (an in-memory bucket would multiply the limit by the number of Lambda instances).
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const nowMs = options.now().getTime();
    const windowMs = options.windowSeconds * 1000;
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const count = await options.table.incrementRateCounter(c.get('tenant'), String(windowStart), options.windowSeconds * 2);
    const remaining = Math.max(0, options.limit - count);
    const resetSeconds = Math.max(1, Math.ceil((windowStart + windowMs - nowMs) / 1000));
    c.header('RateLimit-Limit', String(options.limit));
    c.header('RateLimit-Remaining', String(remaining));
    c.header('RateLimit-Reset', String(resetSeconds));
    if (count > options.limit) {
      throw new PlatformError({
        type: 'rate_limit_error',
        status: 429,
        code: 'rate_limited',
        message: `rate limit of ${options.limit} requests per ${options.windowSeconds} s exceeded`,
        retryable: true,
        retryAfterSeconds: resetSeconds,
      });
    }
    await next();
  };
}
