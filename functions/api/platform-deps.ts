// Builds the API's deps from the parsed config and SDK clients: the AWS adapters in production and the very
// same adapters against the local servers. Entry files call this; tests usually build deps directly.
import { createDynamoJobTable } from '../../shared/aws/dynamo-job-table.js';
import type { AwsClients } from '../../shared/aws/clients.js';
import { createS3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { createSqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import type { Config } from '../../shared/config.js';
import { createEventEmitter, parseEventMessage } from '../../shared/events.js';
import type { JobMessage } from '../../shared/job.js';
import { createBatchingSend } from './batching-send.js';
import { staticCatalog, type ApiDeps, type ModelCatalog, type ModelInfo } from './deps.js';

export const DEFAULT_MODELS: readonly ModelInfo[] = [{ name: 'nexus-mini', version: '1.2.0', capabilities: ['understand', 'generate', 'edit'] }];

export interface PlatformDepsOptions {
  config: Config;
  clients: AwsClients;
  models?: ModelCatalog;
}

/** The API only sends to the jobs queue; a received body would be the worker's to validate. */
function sendOnly(raw: unknown): JobMessage {
  throw new Error(`the API does not consume the jobs queue (got ${typeof raw})`);
}

/** Ready when the table and the jobs queue answer; cached briefly so health checks cost little. */
function readiness(probe: () => Promise<unknown>, cacheMs: number): () => Promise<boolean> {
  let last: { at: number; ok: boolean } | null = null;
  return async () => {
    const now = Date.now();
    if (last !== null && now - last.at < cacheMs) return last.ok;
    const ok = await probe().then(
      () => true,
      () => false,
    );
    last = { at: now, ok };
    return ok;
  };
}

export function createPlatformDeps(options: PlatformDepsOptions): ApiDeps {
  const { config, clients } = options;
  if (config.queues.jobs === null) throw new Error('JOBS_QUEUE_URL is not configured');
  const jobs = createDynamoJobTable({ client: clients.documents, tableName: config.table });
  const objects = createS3ObjectStore({ client: clients.s3, bucket: config.bucket });
  // Sends coalesce into SendMessageBatch calls while one is in flight (batching-send.ts).
  const queue = {
    ...createSqsMessageQueue<JobMessage>({ client: clients.sqs, queueUrl: config.queues.jobs, parse: sendOnly }),
    send: createBatchingSend({ client: clients.sqs, queueUrl: config.queues.jobs }),
  };
  const eventsQueue =
    config.queues.events === null ? undefined : createSqsMessageQueue({ client: clients.sqs, queueUrl: config.queues.events, parse: parseEventMessage });
  const events = eventsQueue === undefined ? undefined : createEventEmitter({ queue: eventsQueue, table: jobs });
  return {
    jobs,
    objects,
    queue,
    models: options.models ?? staticCatalog(DEFAULT_MODELS),
    ready: readiness(() => Promise.all([jobs.getTenantByApiKey('health-probe'), queue.depth()]), 2000),
    // Replays only need the events queue; Node entries add a sender for POST /v1/webhooks/test.
    ...(events === undefined || eventsQueue === undefined ? {} : { events, webhooks: { events: eventsQueue } }),
    settings: {
      apiKeyPepper: config.api.keyPepper,
      allowLoopbackHttp: config.api.allowLoopbackHttp,
      rateLimitPerWindow: config.api.rateLimitPerMinute,
      rateWindowSeconds: 60,
    },
  };
}
