// Tenants and their API keys (the accounts role of the job table). Keys are stored only as
// HMAC-SHA256(pepper, key); a key's row is found by that hash, and the tenant lists its keys by id.
import type { PlanName, TenantLimits } from './plans.js';

/** Tenant ids: lowercase, digits, '-' and '_', starting with a letter or digit (so `_admin` is never a tenant). */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Admin keys belong to this pseudo-tenant, which no customer tenant can be. */
export const ADMIN_TENANT = '_admin';

export const TENANT_STATUSES = ['active', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export interface Tenant {
  id: string;
  name: string;
  status: TenantStatus;
  plan: PlanName;
  /** Per-tenant overrides of the plan's limits. */
  limits: Partial<TenantLimits>;
  createdAt: string;
}

/** `admin` keys open only /v1/admin/*; `customer` keys open everything else, for their tenant. */
export type ApiKeyKind = 'customer' | 'admin';

export interface ApiKeyRecord {
  keyHash: string;
  tenant: string;
  kind: ApiKeyKind;
  /** Null for keys seeded before keys had ids (npm start's dev key, tests, older stages). */
  id: string | null;
  name: string | null;
  /** The first characters of the key, to tell keys apart in a list. */
  prefix: string | null;
  createdAt: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export type TenantPatch = Partial<Pick<Tenant, 'name' | 'status' | 'plan' | 'limits'>>;

export interface AccountStore {
  /** Conditional: false when the tenant exists. */
  createTenant(tenant: Tenant): Promise<boolean>;
  getTenant(id: string): Promise<Tenant | null>;
  /** Null when the tenant does not exist. */
  updateTenant(id: string, patch: TenantPatch): Promise<Tenant | null>;
  getApiKey(keyHash: string): Promise<ApiKeyRecord | null>;
  /**
   * Counts the key against the tenant's `maxKeys` (one conditional write, so parallel creations cannot pass it),
   * then writes its list entry, then the key row that makes it work. False: the tenant holds `maxKeys` already.
   */
  createApiKey(key: ApiKeyRecord & { id: string }, maxKeys: number | null): Promise<boolean>;
  listApiKeys(tenant: string): Promise<ApiKeyRecord[]>;
  /** Deletes the key row first (the next request with the key fails), then the list entry. False: no such key. */
  revokeApiKey(tenant: string, id: string): Promise<boolean>;
  touchApiKey(tenant: string, id: string, at: string): Promise<void>;
}
