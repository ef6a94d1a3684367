// SpendLedger on the one table: TENANT#{tenant} / SPEND#{month} holds `committed` (micros) and one attribute per
// open reservation, `hold_{job id}` = its micros. Reserving and settling are each one conditional update of that
// row, so they are atomic without transactions (which the local DynamoDB lacks); the hold attribute makes both
// idempotent per job. An item holds about 8,000 open reservations before DynamoDB's 400 KB limit.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SpendLedger } from '../spend-ledger.js';
import { isConditionFailure } from './dynamo-expressions.js';

export interface DynamoSpendLedgerOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

const HOLD = 'hold_';

export function createDynamoSpendLedger(options: DynamoSpendLedgerOptions): SpendLedger {
  const { client, tableName } = options;
  const key = (tenant: string, month: string) => ({ pk: `TENANT#${tenant}`, sk: `SPEND#${month}` });

  async function read(tenant: string, month: string) {
    return (await client.send(new GetCommand({ TableName: tableName, Key: key(tenant, month), ConsistentRead: true }))).Item;
  }
  const committedOf = (item: Record<string, unknown> | undefined): number => (typeof item?.committed === 'number' ? item.committed : 0);

  return {
    async reserveSpend(tenant, month, jobId, micros, limitMicros) {
      const room = limitMicros === null ? null : limitMicros - micros;
      if (room !== null && room < 0) return { reserved: false, committedMicros: committedOf(await read(tenant, month)) };
      const withinLimit = room === null ? '' : '(attribute_not_exists(committed) OR committed <= :room) AND ';
      try {
        const reply = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(tenant, month),
            UpdateExpression: 'SET committed = if_not_exists(committed, :zero) + :micros, #hold = :micros',
            ConditionExpression: `${withinLimit}attribute_not_exists(#hold)`,
            ExpressionAttributeNames: { '#hold': `${HOLD}${jobId}` },
            ExpressionAttributeValues: { ':zero': 0, ':micros': micros, ...(room === null ? {} : { ':room': room }) },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { reserved: true, committedMicros: committedOf(reply.Attributes) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { reserved: false, committedMicros: committedOf(await read(tenant, month)) };
      }
    },

    async settleSpend(tenant, month, jobId, actualMicros) {
      const item = await read(tenant, month);
      const held = item?.[`${HOLD}${jobId}`];
      if (typeof held !== 'number') return;
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(tenant, month),
            UpdateExpression: 'SET committed = committed + :delta REMOVE #hold',
            ConditionExpression: '#hold = :held',
            ExpressionAttributeNames: { '#hold': `${HOLD}${jobId}` },
            ExpressionAttributeValues: { ':delta': actualMicros - held, ':held': held },
          }),
        );
      } catch (error) {
        // Settled meanwhile by another delivery of the same job.
        if (!isConditionFailure(error)) throw error;
      }
    },

    async getSpend(tenant, month) {
      const item = await read(tenant, month);
      return { committedMicros: committedOf(item), openReservations: Object.keys(item ?? {}).filter((name) => name.startsWith(HOLD)).length };
    },
  };
}
