// What the API needs from the outside world, injected by the entry files (handler.ts, serve.ts) or tests.
import type { JobEventEmitter } from './job-events.js';
import type { JobMessage } from '../../shared/job.js';
import type { JobTable, MessageQueue, ObjectStore, UsageStore } from '../../shared/ports.js';
import type { WebhookRouteDeps } from './routes/webhook-secret.js';
import type { ApiKeyKind } from '../../shared/accounts.js';
import type { TenantLimits } from '../../shared/plans.js';

export interface ModelInfo {
  name: string;
  version: string;
  capabilities: ('understand' | 'generate' | 'edit')[];
}

/** The models this deployment serves; a dep so the worker's bundle manifest can feed it. */
export interface ModelCatalog {
  list(): readonly ModelInfo[];
}

export interface ApiSettings {
  /** Secret mixed into API key hashes, so a leaked table does not reveal usable keys. */
  apiKeyPepper: string;
  /** Plain-http webhooks and image URLs to loopback: only for the local platform and tests. */
  allowLoopbackHttp: boolean;
  /** Requests per tenant per rate window (DynamoDB counter, so it holds across Lambda instances). */
  rateLimitPerWindow: number;
  rateWindowSeconds: number;
  /** See middleware/rate-limit.ts: 'sync' for Lambda, 'batched' for a long-lived Node server. */
  rateLimitMode: 'sync' | 'batched';
  /** 'batched' only: the least time between two counter writes of one tenant in this process. */
  rateFlushIntervalMs: number;
  idempotencyTtlSeconds: number;
  /** A job still queued after this long expires instead of running. */
  queueDeadlineSeconds: number;
  presignTtlSeconds: number;
  /**
   * How long a tenant's status and limits stay cached in this process (a suspension takes effect within it).
   * Keys are never cached: a revoked or expired key fails on its next request.
   */
  tenantCacheSeconds: number;
  /** Poll interval of `Prefer: wait`. */
  waitPollMs: number;
  /** GET /v1/jobs/{id}/events: how often a stream reads the job row. */
  eventsPollMs: number;
  /** A `: ping` comment after this long without an event keeps proxies from closing an idle stream. */
  eventsHeartbeatMs: number;
  /**
   * A stream ends after this long even if the job has not (the client resumes with Last-Event-ID). Short by
   * default because the Lambda adapter buffers a reply until it ends; serve.ts (a long-lived Node server) raises it.
   */
  eventsMaxSeconds: number;
  /** Open event streams one tenant may hold on one API process; more are 429 too_many_streams. */
  eventsMaxStreamsPerTenant: number;
}

export const DEFAULT_SETTINGS: Omit<ApiSettings, 'apiKeyPepper'> = {
  allowLoopbackHttp: false,
  rateLimitPerWindow: 600,
  rateWindowSeconds: 60,
  rateLimitMode: 'sync',
  rateFlushIntervalMs: 0,
  idempotencyTtlSeconds: 24 * 60 * 60,
  queueDeadlineSeconds: 60 * 60,
  presignTtlSeconds: 60 * 60,
  tenantCacheSeconds: 5,
  waitPollMs: 250,
  eventsPollMs: 250,
  eventsHeartbeatMs: 15_000,
  eventsMaxSeconds: 20,
  eventsMaxStreamsPerTenant: 16,
};

/** The store roles the API uses: all but the worker's usage counters; each route and middleware takes only its own. */
export type ApiStores = Omit<JobTable, keyof UsageStore>;

export interface ApiDeps {
  jobs: ApiStores;
  objects: ObjectStore;
  queue: MessageQueue<JobMessage>;
  models: ModelCatalog;
  settings: Partial<ApiSettings> & Pick<ApiSettings, 'apiKeyPepper'>;
  /** Emits job.queued / job.canceled; optional so the API runs before the events pipeline exists. */
  events?: JobEventEmitter;
  /** Events queue + sender for deliveries replay and the test event; those routes answer 503 without it. */
  webhooks?: WebhookRouteDeps;
  /** Readiness of the backing services for GET /health; ready when absent. */
  ready?: () => Promise<boolean>;
  now?: () => Date;
}

export interface ResolvedDeps extends Omit<ApiDeps, 'settings' | 'now'> {
  settings: ApiSettings;
  now: () => Date;
}

export function resolveDeps(deps: ApiDeps): ResolvedDeps {
  return { ...deps, settings: { ...DEFAULT_SETTINGS, ...deps.settings }, now: deps.now ?? (() => new Date()) };
}

/** Hono context variables set by the middleware. */
export interface ApiEnv {
  Variables: {
    requestId: string;
    tenant: string;
    /** The caller's key: `admin` keys open only /v1/admin/*. */
    principal: { kind: ApiKeyKind; keyId: string | null };
    /** The tenant's limits (plan + overrides); the legacy plan's rate falls back to the deployment's. */
    limits: TenantLimits;
  };
}

export const staticCatalog = (models: readonly ModelInfo[]): ModelCatalog => ({ list: () => models });
