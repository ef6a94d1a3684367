// Small interfaces the services depend on, one per role. One AWS SDK v3 implementation each lives in shared/aws/.
import type { JobProgress, JobRecord, JobStatus } from './job.js';
import type { UsageLedger } from './usage-ledger.js';
import type { AccountStore, ApiKeyKind } from './accounts.js';
import type { SpendLedger } from './spend-ledger.js';

export interface ObjectHead {
  size: number;
  contentType: string | undefined;
}

export interface ObjectStore {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** null when the key does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  head(key: string): Promise<ObjectHead | null>;
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  presignPut(key: string, contentType: string, expiresInSeconds: number): Promise<string>;
}

export interface ReceivedMessage<T> {
  messageId: string;
  receiptHandle: string;
  body: T;
  /** ApproximateReceiveCount: 1 on first delivery. */
  receiveCount: number;
}

export interface ReceiveOptions {
  maxMessages: number;
  waitSeconds: number;
  visibilitySeconds?: number;
}

export interface MessageQueue<T> {
  send(body: T, options?: { delaySeconds?: number }): Promise<void>;
  receive(options: ReceiveOptions): Promise<ReceivedMessage<T>[]>;
  extendVisibility(receiptHandle: string, seconds: number): Promise<void>;
  delete(receiptHandle: string): Promise<void>;
  /** Approximate visible and in-flight counts (for queue_position, scaling and tests). */
  depth(): Promise<{ visible: number; inFlight: number; delayed: number }>;
}

export interface ListPage<T> {
  items: T[];
  /** Opaque cursor for the next page; null when there is none. */
  nextCursor: string | null;
}

export interface TransitionOptions extends PatchOptions {
  unlessCancelRequested?: boolean;
}

export interface PatchOptions {
  /**
   * Adds 1 to `eventSequence` in the same conditional write; the returned row carries the new value, which is the
   * sequence of the event this write stands for (job.started, job.progress, job.canceled). A write that loses its
   * condition bumps nothing, so sequences have no gaps and a row always says which event it last stood for
   * (GET /v1/jobs/{id}/events derives its events from that).
   */
  bumpSequence?: boolean;
}

export interface IdempotencyRecord {
  bodyHash: string;
  jobId: string;
  /** When the key was claimed, in seconds since the epoch (the table sets it; 0 for claims written without it). */
  claimedAt?: number;
}

export interface DeliveryRecord {
  jobId: string;
  deliveryId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  url: string;
  status: number | null;
  latencyMs: number;
  errorClass: string | null;
  at: string;
}

export interface UsageIncrement {
  jobs: number;
  images: number;
  inputTokens: number;
  outputTokens: number;
  computeMs: number;
  costUsdMicros: number;
}

/** Fields a status transition may set alongside the new status. */
export type JobPatch = Partial<Pick<JobRecord, 'model' | 'startedAt' | 'completedAt' | 'result' | 'error' | 'usage' | 'progress' | 'cancelRequested' | 'eventSequence'>>;

/**
 * The stored jobs: conditional create, reads, newest-first listing, and status changes guarded by the current
 * status, so two workers or a cancel racing a finish cannot both win.
 */
export interface JobStore {
  /** Conditional create: false when a job with that id already exists. */
  createJob(job: JobRecord): Promise<boolean>;
  getJob(tenant: string, id: string): Promise<JobRecord | null>;
  /** Newest first. */
  listJobs(tenant: string, options: { limit: number; cursor: string | null }): Promise<ListPage<JobRecord>>;
  /**
   * Conditional status change: applies only while the current status is one of `from`.
   * Returns the updated record, or null when the condition failed (someone else won the race).
   * `options.unlessCancelRequested`: the write also fails (null) once a cancel has been requested, so a run that
   * did not see the request yet cannot finish the job as succeeded over it.
   */
  transition(tenant: string, id: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch, options?: TransitionOptions): Promise<JobRecord | null>;
  /**
   * Claims a job for one delivery of its queue message (docs/architecture.md §5): queued → running, or takes over a job left
   * `running` by a crashed run when `attempt` (the delivery's receive count) is above the recorded `attempt`.
   * Sets status running, `attempt` and the patch. Null when the job is in another state or a run with the same or a
   * later attempt holds it, so two deliveries never both run a job.
   */
  claimRun(tenant: string, id: string, attempt: number, patch?: JobPatch): Promise<JobRecord | null>;
  /** Conditional patch without a status change (progress, cancel request); null when the status is not in `while`. */
  patch(tenant: string, id: string, whileStatus: readonly JobStatus[], patch: JobPatch, options?: PatchOptions): Promise<JobRecord | null>;
  /** Atomically bumps eventSequence and returns the new value. */
  nextEventSequence(tenant: string, id: string): Promise<number>;
}

/** Idempotency-Key claims (per tenant, with a TTL). */
export interface IdempotencyStore {
  /** Conditional put of an idempotency key; returns the existing record when the key is taken. */
  claimIdempotencyKey(tenant: string, key: string, record: IdempotencyRecord, ttlSeconds: number): Promise<IdempotencyRecord | null>;
  /** With `jobId`, only while the claim still names that job (a stale claim taken over once, not a fresh one). */
  releaseIdempotencyKey(tenant: string, key: string, jobId?: string): Promise<void>;
}

/** API keys, stored by their peppered hash only. */
export interface ApiKeyStore {
  /** A key row without a list entry (npm start's dev keys, tests); `kind` defaults to customer. */
  putApiKey(keyHash: string, tenant: string, kind?: ApiKeyKind): Promise<void>;
  getTenantByApiKey(keyHash: string): Promise<string | null>;
}

/** Per-tenant fixed-window request counters, shared by every API instance. */
export interface RateCounterStore {
  /** Atomic counter for a fixed window; adds `by` (default 1) and returns the count after it. */
  incrementRateCounter(tenant: string, window: string, ttlSeconds: number, by?: number): Promise<number>;
}

/** Metered usage per tenant, day and model. */
export interface UsageStore {
  /**
   * Atomic counter add. With `jobId`, the add applies at most once per job (the row remembers counted job ids in
   * the same conditional write), so a worker re-running the count after a crash never bills twice.
   */
  addUsage(tenant: string, day: string, model: string, usage: UsageIncrement, jobId?: string): Promise<void>;
  getUsage(tenant: string, day: string, model: string): Promise<UsageIncrement | null>;
}

/** Every webhook delivery attempt, per job, oldest first. */
export interface DeliveryLog {
  putDelivery(delivery: DeliveryRecord): Promise<void>;
  listDeliveries(jobId: string): Promise<DeliveryRecord[]>;
}

/** Per-tenant webhook signing secrets (current first; the previous one stays valid during rotation). */
export interface WebhookSecretStore {
  getWebhookSecrets(tenant: string): Promise<string[]>;
  putWebhookSecrets(tenant: string, secrets: string[]): Promise<void>;
  /** Stores the first secrets only if the tenant has none yet (two first deliveries must not sign with different ones). */
  createWebhookSecrets(tenant: string, secrets: string[]): Promise<boolean>;
}

/** Events as delivered (their JSON) beside the job's deliveries, so a delivery can be replayed. */
export interface WebhookEventStore {
  putEvent(jobId: string, eventId: string, body: string): Promise<void>;
  getEvent(jobId: string, eventId: string): Promise<string | null>;
}

/** Webhook endpoints that answered 410 Gone: nothing more is delivered to them for that tenant. */
export interface WebhookEndpointStore {
  disableWebhookEndpoint(tenant: string, url: string): Promise<void>;
  enableWebhookEndpoint(tenant: string, url: string): Promise<void>;
  listDisabledWebhookEndpoints(tenant: string): Promise<string[]>;
}

/**
 * Every role on the one table (shared/aws/dynamo-job-table.ts), for the code that wires adapters together.
 * Everything else takes only the roles it uses.
 */
export type JobTable = JobStore &
  IdempotencyStore &
  ApiKeyStore &
  RateCounterStore &
  UsageStore &
  DeliveryLog &
  WebhookSecretStore &
  WebhookEventStore &
  WebhookEndpointStore &
  UsageLedger &
  AccountStore &
  SpendLedger;

export type { JobProgress };
