// AWS Lambda entry: an SQS event source on the events queue with ReportBatchItemFailures, so one failed
// message is retried without redelivering the whole batch.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createPlatformAdapters } from '../../shared/aws/adapters.js';
import { loadConfig } from '../../shared/config.js';
import { errorText } from '../../shared/error-text.js';
import { parseEventMessage } from '../../shared/events.js';
import { createLogger, type Log } from '../../shared/log.js';
import { createDispatcher, type Dispatcher } from './dispatcher.js';
import { createNodeWebhookSender } from './node-sender.js';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export function createSqsHandler(dispatcher: Dispatcher, log: Log = createLogger({ component: 'dispatcher' })): SqsHandler {
  return async (event) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          await dispatcher.handle(parseEventMessage(JSON.parse(record.body)));
        } catch (error) {
          log('event_handling_failed', { level: 'error', message_id: record.messageId, error: errorText(error) });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}

let cached: SqsHandler | null = null;

function build(): SqsHandler {
  const config = loadConfig();
  const eventsUrl = config.queues.events;
  if (eventsUrl === null) throw new Error('EVENTS_QUEUE_URL is required');
  const adapters = createPlatformAdapters(config);
  const dispatcher = createDispatcher({
    table: adapters.table,
    objects: adapters.objects,
    events: adapters.queue(eventsUrl, parseEventMessage),
    send: createNodeWebhookSender({ allowLoopbackWebhooks: config.api.allowLoopbackHttp }),
  });
  return createSqsHandler(dispatcher);
}

export const handler: SqsHandler = (event) => {
  cached ??= build();
  return cached(event);
};
