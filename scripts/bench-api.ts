// npm run bench:api — POST /v1/jobs against the local platform (s3rver, local-aws-sqs, dynalite on loopback)
// versus a bare Hono route that only parses the same JSON body, in one run. Prints figures; the last line
// is one JSON object: jobs_rps, bare_rps, ratio (jobs_rps / bare_rps), p99_ms (POST /v1/jobs at a fixed
// 200 req/s), and the settings used. BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 10) tune it.
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedApiKey } from '../functions/api/auth-keys.js';
import { createPlatformDeps } from '../functions/api/platform-deps.js';
import { startApiServer } from '../functions/api/serve.js';
import { createAwsClients, LOCAL_CREDENTIALS } from '../shared/aws/clients.js';
import { loadConfig } from '../shared/config.js';
import { localAwsEnv, startLocalAws } from './local-aws.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const FIXED_RATE = 200;
const KEY = 'sk_bench_0123456789abcdef';
const BODY = JSON.stringify({
  model: 'nexus-mini',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Generate an image of a red circle on a blue background.' }] }],
  params: { seed: 7, steps: 20 },
  metadata: { bench: 'api' },
});

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, options: { rate?: number; seconds: number; connections: number }): Promise<Run> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: BODY,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate === undefined ? {} : { overallRate: options.rate }),
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nexus-bench-'));
  const local = await startLocalAws({ dataDir, inMemoryDynamo: true });
  const config = loadConfig({ ...localAwsEnv(local), API_KEY_PEPPER: 'bench-pepper-0', RATE_LIMIT_PER_MINUTE: '1000000000' });
  const clients = createAwsClients({ region: config.region, endpoints: config.endpoints, credentials: LOCAL_CREDENTIALS });
  const deps = createPlatformDeps({ config, clients });
  await seedApiKey(deps.jobs, KEY, 'bench', config.api.keyPepper);
  const api = await startApiServer({ deps, port: 0 });
  // Diagnostic only: the same app with the three hot-path store calls answered in memory, which separates
  // the API's own cost (parsing, validation, auth, mapping) from the local AWS servers' and SDK's.
  const overhead = await startApiServer({
    deps: {
      ...deps,
      jobs: {
        ...deps.jobs,
        createJob: () => Promise.resolve(true),
        incrementRateCounter: () => Promise.resolve(1),
      },
      queue: { ...deps.queue, send: () => Promise.resolve() },
    },
    port: 0,
  });

  const bareApp = new Hono();
  bareApp.post('/bare', async (c) => c.json({ id: 'job_x', object: 'job', status: 'queued', echo: Object.keys(await c.req.json()) }, 202));
  const bare = await new Promise<{ url: string; close: () => void }>((resolve) => {
    const server = serve({ fetch: bareApp.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ url: `http://127.0.0.1:${info.port}/bare`, close: () => server.close() }),
    );
  });

  try {
    // Warm both paths (JIT, SDK connection pools, the auth cache).
    await load(`${api.url}/v1/jobs`, { seconds: 2, connections: CONNECTIONS });
    await load(bare.url, { seconds: 2, connections: CONNECTIONS });

    const jobs = await load(`${api.url}/v1/jobs`, { seconds: SECONDS, connections: CONNECTIONS });
    const bareRun = await load(bare.url, { seconds: SECONDS, connections: CONNECTIONS });
    const apiOnly = await load(`${overhead.url}/v1/jobs`, { seconds: SECONDS, connections: CONNECTIONS });
    // Enough connections that 200 req/s is really offered even when each request takes ~100 ms.
    const fixed = await load(`${api.url}/v1/jobs`, { seconds: SECONDS, connections: Math.max(CONNECTIONS, 40), rate: FIXED_RATE });

    console.log(`POST /v1/jobs  max: ${jobs.rps.toFixed(0)} req/s, p50 ${jobs.p50} ms, p99 ${jobs.p99} ms, non-2xx ${jobs.non2xx}, errors ${jobs.errors}`);
    console.log(`bare Hono     max: ${bareRun.rps.toFixed(0)} req/s, p50 ${bareRun.p50} ms, p99 ${bareRun.p99} ms`);
    console.log(`POST /v1/jobs, stores in memory (API's own cost): ${apiOnly.rps.toFixed(0)} req/s, p99 ${apiOnly.p99} ms`);
    console.log(`POST /v1/jobs at ${FIXED_RATE} req/s: ${fixed.rps.toFixed(0)} req/s served, p50 ${fixed.p50} ms, p99 ${fixed.p99} ms, non-2xx ${fixed.non2xx}`);
    const summary = {
      jobs_rps: Math.round(jobs.rps),
      bare_rps: Math.round(bareRun.rps),
      ratio: Number((jobs.rps / bareRun.rps).toFixed(3)),
      p99_ms: fixed.p99,
      p50_ms_at_200: fixed.p50,
      served_rps_at_200: Math.round(fixed.rps),
      api_only_rps: Math.round(apiOnly.rps),
      api_only_ratio: Number((apiOnly.rps / bareRun.rps).toFixed(3)),
      jobs_non2xx: jobs.non2xx + fixed.non2xx,
      seconds: SECONDS,
      connections: CONNECTIONS,
      node: process.version,
    };
    console.log(JSON.stringify(summary));
  } finally {
    // Let requests still in flight when autocannon stopped finish before their backing servers go away.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    bare.close();
    await overhead.close();
    await api.close();
    clients.destroy();
    await local.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
