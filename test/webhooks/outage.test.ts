// Receiver outages: nothing listens on the webhook's loopback port (connection refused) until a receiver
// starts there; the dispatcher keeps retrying on the scaled schedule (×0.002) and then delivers.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDispatcher, type RunningDispatcher } from '../../functions/webhooks/start-dispatcher.js';
import { createEventEmitter, parseEventMessage, type EventEmitter } from '../../shared/events.js';
import { verifyWebhook } from '../../shared/verify-webhook.js';
import { ensureWebhookSecret } from '../../shared/webhook-secrets.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';
import { closedPort } from '../support/ports.js';
import { sleep } from '../support/wait.js';
import { makeJob, waitFor } from './support.js';

const TENANT = 'acme';
let stack: LocalStack;
let emitter: EventEmitter;
let dispatcher: RunningDispatcher;
let secret: string;

beforeAll(async () => {
  stack = await startLocalStack();
  const events = stack.queue(stack.resources.events.queueUrl, parseEventMessage);
  emitter = createEventEmitter({ queue: events, table: stack.table });
  secret = await ensureWebhookSecret(stack.table, TENANT);
  dispatcher = startDispatcher({
    table: stack.table,
    objects: stack.objects,
    events,
    allowLoopbackWebhooks: true,
    backoff: { scale: 0.002, jitter: 0 },
    waitSeconds: 1,
    log: () => undefined,
  });
});

afterAll(async () => {
  await dispatcher.stop();
  await stack.stop();
});

const deliveriesOf = (jobId: string) => stack.table.listDeliveries(jobId);

describe('receiver outage', () => {
  it('keeps retrying while nothing listens on the port, and delivers once a receiver comes up', async () => {
    // A free loopback port nothing listens on: connections are refused until the late receiver starts.
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/late`;
    const job = makeJob(TENANT, url, { eventSequence: 2 });
    await stack.table.createJob(job);
    await emitter.emit('job.succeeded', job, job.eventSequence);
    await waitFor(async () => (await deliveriesOf(job.id)).length >= 2, 15_000, 'two refused attempts');

    const bodies: string[] = [];
    const late = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
    try {
      await waitFor(async () => bodies.length === 1, 20_000, 'delivery to the late receiver');
      const log = await waitFor(
        async () => {
          const rows = await deliveriesOf(job.id);
          return rows.at(-1)?.status === 200 && rows;
        },
        5_000,
        'success logged',
      );
      expect(log.slice(0, -1).every((d) => d.status === null && d.errorClass === 'connection_error')).toBe(true);
      expect(log.map((d) => d.attempt)).toEqual(log.map((_d, i) => i + 1));
      expect(JSON.parse(bodies[0] ?? '{}')).toMatchObject({ type: 'job.succeeded', data: { id: job.id } });
    } finally {
      late.closeAllConnections();
      await new Promise<void>((resolve) => late.close(() => resolve()));
    }
  });

  it('delivers every one of many events, signed and exactly once each, after an outage', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/outage`;
    const jobs = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const job = makeJob(TENANT, url, { eventSequence: 5 });
        await stack.table.createJob(job);
        return job;
      }),
    );
    const ids = await Promise.all(jobs.map(async (job) => (await emitter.emit('job.succeeded', job, job.eventSequence)).id));
    await waitFor(
      async () => {
        const logs = await Promise.all(jobs.map((job) => deliveriesOf(job.id)));
        return logs.every((rows) => rows.length >= 1);
      },
      20_000,
      'a refused attempt for every job',
    );

    const got: { headers: Record<string, string>; body: string }[] = [];
    const late = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({
          headers: {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          },
          body,
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
    try {
      await waitFor(async () => got.length >= 20, 30_000, 'all twenty deliveries');
      await sleep(500);
      expect(got).toHaveLength(20);
      expect(new Set(got.map((g) => g.headers['webhook-id']))).toEqual(new Set(ids));
      for (const g of got) await expect(verifyWebhook(g.body, g.headers, secret)).resolves.toMatchObject({ type: 'job.succeeded' });
      const logs = await waitFor(
        async () => {
          const rows = await Promise.all(jobs.map((job) => deliveriesOf(job.id)));
          return rows.every((r) => r.at(-1)?.status === 200) && rows;
        },
        5_000,
        'every success logged',
      );
      for (const rows of logs) {
        expect(rows.filter((d) => d.status === 200)).toHaveLength(1);
        expect(rows.slice(0, -1).every((d) => d.errorClass === 'connection_error')).toBe(true);
      }
    } finally {
      late.closeAllConnections();
      await new Promise<void>((resolve) => late.close(() => resolve()));
    }
  });
});
