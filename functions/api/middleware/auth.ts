import type { MiddlewareHandler } from 'hono';
import type { AccountStore, Tenant } from '../../../shared/accounts.js';
import { PlatformError } from '../../../shared/errors.js';
import { effectiveLimits, PLANS } from '../../../shared/plans.js';
import { hashApiKey } from '../auth-keys.js';
import type { ApiEnv } from '../deps.js';

export interface AuthOptions {
  accounts: Pick<AccountStore, 'getApiKey' | 'getTenant' | 'touchApiKey'>;
  pepper: string;
  /** Tenant rows (status, limits) are cached this long per process; keys are read on every request. */
  tenantCacheSeconds: number;
  now: () => Date;
}

const unauthenticated = (code: string, message: string): PlatformError => new PlatformError({ type: 'authentication_error', status: 401, code, message });

const forbidden = (code: string, message: string): PlatformError => new PlatformError({ type: 'permission_error', status: 403, code, message });

// The scheme is case-insensitive (RFC 9110 §11.1); the key is not.
const BEARER = /^Bearer +([\x21-\x7e]{1,256})$/i;
/** A key's last use is written at most this often per process. */
const TOUCH_INTERVAL_MS = 60_000;
const CACHE_LIMIT = 10_000;

const isAdminPath = (path: string): boolean => path === '/v1/admin' || path.startsWith('/v1/admin/');

/**
 * `Authorization: Bearer <key>` → the key's row (by its HMAC) → the tenant, its status and limits. An admin key
 * opens /v1/admin/* and nothing else; a customer key everything else. A tenant without a row (keys seeded
 * before accounts existed) is active on the legacy plan.
 */
export function tenantAuth(options: AuthOptions): MiddlewareHandler<ApiEnv> {
  const tenants = new Map<string, { tenant: Tenant | null; until: number }>();
  const touched = new Map<string, number>();

  async function tenantOf(id: string, now: number): Promise<Tenant | null> {
    const cached = tenants.get(id);
    if (cached !== undefined && cached.until > now) return cached.tenant;
    const tenant = await options.accounts.getTenant(id);
    if (tenants.size >= CACHE_LIMIT) tenants.clear();
    tenants.set(id, { tenant, until: now + options.tenantCacheSeconds * 1000 });
    return tenant;
  }

  async function touch(tenant: string, keyId: string, now: Date): Promise<void> {
    const last = touched.get(keyId) ?? -Infinity;
    if (now.getTime() - last < TOUCH_INTERVAL_MS) return;
    if (touched.size >= CACHE_LIMIT) touched.clear();
    touched.set(keyId, now.getTime());
    // Bookkeeping only: a failed write must not fail the request.
    await options.accounts.touchApiKey(tenant, keyId, now.toISOString()).catch(() => undefined);
  }

  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) throw unauthenticated('missing_api_key', 'send your API key as Authorization: Bearer <key>');
    const match = BEARER.exec(header);
    if (match === null || match[1] === undefined) throw unauthenticated('invalid_api_key', 'Authorization header must be Bearer <key>');
    const key = await options.accounts.getApiKey(await hashApiKey(match[1], options.pepper));
    if (key === null) throw unauthenticated('invalid_api_key', 'API key is not valid');
    const now = options.now();
    if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now.getTime()) throw unauthenticated('api_key_expired', `API key expired at ${key.expiresAt}`);

    const admin = isAdminPath(c.req.path);
    if (admin && key.kind !== 'admin') throw forbidden('permission_denied', 'this route needs an admin key');
    if (!admin && key.kind === 'admin') throw forbidden('permission_denied', 'an admin key opens only /v1/admin/*; use a tenant\u2019s key');

    let limits = PLANS.legacy;
    if (key.kind === 'customer') {
      const tenant = await tenantOf(key.tenant, now.getTime());
      if (tenant !== null && tenant.status === 'suspended') throw forbidden('account_suspended', `account ${key.tenant} is suspended`);
      if (tenant !== null) limits = effectiveLimits(tenant.plan, tenant.limits);
    }
    c.set('tenant', key.tenant);
    c.set('principal', { kind: key.kind, keyId: key.id });
    c.set('limits', limits);
    if (key.id !== null) await touch(key.tenant, key.id, now);
    await next();
  };
}
