// The whole path with real processes: jobs through the API, a real worker process, the events queue, the
// dispatcher, a loopback receiver. (1) The receiver is down for a while, then up: every event arrives,
// signed, and sits in the delivery log. (2) A job whose image URL answers 503 on every delivery is retried up
// to the queue's maxReceiveCount, fails on the last delivery with that cause (not from the DLQ), and its
// job.failed webhook is sent.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDispatcher, type RunningDispatcher } from '../../functions/webhooks/start-dispatcher.js';
import type { JobRecord } from '../../shared/job.js';
import { ensureWebhookSecret } from '../../shared/webhook-secrets.js';
import { startApiHarness, type ApiHarness } from '../api/api-harness.js';
import { closedPort } from '../support/ports.js';
import { bundleDir, eventsQueue, FINAL, quickJob, sleep, spawnWorker, waitFor, type ChildWorker } from './support.js';

const dir = bundleDir('test/reliability/webhooks-e2e.test.ts');
let h: ApiHarness;
let secret: string;
let dispatcher: RunningDispatcher | null = null;
let worker: ChildWorker | null = null;
const servers: Server[] = [];

interface Received {
  headers: Record<string, string>;
  body: string;
}

async function listen(handler: Parameters<typeof createServer>[1], port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.push(server);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const pick = (headers: IncomingHttpHeaders): Record<string, string> => ({
  'webhook-id': String(headers['webhook-id']),
  'webhook-timestamp': String(headers['webhook-timestamp']),
  'webhook-signature': String(headers['webhook-signature']),
});

function receiver(into: Received[]): Parameters<typeof createServer>[1] {
  return (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      into.push({ headers: pick(req.headers), body });
      res.writeHead(200).end();
    });
  };
}

const submit = (body: unknown): Promise<string> => h.submit(body);

const finalRow = (id: string, timeoutMs: number): Promise<JobRecord> =>
  waitFor(
    async () => {
      const job = await h.stack.table.getJob('acme', id);
      return job !== null && FINAL.has(job.status) ? job : undefined;
    },
    timeoutMs,
    `job ${id} to finish`,
  );

beforeAll(async () => {
  h = await startApiHarness();
  secret = await ensureWebhookSecret(h.stack.table, 'acme');
  dispatcher = startDispatcher({
    table: h.stack.table,
    objects: h.stack.objects,
    events: eventsQueue(h.stack),
    allowLoopbackWebhooks: true,
    // The production schedule ×0.001: 5 ms, 0.3 s, 1.8 s, 7.2 s, … — the same chain, in test time.
    backoff: { scale: 0.001, jitter: 0 },
    waitSeconds: 1,
    log: () => undefined,
  });
  if (dir !== null) {
    worker = spawnWorker(h.stack, dir, { ALLOW_LOOPBACK_FETCH: '1' });
    await worker.ready;
  }
});

afterAll(async () => {
  if (worker !== null && worker.process.exitCode === null) {
    worker.process.kill('SIGTERM');
    await worker.exited;
  }
  await dispatcher?.stop();
  for (const server of servers) await close(server);
  await h.stop();
});

describe.skipIf(dir === null)('webhooks end to end (real worker process, dispatcher, loopback receiver)', () => {
  it('delivers every event, signed, after the receiver was down for a while, and logs each delivery', { timeout: 180_000 }, async () => {
    // A port with nothing listening: connections are refused until the receiver starts there.
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/hooks`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push(await submit(quickJob(300 + i, { webhook: { url, events: ['job.started', 'job.succeeded'] } })));
    }
    const rows = await Promise.all(ids.map((id) => finalRow(id, 60_000)));
    expect(rows.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    await waitFor(
      async () => {
        const logs = await Promise.all(ids.map((id) => h.stack.table.listDeliveries(id)));
        return logs.every((log) => log.filter((d) => d.status === null).length >= 2) ? true : undefined;
      },
      30_000,
      'two refused attempts per job',
    );

    const got: Received[] = [];
    await listen(receiver(got), port);
    await waitFor(async () => (got.length >= 10 ? true : undefined), 60_000, 'ten deliveries');
    await sleep(500);

    const verifier = new Webhook(secret);
    const events = got.map((g) => verifier.verify(g.body, g.headers));
    const seen = events.map((e) => {
      if (typeof e !== 'object' || e === null || !('type' in e) || !('data' in e)) throw new Error('not an event');
      const data = e.data;
      if (typeof data !== 'object' || data === null || !('id' in data)) throw new Error('no job in event');
      return `${String(data.id)} ${String(e.type)}`;
    });
    expect(seen.sort()).toEqual(ids.flatMap((id) => [`${id} job.started`, `${id} job.succeeded`]).sort());
    expect(new Set(got.map((g) => g.headers['webhook-id'])).size).toBe(10);

    const logs = await waitFor(
      async () => {
        const all = await Promise.all(ids.map((id) => h.stack.table.listDeliveries(id)));
        const ok = all.every((log) => log.filter((d) => d.status === 200).length === 2);
        return ok ? all : undefined;
      },
      10_000,
      'every success in the delivery log',
    );
    for (const log of logs) {
      expect(new Set(log.filter((d) => d.status === 200).map((d) => d.eventType))).toEqual(new Set(['job.started', 'job.succeeded']));
      expect(log.filter((d) => d.status === null).every((d) => d.errorClass === 'connection_error')).toBe(true);
    }
  });

  it('fails a job whose image URL is busy on every delivery with that cause on the last one, and sends its job.failed webhook', { timeout: 120_000 }, async () => {
    let fetches = 0;
    const images = await listen((_req, res) => {
      fetches += 1;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
    });
    const got: Received[] = [];
    const hooks = await listen(receiver(got));
    const id = await submit({
      ...quickJob(400),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `http://127.0.0.1:${images.port}/source.png` } },
            { type: 'text', text: 'make it red' },
          ],
        },
      ],
      webhook: { url: `http://127.0.0.1:${hooks.port}/hooks`, events: ['job.failed'] },
    });
    const job = await finalRow(id, 90_000);
    const error = { type: 'image_fetch_failed', message: `image URL http://127.0.0.1:${images.port}/source.png answered HTTP 503 (after 5 attempts)`, retryable: true };
    expect(job).toMatchObject({ status: 'failed', attempt: 5, error });
    // Tried on every delivery the queue makes (transient 503), not failed on the first.
    expect(fetches).toBe(5);

    await waitFor(async () => (got.length >= 1 ? true : undefined), 30_000, 'the job.failed webhook');
    const event = new Webhook(secret).verify(got[0]?.body ?? '', got[0]?.headers ?? {});
    expect(event).toMatchObject({ type: 'job.failed', data: { id, status: 'failed', error } });
    const dlq = h.stack.queue(h.stack.resources.jobs.dlqUrl, (raw) => raw);
    await waitFor(async () => ((await dlq.depth()).visible + (await dlq.depth()).inFlight === 0 ? true : undefined), 10_000, 'an empty DLQ');
  });
});
