// The SQS adapter against local-aws-sqs: bodies, receive counts, visibility, delay, depth and DLQ redrive.
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobMessage } from '../job.js';
import type { MessageQueue } from '../ports.js';
import { ensureQueueWithDlq, MAX_RECEIVE_COUNT } from './provision.js';
import { createSqsMessageQueue } from './sqs-message-queue.js';
import { parseJobMessage, startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { sleep } from '../../test/support/wait.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

const message = (n: number): JobMessage => ({ v: 1, job_id: `job_${n}`, tenant: 't', model: 'nexus-mini', attempt: 1 });

let queueCounter = 0;
/** A fresh queue (with DLQ) per test, so counts never see another test's messages. */
async function freshQueue(onInvalid?: (info: { messageId: string; body: string; error: unknown }) => void) {
  queueCounter += 1;
  const urls = await ensureQueueWithDlq(stack.clients.sqs, `q${queueCounter}`);
  const queue: MessageQueue<JobMessage> = createSqsMessageQueue({
    client: stack.clients.sqs,
    queueUrl: urls.queueUrl,
    parse: parseJobMessage,
    onInvalid,
  });
  return { queue, dlq: stack.queue(urls.dlqUrl, parseJobMessage), urls };
}

describe('send / receive / delete', () => {
  it('round-trips the body and counts deliveries', async () => {
    const { queue } = await freshQueue();
    await queue.send(message(1));
    const [first] = await queue.receive({ maxMessages: 10, waitSeconds: 1, visibilitySeconds: 1 });
    expect([first?.body, first?.receiveCount]).toEqual([message(1), 1]);
    const [second] = await queue.receive({ maxMessages: 10, waitSeconds: 3, visibilitySeconds: 30 });
    expect([second?.messageId, second?.receiveCount]).toEqual([first?.messageId, 2]);
    await queue.delete(second?.receiptHandle ?? '');
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('returns from a long poll as soon as a message arrives', async () => {
    const { queue } = await freshQueue();
    const started = Date.now();
    setTimeout(() => void queue.send(message(2)), 300);
    const got = await queue.receive({ maxMessages: 4, waitSeconds: 10, visibilitySeconds: 30 });
    expect(got.map((m) => m.body)).toEqual([message(2)]);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a long poll whose caller has gone (a stopped worker) takes no message', async () => {
    const { queue, urls } = await freshQueue();
    const abort = new AbortController();
    const poll = stack.clients.sqs
      .send(new ReceiveMessageCommand({ QueueUrl: urls.queueUrl, WaitTimeSeconds: 10, MaxNumberOfMessages: 1, VisibilityTimeout: 60 }), { abortSignal: abort.signal })
      .catch((error: unknown) => error);
    await sleep(200);
    abort.abort();
    expect(await poll).toBeInstanceOf(Error);
    await queue.send(message(4)); // at once: the poll's handler is still waiting in the front
    await sleep(300);
    expect(await queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it('holds each message once in a batch, even with visibility 0', async () => {
    const { queue } = await freshQueue();
    await queue.send(message(3));
    const got = await queue.receive({ maxMessages: 10, waitSeconds: 1, visibilitySeconds: 0 });
    expect(got.map((m) => m.body)).toEqual([message(3)]);
  });

  it('reports visible, in-flight and delayed counts', async () => {
    const { queue } = await freshQueue();
    await queue.send(message(1));
    await queue.send(message(2));
    await queue.send(message(3), { delaySeconds: 30 });
    expect(await queue.depth()).toEqual({ visible: 2, inFlight: 0, delayed: 1 });
    await queue.receive({ maxMessages: 1, waitSeconds: 1, visibilitySeconds: 30 });
    expect(await queue.depth()).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
  });

  it('returns nothing after a short long poll on an empty queue', async () => {
    const { queue } = await freshQueue();
    const started = Date.now();
    expect(await queue.receive({ maxMessages: 10, waitSeconds: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('visibility and delay', () => {
  it('keeps a message hidden while its visibility is extended', async () => {
    const { queue } = await freshQueue();
    await queue.send(message(1));
    const [held] = await queue.receive({ maxMessages: 1, waitSeconds: 1, visibilitySeconds: 1 });
    await queue.extendVisibility(held?.receiptHandle ?? '', 4);
    await sleep(1500);
    expect(await queue.receive({ maxMessages: 1, waitSeconds: 0 })).toEqual([]);
    const [again] = await queue.receive({ maxMessages: 1, waitSeconds: 5 });
    expect([again?.body, again?.receiveCount]).toEqual([message(1), 2]);
  });

  it('does not count heartbeats as receives, so a much-extended message is redelivered, not dead-lettered', async () => {
    const { queue, dlq } = await freshQueue();
    await queue.send(message(4));
    const [held] = await queue.receive({ maxMessages: 1, waitSeconds: 1, visibilitySeconds: 30 });
    for (let i = 0; i < MAX_RECEIVE_COUNT + 3; i += 1) await queue.extendVisibility(held?.receiptHandle ?? '', 30);
    await queue.extendVisibility(held?.receiptHandle ?? '', 0);
    const [again] = await queue.receive({ maxMessages: 1, waitSeconds: 2 });
    expect([again?.body, again?.receiveCount]).toEqual([message(4), 2]);
    expect(await dlq.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('hands out a ready message beside a delayed one, and a batch of what is ready', async () => {
    const { queue } = await freshQueue();
    await queue.send(message(8), { delaySeconds: 30 });
    await queue.send(message(9));
    await queue.send(message(10));
    const got = await queue.receive({ maxMessages: 10, waitSeconds: 5, visibilitySeconds: 30 });
    expect(got.map((m) => m.body).sort((a, b) => a.job_id.localeCompare(b.job_id))).toEqual([message(10), message(9)]);
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 2, delayed: 1 });
  });

  it('holds a delayed message back until its delay has passed', async () => {
    const { queue } = await freshQueue();
    const sent = Date.now();
    await queue.send(message(7), { delaySeconds: 2 });
    expect(await queue.receive({ maxMessages: 1, waitSeconds: 0 })).toEqual([]);
    const [late] = await queue.receive({ maxMessages: 1, waitSeconds: 5 });
    expect(late?.body).toEqual(message(7));
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1900);
  });
});

describe('dead-letter queue', () => {
  it(`moves a message to the DLQ after ${MAX_RECEIVE_COUNT} receives`, async () => {
    const { queue, dlq } = await freshQueue();
    await queue.send(message(9));
    const counts: number[] = [];
    for (let i = 0; i < MAX_RECEIVE_COUNT + 2; i += 1) {
      const got = await queue.receive({ maxMessages: 1, waitSeconds: 0, visibilitySeconds: 0 });
      counts.push(...got.map((m) => m.receiveCount));
    }
    expect(counts).toEqual([1, 2, 3, 4, 5]);
    const [dead] = await dlq.receive({ maxMessages: 1, waitSeconds: 1 });
    expect(dead?.body).toEqual(message(9));
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('reports the redrive policy as configured and honours a raised maxReceiveCount', async () => {
    const { queue, urls } = await freshQueue();
    const read = await stack.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: urls.queueUrl, AttributeNames: ['RedrivePolicy'] }));
    const policy: unknown = JSON.parse(read.Attributes?.RedrivePolicy ?? '{}');
    expect(policy).toMatchObject({ maxReceiveCount: MAX_RECEIVE_COUNT });
    const dlqArn = typeof policy === 'object' && policy !== null && 'deadLetterTargetArn' in policy ? String(policy.deadLetterTargetArn) : '';
    await stack.clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: urls.queueUrl,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 7 }) },
      }),
    );
    await queue.send(message(8));
    const counts: number[] = [];
    for (let i = 0; i < 9; i += 1) counts.push(...(await queue.receive({ maxMessages: 1, waitSeconds: 0, visibilitySeconds: 0 })).map((m) => m.receiveCount));
    expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('skips a body that does not parse, reports it, and lets it reach the DLQ', async () => {
    const invalid: string[] = [];
    const { queue, dlq, urls } = await freshQueue((info) => invalid.push(info.body));
    await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: urls.queueUrl, MessageBody: '{"v":2}' }));
    await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: urls.queueUrl, MessageBody: 'not json' }));
    for (let i = 0; i < MAX_RECEIVE_COUNT + 1; i += 1) {
      expect(await queue.receive({ maxMessages: 10, waitSeconds: 0, visibilitySeconds: 0 })).toEqual([]);
    }
    expect(invalid.slice(0, 2).sort()).toEqual(['not json', '{"v":2}']);
    expect(await dlq.depth()).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    const dead = await stack.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: urls.dlqUrl, MaxNumberOfMessages: 10 }));
    expect((dead.Messages ?? []).map((m) => m.Body).sort()).toEqual(['not json', '{"v":2}']);
  });
});
