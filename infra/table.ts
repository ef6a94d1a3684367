// The one DynamoDB table: jobs, idempotency keys (expiring by TTL), API keys, usage counters, deliveries.
import type { StageConfig } from './config.js';
import { TABLE_HASH_KEY, TABLE_RANGE_KEY, TABLE_TTL_ATTRIBUTE } from './table-schema.js';

export function createTable(config: StageConfig) {
  const table = new sst.aws.Dynamo('Table', {
    fields: { [TABLE_HASH_KEY]: 'string', [TABLE_RANGE_KEY]: 'string' },
    primaryIndex: { hashKey: TABLE_HASH_KEY, rangeKey: TABLE_RANGE_KEY },
    ttl: TABLE_TTL_ATTRIBUTE,
    deletionProtection: config.production,
    transform: {
      table: (args) => {
        args.billingMode = 'PAY_PER_REQUEST';
        args.pointInTimeRecovery = { enabled: config.production };
      },
    },
  });
  return { table };
}
