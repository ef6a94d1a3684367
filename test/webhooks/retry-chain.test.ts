// Long waits hop through SQS (≤ 15 min per message) and the schedule ends: driven step by step with an
// injected clock against the real local queue and table, so hours of backoff take milliseconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, type Dispatcher } from '../../functions/webhooks/dispatcher.js';
import { createNodeWebhookSender } from '../../functions/webhooks/node-sender.js';
import { buildEventMessage, parseEventMessage, type EventMessage } from '../../shared/events.js';
import type { MessageQueue } from '../../shared/ports.js';
import { ensureWebhookSecret } from '../../shared/webhook-secrets.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';
import { makeJob, startReceiver, type Receiver } from './support.js';

let stack: LocalStack;
let receiver: Receiver;
let queue: MessageQueue<EventMessage>;
const sent: { message: EventMessage; delaySeconds: number | undefined }[] = [];
let clock = Date.parse('2026-03-01T00:00:00Z');

beforeAll(async () => {
  stack = await startLocalStack();
  receiver = await startReceiver();
  const real = stack.queue(stack.resources.events.queueUrl, parseEventMessage);
  // The real queue, with each send's delay noted (SQS does not report a message's delay back).
  queue = {
    ...real,
    async send(message, options) {
      sent.push({ message, delaySeconds: options?.delaySeconds });
      await real.send(message, { delaySeconds: 0 });
    },
  };
  await ensureWebhookSecret(stack.table, 'acme');
});

afterAll(async () => {
  await receiver.close();
  await stack.stop();
});

function dispatcherWith(schedule?: number[], allowLoopbackWebhooks = true): Dispatcher {
  return createDispatcher({
    table: stack.table,
    objects: stack.objects,
    events: queue,
    send: createNodeWebhookSender({ allowLoopbackWebhooks }),
    backoff: { jitter: 0, ...(schedule ? { schedule } : {}) },
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
    log: () => undefined,
  });
}

/** The one message the dispatcher just re-sent, taken off the real queue. */
async function takeResent(): Promise<EventMessage> {
  const [received] = await queue.receive({ maxMessages: 1, waitSeconds: 2 });
  if (!received) throw new Error('nothing re-sent');
  await queue.delete(received.receiptHandle);
  return received.body;
}

describe('retry chain', () => {
  it('waits 30 min as two 15-min hops, then delivers', async () => {
    receiver.on('/slow', (_r, n) => (n <= 3 ? { status: 503 } : { status: 200 }));
    const job = makeJob('acme', receiver.url('/slow'), { eventSequence: 1 });
    await stack.table.createJob(job);
    const dispatcher = dispatcherWith();
    sent.length = 0;

    expect(await dispatcher.handle(await buildEventMessage('job.succeeded', job, 1, new Date(clock)))).toBe('retry_scheduled');
    expect(sent.at(-1)).toMatchObject({ delaySeconds: 5, message: { delivery: { attempt: 2, deliver_at: new Date(clock + 5_000).toISOString() } } });
    clock += 5_000;
    expect(await dispatcher.handle(await takeResent())).toBe('retry_scheduled');
    expect(sent.at(-1)).toMatchObject({ delaySeconds: 300, message: { delivery: { attempt: 3 } } });
    clock += 300_000;
    expect(await dispatcher.handle(await takeResent())).toBe('retry_scheduled');
    const due = clock + 1_800_000;
    expect(sent.at(-1)).toMatchObject({ delaySeconds: 900, message: { delivery: { attempt: 4, deliver_at: new Date(due).toISOString() } } });

    // The first hop arrives after 15 min: not due yet, so it goes round again for the remaining 15 min.
    clock += 900_000;
    expect(await dispatcher.handle(await takeResent())).toBe('deferred');
    expect(sent.at(-1)).toMatchObject({ delaySeconds: 900, message: { delivery: { attempt: 4, deliver_at: new Date(due).toISOString() } } });
    expect(receiver.received('/slow')).toHaveLength(3);
    clock += 900_000;
    const last = await takeResent();
    expect(await dispatcher.handle(last)).toBe('delivered');
    // The same message again (its delete was lost, SQS delivered it twice): no second POST.
    expect(await dispatcher.handle(last)).toBe('skipped');
    expect(receiver.received('/slow')).toHaveLength(4);
    expect((await stack.table.listDeliveries(job.id)).map((d) => [d.attempt, d.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
      [4, 200],
    ]);
  });

  it('gives up when the schedule is exhausted, with every attempt logged', async () => {
    receiver.on('/down', () => ({ status: 500 }));
    const job = makeJob('acme', receiver.url('/down'), { eventSequence: 1 });
    await stack.table.createJob(job);
    const dispatcher = dispatcherWith([1, 1]);
    expect(await dispatcher.handle(await buildEventMessage('job.failed', job, 1, new Date(clock)))).toBe('retry_scheduled');
    clock += 1_000;
    expect(await dispatcher.handle(await takeResent())).toBe('retry_scheduled');
    clock += 1_000;
    expect(await dispatcher.handle(await takeResent())).toBe('gave_up');
    expect(await queue.receive({ maxMessages: 1, waitSeconds: 1 })).toEqual([]);
    expect((await stack.table.listDeliveries(job.id)).map((d) => [d.attempt, d.status, d.errorClass])).toEqual([
      [1, 500, 'http_error'],
      [2, 500, 'http_error'],
      [3, 500, 'http_error'],
    ]);
  });

  it('refuses a webhook URL the SSRF guard rejects, without retrying', async () => {
    // Production config (no loopback allowance); the URL stays loopback so even a faulty guard could not
    // reach beyond this machine.
    const job = makeJob('acme', 'https://127.0.0.1:1/hook', { eventSequence: 1 });
    await stack.table.createJob(job);
    sent.length = 0;
    expect(await dispatcherWith(undefined, false).handle(await buildEventMessage('job.succeeded', job, 1, new Date(clock)))).toBe('refused');
    expect(sent).toEqual([]);
    expect((await stack.table.listDeliveries(job.id)).map((d) => [d.status, d.errorClass])).toEqual([[null, 'ssrf_refused']]);
  });
});
