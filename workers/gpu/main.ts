// Container entry of the GPU worker: read config, load the bundle once (warm-up run), poll the jobs queue.
// SIGTERM/SIGINT drain (stop polling, finish or release in-flight jobs within the grace period) and exit 0;
// a start that cannot load the bundle exits 1 so the orchestrator replaces the task.
import { loadConfig } from '../../shared/config.js';
import { createSqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { createEventEmitter, parseEventMessage } from '../../shared/events.js';
import { loadModel } from '../model/index.js';
import { loadWorkerConfig } from './config.js';
import { startWorker, type Log } from './start-worker.js';

const log: Log = (event, fields) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), component: 'worker', event, ...fields })}\n`);
};

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const settings = loadWorkerConfig(process.env);
  const worker = await startWorker({
    config,
    worker: settings,
    loadModel,
    createEvents: ({ table, clients, eventsQueueUrl }) =>
      createEventEmitter({ table, queue: createSqsMessageQueue({ client: clients.sqs, queueUrl: eventsQueueUrl, parse: parseEventMessage }) }),
    log,
  });
  const stop = (signal: string): void => {
    log('signal', { signal });
    worker.drain().then(
      () => {
        log('drained', {});
        process.exit(0);
      },
      (error: unknown) => {
        log('drain_failed', { error: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  log('start_failed', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
