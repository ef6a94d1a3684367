// npm run bench:api — POST /v1/jobs against the local platform versus a bare Hono route that only parses the
// same JSON body, in one run. Three processes/threads, as in a deployment: the local AWS servers (s3rver,
// local-aws-sqs, dynalite) run in a child process (bench-api-aws.ts), the servers under test in this
// process's event loop, and autocannon (closed loop, for the maxima) in a worker thread, so neither the load
// generator nor the emulators take turns on the API's thread. The fixed-rate run is open loop, from a child
// process (bench-api-rate.ts), latency counted from each request's due time. Prints figures; the last line is one JSON object: jobs_rps, bare_rps,
// ratio (jobs_rps / bare_rps), p99_ms (POST /v1/jobs at a fixed 200 req/s: the worse of a run before and one after
// the closed-loop floods), CPU per request of the API
// process and of the AWS child, store_ceiling_rps and ratio_ceiling (the endpoint's store calls alone, the most
// jobs_rps this host allows), and the settings used. BENCH_SECONDS (default 10) and BENCH_CONNECTIONS
// (default 10) tune it; BENCH_BATCHING=off sends each job's message alone (SendMessage), to weigh the API's
// SendMessageBatch coalescing (functions/api/batching-send.ts).
import { serve } from '@hono/node-server';
import type { SQSClient } from '@aws-sdk/client-sqs';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedApiKey } from '../functions/api/auth-keys.js';
import { createJob } from '../functions/api/create-job.js';
import { resolveDeps, type ApiDeps } from '../functions/api/deps.js';
import { prepareJob } from '../functions/api/prepare-request.js';
import { JobRequestSchema } from '../functions/api/schemas/job-request.js';
import { createPlatformDeps } from '../functions/api/platform-deps.js';
import { startApiServer } from '../functions/api/serve.js';
import { createAwsClients, LOCAL_CREDENTIALS } from '../shared/aws/clients.js';
import { createSqsMessageQueue } from '../shared/aws/sqs-message-queue.js';
import { loadConfig } from '../shared/config.js';
import type { JobMessage } from '../shared/job.js';
import type { MessageQueue } from '../shared/ports.js';
import { BENCH_BODY as BODY, BENCH_KEY as KEY, runRateChild, startAwsChild, type AwsChild } from './bench-api-child.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const FIXED_RATE = 200;
const CEILING_CALLERS = 64;
const BATCHING = (process.env.BENCH_BATCHING ?? 'on') !== 'off';

interface Run {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU milliseconds per completed request, in this process (API) and in the AWS child. */
  apiCpuMs: number;
  awsCpuMs: number | null;
}

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

interface Metered<T> {
  result: T;
  /** CPU milliseconds per request served, in this process (API) and in the AWS child (null without /proc). */
  apiCpuMs: number;
  awsCpuMs: number | null;
}

/** Runs `work` and divides the CPU both processes spent meanwhile by the requests it served. */
async function metered<T>(aws: AwsChild, work: () => Promise<T>, served: (result: T) => number): Promise<Metered<T>> {
  const api0 = cpuMs();
  const aws0 = await aws.cpuMs();
  const result = await work();
  const apiCpu = cpuMs() - api0;
  const aws1 = await aws.cpuMs();
  const count = Math.max(1, served(result));
  return { result, apiCpuMs: apiCpu / count, awsCpuMs: aws0 === null || aws1 === null ? null : (aws1 - aws0) / count };
}

async function load(url: string, aws: AwsChild, options: { seconds: number; connections: number }): Promise<Run> {
  // The API process also runs autocannon's aggregation, a few messages per second: negligible.
  const { result, apiCpuMs, awsCpuMs } = await metered(
    aws,
    () =>
      autocannon({
        url,
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: BODY,
        connections: options.connections,
        duration: options.seconds,
        // The load generator gets its own thread; the main thread is left to the server under test.
        workers: 1,
      }),
    (run) => run.requests.total,
  );
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    apiCpuMs,
    awsCpuMs,
  };
}

/**
 * The store work of POST /v1/jobs alone: createJob (ids, the row, its conditional PutItem, the batched SQS send)
 * in a closed loop of CEILING_CALLERS callers (more than the floods' connections, so sends batch fully), with no HTTP server, auth or validation in front. The endpoint does
 * all of this and more on the same cores, so this rate bounds jobs_rps from above whatever the API's own code
 * costs; ratio_ceiling = this / bare_rps says whether the ratio target can be met on this host at all.
 */
async function storeCeiling(input: ApiDeps, aws: AwsChild, seconds: number): Promise<{ rps: number; apiCpuMs: number; awsCpuMs: number | null }> {
  const deps = resolveDeps(input);
  const request = JobRequestSchema.parse(JSON.parse(BODY));
  const prepared = await prepareJob(request, { tenant: 'bench', models: deps.models, objects: deps.objects, allowLoopbackHttp: false });
  const { result, apiCpuMs, awsCpuMs } = await metered(
    aws,
    async () => {
      const started = performance.now();
      const until = started + seconds * 1000;
      let done = 0;
      await Promise.all(
        Array.from({ length: CEILING_CALLERS }, async () => {
          while (performance.now() < until) {
            await createJob(deps, { tenant: 'bench', prepared, bodyHash: '', idempotencyKey: null, spend: null });
            done += 1;
          }
        }),
      );
      return { done, elapsed: (performance.now() - started) / 1000 };
    },
    (run) => run.done,
  );
  return { rps: result.done / result.elapsed, apiCpuMs, awsCpuMs };
}

/** One SendMessage per job, as the queue adapter sends (BENCH_BATCHING=off). */
function unbatchedSend(client: SQSClient, queueUrl: string): MessageQueue<JobMessage>['send'] {
  const sendOnly = (): never => {
    throw new Error('the bench only sends');
  };
  return createSqsMessageQueue<JobMessage>({ client, queueUrl, parse: sendOnly }).send;
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const load1 = (): number => round(loadavg()[0] ?? 0);

async function main(): Promise<void> {
  const aws = await startAwsChild();
  const config = loadConfig({ ...aws.env, API_KEY_PEPPER: 'bench-pepper-0', RATE_LIMIT_PER_MINUTE: '1000000000' });
  // The SDK clients as every entry builds them (shared/aws/clients.ts).
  const clients = createAwsClients({ region: config.region, endpoints: config.endpoints, credentials: LOCAL_CREDENTIALS });
  const platform = createPlatformDeps({ config, clients });
  const deps: ApiDeps = BATCHING ? platform : { ...platform, queue: { ...platform.queue, send: unbatchedSend(clients.sqs, config.queues.jobs ?? '') } };
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
    const loadBefore = load1();
    // Warm both paths (JIT, SDK connection pools, the auth cache).
    await load(`${api.url}/v1/jobs`, aws, { seconds: 2, connections: CONNECTIONS });
    await load(bare.url, aws, { seconds: 2, connections: CONNECTIONS });

    // Open loop at a fixed rate, from a child process (bench-api-rate.ts): one request every 5 ms. Run twice, on a
    // lightly used platform (before the closed-loop floods) and after the floods have pushed ~10k jobs into the
    // emulators; p99_ms is the worse of the two (the tail varies run to run on a shared VM).
    const metered200 = await metered(
      aws,
      () => runRateChild({ url: `${api.url}/v1/jobs`, rate: FIXED_RATE, seconds: SECONDS, body: BODY, authorization: `Bearer ${KEY}` }),
      (run) => run.requests,
    );
    const fixed = metered200.result;
    const fixedCpu = { api: metered200.apiCpuMs, aws: metered200.awsCpuMs };
    // Control: the bare route under the same open-loop load. Its tail is what the host alone adds.
    const bareFixed = await runRateChild({ url: bare.url, rate: FIXED_RATE, seconds: SECONDS, body: BODY, authorization: `Bearer ${KEY}` });

    const jobs = await load(`${api.url}/v1/jobs`, aws, { seconds: SECONDS, connections: CONNECTIONS });
    const bareRun = await load(bare.url, aws, { seconds: SECONDS, connections: CONNECTIONS });
    const apiOnly = await load(`${overhead.url}/v1/jobs`, aws, { seconds: SECONDS, connections: CONNECTIONS });
    const ceiling = await storeCeiling(deps, aws, SECONDS);
    const afterFlood = await runRateChild({ url: `${api.url}/v1/jobs`, rate: FIXED_RATE, seconds: SECONDS, body: BODY, authorization: `Bearer ${KEY}` });
    const loadAfter = load1();

    const cpu = (run: Run): string => `CPU/request: API ${run.apiCpuMs.toFixed(2)} ms, AWS child ${run.awsCpuMs?.toFixed(2) ?? '?'} ms`;
    console.log(`POST /v1/jobs  max: ${jobs.rps.toFixed(0)} req/s, p50 ${jobs.p50} ms, p99 ${jobs.p99} ms, non-2xx ${jobs.non2xx}, errors ${jobs.errors}; ${cpu(jobs)}`);
    console.log(`bare Hono     max: ${bareRun.rps.toFixed(0)} req/s, p50 ${bareRun.p50} ms, p99 ${bareRun.p99} ms; CPU/request ${bareRun.apiCpuMs.toFixed(3)} ms`);
    console.log(`POST /v1/jobs, stores in memory (API's own cost): ${apiOnly.rps.toFixed(0)} req/s, p99 ${apiOnly.p99} ms; ${cpu(apiOnly)}`);
    console.log(
      `store calls alone (createJob in a closed loop, no HTTP/validation): ${ceiling.rps.toFixed(0)} jobs/s = ${(ceiling.rps / bareRun.rps).toFixed(3)} of bare; ` +
        `CPU/job: this process ${ceiling.apiCpuMs.toFixed(2)} ms, AWS child ${ceiling.awsCpuMs?.toFixed(2) ?? '?'} ms`,
    );
    console.log(
      `POST /v1/jobs at ${FIXED_RATE} req/s (open loop): ${fixed.offered_rps} offered, ${fixed.served_rps} served, p50 ${fixed.p50_ms} ms, ` +
        `p90 ${fixed.p90_ms} ms, p99 ${fixed.p99_ms} ms, max ${fixed.max_ms} ms, non-2xx ${fixed.non2xx}, errors ${fixed.errors}; ` +
        `CPU/request: API ${fixedCpu.api.toFixed(2)} ms, AWS child ${fixedCpu.aws?.toFixed(2) ?? '?'} ms`,
    );
    console.log(`bare Hono at ${FIXED_RATE} req/s (open loop, control): p50 ${bareFixed.p50_ms} ms, p99 ${bareFixed.p99_ms} ms, max ${bareFixed.max_ms} ms`);
    console.log(`POST /v1/jobs at ${FIXED_RATE} req/s again, after the floods: p50 ${afterFlood.p50_ms} ms, p99 ${afterFlood.p99_ms} ms, max ${afterFlood.max_ms} ms`);
    console.log(`load average (1 min) before ${loadBefore}, after ${loadAfter}`);
    const summary = {
      jobs_rps: Math.round(jobs.rps),
      bare_rps: Math.round(bareRun.rps),
      ratio: round(jobs.rps / bareRun.rps, 3),
      p99_ms: Math.max(fixed.p99_ms, afterFlood.p99_ms),
      p99_ms_before_flood: fixed.p99_ms,
      p50_ms_at_200: fixed.p50_ms,
      max_ms_at_200: fixed.max_ms,
      bare_p99_ms_at_200: bareFixed.p99_ms,
      p99_ms_after_flood: afterFlood.p99_ms,
      served_rps_at_200: fixed.served_rps,
      api_cpu_ms_per_job_at_200: round(fixedCpu.api),
      aws_cpu_ms_per_job_at_200: fixedCpu.aws === null ? null : round(fixedCpu.aws),
      api_only_rps: Math.round(apiOnly.rps),
      api_only_ratio: round(apiOnly.rps / bareRun.rps, 3),
      store_ceiling_rps: Math.round(ceiling.rps),
      ratio_ceiling: round(ceiling.rps / bareRun.rps, 3),
      ceiling_callers: CEILING_CALLERS,
      api_cpu_ms_per_job: round(jobs.apiCpuMs),
      aws_cpu_ms_per_job: jobs.awsCpuMs === null ? null : round(jobs.awsCpuMs),
      bare_cpu_ms_per_request: round(bareRun.apiCpuMs, 3),
      jobs_non2xx: jobs.non2xx + fixed.non2xx + afterFlood.non2xx,
      jobs_errors: jobs.errors + fixed.errors + afterFlood.errors,
      load_avg_before: loadBefore,
      load_avg_after: loadAfter,
      seconds: SECONDS,
      connections: CONNECTIONS,
      batching: BATCHING,
      node: process.version,
    };
    console.log(JSON.stringify(summary));
  } finally {
    // Let requests still in flight when autocannon stopped finish before their backing servers go away.
    await sleep(1500);
    bare.close();
    await overhead.close();
    await api.close();
    clients.destroy();
    await aws.stop();
  }
}

await main();
