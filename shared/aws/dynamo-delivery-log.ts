// Webhook deliveries: JOB#{id} / DELIVERY#{at}#{delivery}#{attempt:4} (oldest first), kept for a while.
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryLog, DeliveryRecord } from '../ports.js';
import { clockOf, jobPk, num, str, type DynamoStoreOptions } from './dynamo-rows.js';

export interface DynamoDeliveryLogOptions extends DynamoStoreOptions {
  /** How long delivery log rows are kept. */
  deliveryTtlSeconds?: number;
}

export const DEFAULT_DELIVERY_TTL_SECONDS = 30 * 24 * 3600;

export function createDynamoDeliveryLog(options: DynamoDeliveryLogOptions): DeliveryLog {
  const { client, tableName } = options;
  const nowSeconds = clockOf(options);
  const deliveryTtl = options.deliveryTtlSeconds ?? DEFAULT_DELIVERY_TTL_SECONDS;

  return {
    async putDelivery(delivery) {
      // Sorted by time, then delivery and attempt; writing the same attempt twice overwrites it.
      const sk = `DELIVERY#${delivery.at}#${delivery.deliveryId}#${String(delivery.attempt).padStart(4, '0')}`;
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: jobPk(delivery.jobId),
            sk,
            job_id: delivery.jobId,
            delivery_id: delivery.deliveryId,
            event_id: delivery.eventId,
            event_type: delivery.eventType,
            attempt: delivery.attempt,
            url: delivery.url,
            status: delivery.status,
            latency_ms: delivery.latencyMs,
            error_class: delivery.errorClass,
            at: delivery.at,
            expires_at: nowSeconds() + deliveryTtl,
          },
        }),
      );
    },

    async listDeliveries(jobId) {
      const deliveries: DeliveryRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const reply = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': jobPk(jobId), ':prefix': 'DELIVERY#' },
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        );
        for (const item of reply.Items ?? []) {
          deliveries.push({
            jobId: str(item.job_id) ?? jobId,
            deliveryId: str(item.delivery_id) ?? '',
            eventId: str(item.event_id) ?? '',
            eventType: str(item.event_type) ?? '',
            attempt: num(item.attempt),
            url: str(item.url) ?? '',
            status: typeof item.status === 'number' ? item.status : null,
            latencyMs: num(item.latency_ms),
            errorClass: str(item.error_class),
            at: str(item.at) ?? '',
          });
        }
        start = reply.LastEvaluatedKey;
      } while (start);
      return deliveries;
    },
  };
}
