// MessageQueue on SQS: JSON bodies, validated by the caller's parse function on the way in.
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { MessageQueue, ReceivedMessage } from '../ports.js';

export interface SqsMessageQueueOptions<T> {
  client: SQSClient;
  queueUrl: string;
  /** Turns the decoded JSON into T; throws on a body that is not a T. */
  parse: (raw: unknown) => T;
  /**
   * Called for a body that is not JSON or that `parse` rejects. The message is left in flight, so SQS
   * redrives it to the DLQ after maxReceiveCount: a poison message ends up somewhere to be looked at.
   */
  onInvalid?: (info: { messageId: string; body: string; error: unknown }) => void;
}

function toInt(value: string | undefined): number {
  const parsed = Number.parseInt(value ?? '0', 10);
  return Number.isFinite(parsed) ? parsed : 0;
}

export function createSqsMessageQueue<T>(options: SqsMessageQueueOptions<T>): MessageQueue<T> {
  const { client, queueUrl, parse, onInvalid } = options;

  function decode(messageId: string, body: string): { ok: true; value: T } | { ok: false } {
    try {
      return { ok: true, value: parse(JSON.parse(body)) };
    } catch (error) {
      onInvalid?.({ messageId, body, error });
      return { ok: false };
    }
  }

  return {
    async send(body, sendOptions) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body), DelaySeconds: sendOptions?.delaySeconds }));
    },

    async receive(receiveOptions) {
      const reply = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: receiveOptions.maxMessages,
          WaitTimeSeconds: receiveOptions.waitSeconds,
          VisibilityTimeout: receiveOptions.visibilitySeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const messages = reply.Messages ?? [];
      const received: ReceivedMessage<T>[] = [];
      for (const message of messages) {
        if (!message.MessageId || !message.ReceiptHandle || message.Body === undefined) continue;
        const decoded = decode(message.MessageId, message.Body);
        if (!decoded.ok) continue;
        received.push({
          messageId: message.MessageId,
          receiptHandle: message.ReceiptHandle,
          body: decoded.value,
          receiveCount: Math.max(1, toInt(message.Attributes?.ApproximateReceiveCount)),
        });
      }
      return received;
    },

    async extendVisibility(receiptHandle, seconds) {
      await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },

    async delete(receiptHandle) {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
    },

    async depth() {
      const reply = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
      const attributes = reply.Attributes ?? {};
      const inFlight = toInt(attributes.ApproximateNumberOfMessagesNotVisible);
      const visible = toInt(attributes.ApproximateNumberOfMessages);
      return {
        visible,
        inFlight,
        delayed: toInt(attributes.ApproximateNumberOfMessagesDelayed),
      };
    },
  };
}
