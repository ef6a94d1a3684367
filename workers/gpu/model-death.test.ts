// A worker whose model thread dies says so: health goes to failed (the container check replaces the task),
// the loop stops taking jobs, and modelDied settles so the entry can exit non-zero.
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { createEventEmitter, parseEventMessage } from '../../shared/events.js';
import { createSqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { bundleDir, FAST_WORKER_ENV } from '../../test/reliability/support.js';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { loadWorkerConfig } from './config.js';
import { loadModelInThread } from './model-thread.js';
import { startWorker } from './start-worker.js';

const dir = bundleDir('workers/gpu/model-death.test.ts');
let stack: LocalStack | null = null;

beforeAll(async () => {
  if (dir !== null) stack = await startLocalStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(dir === null)('a dead model thread', () => {
  it('turns health to failed, stops the loop and settles modelDied', { timeout: 60_000 }, async () => {
    let thread: Worker | null = null;
    const events: string[] = [];
    const worker = await startWorker({
      config: loadConfig(stack?.env ?? {}),
      worker: loadWorkerConfig({ ...FAST_WORKER_ENV, MODEL_BUNDLE_DIR: dir ?? '' }),
      loadModel: (bundle, options) => loadModelInThread(bundle, options, { onThread: (t) => (thread = t) }),
      createEvents: ({ table, clients, eventsQueueUrl }) =>
        createEventEmitter({ table, queue: createSqsMessageQueue({ client: clients.sqs, queueUrl: eventsQueueUrl, parse: parseEventMessage }) }),
      log: (event) => events.push(event),
    });
    expect(worker.health.snapshot().status).toBe('ready');
    await (thread as Worker | null)?.terminate();
    const cause = await worker.modelDied;
    expect(cause.message).toBe('the model thread exited (code 1)');
    expect(worker.health.snapshot()).toMatchObject({ status: 'failed', reason: 'the model thread died: the model thread exited (code 1)' });
    await worker.done; // the loop stopped on its own
    expect(events).toContain('model_died');
    await worker.drain();
  });
});
