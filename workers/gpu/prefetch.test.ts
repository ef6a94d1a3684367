// Prefetch (WORKER_PREFETCH): the next job is received and claimed while one runs, its started_at and
// job.started wait for its own run, and a drain gives a claimed-but-not-run job back to the queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../shared/job.js';
import { startApiHarness, type ApiHarness } from '../../test/api/api-harness.js';
import { bundleDir, collectEvents, eventsQueue, FINAL, quickJob, startInProcessWorker, waitFor } from '../../test/reliability/support.js';
import type { RunningWorker } from './start-worker.js';

const dir = bundleDir('workers/gpu/prefetch.test.ts');
let h: ApiHarness;
let worker: RunningWorker | null = null;

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await worker?.drain();
  await h.stop();
});

const submit = (body: unknown): Promise<string> => h.submit(body);

const row = (id: string): Promise<JobRecord> => h.row(id);

describe.skipIf(dir === null)('worker prefetch (in-process, real model)', () => {
  it('claims the next job while one runs, starts it only on its run, and a drain gives it back', { timeout: 120_000 }, async () => {
    const bundle = dir ?? '';
    // Steps held 10 ms each (four images x 100 steps: ~4 s), so the long job is still running however fast the model is.
    // The prefetch is one long poll issued as the long job starts: 10 s (not the test default of 1 s), so that it
    // still waits when the next job is submitted, however slowly a loaded host gets there.
    worker = await startInProcessWorker(h.stack, bundle, {
      env: { WORKER_PREFETCH: 'true', WORKER_BATCH_SIZE: '1', WORKER_GRACE_MS: '60000', WORKER_WAIT_SECONDS: '10' },
      stepDelayMs: 10,
    });
    await collectEvents(eventsQueue(h.stack), 100);
    // A long first job (four images of the most diffusion steps) so the second is prefetched while it runs.
    const long = await submit(quickJob(51, { output: { modalities: ['image'], format: 'png', n: 4 }, params: { seed: 51, steps: 100, max_tokens: 8 } }));
    await waitFor(async () => ((await row(long)).startedAt !== null ? true : undefined), 30_000, 'the long job to start');
    const next = await submit(quickJob(52));
    const claimed = await waitFor(
      async () => {
        const job = await row(next);
        return job.status === 'running' ? job : undefined;
      },
      30_000,
      'the next job to be claimed',
    );
    expect((await row(long)).status).toBe('running');
    expect(claimed).toMatchObject({ status: 'running', attempt: 1, startedAt: null });

    await worker.drain();
    worker = null;
    expect((await row(long)).status).toBe('succeeded');
    expect(await row(next)).toMatchObject({ status: 'queued', startedAt: null, result: null });
    expect(await h.stack.jobs.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    const given = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === next);
    expect(given).toEqual([]);

    // The next worker takes the released job on its next delivery and runs it once.
    worker = await startInProcessWorker(h.stack, bundle, { env: { WORKER_PREFETCH: 'true' } });
    const done = await waitFor(
      async () => {
        const job = await row(next);
        return FINAL.has(job.status) ? job : undefined;
      },
      60_000,
      'the released job to finish',
    );
    expect(done).toMatchObject({ status: 'succeeded', attempt: 2 });
    const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === next);
    expect(events.map((e) => e.type)).toEqual(['job.started', 'job.succeeded']);
  });
});
