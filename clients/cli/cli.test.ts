// `nexus` as a customer runs it: bin/nexus.mjs as a child process against the local platform (the API over HTTP,
// local AWS, a worker running the bundled model), configured only by NEXUS_API_KEY / NEXUS_BASE_URL.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Nexus } from '../typescript/src/index.js';
import { closedPort } from '../../test/support/ports.js';
import { MODEL_DIR, startPlatform, type Platform } from '../typescript/test/platform.js';

const BIN = resolve(import.meta.dirname, '../../bin/nexus.mjs');
let platform: Platform;
let dir = '';

beforeAll(async () => {
  platform = await startPlatform({ stepDelayMs: 40 });
  dir = await mkdtemp(join(tmpdir(), 'nexus-cli-api-'));
}, 120_000);
afterAll(async () => {
  await platform?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function nexus(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NEXUS_API_KEY: platform.key, NEXUS_BASE_URL: platform.url };
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...base, ...env }, timeout: 90_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

const format = async (path: string) => (await sharp(await readFile(path)).metadata()).format;

describe.skipIf(MODEL_DIR === null)('nexus generate | edit | ask | jobs', () => {
  let jobId = '';

  it('generate writes the image; progress goes to stderr as plain lines when it is not a terminal', async () => {
    const run = await nexus(['generate', 'a red circle in the middle', '-o', 'circle.png', '--seed', '3', '--steps', '2']);
    const lines = run.stderr.trim().split('\n');
    jobId = lines[0]?.split(' ')[0] ?? '';
    expect(run).toMatchObject({ code: 0, stdout: 'wrote circle.png\n' });
    expect(await format(join(dir, 'circle.png'))).toBe('png');
    expect(lines[0]).toMatch(/^job_\w+ queued/);
    expect(lines.at(-1)).toBe(`${jobId} succeeded`);
  }, 90_000);

  it.skipIf(!existsSync('/usr/bin/script'))(
    'draws one line in place on a terminal: queue position, then the diffusion bar',
    async () => {
      // util-linux `script` gives the CLI a pseudo-terminal, as a person's shell would.
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} generate "a red circle" -o tty.png --steps 10`;
      const run = await new Promise<Run>((done) =>
        execFile(
          '/usr/bin/script',
          ['-qec', command, '/dev/null'],
          {
            cwd: dir,
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NEXUS_API_KEY: platform.key, NEXUS_BASE_URL: platform.url, TERM: 'dumb' },
            timeout: 90_000,
          },
          (error, stdout, stderr) => done({ code: error === null ? 0 : -1, stdout, stderr }),
        ),
      );
      expect(run.code).toBe(0);
      const redraws = run.stdout.split('\r\x1b[2K').slice(1);
      // The queue position shows while the job still waits (a worker that took it already leaves just "queued").
      expect(redraws[0]).toMatch(/^job_\w+ queued( \(position \d+\))?$/);
      expect(redraws.some((line) => /^job_\w+ diffusion +\[#*\.*\] \d+\/10/.test(line))).toBe(true);
      expect(redraws.at(-1)).toMatch(/^job_\w+ succeeded\r?\nwrote tty.png/);
    },
    90_000,
  );

  it('--json prints the finished job and the files, and nothing else', async () => {
    const run = await nexus(['generate', 'a blue square', '-o', 'square.webp', '--steps', '2', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out: { job: { status: string; output: { content: { type: string }[] } }; files: string[] } = JSON.parse(run.stdout);
    expect(out.job.status).toBe('succeeded');
    expect(out.files).toEqual(['square.webp']);
    expect(await format(join(dir, 'square.webp'))).toBe('webp');
  }, 90_000);

  it('edit takes a file and writes the edited image; ask prints the answer', async () => {
    const edited = await nexus(['edit', 'circle.png', 'Make the circle blue.', '-o', 'blue.png', '--steps', '2']);
    expect(edited).toMatchObject({ code: 0, stdout: 'wrote blue.png\n' });
    expect(await format(join(dir, 'blue.png'))).toBe('png');
    const asked = await nexus(['ask', 'blue.png', 'What colour is the circle?', '--max-tokens', '8']);
    expect(asked.code).toBe(0);
    expect(asked.stdout.trim().length).toBeGreaterThan(0);
  }, 90_000);

  it('jobs list, get and cancel', async () => {
    const list = await nexus(['jobs', 'list', '--limit', '100']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(jobId);
    const got = await nexus(['jobs', 'get', jobId, '--json']);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: jobId, status: 'succeeded' });
    // Canceling a finished job reports it unchanged.
    const canceled = await nexus(['jobs', 'cancel', jobId]);
    expect(canceled.code).toBe(0);
    expect(canceled.stdout).toMatch(new RegExp(`^${jobId}  succeeded`));
  });

  it('exit 4 when the job ends canceled, 5 when --timeout passes first', async () => {
    const client = new Nexus({ apiKey: platform.key, baseURL: platform.url });
    const job = await client.jobs.create({ model: 'nexus-mini', messages: [{ role: 'user', content: 'Draw a red circle.' }], params: { steps: 2 } });
    await client.jobs.cancel(job.id);
    await client.jobs.wait(job.id);
    const waited = await nexus(['jobs', 'wait', job.id]);
    expect(waited.code).toBe(4);
    expect(waited.stderr).toContain(`job ${job.id} ended canceled`);
    const late = await nexus(['generate', 'a red circle', '--timeout', '0.001']);
    expect(late.code).toBe(5);
    expect(late.stderr).toMatch(/^nexus: job (job_\w+) did not finish within 1 ms \(last status: \w+\); see it later with: nexus jobs get \1\n$/m);
  }, 60_000);
});

describe('nexus exit codes for bad use', () => {
  it('2 for usage errors, with the usage', async () => {
    for (const args of [
      ['fly'],
      ['generate'],
      ['generate', 'x', '--steps', 'many'],
      ['jobs', 'poke', 'x'],
      ['generate', 'x', '--format', 'gif'],
      ['generate', 'x', '--bogus'],
    ]) {
      const run = await nexus(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('usage: nexus generate PROMPT');
    }
    expect((await nexus(['generate', 'x'], { NEXUS_API_KEY: '' })).stderr).toContain('set NEXUS_API_KEY');
    expect((await nexus(['ask', 'missing.png', 'what?'])).code).toBe(2);
  }, 60_000);

  it('3 for API errors, naming type, code and request id; also with --json', async () => {
    const missing = await nexus(['jobs', 'get', 'job_01JD3V9X8M4Q2W7RZK5T0B6N1C']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^nexus: 404 not_found_error\/not_found: .* \[request req_\w+\]\n$/);
    const json = await nexus(['jobs', 'get', 'nope', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { type: 'not_found_error', code: 'not_found', status: 404, param: 'id' } });
    const revoked = await nexus(['jobs', 'list'], { NEXUS_API_KEY: 'sk_test_revoked' });
    expect(revoked.code).toBe(3);
    expect(revoked.stderr).toContain('401 authentication_error');
    const unreachable = await nexus(['jobs', 'list'], { NEXUS_BASE_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('could not reach');
  }, 60_000);

  it('usage: this month\u2019s totals equal the sum over the succeeded jobs, by day or by model', async () => {
    const client = new Nexus({ apiKey: platform.key, baseURL: platform.url });
    const jobs = (await client.jobs.list({ limit: 100 }).firstPage()).data.filter((job) => job.status === 'succeeded');
    const cost = jobs.reduce((sum, job) => sum + (job.usage?.cost_usd_micros ?? 0), 0);
    const run = await nexus(['usage', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { object: string; group_by: string; total: { jobs: number; cost_usd_micros: number } };
    expect(report).toMatchObject({ object: 'usage', group_by: 'day', total: { jobs: jobs.length, cost_usd_micros: cost } });
    const byModel = await nexus(['usage', 'model']);
    expect(byModel.code).toBe(0);
    expect(byModel.stdout.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^\\d{4}-\\d{2}-01 to \\d{4}-\\d{2}-\\d{2}: ${jobs.length} jobs, \\d+ images, \\$${(cost / 1e6).toFixed(6).replace('.', '\\.')}$`),
    );
    expect((await nexus(['usage', 'week'])).code).toBe(2);
  });

  it('leaves nexus run to the model CLI', async () => {
    const run = await nexus(['run', '--not-a-model-option']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: nexus run --prompt TEXT');
  });
});
