// Plans: the limits a tenant gets unless its row overrides them (README "Billing"). A tenant created before
// accounts existed (no tenant row: `npm start`'s dev tenant, keys seeded by tests) has the `legacy` plan: the
// deployment's per-minute rate limit and no other quota, exactly as before.

export interface TenantLimits {
  /** Requests per minute; null: the deployment's RATE_LIMIT_PER_MINUTE. */
  requestsPerMinute: number | null;
  /** Jobs queued at once (not yet running); null: unlimited. */
  maxQueuedJobs: number | null;
  /** Monthly spend in micro-dollars (UTC months), recorded plus reserved; null: unlimited. */
  monthlySpendMicros: number | null;
}

export const PLAN_NAMES = ['legacy', 'free', 'pro', 'enterprise'] as const;
export type PlanName = (typeof PLAN_NAMES)[number];

export const PLANS: Record<PlanName, TenantLimits> = {
  legacy: { requestsPerMinute: null, maxQueuedJobs: null, monthlySpendMicros: null },
  free: { requestsPerMinute: 60, maxQueuedJobs: 10, monthlySpendMicros: 5_000_000 },
  pro: { requestsPerMinute: 600, maxQueuedJobs: 200, monthlySpendMicros: 1_000_000_000 },
  enterprise: { requestsPerMinute: 6_000, maxQueuedJobs: 5_000, monthlySpendMicros: null },
};

/** The plan's limits with the tenant's own overrides on top (an override of null lifts that limit). */
export function effectiveLimits(plan: PlanName, overrides: Partial<TenantLimits>): TenantLimits {
  return { ...PLANS[plan], ...overrides };
}
