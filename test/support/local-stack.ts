// startLocalStack(): a private local AWS for one test file: s3rver, local-aws-sqs and dynalite on random
// loopback ports, a temp data dir, provisioned bucket/queues/table, and ready adapters. Starts in well under
// a second; many test files can run their own in parallel.
//
//   import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
//   let stack: LocalStack;
//   beforeAll(async () => { stack = await startLocalStack(); });
//   afterAll(() => stack.stop());
//   // stack.objects (ObjectStore), stack.jobs (MessageQueue<JobMessage>), stack.events (MessageQueue<unknown>;
//   // for typed events: stack.queue(stack.resources.events.queueUrl, parseEvent)), stack.table (every store role: JobTable),
//   // stack.clients (raw SDK clients), stack.resources (bucket, table, queue and DLQ urls),
//   // stack.env (env for loadConfig()), stack.queue(url, parse) for any other queue (e.g. the DLQs).
import { mkdtemp, rm } from 'node:fs/promises';
import { z } from 'zod';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobMessage } from '../../shared/job.js';
import type { JobTable, MessageQueue, ObjectStore } from '../../shared/ports.js';
import type { AwsClients, AwsEndpoints } from '../../shared/aws/clients.js';
import { createPlatformAdapters } from '../../shared/aws/adapters.js';
import { loadConfig } from '../../shared/config.js';
import type { ProvisionedResources } from '../../shared/aws/provision.js';
import { localAwsEnv, startLocalAws } from '../../scripts/local-aws.js';

export interface LocalStackOptions {
  /** Keep DynamoDB rows on disk under the temp dir instead of in memory. */
  persistDynamo?: boolean;
}

export interface LocalStack {
  endpoints: AwsEndpoints;
  clients: AwsClients;
  resources: ProvisionedResources;
  /** Env lines for loadConfig() pointing at this stack. */
  env: Record<string, string>;
  objects: ObjectStore;
  jobs: MessageQueue<JobMessage>;
  events: MessageQueue<unknown>;
  table: JobTable;
  queue<T>(queueUrl: string, parse: (raw: unknown) => T): MessageQueue<T>;
  dataDir: string;
  stop(): Promise<void>;
}

const jobMessage = z.object({
  v: z.literal(1),
  job_id: z.string(),
  tenant: z.string(),
  model: z.string(),
  attempt: z.number().int(),
});

/** Structural check of a jobs-queue body (docs/architecture.md §4.5); the worker's own parser may be stricter. */
export function parseJobMessage(raw: unknown): JobMessage {
  return jobMessage.parse(raw);
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'nexus-stack-'));
  const local = await startLocalAws({ dataDir, inMemoryDynamo: !options.persistDynamo }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const { resources } = local;
  const env = localAwsEnv(local);
  // Wired from the env exactly as the entry files wire themselves from theirs.
  const adapters = createPlatformAdapters(loadConfig(env));
  const queue = <T>(queueUrl: string, parse: (raw: unknown) => T): MessageQueue<T> => adapters.queue(queueUrl, parse);
  return {
    endpoints: local.endpoints,
    clients: adapters.clients,
    resources,
    env,
    objects: adapters.objects,
    jobs: queue(resources.jobs.queueUrl, parseJobMessage),
    events: queue(resources.events.queueUrl, (raw: unknown) => raw),
    table: adapters.table,
    queue,
    dataDir,
    async stop() {
      adapters.destroy();
      await local.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
