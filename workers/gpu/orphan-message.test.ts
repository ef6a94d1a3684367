// A delivery that finds no job row (the API sends the message before it writes the row): read again, hand the
// message back three times with growing delays, then drop it; claim as soon as the row is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJobId } from '../../shared/ids.js';
import type { JobMessage } from '../../shared/job.js';
import type { ReceivedMessage } from '../../shared/ports.js';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { makeJob } from '../../test/webhooks/support.js';
import { MISSING_ROW_RELEASE_SECONDS, ROW_REREAD_MS, settleMissingRow } from './orphan-message.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  await stack.stop();
});

const delivery = (jobId: string, receiveCount: number): ReceivedMessage<JobMessage> => ({
  messageId: `m-${receiveCount}`,
  receiptHandle: `r-${receiveCount}`,
  body: { v: 1, job_id: jobId, tenant: 'orphans', model: 'nexus-mini', attempt: 1 },
  receiveCount,
});

function recorder() {
  const slept: number[] = [];
  const logged: string[] = [];
  return {
    slept,
    logged,
    deps: {
      table: stack.table,
      log: (event: string) => void logged.push(event),
      sleep: (ms: number) => {
        slept.push(ms);
        return Promise.resolve();
      },
    },
  };
}

describe('settleMissingRow', () => {
  it('hands a message without a row back after 1, 30 and 120 s, and drops it on the fourth delivery', async () => {
    const jobId = newJobId();
    const outcomes = [];
    const r = recorder();
    for (let receiveCount = 1; receiveCount <= 4; receiveCount += 1) outcomes.push(await settleMissingRow(delivery(jobId, receiveCount), r.deps));
    expect(outcomes).toEqual([
      { action: 'release', delaySeconds: 1 },
      { action: 'release', delaySeconds: 30 },
      { action: 'release', delaySeconds: 120 },
      { action: 'delete' },
    ]);
    expect(MISSING_ROW_RELEASE_SECONDS).toEqual([1, 30, 120]);
    // Every delivery reads the row again after each pause before it gives up.
    expect(r.slept).toEqual([...ROW_REREAD_MS, ...ROW_REREAD_MS, ...ROW_REREAD_MS, ...ROW_REREAD_MS]);
    expect(r.logged).toEqual(['job_row_pending', 'job_row_pending', 'job_row_pending', 'orphan_message_dropped']);
  });

  it('answers null (claim again) as soon as the row lands during the re-reads', async () => {
    const job = makeJob('orphans', null, { status: 'queued' });
    const r = recorder();
    const deps = {
      ...r.deps,
      sleep: async (ms: number) => {
        r.slept.push(ms);
        // The API's row put lands during the second pause.
        if (r.slept.length === 2) expect(await stack.table.createJob(job)).toBe(true);
      },
    };
    expect(await settleMissingRow(delivery(job.id, 1), deps)).toBeNull();
    expect(r.slept).toEqual(ROW_REREAD_MS.slice(0, 2));
    expect(r.logged).toEqual([]);
  });
});
