// One job whose image URL never answers must not hold up the jobs received with it or after it: the batch stops
// waiting for its claim after CLAIM_PATIENCE_MS, and the claim joins a later batch when it finishes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../test/api/api-harness.js';
import { bundleDir, FINAL, quickJob, startInProcessWorker, waitFor } from '../../test/reliability/support.js';
import type { RunningWorker } from './start-worker.js';

const dir = bundleDir('workers/gpu/slow-claim.test.ts');
let h: ApiHarness;
let worker: RunningWorker | null = null;
const hanging: ServerResponse[] = [];
const server = createServer((_req: IncomingMessage, res: ServerResponse) => void hanging.push(res));

beforeAll(async () => {
  h = await startApiHarness({ allowLoopbackHttp: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await worker?.drain();
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.stop();
});

describe.skipIf(dir === null)('a claim that hangs on an image URL', () => {
  it('lets a job received after it finish while its fetch still hangs', async () => {
    // The fetch would wait 30 s: any wait on it shows as a quick job that is not done long before that.
    worker = await startInProcessWorker(h.stack, dir ?? '', { env: { ALLOW_LOOPBACK_FETCH: 'true', IMAGE_FETCH_TIMEOUT_MS: '30000' } });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const slow = await h.submit({
      ...quickJob(60),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `http://127.0.0.1:${port}/never.png` } },
            { type: 'text', text: 'What colour is it?' },
          ],
        },
      ],
    });
    await waitFor(async () => (hanging.length > 0 ? true : undefined), 10_000, 'the slow job to start its fetch');
    const quick = await h.submit(quickJob(61));
    const done = await waitFor(
      async () => {
        const job = await h.row(quick);
        return FINAL.has(job.status) ? job : undefined;
      },
      15_000,
      'the quick job to finish while the slow fetch hangs',
    );
    expect(done.status).toBe('succeeded');
    // The slow job is still on its first fetch: nothing was waited out.
    expect(hanging).toHaveLength(1);
    expect(hanging[0]?.writableEnded).toBe(false);
    expect((await h.row(slow)).status).toBe('running');
  }, 60_000);
});
