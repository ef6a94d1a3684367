// AWS Lambda entry (behind CloudFront / a function URL). Built once per container, reused across requests.
import { handle } from 'hono/aws-lambda';
import { createAwsClients } from '../../shared/aws/clients.js';
import { loadConfig } from '../../shared/config.js';
import { createApp } from './app.js';
import { createPlatformDeps } from './platform-deps.js';

const config = loadConfig(process.env);
const clients = createAwsClients({ region: config.region, endpoints: config.endpoints });

export const handler = handle(createApp(createPlatformDeps({ config, clients })));
