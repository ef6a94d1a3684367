// Events kept for replay: JOB#{id} / EVENT#{event id} with the delivered JSON, as long as the delivery log.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { WebhookEventStore } from '../ports.js';
import { DEFAULT_DELIVERY_TTL_SECONDS, type DynamoDeliveryLogOptions } from './dynamo-delivery-log.js';
import { clockOf, getRow, jobPk, num, str } from './dynamo-rows.js';

export function createDynamoWebhookEventStore(options: DynamoDeliveryLogOptions): WebhookEventStore {
  const nowSeconds = clockOf(options);
  // Same lifetime as the delivery log it explains.
  const ttl = options.deliveryTtlSeconds ?? DEFAULT_DELIVERY_TTL_SECONDS;

  return {
    async putEvent(jobId, eventId, body) {
      await options.client.send(
        new PutCommand({ TableName: options.tableName, Item: { pk: jobPk(jobId), sk: `EVENT#${eventId}`, body, expires_at: nowSeconds() + ttl } }),
      );
    },

    async getEvent(jobId, eventId) {
      const item = await getRow(options, jobPk(jobId), `EVENT#${eventId}`);
      if (!item || num(item.expires_at) <= nowSeconds()) return null;
      return str(item.body);
    },
  };
}
