// Consumes the jobs DLQ inside the worker process: a message lands there after maxReceiveCount deliveries that
// crashed (a transient failure on the last delivery fails the job itself, with its cause: failures.ts), and
// its job becomes `failed` with a clear error and a job.failed event (so its webhook goes out). Runs in every
// worker; SQS hands each message to one of them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../../shared/log.js';
import { errorText } from '../../shared/error-text.js';
import type { JobMessage } from '../../shared/job.js';
import { FINAL_STATUSES } from '../../shared/job.js';
import type { JobStore, MessageQueue, ReceivedMessage } from '../../shared/ports.js';
import { emitTerminal, type JobEventSink } from './job-events.js';
import { countUsage, type BillingStores } from './process-job.js';

export interface DlqConsumerOptions {
  dlq: MessageQueue<JobMessage>;
  table: JobStore & BillingStores;
  events: JobEventSink;
  now: () => Date;
  waitSeconds: number;
  log: Log;
}

export interface DlqConsumer {
  run(): Promise<void>;
  stop(): Promise<void>;
}

export const DEAD_LETTER_ERROR = {
  type: 'processing_failed',
  retryable: false,
} as const;

/** Marks one dead-lettered job failed (unless it already finished) and emits its terminal event. */
export async function handleDeadLetter(message: ReceivedMessage<JobMessage>, options: Pick<DlqConsumerOptions, 'table' | 'events' | 'now'>): Promise<void> {
  const { tenant, job_id: jobId } = message.body;
  const job = await options.table.getJob(tenant, jobId);
  if (job === null) return;
  if (FINAL_STATUSES.includes(job.status)) {
    // It finished, but the run died before deleting its message: make sure the event and count happened.
    await Promise.all([emitTerminal(options.events, job), countUsage(options.table, job)]);
    return;
  }
  const attempts = job.attempt ?? 0;
  const failed = await options.table.transition(tenant, jobId, ['queued', 'running'], 'failed', {
    completedAt: options.now().toISOString(),
    progress: null,
    error: {
      ...DEAD_LETTER_ERROR,
      message: `the job could not be processed: its worker crashed or failed on every delivery (${attempts} attempts), so it was moved to the dead-letter queue`,
    },
    eventSequence: job.eventSequence + 1,
  });
  const final = failed ?? (await options.table.getJob(tenant, jobId));
  if (final !== null) await Promise.all([emitTerminal(options.events, final), countUsage(options.table, final)]);
}

export function createDlqConsumer(options: DlqConsumerOptions): DlqConsumer {
  let stopping = false;
  let signalStop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (signalStop = resolve));
  let done: Promise<void> = Promise.resolve();

  async function loop(): Promise<void> {
    while (!stopping) {
      try {
        const messages = await Promise.race([options.dlq.receive({ maxMessages: 10, waitSeconds: options.waitSeconds, visibilitySeconds: 30 }), stopped.then(() => [])]);
        for (const message of messages) {
          await handleDeadLetter(message, options);
          await options.dlq.delete(message.receiptHandle);
          options.log('dead_letter_failed_job', { job_id: message.body.job_id });
        }
      } catch (error) {
        options.log('dlq_error', { error: errorText(error) });
        await sleep(1_000);
      }
    }
  }

  return {
    run() {
      done = loop();
      return done;
    },
    async stop() {
      stopping = true;
      signalStop();
      await done;
    },
  };
}
