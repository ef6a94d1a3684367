// What every role store on the one table shares: its options, key prefixes, a consistent single-row read and
// lenient attribute readers. Rows with `expires_at` are treated as absent once it has passed: DynamoDB's TTL
// deletes lazily (and the local server never does), so correctness must not depend on the deletion.
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Seconds since the epoch; injectable so expiry can be tested. */
  nowSeconds?: () => number;
}

export const tenantPk = (tenant: string): string => `TENANT#${tenant}`;
export const jobPk = (jobId: string): string => `JOB#${jobId}`;

export const clockOf = (options: DynamoStoreOptions): (() => number) => options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

/** One row by key, read consistently; undefined when there is none. */
export async function getRow(options: DynamoStoreOptions, pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const reply = await options.client.send(new GetCommand({ TableName: options.tableName, Key: { pk, sk }, ConsistentRead: true }));
  return reply.Item;
}

export function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
