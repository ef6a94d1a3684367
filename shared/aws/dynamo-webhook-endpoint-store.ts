// Disabled webhook endpoints (they answered 410): TENANT#{tenant} / WEBHOOK_ENDPOINTS, a string set `disabled`.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WebhookEndpointStore } from '../ports.js';
import { getRow, tenantPk, type DynamoStoreOptions } from './dynamo-rows.js';

export function createDynamoWebhookEndpointStore(options: DynamoStoreOptions): WebhookEndpointStore {
  const update = (tenant: string, action: 'ADD' | 'DELETE', url: string) =>
    options.client.send(
      new UpdateCommand({
        TableName: options.tableName,
        Key: { pk: tenantPk(tenant), sk: 'WEBHOOK_ENDPOINTS' },
        UpdateExpression: `${action} disabled :url`,
        ExpressionAttributeValues: { ':url': new Set([url]) },
      }),
    );

  return {
    async disableWebhookEndpoint(tenant, url) {
      await update(tenant, 'ADD', url);
    },

    async enableWebhookEndpoint(tenant, url) {
      await update(tenant, 'DELETE', url);
    },

    async listDisabledWebhookEndpoints(tenant) {
      const item = await getRow(options, tenantPk(tenant), 'WEBHOOK_ENDPOINTS');
      const disabled: unknown = item?.disabled;
      return disabled instanceof Set ? [...disabled].filter((u): u is string => typeof u === 'string').sort() : [];
    },
  };
}
