// The dispatcher as a Node loop (`npm start`, containers): long-polls the events queue and handles each
// message; a message is deleted only once handled, so a crash or an error leaves it for redelivery (and,
// after maxReceiveCount, the events DLQ).
import { setTimeout as sleep } from 'node:timers/promises';
import { errorText } from '../../shared/error-text.js';
import { createLogger } from '../../shared/log.js';
import type { EventMessage } from '../../shared/events.js';
import type { MessageQueue, ReceivedMessage } from '../../shared/ports.js';
import { createDispatcher, type DispatcherOptions } from './dispatcher.js';
import { createNodeWebhookSender } from './node-sender.js';
import type { WebhookSender } from './send-webhook.js';

export interface StartDispatcherOptions extends Omit<DispatcherOptions, 'send' | 'events'> {
  events: MessageQueue<EventMessage>;
  allowLoopbackWebhooks: boolean;
  /** Defaults to the Node sender (real DNS, pinned connections). */
  send?: WebhookSender;
  /** Messages per receive (SQS allows up to 10). */
  batchSize?: number;
  /** Messages handled at once (default 32). */
  concurrency?: number;
  /** Long-poll wait; also bounds how long stop() waits for an idle poll. */
  waitSeconds?: number;
  /** Must exceed the 15 s delivery timeout plus the bookkeeping around it. */
  visibilitySeconds?: number;
}

export interface RunningDispatcher {
  /** Stops polling and resolves once in-flight messages are handled. */
  stop(): Promise<void>;
  /** Messages handled so far, by result (for logs and tests). */
  readonly handled: Readonly<Record<string, number>>;
}

export function startDispatcher(options: StartDispatcherOptions): RunningDispatcher {
  const send = options.send ?? createNodeWebhookSender({ allowLoopbackWebhooks: options.allowLoopbackWebhooks });
  const dispatcher = createDispatcher({ ...options, send });
  const log = options.log ?? createLogger({ component: 'dispatcher' });
  const handled: Record<string, number> = {};
  let running = true;

  const concurrency = Math.max(1, options.concurrency ?? 32);
  const inFlight = new Set<Promise<void>>();

  async function handleOne(message: ReceivedMessage<EventMessage>): Promise<void> {
    try {
      const result = await dispatcher.handle(message.body);
      handled[result] = (handled[result] ?? 0) + 1;
      await options.events.delete(message.receiptHandle);
    } catch (error) {
      handled.error = (handled.error ?? 0) + 1;
      log('event_handling_failed', { level: 'error', event_id: message.body.id, error: errorText(error) });
    }
  }

  async function loop(): Promise<void> {
    while (running) {
      // A pool, not batch by batch: one endpoint taking its full 15 s must not hold up everyone else's events.
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      let messages: ReceivedMessage<EventMessage>[];
      try {
        messages = await options.events.receive({
          maxMessages: Math.min(options.batchSize ?? 10, concurrency - inFlight.size),
          waitSeconds: options.waitSeconds ?? 20,
          visibilitySeconds: options.visibilitySeconds ?? 60,
        });
      } catch (error) {
        log('events_receive_failed', { level: 'error', error: errorText(error) });
        await sleep(1000);
        continue;
      }
      for (const message of messages) {
        const task: Promise<void> = handleOne(message).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
    await Promise.all(inFlight);
  }

  const done = loop();
  return {
    handled,
    async stop() {
      running = false;
      await done;
    },
  };
}
