// The webhook API routes over a real app and local stack: secret read/rotate, test event, delivery log and
// replay (delivered by a running dispatcher to a loopback receiver).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeWebhookSender } from '../../functions/webhooks/node-sender.js';
import { startDispatcher, type RunningDispatcher } from '../../functions/webhooks/start-dispatcher.js';
import { createEventEmitter, parseEventMessage, type EventMessage } from '../../shared/events.js';
import type { MessageQueue } from '../../shared/ports.js';
import { verifyWebhook } from '../../shared/verify-webhook.js';
import { ensureWebhookSecret } from '../../shared/webhook-secrets.js';
import { startApiHarness, textJob, type ApiHarness, type JsonError } from '../api/api-harness.js';
import { startReceiver, waitFor, type Receiver } from './support.js';

let h: ApiHarness;
let receiver: Receiver;
let events: MessageQueue<EventMessage>;
let dispatcher: RunningDispatcher;
let app: ApiHarness['app'];

beforeAll(async () => {
  h = await startApiHarness();
  receiver = await startReceiver();
  events = h.stack.queue(h.stack.resources.events.queueUrl, parseEventMessage);
  app = h.appWith({ webhooks: { events, send: createNodeWebhookSender({ allowLoopbackWebhooks: true }) } });
  dispatcher = startDispatcher({
    table: h.stack.table,
    objects: h.stack.objects,
    events,
    allowLoopbackWebhooks: true,
    waitSeconds: 1,
    backoff: { scale: 0.002, jitter: 0 },
    log: () => undefined,
  });
});

afterAll(async () => {
  await dispatcher.stop();
  await receiver.close();
  await h.stop();
});

const call = (method: string, path: string, body?: unknown, key = h.key) =>
  app.request(path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

interface SecretReply {
  object: string;
  secret: string;
  previous_secret: string | null;
}

describe('webhook secret routes', () => {
  it('returns a stable per-tenant whsec_ secret, and rotation keeps the previous one', async () => {
    const first = (await (await call('GET', '/v1/webhooks/secret')).json()) as SecretReply;
    expect(first).toMatchObject({ object: 'webhook_secret', previous_secret: null });
    expect(first.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(((await (await call('GET', '/v1/webhooks/secret')).json()) as SecretReply).secret).toBe(first.secret);
    const other = (await (await call('GET', '/v1/webhooks/secret', undefined, h.otherKey)).json()) as SecretReply;
    expect(other.secret).not.toBe(first.secret);

    const rotated = (await (await call('POST', '/v1/webhooks/secret/rotate')).json()) as SecretReply;
    expect(rotated.previous_secret).toBe(first.secret);
    expect(rotated.secret).not.toBe(first.secret);
    expect(await (await call('GET', '/v1/webhooks/secret')).json()).toEqual({ object: 'webhook_secret', secret: rotated.secret, previous_secret: first.secret });
  });

  it('serves a fixed development secret set by ensureWebhookSecret', async () => {
    const fixed = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    await ensureWebhookSecret(h.stack.table, 'globex', fixed);
    expect(await (await call('GET', '/v1/webhooks/secret', undefined, h.otherKey)).json()).toEqual({ object: 'webhook_secret', secret: fixed, previous_secret: null });
  });

  it('requires an API key', async () => {
    const reply = await app.request('/v1/webhooks/secret');
    expect(reply.status).toBe(401);
  });
});

describe('test event', () => {
  it('sends a signed webhook.test event and reports the answer', async () => {
    const reply = await call('POST', '/v1/webhooks/test', { url: receiver.url('/ping') });
    expect(reply.status).toBe(200);
    const result = (await reply.json()) as { id: string; delivered: boolean; status: number; error_class: string | null };
    expect(result).toMatchObject({ object: 'webhook_test', url: receiver.url('/ping'), delivered: true, status: 200, error_class: null });
    const [hook] = receiver.received('/ping');
    if (!hook) throw new Error('no ping');
    const { secret } = (await (await call('GET', '/v1/webhooks/secret')).json()) as SecretReply;
    const headers = {
      'webhook-id': result.id,
      'webhook-timestamp': String(hook.headers['webhook-timestamp']),
      'webhook-signature': String(hook.headers['webhook-signature']),
    };
    await expect(verifyWebhook(hook.body, headers, secret)).resolves.toMatchObject({ id: result.id, type: 'webhook.test' });
  });

  it('reports a failing endpoint and re-enables a 410-disabled one once it answers 2xx', async () => {
    receiver.on('/ping-gone', (_r, n) => (n === 1 ? { status: 410 } : { status: 200 }));
    const url = receiver.url('/ping-gone');
    expect(await (await call('POST', '/v1/webhooks/test', { url })).json()).toMatchObject({ delivered: false, status: 410, error_class: 'gone' });
    await h.stack.table.disableWebhookEndpoint('acme', url);
    expect(await (await call('POST', '/v1/webhooks/test', { url })).json()).toMatchObject({ delivered: true, status: 200 });
    expect(await h.stack.table.listDisabledWebhookEndpoints('acme')).toEqual([]);
  });

  it('rejects URLs that are not https (or loopback http locally)', async () => {
    const reply = await call('POST', '/v1/webhooks/test', { url: 'http://example.com/hook' });
    expect(reply.status).toBe(400);
    expect(((await reply.json()) as JsonError).error).toMatchObject({ type: 'invalid_request_error', param: 'url' });
  });

  it('answers 503 when webhook delivery is not configured', async () => {
    const reply = await h.call('POST', '/v1/webhooks/test', { body: { url: receiver.url('/x') } });
    expect(reply.status).toBe(503);
    expect(((await reply.json()) as JsonError).error.code).toBe('webhooks_unavailable');
  });
});

describe('deliveries', () => {
  it('lists every attempt of a job, replays a delivery with the same webhook-id, and hides other tenants', async () => {
    receiver.on('/jobhook', (_r, n) => (n === 1 ? { status: 500 } : { status: 200 }));
    const created = await call('POST', '/v1/jobs', textJob('Draw a red circle.', { webhook: { url: receiver.url('/jobhook') } }));
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const sequence = await h.stack.table.nextEventSequence('acme', id);
    const done = await h.stack.table.transition('acme', id, ['queued'], 'succeeded', { completedAt: new Date().toISOString(), eventSequence: sequence });
    if (done === null) throw new Error('transition lost');
    const event = await createEventEmitter({ queue: events, table: h.stack.table }).emit('job.succeeded', done, sequence);

    await waitFor(async () => receiver.received('/jobhook').length === 2, 20_000, 'delivery after one retry');
    const list = await waitFor(
      async () => {
        const body = (await (await call('GET', `/v1/jobs/${id}/deliveries`)).json()) as { data: { delivery_id: string; attempt: number; status: number }[] };
        return body.data.length === 2 && body;
      },
      5_000,
      'two attempts listed',
    );
    expect(list).toMatchObject({
      object: 'list',
      data: [
        {
          object: 'delivery_attempt',
          event_id: event.id,
          event_type: 'job.succeeded',
          attempt: 1,
          status: 500,
          error_class: 'http_error',
          url: receiver.url('/jobhook'),
        },
        { object: 'delivery_attempt', event_id: event.id, event_type: 'job.succeeded', attempt: 2, status: 200, error_class: null },
      ],
    });
    const deliveryId = list.data[0]?.delivery_id ?? '';
    expect(list.data[1]?.delivery_id).toBe(deliveryId);

    expect((await call('GET', `/v1/jobs/${id}/deliveries`, undefined, h.otherKey)).status).toBe(404);
    expect((await call('POST', `/v1/jobs/${id}/deliveries/${deliveryId}/replay`, undefined, h.otherKey)).status).toBe(404);
    const missing = await call('POST', `/v1/jobs/${id}/deliveries/dlv_nope/replay`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as JsonError).error.param).toBe('delivery');

    const replay = await call('POST', `/v1/jobs/${id}/deliveries/${deliveryId}/replay`);
    expect(replay.status).toBe(202);
    const replayed = (await replay.json()) as { id: string };
    expect(replayed).toMatchObject({ object: 'delivery', event_id: event.id, job_id: id, status: 'queued' });
    expect(replayed.id).not.toBe(deliveryId);

    await waitFor(async () => receiver.received('/jobhook').length === 3, 15_000, 'replayed delivery');
    const hooks = receiver.received('/jobhook');
    expect(hooks.map((x) => x.headers['webhook-id'])).toEqual([event.id, event.id, event.id]);
    // The replay carries the stored event: same id, sequence and data as the original delivery.
    expect(JSON.parse(hooks[2]?.body ?? '{}')).toEqual(JSON.parse(hooks[1]?.body ?? '{}'));
    expect(JSON.parse(hooks[2]?.body ?? '{}')).toMatchObject({ id: event.id, sequence, data: { id, status: 'succeeded' } });
    const after = await waitFor(
      async () => {
        const body = (await (await call('GET', `/v1/jobs/${id}/deliveries`)).json()) as { data: { delivery_id: string; attempt: number; status: number }[] };
        return body.data.length === 3 && body;
      },
      5_000,
      'replay logged',
    );
    expect(after.data[2]).toMatchObject({ delivery_id: replayed.id, attempt: 1, status: 200 });
  });
});
