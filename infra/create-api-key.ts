// Creates an API key for a tenant in a deployed stage and prints it (once; only its HMAC is stored):
//   AWS_REGION=us-east-1 TABLE_NAME=<table output> API_KEY_PEPPER=<ApiKeyPepper secret> \
//     npx tsx infra/create-api-key.ts <tenant>
import { createAwsClients } from '../shared/aws/clients.js';
import { createDynamoJobTable } from '../shared/aws/dynamo-job-table.js';
import { loadConfig } from '../shared/config.js';
import { issueApiKey } from './api-keys.js';

const tenant = process.argv[2];
if (tenant === undefined) {
  console.error('usage: npx tsx infra/create-api-key.ts <tenant>');
  process.exit(2);
}
if (process.env.API_KEY_PEPPER === undefined || process.env.TABLE_NAME === undefined) {
  console.error('set TABLE_NAME (sst deploy output "table") and API_KEY_PEPPER (npx sst secret list --stage <stage>)');
  process.exit(2);
}
const config = loadConfig(process.env);
const clients = createAwsClients({ region: config.region, endpoints: config.endpoints });
const table = createDynamoJobTable({ client: clients.documents, tableName: config.table });
const key = await issueApiKey({ table, pepper: config.api.keyPepper, tenant });
console.log(JSON.stringify({ tenant, api_key: key }));
