// Real worker processes (tsx workers/gpu/main.ts) SIGKILLed mid-job, again and again, while they work
// through jobs submitted via the real API: every job ends in exactly one final state, none is lost, and
// each has exactly one terminal event id on the events queue. RELIABILITY_JOBS sets N (default 300, the "few hundred": 30 kills, about 95 s here).
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMessage } from '../../shared/events.js';
import type { JobRecord } from '../../shared/job.js';
import { startApiHarness, type ApiHarness } from '../api/api-harness.js';
import { usageOfRows } from '../support/usage.js';
import { bundleDir, collectEvents, eventsQueue, FINAL, healthState, jobsQueueEmpty, quickJob, sleep, spawnWorker, waitFor, type ChildWorker } from './support.js';

const dir = bundleDir('test/reliability/crash-recovery.test.ts');
const JOBS = Number(process.env.RELIABILITY_JOBS ?? 300);
const WORKERS = 2;
const KILLS = Math.max(5, Math.round(JOBS / 10));
const TERMINAL = new Set(['job.succeeded', 'job.failed', 'job.canceled', 'job.expired']);

let h: ApiHarness;
const workers: ChildWorker[] = [];

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  for (const w of workers) if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill('SIGKILL');
  await h.stop();
});

async function submit(seed: number, overrides: Parameters<typeof quickJob>[1] = {}): Promise<string> {
  const res = await h.call('POST', '/v1/jobs', { body: quickJob(seed, overrides) });
  const body: unknown = await res.json();
  if (res.status !== 202 || typeof body !== 'object' || body === null || !('id' in body) || typeof body.id !== 'string') {
    throw new Error(`submit failed: ${res.status}`);
  }
  return body.id;
}

async function statuses(ids: string[]): Promise<JobRecord[]> {
  const rows = await Promise.all(ids.map((id) => h.stack.table.getJob('acme', id)));
  return rows.filter((r): r is JobRecord => r !== null);
}

describe.skipIf(dir === null)(`SIGKILL mid-job across ${JOBS} jobs`, () => {
  it('ends every job in exactly one final state with exactly one terminal event id', { timeout: 480_000 }, async () => {
    const bundle = dir ?? '';
    // Jobs go in in KILLS + 1 waves: two at the start and one more after each kill, so that however fast the
    // workers run, jobs are still waiting when each kill comes (all submitted at once, a fast CI host once
    // finished all 120 jobs before the last two kills could happen). All are in by the last kill.
    const ids: string[] = [];
    const waveEnd = (wave: number): number => Math.min(JOBS, Math.round(((wave + 1) * JOBS) / (KILLS + 1)));
    let waves = 0;
    const submitWave = async (): Promise<void> => {
      for (let i = ids.length; i < waveEnd(waves); i += 1) ids.push(await submit(1000 + i));
      waves += 1;
    };
    await submitWave();
    await submitWave();
    // Workers die here every few seconds, far more often than any real fleet; a maxReceiveCount above
    // production's 5 keeps most jobs on the takeover path (the DLQ path has its own test) while a job that
    // keeps landing on dying workers still ends dead-lettered and failed, which the checks below accept.
    const dlqAttributes = await h.stack.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: h.stack.resources.jobs.dlqUrl, AttributeNames: ['QueueArn'] }));
    const dlqArn = dlqAttributes.Attributes?.QueueArn ?? '';
    await h.stack.clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: h.stack.resources.jobs.queueUrl,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 10 }) },
      }),
    );
    // KILLS SIGKILLs spread over the run: each time another 1/(KILLS+1) of the jobs is final, the first
    // worker whose health says busy (mid-job: it holds claimed messages) dies, and a fresh one takes its place.
    const ports = new Map<ChildWorker, number>();
    const spawnTracked = (): ChildWorker => {
      // The workers know the raised count: a transient failure before the 10th delivery is retried, not failed.
      const child = spawnWorker(h.stack, bundle, { WORKER_MAX_RECEIVE_COUNT: '10' });
      void child.ready.then((port) => ports.set(child, port));
      return child;
    };
    for (let i = 0; i < WORKERS; i += 1) workers.push(spawnTracked());

    let kills = 0;
    let starved = 0;
    for (;;) {
      await sleep(100);
      const rows = await statuses(ids);
      const finished = rows.filter((r) => FINAL.has(r.status)).length;
      if (process.env.RELIABILITY_VERBOSE)
        console.error(`final ${finished}/${ids.length}/${JOBS}, running ${rows.filter((r) => r.status === 'running').length}, kills ${kills}`);
      if (kills >= KILLS && ids.length >= JOBS && finished >= ids.length * 0.9) break;
      // Starved (everything submitted is final, nothing left to kill a worker in): release the next wave, or, once
      // all are out and kills are still due, one long job (four images of 100 steps) as a target.
      if (finished === ids.length) {
        starved += 1;
        if (ids.length < JOBS) await submitWave();
        else
          ids.push(
            await submit(1000 + ids.length, { output: { modalities: ['image'], format: 'png', n: 4 }, params: { seed: 1000 + ids.length, steps: 100, max_tokens: 8 } }),
          );
        continue;
      }
      if (kills >= KILLS || finished < ((kills + 1) * JOBS) / (KILLS + 1) - JOBS * 0.05) continue;
      for (const [index, victim] of workers.entries()) {
        const port = ports.get(victim);
        if (port === undefined || (await healthState(port)) !== 'busy') continue;
        victim.process.kill('SIGKILL');
        await victim.exited;
        kills += 1;
        workers[index] = spawnTracked();
        await submitWave();
        break;
      }
    }

    const rows = await waitFor(
      async () => {
        const all = await statuses(ids);
        return all.length === ids.length && all.every((r) => FINAL.has(r.status)) ? all : undefined;
      },
      120_000,
      'every job to reach a final state',
    );
    // A worker killed after its final write but before its delete leaves that message in flight until the
    // visibility timeout (5 s); the survivors must then receive it and delete it without a second run. Wait for
    // the queue to drain while they still poll, before stopping them.
    await jobsQueueEmpty(h.stack, 60_000);
    // Stop the survivors cleanly: SIGTERM drains and exits 0.
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.process.kill('SIGTERM');
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits.map((e) => e.code)).toEqual(workers.map(() => 0));

    const events = await collectEvents(eventsQueue(h.stack), 1000);
    const byJob = new Map<string, EventMessage[]>();
    for (const event of events) byJob.set(event.job_id, [...(byJob.get(event.job_id) ?? []), event]);

    const problems: string[] = [];
    for (const job of rows) {
      const terminal = (byJob.get(job.id) ?? []).filter((e) => TERMINAL.has(e.type));
      const ids = new Set(terminal.map((e) => e.id));
      const types = new Set<string>(terminal.map((e) => e.type));
      if (ids.size !== 1) problems.push(`${job.id}: ${ids.size} terminal event ids`);
      if (types.size !== 1 || !types.has(`job.${job.status}`)) problems.push(`${job.id}: status ${job.status}, terminal events ${[...types].join(',')}`);
    }
    const counts = rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    const errors = [...new Set(rows.flatMap((r) => (r.error ? [`${r.error.type}: ${r.error.message}`] : [])))];
    console.log(JSON.stringify({ jobs: ids.length, kills, starved, statuses: counts, events: events.length, errors }));
    expect(problems).toEqual([]);
    expect(kills).toBe(KILLS);
    // Nothing is left in flight: every message was deleted (or dead-lettered and its job failed).
    expect(await h.stack.jobs.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    const succeeded = rows.filter((r) => r.status === 'succeeded');
    // Usage and cost were counted once per succeeded job, by the winner of its final write: the rollup equals
    // the sum over the succeeded jobs exactly, and nothing else was billed.
    const sum = (field: 'images' | 'inputTokens' | 'outputTokens' | 'costUsdMicros'): number => succeeded.reduce((s, r) => s + (r.usage?.[field] ?? 0), 0);
    expect(rows.filter((r) => r.status !== 'succeeded' && r.usage !== null)).toEqual([]);
    expect(sum('costUsdMicros')).toBeGreaterThan(0);
    expect(await usageOfRows(h.stack.table, 'acme', succeeded)).toMatchObject({
      jobs: succeeded.length,
      images: sum('images'),
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      costUsdMicros: sum('costUsdMicros'),
    });
    // And the billing feed holds exactly one line per succeeded job, with its cost.
    const months = [...new Set(succeeded.map((r) => r.completedAt?.slice(0, 7) ?? ''))];
    const lines: { jobId: string; usage: { costUsdMicros: number } }[] = [];
    for (const month of months) for await (const line of h.stack.table.billingLines('acme', month)) lines.push(line);
    expect(lines.map((l) => l.jobId).sort()).toEqual(succeeded.map((r) => r.id).sort());
    expect(lines.reduce((s, l) => s + l.usage.costUsdMicros, 0)).toBe(sum('costUsdMicros'));
  });
});
