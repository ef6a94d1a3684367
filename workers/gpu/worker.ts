// The worker loop: receive a batch, claim its jobs, run them, and drain on stop. Each step is its own module
// with its own state, and this file only wires them and turns the loop:
//   receive-batch.ts  long poll + micro-batch window (B messages within T)
//   claim-batch.ts    claims with a patience limit; late claims join a later batch
//   run-batch.ts      one runBatch call per group, each job finished in the background
//   held-messages.ts  heartbeat, in-flight count, task protection, settling messages, tracked work
//   worker-drain.ts   the drain signal all of them read
import { setTimeout as sleep } from 'node:timers/promises';
import { errorText } from '../../shared/error-text.js';
import type { JobMessage } from '../../shared/job.js';
import type { MessageQueue, ReceivedMessage } from '../../shared/ports.js';
import type { LoadedModel } from '../model/types.js';
import { createBatchClaimer, LATE_CLAIM_POLL_SECONDS, NO_BATCH, type PreparedBatch } from './claim-batch.js';
import { createHeartbeat } from './heartbeat.js';
import type { Health } from './health.js';
import { createHeldMessages } from './held-messages.js';
import { releaseRun, type JobDeps } from './process-job.js';
import { createBatchReceiver } from './receive-batch.js';
import { createBatchRunner } from './run-batch.js';
import { noTaskProtection, type TaskProtection } from './task-protection.js';
import { createDrainState } from './worker-drain.js';

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

/** The loop's own state: consecutive failed receives (for the backoff) and the running loop. */
interface LoopState {
  receiveFailures: number;
  done: Promise<void>;
}

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
  const drain = createDrainState();
  const held = createHeldMessages({ queue, heartbeat, health, protection, log });
  const receiver = createBatchReceiver({
    queue,
    batchSize: options.batchSize,
    batchWindowMs: options.batchWindowMs,
    visibilitySeconds: options.visibilitySeconds,
    drain,
    held,
    sleep,
  });
  const claimer = createBatchClaimer({ deps, held, drain });
  const runner = createBatchRunner({ model: options.model, deps, progressIntervalMs: options.progressIntervalMs, held });
  const state: LoopState = { receiveFailures: 0, done: Promise.resolve() };

  /** Receives and claims the next batch; a failed receive backs off and yields nothing. */
  async function prepare(): Promise<PreparedBatch> {
    let messages: ReceivedMessage<JobMessage>[];
    try {
      messages = await receiver.gather(claimer.hasLate() ? Math.min(LATE_CLAIM_POLL_SECONDS, options.waitSeconds) : options.waitSeconds);
      state.receiveFailures = 0;
    } catch (error) {
      state.receiveFailures += 1;
      log('receive_failed', { error: errorText(error) });
      await sleep(Math.min(5_000, 100 * 2 ** state.receiveFailures));
      return NO_BATCH;
    }
    if (drain.draining) {
      // Received while the drain began: give them straight back.
      await receiver.giveBack(messages);
      return NO_BATCH;
    }
    return messages.length === 0 && !claimer.hasReady() ? NO_BATCH : claimer.claimAll(messages);
  }

  /** A prepared batch the drain will not run: its jobs go back to the queue for another worker. */
  function release(prepared: PreparedBatch): void {
    for (const item of [...prepared.groups.flat(), ...claimer.takeReady()]) {
      held.track(
        releaseRun(item, deps, 0)
          .then((d) => held.settle(item.message, d))
          .catch((error: unknown) => log('release_failed', { job_id: item.job.id, error: errorText(error) })),
      );
    }
  }

  async function loop(): Promise<void> {
    health.set('ready');
    // With prefetch, one batch ahead: the next batch is received and claimed (inputs read) while this one is on
    // the model, so the model starts on it as soon as it is free. Its side work (started_at, job.started)
    // waits for its own run either way.
    let ahead: Promise<PreparedBatch> | null = null;
    for (;;) {
      const prepared = await (ahead ?? prepare());
      ahead = null;
      if (drain.draining) {
        release(prepared);
        break;
      }
      if (prepared.groups.length === 0) continue;
      if (options.prefetch === true) ahead = prepare();
      const started = performance.now();
      for (const group of prepared.groups) await runner.run(group);
      log('batch', {
        messages: prepared.messages,
        ran: prepared.groups.reduce((sum, group) => sum + group.length, 0),
        claim_ms: prepared.claimMs,
        run_ms: Math.round(performance.now() - started),
      });
    }
    await held.settled();
  }

  return {
    run() {
      // Protection is dropped only once every held message is settled or released.
      state.done = loop().finally(async () => {
        heartbeat.stop();
        await protection.stop();
      });
      return state.done;
    },
    async drain() {
      drain.begin();
      health.set('draining');
      const graceOver = sleep(options.graceMs).then(() => 'grace' as const);
      const outcome = await Promise.race([state.done.then(() => 'done' as const), graceOver]);
      if (outcome === 'grace') {
        log('drain_grace_over', { held: held.count() });
        runner.abort(new DOMException('worker draining', 'AbortError'));
        await state.done;
      }
    },
  };
}
