// The worker settles each final job's spend reservation against the real table: a success turns it into the
// job's cost, a cancel or failure releases it, and a job of a tenant suspended while it waited does not run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../shared/job.js';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { makeJob } from '../../test/webhooks/support.js';
import { DEFAULT_RETRY } from './failures.js';
import { cancelRun, claimDelivery, finishRun, type JobDeps } from './process-job.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  await stack.stop();
});

const RESULT = { text: 'blue', images: [], inputTokens: 5, outputTokens: 1, computeMs: 3 };
const events: string[] = [];
const deps = (): JobDeps => ({
  table: stack.table,
  store: stack.objects,
  events: { emit: (type) => Promise.resolve(void events.push(type)), nextSequence: (row) => Promise.resolve(row.eventSequence + 1) },
  fetchImage: () => Promise.reject(new Error('no images here')),
  modelId: 'nexus-mini@test',
  retry: DEFAULT_RETRY,
  now: () => new Date(),
  log: () => undefined,
});

/** A queued job of `tenant` holding a reservation of `micros`, as POST /v1/jobs leaves it. */
async function queuedWithHold(tenant: string, micros: number): Promise<{ job: JobRecord; month: string }> {
  const job = makeJob(tenant, null, {
    status: 'queued',
    startedAt: null,
    completedAt: null,
    result: null,
    usage: null,
    deadline: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const month = job.createdAt.slice(0, 7);
  expect(await stack.table.reserveSpend(tenant, month, job.id, micros, 1_000_000)).toMatchObject({ reserved: true });
  expect(await stack.table.createJob(job)).toBe(true);
  return { job, month };
}

const deliver = (job: JobRecord) =>
  claimDelivery({ messageId: 'm', receiptHandle: 'r', body: { v: 1, job_id: job.id, tenant: job.tenant, model: 'nexus-mini', attempt: 1 }, receiveCount: 1 }, deps());

describe('spend reservations after the run', () => {
  it('a success replaces the reservation by the job\u2019s cost', async () => {
    const { job, month } = await queuedWithHold('settle-ok', 9_000);
    const claim = await deliver(job);
    if (claim.kind !== 'run') throw new Error('not claimed');
    expect(await finishRun(claim.item, [RESULT], deps())).toEqual({ action: 'delete' });
    const row = await stack.table.getJob('settle-ok', job.id);
    // nexus-mini@test is priced as nexus-mini: no image, 5 input tokens → 1 micro, 1 output token → 1 micro.
    expect(row?.usage?.costUsdMicros).toBe(2);
    expect(await stack.table.getSpend('settle-ok', month)).toEqual({ committedMicros: 2, openReservations: 0 });
  });

  it('a cancel releases it: nothing is spent', async () => {
    const { job, month } = await queuedWithHold('settle-cancel', 9_000);
    const claim = await deliver(job);
    if (claim.kind !== 'run') throw new Error('not claimed');
    expect(await cancelRun(claim.item, deps())).toEqual({ action: 'delete' });
    expect(await stack.table.getSpend('settle-cancel', month)).toEqual({ committedMicros: 0, openReservations: 0 });
  });

  it('a tenant suspended while its job waited: the job fails account_suspended, unbilled, and its reservation is released', async () => {
    const { job, month } = await queuedWithHold('settle-suspended', 9_000);
    await stack.table.createTenant({ id: 'settle-suspended', name: 'S', status: 'suspended', plan: 'free', limits: {}, createdAt: new Date().toISOString() });
    const claim = await deliver(job);
    expect(claim).toEqual({ kind: 'settled', disposition: { action: 'delete' } });
    expect(await stack.table.getJob('settle-suspended', job.id)).toMatchObject({
      status: 'failed',
      usage: null,
      error: { type: 'account_suspended', retryable: false },
    });
    expect(await stack.table.getSpend('settle-suspended', month)).toEqual({ committedMicros: 0, openReservations: 0 });
  });
});
