// Usage: TENANT#{tenant} / USAGE#{day}#{model} with atomic counters (jobs, images, input_tokens, output_tokens,
// compute_ms, cost_usd_micros) and counted_jobs, the string set of job ids already counted, so a job counts once.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageIncrement, UsageStore } from '../ports.js';
import { isConditionFailure } from './dynamo-expressions.js';
import { getRow, num, tenantPk, type DynamoStoreOptions } from './dynamo-rows.js';

const USAGE_FIELDS = [
  ['jobs', 'jobs'],
  ['images', 'images'],
  ['inputTokens', 'input_tokens'],
  ['outputTokens', 'output_tokens'],
  ['computeMs', 'compute_ms'],
  ['costUsdMicros', 'cost_usd_micros'],
] as const satisfies readonly (readonly [keyof UsageIncrement, string])[];

export function createDynamoUsageStore(options: DynamoStoreOptions): UsageStore {
  const { client, tableName } = options;

  return {
    async addUsage(tenant, day, model, usage, jobId) {
      const adds = USAGE_FIELDS.map(([, attribute]) => `${attribute} :${attribute}`).join(', ');
      const values: Record<string, unknown> = { ':day': day, ':model': model };
      for (const [field, attribute] of USAGE_FIELDS) values[`:${attribute}`] = usage[field];
      // Per-job idempotency in the same single-item write (dynalite has no transactions): the counted ids
      // live in a string set on the usage row. ~12k jobs per tenant/day/model fit the 400 KB item limit.
      if (jobId !== undefined) values[':counted_job'] = jobId;
      if (jobId !== undefined) values[':counted_job_set'] = new Set([jobId]);
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: tenantPk(tenant), sk: `USAGE#${day}#${model}` },
            UpdateExpression: `ADD ${adds}${jobId === undefined ? '' : ', counted_jobs :counted_job_set'} SET #day = :day, #model = :model`,
            ...(jobId === undefined ? {} : { ConditionExpression: 'attribute_not_exists(counted_jobs) OR NOT contains(counted_jobs, :counted_job)' }),
            ExpressionAttributeNames: { '#day': 'day', '#model': 'model' },
            ExpressionAttributeValues: values,
          }),
        );
      } catch (error) {
        if (jobId === undefined || !isConditionFailure(error)) throw error;
      }
    },

    async getUsage(tenant, day, model) {
      const item = await getRow(options, tenantPk(tenant), `USAGE#${day}#${model}`);
      if (!item) return null;
      return {
        jobs: num(item.jobs),
        images: num(item.images),
        inputTokens: num(item.input_tokens),
        outputTokens: num(item.output_tokens),
        computeMs: num(item.compute_ms),
        costUsdMicros: num(item.cost_usd_micros),
      };
    },
  };
}
