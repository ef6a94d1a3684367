// Child process of `npm run bench:api`: an open-loop load at a fixed rate. Request i is due at start + i/rate
// whatever happened to the earlier ones, and its latency counts from when it was due, so a slow server
// cannot hide its backlog (no coordinated omission). autocannon's overallRate instead lets each connection
// fire its share back-to-back at the top of every second, which measures the drain of a burst.
// Reads BENCH_RATE_* from the environment; prints one JSON line with the figures.
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const url = new URL(process.env.BENCH_RATE_URL ?? '');
const rate = Number(process.env.BENCH_RATE_RPS ?? 200);
const seconds = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const body = process.env.BENCH_RATE_BODY ?? '{}';
const authorization = process.env.BENCH_RATE_AUTH ?? '';
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const errorCodes = new Map<string, number>();

interface Outcome {
  latencyMs: number;
  status: number;
}

function send(dueAt: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ latencyMs: performance.now() - dueAt, status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', (err) => {
      errorCodes.set(err.message, (errorCodes.get(err.message) ?? 0) + 1);
      resolve({ latencyMs: performance.now() - dueAt, status: 0 });
    });
    req.end(body);
  });
}

async function main(): Promise<void> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now() + 50;
  const inFlight: Promise<Outcome>[] = [];
  for (let i = 0; i < total; i += 1) {
    const dueAt = start + i * interval;
    const wait = dueAt - performance.now();
    if (wait > 1) await sleep(wait);
    inFlight.push(send(dueAt));
  }
  const sentFor = performance.now() - start;
  const outcomes = await Promise.all(inFlight);
  const elapsed = performance.now() - start;
  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  const at = (q: number): number => Number((latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0).toFixed(1));
  const ok = outcomes.filter((o) => o.status >= 200 && o.status < 300).length;
  agent.destroy();
  process.stdout.write(
    `${JSON.stringify({
      offered_rps: Number(((total * 1000) / sentFor).toFixed(1)),
      served_rps: Number(((outcomes.length * 1000) / elapsed).toFixed(1)),
      requests: total,
      ok,
      non2xx: outcomes.filter((o) => o.status !== 0 && (o.status < 200 || o.status >= 300)).length,
      errors: outcomes.filter((o) => o.status === 0).length,
      p50_ms: at(0.5),
      p90_ms: at(0.9),
      p99_ms: at(0.99),
      max_ms: at(1),
      error_kinds: Object.fromEntries(errorCodes),
    })}\n`,
  );
}

await main();
