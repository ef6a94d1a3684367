// Coalesces concurrent job-queue sends into SendMessageBatch calls. Every SDK call costs far more CPU than the
// API's own work on a request (signing, middleware, HTTP), so a busy Node server sends the messages that
// arrive while a call is in flight together, up to 10 per call. A send that finds nothing in flight goes out
// at once, alone, with SendMessage: a lone request (every Lambda invocation) waits no longer than before and
// sends exactly what it sent before.
//
// Each caller still learns the fate of its own message: an entry SQS reports as failed rejects that caller
// only, a failed call rejects every caller in it, so create-job keeps its per-request failure handling (row
// → failed, key released, 503). An entry that failed on SQS's side (not the sender's fault) is retried once on
// its own, with the SDK's usual retries, as a SendMessage would have been.
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface BatchingSendOptions {
  client: SQSClient;
  queueUrl: string;
  /** SQS allows at most 10 entries per batch. */
  maxBatch?: number;
  /** Bodies above this many characters go alone, so a batch stays far below SQS's payload limit. */
  maxBatchedBodyChars?: number;
}

interface Pending {
  body: string;
  delaySeconds: number | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class BatchEntryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly senderFault: boolean,
  ) {
    super(`SQS rejected the message (${code}): ${message}`);
    this.name = 'BatchEntryError';
  }
}

export type SendJson = (body: unknown, options?: { delaySeconds?: number }) => Promise<void>;

export function createBatchingSend(options: BatchingSendOptions): SendJson {
  const { client, queueUrl } = options;
  const maxBatch = Math.min(10, Math.max(1, options.maxBatch ?? 10));
  const maxBatchedBodyChars = options.maxBatchedBodyChars ?? 16 * 1024;
  let waiting: Pending[] = [];
  let inFlight = false;

  const sendOne = async (entry: Pending): Promise<void> => {
    try {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: entry.body, DelaySeconds: entry.delaySeconds }));
      entry.resolve();
    } catch (err) {
      entry.reject(err);
    }
  };

  const sendBatch = async (entries: Pending[]): Promise<void> => {
    if (entries.length === 1 && entries[0] !== undefined) return sendOne(entries[0]);
    let reply;
    try {
      reply = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map((entry, index) => ({ Id: String(index), MessageBody: entry.body, DelaySeconds: entry.delaySeconds })),
        }),
      );
    } catch (err) {
      for (const entry of entries) entry.reject(err);
      return;
    }
    const settled = new Set<number>();
    const retries: Promise<void>[] = [];
    for (const failure of reply.Failed ?? []) {
      const index = Number(failure.Id);
      const entry = entries[index];
      if (entry === undefined || settled.has(index)) continue;
      settled.add(index);
      if (failure.SenderFault === true) entry.reject(new BatchEntryError(failure.Code ?? 'unknown', failure.Message ?? '', true));
      else retries.push(sendOne(entry));
    }
    const succeeded = new Set((reply.Successful ?? []).map((success) => Number(success.Id)));
    entries.forEach((entry, index) => {
      if (settled.has(index)) return;
      // SQS answers for every entry; one it left out is not known to be queued.
      if (succeeded.has(index)) entry.resolve();
      else entry.reject(new BatchEntryError('missing_result', 'the batch reply did not mention this message', false));
    });
    await Promise.all(retries);
  };

  const drain = async (): Promise<void> => {
    inFlight = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting;
        waiting = [];
        const chunks: Pending[][] = [];
        for (let start = 0; start < batch.length; start += maxBatch) chunks.push(batch.slice(start, start + maxBatch));
        await Promise.all(chunks.map(sendBatch));
      }
    } finally {
      inFlight = false;
    }
  };

  return (body, sendOptions) => {
    const text = JSON.stringify(body);
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = { body: text, delaySeconds: sendOptions?.delaySeconds, resolve, reject };
      if (text.length > maxBatchedBodyChars) {
        void sendOne(entry);
        return;
      }
      waiting.push(entry);
      if (!inFlight) void drain();
    });
  };
}
