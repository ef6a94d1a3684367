// Creates the bucket, queues (each with a DLQ) and table when they are missing. Used against the local
// servers (npm start, tests); in AWS the infra/ stack owns these resources. Safe to run on every start.
import { CreateBucketCommand, HeadBucketCommand, PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from './clients.js';
import { sleep } from '../sleep.js';
import { TTL_ATTRIBUTE } from './dynamo-job-table.js';

export interface ResourceNames {
  bucket: string;
  jobsQueue: string;
  eventsQueue: string;
  table: string;
}

export interface QueueUrls {
  queueUrl: string;
  dlqUrl: string;
}

export interface ProvisionedResources {
  bucket: string;
  table: string;
  jobs: QueueUrls;
  events: QueueUrls;
}

export const MAX_RECEIVE_COUNT = 5;
const VISIBILITY_SECONDS = 60;

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  // The same rule as the deployed bucket (infra/storage.ts, default origins '*'): browsers (the playground) read
  // presigned outputs and PUT presigned uploads. Idempotent, so it is set on every start.
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3600 }],
      },
    }),
  );
}

export async function ensureQueueWithDlq(sqs: SQSClient, name: string): Promise<QueueUrls> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq`, Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) } }));
  if (!dlq.QueueUrl) throw new Error(`no url for queue ${name}-dlq`);
  const dlqAttributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['All'] }));
  const dlqArn = dlqAttributes.Attributes?.QueueArn;
  if (!dlqArn) throw new Error(`no ARN for queue ${name}-dlq`);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(VISIBILITY_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(MAX_RECEIVE_COUNT) }),
      },
    }),
  );
  if (!queue.QueueUrl) throw new Error(`no url for queue ${name}`);
  return { queueUrl: queue.QueueUrl, dlqUrl: dlq.QueueUrl };
}

async function tableStatus(dynamodb: DynamoDBClient, table: string): Promise<string | null> {
  try {
    const reply = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
    return reply.Table?.TableStatus ?? null;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return null;
    throw error;
  }
}

export async function ensureTable(dynamodb: DynamoDBClient, table: string): Promise<void> {
  if ((await tableStatus(dynamodb, table)) === null) {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  }
  for (let i = 0; i < 200 && (await tableStatus(dynamodb, table)) !== 'ACTIVE'; i += 1) {
    await sleep(25);
  }
  try {
    await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
  } catch {
    // dynalite has no UpdateTimeToLive (and AWS refuses to enable it twice); readers ignore expired rows anyway.
  }
}

export async function provisionResources(clients: AwsClients, names: ResourceNames): Promise<ProvisionedResources> {
  const [, jobs, events] = await Promise.all([
    ensureBucket(clients.s3, names.bucket),
    ensureQueueWithDlq(clients.sqs, names.jobsQueue),
    ensureQueueWithDlq(clients.sqs, names.eventsQueue),
    ensureTable(clients.dynamodb, names.table),
  ]);
  return { bucket: names.bucket, table: names.table, jobs, events };
}
