// Webhook signing secrets: TENANT#{tenant} / WEBHOOK_SECRETS with the list, current first.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { WebhookSecretStore } from '../ports.js';
import { isConditionFailure } from './dynamo-expressions.js';
import { getRow, tenantPk, type DynamoStoreOptions } from './dynamo-rows.js';

export function createDynamoWebhookSecretStore(options: DynamoStoreOptions): WebhookSecretStore {
  const { client, tableName } = options;
  const put = (tenant: string, secrets: string[], onlyFirst: boolean) =>
    client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: tenantPk(tenant), sk: 'WEBHOOK_SECRETS', secrets },
        ...(onlyFirst ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
      }),
    );

  return {
    async getWebhookSecrets(tenant) {
      const item = await getRow(options, tenantPk(tenant), 'WEBHOOK_SECRETS');
      const secrets: unknown = item?.secrets;
      return Array.isArray(secrets) ? secrets.filter((s): s is string => typeof s === 'string') : [];
    },

    async putWebhookSecrets(tenant, secrets) {
      await put(tenant, secrets, false);
    },

    async createWebhookSecrets(tenant, secrets) {
      try {
        await put(tenant, secrets, true);
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}
