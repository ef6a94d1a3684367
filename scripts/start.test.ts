// `npm start` as a user runs it: ready line, /health, a job created, SIGTERM exits cleanly, and after a
// restart on the same data directory the job is still there.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startPlatform } from '../test/support/start-platform.js';

const KEY = 'sk_dev_test_0123456789abcdef';
let dataDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'nexus-start-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

const start = () =>
  startPlatform({ dataDir, apiKey: KEY }).then((started) => {
    children.push(started.child);
    return started;
  });

describe('npm start', () => {
  it('serves, stops on SIGTERM, and keeps jobs across a restart', async () => {
    const first = await start();
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    // The ready line points at the playground; the printed link carries the key in the fragment only.
    expect(first.ready.playground).toBe(`${first.url}/playground`);
    for (let i = 0; i < 50 && !first.printed().includes('Playground'); i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(first.printed()).toContain(`Playground (key filled in): ${first.url}/playground#key=${KEY}\n`);
    const created = await fetch(`${first.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'nexus-mini', messages: [{ role: 'user', content: 'Draw a red circle.' }] }),
    });
    expect(created.status).toBe(202);
    const { id } = z.object({ id: z.string() }).parse(await created.json());
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await start();
    try {
      const again = await fetch(`${second.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(again.status).toBe(200);
      const job = z.object({ id: z.string(), status: z.string() }).parse(await again.json());
      expect(job.id).toBe(id);
      // Still queued (no worker ran it) means it was sent to the fresh queue again.
      if (job.status === 'queued') expect(second.requeued).toBe(1);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 240_000);

  it('finishes a job that was running when the process was killed (SIGKILL), after a restart', async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const read = async (url: string, id: string) =>
      z
        .object({ status: z.string(), usage: z.object({ billable: z.boolean() }).nullable() })
        .parse(await (await fetch(`${url}/v1/jobs/${id}`, { headers: auth })).json());
    const first = await start();
    // Long enough (4 images × 100 steps) to still be running when it is seen running.
    const created = await fetch(`${first.url}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'nexus-mini',
        messages: [{ role: 'user', content: 'Generate an image according to the following description: a blue square' }],
        output: { modalities: ['image'], n: 4 },
        params: { steps: 100, seed: 3 },
      }),
    });
    expect(created.status).toBe(202);
    const { id } = z.object({ id: z.string() }).parse(await created.json());
    const deadline = Date.now() + 60_000;
    while ((await read(first.url, id)).status === 'queued' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const before = await read(first.url, id);
    first.child.kill('SIGKILL');
    await first.exited;
    // Skip rather than pass vacuously if the job already finished (a very fast host).
    if (before.status !== 'running') return;

    const second = await start();
    try {
      // This job, and the first test's job too if the killed run had it on the model.
      expect(second.released).toBeGreaterThanOrEqual(1);
      let job = await read(second.url, id);
      const until = Date.now() + 120_000;
      while (job.status !== 'succeeded' && job.status !== 'failed' && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        job = await read(second.url, id);
      }
      expect(job).toMatchObject({ status: 'succeeded', usage: { billable: true } });
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 300_000);
});
