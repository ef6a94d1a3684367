// Idempotency-Key claims: TENANT#{tenant} / IDEM#{key} with body_hash, job_id, claimed_at, expires_at.
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyRecord, IdempotencyStore } from '../ports.js';
import { isConditionFailure } from './dynamo-expressions.js';
import { clockOf, getRow, num, str, tenantPk, type DynamoStoreOptions } from './dynamo-rows.js';

export function createDynamoIdempotencyStore(options: DynamoStoreOptions): IdempotencyStore {
  const { client, tableName } = options;
  const nowSeconds = clockOf(options);

  async function read(tenant: string, key: string): Promise<IdempotencyRecord | null> {
    const item = await getRow(options, tenantPk(tenant), `IDEM#${key}`);
    if (!item || num(item.expires_at) <= nowSeconds()) return null;
    const bodyHash = str(item.body_hash);
    const jobId = str(item.job_id);
    return bodyHash !== null && jobId !== null ? { bodyHash, jobId, claimedAt: num(item.claimed_at) } : null;
  }

  return {
    async claimIdempotencyKey(tenant, key, record, ttlSeconds) {
      // A claim can lose to a row that is then released or expires before we read it; try again then.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const now = nowSeconds();
        try {
          await client.send(
            new PutCommand({
              TableName: tableName,
              Item: { pk: tenantPk(tenant), sk: `IDEM#${key}`, body_hash: record.bodyHash, job_id: record.jobId, claimed_at: now, expires_at: now + ttlSeconds },
              ConditionExpression: 'attribute_not_exists(pk) OR expires_at <= :now',
              ExpressionAttributeValues: { ':now': now },
            }),
          );
          return null;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        const existing = await read(tenant, key);
        if (existing) return existing;
      }
      throw new Error(`idempotency key ${key} kept changing while being claimed`);
    },

    async releaseIdempotencyKey(tenant, key, jobId) {
      const condition = jobId === undefined ? {} : { ConditionExpression: 'job_id = :job', ExpressionAttributeValues: { ':job': jobId } };
      try {
        await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: tenantPk(tenant), sk: `IDEM#${key}` }, ...condition }));
      } catch (error) {
        // The claim names another job now (or is gone): someone else released or took it over first.
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
