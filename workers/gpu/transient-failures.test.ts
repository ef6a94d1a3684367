// A job whose run keeps meeting transient failures (an image server that is slow or refuses connections), in
// process against the real API, local S3/SQS/DynamoDB and the real bundle: a cancel is honoured on the delivery
// it reaches, and the last delivery fails the job with the failure's own cause instead of the DLQ's.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../shared/job.js';
import { pngBytes, startApiHarness, type ApiHarness } from '../../test/api/api-harness.js';
import { bundleDir, collectEvents, eventsQueue, FINAL, jobsQueueEmpty, quickJob, startInProcessWorker, waitFor } from '../../test/reliability/support.js';
import { closedPort } from '../../test/support/ports.js';
import type { RunningWorker } from './start-worker.js';

const dir = bundleDir('workers/gpu/transient-failures.test.ts');
let h: ApiHarness;
let worker: RunningWorker | null = null;
/** Every transient failure is retried at once (backoff 0 s), so five deliveries take about a second. */
const WORKER_ENV = { ALLOW_LOOPBACK_FETCH: 'true', IMAGE_FETCH_TIMEOUT_MS: '3000', WORKER_BACKOFF_BASE_SECONDS: '0' };

beforeAll(async () => {
  h = await startApiHarness({ allowLoopbackHttp: true });
});
afterAll(async () => {
  await worker?.drain();
  await h.stop();
});

const finalRow = (id: string, timeoutMs = 60_000): Promise<JobRecord> =>
  waitFor(
    async () => {
      const job = await h.row(id);
      return FINAL.has(job.status) ? job : undefined;
    },
    timeoutMs,
    `job ${id} to finish`,
  );

const imageJob = (url: string) => ({
  ...quickJob(50),
  messages: [
    {
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url } },
        { type: 'text', text: 'make it blue' },
      ],
    },
  ],
});

let workerEnv: Record<string, string> = {};
/** A worker with these settings over WORKER_ENV (a running one with other settings is drained first). */
async function startWorker(env: Record<string, string> = {}): Promise<void> {
  if (worker !== null && JSON.stringify(env) === JSON.stringify(workerEnv)) return;
  await worker?.drain();
  workerEnv = env;
  worker = await startInProcessWorker(h.stack, dir ?? '', { env: { ...WORKER_ENV, ...env } });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe.skipIf(dir === null)('transient failures (in-process worker, real model)', () => {
  it('cancels a job that is handed back with cancel_requested instead of running it', async () => {
    // No worker while the row is queued with a pending cancel, as a run that died after the cancel leaves it.
    await worker?.drain();
    worker = null;
    const id = await h.submit(quickJob(51));
    expect(await h.stack.table.patch('acme', id, ['queued'], { cancelRequested: true })).toMatchObject({ status: 'queued', cancelRequested: true });
    await collectEvents(eventsQueue(h.stack));
    await startWorker();
    const job = await finalRow(id);
    expect(job).toMatchObject({ status: 'canceled', attempt: 1, startedAt: null, result: null, usage: null, error: null });
    expect(await h.stack.objects.head(`outputs/acme/${id}/0.png`)).toBeNull();
    await jobsQueueEmpty(h.stack);
    const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === id);
    expect(events.map((e) => [e.type, e.sequence])).toEqual([['job.canceled', job.eventSequence]]);
  });

  it.each([
    ['an earlier delivery (handed back)', '5'],
    ['the last delivery (out of retries)', '1'],
  ])('ends a running job canceled when its image fetch times out after a cancel on %s: one job.canceled, no usage', async (_case, maxReceiveCount) => {
    const png = await pngBytes(64, 64);
    const timers = new Set<NodeJS.Timeout>();
    let requests = 0;
    // One byte a second: the fetch times out (transient) while the job is running.
    const server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'image/png' });
      let sent = 0;
      const drip = (): void => {
        res.write(png.subarray(sent, sent + 1));
        sent += 1;
        if (sent < png.length) timers.add(setTimeout(drip, 1000));
      };
      drip();
    });
    const port = await listen(server);
    await startWorker({ WORKER_MAX_RECEIVE_COUNT: maxReceiveCount });
    try {
      const id = await h.submit(imageJob(`http://127.0.0.1:${port}/slow.png`));
      await waitFor(async () => (requests > 0 ? true : undefined), 30_000, 'the worker to fetch the image');
      const res = await h.call('POST', `/v1/jobs/${id}/cancel`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'running', cancel_requested: true });
      const job = await finalRow(id);
      expect(job).toMatchObject({ status: 'canceled', attempt: 1, result: null, usage: null, error: null });
      expect(requests).toBe(1);
      await jobsQueueEmpty(h.stack);
      const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === id);
      expect(events.map((e) => [e.type, e.sequence])).toEqual([['job.canceled', job.eventSequence]]);
      expect(await h.stack.table.getUsage('acme', job.completedAt?.slice(0, 10) ?? '', job.model)).toBeNull();
    } finally {
      for (const timer of timers) clearTimeout(timer);
      await close(server);
    }
  });

  it('fails a job whose image URL refuses every delivery with that cause on the last one, not from the DLQ', async () => {
    await startWorker();
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/x.png`;
    const id = await h.submit(imageJob(url));
    const job = await finalRow(id);
    expect(job).toMatchObject({
      status: 'failed',
      attempt: 5,
      result: null,
      usage: null,
      error: { type: 'image_fetch_failed', message: `could not fetch image ${url}: connection refused (after 5 attempts)`, retryable: true },
    });
    await jobsQueueEmpty(h.stack);
    expect(await h.stack.queue(h.stack.resources.jobs.dlqUrl, (raw: unknown) => raw).depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === id);
    expect(events.map((e) => [e.type, e.sequence])).toEqual([['job.failed', job.eventSequence]]);
  });
});
