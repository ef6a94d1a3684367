// The dispatcher end to end: events emitted to the local SQS, delivered by the Node loop to a real loopback
// receiver, attempts logged in the local DynamoDB. The backoff schedule is scaled down (×0.002: 10 ms,
// 0.6 s, 3.6 s, …); Retry-After is honoured unscaled.
import type { SQSRecord } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../functions/webhooks/dispatcher.js';
import { createSqsHandler } from '../../functions/webhooks/handler.js';
import { createNodeWebhookSender } from '../../functions/webhooks/node-sender.js';
import { startDispatcher, type RunningDispatcher } from '../../functions/webhooks/start-dispatcher.js';
import { buildEventMessage, createEventEmitter, parseEventMessage, type EventEmitter, type EventMessage } from '../../shared/events.js';
import type { MessageQueue } from '../../shared/ports.js';
import { verifyWebhook } from '../../shared/verify-webhook.js';
import { ensureWebhookSecret, rotateWebhookSecret } from '../../shared/webhook-secrets.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';
import { sleep } from '../support/wait.js';
import { makeJob, startReceiver, waitFor, type Receiver } from './support.js';

const TENANT = 'acme';
const logs: Record<string, unknown>[] = [];
let stack: LocalStack;
let receiver: Receiver;
let events: MessageQueue<EventMessage>;
let emitter: EventEmitter;
let dispatcher: RunningDispatcher;
let secret: string;

beforeAll(async () => {
  stack = await startLocalStack();
  receiver = await startReceiver();
  events = stack.queue(stack.resources.events.queueUrl, parseEventMessage);
  emitter = createEventEmitter({ queue: events, table: stack.table });
  secret = await ensureWebhookSecret(stack.table, TENANT);
  dispatcher = startDispatcher({
    table: stack.table,
    objects: stack.objects,
    events,
    allowLoopbackWebhooks: true,
    backoff: { scale: 0.002, jitter: 0 },
    waitSeconds: 1,
    log: (event, fields) => logs.push({ event, ...fields }),
  });
});

afterAll(async () => {
  await dispatcher.stop();
  await receiver.close();
  await stack.stop();
});

async function finishedJob(path: string, overrides: Parameters<typeof makeJob>[2] = {}) {
  const job = makeJob(TENANT, receiver.url(path), { eventSequence: 3, ...overrides });
  expect(await stack.table.createJob(job)).toBe(true);
  return job;
}

const deliveriesOf = (jobId: string) => stack.table.listDeliveries(jobId);

describe('webhook dispatcher', () => {
  it('delivers a signed terminal event with fresh image URLs and logs the attempt', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const job = await finishedJob('/ok', {
      result: { text: '', images: [{ key: 'outputs/acme/j/0.png', width: 8, height: 8, sha256: 'abc', seed: 7, mediaType: 'image/png' }] },
    });
    await stack.objects.put('outputs/acme/j/0.png', png, 'image/png');
    const event = await emitter.emit('job.succeeded', job, job.eventSequence);

    const [hook] = await waitFor(async () => receiver.received('/ok').length === 1 && receiver.received('/ok'), 15_000, 'delivery');
    if (!hook) throw new Error('no hook');
    expect(hook.headers['webhook-id']).toBe(event.id);
    expect(hook.headers['content-type']).toBe('application/json');
    const headers = {
      'webhook-id': event.id,
      'webhook-timestamp': String(hook.headers['webhook-timestamp']),
      'webhook-signature': String(hook.headers['webhook-signature']),
    };
    const payload = await verifyWebhook(hook.body, headers, secret);
    expect(new Webhook(secret).verify(hook.body, headers)).toEqual(payload);
    expect(payload).toMatchObject({
      id: event.id,
      type: 'job.succeeded',
      sequence: 3,
      data: { id: job.id, object: 'job', status: 'succeeded', metadata: { order: 'A-17' }, usage: { input_tokens: 5, compute_ms: 12 } },
    });
    // Payloads carry URLs, never bytes: the URL is presigned at delivery and serves the stored image.
    const url = JSON.stringify(payload).match(/"url":"([^"]+)"/)?.[1];
    expect(url).toContain('outputs/acme/j/0.png');
    const fetched = new Uint8Array(await (await fetch(url ?? '')).arrayBuffer());
    expect(Array.from(fetched)).toEqual(Array.from(png));

    const log = await waitFor(async () => (await deliveriesOf(job.id)).length === 1 && deliveriesOf(job.id), 5_000, 'delivery log');
    expect(log).toEqual([
      expect.objectContaining({ jobId: job.id, eventId: event.id, eventType: 'job.succeeded', attempt: 1, url: receiver.url('/ok'), status: 200, errorClass: null }),
    ]);
  });

  it('delivers an event id once even when it is emitted again (crash re-emission)', async () => {
    const job = await finishedJob('/dup');
    const first = await emitter.emit('job.succeeded', job, job.eventSequence);
    await waitFor(async () => (await deliveriesOf(job.id)).length === 1, 15_000, 'first delivery logged');
    const again = await emitter.emit('job.succeeded', job, job.eventSequence);
    expect(again.id).toBe(first.id);
    await waitFor(async () => logs.some((l) => l.event_id === first.id && l.result === 'skipped'), 15_000, 'skip of the duplicate');
    expect(receiver.received('/dup')).toHaveLength(1);
    expect((await deliveriesOf(job.id)).map((d) => d.status)).toEqual([200]);
  });

  it('retries while the receiver is down and delivers once it is up, logging every attempt', async () => {
    receiver.on('/flaky', (_req, n) => (n <= 2 ? { status: 503 } : { status: 204 }));
    const job = await finishedJob('/flaky');
    const event = await emitter.emit('job.failed', { ...job, status: 'failed' }, job.eventSequence);
    await waitFor(async () => receiver.received('/flaky').length === 3, 20_000, 'third attempt');
    const log = await waitFor(async () => (await deliveriesOf(job.id)).length === 3 && deliveriesOf(job.id), 5_000, 'three attempts logged');
    expect(log.map((d) => [d.attempt, d.status, d.errorClass])).toEqual([
      [1, 503, 'http_error'],
      [2, 503, 'http_error'],
      [3, 204, null],
    ]);
    // Same webhook-id on every attempt, each signed afresh (its own timestamp) and valid.
    const hooks = receiver.received('/flaky');
    expect(new Set(hooks.map((h) => h.headers['webhook-id']))).toEqual(new Set([event.id]));
    for (const h of hooks) {
      const headers = {
        'webhook-id': event.id,
        'webhook-timestamp': String(h.headers['webhook-timestamp']),
        'webhook-signature': String(h.headers['webhook-signature']),
      };
      await expect(verifyWebhook(h.body, headers, secret)).resolves.toMatchObject({ id: event.id, type: 'job.failed' });
    }
    // Scaled schedule: 10 ms then 0.6 s between attempts.
    const gap = (hooks[2]?.at ?? 0) - (hooks[1]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(550);
  });

  it('reports only the failed records of a Lambda batch (batchItemFailures)', async () => {
    const job = await finishedJob('/lambda');
    const message = await buildEventMessage('job.succeeded', job, job.eventSequence);
    const handler = createSqsHandler(
      createDispatcher({ table: stack.table, objects: stack.objects, events, send: createNodeWebhookSender({ allowLoopbackWebhooks: true }), log: () => undefined }),
      () => undefined,
    );
    const record = (messageId: string, body: string): SQSRecord => ({
      messageId,
      receiptHandle: `rh-${messageId}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
      awsRegion: 'us-east-1',
    });
    const reply = await handler({
      Records: [record('good', JSON.stringify(message)), record('not-json', '{'), record('not-an-event', JSON.stringify({ v: 1, id: 'x' }))],
    });
    expect(reply).toEqual({ batchItemFailures: [{ itemIdentifier: 'not-json' }, { itemIdentifier: 'not-an-event' }] });
    expect(receiver.received('/lambda')).toHaveLength(1);
    expect((await deliveriesOf(job.id)).map((d) => d.status)).toEqual([200]);
  });

  it('honours Retry-After', async () => {
    receiver.on('/busy', (_req, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const job = await finishedJob('/busy');
    await emitter.emit('job.succeeded', job, job.eventSequence);
    await waitFor(async () => receiver.received('/busy').length === 2, 20_000, 'second attempt');
    const [first, second] = receiver.received('/busy');
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1900);
    const log = await waitFor(async () => (await deliveriesOf(job.id)).length === 2 && deliveriesOf(job.id), 5_000, 'both attempts logged');
    expect(log.map((d) => d.status)).toEqual([429, 200]);
  });

  it('counts a redirect as a failed attempt and never follows it', async () => {
    receiver.on('/moved', (_req, n) => (n === 1 ? { status: 302, headers: { location: receiver.url('/target') } } : { status: 200 }));
    const job = await finishedJob('/moved');
    await emitter.emit('job.succeeded', job, job.eventSequence);
    const log = await waitFor(async () => (await deliveriesOf(job.id)).length === 2 && deliveriesOf(job.id), 15_000, 'retry after redirect');
    expect(log.map((d) => [d.attempt, d.status, d.errorClass])).toEqual([
      [1, 302, 'redirect'],
      [2, 200, null],
    ]);
    expect(receiver.received('/target')).toHaveLength(0);
  });

  it('disables the endpoint for the tenant on 410 and sends nothing more to it', async () => {
    receiver.on('/gone', () => ({ status: 410 }));
    const job = await finishedJob('/gone');
    await emitter.emit('job.succeeded', job, job.eventSequence);
    await waitFor(async () => (await stack.table.listDisabledWebhookEndpoints(TENANT)).includes(receiver.url('/gone')), 15_000, 'endpoint disabled');
    expect((await deliveriesOf(job.id)).map((d) => [d.status, d.errorClass])).toEqual([[410, 'gone']]);

    const second = await finishedJob('/gone');
    await emitter.emit('job.succeeded', second, second.eventSequence);
    await waitFor(async () => (await deliveriesOf(second.id)).length === 1, 15_000, 'disabled attempt logged');
    expect((await deliveriesOf(second.id)).map((d) => [d.status, d.errorClass])).toEqual([[null, 'endpoint_disabled']]);
    expect(receiver.received('/gone')).toHaveLength(1);
    // Another tenant's use of the same URL is not affected.
    expect(await stack.table.listDisabledWebhookEndpoints('globex')).toEqual([]);
  });

  it('only sends the event types the job subscribed to', async () => {
    const job = await finishedJob('/filter', { status: 'running', completedAt: null });
    await emitter.emit('job.started', job);
    const done = { ...job, status: 'succeeded' as const };
    await emitter.emit('job.succeeded', done, 9);
    await waitFor(async () => receiver.received('/filter').length === 1, 15_000, 'terminal delivery');
    await sleep(300);
    const hooks = receiver.received('/filter');
    expect(hooks.map((h) => (JSON.parse(h.body) as { type: string }).type)).toEqual(['job.succeeded']);
  });

  it('signs with both secrets during rotation', async () => {
    const before = await ensureWebhookSecret(stack.table, TENANT);
    const { current, previous } = await rotateWebhookSecret(stack.table, TENANT);
    expect(previous).toBe(before);
    try {
      const job = await finishedJob('/rotate');
      await emitter.emit('job.succeeded', job, job.eventSequence);
      const [hook] = await waitFor(async () => receiver.received('/rotate').length === 1 && receiver.received('/rotate'), 15_000, 'delivery');
      if (!hook) throw new Error('no hook');
      const headers = {
        'webhook-id': String(hook.headers['webhook-id']),
        'webhook-timestamp': String(hook.headers['webhook-timestamp']),
        'webhook-signature': String(hook.headers['webhook-signature']),
      };
      expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
      await expect(verifyWebhook(hook.body, headers, current)).resolves.toMatchObject({ type: 'job.succeeded' });
      await expect(verifyWebhook(hook.body, headers, before)).resolves.toMatchObject({ type: 'job.succeeded' });
      expect(() => new Webhook(current).verify(hook.body, headers)).not.toThrow();
      expect(() => new Webhook(before).verify(hook.body, headers)).not.toThrow();
    } finally {
      // Later tests verify with the original secret.
      await stack.table.putWebhookSecrets(TENANT, [secret]);
    }
  });
});
