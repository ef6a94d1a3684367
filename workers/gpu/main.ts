// Container entry of the GPU worker: read config, load the bundle once (warm-up run), poll the jobs queue.
// SIGTERM/SIGINT drain (stop polling, finish or release in-flight jobs within the grace period) and exit 0;
// a start that cannot load the bundle exits 1 so the orchestrator replaces the task.
import { errorText } from '../../shared/error-text.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/log.js';
import { createSqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { createEventEmitter, parseEventMessage } from '../../shared/events.js';
import { loadModel } from '../model/index.js';
import { loadWorkerConfig } from './config.js';
import { loadModelInThread } from './model-thread.js';
import { startWorker } from './start-worker.js';

const log = createLogger({ component: 'worker' });

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const settings = loadWorkerConfig(process.env);
  // Signals are handled from the first line: a SIGTERM that arrives while the bundle loads (or just after the
  // worker logged ready) must still drain and exit 0, not die by the default action.
  let worker: Awaited<ReturnType<typeof startWorker>> | null = null;
  let stopping = false;
  const drain = (started: NonNullable<typeof worker>): void => {
    started.drain().then(
      () => {
        log('drained', {});
        process.exit(0);
      },
      (error: unknown) => {
        log('drain_failed', { error: errorText(error) });
        process.exit(1);
      },
    );
  };
  const stop = (signal: string): void => {
    log('signal', { signal });
    if (stopping) return;
    stopping = true;
    if (worker) drain(worker);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  worker = await startWorker({
    config,
    worker: settings,
    loadModel: settings.modelThread ? loadModelInThread : loadModel,
    createEvents: ({ table, clients, eventsQueueUrl }) =>
      createEventEmitter({ table, queue: createSqsMessageQueue({ client: clients.sqs, queueUrl: eventsQueueUrl, parse: parseEventMessage }) }),
    log,
  });
  // A signal during start-up: drain the worker as soon as it exists.
  if (stopping) drain(worker);
  // A dead model thread: health already says failed; drain and exit 1 so the orchestrator replaces the task.
  const started = worker;
  void started.modelDied.then(async () => {
    stopping = true;
    await started.drain().catch(() => undefined);
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  log('start_failed', { error: errorText(error) });
  process.exit(1);
});
