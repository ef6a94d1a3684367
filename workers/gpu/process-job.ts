// One job's life in the worker, written so that the process may die at any line (docs/architecture.md §5):
// claim (conditional queued → running, or takeover of a crashed run by a later delivery), inputs, and after
// the model: outputs under deterministic keys, the final state + usage in one conditional write, usage
// counters and the terminal event only by the winner of that write, and only then the message goes.
import type { Log } from '../../shared/log.js';
import { errorText } from '../../shared/error-text.js';
import type { JobMessage, JobRecord } from '../../shared/job.js';
import { FINAL_STATUSES } from '../../shared/job.js';
import type { AccountStore } from '../../shared/accounts.js';
import type { JobPatch, JobStore, ObjectStore, ReceivedMessage, UsageStore } from '../../shared/ports.js';
import type { SpendLedger } from '../../shared/spend-ledger.js';
import type { UsageLedger } from '../../shared/usage-ledger.js';
import type { ModelRequest, ModelResult } from '../model/types.js';
import { classifyFailure, type RetryPolicy } from './failures.js';
import { resolveMessages, toModelRequest, type ImageFetcher } from './inputs.js';
import { emitTerminal, type JobEventSink } from './job-events.js';
import { settleMissingRow } from './orphan-message.js';
import { storeOutputs, usageOf } from './outputs.js';

/** What settling a final job's bill writes: the usage counters, its billing line, its spend reservation. */
export type BillingStores = Pick<UsageStore, 'addUsage'> & Pick<UsageLedger, 'putBillingLine'> & Pick<SpendLedger, 'settleSpend'>;

export interface JobDeps {
  /** The job rows, the billing a finished job settles, and the tenant row (a suspended tenant's jobs do not run). */
  table: JobStore & BillingStores & Pick<AccountStore, 'getTenant'>;
  store: ObjectStore;
  events: JobEventSink;
  fetchImage: ImageFetcher;
  /** `name@version` of the loaded bundle, written to the row at claim. */
  modelId: string;
  retry: RetryPolicy;
  now: () => Date;
  log: Log;
}

/** What to do with the queue message once the job's part in this process is over. */
export type Disposition =
  | { action: 'delete' }
  /** Leave it for another delivery after `delaySeconds` (0: at once). */
  | { action: 'release'; delaySeconds: number }
  /** Another run holds the job now; its delivery owns the message. */
  | { action: 'drop' };

export interface RunItem {
  message: ReceivedMessage<JobMessage>;
  job: JobRecord;
  /** A job asking for n images runs as n requests (seed, seed + 1, …). */
  requests: ModelRequest[];
  /** Highest event sequence this run knows of; the terminal event takes the next one. */
  knownSequence: number;
  cancelRequested: boolean;
  /** The row left `running` under us (another run finished or took over). */
  lost: boolean;
  /** A first start's side work (started_at, job.started), until beginRun starts it; then null. */
  begin: (() => void) | null;
  /** That side work once begun; finishing waits for it, so the final row and the terminal event come after it. */
  pending: Promise<void>;
  /** performance.now() at each step of this run (received, claimed, model, outputs, final, events): the job_timing log. */
  marks: Record<string, number>;
}

/** Starts the claim's side work (once): the job's batch is going on the model now. */
export function beginRun(item: RunItem): void {
  const begin = item.begin;
  item.begin = null;
  begin?.();
}

export function mark(item: Pick<RunItem, 'marks'>, name: string): void {
  item.marks[name] = performance.now();
}

export type Claim = { kind: 'run'; item: RunItem } | { kind: 'settled'; disposition: Disposition };

/**
 * Settles a final job's bill. A succeeded job's usage goes into the tenant's counters (at most once per job: the
 * table dedupes by job id) on the day it completed, its billing line (keyed by the job) is written, and its spend
 * reservation becomes its cost; any other final job releases its reservation (it is not billed). Every write is
 * idempotent per job, so a re-count after a crash lands on the same rows.
 */
export async function countUsage(table: BillingStores, job: JobRecord): Promise<void> {
  if (!FINAL_STATUSES.includes(job.status)) return;
  const month = job.createdAt.slice(0, 7);
  if (job.status !== 'succeeded' || job.usage === null || job.completedAt === null) {
    await table.settleSpend(job.tenant, month, job.id, 0);
    return;
  }
  const { usage, completedAt } = job;
  const increment = {
    jobs: 1,
    images: usage.images,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    computeMs: usage.computeMs,
    costUsdMicros: usage.costUsdMicros,
  };
  await Promise.all([
    table.addUsage(job.tenant, completedAt.slice(0, 10), job.model, increment, job.id),
    table.putBillingLine({ jobId: job.id, tenant: job.tenant, model: job.model, createdAt: job.createdAt, completedAt, usage }),
    table.settleSpend(job.tenant, month, job.id, usage.costUsdMicros),
  ]);
}

async function settleFinalJob(job: JobRecord, message: ReceivedMessage<JobMessage>, deps: JobDeps): Promise<Disposition> {
  // A redelivery of a finished job: the previous run may have died between the final write and the
  // event or the usage count, so do both again; the event carries the sequence stored with the final
  // state (same id) and the count is per job id, so neither happens twice.
  if (message.receiveCount > 1) await Promise.all([emitTerminal(deps.events, job), countUsage(deps.table, job)]);
  // A job canceled in the queue by the API: its spend reservation is released here too, in case the API's
  // release failed (a no-op when it holds none).
  else if (job.status !== 'succeeded') await countUsage(deps.table, job);
  return { action: 'delete' };
}

/** Final transition to a state without output (failed, canceled, expired): the winner emits the terminal event. */
async function finalize(job: JobRecord, to: 'failed' | 'canceled' | 'expired', patch: JobPatch, deps: JobDeps, from: JobRecord['status'][]): Promise<JobRecord | null> {
  const final = await deps.table.transition(job.tenant, job.id, from, to, {
    ...patch,
    completedAt: deps.now().toISOString(),
    progress: null,
    eventSequence: job.eventSequence + 1,
  });
  if (final !== null) await Promise.all([emitTerminal(deps.events, final), countUsage(deps.table, final)]);
  return final;
}

/** Why a delivery cannot claim its job, read from the row after the conditional claim failed. */
async function settleUnclaimable(message: ReceivedMessage<JobMessage>, deps: JobDeps): Promise<Disposition | null> {
  const { tenant, job_id: jobId } = message.body;
  const job = await deps.table.getJob(tenant, jobId);
  // The API sends the message before it writes the row: it may not have landed yet, or never will.
  if (job === null) return settleMissingRow(message, deps);
  if (FINAL_STATUSES.includes(job.status)) return settleFinalJob(job, message, deps);
  if (job.status === 'running' && (job.attempt ?? 0) >= message.receiveCount) {
    // A duplicate delivery while the run that claimed the job is alive: no second run. The claiming
    // delivery's message stays in flight, so a crash of that run still brings the job back.
    deps.log('duplicate_delivery', { job_id: jobId, attempt: job.attempt, receive_count: message.receiveCount });
    return { action: 'delete' };
  }
  return null; // the row changed between the claim and the read: try the claim again
}

export async function claimDelivery(message: ReceivedMessage<JobMessage>, deps: JobDeps): Promise<Claim> {
  const { tenant, job_id: jobId } = message.body;
  for (let round = 0; round < 3; round += 1) {
    // Claim first: in the common case one conditional write both decides and takes the job; the row is
    // read only when the claim fails, to learn why.
    const claimed = await deps.table.claimRun(tenant, jobId, message.receiveCount, { model: deps.modelId, progress: null });
    if (claimed === null) {
      const disposition = await settleUnclaimable(message, deps);
      if (disposition !== null) return { kind: 'settled', disposition };
      continue;
    }
    if (claimed.cancelRequested) {
      // A cancel reached the job while a run held it, and the job went back to the queue with it (a release
      // that raced the cancel, or a run that died): honour it instead of running the job again.
      const canceled = await finalize(claimed, 'canceled', {}, deps, ['running']);
      return { kind: 'settled', disposition: canceled === null ? await afterLostWrite(claimed, deps) : { action: 'delete' } };
    }
    const firstStart = claimed.startedAt === null;
    if (firstStart && Date.parse(claimed.deadline) <= deps.now().getTime()) {
      // Past its deadline before it ever started: it expires instead of running.
      const expired = await finalize(claimed, 'expired', {}, deps, ['running']);
      return { kind: 'settled', disposition: expired === null ? await afterLostWrite(claimed, deps) : { action: 'delete' } };
    }
    if (firstStart && (await deps.table.getTenant(tenant))?.status === 'suspended') {
      // The account was suspended while the job waited: it does not run, and is not billed.
      const error = { type: 'account_suspended', message: 'the account was suspended before the job started', retryable: false };
      const failed = await finalize(claimed, 'failed', { error }, deps, ['running']);
      return { kind: 'settled', disposition: failed === null ? await afterLostWrite(claimed, deps) : { action: 'delete' } };
    }
    if (!firstStart) deps.log('takeover', { job_id: jobId, attempt: message.receiveCount });

    const item: RunItem = {
      message,
      job: claimed,
      requests: [],
      knownSequence: claimed.eventSequence,
      cancelRequested: claimed.cancelRequested,
      lost: false,
      begin: null,
      pending: Promise.resolve(),
      marks: { claimed: performance.now() },
    };
    if (firstStart) {
      // Begun by beginRun when the job's batch goes on the model (not here: a prefetched job is not reported
      // started while it waits for the batch before it, and a batch's claims do not queue behind this work).
      // The sequence is taken in the started_at write itself (one round trip, no gap when the row moved under
      // us): job.started is the first numbered event after job.queued, so it is sequence 2, which the events
      // stream relies on.
      item.begin = () => {
        item.pending = (async () => {
          const started = await deps.table.patch(tenant, jobId, ['running'], { startedAt: deps.now().toISOString() }, { bumpSequence: true });
          if (started === null) return;
          item.knownSequence = Math.max(item.knownSequence, started.eventSequence);
          item.job = { ...item.job, startedAt: started.startedAt };
          await deps.events.emit('job.started', started, started.eventSequence);
        })();
      };
    }
    try {
      const messages = await resolveMessages(claimed, deps);
      const request = toModelRequest(claimed, messages);
      item.requests = Array.from({ length: Math.max(1, claimed.output.n) }, (_, index) => ({ ...request, seed: request.seed + index }));
    } catch (error) {
      return { kind: 'settled', disposition: await failRun(item, error, deps) };
    }
    return { kind: 'run', item };
  }
  // The row kept changing under us; let a later delivery look again.
  return { kind: 'settled', disposition: { action: 'release', delaySeconds: 1 } };
}

/** The row as it stands after a lost conditional write decides what happens to this delivery. */
async function afterLostWrite(job: JobRecord, deps: JobDeps): Promise<Disposition> {
  return dispositionFor(await deps.table.getJob(job.tenant, job.id));
}

function dispositionFor(row: JobRecord | null): Disposition {
  if (row === null || FINAL_STATUSES.includes(row.status)) return { action: 'delete' };
  return { action: 'drop' };
}

export async function finishRun(item: RunItem, results: ModelResult[], deps: JobDeps): Promise<Disposition> {
  const { job } = item;
  // Lost and canceled are known once the model's progress writes settled; the claim's side work does not
  // change them, so the uploads need not wait for it. The final write below waits for both.
  if (item.lost) {
    await item.pending;
    return afterLostWrite(item.job, deps);
  }
  if (item.cancelRequested) return cancelRun(item, deps);
  const [output] = await Promise.all([
    storeOutputs(job, results, deps.store).finally(() => mark(item, 'outputs')),
    item.pending.finally(() => mark(item, 'started_event')),
  ]);
  const computeMs = results.reduce((sum, result) => sum + result.computeMs, 0);
  const usage = usageOf(job, results, computeMs);
  // Not over a cancel the run has not seen yet (progress writes, which bring it, are throttled): a cancel the API
  // acknowledged while the job ran wins over its success, and the job is not billed.
  const final = await deps.table.transition(
    job.tenant,
    job.id,
    ['running'],
    'succeeded',
    { completedAt: deps.now().toISOString(), result: output, usage, progress: null, eventSequence: item.knownSequence + 1 },
    { unlessCancelRequested: true },
  );
  mark(item, 'final');
  if (final === null) {
    const row = await deps.table.getJob(job.tenant, job.id);
    if (row?.status === 'running' && row.cancelRequested) return cancelRun(item, deps);
    return dispositionFor(row);
  }
  // The event first: it is what the customer waits for, and a usage write beside it only slows its send on a
  // busy event loop. Only the winner of the final write counts usage (and the count is per job id besides);
  // both happen again on a redelivery if the process dies before the message goes.
  await emitTerminal(deps.events, final);
  mark(item, 'event');
  await countUsage(deps.table, final);
  mark(item, 'usage');
  return { action: 'delete' };
}

/** Ends a job this run holds as canceled: no output, not billed, job.canceled with the next sequence. */
export async function cancelRun(item: RunItem, deps: JobDeps, from: JobRecord['status'][] = ['running']): Promise<Disposition> {
  // The claim's side work failing (started_at, job.started) changes nothing here; the cancel still lands.
  await item.pending.catch(() => undefined);
  const final = await finalize({ ...item.job, eventSequence: item.knownSequence }, 'canceled', {}, deps, from);
  if (final === null) return afterLostWrite(item.job, deps);
  return { action: 'delete' };
}

/** Classifies the failure once and acts on it. */
export async function failRun(item: RunItem, error: unknown, deps: JobDeps): Promise<Disposition> {
  await item.pending.catch(() => undefined);
  const failure = classifyFailure(error, item.message.receiveCount, deps.retry);
  deps.log('job_error', { job_id: item.job.id, kind: failure.kind, error: errorText(error) });
  // Both hand the job back, unless a cancel is pending (releaseRun honours it).
  if (failure.kind === 'aborted') return releaseRun(item, deps, 0);
  if (failure.kind === 'transient') return releaseRun(item, deps, failure.delaySeconds);
  // Out of deliveries: a cancel the customer asked for meanwhile still wins over the failure (neither is billed).
  if (failure.kind === 'exhausted' && (await cancelPending(item, deps))) return cancelRun(item, deps);
  const job = { ...item.job, eventSequence: item.knownSequence };
  const final = await finalize(job, 'failed', { error: failure.error }, deps, ['running']);
  if (final === null) return afterLostWrite(item.job, deps);
  return { action: 'delete' };
}

/** Whether the row asks for a cancel; the run learns of one only from its progress writes, which may not have come. */
async function cancelPending(item: RunItem, deps: JobDeps): Promise<boolean> {
  if (item.cancelRequested) return true;
  return (await deps.table.getJob(item.job.tenant, item.job.id))?.cancelRequested === true;
}

/**
 * Gives the job back to the queue: running → queued, and the message visible again after `delaySeconds`. A job
 * with a cancel pending ends canceled instead: handing it back would run it again (or, failing each time, end
 * it `failed` from the DLQ) although the customer asked to stop it.
 */
export async function releaseRun(item: RunItem, deps: JobDeps, delaySeconds: number): Promise<Disposition> {
  if (item.cancelRequested) return cancelRun(item, deps);
  const back = await deps.table.transition(item.job.tenant, item.job.id, ['running'], 'queued', { progress: null });
  if (back === null) return afterLostWrite(item.job, deps);
  // A cancel that came while this run wrote nothing it reads back (an image fetch writes no progress) shows on
  // the row the release returns: end the job from there rather than leave it to the next delivery.
  if (back.cancelRequested) return cancelRun(item, deps, ['queued']);
  return { action: 'release', delaySeconds };
}
