// The worker loop: long poll, micro-batch, run, finish; heartbeat while messages are held; drain on stop.
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobMessage } from '../../shared/job.js';
import type { MessageQueue, ReceivedMessage } from '../../shared/ports.js';
import type { LoadedModel, ModelResult } from '../model/types.js';
import { createHeartbeat } from './heartbeat.js';
import type { Health } from './health.js';
import { batchKey } from './inputs.js';
import { beginRun, claimDelivery, failRun, finishRun, mark, releaseRun, type Claim, type Disposition, type JobDeps, type RunItem } from './process-job.js';
import { createProgressReporter } from './progress.js';
import { noTaskProtection, type TaskProtection } from './task-protection.js';

export interface WorkerLoopOptions {
  /** B: most jobs run together in one runBatch call (1 turns micro-batching off). */
  batchSize: number;
  /** T: how long the first job of a batch waits for company. */
  batchWindowMs: number;
  /** Long-poll wait when idle (SQS allows up to 20). */
  waitSeconds: number;
  visibilitySeconds: number;
  heartbeatMs: number;
  progressIntervalMs: number;
  /** How long a drain lets the running batch finish before it aborts it and releases its jobs. */
  graceMs: number;
  /**
   * Receive and claim the next batch while this one runs. Pays only when the model runs off the event loop's
   * thread (model-thread.ts): on it, the model's session calls block the loop and the loop's thread is one of
   * the model's compute threads, so I/O beside the model only slows it. Default false.
   */
  prefetch?: boolean;
}

export interface WorkerOptions extends WorkerLoopOptions {
  queue: MessageQueue<JobMessage>;
  model: Pick<LoadedModel, 'runBatch'>;
  deps: JobDeps;
  health: Health;
  /** ECS task scale-in protection, on while the worker holds jobs; absent: none. */
  protection?: TaskProtection;
}

export interface Worker {
  /** Runs until drained; resolves when every held message has been settled. */
  run(): Promise<void>;
  /** Stops polling, lets in-flight work finish within the grace period, then releases the rest. */
  drain(): Promise<void>;
}


/**
 * How long a batch waits for its slowest claim. A claim reads the row and the job's inputs, and an image URL
 * that does not answer holds it until the fetch times out (seconds): past this, the batch goes on without it and
 * the claim joins a later batch, so one tenant's dead image server does not stall everyone's jobs.
 */
export const CLAIM_PATIENCE_MS = 1_000;
/** Long-poll wait while late claims are outstanding, so the loop comes round for them soon. */
const LATE_CLAIM_POLL_SECONDS = 1;
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function createWorker(options: WorkerOptions): Worker {
  const { queue, deps, health } = options;
  const protection = options.protection ?? noTaskProtection;
  const log = deps.log;
  const heartbeat = createHeartbeat({
    queue,
    intervalMs: options.heartbeatMs,
    visibilitySeconds: options.visibilitySeconds,
    onError: (error) => log('heartbeat_failed', { error: errorText(error) }),
  });
  const finishing = new Set<Promise<void>>();
  let draining = false;
  let batchAbort: AbortController | null = null;
  let signalDrain: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (signalDrain = resolve));
  let loopDone: Promise<void> = Promise.resolve();

  const updateInFlight = (): void => {
    const held = heartbeat.held();
    health.setInFlight(held);
    if (held > 0) protection.busy();
    else protection.idle();
  };

  async function settle(message: ReceivedMessage<JobMessage>, disposition: Disposition): Promise<void> {
    heartbeat.release(message.receiptHandle);
    updateInFlight();
    try {
      if (disposition.action === 'delete') await queue.delete(message.receiptHandle);
      else if (disposition.action === 'release') await queue.extendVisibility(message.receiptHandle, disposition.delaySeconds);
    } catch (error) {
      // A stale receipt handle: the message went back to the queue meanwhile and the row decides next time.
      log('settle_failed', { jobId: message.body.job_id, action: disposition.action, error: errorText(error) });
    }
    if (disposition.action === 'delete') health.jobDone();
  }

  /** Where one job's time went, ms from its receipt to each step (the benchmark reads these). */
  function logTiming(item: RunItem, results: ModelResult[]): void {
    const received = item.marks.received ?? 0;
    const at = Object.fromEntries(Object.entries(item.marks).map(([name, time]) => [name, Math.round((time - received) * 10) / 10]));
    const computeMs = results.reduce((sum, result) => sum + result.computeMs, 0);
    log('job_timing', { jobId: item.job.id, receivedAt: Date.now() - (performance.now() - received), computeMs, at: { ...at, deleted: Math.round((performance.now() - received) * 10) / 10 } });
  }

  function track(work: Promise<void>): void {
    finishing.add(work);
    void work.finally(() => finishing.delete(work));
  }

  /** Puts received messages straight back on the queue (visible now) for another receive. */
  async function giveBack(messages: readonly ReceivedMessage<JobMessage>[]): Promise<void> {
    await Promise.all(messages.map((m) => queue.extendVisibility(m.receiptHandle, 0).catch(() => undefined)));
  }

  async function receive(maxMessages: number, waitSeconds: number): Promise<ReceivedMessage<JobMessage>[]> {
    return queue.receive({ maxMessages: Math.min(10, maxMessages), waitSeconds, visibilitySeconds: options.visibilitySeconds });
  }

  /** Up to B messages: the first by long poll, the rest if they arrive within T of it. */
  async function gather(): Promise<ReceivedMessage<JobMessage>[]> {
    const polling = receive(options.batchSize, lateOutstanding > 0 || lateReady.length > 0 ? Math.min(LATE_CLAIM_POLL_SECONDS, options.waitSeconds) : options.waitSeconds);
    const first = await Promise.race([polling, drained.then(() => null)]);
    if (first === null) {
      // The loop stops without waiting out a long poll, but whatever it still brings goes straight back to the
      // queue before the worker closes its clients (tracked: the drain ends after it, at most waitSeconds later),
      // so no message sits invisible until its visibility timeout.
      track(polling.then(giveBack, () => undefined));
      return [];
    }
    if (first.length === 0 || options.batchWindowMs <= 0) return first;
    // By message id: a message delivered again while the batch gathers (its visibility ran out) is held once,
    // under its newest receipt handle (the one SQS still honours).
    const batch = new Map(first.map((m) => [m.messageId, m] as const));
    const deadline = Date.now() + options.batchWindowMs;
    while (batch.size < options.batchSize && Date.now() < deadline && !draining) {
      const more = await receive(options.batchSize - batch.size, 0);
      for (const m of more) batch.set(m.messageId, m);
      if (more.length === 0) await sleep(Math.min(5, Math.max(0, deadline - Date.now())));
    }
    return [...batch.values()];
  }

  async function runGroup(items: RunItem[]): Promise<void> {
    const slots = items.flatMap((item) => item.requests.map(() => item));
    const controller = new AbortController();
    batchAbort = controller;
    const progress = createProgressReporter({
      slots,
      deps,
      intervalMs: options.progressIntervalMs,
      onAllStopped: () => controller.abort(new DOMException('every job of the batch was canceled', 'AbortError')),
    });
    let results: ModelResult[];
    for (const item of items) {
      mark(item, 'model_start');
      beginRun(item);
    }
    try {
      results = await options.model.runBatch(
        items.flatMap((item) => item.requests),
        { signal: controller.signal, onProgress: (p) => progress.onProgress(p) },
      );
    } catch (error) {
      await progress.settle();
      if (items.length > 1 && !controller.signal.aborted) {
        // One bad request must not fail its batch mates: run each alone to find it.
        log('batch_failed_isolating', { jobs: items.length, error: errorText(error) });
        for (const item of items) await runGroup([item]);
        return;
      }
      for (const item of items) track(failRun(item, error, deps).then((d) => settle(item.message, d)));
      return;
    } finally {
      batchAbort = null;
    }
    for (const item of items) mark(item, 'model_end');
    await progress.settle();
    let offset = 0;
    for (const item of items) {
      const own = results.slice(offset, offset + item.requests.length);
      offset += item.requests.length;
      track(
        finishRun(item, own, deps)
          .catch((error: unknown) => failRun(item, error, deps))
          .then((d) => settle(item.message, d))
          .then(() => logTiming(item, own))
          .catch((error: unknown) => log('finish_failed', { jobId: item.job.id, error: errorText(error) })),
      );
    }
  }

  /** A received batch with its jobs claimed: what the next runBatch calls take (one per model version). */
  interface Prepared {
    groups: RunItem[][];
    messages: number;
    claimMs: number;
  }
  const NOTHING: Prepared = { groups: [], messages: 0, claimMs: 0 };

  /** Claims that outlasted CLAIM_PATIENCE_MS and have finished since: the next batch takes them. */
  let lateReady: RunItem[] = [];
  let lateOutstanding = 0;

  async function claimOne(message: ReceivedMessage<JobMessage>): Promise<Claim> {
    try {
      return await claimDelivery(message, deps);
    } catch (error) {
      // The table or store was unreachable: nothing was decided, so let the message come back later.
      log('claim_failed', { jobId: message.body.job_id, error: errorText(error) });
      return { kind: 'settled', disposition: { action: 'release', delaySeconds: 1 } };
    }
  }

  /** A claim the batch stopped waiting for: settled on its own, or queued for the next batch (released once draining). */
  function whenLate(message: ReceivedMessage<JobMessage>, claim: Promise<Claim>, started: number): void {
    lateOutstanding += 1;
    log('claim_late', { jobId: message.body.job_id, waitedMs: CLAIM_PATIENCE_MS });
    track(
      claim.then(async (done) => {
        lateOutstanding -= 1;
        if (done.kind === 'settled') return settle(message, done.disposition);
        done.item.marks.received = started;
        if (draining) return settle(message, await releaseRun(done.item, deps, 0));
        lateReady.push(done.item);
      }),
    );
  }

  async function claimAll(messages: ReceivedMessage<JobMessage>[]): Promise<Prepared> {
    const started = performance.now();
    for (const message of messages) heartbeat.hold(message.receiptHandle);
    updateInFlight();
    const pending = messages.map((message) => {
      const entry: { message: ReceivedMessage<JobMessage>; claim: Promise<Claim>; done: Claim | null } = { message, claim: claimOne(message), done: null };
      void entry.claim.then((claim) => (entry.done = claim));
      return entry;
    });
    let patience: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(pending.map((entry) => entry.claim)), new Promise((resolve) => (patience = setTimeout(resolve, CLAIM_PATIENCE_MS)))]);
    // Usually every claim is done in milliseconds: no 1 s timer is left behind each batch.
    clearTimeout(patience);
    const items: RunItem[] = lateReady;
    lateReady = [];
    for (const entry of pending) {
      const claim = entry.done;
      if (claim === null) whenLate(entry.message, entry.claim, started);
      else if (claim.kind === 'settled') track(settle(entry.message, claim.disposition));
      else {
        claim.item.marks.received = started;
        items.push(claim.item);
      }
    }
    const groups = new Map<string, RunItem[]>();
    for (const item of items) {
      const key = batchKey(item.job);
      groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    return { groups: [...groups.values()], messages: messages.length, claimMs: Math.round(performance.now() - started) };
  }

  let failures = 0;
  /** Receives and claims the next batch; a failed receive backs off and yields nothing. */
  async function prepare(): Promise<Prepared> {
    let messages: ReceivedMessage<JobMessage>[];
    try {
      messages = await gather();
      failures = 0;
    } catch (error) {
      failures += 1;
      log('receive_failed', { error: errorText(error) });
      await sleep(Math.min(5_000, 100 * 2 ** failures));
      return NOTHING;
    }
    if (draining) {
      // Received while the drain began: give them straight back.
      await giveBack(messages);
      return NOTHING;
    }
    return messages.length === 0 && lateReady.length === 0 ? NOTHING : claimAll(messages);
  }

  /** A prepared batch the drain will not run: its jobs go back to the queue for another worker. */
  function release(prepared: Prepared): void {
    const late = lateReady;
    lateReady = [];
    for (const item of [...prepared.groups.flat(), ...late]) {
      track(
        releaseRun(item, deps, 0)
          .then((d) => settle(item.message, d))
          .catch((error: unknown) => log('release_failed', { jobId: item.job.id, error: errorText(error) })),
      );
    }
  }

  async function loop(): Promise<void> {
    health.set('ready');
    // With prefetch, one batch ahead: the next batch is received and claimed (inputs read) while this one is on
    // the model, so the model starts on it as soon as it is free. Its side work (started_at, job.started)
    // waits for its own run either way.
    let ahead: Promise<Prepared> | null = null;
    for (;;) {
      const prepared = await (ahead ?? prepare());
      ahead = null;
      if (draining) {
        release(prepared);
        break;
      }
      if (prepared.groups.length === 0) continue;
      if (options.prefetch === true) ahead = prepare();
      const started = performance.now();
      for (const group of prepared.groups) await runGroup(group);
      log('batch', {
        messages: prepared.messages,
        ran: prepared.groups.reduce((sum, group) => sum + group.length, 0),
        claimMs: prepared.claimMs,
        runMs: Math.round(performance.now() - started),
      });
    }
    await Promise.all([...finishing]);
  }

  return {
    run() {
      // Protection is dropped only once every held message is settled or released.
      loopDone = loop().finally(async () => {
        heartbeat.stop();
        await protection.stop();
      });
      return loopDone;
    },
    async drain() {
      draining = true;
      health.set('draining');
      signalDrain();
      const graceOver = sleep(options.graceMs).then(() => 'grace' as const);
      const outcome = await Promise.race([loopDone.then(() => 'done' as const), graceOver]);
      if (outcome === 'grace') {
        log('drain_grace_over', { held: heartbeat.held() });
        batchAbort?.abort(new DOMException('worker draining', 'AbortError'));
        await loopDone;
      }
    },
  };
}
