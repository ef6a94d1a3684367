// The names infra hands the deployables must be the ones their config parsers read, and the table and queue
// settings must be the ones the adapters and the local stack assume.
import { describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT } from '../shared/aws/provision.js';
import { TTL_ATTRIBUTE } from '../shared/aws/dynamo-job-table.js';
import { loadConfig } from '../shared/config.js';
import { loadWorkerConfig } from '../workers/gpu/config.js';
import { resolveStageConfig } from './config.js';
import { coreEnvironment } from './runtime-env.js';
import { NEVER_EXPIRING_PREFIXES, expiryRules } from './storage-rules.js';
import { TABLE_TTL_ATTRIBUTE } from './table-schema.js';
import { CONTAINER_STOP_TIMEOUT_SECONDS } from './user-data.js';
import { WORKER_HEALTH_PORT, healthCheckCommand, workerEnvironment } from './worker-env.js';

const names = {
  bucket: { name: 'nexus-prod-databucket-x1' },
  table: { name: 'nexus-prod-TableTable-y2' },
  jobs: {
    queue: { url: 'https://sqs.us-east-1.amazonaws.com/123456789012/nexus-prod-JobsQueue' },
    dlq: { url: 'https://sqs.us-east-1.amazonaws.com/123456789012/nexus-prod-JobsDlqQueue' },
  },
  events: {
    queue: { url: 'https://sqs.us-east-1.amazonaws.com/123456789012/nexus-prod-EventsQueue' },
    dlq: { url: 'https://sqs.us-east-1.amazonaws.com/123456789012/nexus-prod-EventsDlqQueue' },
  },
};

function stringEnv(env: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)]));
}

describe('environment contract', () => {
  it('is read by shared/config.ts as the stack resources', () => {
    const config = loadConfig({ ...stringEnv(coreEnvironment(names)), AWS_REGION: 'us-east-1', API_KEY_PEPPER: 'pepper-from-sst-secret' });
    expect(config.bucket).toBe('nexus-prod-databucket-x1');
    expect(config.table).toBe('nexus-prod-TableTable-y2');
    expect(config.queues).toEqual({
      jobs: names.jobs.queue.url,
      jobsDlq: names.jobs.dlq.url,
      events: names.events.queue.url,
      eventsDlq: names.events.dlq.url,
    });
    expect(config.endpoints).toBeNull();
    expect(config.api.keyPepper).toBe('pepper-from-sst-secret');
  });

  it('gives the worker a bundle to fetch, CUDA first, and a drain shorter than ECS stop timeout', () => {
    const env = {
      ...stringEnv(coreEnvironment(names)),
      ...workerEnvironment({ bundleUri: 's3://b/models/nexus-mini/1.0.0/', stopTimeoutSeconds: CONTAINER_STOP_TIMEOUT_SECONDS, maxReceiveCount: 7 }),
    };
    const worker = loadWorkerConfig(env);
    expect(worker.bundleUri).toBe('s3://b/models/nexus-mini/1.0.0/');
    expect(worker.bundleDir).toBe('/var/lib/nexus/bundle');
    expect(worker.executionProviders).toEqual(['cuda', 'cpu']);
    expect(worker.graceMs).toBe(110_000);
    expect(worker.dlqConsumer).toBe(true);
    expect(worker.retry.maxReceiveCount).toBe(7);
    expect(worker.health).toEqual({ port: WORKER_HEALTH_PORT, host: '127.0.0.1' });
  });

  it('checks health with node inside the container on the worker port', () => {
    const command = healthCheckCommand(8081);
    expect(command.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(command[3]).toContain("fetch('http://127.0.0.1:8081/health')");
  });
});

describe('table and queue contract', () => {
  it('expires rows by the attribute the DynamoDB adapter writes', () => {
    expect(TABLE_TTL_ATTRIBUTE).toBe(TTL_ATTRIBUTE);
  });

  it('sends a job to the DLQ after as many receives as the local stack does', () => {
    expect(resolveStageConfig('prod').queues.maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
  });
});

describe('bucket lifecycle', () => {
  it('expires uploads, inputs and outputs after the stage retention and never model bundles', () => {
    const rules = expiryRules(resolveStageConfig('prod').retention);
    expect(rules).toEqual([
      { id: 'expire-uploads', prefix: 'uploads/', days: 1 },
      { id: 'expire-inputs', prefix: 'inputs/', days: 7 },
      { id: 'expire-outputs', prefix: 'outputs/', days: 30 },
    ]);
    for (const kept of NEVER_EXPIRING_PREFIXES) expect(rules.some((rule) => kept.startsWith(rule.prefix))).toBe(false);
  });
});
