// Wiring for Node entries (`npm start`): the dev tenant's signing secret, the dispatcher loop on the events
// queue, and the deps the API's webhook routes need. Node-only (its sender resolves DNS).
import type { PlatformAdapters } from '../../shared/aws/adapters.js';
import type { Config } from '../../shared/config.js';
import { parseEventMessage } from '../../shared/events.js';
import type { Log } from '../../shared/log.js';
import { ensureWebhookSecret } from '../../shared/webhook-secrets.js';
import type { WebhookRouteDeps } from '../api/routes/webhook-secret.js';
import type { BackoffOptions } from './backoff.js';
import { createNodeWebhookSender } from './node-sender.js';
import { startDispatcher, type RunningDispatcher } from './start-dispatcher.js';

export interface StartWebhooksOptions {
  config: Config;
  adapters: PlatformAdapters;
  devTenant: string;
  /** `DEV_WEBHOOK_SECRET` (whsec_…): the dev tenant's secret; a random one (kept in the table) when unset. */
  devSecret?: string;
  backoff?: BackoffOptions;
  log?: Log;
}

export interface StartedWebhooks {
  /** Pass as `ApiDeps.webhooks`. */
  routes: WebhookRouteDeps;
  devSecret: string;
  dispatcher: RunningDispatcher;
  stop(): Promise<void>;
}

export async function startWebhooks(options: StartWebhooksOptions): Promise<StartedWebhooks> {
  const { config, adapters } = options;
  if (config.queues.events === null) throw new Error('EVENTS_QUEUE_URL is not configured');
  const devSecret = await ensureWebhookSecret(adapters.table, options.devTenant, options.devSecret || undefined);
  const events = adapters.queue(config.queues.events, parseEventMessage);
  // Loopback receivers are allowed only where the config says so (the local platform).
  const send = createNodeWebhookSender({ allowLoopbackWebhooks: config.api.allowLoopbackHttp });
  const dispatcher = startDispatcher({
    table: adapters.table,
    objects: adapters.objects,
    events,
    send,
    allowLoopbackWebhooks: config.api.allowLoopbackHttp,
    waitSeconds: 2,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return { routes: { events, send }, devSecret, dispatcher, stop: () => dispatcher.stop() };
}
