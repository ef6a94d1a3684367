// One place that builds the AWS SDK v3 clients, so local servers and AWS differ only in options, and every
// AWS call of the platform (API, worker, dispatcher, scripts) goes through these clients.
//
// Settings, the same for every deployable:
// - Retries: the SDK's `standard` mode, 3 attempts in all. It retries throttling, 5xx, timeouts and
//   connection errors with jittered exponential backoff (base 100 ms, 500 ms after throttling; at most 20 s) and spends from a
//   client-wide retry quota, so an outage does not multiply the load; the signer corrects clock skew. Not
//   `adaptive`: its client-side rate limiter would hold requests back after throttling, where the API would
//   rather answer 503 at once and let the caller retry.
// - Connections: on Node, keep-alive agents (64 sockets per origin): a call reuses a warm TLS connection.
//   On edge and fetch runtimes the SDK's fetch handler takes the same options (the agents are Node-only).
// - Timeouts: a connection must be made within 3 s; a request must have its reply's headers within
//   REQUEST_TIMEOUT_MS (then it fails with a TimeoutError, which counts as a retryable attempt). SQS's is above
//   the 20 s long poll; S3's leaves room for uploading an input image on a slow link.
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

export const MAX_ATTEMPTS = 3;
export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = { dynamodb: 10_000, sqs: 30_000, s3: 60_000 } as const;
const SOCKETS_PER_ORIGIN = 64;

/** The options every client shares; `requestHandler` as options lets the SDK pick its Node or fetch handler. */
function clientOptions(options: AwsClientsOptions, service: keyof AwsEndpoints) {
  const agent = { keepAlive: true, maxSockets: SOCKETS_PER_ORIGIN };
  return {
    region: options.region,
    credentials: options.credentials ?? undefined,
    maxAttempts: MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS[service],
      throwOnRequestTimeout: true,
      httpAgent: agent,
      httpsAgent: agent,
    },
    ...(options.endpoints ? { endpoint: options.endpoints[service] } : {}),
  };
}

export function createAwsClients(options: AwsClientsOptions): AwsClients {
  const local = options.endpoints !== null && options.endpoints !== undefined;
  const s3 = new S3Client({
    ...clientOptions(options, 's3'),
    ...(local
      ? {
          // s3rver serves buckets by path only, and knows nothing of the newer flexible checksums.
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  });
  const sqs = new SQSClient(clientOptions(options, 'sqs'));
  const dynamodb = new DynamoDBClient(clientOptions(options, 'dynamodb'));
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
