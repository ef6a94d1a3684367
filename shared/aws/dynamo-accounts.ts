// AccountStore on the one table (layout in dynamo-job-table.ts): the tenant row TENANT#{id} / PROFILE, each
// key's auth row KEY#{hash} / API_KEY (found by the key's HMAC), and the tenant's list entry per key
// TENANT#{id} / APIKEY#{key id}. The auth row is written last and deleted first, so a key works only once it
// is listed, and stops working before it leaves the list.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { TENANT_STATUSES, type AccountStore, type ApiKeyRecord, type Tenant } from '../accounts.js';
import { PLAN_NAMES } from '../plans.js';
import { isConditionFailure } from './dynamo-expressions.js';
import { str } from './dynamo-rows.js';

export interface DynamoAccountsOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
}

const limitsSchema = z.object({
  requestsPerMinute: z.number().int().nullable().optional(),
  maxQueuedJobs: z.number().int().nullable().optional(),
  monthlySpendMicros: z.number().int().nullable().optional(),
});

const tenantRowSchema = z.object({
  tenant_id: z.string(),
  name: z.string(),
  status: z.enum(TENANT_STATUSES),
  plan: z.enum(PLAN_NAMES),
  limits: z.string(),
  created_at: z.string(),
});

function toTenant(item: Record<string, unknown>): Tenant {
  const row = tenantRowSchema.parse(item);
  const parsed = limitsSchema.parse(JSON.parse(row.limits));
  // Absent keys stay absent (no override); an explicit null lifts the plan's limit.
  const limits = Object.fromEntries(Object.entries(parsed).filter(([, value]) => value !== undefined));
  return { id: row.tenant_id, name: row.name, status: row.status, plan: row.plan, limits, createdAt: row.created_at };
}

function toKey(item: Record<string, unknown>, keyHash: string): ApiKeyRecord {
  return {
    keyHash,
    tenant: str(item.tenant) ?? '',
    kind: item.kind === 'admin' ? 'admin' : 'customer',
    id: str(item.key_id),
    name: str(item.name),
    prefix: str(item.prefix),
    createdAt: str(item.created_at),
    expiresAt: str(item.key_expires_at),
    lastUsedAt: str(item.last_used_at),
  };
}

export function createDynamoAccounts(options: DynamoAccountsOptions): AccountStore {
  const { client, tableName } = options;
  const profileKey = (id: string) => ({ pk: `TENANT#${id}`, sk: 'PROFILE' });
  const listKey = (tenant: string, id: string) => ({ pk: `TENANT#${tenant}`, sk: `APIKEY#${id}` });
  const authKey = (hash: string) => ({ pk: `KEY#${hash}`, sk: 'API_KEY' });
  const countKey = (tenant: string) => ({ pk: `TENANT#${tenant}`, sk: 'APIKEY_COUNT' });

  async function get(key: { pk: string; sk: string }) {
    return (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  }

  async function getTenant(id: string): Promise<Tenant | null> {
    const item = await get(profileKey(id));
    return item ? toTenant(item) : null;
  }

  return {
    async createTenant(tenant) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...profileKey(tenant.id),
              tenant_id: tenant.id,
              name: tenant.name,
              status: tenant.status,
              plan: tenant.plan,
              limits: JSON.stringify(tenant.limits),
              created_at: tenant.createdAt,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    getTenant,

    async updateTenant(id, patch) {
      const sets: string[] = [];
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const set = (attribute: string, value: unknown) => {
        names[`#${attribute}`] = attribute;
        values[`:${attribute}`] = value;
        sets.push(`#${attribute} = :${attribute}`);
      };
      if (patch.name !== undefined) set('name', patch.name);
      if (patch.status !== undefined) set('status', patch.status);
      if (patch.plan !== undefined) set('plan', patch.plan);
      if (patch.limits !== undefined) set('limits', JSON.stringify(patch.limits));
      if (sets.length === 0) return getTenant(id);
      try {
        const reply = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: profileKey(id),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return reply.Attributes ? toTenant(reply.Attributes) : null;
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },

    async getApiKey(keyHash) {
      const item = await get(authKey(keyHash));
      return item ? toKey(item, keyHash) : null;
    },

    async createApiKey(key, maxKeys) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: countKey(key.tenant),
            UpdateExpression: 'ADD key_count :one',
            ...(maxKeys === null ? {} : { ConditionExpression: 'attribute_not_exists(key_count) OR key_count < :max' }),
            ExpressionAttributeValues: { ':one': 1, ...(maxKeys === null ? {} : { ':max': maxKeys }) },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
      const shared = { kind: key.kind, key_id: key.id, name: key.name, prefix: key.prefix, created_at: key.createdAt, key_expires_at: key.expiresAt };
      await client.send(new PutCommand({ TableName: tableName, Item: { ...listKey(key.tenant, key.id), key_hash: key.keyHash, ...shared } }));
      await client.send(new PutCommand({ TableName: tableName, Item: { ...authKey(key.keyHash), tenant: key.tenant, ...shared } }));
      return true;
    },

    async listApiKeys(tenant) {
      const keys: ApiKeyRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const reply = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': `TENANT#${tenant}`, ':prefix': 'APIKEY#' },
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        );
        for (const item of reply.Items ?? []) keys.push(toKey({ ...item, tenant }, str(item.key_hash) ?? ''));
        start = reply.LastEvaluatedKey;
      } while (start !== undefined);
      return keys;
    },

    async revokeApiKey(tenant, id) {
      const entry = await get(listKey(tenant, id));
      const hash = str(entry?.key_hash);
      if (!entry || hash === null) return false;
      await client.send(new DeleteCommand({ TableName: tableName, Key: authKey(hash) }));
      await client.send(new DeleteCommand({ TableName: tableName, Key: listKey(tenant, id) }));
      await client.send(
        new UpdateCommand({ TableName: tableName, Key: countKey(tenant), UpdateExpression: 'ADD key_count :minus', ExpressionAttributeValues: { ':minus': -1 } }),
      );
      return true;
    },

    async touchApiKey(tenant, id, at) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: listKey(tenant, id),
            UpdateExpression: 'SET last_used_at = :at',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': at },
          }),
        );
      } catch (error) {
        // A key revoked meanwhile has no entry to touch.
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
