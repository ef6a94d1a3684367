// Creates an admin key for a deployed stage and prints it (once; only its HMAC is stored). With it, the operator
// API (/v1/admin/*) creates tenants and issues their keys:
//   AWS_REGION=us-east-1 TABLE_NAME=<table output> API_KEY_PEPPER=<ApiKeyPepper secret> \
//     npx tsx infra/create-api-key.ts [name]
import { createAwsClients } from '../shared/aws/clients.js';
import { createDynamoJobTable } from '../shared/aws/dynamo-job-table.js';
import { loadConfig } from '../shared/config.js';
import { issueAdminKey } from './api-keys.js';

const name = process.argv[2] ?? 'bootstrap';
if (process.env.API_KEY_PEPPER === undefined || process.env.TABLE_NAME === undefined) {
  console.error('set TABLE_NAME (sst deploy output "table") and API_KEY_PEPPER (npx sst secret list --stage <stage>)');
  process.exit(2);
}
if (name.length === 0 || name.length > 64) {
  console.error('usage: npx tsx infra/create-api-key.ts [name, 1-64 characters]');
  process.exit(2);
}
const config = loadConfig(process.env);
const clients = createAwsClients({ region: config.region, endpoints: config.endpoints });
const table = createDynamoJobTable({ client: clients.documents, tableName: config.table });
const { id, key } = await issueAdminKey({ table, pepper: config.api.keyPepper, name });
console.log(JSON.stringify({ kind: 'admin', id, name, admin_key: key }));
