// Builds every adapter an entry file needs from the parsed Config, so handler.ts, serve.ts and main.ts wire
// the same way locally and in AWS.
import type { Config } from '../config.js';
import type { JobTable, MessageQueue, ObjectStore } from '../ports.js';
import { createAwsClients, LOCAL_CREDENTIALS, type AwsClients } from './clients.js';
import { createDynamoJobTable } from './dynamo-job-table.js';
import { createS3ObjectStore } from './s3-object-store.js';
import { createSqsMessageQueue } from './sqs-message-queue.js';

export interface PlatformAdapters {
  clients: AwsClients;
  objects: ObjectStore;
  table: JobTable;
  /** Creates a queue adapter for a URL. */
  queue<T>(queueUrl: string, parse: (raw: unknown) => T, onInvalid?: (info: { messageId: string; body: string; error: unknown }) => void): MessageQueue<T>;
  destroy(): void;
}

export function createPlatformAdapters(config: Config): PlatformAdapters {
  const local = config.endpoints !== null;
  const clients = createAwsClients({ region: config.region, endpoints: config.endpoints, credentials: local ? LOCAL_CREDENTIALS : null });
  const queue = <T>(queueUrl: string, parse: (raw: unknown) => T, onInvalid?: (info: { messageId: string; body: string; error: unknown }) => void): MessageQueue<T> =>
    createSqsMessageQueue({ client: clients.sqs, queueUrl, parse, onInvalid });
  return {
    clients,
    objects: createS3ObjectStore({ client: clients.s3, bucket: config.bucket }),
    table: createDynamoJobTable({ client: clients.documents, tableName: config.table }),
    queue,
    destroy: () => clients.destroy(),
  };
}
