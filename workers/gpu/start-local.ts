// The worker inside `npm start`: same wiring as the container (startWorker), with local defaults — the
// committed bundle or else the trainer's smoke bundle, CPU, image URLs to loopback allowed, a random
// health port — and any WORKER_*/MODEL_*/HEALTH_* variable from the environment still wins.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import type { Config } from '../../shared/config.js';
import { createEventEmitter, parseEventMessage } from '../../shared/events.js';
import { loadModel } from '../model/index.js';
import { loadWorkerConfig } from './config.js';
import { loadModelInThread } from './model-thread.js';
import { startWorker, type Log, type RunningWorker } from './start-worker.js';

export const LOCAL_BUNDLES = ['models/nexus-mini', '.cache/smoke-bundle'];

export interface StartLocalWorkerOptions {
  config: Config;
  env: Record<string, string | undefined>;
  root: string;
  log: Log;
}

/** null when no bundle exists yet (the API still runs; jobs wait in the queue). */
export async function startLocalWorker(options: StartLocalWorkerOptions): Promise<RunningWorker | null> {
  const bundle = options.env.MODEL_BUNDLE_DIR ?? LOCAL_BUNDLES.map((dir) => join(options.root, dir)).find((dir) => existsSync(join(dir, 'manifest.json')));
  if (bundle === undefined) {
    options.log('worker_skipped', { reason: `no model bundle in ${LOCAL_BUNDLES.join(' or ')}; jobs stay queued until one exists` });
    return null;
  }
  const settings = loadWorkerConfig({
    HEALTH_PORT: '0',
    ALLOW_LOOPBACK_FETCH: 'true',
    WORKER_VISIBILITY_SECONDS: '30',
    WORKER_HEARTBEAT_MS: '10000',
    WORKER_GRACE_MS: '5000',
    WORKER_WAIT_SECONDS: '5',
    // The local worker shares its cores with the API and the local AWS servers.
    INTRA_OP_SPINNING: 'false',
    ...options.env,
    MODEL_BUNDLE_DIR: bundle,
  });
  return startWorker({
    config: options.config,
    worker: settings,
    loadModel: settings.modelThread ? loadModelInThread : loadModel,
    createEvents: ({ table, clients, eventsQueueUrl }) =>
      createEventEmitter({ table, queue: createSqsMessageQueue({ client: clients.sqs, queueUrl: eventsQueueUrl, parse: parseEventMessage }) }),
    log: options.log,
  });
}
