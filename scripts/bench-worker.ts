// npm run bench:worker — the worker on the local platform (real API in-process, s3rver, local-aws-sqs,
// dynalite, the real bundle): jobs/s at 1 and 8 concurrent jobs with micro-batching on (B=8) and off
// (B=1), and the platform overhead per job = end-to-end (API submit → terminal event read off the events
// queue) minus model time (the job's compute_ms), median and p95 at concurrency 1. The critical path of a
// job is about ten sequential loopback calls (API: row + message; worker: claim, output object, final row,
// event; plus the two long-poll wake-ups), so `loopback_rtt_ms` is printed beside it.
// The last line printed is one JSON object. BENCH_SECONDS (per throughput run), BENCH_OVERHEAD_JOBS,
// BENCH_THREADS and BENCH_STEPS tune it.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { createApp } from '../functions/api/app.js';
import { seedApiKey } from '../functions/api/auth-keys.js';
import { staticCatalog } from '../functions/api/deps.js';
import { loadConfig } from '../shared/config.js';
import { createEventEmitter, parseEventMessage, type EventMessage } from '../shared/events.js';
import { createSqsMessageQueue } from '../shared/aws/sqs-message-queue.js';
import { startLocalStack, type LocalStack } from '../test/support/local-stack.js';
import { loadWorkerConfig } from '../workers/gpu/config.js';
import { loadModelInThread } from '../workers/gpu/model-thread.js';
import { startWorker, type RunningWorker } from '../workers/gpu/start-worker.js';
import { loadModel } from '../workers/model/index.js';
import type { LoadedModel } from '../workers/model/types.js';

const ROOT = resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const OVERHEAD_JOBS = Number(process.env.BENCH_OVERHEAD_JOBS ?? 40);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const STEPS = Number(process.env.BENCH_STEPS ?? 8);
const SPINNING = ['1', 'true'].includes(process.env.BENCH_SPINNING ?? '0');
const MODEL_THREAD = !['0', 'false'].includes(process.env.BENCH_MODEL_THREAD ?? '1');
const EVENT_POLLERS = Number(process.env.BENCH_EVENT_POLLERS ?? 4);
const TERMINAL = new Set(['job.succeeded', 'job.failed', 'job.canceled', 'job.expired']);
const PEPPER = 'bench-pepper';
const KEY = 'sk_bench_0123456789abcdef';

// BENCH_BUNDLE picks another bundle folder (e.g. .cache/smoke-bundle); default: the committed one, else smoke.
const bundle = [process.env.BENCH_BUNDLE, join(ROOT, 'models/nexus-mini'), join(ROOT, '.cache/smoke-bundle')]
  .filter((d): d is string => d !== undefined && d !== '')
  .map((d) => resolve(ROOT, d))
  .find((d) => existsSync(join(d, 'manifest.json')));
if (bundle === undefined) {
  console.error('no model bundle: neither models/nexus-mini/ nor .cache/smoke-bundle/ has a manifest.json');
  process.exit(1);
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};
const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

interface Finished {
  event: EventMessage;
  at: number;
}

/**
 * Reads terminal events off the events queue and resolves the waiter of each job. Several pollers asking for
 * one message each: local-aws-sqs answers a receive only once it holds MaxNumberOfMessages messages or after
 * 40 ms, so one poller asking for 10 would add up to 40 ms to every event it reads (AWS returns at once).
 */
function watchEvents(stack: LocalStack, pollers: number): { wait(jobId: string): Promise<Finished>; stop(): void } {
  const queue = createSqsMessageQueue({ client: stack.clients.sqs, queueUrl: stack.resources.events.queueUrl, parse: parseEventMessage });
  const waiters = new Map<string, (f: Finished) => void>();
  const early = new Map<string, Finished>();
  let running = true;
  const poll = async (): Promise<void> => {
    while (running) {
      const batch = await queue.receive({ maxMessages: 1, waitSeconds: 1, visibilitySeconds: 30 }).catch(() => []);
      const at = performance.now();
      for (const message of batch) {
        void queue.delete(message.receiptHandle).catch(() => undefined);
        if (!TERMINAL.has(message.body.type)) continue;
        const finished = { event: message.body, at };
        const waiter = waiters.get(message.body.job_id);
        if (waiter) waiter(finished);
        else early.set(message.body.job_id, finished);
      }
    }
  };
  for (let i = 0; i < pollers; i += 1) void poll();
  return {
    wait(jobId) {
      const done = early.get(jobId);
      if (done) return Promise.resolve(done);
      return new Promise((resolveWait) => waiters.set(jobId, resolveWait));
    },
    stop() {
      running = false;
    },
  };
}

/** Mean round trip of a bare loopback HTTP request: the floor under every storage and queue call here. */
async function loopbackRttMs(): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const started = performance.now();
  for (let i = 0; i < 50; i += 1) await (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' })).text();
  const rtt = (performance.now() - started) / 50;
  server.closeAllConnections();
  await new Promise<void>((closed) => server.close(() => closed()));
  return rtt;
}

async function main(): Promise<void> {
  const rttBefore = await loopbackRttMs();
  const stack = await startLocalStack();
  await seedApiKey(stack.table, KEY, 'bench', PEPPER);
  const app = createApp({
    jobs: stack.table,
    objects: stack.objects,
    queue: stack.jobs,
    models: staticCatalog([{ name: 'nexus-mini', version: '1.0.0', capabilities: ['understand', 'generate', 'edit'] }]),
    settings: { apiKeyPepper: PEPPER, rateLimitPerWindow: 1_000_000 },
  });
  // The worker shares this machine's cores with the API and the local AWS servers in this process: its
  // intra-op threads do not spin (INTRA_OP_SPINNING=false, as `npm start` runs it); BENCH_SPINNING=1 lets them.
  // BENCH_MODEL_THREAD=0 runs the model on the event loop's thread, as the worker does with WORKER_MODEL_THREAD=false
  // (and then without prefetch, unless BENCH_PREFETCH says otherwise).
  const modelOptions = { executionProviders: ['cpu' as const], intraOpThreads: THREADS, allowSpinning: SPINNING };
  const model = MODEL_THREAD ? await loadModelInThread(bundle ?? '', modelOptions) : await loadModel(bundle ?? '', modelOptions);
  const borrowed: LoadedModel = {
    name: model.name,
    version: model.version,
    run: (r, o) => model.run(r, o),
    runBatch: (r, o) => model.runBatch(r, o),
    close: async () => undefined,
  };
  const events = watchEvents(stack, EVENT_POLLERS);
  let seed = 0;
  // The worker's job_timing log: per job, ms from its receipt to each step (claimed, model_start, …, deleted).
  const timings = new Map<string, { receivedAt: number; at: Record<string, number> }>();
  // The worker's batch log: how full the batches ran and how long the worker spent claiming and running them.
  const batches: { messages: number; claimMs: number; runMs: number }[] = [];
  const record = (event: string, fields: Record<string, unknown>): void => {
    const { messages, claim_ms: claimMs, run_ms: runMs } = fields;
    if (event === 'batch' && typeof messages === 'number' && typeof claimMs === 'number' && typeof runMs === 'number') batches.push({ messages, claimMs, runMs });
    if (event !== 'job_timing' || typeof fields.job_id !== 'string' || typeof fields.received_at !== 'number') return;
    const at = fields.at;
    if (typeof at !== 'object' || at === null) return;
    timings.set(fields.job_id, {
      receivedAt: fields.received_at,
      at: Object.fromEntries(Object.entries(at).filter((e): e is [string, number] => typeof e[1] === 'number')),
    });
  };

  async function startBenchWorker(batchSize: number): Promise<RunningWorker> {
    return startWorker({
      config: loadConfig(stack.env),
      worker: loadWorkerConfig({
        MODEL_BUNDLE_DIR: bundle,
        WORKER_BATCH_SIZE: String(batchSize),
        WORKER_BATCH_WINDOW_MS: '10',
        WORKER_WAIT_SECONDS: '1',
        WORKER_MODEL_THREAD: String(MODEL_THREAD),
        ...(process.env.BENCH_PREFETCH === undefined ? {} : { WORKER_PREFETCH: process.env.BENCH_PREFETCH }),
        WORKER_PROGRESS_INTERVAL_MS: '1000',
        WORKER_DLQ_CONSUMER: 'false',
        HEALTH_PORT: '0',
      }),
      loadModel: async () => borrowed,
      createEvents: ({ table, clients, eventsQueueUrl }) =>
        createEventEmitter({ table, queue: createSqsMessageQueue({ client: clients.sqs, queueUrl: eventsQueueUrl, parse: parseEventMessage }) }),
      log: (event, fields) => {
        record(event, fields);
        if (process.env.BENCH_LOG) console.error(JSON.stringify({ event, ...fields }));
      },
    });
  }

  /** One job through the whole platform; returns end-to-end and model ms. */
  async function oneJob(): Promise<{ jobId: string; wallStart: number; e2eMs: number; modelMs: number; split: Record<'apiMs' | 'workerMs' | 'eventMs', number> }> {
    seed += 1;
    const started = performance.now();
    const res = await app.request('/v1/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'nexus-mini',
        messages: [{ role: 'user', content: 'Generate an image according to the following description: a blue square at the top left' }],
        output: { modalities: ['image'], format: 'png', n: 1 },
        params: { seed, steps: STEPS, max_tokens: 8 },
      }),
    });
    const body: unknown = await res.json();
    if (res.status !== 202 || typeof body !== 'object' || body === null || !('id' in body) || typeof body.id !== 'string') {
      throw new Error(`submit failed: ${res.status} ${JSON.stringify(body)}`);
    }
    const finished = await events.wait(body.id);
    if (finished.event.type !== 'job.succeeded') throw new Error(`job ${body.id} ended ${finished.event.type}: ${JSON.stringify(finished.event.job.error)}`);
    const job = finished.event.job;
    const modelMs = job.usage?.computeMs ?? 0;
    // Wall-clock split (ms resolution): API until the row exists, worker around the model, event delivery.
    const wall = Date.now() - (performance.now() - started);
    const created = Date.parse(job.createdAt);
    const completed = Date.parse(job.completedAt ?? job.createdAt);
    const split = { apiMs: created - wall, workerMs: completed - created - modelMs, eventMs: wall + (finished.at - started) - completed };
    return { jobId: body.id, wallStart: wall, e2eMs: finished.at - started, modelMs, split };
  }

  async function throughput(batchSize: number, concurrency: number): Promise<number> {
    const worker = await startBenchWorker(batchSize);
    await Promise.all(Array.from({ length: concurrency }, () => oneJob())); // warm the path
    const until = performance.now() + SECONDS * 1000;
    batches.length = 0;
    let done = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          await oneJob();
          done += 1;
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const rate = done / (elapsedMs / 1000);
    const ran = batches.splice(0);
    const sum = (key: 'messages' | 'claimMs' | 'runMs'): number => ran.reduce((total, b) => total + b[key], 0);
    await worker.drain();
    console.error(
      `B=${batchSize} concurrency=${concurrency}: ${done} jobs, ${round(rate)} jobs/s; ${ran.length} batches of ${round(sum('messages') / ran.length, 1)} on average, ` +
        `worker loop ${round((100 * sum('runMs')) / elapsedMs, 0)}% running the model, ${round((100 * sum('claimMs')) / elapsedMs, 0)}% claiming`,
    );
    return rate;
  }

  // Overhead first, at concurrency 1 and B=1: nothing queues behind another job's model time.
  const worker = await startBenchWorker(1);
  for (let i = 0; i < 3; i += 1) await oneJob();
  const overheads: number[] = [];
  const modelTimes: number[] = [];
  const splits: Record<'apiMs' | 'workerMs' | 'eventMs', number[]> = { apiMs: [], workerMs: [], eventMs: [] };
  const traced: { jobId: string; wallStart: number; e2eMs: number }[] = [];
  for (let i = 0; i < OVERHEAD_JOBS; i += 1) {
    const { jobId, wallStart, e2eMs, modelMs, split } = await oneJob();
    traced.push({ jobId, wallStart, e2eMs });
    overheads.push(e2eMs - modelMs);
    modelTimes.push(modelMs);
    for (const key of ['apiMs', 'workerMs', 'eventMs'] as const) splits[key].push(split[key]);
  }
  await worker.drain();
  // One job's timeline at concurrency 1, ms after its submit (p50 of each point): receipt by the worker (wall
  // clock, ms resolution), each worker step after it (job_timing), and the terminal event's arrival here.
  const points = new Map<string, number[]>();
  for (const { jobId, wallStart, e2eMs } of traced) {
    const timing = timings.get(jobId);
    if (timing === undefined) continue;
    const received = timing.receivedAt - wallStart;
    const add = (name: string, value: number): void => void points.set(name, [...(points.get(name) ?? []), value]);
    add('received', received);
    for (const [name, at] of Object.entries(timing.at)) if (name !== 'received') add(name, received + at);
    add('event_read', e2eMs);
  }
  const timeline = Object.fromEntries([...points.entries()].map(([name, values]) => [name, round(percentile(values, 50), 1)] as const).sort((a, b) => a[1] - b[1]));
  console.error(`timeline (ms after submit, p50): ${JSON.stringify(timeline)}`);
  console.error(
    `overhead over ${OVERHEAD_JOBS} jobs: p50 ${round(percentile(overheads, 50))} ms, p95 ${round(percentile(overheads, 95))} ms; model p50 ${percentile(modelTimes, 50)} ms`,
  );

  const off1 = await throughput(1, 1);
  const on1 = await throughput(8, 1);
  const off8 = await throughput(1, 8);
  const on8 = await throughput(8, 8);

  events.stop();
  await model.close();
  await stack.stop();
  const rttAfter = await loopbackRttMs();
  console.log(
    JSON.stringify({
      batching_speedup: round(on8 / off8),
      overhead_ms_p50: round(percentile(overheads, 50), 1),
      overhead_ms_p95: round(percentile(overheads, 95), 1),
      model_ms_p50: percentile(modelTimes, 50),
      timeline_ms_p50: timeline,
      overhead_split_ms_p50: { api: percentile(splits.apiMs, 50), worker: percentile(splits.workerMs, 50), event: percentile(splits.eventMs, 50) },
      // Context for the overhead: on a loaded shared machine every loopback call costs this much.
      loopback_rtt_ms: { before: round(rttBefore), after: round(rttAfter) },
      jobs_per_s: { c1_batching_off: round(off1), c1_batching_on: round(on1), c8_batching_off: round(off8), c8_batching_on: round(on8) },
      steps: STEPS,
      intra_op_threads: THREADS,
      intra_op_spinning: SPINNING,
      model_thread: MODEL_THREAD,
      prefetch: loadWorkerConfig({ WORKER_MODEL_THREAD: String(MODEL_THREAD), WORKER_PREFETCH: process.env.BENCH_PREFETCH }).prefetch,
      seconds_per_run: SECONDS,
      bundle: relative(ROOT, bundle ?? ''),
    }),
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
