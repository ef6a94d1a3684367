// Image URLs in jobs go through the SSRF guard in the worker: every forbidden target on the list
// is refused (the job fails once, as bad input, no retry) and no connection is ever attempted to it. DNS
// and the network are injected (a resolver table and a connector that records calls), so nothing here
// leaves the process; the allowed case proves the same path does fetch a public image.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectRequest, Connector } from '../../shared/guarded-fetch.js';
import type { JobRecord } from '../../shared/job.js';
import type { RunningWorker } from '../../workers/gpu/start-worker.js';
import { startApiHarness, type ApiHarness } from '../api/api-harness.js';
import { bundleDir, FINAL, startInProcessWorker, waitFor } from './support.js';

const dir = bundleDir('test/reliability/ssrf.test.ts');
const PUBLIC_ADDRESS = '93.184.216.34';
const DNS: Record<string, string[]> = {
  'images.example.com': [PUBLIC_ADDRESS],
  'redirect.example.com': [PUBLIC_ADDRESS],
  'loopback.example.com': ['127.0.0.1'],
  'mixed.example.com': [PUBLIC_ADDRESS, '10.1.2.3'],
};

const REFUSED = [
  'https://127.0.0.1/a.png',
  'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'https://10.0.0.5/a.png',
  'https://172.16.3.4/a.png',
  'https://192.168.1.10/a.png',
  'https://[::1]/a.png',
  'https://[::ffff:127.0.0.1]/a.png',
  'https://[fc00::1]/a.png',
  'https://2130706433/a.png',
  'https://0177.0.0.1/a.png',
  'https://loopback.example.com/a.png',
  'https://mixed.example.com/a.png',
  'https://redirect.example.com/to-loopback',
];

let h: ApiHarness;
let worker: RunningWorker | null = null;
const calls: ConnectRequest[] = [];
let png: Uint8Array;

const connector: Connector = async (request) => {
  calls.push(request);
  const reply = (status: number, headers: Record<string, string>, body: Uint8Array) => ({
    status,
    headers: new Headers(headers),
    body: (async function* () {
      yield body;
    })(),
  });
  if (request.url.hostname === 'redirect.example.com') return reply(302, { location: 'https://127.0.0.1/internal' }, new Uint8Array());
  return reply(200, { 'content-type': 'image/png' }, png);
};

beforeAll(async () => {
  png = new Uint8Array(
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 20, g: 40, b: 220 } } })
      .png()
      .toBuffer(),
  );
  h = await startApiHarness();
  if (dir !== null) {
    worker = await startInProcessWorker(h.stack, dir, { resolver: async (host) => DNS[host] ?? [], connector });
  }
});
afterAll(async () => {
  await worker?.drain();
  await h.stop();
});

async function submit(url: string): Promise<string> {
  const res = await h.call('POST', '/v1/jobs', {
    body: {
      model: 'nexus-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url } },
            { type: 'text', text: 'make it red' },
          ],
        },
      ],
      output: { modalities: ['image'], format: 'png', n: 1 },
      params: { seed: 1, steps: 2, max_tokens: 8 },
    },
  });
  const body: unknown = await res.json();
  if (res.status !== 202 || typeof body !== 'object' || body === null || !('id' in body) || typeof body.id !== 'string') {
    throw new Error(`submit ${url}: ${res.status} ${JSON.stringify(body)}`);
  }
  return body.id;
}

const finalRow = (id: string): Promise<JobRecord> =>
  waitFor(
    async () => {
      const job = await h.stack.table.getJob('acme', id);
      return job !== null && FINAL.has(job.status) ? job : undefined;
    },
    60_000,
    `job ${id}`,
  );

describe.skipIf(dir === null)('SSRF guard on image URLs (worker side)', () => {
  it('refuses every forbidden target as bad input, without connecting to it, and fetches a public image', async () => {
    const refusedIds = new Map<string, string>();
    for (const url of REFUSED) refusedIds.set(url, await submit(url));
    const allowedId = await submit('https://images.example.com/blue.png');

    const outcomes: Record<string, unknown> = {};
    for (const [url, id] of refusedIds) {
      const job = await finalRow(id);
      outcomes[url] = { status: job.status, type: job.error?.type, retryable: job.error?.retryable, attempt: job.attempt };
    }
    const expected = Object.fromEntries(REFUSED.map((url) => [url, { status: 'failed', type: 'image_url_refused', retryable: false, attempt: 1 }]));
    expect(outcomes).toEqual(expected);

    const allowed = await finalRow(allowedId);
    expect(allowed.status).toBe('succeeded');
    expect(allowed.result?.images).toHaveLength(1);

    // Connections went only to the public address: the allowed image, and the redirect's first hop.
    expect(new Set(calls.map((c) => c.address))).toEqual(new Set([PUBLIC_ADDRESS]));
    expect(calls.map((c) => c.url.href).sort()).toEqual(['https://images.example.com/blue.png', 'https://redirect.example.com/to-loopback']);
    // Bad input is not retried: nothing is left on the jobs queue.
    await waitFor(async () => ((await h.stack.jobs.depth()).inFlight === 0 ? true : undefined), 10_000, 'an empty queue');
    expect(await h.stack.jobs.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
