// One place that builds the AWS SDK v3 clients, so local servers and AWS differ only in options.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
}

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  /** Marshals plain JS values; the job table uses this one. */
  documents: DynamoDBDocumentClient;
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
  return {
    s3,
    sqs,
    dynamodb,
    documents,
    destroy() {
      s3.destroy();
      sqs.destroy();
      documents.destroy();
      dynamodb.destroy();
    },
  };
}
