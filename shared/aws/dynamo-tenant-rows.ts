// Rows beside the jobs (DESIGN §4.7): idempotency keys, API keys, rate counters, usage, deliveries, secrets.
// Rows with `expires_at` are treated as absent once it has passed: DynamoDB's TTL deletes lazily (and the
// local server never does), so correctness must not depend on the deletion.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliveryRecord, IdempotencyRecord, JobTable, UsageIncrement } from '../ports.js';
import { isConditionFailure } from './dynamo-expressions.js';
import type { JobRowMethods } from './dynamo-job-rows.js';

export interface DynamoTenantRowsOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Seconds since the epoch; injectable so expiry can be tested. */
  nowSeconds?: () => number;
  /** How long delivery log rows are kept. */
  deliveryTtlSeconds?: number;
}

type TenantRows = Omit<JobTable, JobRowMethods>;

const tenantPk = (tenant: string): string => `TENANT#${tenant}`;
const USAGE_FIELDS = [
  ['jobs', 'jobs'],
  ['images', 'images'],
  ['inputTokens', 'input_tokens'],
  ['outputTokens', 'output_tokens'],
  ['computeMs', 'compute_ms'],
] as const satisfies readonly (readonly [keyof UsageIncrement, string])[];

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function createDynamoTenantRows(options: DynamoTenantRowsOptions): TenantRows {
  const { client, tableName } = options;
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const deliveryTtl = options.deliveryTtlSeconds ?? 30 * 24 * 3600;

  async function get(pk: string, sk: string) {
    const reply = await client.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }));
    return reply.Item;
  }

  async function readIdempotency(tenant: string, key: string): Promise<IdempotencyRecord | null> {
    const item = await get(tenantPk(tenant), `IDEM#${key}`);
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
        const existing = await readIdempotency(tenant, key);
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

    async putApiKey(keyHash, tenant) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: `KEY#${keyHash}`, sk: 'API_KEY', tenant } }));
    },

    async getTenantByApiKey(keyHash) {
      const item = await get(`KEY#${keyHash}`, 'API_KEY');
      return item ? str(item.tenant) : null;
    },

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
      const item = await get(tenantPk(tenant), `USAGE#${day}#${model}`);
      if (!item) return null;
      return {
        jobs: num(item.jobs),
        images: num(item.images),
        inputTokens: num(item.input_tokens),
        outputTokens: num(item.output_tokens),
        computeMs: num(item.compute_ms),
      };
    },

    async putDelivery(delivery) {
      // Sorted by time, then delivery and attempt; writing the same attempt twice overwrites it.
      const sk = `DELIVERY#${delivery.at}#${delivery.deliveryId}#${String(delivery.attempt).padStart(4, '0')}`;
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `JOB#${delivery.jobId}`,
            sk,
            job_id: delivery.jobId,
            delivery_id: delivery.deliveryId,
            event_id: delivery.eventId,
            event_type: delivery.eventType,
            attempt: delivery.attempt,
            url: delivery.url,
            status: delivery.status,
            latency_ms: delivery.latencyMs,
            error_class: delivery.errorClass,
            at: delivery.at,
            expires_at: nowSeconds() + deliveryTtl,
          },
        }),
      );
    },

    async listDeliveries(jobId) {
      const deliveries: DeliveryRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const reply = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': `JOB#${jobId}`, ':prefix': 'DELIVERY#' },
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        );
        for (const item of reply.Items ?? []) {
          deliveries.push({
            jobId: str(item.job_id) ?? jobId,
            deliveryId: str(item.delivery_id) ?? '',
            eventId: str(item.event_id) ?? '',
            eventType: str(item.event_type) ?? '',
            attempt: num(item.attempt),
            url: str(item.url) ?? '',
            status: typeof item.status === 'number' ? item.status : null,
            latencyMs: num(item.latency_ms),
            errorClass: str(item.error_class),
            at: str(item.at) ?? '',
          });
        }
        start = reply.LastEvaluatedKey;
      } while (start);
      return deliveries;
    },

    async getWebhookSecrets(tenant) {
      const item = await get(tenantPk(tenant), 'WEBHOOK_SECRETS');
      const secrets: unknown = item?.secrets;
      return Array.isArray(secrets) ? secrets.filter((s): s is string => typeof s === 'string') : [];
    },

    async putWebhookSecrets(tenant, secrets) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: tenantPk(tenant), sk: 'WEBHOOK_SECRETS', secrets } }));
    },

    async createWebhookSecrets(tenant, secrets) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: tenantPk(tenant), sk: 'WEBHOOK_SECRETS', secrets },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async putEvent(jobId, eventId, body) {
      // Same lifetime as the delivery log it explains.
      await client.send(
        new PutCommand({ TableName: tableName, Item: { pk: `JOB#${jobId}`, sk: `EVENT#${eventId}`, body, expires_at: nowSeconds() + deliveryTtl } }),
      );
    },

    async getEvent(jobId, eventId) {
      const item = await get(`JOB#${jobId}`, `EVENT#${eventId}`);
      if (!item || num(item.expires_at) <= nowSeconds()) return null;
      return str(item.body);
    },

    async disableWebhookEndpoint(tenant, url) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: tenantPk(tenant), sk: 'WEBHOOK_ENDPOINTS' },
          UpdateExpression: 'ADD disabled :url',
          ExpressionAttributeValues: { ':url': new Set([url]) },
        }),
      );
    },

    async enableWebhookEndpoint(tenant, url) {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: tenantPk(tenant), sk: 'WEBHOOK_ENDPOINTS' },
          UpdateExpression: 'DELETE disabled :url',
          ExpressionAttributeValues: { ':url': new Set([url]) },
        }),
      );
    },

    async listDisabledWebhookEndpoints(tenant) {
      const item = await get(tenantPk(tenant), 'WEBHOOK_ENDPOINTS');
      const disabled: unknown = item?.disabled;
      return disabled instanceof Set ? [...disabled].filter((u): u is string => typeof u === 'string').sort() : [];
    },
  };
}
