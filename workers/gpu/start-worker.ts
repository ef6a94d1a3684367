// Wires one worker from config: adapters, the image fetcher behind the SSRF guard, the bundle (fetched from
// S3 when configured, loaded once, warmed up), the health server, the job loop and the DLQ consumer.
// main.ts (the container entry) and `npm start` (in-process) both call this.
import type { Log } from '../../shared/log.js';
import { errorText } from '../../shared/error-text.js';
import { createAwsClients, LOCAL_CREDENTIALS, type AwsClients } from '../../shared/aws/clients.js';
import { createDynamoJobTable } from '../../shared/aws/dynamo-job-table.js';
import { createS3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { createSqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import type { Config } from '../../shared/config.js';
import { createGuardedFetch, type Connector } from '../../shared/guarded-fetch.js';
import { IMAGE_LIMITS } from '../../shared/image-limits.js';
import type { JobMessage } from '../../shared/job.js';
import type { JobStore, MessageQueue } from '../../shared/ports.js';
import { createSsrfGuard, type Resolver } from '../../shared/ssrf-guard.js';
import { dnsResolver, nodeConnector } from '../../shared/ssrf-node.js';
import type { LoadedModel, LoadModelOptions } from '../model/types.js';
import type { WorkerConfig } from './config.js';
import { createDlqConsumer } from './dlq-consumer.js';
import { fetchBundle, parseBundleUri } from './fetch-bundle.js';
import { createHealth, startHealthServer, type Health } from './health.js';
import { modelDeath } from './model-thread.js';
import { createImageFetcher } from './image-fetcher.js';
import type { JobEventSink } from './job-events.js';
import { parseJobMessage } from './job-message.js';
import { createTaskProtection } from './task-protection.js';
import { warmUp } from './warm-up.js';
import { createWorker } from './worker.js';

export type { Log } from '../../shared/log.js';

export interface StartWorkerOptions {
  config: Config;
  worker: WorkerConfig;
  loadModel: (bundleDir: string, options: LoadModelOptions) => Promise<LoadedModel>;
  createEvents: (deps: { table: JobStore; clients: AwsClients; eventsQueueUrl: string }) => JobEventSink;
  log: Log;
  /** Tests inject these so no connection ever leaves loopback; production uses DNS and real sockets. */
  resolver?: Resolver;
  connector?: Connector;
  now?: () => Date;
}

export interface RunningWorker {
  health: Health;
  healthPort: number;
  modelId: string;
  /** Resolves when the loop has stopped (after a drain). */
  done: Promise<void>;
  /** Settles (with the cause) if the model's thread dies; never for a model on the calling thread. */
  modelDied: Promise<Error>;
  /** Stop polling, finish or release in-flight jobs within the grace period, close everything. */
  drain(): Promise<void>;
}

export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config, worker: settings, log } = options;
  const jobsUrl = config.queues.jobs;
  const eventsUrl = config.queues.events;
  if (jobsUrl === null || eventsUrl === null) throw new Error('JOBS_QUEUE_URL and EVENTS_QUEUE_URL are required');
  const health = createHealth();
  const server = await startHealthServer(health, settings.health);
  const clients = createAwsClients({
    region: config.region,
    endpoints: config.endpoints,
    credentials: config.endpoints ? LOCAL_CREDENTIALS : null,
  });
  const closeAll = async (): Promise<void> => {
    await server.close();
    clients.destroy();
  };

  let model: LoadedModel;
  try {
    if (settings.bundleUri !== null) {
      const { bucket, prefix } = parseBundleUri(settings.bundleUri);
      const fetched = await fetchBundle(createS3ObjectStore({ client: clients.s3, bucket }), prefix, settings.bundleDir);
      log('bundle_fetched', { uri: settings.bundleUri, downloaded: fetched.downloaded.length, kept: fetched.kept.length });
    }
    const started = Date.now();
    model = await options.loadModel(settings.bundleDir, {
      executionProviders: settings.executionProviders,
      verifyChecksums: true,
      ...(settings.intraOpThreads === undefined ? {} : { intraOpThreads: settings.intraOpThreads }),
      ...(settings.intraOpSpinning === undefined ? {} : { allowSpinning: settings.intraOpSpinning }),
    });
    const warmMs = await warmUp(model);
    log('model_loaded', { model: `${model.name}@${model.version}`, load_ms: Date.now() - started - warmMs, warm_up_ms: warmMs });
  } catch (error) {
    health.set('failed', errorText(error));
    await closeAll();
    throw error;
  }
  const modelId = `${model.name}@${model.version}`;
  health.setModel(modelId);

  const table = createDynamoJobTable({ client: clients.documents, tableName: config.table });
  const store = createS3ObjectStore({ client: clients.s3, bucket: config.bucket });
  const queue: MessageQueue<JobMessage> = createSqsMessageQueue({
    client: clients.sqs,
    queueUrl: jobsUrl,
    parse: parseJobMessage,
    onInvalid: (info) => log('invalid_message', { message_id: info.messageId }),
  });
  const events = options.createEvents({ table, clients, eventsQueueUrl: eventsUrl });
  const guard = createSsrfGuard({ resolve: options.resolver ?? dnsResolver, allowLoopback: settings.allowLoopbackFetch });
  const fetchImage = createImageFetcher(
    createGuardedFetch({
      guard,
      connect: options.connector ?? nodeConnector,
      timeoutMs: settings.imageFetch.timeoutMs,
      maxBytes: settings.imageFetch.maxBytes,
    }),
    { ...IMAGE_LIMITS, maxImageBytes: settings.imageFetch.maxBytes },
  );
  const now = options.now ?? (() => new Date());
  const protection = createTaskProtection({
    agentUri: settings.taskProtection.agentUri,
    expiresInMinutes: settings.taskProtection.expiresInMinutes,
    idleMs: settings.taskProtection.idleMs,
    timeoutMs: settings.taskProtection.timeoutMs,
    log,
  });
  const loop = createWorker({
    ...settings,
    queue,
    model,
    health,
    protection,
    deps: { table, store, events, fetchImage, modelId, retry: settings.retry, now, log },
  });
  const dlqUrl = config.queues.jobsDlq;
  const dlq =
    settings.dlqConsumer && dlqUrl !== null
      ? createDlqConsumer({
          dlq: createSqsMessageQueue({ client: clients.sqs, queueUrl: dlqUrl, parse: parseJobMessage }),
          table,
          events,
          now,
          waitSeconds: settings.waitSeconds,
          log,
        })
      : null;

  const done = Promise.all([loop.run(), dlq?.run()]).then(() => undefined);
  // A model thread that dies leaves a worker that can only fail jobs: report it, stop taking jobs (the ones in
  // hand fail as transient and are redelivered to other workers), and let the entry exit non-zero.
  const modelDied = modelDeath(model)?.then((error) => {
    log('model_died', { error: error.message });
    health.set('failed', `the model thread died: ${error.message}`);
    void Promise.all([loop.drain(), dlq?.stop()]);
    return error;
  });
  log('worker_ready', {
    model: modelId,
    health_port: server.port,
    batch_size: settings.batchSize,
    batch_window_ms: settings.batchWindowMs,
    task_protection: settings.taskProtection.agentUri !== null,
  });

  let draining: Promise<void> | null = null;
  return {
    health,
    healthPort: server.port,
    modelId,
    done,
    modelDied: modelDied ?? new Promise<Error>(() => undefined),
    drain() {
      draining ??= (async () => {
        await Promise.all([loop.drain(), dlq?.stop()]);
        await done;
        await model.close();
        await closeAll();
      })();
      return draining;
    },
  };
}
