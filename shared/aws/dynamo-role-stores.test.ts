// The role stores beside the jobs (idempotency keys, API keys, rate counters, usage, deliveries, secrets, events,
// endpoints) against dynalite, through the composed table.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobTable } from '../ports.js';
import { createDynamoJobTable } from './dynamo-job-table.js';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';

let stack: LocalStack;
let now = 1_800_000_000;
let table: JobTable;
let tableName: string;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

async function rawRow(pk: string, sk: string) {
  const reply = await stack.clients.documents.send(new GetCommand({ TableName: tableName, Key: { pk, sk } }));
  return reply.Item;
}

describe('role stores on the document client', () => {
  beforeAll(() => {
    tableName = stack.resources.table;
    table = createDynamoJobTable({ client: stack.clients.documents, tableName, nowSeconds: () => now });
  });

  describe('idempotency keys', () => {
    it('claims a free key, then reports the holder to later claims', async () => {
      expect(await table.claimIdempotencyKey('t1', 'key-a', { bodyHash: 'h1', jobId: 'job_1' }, 86_400)).toBeNull();
      expect(await table.claimIdempotencyKey('t1', 'key-a', { bodyHash: 'h2', jobId: 'job_2' }, 86_400)).toEqual({ bodyHash: 'h1', jobId: 'job_1', claimedAt: now });
      expect(await table.claimIdempotencyKey('t2', 'key-a', { bodyHash: 'h3', jobId: 'job_3' }, 86_400)).toBeNull();
    });

    it('gives a key to exactly one of many concurrent claimers', async () => {
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => table.claimIdempotencyKey('t1', 'key-race', { bodyHash: `h${i}`, jobId: `job_${i}` }, 60)));
      const winners = claims.map((c, i) => (c === null ? i : -1)).filter((i) => i >= 0);
      expect(winners).toHaveLength(1);
      const winner = winners[0] ?? -1;
      expect(claims.filter((c) => c !== null)).toEqual(Array(7).fill({ bodyHash: `h${winner}`, jobId: `job_${winner}`, claimedAt: now }));
    });

    it('stores the TTL attribute and treats an expired key as free', async () => {
      await table.claimIdempotencyKey('t1', 'key-ttl', { bodyHash: 'old', jobId: 'job_old' }, 100);
      expect((await rawRow('TENANT#t1', 'IDEM#key-ttl'))?.expires_at).toBe(now + 100);
      now += 100;
      expect(await table.claimIdempotencyKey('t1', 'key-ttl', { bodyHash: 'new', jobId: 'job_new' }, 100)).toBeNull();
      expect(await table.claimIdempotencyKey('t1', 'key-ttl', { bodyHash: 'x', jobId: 'job_x' }, 100)).toEqual({ bodyHash: 'new', jobId: 'job_new', claimedAt: now });
    });

    it('frees a released key', async () => {
      await table.claimIdempotencyKey('t1', 'key-rel', { bodyHash: 'h', jobId: 'job_a' }, 60);
      await table.releaseIdempotencyKey('t1', 'key-rel');
      expect(await table.claimIdempotencyKey('t1', 'key-rel', { bodyHash: 'h', jobId: 'job_b' }, 60)).toBeNull();
    });

    it('releases a key for a given job only while the claim still names that job', async () => {
      await table.claimIdempotencyKey('t1', 'key-own', { bodyHash: 'h', jobId: 'job_a' }, 60);
      // A request that was taken over must not free its successor's claim.
      await table.releaseIdempotencyKey('t1', 'key-own', 'job_other');
      expect(await table.claimIdempotencyKey('t1', 'key-own', { bodyHash: 'h', jobId: 'job_b' }, 60)).toEqual({ bodyHash: 'h', jobId: 'job_a', claimedAt: now });
      await table.releaseIdempotencyKey('t1', 'key-own', 'job_a');
      expect(await table.claimIdempotencyKey('t1', 'key-own', { bodyHash: 'h', jobId: 'job_b' }, 60)).toBeNull();
      // Releasing a key nobody holds is not an error.
      await table.releaseIdempotencyKey('t1', 'key-none', 'job_a');
    });
  });

  describe('API keys and webhook secrets', () => {
    it('maps a key hash to its tenant', async () => {
      await table.putApiKey('a'.repeat(64), 'tenant-a');
      expect(await table.getTenantByApiKey('a'.repeat(64))).toBe('tenant-a');
      expect(await table.getTenantByApiKey('b'.repeat(64))).toBeNull();
    });

    it('keeps the secrets in order and replaces them on rotation', async () => {
      expect(await table.getWebhookSecrets('t-sec')).toEqual([]);
      await table.putWebhookSecrets('t-sec', ['whsec_b', 'whsec_a']);
      expect(await table.getWebhookSecrets('t-sec')).toEqual(['whsec_b', 'whsec_a']);
      await table.putWebhookSecrets('t-sec', ['whsec_c', 'whsec_b']);
      expect(await table.getWebhookSecrets('t-sec')).toEqual(['whsec_c', 'whsec_b']);
    });
  });

  describe('rate counters', () => {
    it('counts concurrent increments atomically and sets the TTL once', async () => {
      const counts = await Promise.all(Array.from({ length: 20 }, () => table.incrementRateCounter('t-rate', 'm:100', 60)));
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await rawRow('TENANT#t-rate', 'RATE#m:100'))?.expires_at).toBe(now + 60);
    });

    it('starts an expired window over at 1', async () => {
      await table.incrementRateCounter('t-rate', 'm:200', 60);
      await table.incrementRateCounter('t-rate', 'm:200', 60);
      now += 60;
      expect(await table.incrementRateCounter('t-rate', 'm:200', 60)).toBe(1);
      expect((await rawRow('TENANT#t-rate', 'RATE#m:200'))?.expires_at).toBe(now + 60);
    });
  });

  describe('usage', () => {
    it('adds concurrent increments per day and model', async () => {
      const one = { jobs: 1, images: 2, inputTokens: 10, outputTokens: 5, computeMs: 300, costUsdMicros: 3_002 };
      await Promise.all([
        table.addUsage('t-use', '2026-01-01', 'nexus-mini', one),
        table.addUsage('t-use', '2026-01-01', 'nexus-mini', one),
        table.addUsage('t-use', '2026-01-01', 'nexus-mini', { ...one, images: 0 }),
        table.addUsage('t-use', '2026-01-01', 'other', one),
      ]);
      expect(await table.getUsage('t-use', '2026-01-01', 'nexus-mini')).toEqual({
        jobs: 3,
        images: 4,
        inputTokens: 30,
        outputTokens: 15,
        computeMs: 900,
        costUsdMicros: 9_006,
      });
      expect(await table.getUsage('t-use', '2026-01-01', 'other')).toEqual(one);
      expect(await table.getUsage('t-use', '2026-01-02', 'nexus-mini')).toBeNull();
    });
  });

  describe('deliveries', () => {
    it('lists a job’s attempts oldest first, overwriting a re-logged attempt', async () => {
      const base = { jobId: 'job_d', deliveryId: 'evt_1', eventId: 'evt_1', eventType: 'job.succeeded', url: 'http://127.0.0.1:9/h' };
      const second = { ...base, attempt: 2, status: 200, latencyMs: 12, errorClass: null, at: '2026-01-01T00:00:05.000Z' };
      const first = { ...base, attempt: 1, status: null, latencyMs: 15_000, errorClass: 'timeout', at: '2026-01-01T00:00:00.000Z' };
      await table.putDelivery(second);
      await table.putDelivery(first);
      await table.putDelivery({ ...first, latencyMs: 14_999 });
      await table.putDelivery({ ...first, jobId: 'job_other' });
      expect(await table.listDeliveries('job_d')).toEqual([{ ...first, latencyMs: 14_999 }, second]);
      expect(await table.listDeliveries('job_none')).toEqual([]);
    });
  });

  describe('events kept for replay', () => {
    it('returns the stored body until its expiry', async () => {
      const body = JSON.stringify({ id: 'evt_1', type: 'job.succeeded', sequence: 4 });
      await table.putEvent('job_e', 'evt_1', body);
      expect(await table.getEvent('job_e', 'evt_1')).toBe(body);
      expect(await table.getEvent('job_e', 'evt_2')).toBeNull();
      now += 30 * 24 * 3600;
      expect(await table.getEvent('job_e', 'evt_1')).toBeNull();
    });
  });

  describe('disabled webhook endpoints', () => {
    it('adds, lists sorted, and re-enables endpoints per tenant', async () => {
      expect(await table.listDisabledWebhookEndpoints('t-hook')).toEqual([]);
      await Promise.all([
        table.disableWebhookEndpoint('t-hook', 'http://127.0.0.1:9/b'),
        table.disableWebhookEndpoint('t-hook', 'http://127.0.0.1:9/a'),
        table.disableWebhookEndpoint('t-hook', 'http://127.0.0.1:9/a'),
      ]);
      expect(await table.listDisabledWebhookEndpoints('t-hook')).toEqual(['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b']);
      expect(await table.listDisabledWebhookEndpoints('t-other')).toEqual([]);
      await table.enableWebhookEndpoint('t-hook', 'http://127.0.0.1:9/a');
      await table.enableWebhookEndpoint('t-hook', 'http://127.0.0.1:9/never-disabled');
      expect(await table.listDisabledWebhookEndpoints('t-hook')).toEqual(['http://127.0.0.1:9/b']);
    });
  });

  describe('rate counters by amount', () => {
    it('adds the given amount', async () => {
      expect(await table.incrementRateCounter('t-rate', 'm:300', 60, 5)).toBe(5);
      expect(await table.incrementRateCounter('t-rate', 'm:300', 60, 3)).toBe(8);
      expect(await table.incrementRateCounter('t-rate', 'm:300', 60)).toBe(9);
    });
  });

  describe('per-job usage and first webhook secrets', () => {
    it('counts a job’s usage once however often it is reported', async () => {
      const one = { jobs: 1, images: 1, inputTokens: 4, outputTokens: 2, computeMs: 50, costUsdMicros: 3_002 };
      await Promise.all([
        table.addUsage('t-once', '2026-02-01', 'nexus-mini', one, 'job_a'),
        table.addUsage('t-once', '2026-02-01', 'nexus-mini', one, 'job_a'),
        table.addUsage('t-once', '2026-02-01', 'nexus-mini', one, 'job_b'),
      ]);
      await table.addUsage('t-once', '2026-02-01', 'nexus-mini', one, 'job_a');
      expect(await table.getUsage('t-once', '2026-02-01', 'nexus-mini')).toEqual({
        jobs: 2,
        images: 2,
        inputTokens: 8,
        outputTokens: 4,
        computeMs: 100,
        costUsdMicros: 6_004,
      });
    });

    it('lets exactly one of two racing first secrets win', async () => {
      const results = await Promise.all([table.createWebhookSecrets('t-first', ['whsec_one']), table.createWebhookSecrets('t-first', ['whsec_two'])]);
      expect([...results].sort()).toEqual([false, true]);
      expect(await table.getWebhookSecrets('t-first')).toEqual([results[0] ? 'whsec_one' : 'whsec_two']);
      expect(await table.createWebhookSecrets('t-first', ['whsec_three'])).toBe(false);
    });
  });
});
