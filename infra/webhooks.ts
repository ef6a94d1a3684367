// The webhook dispatcher: a Lambda subscribed to the events queue. Partial batch responses let one failed
// delivery go back to the queue without redelivering the batch's successful ones.
import type { StageConfig } from './config.js';
import { DISPATCHER_TIMEOUT_SECONDS } from './queues.js';
import { coreEnvironment, coreLinks, type CoreResources } from './runtime-env.js';

export const DISPATCHER_BATCH_SIZE = 10;

export function createWebhookDispatcher(_config: StageConfig, resources: CoreResources) {
  return resources.events.queue.subscribe(
    {
      handler: 'functions/webhooks/handler.handler',
      runtime: 'nodejs22.x',
      architecture: 'arm64',
      memory: '256 MB',
      timeout: `${DISPATCHER_TIMEOUT_SECONDS} seconds`,
      link: coreLinks(resources),
      // Loopback webhooks are for the local configuration only; the SSRF guard refuses them here.
      environment: { ...coreEnvironment(resources), ALLOW_LOOPBACK_HTTP: 'false', NODE_ENV: 'production' },
    },
    { batch: { size: DISPATCHER_BATCH_SIZE, partialResponses: true } },
  );
}
