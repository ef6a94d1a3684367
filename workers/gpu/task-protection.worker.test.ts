// The worker protects its ECS task while it holds jobs: in-process worker, real API and local AWS stand-ins,
// real bundle, and a loopback stand-in for the ECS agent (ECS_AGENT_URI points at it).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../shared/job.js';
import { startApiHarness, type ApiHarness } from '../../test/api/api-harness.js';
import { sleep } from '../../test/support/wait.js';
import { bundleDir, FINAL, quickJob, startInProcessWorker, waitFor } from '../../test/reliability/support.js';
import type { RunningWorker } from './start-worker.js';
import { startFakeAgent, type FakeAgent } from '../../test/support/fake-ecs-agent.js';

const dir = bundleDir('workers/gpu/task-protection.worker.test.ts');
const ENABLE = { ProtectionEnabled: true, ExpiresInMinutes: 30 };
const DISABLE = { ProtectionEnabled: false };
let h: ApiHarness;
let agent: FakeAgent;
let worker: RunningWorker | null = null;
let logs: string[] = [];

beforeAll(async () => {
  h = await startApiHarness({ allowLoopbackHttp: true });
});
afterEach(async () => {
  await worker?.drain();
  worker = null;
  await agent.close();
});
afterAll(async () => {
  await h.stop();
});

async function submit(seed: number): Promise<string> {
  const res = await h.call('POST', '/v1/jobs', { body: quickJob(seed) });
  if (res.status !== 202) throw new Error(`POST /v1/jobs answered ${res.status}: ${await res.text()}`);
  const job: unknown = await res.json();
  if (typeof job !== 'object' || job === null || !('id' in job) || typeof job.id !== 'string') throw new Error('no job id');
  return job.id;
}

const finalRow = (id: string): Promise<JobRecord> =>
  waitFor(
    async () => {
      const job = await h.stack.table.getJob('acme', id);
      return job !== null && FINAL.has(job.status) ? job : undefined;
    },
    60_000,
    `job ${id} to finish`,
  );

// The idle delay must outlast the gap between the first test's two waves on a slow host; the agent call's timeout
// must outlast a loaded event loop (the model runs on it here); an agent that is down refuses at once anyway.
async function start(agentUri: string, idleMs = 8_000): Promise<RunningWorker> {
  logs = [];
  if (dir === null) throw new Error('no bundle');
  return startInProcessWorker(h.stack, dir, {
    env: { ECS_AGENT_URI: agentUri, TASK_PROTECTION_MINUTES: '30', TASK_PROTECTION_IDLE_MS: String(idleMs), TASK_PROTECTION_TIMEOUT_MS: '5000' },
    log: (event) => logs.push(event),
  });
}

describe.skipIf(dir === null)('worker task protection (in-process, real model)', () => {
  it('protects once for a stream of jobs, drops protection once after going idle, and nothing more on drain', async () => {
    agent = await startFakeAgent();
    worker = await start(agent.uri);
    expect(agent.requests).toEqual([]);
    // Two waves a little apart: the worker goes idle between them for less than the idle delay.
    const first = await Promise.all([submit(11), submit(12)]);
    await Promise.all(first.map(finalRow));
    const second = await Promise.all([submit(13), submit(14)]);
    const rows = await Promise.all(second.map(finalRow));
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(agent.requests).toEqual([ENABLE]);
    await waitFor(async () => (agent.requests.length >= 2 ? true : undefined), 30_000, 'protection to be dropped');
    expect(agent.requests).toEqual([ENABLE, DISABLE]);
    expect(agent.paths).toEqual(['PUT /task-protection/v1/state', 'PUT /task-protection/v1/state']);
    await worker.drain();
    worker = null;
    expect(agent.requests).toEqual([ENABLE, DISABLE]);
    expect(logs.filter((e) => e === 'task_protection_failed')).toEqual([]);
  });

  it('drops protection on drain when it is still held', async () => {
    agent = await startFakeAgent();
    // An idle delay far longer than the test: only the drain can drop protection.
    worker = await start(agent.uri, 600_000);
    const id = await submit(15);
    await finalRow(id);
    await sleep(300);
    expect(agent.requests).toEqual([ENABLE]);
    await worker.drain();
    worker = null;
    expect(agent.requests).toEqual([ENABLE, DISABLE]);
  });

  it('still runs jobs when the agent is down', async () => {
    agent = await startFakeAgent();
    const uri = agent.uri;
    await agent.close();
    worker = await start(uri);
    const ids = await Promise.all([submit(16), submit(17)]);
    const rows = await Promise.all(ids.map(finalRow));
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(logs).toContain('task_protection_failed');
    expect(logs).not.toContain('task_protection');
  });
});
