// One place that builds the AWS SDK v3 clients, so local servers and AWS differ only in options.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAwsJsonCall, type AwsJsonCall, type HttpTransport } from './aws-json.js';
import type { SigV4Crypto } from './sigv4.js';

export interface AwsEndpoints {
  s3: string;
  sqs: string;
  dynamodb: string;
}

export interface AwsClientsOptions {
  region: string;
  /** Set for the local AWS-protocol servers; absent in AWS, where the SDK resolves endpoints itself. */
  endpoints?: AwsEndpoints | null;
  /** Static credentials for the local servers; absent in AWS (the default provider chain applies). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | null;
  /**
   * HTTP and crypto of the light JSON-protocol callers (aws-json.ts); fetch and Web Crypto when absent.
   * Node entries pass aws-json-node.ts's, which cost a fraction of the CPU.
   */
  http?: { transport?: HttpTransport; crypto?: SigV4Crypto };
}

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  /** Marshals plain JS values; the job table uses this one. */
  documents: DynamoDBDocumentClient;
  /**
   * The same services over the light JSON-protocol path (aws-json.ts), for the API's per-job calls: the
   * SDK clients' credentials, region and endpoints, without the SDK's per-call CPU.
   */
  dynamodbJson: AwsJsonCall;
  sqsJson: AwsJsonCall;
  destroy(): void;
}

/** The local servers accept any signature; these are the values s3rver documents. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export function createAwsClients(options: AwsClientsOptions): AwsClients {
  const endpoints = options.endpoints ?? null;
  const credentials = options.credentials ?? undefined;
  const s3 = new S3Client({
    region: options.region,
    credentials,
    ...(endpoints
      ? {
          endpoint: endpoints.s3,
          // s3rver serves buckets by path only, and knows nothing of the newer flexible checksums.
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
  const sqs = new SQSClient({ region: options.region, credentials, ...(endpoints ? { endpoint: endpoints.sqs } : {}) });
  const dynamodb = new DynamoDBClient({
    region: options.region,
    credentials,
    ...(endpoints ? { endpoint: endpoints.dynamodb } : {}),
  });
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  // The SDK's own endpoint rules (partitions, FIPS and dual-stack settings) pick AWS endpoints; local ones are given.
  const endpointOf = (client: DynamoDBClient | SQSClient, local: string | undefined) => async (): Promise<string> =>
    local ??
    client.config.endpointProvider({
      Region: options.region,
      UseFIPS: await client.config.useFipsEndpoint(),
      UseDualStack: await client.config.useDualstackEndpoint(),
    }).url.href;
  const light = {
    region: options.region,
    transport: options.http?.transport,
    crypto: options.http?.crypto,
  };
  const dynamodbJson = createAwsJsonCall({
    ...light,
    endpoint: endpointOf(dynamodb, endpoints?.dynamodb),
    service: 'dynamodb',
    targetPrefix: 'DynamoDB_20120810',
    credentials: () => dynamodb.config.credentials(),
  });
  const sqsJson = createAwsJsonCall({
    ...light,
    endpoint: endpointOf(sqs, endpoints?.sqs),
    service: 'sqs',
    targetPrefix: 'AmazonSQS',
    // What SDK v3 sends with the JSON protocol; SQS answers in JSON, with the legacy query error code.
    headers: { 'x-amzn-query-mode': 'true' },
    credentials: () => sqs.config.credentials(),
  });
  return {
    s3,
    sqs,
    dynamodb,
    documents,
    dynamodbJson,
    sqsJson,
    destroy() {
      s3.destroy();
      sqs.destroy();
      documents.destroy();
      dynamodb.destroy();
    },
  };
}
