// Every store role (shared/ports.ts) on one DynamoDB table (pk/sk strings, TTL attribute `expires_at`;
// docs/architecture.md §5), one small implementation per role. Rows:
//   job           TENANT#{tenant}  JOB#{id}                         (ids sort by time: one query lists newest first)   dynamo-job-store.ts
//   idempotency   TENANT#{tenant}  IDEM#{key}                       body_hash, job_id, claimed_at, expires_at          dynamo-idempotency-store.ts
//   rate counter  TENANT#{tenant}  RATE#{window}                    count, expires_at                                  dynamo-rate-counter-store.ts
//   usage         TENANT#{tenant}  USAGE#{day}#{model}              jobs, images, input_tokens, output_tokens,
//                                                                   compute_ms, cost_usd_micros, counted_jobs          dynamo-usage-store.ts
//   billing line  TENANT#{tenant}  BILL#{completed_at}#{job id}     job_id, tenant, model, created_at, completed_at,
//                                                                   usage (JSON)                                       dynamo-usage-ledger.ts
//   spend         TENANT#{tenant}  SPEND#{month}                    committed (micros), hold_{job id} per open
//                                                                   reservation                                        dynamo-spend-ledger.ts
//   tenant        TENANT#{tenant}  PROFILE                          tenant_id, name, status, plan, limits (JSON
//                                                                   overrides), created_at                             dynamo-accounts.ts
//   key entry     TENANT#{tenant}  APIKEY#{key id}                  key_hash, kind, name, prefix, created_at,
//                                                                   key_expires_at, last_used_at                       dynamo-accounts.ts
//   secrets       TENANT#{tenant}  WEBHOOK_SECRETS                  secrets (current first)                            dynamo-webhook-secret-store.ts
//   endpoints     TENANT#{tenant}  WEBHOOK_ENDPOINTS                disabled (string set: answered 410)                dynamo-webhook-endpoint-store.ts
//   API key       KEY#{hash}       API_KEY                          tenant, kind, key_id, name, prefix, created_at,
//                                                                   key_expires_at (seeded keys: tenant, kind)         dynamo-api-key-store.ts,
//                                                                                                                      dynamo-accounts.ts
//   delivery      JOB#{id}         DELIVERY#{at}#{delivery}#{attempt:4}  (oldest first), expires_at                    dynamo-delivery-log.ts
//   event         JOB#{id}         EVENT#{event id}                 body (for replay), expires_at                      dynamo-webhook-event-store.ts
import type { JobTable } from '../ports.js';
import { createDynamoApiKeyStore } from './dynamo-api-key-store.js';
import { createDynamoDeliveryLog, type DynamoDeliveryLogOptions } from './dynamo-delivery-log.js';
import { createDynamoIdempotencyStore } from './dynamo-idempotency-store.js';
import { createDynamoJobStore } from './dynamo-job-store.js';
import { createDynamoRateCounterStore } from './dynamo-rate-counter-store.js';
import { createDynamoUsageStore } from './dynamo-usage-store.js';
import { createDynamoWebhookEndpointStore } from './dynamo-webhook-endpoint-store.js';
import { createDynamoWebhookEventStore } from './dynamo-webhook-event-store.js';
import { createDynamoWebhookSecretStore } from './dynamo-webhook-secret-store.js';
import { createDynamoUsageLedger } from './dynamo-usage-ledger.js';
import { createDynamoAccounts } from './dynamo-accounts.js';
import { createDynamoSpendLedger } from './dynamo-spend-ledger.js';

export type DynamoJobTableOptions = DynamoDeliveryLogOptions;

export const TTL_ATTRIBUTE = 'expires_at';

/** All the roles over one table, for the entries that wire adapters; callers take only the roles they use. */
export function createDynamoJobTable(options: DynamoJobTableOptions): JobTable {
  return {
    ...createDynamoJobStore(options),
    ...createDynamoIdempotencyStore(options),
    ...createDynamoApiKeyStore(options),
    ...createDynamoRateCounterStore(options),
    ...createDynamoUsageStore(options),
    ...createDynamoDeliveryLog(options),
    ...createDynamoWebhookSecretStore(options),
    ...createDynamoWebhookEventStore(options),
    ...createDynamoWebhookEndpointStore(options),
    ...createDynamoUsageLedger(options),
    ...createDynamoAccounts(options),
    ...createDynamoSpendLedger(options),
  };
}
