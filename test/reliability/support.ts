// Shared pieces of the worker and reliability tests: the bundle to run (real, else the smoke bundle), a
// worker wired exactly as main.ts wires it (in-process or as a real child process), job submission through
// the real API, and a reader of the events queue.
import type { Log } from '../../shared/log.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../shared/config.js';
import { createEventEmitter, parseEventMessage, type EventMessage } from '../../shared/events.js';
import type { Connector } from '../../shared/guarded-fetch.js';
import type { JobRecord } from '../../shared/job.js';
import type { MessageQueue } from '../../shared/ports.js';
import type { Resolver } from '../../shared/ssrf-guard.js';
import { createSqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { loadModel } from '../../workers/model/index.js';
import type { LoadedModel } from '../../workers/model/types.js';
import { loadWorkerConfig } from '../../workers/gpu/config.js';
import { startWorker, type RunningWorker } from '../../workers/gpu/start-worker.js';
import { bundleForSuite } from '../support/bundle.js';
import { waitFor } from '../support/wait.js';
import type { LocalStack } from '../support/local-stack.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The bundle for the suite (see test/support/bundle.ts): null (skip) locally without one, a failure in CI. */
export function bundleDir(suite: string): string | null {
  return bundleForSuite(suite);
}

/**
 * Timings short enough for tests: 5 s visibility (a killed worker's jobs come back within 5 s), heartbeat
 * every 2 s, 1 s backoff base.
 */
export const FAST_WORKER_ENV: Record<string, string> = {
  EXECUTION_PROVIDERS: 'cpu',
  INTRA_OP_THREADS: '1',
  WORKER_BATCH_SIZE: '8',
  WORKER_BATCH_WINDOW_MS: '20',
  WORKER_WAIT_SECONDS: '1',
  WORKER_VISIBILITY_SECONDS: '5',
  WORKER_HEARTBEAT_MS: '2000',
  WORKER_PROGRESS_INTERVAL_MS: '100',
  WORKER_GRACE_MS: '5000',
  WORKER_BACKOFF_BASE_SECONDS: '1',
  WORKER_BACKOFF_MAX_SECONDS: '2',
  HEALTH_PORT: '0',
  HEALTH_HOST: '127.0.0.1',
};

let shared: Promise<LoadedModel> | null = null;

/** One model per test file; workers borrow it (their drain does not close it). */
export function sharedModel(dir: string): Promise<LoadedModel> {
  shared ??= loadModel(dir, { executionProviders: ['cpu'], intraOpThreads: 1 });
  return shared;
}

export interface InProcessWorkerOptions {
  env?: Record<string, string>;
  resolver?: Resolver;
  connector?: Connector;
  log?: Log;
  /** Observes each runBatch call's size (the real model still runs). */
  onRunBatch?: (size: number) => void;
  /** Holds each diffusion step this long (the real model still runs): a slower accelerator, so that a test can
   * act while a job runs however fast this machine's model is. */
  stepDelayMs?: number;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the calling thread, as a slow model step would. */
const holdStep = (ms: number): void => void Atomics.wait(pause, 0, 0, ms);

export async function startInProcessWorker(stack: LocalStack, dir: string, options: InProcessWorkerOptions = {}): Promise<RunningWorker> {
  const model = await sharedModel(dir);
  const borrowed: LoadedModel = {
    name: model.name,
    version: model.version,
    run: (request, runOptions) => model.run(request, runOptions),
    runBatch: (requests, runOptions) => {
      options.onRunBatch?.(requests.length);
      const delay = options.stepDelayMs ?? 0;
      if (delay <= 0) return model.runBatch(requests, runOptions);
      return model.runBatch(requests, {
        ...runOptions,
        onProgress: (progress) => {
          if (progress.stage === 'diffusion') holdStep(delay);
          runOptions?.onProgress?.(progress);
        },
      });
    },
    close: async () => undefined,
  };
  return startWorker({
    config: loadConfig(stack.env),
    worker: loadWorkerConfig({ ...FAST_WORKER_ENV, MODEL_BUNDLE_DIR: dir, ...options.env }),
    loadModel: async () => borrowed,
    createEvents: ({ table, clients, eventsQueueUrl }) =>
      createEventEmitter({ table, queue: createSqsMessageQueue({ client: clients.sqs, queueUrl: eventsQueueUrl, parse: parseEventMessage }) }),
    log: options.log ?? (() => undefined),
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.connector ? { connector: options.connector } : {}),
  });
}

export interface ChildWorker {
  process: ChildProcess;
  output: string[];
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the health port once the worker logged worker_ready. */
  ready: Promise<number>;
}

/** A real worker process: `tsx workers/gpu/main.ts`, configured only through its environment. */
export function spawnWorker(stack: LocalStack, dir: string, env: Record<string, string> = {}): ChildWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'workers/gpu/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...stack.env, ...FAST_WORKER_ENV, MODEL_BUNDLE_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let markReady: (port: number) => void = () => undefined;
  const ready = new Promise<number>((done) => (markReady = done));
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString();
    output.push(text);
    const match = /"event":"worker_ready".*?"health_port":(\d+)/.exec(text);
    if (match?.[1] !== undefined) markReady(Number(match[1]));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return { process: child, output, exited, ready };
}

/** The worker's health state over its HTTP port (null when it does not answer). */
export async function healthState(port: number): Promise<string | null> {
  try {
    const body: unknown = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    return typeof body === 'object' && body !== null && 'status' in body && typeof body.status === 'string' ? body.status : null;
  } catch {
    return null;
  }
}

export function eventsQueue(stack: LocalStack): MessageQueue<EventMessage> {
  return stack.queue(stack.resources.events.queueUrl, parseEventMessage);
}

/** Reads (and deletes) every event in the queue until it stays empty for `quietMs`. */
export async function collectEvents(queue: MessageQueue<EventMessage>, quietMs = 300): Promise<EventMessage[]> {
  const events: EventMessage[] = [];
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds: 0, visibilitySeconds: 30 });
    if (batch.length > 0) quietSince = Date.now();
    for (const message of batch) {
      events.push(message.body);
      await queue.delete(message.receiptHandle);
    }
    if (batch.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  return events;
}

export { sleep, waitFor } from '../support/wait.js';

/**
 * Waits until the jobs queue holds nothing (visible, in flight or delayed). A worker deletes a job's message last,
 * after the final row, the event and the usage count, so an empty queue means everything its jobs write has landed.
 */
export function jobsQueueEmpty(stack: LocalStack, timeoutMs = 10_000): Promise<true> {
  return waitFor(
    async () => {
      const depth = await stack.jobs.depth();
      return depth.visible + depth.inFlight + depth.delayed === 0 ? true : undefined;
    },
    timeoutMs,
    'the jobs queue to empty',
  );
}

export const FINAL = new Set<JobRecord['status']>(['succeeded', 'failed', 'canceled', 'expired']);

/** A generation request the bundle answers quickly (few diffusion steps). */
export const quickJob = (seed: number, extra: Record<string, unknown> = {}) => ({
  model: 'nexus-mini',
  messages: [{ role: 'user', content: 'Generate an image according to the following description: a red circle in the middle' }],
  output: { modalities: ['image'], format: 'png', n: 1 },
  params: { seed, steps: 2, max_tokens: 8 },
  ...extra,
});
