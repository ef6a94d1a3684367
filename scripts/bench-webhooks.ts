// Webhook delivery on the local platform: N job events emitted to the local SQS, delivered by the Node
// dispatcher loop to a loopback receiver. Prints events/s and emit → receipt latency; the last line is JSON.
//   npx tsx scripts/bench-webhooks.ts [events=200]
import { createServer } from 'node:http';
import { startDispatcher } from '../functions/webhooks/start-dispatcher.js';
import { createEventEmitter, deriveEventId, parseEventMessage } from '../shared/events.js';
import { ensureWebhookSecret } from '../shared/webhook-secrets.js';
import { makeJob } from '../test/webhooks/support.js';
import { startLocalStack } from '../test/support/local-stack.js';

const count = Number(process.argv[2] ?? 200);

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const stack = await startLocalStack();
  const emittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const sent = emittedAt.get(String(req.headers['webhook-id']));
      if (sent !== undefined) latencies.push(performance.now() - sent);
      res.writeHead(200).end();
      if (latencies.length === count) resolveAll();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const url = `http://127.0.0.1:${address.port}/hook`;

  const events = stack.queue(stack.resources.events.queueUrl, parseEventMessage);
  await ensureWebhookSecret(stack.table, 'bench');
  const emitter = createEventEmitter({ queue: events, table: stack.table });
  const jobs = Array.from({ length: count }, () => makeJob('bench', url, { eventSequence: 1 }));
  await Promise.all(jobs.map((job) => stack.table.createJob(job)));
  const dispatcher = startDispatcher({ table: stack.table, objects: stack.objects, events, allowLoopbackWebhooks: true, waitSeconds: 1, log: () => undefined });

  const started = performance.now();
  for (const job of jobs) {
    emittedAt.set(await deriveEventId(job.id, 1), performance.now());
    await emitter.emit('job.succeeded', job, 1);
  }
  const emitSeconds = (performance.now() - started) / 1000;
  await all;
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.stop();
  server.close();
  await stack.stop();

  latencies.sort((a, b) => a - b);
  const result = {
    events: count,
    events_per_s: Math.round((count / seconds) * 10) / 10,
    emit_s: Math.round(emitSeconds * 100) / 100,
    latency_ms_p50: Math.round(percentile(latencies, 50)),
    latency_ms_p95: Math.round(percentile(latencies, 95)),
  };
  console.log(`${count} events delivered in ${seconds.toFixed(2)} s`);
  console.log(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
