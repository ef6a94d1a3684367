// What the API needs from the outside world, injected by the entry files (handler.ts, serve.ts) or tests.
import type { JobEventEmitter } from './job-events.js';
import type { JobMessage } from '../../shared/job.js';
import type {
  ApiKeyStore,
  DeliveryLog,
  IdempotencyStore,
  JobStore,
  MessageQueue,
  ObjectStore,
  RateCounterStore,
  WebhookEndpointStore,
  WebhookEventStore,
  WebhookSecretStore,
} from '../../shared/ports.js';
import type { WebhookRouteDeps } from './routes/webhook-secret.js';

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
  /** How long a resolved API key stays cached in this process. */
  authCacheSeconds: number;
  /** Poll interval of `Prefer: wait`. */
  waitPollMs: number;
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
  authCacheSeconds: 60,
  waitPollMs: 250,
};

/** The store roles the API uses (shared/ports.ts); each route and middleware takes only its own. */
export type ApiStores = JobStore &
  IdempotencyStore &
  ApiKeyStore &
  RateCounterStore &
  DeliveryLog &
  WebhookSecretStore &
  WebhookEventStore &
  WebhookEndpointStore;

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
  };
}

export const staticCatalog = (models: readonly ModelInfo[]): ModelCatalog => ({ list: () => models });
