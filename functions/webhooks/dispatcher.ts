// The webhook dispatcher's core: one events-queue message in, at most one delivery attempt out, every
// attempt logged. Retries are new messages to the same queue (with `delivery.deliver_at`), so no process
// holds state between attempts and a crash at any line only repeats an attempt.
import { createLogger, type Log } from '../../shared/log.js';
import type { DeliveryState, EventMessage } from '../../shared/events.js';
import type { DeliveryLog, MessageQueue, ObjectStore, WebhookEndpointStore, WebhookEventStore, WebhookSecretStore } from '../../shared/ports.js';
import { sleep as pause } from '../../shared/sleep.js';
import { signingSecrets } from '../../shared/webhook-secrets.js';
import { toJobResource } from '../api/job-mapper.js';
import { MAX_SQS_DELAY_SECONDS, retryDelaySeconds, type BackoffOptions } from './backoff.js';
import type { WebhookSender } from './send-webhook.js';

export type DispatchResult = 'delivered' | 'skipped' | 'deferred' | 'retry_scheduled' | 'gave_up' | 'disabled' | 'refused';

export interface DispatcherOptions {
  /** The delivery log, the signing secrets, the events kept for replay and the disabled endpoints. */
  table: DeliveryLog & WebhookSecretStore & WebhookEventStore & WebhookEndpointStore;
  objects: ObjectStore;
  /** The events queue itself: retries and hops are sent back to it. */
  events: MessageQueue<EventMessage>;
  send: WebhookSender;
  backoff?: BackoffOptions;
  /** Lifetime of output image URLs in a payload; signed at delivery, so a retry hours later still works. */
  presignTtlSeconds?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  log?: Log;
}

export interface Dispatcher {
  handle(message: EventMessage): Promise<DispatchResult>;
}

/** One delivery (the attempts of one event to its endpoint) per event, so its id follows from the event's. */
export const deliveryIdFor = (eventId: string): string => `dlv_${eventId.slice(eventId.indexOf('_') + 1)}`;

/** The event exactly as stored and replayed: the queue message without its delivery bookkeeping. */
export function storedEvent(message: EventMessage): string {
  const { delivery: _delivery, ...event } = message;
  return JSON.stringify(event);
}

const isSuccess = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { table, events } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? pause;
  const log = options.log ?? createLogger({ component: 'dispatcher' });
  const presignTtlSeconds = options.presignTtlSeconds ?? 24 * 3600;

  async function render(message: EventMessage): Promise<string> {
    // The API's mapper renders the job resource, so a webhook's `data` is exactly what GET /v1/jobs/:id shows.
    const data = await toJobResource({ ...message.job, messages: [] }, { objects: options.objects, presignTtlSeconds, now });
    return JSON.stringify({ id: message.id, type: message.type, created_at: message.created_at, sequence: message.sequence, data });
  }

  return {
    async handle(message) {
      const state: DeliveryState = message.delivery ?? { attempt: 1, deliver_at: null, delivery_id: deliveryIdFor(message.id), replay: false };
      const base = { event_id: message.id, type: message.type, job_id: message.job_id, delivery_id: state.delivery_id, attempt: state.attempt };

      if (state.deliver_at !== null) {
        const waitMs = Date.parse(state.deliver_at) - now().getTime();
        if (waitMs > 1000) {
          // Not yet: hop through the queue again (SQS delays at most 15 minutes per message).
          await events.send({ ...message, delivery: state }, { delaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.ceil(waitMs / 1000)) });
          return 'deferred';
        }
        if (waitMs > 0) await sleep(waitMs);
      }

      const webhook = message.job.webhook;
      if (webhook === null || (!state.replay && !webhook.events.includes(message.type))) return 'skipped';

      // Independent reads, in parallel: they are most of a delivery's own latency.
      const [earlier, disabled, secrets] = await Promise.all([
        table.listDeliveries(message.job_id),
        table.listDisabledWebhookEndpoints(message.tenant),
        signingSecrets(table, message.tenant),
      ]);
      // A re-emitted event (a worker that crashed after its final write), a duplicate SQS delivery, or a
      // message whose delete was lost carries an id already delivered: deliver each event id once (a replay
      // once per replay).
      const delivered = earlier.some((d) => isSuccess(d.status) && (state.replay ? d.deliveryId === state.delivery_id : d.eventId === message.id));
      if (delivered) {
        log('webhook_skipped', { ...base, result: 'skipped' });
        return 'skipped';
      }
      // Kept for replays; written beside the attempt rather than before it.
      const keep = state.attempt === 1 && !state.replay ? table.putEvent(message.job_id, message.id, storedEvent(message)) : Promise.resolve();
      keep.catch(() => undefined); // awaited below; this only keeps an early throw from leaving it unhandled

      const record = { jobId: message.job_id, deliveryId: state.delivery_id, eventId: message.id, eventType: message.type, attempt: state.attempt, url: webhook.url };
      if (disabled.includes(webhook.url)) {
        await keep;
        await table.putDelivery({ ...record, status: null, latencyMs: 0, errorClass: 'endpoint_disabled', at: now().toISOString() });
        log('webhook_endpoint_disabled', { ...base, result: 'disabled' });
        return 'disabled';
      }

      const body = await render(message);
      const outcome = await options.send({ url: webhook.url, id: message.id, body, secrets });
      await Promise.all([
        keep,
        table.putDelivery({ ...record, status: outcome.status, latencyMs: outcome.latencyMs, errorClass: outcome.errorClass, at: now().toISOString() }),
      ]);
      const attemptLog = { ...base, status: outcome.status, latency_ms: outcome.latencyMs, error_class: outcome.errorClass };

      if (outcome.ok) {
        log('webhook_delivered', { ...attemptLog, result: 'delivered' });
        return 'delivered';
      }
      if (outcome.errorClass === 'gone') {
        await table.disableWebhookEndpoint(message.tenant, webhook.url);
        log('webhook_endpoint_gone', { ...attemptLog, result: 'disabled' });
        return 'disabled';
      }
      if (outcome.permanent) {
        log('webhook_refused', { ...attemptLog, result: 'refused' });
        return 'refused';
      }
      const delay = retryDelaySeconds(state.attempt, outcome.retryAfterSeconds, options.backoff);
      if (delay === null) {
        log('webhook_gave_up', { ...attemptLog, result: 'gave_up' });
        return 'gave_up';
      }
      const deliverAt = new Date(now().getTime() + delay * 1000).toISOString();
      await events.send(
        { ...message, delivery: { ...state, attempt: state.attempt + 1, deliver_at: deliverAt } },
        { delaySeconds: Math.min(MAX_SQS_DELAY_SECONDS, Math.floor(delay)) },
      );
      log('webhook_retry_scheduled', { ...attemptLog, result: 'retry_scheduled', deliver_at: deliverAt });
      return 'retry_scheduled';
    },
  };
}
