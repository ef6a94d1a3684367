// JobTable on one DynamoDB table (pk/sk strings, TTL attribute `expires_at`; DESIGN §4.7). Rows:
//   job           TENANT#{tenant}  JOB#{id}                         (ids sort by time: one query lists newest first)
//   idempotency   TENANT#{tenant}  IDEM#{key}                       body_hash, job_id, expires_at
//   rate counter  TENANT#{tenant}  RATE#{window}                    count, expires_at
//   usage         TENANT#{tenant}  USAGE#{day}#{model}              jobs, images, input_tokens, output_tokens, compute_ms, cost_usd_micros, counted_jobs
//   spend         TENANT#{tenant}  SPEND#{month}                    committed (micros), hold_{job id} (one per open reservation)
//   billing line  TENANT#{tenant}  BILL#{completed_at}#{job id}     job_id, tenant, model, created_at, completed_at, usage (JSON)
//   secrets       TENANT#{tenant}  WEBHOOK_SECRETS                  secrets (current first)
//   endpoints     TENANT#{tenant}  WEBHOOK_ENDPOINTS                disabled (string set: answered 410)
//   tenant        TENANT#{tenant}  PROFILE                          tenant_id, name, status, plan, limits (JSON overrides), created_at
//   key entry     TENANT#{tenant}  APIKEY#{key id}                  key_hash, kind, name, prefix, created_at, key_expires_at, last_used_at
//   API key       KEY#{hash}       API_KEY                          tenant, kind, key_id, name, prefix, created_at, key_expires_at (seeded keys: tenant only)
//   delivery      JOB#{id}         DELIVERY#{at}#{delivery}#{attempt:4}  (oldest first), expires_at
//   event         JOB#{id}         EVENT#{event id}                 body (for replay), expires_at
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobTable } from '../ports.js';
import type { AwsJsonCall } from './aws-json.js';
import { createDynamoJobRows } from './dynamo-job-rows.js';
import { createDynamoTenantRows } from './dynamo-tenant-rows.js';
import { createDynamoUsageLedger } from './dynamo-usage-ledger.js';
import { createDynamoAccounts } from './dynamo-accounts.js';
import { createDynamoSpendLedger } from './dynamo-spend-ledger.js';

export interface DynamoJobTableOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Light path for createJob (dynamo-job-rows.ts). */
  json?: AwsJsonCall;
  nowSeconds?: () => number;
  deliveryTtlSeconds?: number;
}

export const TTL_ATTRIBUTE = 'expires_at';

export function createDynamoJobTable(options: DynamoJobTableOptions): JobTable {
  return { ...createDynamoJobRows(options), ...createDynamoTenantRows(options), ...createDynamoUsageLedger(options), ...createDynamoAccounts(options), ...createDynamoSpendLedger(options) };
}
