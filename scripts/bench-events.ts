// How late a waiting client learns that its job ended: the events stream (GET /v1/jobs/{id}/events, the row read
// every eventsPollMs) against polling GET /v1/jobs/{id} every second. A private local platform (local AWS, the API
// over HTTP, a worker running the bundled model); prints the lag after completed_at and the requests each wait made.
//   npx tsx scripts/bench-events.ts [jobs=20]
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Nexus } from '../clients/typescript/src/index.js';
import { createApp } from '../functions/api/app.js';
import { seedApiKey } from '../functions/api/auth-keys.js';
import { MODELS, PEPPER } from '../test/api/api-harness.js';
import { bundleDir, startInProcessWorker } from '../test/reliability/support.js';
import { startLocalStack } from '../test/support/local-stack.js';

const JOBS = Number(process.argv[2] ?? 20);
const dir = bundleDir('bench:events');
if (dir === null) throw new Error('no model bundle (models/nexus-mini or .cache/smoke-bundle)');

const stack = await startLocalStack();
const key = `sk_bench_${crypto.randomUUID()}`;
await seedApiKey(stack.table, key, 'bench', PEPPER);
let requests = 0;
const app = createApp({
  jobs: stack.table,
  objects: stack.objects,
  queue: stack.jobs,
  models: MODELS,
  settings: { apiKeyPepper: PEPPER, rateLimitPerWindow: 1_000_000, eventsMaxSeconds: 600 },
});
const server = await new Promise<{ server: ServerType; port: number }>((resolve) => {
  const s: ServerType = serve({ fetch: (req) => ((requests += 1), app.fetch(req)), port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
    resolve({ server: s, port: info.port }),
  );
});
const worker = await startInProcessWorker(stack, dir);
const nexus = new Nexus({ apiKey: key, baseURL: `http://127.0.0.1:${server.port}` });

async function measure(stream: boolean): Promise<{ lags: number[]; requests: number[] }> {
  const lags: number[] = [];
  const perWait: number[] = [];
  for (let i = 0; i < JOBS; i += 1) {
    const job = await nexus.jobs.create({
      model: 'nexus-mini',
      messages: [{ role: 'user', content: 'Generate an image according to the following description: a large red circle in the center' }],
      params: { seed: i, steps: 4 },
    });
    const before = requests;
    const done = await nexus.jobs.wait(job.id, { stream, pollIntervalMs: 1000 });
    const seenAt = Date.now();
    perWait.push(requests - before);
    lags.push(seenAt - Date.parse(done.completed_at ?? ''));
  }
  return { lags, requests: perWait };
}

const pct = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

try {
  for (const stream of [true, false]) {
    const { lags, requests: perWait } = await measure(stream);
    console.log(
      `${stream ? 'events stream (250 ms row reads)' : 'polling GET every 1 s         '}  jobs ${JOBS}  lag after completed_at: p50 ${pct(lags, 50)} ms, p90 ${pct(lags, 90)} ms, max ${Math.max(...lags)} ms  ` +
        `HTTP requests per wait: mean ${mean(perWait).toFixed(1)}`,
    );
  }
} finally {
  await worker.drain();
  server.server.close();
  await stack.stop();
}
