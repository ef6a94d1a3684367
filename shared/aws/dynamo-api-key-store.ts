// API keys: KEY#{hash} / API_KEY with the tenant and kind (keys with ids and list entries: dynamo-accounts.ts). Only the peppered hash is stored (functions/api/auth-keys.ts).
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyStore } from '../ports.js';
import { getRow, str, type DynamoStoreOptions } from './dynamo-rows.js';

export function createDynamoApiKeyStore(options: DynamoStoreOptions): ApiKeyStore {
  return {
    async putApiKey(keyHash, tenant, kind = 'customer') {
      await options.client.send(new PutCommand({ TableName: options.tableName, Item: { pk: `KEY#${keyHash}`, sk: 'API_KEY', tenant, kind } }));
    },

    async getTenantByApiKey(keyHash) {
      const item = await getRow(options, `KEY#${keyHash}`, 'API_KEY');
      return item ? str(item.tenant) : null;
    },
  };
}
