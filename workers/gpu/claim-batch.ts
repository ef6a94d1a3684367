// Claims for a received batch: every message's claim (process-job.ts claimDelivery) runs at once, and the batch
// waits for them at most CLAIM_PATIENCE_MS. A claim still running then (an image URL that does not answer)
// becomes a late claim: settled on its own when it ends, or queued for the next batch (released if the worker
// is draining by then). The late claims are this module's state.
import { errorText } from '../../shared/error-text.js';
import type { JobMessage } from '../../shared/job.js';
import type { ReceivedMessage } from '../../shared/ports.js';
import type { HeldMessages } from './held-messages.js';
import { batchKey } from './inputs.js';
import { claimDelivery, releaseRun, type Claim, type JobDeps, type RunItem } from './process-job.js';
import type { DrainState } from './worker-drain.js';

/**
 * How long a batch waits for its slowest claim. A claim reads the row and the job's inputs, and an image URL
 * that does not answer holds it until the fetch times out (seconds): past this, the batch goes on without it and
 * the claim joins a later batch, so one tenant's dead image server does not stall everyone's jobs.
 */
export const CLAIM_PATIENCE_MS = 1_000;
/** Long-poll wait while late claims are outstanding, so the loop comes round for them soon. */
export const LATE_CLAIM_POLL_SECONDS = 1;

/** A received batch with its jobs claimed: what the next runBatch calls take (one group per model version). */
export interface PreparedBatch {
  groups: RunItem[][];
  messages: number;
  claimMs: number;
}
export const NO_BATCH: PreparedBatch = { groups: [], messages: 0, claimMs: 0 };

export interface BatchClaimerOptions {
  deps: JobDeps;
  held: Pick<HeldMessages, 'hold' | 'settle' | 'track'>;
  drain: DrainState;
}

export interface BatchClaimer {
  /** Holds and claims the messages; the prepared batch also takes the late claims that are ready. */
  claimAll(messages: ReceivedMessage<JobMessage>[]): Promise<PreparedBatch>;
  /** Late claims are still running or ready to run: the loop should come round soon. */
  hasLate(): boolean;
  /** Late claims that finished and wait for a batch. */
  hasReady(): boolean;
  /** Hands over (and forgets) the late claims that are ready. */
  takeReady(): RunItem[];
}

/** Claims that outlasted CLAIM_PATIENCE_MS: those done and waiting for the next batch, and those still running. */
interface LateClaims {
  ready: RunItem[];
  outstanding: number;
}

export function createBatchClaimer(options: BatchClaimerOptions): BatchClaimer {
  const { deps, held, drain } = options;
  const log = deps.log;
  const late: LateClaims = { ready: [], outstanding: 0 };

  async function claimOne(message: ReceivedMessage<JobMessage>): Promise<Claim> {
    try {
      return await claimDelivery(message, deps);
    } catch (error) {
      // The table or store was unreachable: nothing was decided, so let the message come back later.
      log('claim_failed', { job_id: message.body.job_id, error: errorText(error) });
      return { kind: 'settled', disposition: { action: 'release', delaySeconds: 1 } };
    }
  }

  /** A claim the batch stopped waiting for: settled on its own, or queued for the next batch (released once draining). */
  function whenLate(message: ReceivedMessage<JobMessage>, claim: Promise<Claim>, started: number): void {
    late.outstanding += 1;
    log('claim_late', { job_id: message.body.job_id, waited_ms: CLAIM_PATIENCE_MS });
    held.track(
      claim.then(async (done) => {
        late.outstanding -= 1;
        if (done.kind === 'settled') return held.settle(message, done.disposition);
        done.item.marks.received = started;
        if (drain.draining) return held.settle(message, await releaseRun(done.item, deps, 0));
        late.ready.push(done.item);
      }),
    );
  }

  function takeReady(): RunItem[] {
    const items = late.ready;
    late.ready = [];
    return items;
  }

  return {
    hasLate: () => late.outstanding > 0 || late.ready.length > 0,
    hasReady: () => late.ready.length > 0,
    takeReady,
    async claimAll(messages) {
      const started = performance.now();
      held.hold(messages);
      const pending = messages.map((message) => {
        const entry: { message: ReceivedMessage<JobMessage>; claim: Promise<Claim>; done: Claim | null } = { message, claim: claimOne(message), done: null };
        void entry.claim.then((claim) => (entry.done = claim));
        return entry;
      });
      let patience: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(pending.map((entry) => entry.claim)), new Promise((resolve) => (patience = setTimeout(resolve, CLAIM_PATIENCE_MS)))]);
      // Usually every claim is done in milliseconds: no 1 s timer is left behind each batch.
      clearTimeout(patience);
      const items: RunItem[] = takeReady();
      for (const entry of pending) {
        const claim = entry.done;
        if (claim === null) whenLate(entry.message, entry.claim, started);
        else if (claim.kind === 'settled') held.track(held.settle(entry.message, claim.disposition));
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
    },
  };
}
