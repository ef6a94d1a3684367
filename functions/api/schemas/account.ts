// Wire shapes of API keys and tenants (snake_case), and their mapping from the stored records.
import { z } from '@hono/zod-openapi';
import { TENANT_STATUSES, type ApiKeyRecord, type Tenant } from '../../../shared/accounts.js';
import { effectiveLimits, PLAN_NAMES, type TenantLimits } from '../../../shared/plans.js';

/** Keys a tenant may hold at once. */
export const MAX_KEYS_PER_TENANT = 100;

export const ApiKeySchema = z
  .object({
    object: z.literal('api_key'),
    id: z.string(),
    name: z.string().nullable(),
    prefix: z.string().nullable().openapi({ description: 'The first characters of the key.' }),
    created_at: z.string().nullable(),
    last_used_at: z.string().nullable().openapi({ description: 'Updated at most once a minute.' }),
    expires_at: z.string().nullable(),
  })
  .openapi('ApiKey');

export const NewApiKeySchema = ApiKeySchema.extend({ key: z.string().openapi({ description: 'The secret: shown only in this reply.' }) }).openapi('NewApiKey');

/** No control or bidirectional-override characters and no unpaired surrogates: they spoof lists and logs. */
export function isPrintableText(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
    if (c >= 0xdc00 && c <= 0xdfff) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = value.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return false;
      i += 1;
    }
  }
  return true;
}

export const displayName = (max: number) =>
  z.string().min(1).max(max).refine(isPrintableText, { error: 'must be printable text: no control or bidirectional-override characters' });

export const CreateKeyBodySchema = z
  .object({
    name: displayName(64),
    expires_at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'ISO 8601; in the future, at most 10 years ahead. Default: never.' }),
  })
  .strict();

export function toApiKey(key: ApiKeyRecord & { id: string }) {
  return {
    object: 'api_key' as const,
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    created_at: key.createdAt,
    last_used_at: key.lastUsedAt,
    expires_at: key.expiresAt,
  };
}

const LimitsSchema = z.object({
  requests_per_minute: z.number().int().min(1).max(1_000_000).nullable(),
  max_queued_jobs: z.number().int().min(0).max(1_000_000).nullable(),
  monthly_spend_usd_micros: z.number().int().min(0).max(1e15).nullable(),
});

export const LimitOverridesSchema = LimitsSchema.partial().strict().openapi({ description: 'Overrides of the plan\u2019s limits; null lifts a limit.' });

export const TenantSchema = z
  .object({
    object: z.literal('tenant'),
    id: z.string(),
    name: z.string(),
    status: z.enum(TENANT_STATUSES),
    plan: z.enum(PLAN_NAMES),
    limits: LimitsSchema.openapi({ description: 'In force: the plan\u2019s, with the overrides on top.' }),
    overrides: LimitOverridesSchema,
    created_at: z.string(),
  })
  .openapi('Tenant');

const wireLimits = (limits: Partial<TenantLimits>) => ({
  ...(limits.requestsPerMinute === undefined ? {} : { requests_per_minute: limits.requestsPerMinute }),
  ...(limits.maxQueuedJobs === undefined ? {} : { max_queued_jobs: limits.maxQueuedJobs }),
  ...(limits.monthlySpendMicros === undefined ? {} : { monthly_spend_usd_micros: limits.monthlySpendMicros }),
});

export function fromWireLimits(limits: z.infer<typeof LimitOverridesSchema>): Partial<TenantLimits> {
  return {
    ...(limits.requests_per_minute === undefined ? {} : { requestsPerMinute: limits.requests_per_minute }),
    ...(limits.max_queued_jobs === undefined ? {} : { maxQueuedJobs: limits.max_queued_jobs }),
    ...(limits.monthly_spend_usd_micros === undefined ? {} : { monthlySpendMicros: limits.monthly_spend_usd_micros }),
  };
}

export function toTenantResource(tenant: Tenant) {
  const effective = effectiveLimits(tenant.plan, tenant.limits);
  return {
    object: 'tenant' as const,
    id: tenant.id,
    name: tenant.name,
    status: tenant.status,
    plan: tenant.plan,
    limits: { requests_per_minute: effective.requestsPerMinute, max_queued_jobs: effective.maxQueuedJobs, monthly_spend_usd_micros: effective.monthlySpendMicros },
    overrides: wireLimits(tenant.limits),
    created_at: tenant.createdAt,
  };
}
