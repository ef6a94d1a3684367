// The local AWS: s3rver, local-aws-sqs and dynalite on loopback, plus the bucket, queues (+ DLQs) and table.
//
// The servers run in this process rather than as children: they start in milliseconds, nothing can be left
// running when the process dies, and a test file can own a private stack. Run alone (`npm run local`) it
// prints the endpoints as env lines and keeps serving until Ctrl-C.
//
// Persistence: S3 objects (`<dataDir>/s3`) and DynamoDB rows (`<dataDir>/dynamodb`) survive restarts.
// local-aws-sqs keeps messages in memory only, so queued messages are lost when the process stops.
// SQS runs behind a small front (local-sqs.ts) that corrects its few departures from AWS behaviour.
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import S3rver from 's3rver';
import dynalite from 'dynalite';
import { createAwsClients, LOCAL_CREDENTIALS, type AwsClients, type AwsEndpoints } from '../shared/aws/clients.js';
import { provisionResources, type ProvisionedResources, type ResourceNames } from '../shared/aws/provision.js';
import { listen, startLocalSqs } from './local-sqs.js';

export const DEFAULT_RESOURCE_NAMES: ResourceNames = {
  bucket: 'nexus-local',
  jobsQueue: 'jobs',
  eventsQueue: 'events',
  table: 'nexus-jobs',
};

export interface LocalAwsOptions {
  /** Where S3 objects and DynamoDB rows live. */
  dataDir: string;
  /** Keep DynamoDB in memory (tests); S3 still needs dataDir. */
  inMemoryDynamo?: boolean;
  host?: string;
  /** 0 picks a free port. */
  ports?: { s3?: number; sqs?: number; dynamodb?: number };
  names?: ResourceNames;
  region?: string;
}

export interface LocalAws {
  endpoints: AwsEndpoints;
  clients: AwsClients;
  resources: ProvisionedResources;
  region: string;
  stop(): Promise<void>;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    // Long polls would otherwise hold close() for up to 20 s.
    server.closeAllConnections();
    server.close(() => done());
  });
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const dataDir = resolve(options.dataDir);
  const s3Dir = join(dataDir, 's3');
  const dynamoDir = join(dataDir, 'dynamodb');
  await mkdir(s3Dir, { recursive: true });
  if (!options.inMemoryDynamo) await mkdir(dynamoDir, { recursive: true });

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    const s3 = new S3rver({ address: host, port: options.ports?.s3 ?? 0, silent: true, directory: s3Dir, vhostBuckets: false });
    const s3Address: AddressInfo = await s3.run();
    stops.push(() => s3.close());

    const sqs = await startLocalSqs({ host, port: options.ports?.sqs ?? 0, region });
    stops.push(() => sqs.close());

    const dynamo = dynalite({ path: options.inMemoryDynamo ? undefined : dynamoDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoPort = await listen(dynamo, options.ports?.dynamodb ?? 0, host);
    stops.push(() => closeServer(dynamo));

    const endpoints: AwsEndpoints = {
      s3: `http://${urlHost(host)}:${s3Address.port}`,
      sqs: `http://${urlHost(host)}:${sqs.port}`,
      dynamodb: `http://${urlHost(host)}:${dynamoPort}`,
    };
    const clients = createAwsClients({ region, endpoints, credentials: LOCAL_CREDENTIALS });
    stops.unshift(async () => clients.destroy());
    const resources = await provisionResources(clients, options.names ?? DEFAULT_RESOURCE_NAMES);
    return { endpoints, clients, resources, region, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The env lines that point loadConfig() at a running local AWS. */
export function localAwsEnv(local: LocalAws): Record<string, string> {
  return {
    AWS_REGION: local.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    S3_ENDPOINT: local.endpoints.s3,
    SQS_ENDPOINT: local.endpoints.sqs,
    DYNAMODB_ENDPOINT: local.endpoints.dynamodb,
    BUCKET_NAME: local.resources.bucket,
    TABLE_NAME: local.resources.table,
    JOBS_QUEUE_URL: local.resources.jobs.queueUrl,
    JOBS_DLQ_URL: local.resources.jobs.dlqUrl,
    EVENTS_QUEUE_URL: local.resources.events.queueUrl,
    EVENTS_DLQ_URL: local.resources.events.dlqUrl,
  };
}

async function main(): Promise<void> {
  const local = await startLocalAws({
    dataDir: process.env.DATA_DIR ?? '.data',
    ports: { s3: 4568, sqs: 9324, dynamodb: 4567 },
  });
  for (const [key, value] of Object.entries(localAwsEnv(local))) console.log(`${key}=${value}`);
  console.log('# local AWS ready; Ctrl-C stops it');
  const shutdown = () => void local.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
