// JobTable on one DynamoDB table (pk/sk strings, TTL attribute `expires_at`; key layout in DESIGN §4.7).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobTable } from '../ports.js';
import { createDynamoJobRows } from './dynamo-job-rows.js';
import { createDynamoTenantRows } from './dynamo-tenant-rows.js';

export interface DynamoJobTableOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  nowSeconds?: () => number;
  deliveryTtlSeconds?: number;
}

export const TTL_ATTRIBUTE = 'expires_at';

export function createDynamoJobTable(options: DynamoJobTableOptions): JobTable {
  return { ...createDynamoJobRows(options), ...createDynamoTenantRows(options) };
}
