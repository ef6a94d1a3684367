// Receive for the worker loop: up to B messages, the first by long poll, the rest if they arrive within T of it
// (micro-batching). A drain cuts a pending long poll short; whatever it still brings goes straight back.
import type { JobMessage } from '../../shared/job.js';
import type { MessageQueue, ReceivedMessage } from '../../shared/ports.js';
import type { HeldMessages } from './held-messages.js';
import type { DrainState } from './worker-drain.js';

export interface BatchReceiverOptions {
  queue: MessageQueue<JobMessage>;
  /** B: most messages in one batch. */
  batchSize: number;
  /** T: how long the first message of a batch waits for company. */
  batchWindowMs: number;
  visibilitySeconds: number;
  drain: DrainState;
  held: Pick<HeldMessages, 'track'>;
  sleep: (ms: number) => Promise<void>;
}

export interface BatchReceiver {
  /** The next batch; empty when the poll found nothing or the drain began. */
  gather(waitSeconds: number): Promise<ReceivedMessage<JobMessage>[]>;
  /** Puts received messages straight back on the queue (visible now) for another receive. */
  giveBack(messages: readonly ReceivedMessage<JobMessage>[]): Promise<void>;
}

export function createBatchReceiver(options: BatchReceiverOptions): BatchReceiver {
  const { queue, drain, held, sleep } = options;

  const receive = (maxMessages: number, waitSeconds: number): Promise<ReceivedMessage<JobMessage>[]> =>
    queue.receive({ maxMessages: Math.min(10, maxMessages), waitSeconds, visibilitySeconds: options.visibilitySeconds });

  async function giveBack(messages: readonly ReceivedMessage<JobMessage>[]): Promise<void> {
    await Promise.all(messages.map((m) => queue.extendVisibility(m.receiptHandle, 0).catch(() => undefined)));
  }

  return {
    giveBack,
    async gather(waitSeconds) {
      const polling = receive(options.batchSize, waitSeconds);
      const first = await Promise.race([polling, drain.begun.then(() => null)]);
      if (first === null) {
        // The loop stops without waiting out a long poll, but whatever it still brings goes straight back to the
        // queue before the worker closes its clients (tracked: the drain ends after it, at most waitSeconds
        // later), so no message sits invisible until its visibility timeout.
        held.track(polling.then(giveBack, () => undefined));
        return [];
      }
      if (first.length === 0 || options.batchWindowMs <= 0) return first;
      // By message id: a message delivered again while the batch gathers (its visibility ran out) is held once,
      // under its newest receipt handle (the one SQS still honours).
      const batch = new Map(first.map((m) => [m.messageId, m] as const));
      const deadline = Date.now() + options.batchWindowMs;
      while (batch.size < options.batchSize && Date.now() < deadline && !drain.draining) {
        const more = await receive(options.batchSize - batch.size, 0);
        for (const m of more) batch.set(m.messageId, m);
        if (more.length === 0) await sleep(Math.min(5, Math.max(0, deadline - Date.now())));
      }
      return [...batch.values()];
    },
  };
}
