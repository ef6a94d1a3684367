// A cancel the API acknowledged while the job ran, but which the run has not seen (its progress writes, which
// bring it, are throttled): the success write must not land over it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../shared/job.js';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { makeJob } from '../../test/webhooks/support.js';
import { DEFAULT_RETRY } from './failures.js';
import { claimDelivery, finishRun, type JobDeps } from './process-job.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  await stack.stop();
});

const RESULT = { text: 'blue', images: [], inputTokens: 5, outputTokens: 1, computeMs: 3 };

async function runToTheEnd(cancelBeforeFinish: boolean): Promise<{ row: JobRecord | null; events: string[] }> {
  const job = makeJob('late', null, {
    status: 'queued',
    startedAt: null,
    completedAt: null,
    result: null,
    usage: null,
    deadline: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(await stack.table.createJob(job)).toBe(true);
  const events: string[] = [];
  const deps: JobDeps = {
    table: stack.table,
    store: stack.objects,
    events: { emit: (type) => Promise.resolve(void events.push(type)), nextSequence: (row) => Promise.resolve(row.eventSequence + 1) },
    fetchImage: () => Promise.reject(new Error('no images here')),
    modelId: 'nexus-mini@test',
    retry: DEFAULT_RETRY,
    now: () => new Date(),
    log: () => undefined,
  };
  const claim = await claimDelivery(
    { messageId: 'm', receiptHandle: 'r', body: { v: 1, job_id: job.id, tenant: 'late', model: 'nexus-mini', attempt: 1 }, receiveCount: 1 },
    deps,
  );
  if (claim.kind !== 'run') throw new Error('not claimed');
  // The API's cancel of a running job: the flag on the row, which this run never read.
  if (cancelBeforeFinish) expect(await stack.table.patch('late', job.id, ['running'], { cancelRequested: true })).not.toBeNull();
  expect(await finishRun(claim.item, [RESULT], deps)).toEqual({ action: 'delete' });
  return { row: await stack.table.getJob('late', job.id), events };
}

describe('the final write of a run', () => {
  it('ends the job canceled, unbilled and without output when a cancel came in after the model finished', async () => {
    const { row, events } = await runToTheEnd(true);
    expect(row).toMatchObject({ status: 'canceled', cancelRequested: true, result: null, usage: null });
    expect(events).toEqual(['job.canceled']);
  });

  it('ends it succeeded and billed when no cancel came', async () => {
    const { row, events } = await runToTheEnd(false);
    expect(row).toMatchObject({ status: 'succeeded', result: { text: 'blue', images: [] }, usage: { inputTokens: 5, outputTokens: 1, images: 0, billable: true } });
    expect(events).toEqual(['job.succeeded']);
  });
});
