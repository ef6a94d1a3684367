// The messages the worker holds, and the work still settling them. Holding a message keeps it invisible
// (heartbeat), shows in health's in_flight and keeps ECS task protection on; settling deletes it or hands it
// back as its job's disposition says. Work that finishes after the loop moves on (a job's final write, a late
// claim) is tracked, so the loop ends only once all of it has.
import { errorText } from '../../shared/error-text.js';
import type { JobMessage } from '../../shared/job.js';
import type { MessageQueue, ReceivedMessage } from '../../shared/ports.js';
import type { Health } from './health.js';
import type { Heartbeat } from './heartbeat.js';
import type { Disposition, JobDeps } from './process-job.js';
import type { TaskProtection } from './task-protection.js';

export interface HeldMessagesOptions {
  queue: MessageQueue<JobMessage>;
  heartbeat: Heartbeat;
  health: Health;
  protection: TaskProtection;
  log: JobDeps['log'];
}

export interface HeldMessages {
  /** Starts holding received messages (before their claims). */
  hold(messages: readonly ReceivedMessage<JobMessage>[]): void;
  /** Stops holding a message and deletes it or hands it back; a stale receipt handle is logged, not thrown. */
  settle(message: ReceivedMessage<JobMessage>, disposition: Disposition): Promise<void>;
  /** Work that settles messages after the loop has moved on. */
  track(work: Promise<void>): void;
  /** Resolves once every piece of work tracked so far has finished. */
  settled(): Promise<void>;
  count(): number;
}

export function createHeldMessages(options: HeldMessagesOptions): HeldMessages {
  const { queue, heartbeat, health, protection, log } = options;
  const finishing = new Set<Promise<void>>();

  const updateInFlight = (): void => {
    const held = heartbeat.held();
    health.setInFlight(held);
    if (held > 0) protection.busy();
    else protection.idle();
  };

  return {
    hold(messages) {
      for (const message of messages) heartbeat.hold(message.receiptHandle);
      updateInFlight();
    },
    async settle(message, disposition) {
      heartbeat.release(message.receiptHandle);
      updateInFlight();
      try {
        if (disposition.action === 'delete') await queue.delete(message.receiptHandle);
        else if (disposition.action === 'release') await queue.extendVisibility(message.receiptHandle, disposition.delaySeconds);
      } catch (error) {
        // A stale receipt handle: the message went back to the queue meanwhile and the row decides next time.
        log('settle_failed', { job_id: message.body.job_id, action: disposition.action, error: errorText(error) });
      }
      if (disposition.action === 'delete') health.jobDone();
    },
    track(work) {
      finishing.add(work);
      void work.finally(() => finishing.delete(work));
    },
    async settled() {
      await Promise.all([...finishing]);
    },
    count: () => heartbeat.held(),
  };
}
