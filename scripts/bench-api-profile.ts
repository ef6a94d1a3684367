// Diagnostic companion of bench:api: only POST /v1/jobs at a fixed open-loop rate (bench-api-rate.ts), with the
// time of each store call on the hot path (row put, queue send) and the API process's CPU per job, so a
// profile (`node --cpu-prof --import tsx scripts/bench-api-profile.ts`) holds nothing but job submissions.
// PROFILE_RATE (default 200), PROFILE_SECONDS (default 10), PROFILE_STORES=aws|memory (default aws).
import { setTimeout as sleep } from 'node:timers/promises';
import { seedApiKey } from '../functions/api/auth-keys.js';
import { createPlatformDeps } from '../functions/api/platform-deps.js';
import { startApiServer } from '../functions/api/serve.js';
import { createAwsClients, LOCAL_CREDENTIALS } from '../shared/aws/clients.js';
import { loadConfig } from '../shared/config.js';
import { BENCH_BODY as BODY, BENCH_KEY as KEY, runRateChild, startAwsChild } from './bench-api-child.js';

const RATE = Number(process.env.PROFILE_RATE ?? 200);
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
/** memory: the row put and the send answered in memory (the floor: the API's own work at this rate). */
const STORES = process.env.PROFILE_STORES ?? 'aws';

const quantiles = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): string => (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0).toFixed(1);
  return `n ${sorted.length}, p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
};

function timed<A extends unknown[], R>(into: number[], fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    const started = performance.now();
    try {
      return await fn(...args);
    } finally {
      into.push(performance.now() - started);
    }
  };
}

const aws = await startAwsChild();
const config = loadConfig({ ...aws.env, API_KEY_PEPPER: 'bench-pepper-0', RATE_LIMIT_PER_MINUTE: '1000000000' });
const clients = createAwsClients({ region: config.region, endpoints: config.endpoints, credentials: LOCAL_CREDENTIALS });
const deps = createPlatformDeps({ config, clients });
await seedApiKey(deps.jobs, KEY, 'bench', config.api.keyPepper);
const puts: number[] = [];
const sends: number[] = [];
const api = await startApiServer({
  deps: {
    ...deps,
    jobs: { ...deps.jobs, createJob: timed(puts, STORES === 'memory' ? () => Promise.resolve(true) : deps.jobs.createJob) },
    queue: { ...deps.queue, send: timed(sends, STORES === 'memory' ? () => Promise.resolve() : deps.queue.send) },
  },
  port: 0,
});
const run = (seconds: number) => runRateChild({ url: `${api.url}/v1/jobs`, rate: RATE, seconds, body: BODY, authorization: `Bearer ${KEY}` });
try {
  await run(2);
  puts.length = 0;
  sends.length = 0;
  const cpu0 = process.cpuUsage();
  const aws0 = await aws.cpuMs();
  const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks');
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const gcs: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push(e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });
  loop.enable();
  const fixed = await run(SECONDS);
  loop.disable();
  obs.disconnect();
  console.log(
    `API loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} p99 ${(loop.percentile(99) / 1e6).toFixed(1)} max ${(loop.max / 1e6).toFixed(1)} ms; gc n ${gcs.length} sum ${gcs.reduce((a, b) => a + b, 0).toFixed(0)} max ${Math.max(0, ...gcs).toFixed(1)} ms`,
  );
  const cpu = process.cpuUsage(cpu0);
  const aws1 = await aws.cpuMs();
  const jobs = Math.max(1, fixed.requests);
  console.log(`stores ${STORES}, ${RATE} req/s for ${SECONDS} s`);
  console.log(`row put:    ${quantiles(puts)}`);
  console.log(`queue send: ${quantiles(sends)}`);
  console.log(
    `CPU per job: API ${((cpu.user + cpu.system) / 1000 / jobs).toFixed(2)} ms (user ${(cpu.user / 1000 / jobs).toFixed(2)}, system ${(cpu.system / 1000 / jobs).toFixed(2)}), AWS child ${aws0 === null || aws1 === null ? '?' : ((aws1 - aws0) / jobs).toFixed(2)} ms`,
  );
  console.log(JSON.stringify(fixed));
} finally {
  await sleep(500);
  await api.close();
  clients.destroy();
  await aws.stop();
}
