// Images fetched by URL are held to the limits every input image has (README "Limits"), checked in the worker
// before anything decodes them: in process against the real API, local S3/SQS/DynamoDB and the real bundle.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_LIMITS } from '../../shared/image-limits.js';
import type { JobRecord } from '../../shared/job.js';
import { pngBytes, startApiHarness, type ApiHarness } from '../../test/api/api-harness.js';
import { bundleDir, collectEvents, eventsQueue, FINAL, jobsQueueEmpty, quickJob, startInProcessWorker, waitFor } from '../../test/reliability/support.js';
import type { RunningWorker } from './start-worker.js';

const dir = bundleDir('workers/gpu/url-image-limits.test.ts');
let h: ApiHarness;
let worker: RunningWorker | null = null;
/** Path → bytes the loopback image server answers with. */
const images = new Map<string, Uint8Array>();
const server = createServer((req, res) => {
  const body = images.get(req.url ?? '');
  if (body === undefined) res.writeHead(404).end();
  else res.writeHead(200, { 'content-type': 'image/png' }).end(body);
});
let base = '';

beforeAll(async () => {
  h = await startApiHarness({ allowLoopbackHttp: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  if (dir !== null) worker = await startInProcessWorker(h.stack, dir, { env: { ALLOW_LOOPBACK_FETCH: 'true' } });
});
afterAll(async () => {
  await worker?.drain();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.stop();
});

const finalRow = (id: string): Promise<JobRecord> =>
  waitFor(
    async () => {
      const job = await h.row(id);
      return FINAL.has(job.status) ? job : undefined;
    },
    60_000,
    `job ${id} to finish`,
  );

/** Runs an edit of the image at `path`; the finished row, after its message (and so its writes) is gone. */
async function runWithImage(path: string, seed: number): Promise<JobRecord> {
  const id = await h.submit({
    ...quickJob(seed),
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `${base}${path}` } },
          { type: 'text', text: 'make it blue' },
        ],
      },
    ],
  });
  const job = await finalRow(id);
  await jobsQueueEmpty(h.stack);
  return job;
}

describe.skipIf(dir === null)('image URL limits (in-process worker, real model)', () => {
  it('fails an image URL over the byte limit with image_too_large, not billed', async () => {
    // A real 64x64 PNG padded past 6 MiB: small enough to decode, too many bytes to accept.
    const png = await pngBytes(64, 64);
    const big = new Uint8Array(IMAGE_LIMITS.maxImageBytes + 1024 * 1024);
    big.set(png);
    images.set('/big.png', big);
    await collectEvents(eventsQueue(h.stack));
    const job = await runWithImage('/big.png', 60);
    expect(job).toMatchObject({
      status: 'failed',
      attempt: 1,
      result: null,
      usage: null,
      error: { type: 'image_too_large', message: `image URL ${base}/big.png: image is larger than 6291456 bytes`, retryable: false },
    });
    expect(await h.stack.table.getUsage('acme', job.completedAt?.slice(0, 10) ?? '', job.model)).toBeNull();
    const events = (await collectEvents(eventsQueue(h.stack))).filter((e) => e.job_id === job.id);
    expect(events.map((e) => e.type)).toEqual(['job.failed']);
  });

  it('fails an image URL wider than the side limit with image_too_large before decoding it, not billed', async () => {
    images.set('/wide.png', await pngBytes(5000, 64));
    const job = await runWithImage('/wide.png', 61);
    expect(job).toMatchObject({
      status: 'failed',
      attempt: 1,
      startedAt: null,
      usage: null,
      error: { type: 'image_too_large', message: `image URL ${base}/wide.png: image is 5000x64; at most 4096px a side and 16777216 pixels`, retryable: false },
    });
    expect(await h.stack.table.getUsage('acme', job.completedAt?.slice(0, 10) ?? '', job.model)).toBeNull();
  });

  it('runs an image URL within the limits', async () => {
    images.set('/ok.png', await pngBytes(64, 64));
    const job = await runWithImage('/ok.png', 62);
    expect(job).toMatchObject({ status: 'succeeded', usage: { billable: true } });
  });
});
