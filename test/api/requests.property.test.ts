// Property-based: thousands of generated requests, good and bad, against the real app and local stack.
// Properties: never a 5xx; every 4xx is the docs/architecture.md §4.3 envelope; every valid request is accepted (202) and
// reads back as the same job. PROPERTY_RUNS scales the run (default 2000 requests).
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TYPES } from '../../functions/api/schemas/error.js';
import type { JobResource } from '../../functions/api/schemas/job-resource.js';
import { JOB_EVENT_TYPES } from '../../functions/api/schemas/job-request.js';
import { dataUri, startApiHarness, type ApiHarness } from './api-harness.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 2000);

let h: ApiHarness;
let images: string[] = [];
beforeAll(async () => {
  h = await startApiHarness();
  const encode = async (format: 'png' | 'jpeg' | 'webp', w: number, hgt: number) =>
    dataUri(
      new Uint8Array(
        await sharp({ create: { width: w, height: hgt, channels: 3, background: 'green' } })
          .toFormat(format)
          .toBuffer(),
      ),
      `image/${format}`,
    );
  images = await Promise.all([encode('png', 8, 8), encode('jpeg', 16, 9), encode('webp', 5, 7)]);
});
afterAll(() => h.stop());

// Any UTF-16 code unit, lone surrogates included, to shake the text handling.
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const oddString = fc.string({ unit: anyUnit, maxLength: 40 });
const goodText = (max: number) => fc.string({ unit: 'grapheme', minLength: 0, maxLength: max });

const goodPart = fc.oneof(
  goodText(200).map((text) => ({ type: 'text', text })),
  fc.nat({ max: 2 }).map((i) => ({ type: 'image_url', image_url: { url: images[i] ?? '' } })),
);

const goodContent = fc.oneof(goodText(300), fc.array(goodPart, { minLength: 1, maxLength: 3 }));
const goodMessage = fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: goodContent });
// Earlier turns in any roles, then the user turn the model answers (a conversation must end with one).
const goodConversation = fc.tuple(fc.array(goodMessage, { maxLength: 3 }), goodContent).map(([earlier, content]) => [...earlier, { role: 'user', content }]);

const goodRequest = fc
  .record(
    {
      model: fc.constant('nexus-mini'),
      messages: goodConversation,
      output: fc.record(
        {
          modalities: fc.option(fc.uniqueArray(fc.constantFrom('text', 'image'), { minLength: 1, maxLength: 2 })),
          format: fc.constantFrom('png', 'jpeg', 'webp'),
          n: fc.integer({ min: 1, max: 4 }),
        },
        { requiredKeys: [] },
      ),
      params: fc.record(
        {
          seed: fc.nat({ max: 2 ** 32 - 1 }),
          steps: fc.integer({ min: 1, max: 100 }),
          guidance: fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 20, noNaN: true })),
          temperature: fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 2, noNaN: true })),
          top_p: fc.double({ min: 1e-6, max: 1, noNaN: true }),
          max_tokens: fc.integer({ min: 1, max: 512 }),
        },
        { requiredKeys: [] },
      ),
      webhook: fc.record(
        { url: fc.constantFrom('https://hooks.example.com/a', 'http://127.0.0.1:9/h'), events: fc.uniqueArray(fc.constantFrom(...JOB_EVENT_TYPES), { minLength: 1 }) },
        { requiredKeys: ['url'] },
      ),
      metadata: fc.dictionary(
        goodText(20).filter((k) => k.length > 0 && k !== '__proto__'),
        goodText(50),
        { maxKeys: 16 },
      ),
    },
    { requiredKeys: ['model', 'messages'] },
  )
  // At most 4 images per request is a cross-field rule; keep the good generator inside it.
  .filter((r) => r.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content)).filter((p) => p.type === 'image_url').length <= 4);

type Json = unknown;

/** A good request with one thing broken. */
const mutated = fc
  .tuple(goodRequest, fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 3 }), oddString, fc.double(), fc.constant(1e308), fc.constant(5e-324), fc.constant(-0)))
  .map(([request, pick, junk]): Json => {
    const paths: ((r: Record<string, unknown>) => void)[] = [
      (r) => delete r.model,
      (r) => delete r.messages,
      (r) => (r.model = junk),
      (r) => (r.messages = junk),
      (r) => (r.unexpected = junk),
      (r) => (r.params = { seed: junk }),
      (r) => (r.params = { steps: junk }),
      (r) => (r.params = { guidance: junk, temperature: junk }),
      (r) => (r.output = { n: junk }),
      (r) => (r.metadata = { k: junk }),
      (r) => (r.metadata = JSON.parse('{"__proto__": "x"}')),
      (r) => (r.webhook = { url: junk }),
      (r) => (r.messages = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${String(junk)}` } }] }]),
      (r) => (r.messages = [{ role: 'user', content: [{ type: 'text', text: junk }] }]),
      (r) => (r.messages = [{ role: junk, content: 'x' }]),
      (r) =>
        (r.messages = [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: 'y' },
        ]),
      (r) => (r.messages = [{ role: 'user', content: typeof junk === 'string' ? `${junk}\uDC00` : junk }]),
    ];
    const copy: Record<string, unknown> = { ...request };
    paths[pick % paths.length]?.(copy);
    return copy;
  });

const randomBytesImage = fc.uint8Array({ minLength: 0, maxLength: 64 }).map((bytes) => ({
  model: 'nexus-mini',
  messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUri(bytes) } }] }],
}));

type Case = { kind: 'good'; body: Json } | { kind: 'bad'; body: Json } | { kind: 'raw'; body: string; contentType: string };

const cases: fc.Arbitrary<Case> = fc.oneof(
  { weight: 3, arbitrary: goodRequest.map((body): Case => ({ kind: 'good', body })) },
  { weight: 4, arbitrary: mutated.map((body): Case => ({ kind: 'bad', body })) },
  { weight: 1, arbitrary: randomBytesImage.map((body): Case => ({ kind: 'bad', body })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((body): Case => ({ kind: 'bad', body })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.string({ unit: anyUnit, maxLength: 80 }),
          fc.nat({ max: 5000 }).map((n) => '{"a":'.repeat(n)),
        ),
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', ''),
      )
      .map(([body, contentType]): Case => ({ kind: 'raw', body, contentType })),
  },
);

async function send(c: Case): Promise<Response> {
  if (c.kind === 'raw') {
    const headers: Record<string, string> = { authorization: `Bearer ${h.key}` };
    if (c.contentType !== '') headers['content-type'] = c.contentType;
    return h.app.request('/v1/jobs', { method: 'POST', headers, body: c.body });
  }
  return h.call('POST', '/v1/jobs', { body: JSON.stringify(c.body) });
}

describe('POST /v1/jobs under generated requests', () => {
  it(`never 5xx, every 4xx in the envelope, every valid request accepted and readable back (${RUNS} runs)`, async () => {
    const tally = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const res = await send(c);
        expect(res.status).toBeLessThan(500);
        if (c.kind === 'good') expect(res.status).toBe(202);
        if (res.status >= 400) {
          tally.rejected += 1;
          const body = (await res.json()) as { error: Record<string, unknown>; request_id: unknown };
          expect(Object.keys(body).sort()).toEqual(['error', 'request_id']);
          expect(ERROR_TYPES).toContain(body.error.type);
          expect(typeof body.error.code).toBe('string');
          expect(typeof body.error.message).toBe('string');
          expect(body.error.param === null || typeof body.error.param === 'string').toBe(true);
          return;
        }
        tally.accepted += 1;
        const created = (await res.json()) as JobResource;
        const back = await h.call('GET', `/v1/jobs/${created.id}`);
        expect(back.status).toBe(200);
        const job = (await back.json()) as JobResource;
        expect({ ...job, queue_position: null }).toEqual({ ...created, queue_position: null });
        if (c.kind === 'good' && typeof c.body === 'object' && c.body !== null && 'metadata' in c.body) expect(job.metadata).toEqual(c.body.metadata);
        const row = await h.stack.table.getJob('acme', created.id);
        if (c.kind === 'good' && typeof c.body === 'object' && c.body !== null && 'messages' in c.body && Array.isArray(c.body.messages)) {
          expect(row?.messages.length).toBe(c.body.messages.length);
        }
      }),
      { numRuns: RUNS },
    );
    // The generators really exercise both sides.
    expect(tally.accepted).toBeGreaterThan(RUNS / 5);
    expect(tally.rejected).toBeGreaterThan(RUNS / 5);
  }, 600_000);
});
