// The local platform for the client's tests, real processes and servers only: a private local AWS (s3rver, SQS,
// dynalite), the API over HTTP on a random loopback port, and a worker running the bundled model. `extend` may
// add routes to the app before it listens (the browser test serves its page and the built client from the API's
// own origin, since the API sends no CORS headers).
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp, type ApiDeps } from '../../../functions/api/app.js';
import { seedApiKey } from '../../../functions/api/auth-keys.js';
import { createEventEmitter, parseEventMessage } from '../../../shared/events.js';
import type { RunningWorker } from '../../../workers/gpu/start-worker.js';
import { MODELS, PEPPER } from '../../../test/api/api-harness.js';
import { bundleDir, startInProcessWorker } from '../../../test/reliability/support.js';
import { startLocalStack, type LocalStack } from '../../../test/support/local-stack.js';

export interface Platform {
  stack: LocalStack;
  url: string;
  /** Tenant acme. */
  key: string;
  /** Tenant globex. */
  otherKey: string;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  extend?: (app: ReturnType<typeof createApp>) => void;
  /** Diffusion steps held this long, so progress is written while a test watches. */
  stepDelayMs?: number;
  settings?: Partial<ApiDeps['settings']>;
  /** false: no worker (jobs stay queued). */
  worker?: boolean;
}

export const MODEL_DIR = bundleDir('the typed client against the local platform');

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const stack = await startLocalStack();
  const key = `sk_test_acme_${crypto.randomUUID()}`;
  const otherKey = `sk_test_globex_${crypto.randomUUID()}`;
  await seedApiKey(stack.table, key, 'acme', PEPPER);
  await seedApiKey(stack.table, otherKey, 'globex', PEPPER);
  const app = createApp({
    jobs: stack.table,
    objects: stack.objects,
    queue: stack.jobs,
    models: MODELS,
    events: createEventEmitter({ table: stack.table, queue: stack.queue(stack.resources.events.queueUrl, parseEventMessage) }),
    settings: {
      apiKeyPepper: PEPPER,
      allowLoopbackHttp: true,
      rateLimitPerWindow: 100_000,
      eventsPollMs: 50,
      eventsMaxSeconds: 600,
      waitPollMs: 50,
      ...options.settings,
    },
  });
  options.extend?.(app);
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
    const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server, port: info.port }));
  });
  let worker: RunningWorker | null = null;
  if (options.worker !== false && MODEL_DIR !== null) worker = await startInProcessWorker(stack, MODEL_DIR, { stepDelayMs: options.stepDelayMs ?? 0 });
  return {
    stack,
    url: `http://127.0.0.1:${port}`,
    key,
    otherKey,
    async stop() {
      await worker?.drain();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await stack.stop();
    },
  };
}
