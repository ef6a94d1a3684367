// Job creation, step by step in the order written down once, with the reasons and what a failure or a crash at
// each step leaves behind, in docs/architecture.md §4.1 ("Creating a job"). The worker's side of a message
// without a row: workers/gpu/orphan-message.ts.
import { apiLog } from './api-log.js';
import { PlatformError } from '../../shared/errors.js';
import { newJobId } from '../../shared/ids.js';
import { inputKey } from '../../shared/object-keys.js';
import { sleep } from '../../shared/sleep.js';
import type { JobMessage, JobRecord, StoredMessage } from '../../shared/job.js';
import type { IdempotencyRecord } from '../../shared/ports.js';
import type { ResolvedDeps } from './deps.js';
import { conflict, unavailable } from './errors.js';
import type { PreparedJob } from './prepare-request.js';

export interface CreateJobInput {
  tenant: string;
  prepared: PreparedJob;
  /** Hash of the request body, compared on idempotent replays. */
  bodyHash: string;
  idempotencyKey: string | null;
  /** The tenant's monthly spend limit and the most this job can cost; null when the tenant has no limit. */
  spend: { limitMicros: number | null; estimateMicros: number } | null;
}

export interface CreateJobResult {
  job: JobRecord;
  /** True when an earlier request with the same Idempotency-Key created the job. */
  replayed: boolean;
}

function storedMessages(tenant: string, jobId: string, prepared: PreparedJob): StoredMessage[] {
  return prepared.messages.map((message) => ({
    role: message.role,
    content: message.content.map((part) => {
      if (part.type !== 'image') return part;
      const { index, info } = part.image;
      return { type: 'image', key: inputKey(tenant, jobId, index, info.mediaType), mediaType: info.mediaType, width: info.width, height: info.height };
    }),
  }));
}

/** The job exists and is queued whatever happens to its event: a lost job.queued is logged, not fatal. */
export async function emitSafely(emit: () => Promise<unknown> | undefined, job: JobRecord): Promise<void> {
  try {
    await emit();
  } catch (err) {
    apiLog('event_emission_failed', { level: 'warn', job_id: job.id, cause: String(err) });
  }
}

/**
 * A claim older than this whose job row never appeared was left by a request that died (or gave up) between
 * the claim and the row: a later request with the key takes it over. It outlasts the longest a live request
 * spends there (two store calls, each with its retries).
 */
export const STALE_CLAIM_SECONDS = 300;

const inProgress = () => conflict('idempotency_request_in_progress', 'a request with this Idempotency-Key is still being processed; retry shortly', 'Idempotency-Key');

/**
 * The key is claimed but the job row may not be written yet (a concurrent twin is between claim and put):
 * wait briefly for it rather than answering with a job id that does not resolve. Null: the claim was stale
 * and has been released, so the caller claims the key again.
 */
async function replay(deps: ResolvedDeps, input: CreateJobInput, existing: IdempotencyRecord): Promise<CreateJobResult | null> {
  if (existing.bodyHash !== input.bodyHash) {
    throw conflict('idempotency_key_reused', 'this Idempotency-Key was used with a different request body', 'Idempotency-Key');
  }
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const job = await deps.jobs.getJob(input.tenant, existing.jobId);
    if (job !== null) return { job, replayed: true };
    await sleep(50);
  }
  const ageSeconds = deps.now().getTime() / 1000 - (existing.claimedAt ?? 0);
  if (ageSeconds > STALE_CLAIM_SECONDS && input.idempotencyKey !== null) {
    await deps.jobs.releaseIdempotencyKey(input.tenant, input.idempotencyKey, existing.jobId);
    return null;
  }
  throw inProgress();
}

const usd = (micros: number): string => `$${(micros / 1_000_000).toFixed(6)}`;

async function reserveSpend(deps: ResolvedDeps, input: CreateJobInput, jobId: string, month: string, release: () => Promise<void>): Promise<void> {
  const spend = input.spend;
  if (spend === null) return;
  let reservation;
  try {
    reservation = await deps.jobs.reserveSpend(input.tenant, month, jobId, spend.estimateMicros, spend.limitMicros);
  } catch (err) {
    await release();
    throw unavailable('table_unavailable', 'could not check the spend limit; retry', err);
  }
  const limit = spend.limitMicros;
  if (reservation.reserved || limit === null) return;
  await release();
  throw new PlatformError({
    type: 'billing_error',
    status: 402,
    code: 'spend_limit_reached',
    message: `monthly spend limit of ${usd(limit)} (${limit} micros) reached for ${month}: ${reservation.committedMicros} micros are spent or reserved by jobs in flight, and this job may cost up to ${spend.estimateMicros}`,
  });
}

export async function createJob(deps: ResolvedDeps, input: CreateJobInput): Promise<CreateJobResult> {
  const { tenant, prepared } = input;
  const { settings } = deps;
  const jobId = newJobId();

  const key = input.idempotencyKey;
  // Two rounds: a stale claim is released in the first and the key claimed again in the second.
  for (let round = 0; key !== null && round < 2; round += 1) {
    let existing: IdempotencyRecord | null;
    try {
      existing = await deps.jobs.claimIdempotencyKey(tenant, key, { bodyHash: input.bodyHash, jobId }, settings.idempotencyTtlSeconds);
    } catch (err) {
      throw unavailable('table_unavailable', 'could not claim the Idempotency-Key; retry', err);
    }
    if (existing === null) break;
    const replayed = await replay(deps, input, existing);
    if (replayed !== null) return replayed;
    if (round === 1) throw inProgress();
  }
  const release = async (): Promise<void> => {
    // Only our own claim: a slow request must not release a key that a retry has taken over since.
    if (key !== null) await deps.jobs.releaseIdempotencyKey(tenant, key, jobId).catch(() => undefined);
  };

  const now = deps.now();
  // The month's spend is reserved before the job is queued (shared/spend-ledger.ts) and released if it is not.
  const month = now.toISOString().slice(0, 7);
  if (input.spend !== null) await reserveSpend(deps, input, jobId, month, release);
  const unreserve = async (): Promise<void> => {
    if (input.spend !== null) await deps.jobs.settleSpend(tenant, month, jobId, 0).catch(() => undefined);
  };
  // The inputs go to S3 only once the request is admitted (key claimed, spend reserved): a refused request writes nothing.
  try {
    await Promise.all(prepared.images.map((image) => deps.objects.put(inputKey(tenant, jobId, image.index, image.info.mediaType), image.bytes, image.info.mediaType)));
  } catch (err) {
    await Promise.all([release(), unreserve()]);
    throw unavailable('storage_unavailable', 'could not store the input images; retry', err);
  }
  // job.queued is sequence 1 on every job, written with the row, so the event costs no extra table round trip, a
  // re-emission has the same id, and the events stream (routes/jobs-events.ts) numbers it as the webhook does.
  // Only jobs with a webhook send it to the dispatcher.
  const emitQueued = deps.events !== undefined && prepared.webhook !== null;
  const job: JobRecord = {
    id: jobId,
    tenant,
    model: prepared.model,
    status: 'queued',
    createdAt: now.toISOString(),
    startedAt: null,
    completedAt: null,
    messages: storedMessages(tenant, jobId, prepared),
    output: prepared.output,
    params: prepared.params,
    webhook: prepared.webhook,
    metadata: prepared.metadata,
    progress: null,
    result: null,
    error: null,
    usage: null,
    cancelRequested: false,
    eventSequence: 1,
    deadline: new Date(now.getTime() + settings.queueDeadlineSeconds * 1000).toISOString(),
  };

  // The message first, then the row (docs/architecture.md §4.1): a row never exists without its message.
  const message: JobMessage = { v: 1, job_id: jobId, tenant, model: prepared.model, attempt: 1 };
  try {
    await deps.queue.send(message);
  } catch (err) {
    await Promise.all([release(), unreserve()]);
    throw unavailable('queue_unavailable', 'could not queue the job; retry', err);
  }

  let created: boolean;
  try {
    created = await deps.jobs.createJob(job);
  } catch (err) {
    await Promise.all([release(), unreserve()]);
    throw unavailable('table_unavailable', 'could not record the job; retry', err);
  }
  if (!created) {
    await Promise.all([release(), unreserve()]);
    throw new PlatformError({ type: 'api_error', status: 500, code: 'job_id_collision', message: 'job id collision; retry', retryable: true });
  }

  if (emitQueued && deps.events) await emitSafely(() => deps.events?.emit('job.queued', job, 1), job);
  return { job, replayed: false };
}
