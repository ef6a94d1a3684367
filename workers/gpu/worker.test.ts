// The worker in-process against the real API, local S3/SQS/DynamoDB and the real bundle (smoke bundle when
// the trained one is absent): each behaviour of the job lifecycle, checked on the rows, objects and events.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobMessage, JobRecord } from '../../shared/job.js';
import { createServer } from 'node:http';
import { pngBytes, startApiHarness, type ApiHarness } from '../../test/api/api-harness.js';
import { bundleDir, collectEvents, eventsQueue, FINAL, jobsQueueEmpty, quickJob, startInProcessWorker, waitFor } from '../../test/reliability/support.js';
import type { RunningWorker } from './start-worker.js';
import { handleDeadLetter } from './dlq-consumer.js';
import { countUsage } from './process-job.js';
import { createEventEmitter } from '../../shared/events.js';
import { nearMissId } from '../../test/support/ids.js';
import { usageOfRows } from '../../test/support/usage.js';
import { sleep } from '../../test/support/wait.js';

const dir = bundleDir('workers/gpu/worker.test.ts');
let h: ApiHarness;
let worker: RunningWorker | null = null;

beforeAll(async () => {
  h = await startApiHarness({ allowLoopbackHttp: true });
});
afterAll(async () => {
  await worker?.drain();
  await h.stop();
});

const submit = (body: unknown): Promise<string> => h.submit(body);

const row = (id: string): Promise<JobRecord> => h.row(id);
const finalRow = (id: string, timeoutMs = 60_000): Promise<JobRecord> =>
  waitFor(
    async () => {
      const job = await row(id);
      return FINAL.has(job.status) ? job : undefined;
    },
    timeoutMs,
    `job ${id} to finish`,
  );

const message = (job: JobRecord, attempt = 1): JobMessage => ({ v: 1, job_id: job.id, tenant: job.tenant, model: 'nexus-mini', attempt });

describe.skipIf(dir === null)('worker (in-process, real model)', () => {
  beforeAll(async () => {
    if (dir === null) return;
    worker = await startInProcessWorker(h.stack, dir);
    await collectEvents(eventsQueue(h.stack), 100);
  });

  it('runs a job: running → succeeded, output under its deterministic key, usage once, started + succeeded events, message gone', async () => {
    const id = await submit(quickJob(7));
    const job = await finalRow(id);
    expect(job.status).toBe('succeeded');
    expect(job.model).toMatch(/^nexus-mini@/);
    expect(job.attempt).toBe(1);
    expect(job.result?.images).toHaveLength(1);
    const image = job.result?.images[0];
    expect(image?.key).toBe(`outputs/acme/${id}/0.png`);
    const bytes = await h.stack.objects.get(`outputs/acme/${id}/0.png`);
    expect(bytes).not.toBeNull();
    expect(
      createHash('sha256')
        .update(bytes ?? new Uint8Array())
        .digest('hex'),
    ).toBe(image?.sha256);
    expect(image?.seed).toBe(7);
    expect(job.usage).toMatchObject({ images: 1, billable: true, priceVersion: '2026-12-01' });
    expect(job.usage?.computeMs).toBeGreaterThan(0);
    // The published nexus-mini price: $0.002 a picture + $0.0001 a step (2 here), $0.10 / $0.40 per 1M tokens, each rounded up.
    const { inputTokens = 0, outputTokens = 0 } = job.usage ?? {};
    expect(inputTokens).toBeGreaterThan(0);
    expect(job.usage?.costUsdMicros).toBe(2_000 + 2 * 100 + Math.ceil(inputTokens / 10) + Math.ceil((outputTokens * 4) / 10));
    // The estimate of the same body is an upper bound on what the job was billed.
    const estimate = (await (await h.call('POST', '/v1/jobs/estimate', { body: quickJob(7) })).json()) as { cost_usd_micros: number; basis: { input_tokens: number } };
    expect(estimate.basis.input_tokens).toBeGreaterThanOrEqual(inputTokens);
    expect(estimate.cost_usd_micros).toBeGreaterThanOrEqual(job.usage?.costUsdMicros ?? Infinity);
    const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === id);
    expect(events.map((e) => e.type)).toEqual(['job.started', 'job.succeeded']);
    expect(events[1]?.sequence).toBe(job.eventSequence);
    expect(events[1]?.job.status).toBe('succeeded');
    await jobsQueueEmpty(h.stack);
    expect(await h.stack.jobs.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('runs a job whose message arrives before its row (the API sends first and writes the row after)', async () => {
    // The row put lands 600 ms after the send: the worker's first delivery (tens of ms) finds no row, reads
    // again, hands the message back for a second, and the next delivery runs the job.
    const slowRow = h.appWith({
      jobs: {
        ...h.stack.table,
        createJob: async (job) => {
          await sleep(600);
          return h.stack.table.createJob(job);
        },
      },
    });
    // As tenant globex, so the usage checks of acme's jobs below stay exact.
    const res = await slowRow.request('/v1/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${h.otherKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(quickJob(31)),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = await waitFor(
      async () => {
        const current = await h.stack.table.getJob('globex', id);
        return current !== null && FINAL.has(current.status) ? current : undefined;
      },
      60_000,
      `job ${id} to finish`,
    );
    expect(job.status).toBe('succeeded');
    expect(job.result?.images).toHaveLength(1);
    await jobsQueueEmpty(h.stack);
  });

  it('runs a duplicate delivery of a finished job no second time', async () => {
    const id = await submit(quickJob(8));
    const first = await finalRow(id);
    await jobsQueueEmpty(h.stack);
    await collectEvents(eventsQueue(h.stack));
    const before = await h.stack.table.getUsage('acme', first.completedAt?.slice(0, 10) ?? '', first.model);
    await h.stack.jobs.send(message(first));
    await jobsQueueEmpty(h.stack);
    const after = await row(id);
    expect(after).toEqual(first);
    expect(await h.stack.table.getUsage('acme', first.completedAt?.slice(0, 10) ?? '', first.model)).toEqual(before);
    // receiveCount 1: a plain duplicate, so the terminal event is not re-sent either.
    expect((await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === id)).toEqual([]);
  });

  it('counts a job\u2019s usage once however often the count is repeated (a re-run after a crash)', async () => {
    const id = await submit(quickJob(13));
    const job = await finalRow(id);
    await jobsQueueEmpty(h.stack);
    const day = job.completedAt?.slice(0, 10) ?? '';
    const before = await h.stack.table.getUsage('acme', day, job.model);
    await countUsage(h.stack.table, job);
    await countUsage(h.stack.table, job);
    expect(await h.stack.table.getUsage('acme', day, job.model)).toEqual(before);
    // Every job so far in this file succeeded with one image, and each was counted exactly once (summed over the
    // days they completed on, in case the file ran across midnight UTC).
    const succeeded = (await h.stack.table.listJobs('acme', { limit: 100, cursor: null })).items.filter((r) => r.status === 'succeeded');
    expect(succeeded).toHaveLength(3);
    const cost = succeeded.reduce((sum, r) => sum + (r.usage?.costUsdMicros ?? 0), 0);
    expect(cost).toBeGreaterThanOrEqual(3 * 2_200);
    expect(await usageOfRows(h.stack.table, 'acme', succeeded)).toMatchObject({ jobs: 3, images: 3, costUsdMicros: cost });
    const other = { ...job, id: nearMissId(job.id, 'Z') };
    await countUsage(h.stack.table, other);
    expect(await h.stack.table.getUsage('acme', day, job.model)).toMatchObject({ jobs: 4, images: 4 });
  });

  it('takes over a job left running by a crashed run (later delivery attempt), with one terminal event', async () => {
    // No worker while the job is submitted (a fast model would finish it before a drain).
    await worker?.drain();
    worker = null;
    const id = await submit(quickJob(9, { metadata: { case: 'takeover' } }));
    // What a crashed worker leaves: the row claimed with attempt 1. The message reappears with receiveCount 2.
    const crashed = await h.stack.table.claimRun('acme', id, 1, { startedAt: new Date().toISOString() });
    expect(crashed?.status).toBe('running');
    const delivery = await waitFor(async () => (await h.stack.jobs.receive({ maxMessages: 1, waitSeconds: 1, visibilitySeconds: 1 }))[0], 5_000, 'the job message');
    expect(delivery.body.job_id).toBe(id);
    worker = await startInProcessWorker(h.stack, dir ?? '');
    const job = await finalRow(id);
    expect(job.status).toBe('succeeded');
    expect(job.attempt).toBe(delivery.receiveCount + 1);
    expect(job.startedAt).toBe(crashed?.startedAt);
    const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === id);
    expect(events.filter((e) => e.type === 'job.succeeded')).toHaveLength(1);
  });

  it('expires a job whose deadline passed while queued, without running it', async () => {
    const id = await submit(quickJob(10));
    await worker?.drain();
    worker = null;
    const job = await row(id);
    // The deadline is the API's (queueDeadlineSeconds); move it into the past the way time would.
    const expiredId = nearMissId(id, 'X');
    await h.stack.table.createJob({ ...job, id: expiredId, deadline: new Date(Date.now() - 1000).toISOString() });
    await h.stack.jobs.send(message({ ...job, id: expiredId }));
    worker = await startInProcessWorker(h.stack, dir ?? '');
    const expired = await finalRow(expiredId);
    expect(expired).toMatchObject({ status: 'expired', startedAt: null, result: null });
    expect((await finalRow(id)).status).toBe('succeeded');
    const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === expiredId);
    expect(events.map((e) => e.type)).toEqual(['job.expired']);
  });

  it('fails bad input permanently (missing input object): no retry, message deleted', async () => {
    const id = await submit(quickJob(11));
    await finalRow(id);
    const job = await row(id);
    const badId = nearMissId(id, 'Y');
    await h.stack.table.createJob({
      ...job,
      id: badId,
      status: 'queued',
      startedAt: null,
      completedAt: null,
      result: null,
      usage: null,
      attempt: undefined,
      eventSequence: 0,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', key: `inputs/acme/${badId}/0.png`, mediaType: 'image/png', width: 8, height: 8 },
            { type: 'text', text: 'make it blue' },
          ],
        },
      ],
    });
    await h.stack.jobs.send(message({ ...job, id: badId }));
    const failed = await finalRow(badId);
    expect(failed).toMatchObject({
      status: 'failed',
      attempt: 1,
      error: { type: 'missing_input', message: `input object inputs/acme/${badId}/0.png does not exist`, retryable: false },
    });
    await waitFor(async () => ((await h.stack.jobs.depth()).inFlight === 0 ? true : undefined), 5_000, 'the message to be deleted');
    expect(await h.stack.jobs.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('marks a dead-lettered job failed with a clear error and emits job.failed once per id', async () => {
    await worker?.drain();
    worker = null;
    const id = await submit(quickJob(12));
    // What SQS does after the last failed delivery: the message leaves the job queue for the DLQ.
    const [moved] = await h.stack.jobs.receive({ maxMessages: 1, waitSeconds: 1, visibilitySeconds: 30 });
    expect(moved?.body.job_id).toBe(id);
    await h.stack.jobs.delete(moved?.receiptHandle ?? '');
    const claimed = await h.stack.table.claimRun('acme', id, 5, {});
    expect(claimed?.status).toBe('running');
    await collectEvents(eventsQueue(h.stack));
    const events = createEventEmitter({ table: h.stack.table, queue: eventsQueue(h.stack) });
    const dead = { messageId: 'm', receiptHandle: 'r', receiveCount: 6, body: message(claimed ?? (await row(id))) };
    await handleDeadLetter(dead, { table: h.stack.table, events, now: () => new Date() });
    await handleDeadLetter(dead, { table: h.stack.table, events, now: () => new Date() });
    const failed = await row(id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({
      type: 'processing_failed',
      message: 'the job could not be processed: its worker crashed or failed on every delivery (5 attempts), so it was moved to the dead-letter queue',
      retryable: false,
    });
    const sent = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === id);
    expect(sent.map((e) => e.type)).toEqual(['job.failed', 'job.failed']);
    expect(new Set(sent.map((e) => e.id)).size).toBe(1);
    worker = await startInProcessWorker(h.stack, dir ?? '');
  });

  it('micro-batches: jobs arriving within the window run in one runBatch call', { timeout: 120_000 }, async () => {
    await worker?.drain();
    worker = null;
    const sizes: number[] = [];
    // Two are queued before the worker starts (its first receive takes them and opens the window), two more are
    // submitted at once after it: the window gathers them. (One at a time, four submits once spread past a 3 s
    // window on a loaded CI host; a window may be at most half the visibility timeout.)
    const early = await Promise.all([0, 1].map((i) => submit(quickJob(20 + i))));
    worker = await startInProcessWorker(h.stack, dir ?? '', {
      env: { WORKER_BATCH_SIZE: '4', WORKER_BATCH_WINDOW_MS: '2500' },
      onRunBatch: (size) => sizes.push(size),
    });
    const ids = [...early, ...(await Promise.all([2, 3].map((i) => submit(quickJob(20 + i)))))];
    const rows = await Promise.all(ids.map((id) => finalRow(id, 60_000)));
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(sizes).toEqual([4]);
    // Each job's usage carries its share of the batch's compute time.
    expect(new Set(rows.map((r) => r.usage?.computeMs)).size).toBe(1);
    await worker?.drain();
    worker = await startInProcessWorker(h.stack, dir ?? '');
  });

  it('cancels a running job between steps when the API asks: canceled, no output, job.canceled', { timeout: 120_000 }, async () => {
    // 100 steps held 20 ms each: the run lasts ~2 s however fast the model is here.
    await worker?.drain();
    worker = await startInProcessWorker(h.stack, dir ?? '', { stepDelayMs: 20 });
    await collectEvents(eventsQueue(h.stack));
    const id = await submit(quickJob(30, { params: { seed: 30, steps: 100, max_tokens: 8 } }));
    await waitFor(async () => ((await row(id)).status === 'running' ? true : undefined), 30_000, 'the job to run');
    const res = await h.call('POST', `/v1/jobs/${id}/cancel`);
    expect(res.status).toBe(200);
    const job = await finalRow(id, 60_000);
    expect(job).toMatchObject({ status: 'canceled', result: null, usage: null });
    expect(await h.stack.objects.head(`outputs/acme/${id}/0.png`)).toBeNull();
    const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === id);
    expect(events.map((e) => e.type)).toEqual(['job.started', 'job.canceled']);
  });

  it('leaves a transient failure for redelivery with backoff, then succeeds', { timeout: 120_000 }, async () => {
    await worker?.drain();
    worker = await startInProcessWorker(h.stack, dir ?? '', { env: { ALLOW_LOOPBACK_FETCH: 'true' } });
    const png = await pngBytes(64, 64);
    const answers: number[] = [];
    const server = createServer((_req, res) => {
      const status = answers.length === 0 ? 503 : 200;
      answers.push(status);
      if (status === 503) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const id = await submit({
        ...quickJob(40),
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: `http://127.0.0.1:${port}/in.png` } },
              { type: 'text', text: 'make it blue' },
            ],
          },
        ],
      });
      const job = await finalRow(id, 60_000);
      expect(job.status).toBe('succeeded');
      expect(answers).toEqual([503, 200]);
      expect(job.attempt).toBeGreaterThanOrEqual(2);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await worker?.drain();
    worker = await startInProcessWorker(h.stack, dir ?? '');
  });
});
