// Starts bench-api-aws.ts as a child process and reads its endpoints; its CPU time comes from /proc so the
// bench can say where each request's CPU goes.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The API key and job body every bench:api run submits. */
export const BENCH_KEY = 'sk_bench_0123456789abcdef';
export const BENCH_BODY = JSON.stringify({
  model: 'nexus-mini',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Generate an image of a red circle on a blue background.' }] }],
  params: { seed: 7, steps: 20 },
  metadata: { bench: 'api' },
});

export interface AwsChild {
  /** The env lines that point loadConfig() at the child's servers. */
  env: Record<string, string>;
  /** User + system CPU the child has used so far, in ms; null where /proc is not there. */
  cpuMs(): Promise<number | null>;
  stop(): Promise<void>;
}

const CLOCK_TICKS_PER_SECOND = 100;

async function procCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

export function startAwsChild(): Promise<AwsChild> {
  const entry = fileURLToPath(new URL('./bench-api-aws.ts', import.meta.url));
  // BENCH_AWS_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the local AWS servers.
  const extra = (process.env.BENCH_AWS_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', entry], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (): Promise<void> => {
    child.stdin.end();
    await exited;
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      child.stdout.off('data', onData);
      const env: unknown = JSON.parse(buffered.slice(0, newline));
      if (!isStringRecord(env)) {
        reject(new Error('the local AWS child printed no env'));
        return;
      }
      const pid = child.pid;
      resolve({ env, cpuMs: () => (pid === undefined ? Promise.resolve(null) : procCpuMs(pid)), stop });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the local AWS child exited (${code}) before printing its endpoints`)));
  });
}

export interface RateRun {
  offered_rps: number;
  served_rps: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
}

function isRateRun(value: unknown): value is RateRun {
  return typeof value === 'object' && value !== null && 'p99_ms' in value && typeof value.p99_ms === 'number';
}

/** Runs bench-api-rate.ts (open-loop load at a fixed rate) in a child process and returns its figures. */
export function runRateChild(options: { url: string; rate: number; seconds: number; body: string; authorization: string }): Promise<RateRun> {
  const entry = fileURLToPath(new URL('./bench-api-rate.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      BENCH_RATE_URL: options.url,
      BENCH_RATE_RPS: String(options.rate),
      BENCH_RATE_SECONDS: String(options.seconds),
      BENCH_RATE_BODY: options.body,
      BENCH_RATE_AUTH: options.authorization,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const line = output.trim().split('\n').pop() ?? '';
      try {
        const parsed: unknown = JSON.parse(line);
        if (isRateRun(parsed)) resolve(parsed);
        else reject(new Error(`the rate child printed no figures (exit ${code})`));
      } catch (err) {
        reject(new Error(`the rate child printed no figures (exit ${code}): ${String(err)}`));
      }
    });
  });
}
