// JobTable on one DynamoDB table (pk/sk strings, TTL attribute `expires_at`; DESIGN §4.7). Rows:
//   job           TENANT#{tenant}  JOB#{id}                         (ids sort by time: one query lists newest first)
//   idempotency   TENANT#{tenant}  IDEM#{key}                       body_hash, job_id, expires_at
//   rate counter  TENANT#{tenant}  RATE#{window}                    count, expires_at
//   usage         TENANT#{tenant}  USAGE#{day}#{model}              jobs, images, input_tokens, output_tokens, compute_ms
//   secrets       TENANT#{tenant}  WEBHOOK_SECRETS                  secrets (current first)
//   endpoints     TENANT#{tenant}  WEBHOOK_ENDPOINTS                disabled (string set: answered 410)
//   API key       KEY#{hash}       API_KEY                          tenant
//   delivery      JOB#{id}         DELIVERY#{at}#{delivery}#{attempt:4}  (oldest first), expires_at
//   event         JOB#{id}         EVENT#{event id}                 body (for replay), expires_at
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
