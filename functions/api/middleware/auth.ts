import type { MiddlewareHandler } from 'hono';
import { PlatformError } from '../../../shared/errors.js';
import type { JobTable } from '../../../shared/ports.js';
import { hashApiKey } from '../auth-keys.js';
import type { ApiEnv } from '../deps.js';

export interface AuthOptions {
  table: JobTable;
  pepper: string;
  /** Resolved keys are cached this long per process; revocation takes effect within this time. */
  cacheSeconds: number;
  now: () => Date;
}

const unauthenticated = (code: string, message: string): PlatformError =>
  new PlatformError({ type: 'authentication_error', status: 401, code, message });

// The scheme is case-insensitive (RFC 9110 §11.1); the key is not.
const BEARER = /^Bearer +([\x21-\x7e]{1,256})$/i;

/** `Authorization: Bearer <key>` → tenant, via the hashed key in the table. */
export function apiKeyAuth(options: AuthOptions): MiddlewareHandler<ApiEnv> {
  const cache = new Map<string, { tenant: string; until: number }>();
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) throw unauthenticated('missing_api_key', 'send your API key as Authorization: Bearer <key>');
    const match = BEARER.exec(header);
    if (match === null || match[1] === undefined) throw unauthenticated('invalid_api_key', 'Authorization header must be Bearer <key>');
    const key = match[1];
    const now = options.now().getTime();
    const cached = cache.get(key);
    let tenant = cached !== undefined && cached.until > now ? cached.tenant : null;
    if (tenant === null) {
      tenant = await options.table.getTenantByApiKey(await hashApiKey(key, options.pepper));
      if (tenant === null) throw unauthenticated('invalid_api_key', 'API key is not valid');
      // Bounded so a stream of distinct valid keys cannot grow memory without limit.
      if (cache.size >= 10_000) cache.clear();
      cache.set(key, { tenant, until: now + options.cacheSeconds * 1000 });
    }
    c.set('tenant', tenant);
    await next();
  };
}
