// Queue delivery semantics with real worker processes: duplicate deliveries of the same message run the
// job once (one started event, one terminal event id, usage counted once), and SIGTERM drains: the worker
// stops polling, releases what it cannot finish within the grace period, and exits 0; nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../shared/events.js';
import type { JobMessage, JobRecord } from '../../shared/job.js';
import { startApiHarness, type ApiHarness } from '../api/api-harness.js';
import { usageOfRows } from '../support/usage.js';
import { bundleDir, collectEvents, eventsQueue, FINAL, healthState, jobsQueueEmpty, quickJob, spawnWorker, waitFor, type ChildWorker } from './support.js';

const dir = bundleDir('test/reliability/delivery.test.ts');
let h: ApiHarness;
const children: ChildWorker[] = [];

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await h.stop();
});

function start(env: Record<string, string> = {}): ChildWorker {
  const child = spawnWorker(h.stack, dir ?? '', env);
  children.push(child);
  return child;
}

async function stop(child: ChildWorker): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  child.process.kill('SIGTERM');
  return child.exited;
}

async function submit(body: unknown): Promise<JobRecord> {
  const res = await h.call('POST', '/v1/jobs', { body });
  const job: unknown = await res.json();
  if (res.status !== 202 || typeof job !== 'object' || job === null || !('id' in job) || typeof job.id !== 'string') {
    throw new Error(`submit: ${res.status}`);
  }
  const row = await h.stack.table.getJob('acme', job.id);
  if (row === null) throw new Error('no row');
  return row;
}

const rowsOf = async (ids: string[]): Promise<JobRecord[]> =>
  (await Promise.all(ids.map((id) => h.stack.table.getJob('acme', id)))).filter((r): r is JobRecord => r !== null);

const allFinal = (ids: string[], timeoutMs: number): Promise<JobRecord[]> =>
  waitFor(
    async () => {
      const rows = await rowsOf(ids);
      return rows.length === ids.length && rows.every((r) => FINAL.has(r.status)) ? rows : undefined;
    },
    timeoutMs,
    'every job to finish',
  );

const message = (job: JobRecord): JobMessage => ({ v: 1, job_id: job.id, tenant: job.tenant, model: 'nexus-mini', attempt: 1 });

describe.skipIf(dir === null)('queue delivery with real worker processes', () => {
  it('runs a job once when its message is delivered several times, to two workers at once', { timeout: 120_000 }, async () => {
    const a = start();
    const b = start();
    await Promise.all([a.ready, b.ready]);
    const jobs: JobRecord[] = [];
    for (let i = 0; i < 10; i += 1) {
      const job = await submit(quickJob(500 + i));
      jobs.push(job);
      // Two more copies of the same message: SQS's at-least-once delivery, made certain.
      await h.stack.jobs.send(message(job));
      await h.stack.jobs.send(message(job));
    }
    const ids = jobs.map((j) => j.id);
    const rows = await allFinal(ids, 90_000);
    expect(rows.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    await jobsQueueEmpty(h.stack, 20_000);

    // A late duplicate after the job finished changes nothing.
    const [first] = rows;
    if (first === undefined) throw new Error('no job');
    await h.stack.jobs.send(message(first));
    await jobsQueueEmpty(h.stack, 20_000);
    expect(await h.stack.table.getJob('acme', first.id)).toEqual(first);

    const events = await collectEvents(eventsQueue(h.stack), 500);
    const byJob = new Map<string, EventMessage[]>();
    for (const e of events) byJob.set(e.job_id, [...(byJob.get(e.job_id) ?? []), e]);
    for (const id of ids) {
      const mine = byJob.get(id) ?? [];
      expect(mine.filter((e) => e.type === 'job.started')).toHaveLength(1);
      expect(new Set(mine.filter((e) => e.type === 'job.succeeded').map((e) => e.id)).size).toBe(1);
    }
    expect((await usageOfRows(h.stack.table, 'acme', rows)).jobs).toBe(10);
    expect((await Promise.all([stop(a), stop(b)])).map((e) => e.code)).toEqual([0, 0]);
  });

  it('drains on SIGTERM: stops polling, releases unfinished jobs within the grace period, exits 0; another worker finishes them', { timeout: 180_000 }, async () => {
    // Long jobs (four images of 100 diffusion steps each, one job at a time) and no grace at all: the drain must
    // release what runs. (Any grace this test could afford, a fast model can finish a job inside it: a 300 ms
    // grace did once the model got faster.)
    const slow = start({ WORKER_GRACE_MS: '0', WORKER_BATCH_SIZE: '1' });
    const port = await slow.ready;
    const jobs: JobRecord[] = [];
    const long = (seed: number) => quickJob(seed, { output: { modalities: ['image'], format: 'png', n: 4 }, params: { seed, steps: 100, max_tokens: 8 } });
    for (let i = 0; i < 4; i += 1) jobs.push(await submit(long(600 + i * 4)));
    const ids = jobs.map((j) => j.id);
    await waitFor(async () => ((await healthState(port)) === 'busy' ? true : undefined), 30_000, 'the worker to be busy');
    const startedAt = Date.now();
    const exit = await stop(slow);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(slow.output.join('')).toContain('"event":"drain_grace_over"');

    // Nothing is left running: released jobs went back to queued, and their messages are visible at once.
    const after = await rowsOf(ids);
    expect(after.filter((r) => r.status === 'running')).toEqual([]);
    const queued = after.filter((r) => r.status === 'queued').length;
    expect(queued).toBeGreaterThanOrEqual(1);
    const depth = await h.stack.jobs.depth();
    expect(depth.visible).toBe(queued);

    const fresh = start();
    await fresh.ready;
    const rows = await allFinal(ids, 150_000);
    expect(rows.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    expect((await stop(fresh)).code).toBe(0);
  });
});
