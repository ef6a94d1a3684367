// A drain while the worker waits in its long poll never strands a message: one sent at that moment is visible on
// the queue again when the drain ends (not in flight until its visibility timeout), and no run took it. Both
// ends are covered: the worker gives back what its last poll still brings before it closes its clients, and the
// local SQS front lets a poll whose caller has gone take nothing (shared/aws/sqs-message-queue.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/api/api-harness.js';
import { bundleDir, quickJob, startInProcessWorker } from '../../test/reliability/support.js';
import { sleep } from '../../test/support/wait.js';

const dir = bundleDir('workers/gpu/drain-poll.test.ts');
let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

describe.skipIf(dir === null)('drain during a long poll', () => {
  it('leaves a message that arrives during the drain visible, repeated 5 times', async () => {
    for (let round = 0; round < 5; round += 1) {
      // Visibility 60 s: a stranded message would stay in flight far longer than this test waits.
      const worker = await startInProcessWorker(h.stack, dir ?? '', { env: { WORKER_WAIT_SECONDS: '2', WORKER_VISIBILITY_SECONDS: '60' } });
      await sleep(300); // the worker is idle, inside its long poll
      const draining = worker.drain();
      const id = await h.submit(quickJob(70 + round));
      await draining;
      await sleep(100);
      expect(await h.stack.jobs.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
      expect((await h.row(id)).status).toBe('queued');
      const [message] = await h.stack.jobs.receive({ maxMessages: 1, waitSeconds: 1, visibilitySeconds: 30 });
      expect(message?.body.job_id).toBe(id);
      await h.stack.jobs.delete(message?.receiptHandle ?? '');
    }
  });
});
