// Rate counters: TENANT#{tenant} / RATE#{window} with count and expires_at (the window's end).
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateCounterStore } from '../ports.js';
import { isConditionFailure } from './dynamo-expressions.js';
import { clockOf, num, tenantPk, type DynamoStoreOptions } from './dynamo-rows.js';

export function createDynamoRateCounterStore(options: DynamoStoreOptions): RateCounterStore {
  const { client, tableName } = options;
  const nowSeconds = clockOf(options);

  return {
    async incrementRateCounter(tenant, window, ttlSeconds, by = 1) {
      const now = nowSeconds();
      const key = { pk: tenantPk(tenant), sk: `RATE#${window}` };
      /** The count after the update. */
      const bump = async (reset: boolean): Promise<number> => {
        const update = new UpdateCommand({
          TableName: tableName,
          Key: key,
          // An expired counter that TTL has not deleted yet starts over instead of counting on.
          UpdateExpression: reset ? 'SET #count = :one, expires_at = :exp' : 'ADD #count :one SET expires_at = if_not_exists(expires_at, :exp)',
          ConditionExpression: reset ? 'expires_at <= :now' : 'attribute_not_exists(pk) OR expires_at > :now',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':one': by, ':exp': now + ttlSeconds, ':now': now },
          ReturnValues: 'UPDATED_NEW',
        });
        return num((await client.send(update)).Attributes?.count);
      };
      for (let attempt = 0; attempt < 5; attempt += 1) {
        for (const reset of [false, true]) {
          try {
            return await bump(reset);
          } catch (error) {
            if (!isConditionFailure(error)) throw error;
          }
        }
      }
      throw new Error(`rate counter ${window} kept changing while being incremented`);
    },
  };
}
