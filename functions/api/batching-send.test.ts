// The coalescing job-queue sender against local-aws-sqs: every message arrives once with its own body, a lone
// send is a plain SendMessage, concurrent sends share SendMessageBatch calls, and failures reach each caller.
import type { SQSClient, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, LOCAL_CREDENTIALS } from '../../shared/aws/clients.js';
import { ensureQueueWithDlq } from '../../shared/aws/provision.js';
import type { JobMessage } from '../../shared/job.js';
import type { MessageQueue } from '../../shared/ports.js';
import { parseJobMessage, startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { BatchEntryError, createBatchingSend } from './batching-send.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

const message = (n: number): JobMessage => ({ v: 1, job_id: `job_${n}`, tenant: 't', model: 'nexus-mini', attempt: 1 });

let queueCounter = 0;
async function freshQueue() {
  queueCounter += 1;
  const urls = await ensureQueueWithDlq(stack.clients.sqs, `batching${queueCounter}`);
  return { url: urls.queueUrl, queue: stack.queue(urls.queueUrl, parseJobMessage) };
}

/** The names of the SQS operations the client sent, in order (a client as the API's; the counter only watches). */
function watchedClient(): { client: SQSClient; calls: string[] } {
  const calls: string[] = [];
  // Only the SQS client of the set is used (and destroyed); the others never open a connection.
  const client = createAwsClients({ region: 'us-east-1', endpoints: stack.endpoints, credentials: LOCAL_CREDENTIALS }).sqs;
  client.middlewareStack.add(
    (next, context) => (args) => {
      calls.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client, calls };
}

async function receiveAll(queue: MessageQueue<JobMessage>, expected: number): Promise<string[]> {
  const ids: string[] = [];
  for (let round = 0; round < 20 && ids.length < expected; round += 1) {
    const received = await queue.receive({ maxMessages: 10, waitSeconds: 1, visibilitySeconds: 60 });
    ids.push(...received.map((m) => m.body.job_id));
  }
  return ids.sort();
}

const isBatchOutput = (output: object): output is SendMessageBatchCommandOutput => 'Successful' in output || 'Failed' in output;

describe('createBatchingSend', () => {
  it('sends a lone message with SendMessage', async () => {
    const { url, queue } = await freshQueue();
    const { client, calls } = watchedClient();
    await createBatchingSend({ client, queueUrl: url })(message(1));
    expect(calls).toEqual(['SendMessageCommand']);
    expect(await receiveAll(queue, 1)).toEqual(['job_1']);
    client.destroy();
  });

  it('coalesces sends that arrive while a call is in flight into batches of at most 10', async () => {
    const { url, queue } = await freshQueue();
    const { client, calls } = watchedClient();
    const send = createBatchingSend({ client, queueUrl: url });
    await Promise.all(Array.from({ length: 25 }, (_, n) => send(message(n))));
    // The first goes alone at once; the 24 that queued behind it go as 10 + 10 + 4.
    expect(calls).toEqual(['SendMessageCommand', 'SendMessageBatchCommand', 'SendMessageBatchCommand', 'SendMessageBatchCommand']);
    const expected = Array.from({ length: 25 }, (_, n) => `job_${n}`).sort();
    expect(await receiveAll(queue, 25)).toEqual(expected);
    client.destroy();
  });

  it('sends a large body alone and keeps delays', async () => {
    const { url, queue } = await freshQueue();
    const { client, calls } = watchedClient();
    const send = createBatchingSend({ client, queueUrl: url, maxBatchedBodyChars: 10 });
    await Promise.all([send(message(1)), send(message(2), { delaySeconds: 0 })]);
    expect(calls).toEqual(['SendMessageCommand', 'SendMessageCommand']);
    expect(await receiveAll(queue, 2)).toEqual(['job_1', 'job_2']);
    client.destroy();
  });

  it('rejects every caller of a failed call (queue missing)', async () => {
    const send = createBatchingSend({ client: stack.clients.sqs, queueUrl: `${(await freshQueue()).url}-missing` });
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, (_, n) => send(message(n))));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    // The service's own error code reaches the caller.
    const first = outcomes[0];
    expect(first?.status === 'rejected' && first.reason instanceof Error && first.reason.name).toBe('QueueDoesNotExist');
  });

  it('rejects only the entries SQS failed, retrying server-side failures once alone', async () => {
    const { url, queue } = await freshQueue();
    const { client, calls } = watchedClient();
    // local-aws-sqs never fails single entries; this rewrites its real batch reply to say it did.
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output;
        if (!isBatchOutput(output)) return result;
        output.Successful = (output.Successful ?? []).filter((s) => s.Id !== '0' && s.Id !== '1');
        output.Failed = [
          { Id: '0', Code: 'InvalidParameterValue', Message: 'bad', SenderFault: true },
          { Id: '1', Code: 'InternalError', Message: 'try again', SenderFault: false },
        ];
        return result;
      },
      { step: 'initialize', name: 'fault' },
    );
    const send = createBatchingSend({ client, queueUrl: url });
    const outcomes = await Promise.allSettled([send(message(0)), send(message(1)), send(message(2)), send(message(3))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const rejected = outcomes[1];
    expect(rejected?.status === 'rejected' && rejected.reason instanceof BatchEntryError && rejected.reason.code).toBe('InvalidParameterValue');
    expect(calls).toEqual(['SendMessageCommand', 'SendMessageBatchCommand', 'SendMessageCommand']);
    // Entry 0 of the batch (job_1) was in fact queued by the real server before the reply was rewritten.
    expect(await receiveAll(queue, 5)).toEqual(['job_0', 'job_1', 'job_2', 'job_2', 'job_3']);
    client.destroy();
  });
});
