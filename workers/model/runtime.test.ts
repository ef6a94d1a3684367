// The runtime end to end on a real bundle: determinism, batching, one-pass prefill, abort, modalities, errors.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, maskedTokens, type DecodeRequest } from './autoregressive.js';
import { LAST_MESSAGE_RULE } from '../../shared/job.js';
import { loadModel, ModelError, type ModelRequest, type RuntimeModel } from './index.js';
import { exampleManifestJson } from '../../test/support/manifest-example.js';
import { parseManifest } from './manifest.js';
import { createRequestRng, RNG_STREAM } from './prng.js';
import { bundleForSuite } from '../../test/support/bundle.js';

const bundle = bundleForSuite('workers/model/runtime.test.ts');

const GENERATE = 'Generate an image according to the following description: a large red circle in the top left';

function request(text: string, overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    modalities: null,
    format: 'png',
    seed: 7,
    steps: 3,
    temperature: 0,
    topP: 1,
    maxTokens: 12,
    ...overrides,
  };
}

describe('maskedTokens', () => {
  const m = parseManifest(exampleManifestJson());
  it('always masks <eoi>, slots and padding; <boi> and end of turn by policy', () => {
    expect(maskedTokens(m, 'auto', 0).sort((a, b) => a - b)).toEqual([0, 2, 5, 6, 7, 8, 9]);
    expect(maskedTokens(m, 'forbid', 0)).toContain(4);
    expect(maskedTokens(m, 'auto', 1)).toContain(4);
    expect(maskedTokens(m, 'force', 0)).toContain(3);
    expect(maskedTokens(m, 'force', 1)).not.toContain(3);
  });
});

describe.skipIf(bundle === null)('runtime on the bundle', () => {
  let model: RuntimeModel;
  beforeAll(async () => {
    model = await loadModel(bundle ?? '', { executionProviders: ['cpu'], intraOpThreads: 1 });
  });
  afterAll(async () => model?.close());

  it('gives byte-identical output for the same seed, carrying the seed and the sha256', async () => {
    const a = await model.run(request(GENERATE, { modalities: ['image'] }));
    const b = await model.run(request(GENERATE, { modalities: ['image'] }));
    expect(a.images).toHaveLength(1);
    const img = a.images[0];
    expect(img?.seed).toBe(7);
    expect(img?.sha256).toBe(
      createHash('sha256')
        .update(img?.data ?? new Uint8Array())
        .digest('hex'),
    );
    expect(b.images[0]?.sha256).toBe(img?.sha256);
    expect(b.text).toBe(a.text);
    const meta = await sharp(img?.data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', model.manifest.image.size, model.manifest.image.size]);
    const other = await model.run(request(GENERATE, { modalities: ['image'], seed: 8 }));
    expect(other.images[0]?.sha256).not.toBe(img?.sha256);
  });

  it('predicts the image tokens in one pass equal to stepping slot by slot', async () => {
    const rendered = model.context.render([{ role: 'user', content: [{ type: 'text', text: GENERATE }] }]);
    const make = (): DecodeRequest => ({
      promptIds: rendered.inputIds,
      splices: [],
      sampling: { temperature: 0, topP: 1 },
      maxTokens: 8,
      imagePolicy: 'force',
      rng: createRequestRng(1, RNG_STREAM.sampling),
    });
    const [one] = await decode(model.context.decoder, [make()], { mode: 'prefill' });
    const [seq] = await decode(model.context.decoder, [make()], { mode: 'sequential' });
    const a = one?.images[0];
    const b = seq?.images[0];
    expect(a?.length).toBe(model.manifest.image_tokens * model.manifest.embed_dim);
    let worst = 0;
    a?.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (b?.[i] ?? Number.NaN)))));
    expect(worst).toBeLessThanOrEqual(1e-4);
    expect(seq?.textIds).toEqual(one?.textIds);
  });

  it('runs a mixed batch with the same results as one by one', async () => {
    const first = await model.run(request(GENERATE, { modalities: ['image'], seed: 3 }));
    const source = first.images[0]?.data ?? new Uint8Array();
    const requests: ModelRequest[] = [
      request(GENERATE, { modalities: ['image'], seed: 11 }),
      {
        ...request('', { seed: 12 }),
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', data: source },
              { type: 'text', text: 'What colour is the circle?' },
            ],
          },
        ],
      },
      {
        ...request('', { seed: 13, modalities: ['image'], format: 'webp' }),
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', data: source },
              { type: 'text', text: 'Make the circle blue.' },
            ],
          },
        ],
      },
      request('Generate an image according to the following description: a small blue square in the center', { modalities: ['text'], seed: 14 }),
    ];
    const batched = await model.runBatch(requests);
    const single = [];
    for (const r of requests) single.push(await model.run(r));
    const view = (rs: typeof batched) => rs.map((r) => ({ text: r.text, images: r.images.map((i) => [i.mediaType, i.sha256]), out: r.outputTokens, in: r.inputTokens }));
    expect(view(batched)).toEqual(view(single));
    expect(batched[0]?.images).toHaveLength(1);
    expect(batched[2]?.images[0]?.mediaType).toBe('image/webp');
    expect(batched[3]?.images).toHaveLength(0);
  });

  it('takes several images (an earlier assistant image re-encoded) and streams text that adds up to the answer', async () => {
    const first = await model.run(request(GENERATE, { modalities: ['image'], seed: 21 }));
    const image = first.images[0]?.data ?? new Uint8Array();
    const messages: ModelRequest['messages'] = [
      {
        role: 'user',
        content: [
          { type: 'image', data: image },
          { type: 'text', text: 'Make the circle blue.' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Here is the image:' },
          { type: 'image', data: image },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'What colour is the circle?' }] },
    ];
    const rendered = model.context.render(messages);
    expect(rendered.imageSpans.map((s) => s.kind)).toEqual(['input', 'input']);
    const pieces: string[] = [];
    const result = await model.run({ ...request('', { modalities: ['text'] }), messages }, { onToken: (_, text) => pieces.push(text) });
    expect(result.images).toHaveLength(0);
    expect(result.inputTokens).toBe(rendered.inputIds.length);
    expect(pieces.join('')).toBe(result.text);
  });

  it('gives the same images when the decoder rows are split over several calls', async () => {
    const chunked = await loadModel(bundle ?? '', { executionProviders: ['cpu'], intraOpThreads: 1, decoderMaxRows: 1 });
    try {
      const requests = [request(GENERATE, { modalities: ['image'], seed: 31 }), request(GENERATE, { modalities: ['image'], seed: 32, guidance: 1 })];
      const whole = await model.runBatch(requests);
      const split = await chunked.runBatch(requests);
      expect(split.map((r) => r.images[0]?.sha256)).toEqual(whole.map((r) => r.images[0]?.sha256));
    } finally {
      await chunked.close();
    }
  });

  it('stops between diffusion steps when aborted', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const run = model.run(request(GENERATE, { modalities: ['image'], steps: 6 }), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage !== 'diffusion') return;
        steps.push(p.step);
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual([1, 2]);
  });

  it('rejects an undecodable image as invalid_image', async () => {
    const bad = { ...request(''), messages: [{ role: 'user' as const, content: [{ type: 'image' as const, data: new Uint8Array([1, 2, 3]) }] }] };
    await expect(model.run(bad)).rejects.toMatchObject({ code: 'invalid_image', retryable: false });
  });

  it('rejects a conversation that does not end with a user turn as invalid_request', async () => {
    const base = request('Generate an image according to the following description: a red circle in the center');
    const answered = { ...base, messages: [...base.messages, { role: 'assistant' as const, content: [{ type: 'text' as const, text: 'here is the image:' }] }] };
    await expect(model.run(answered)).rejects.toMatchObject({ code: 'invalid_request', retryable: false, message: LAST_MESSAGE_RULE });
    const systemOnly = { ...base, messages: [{ role: 'system' as const, content: [{ type: 'text' as const, text: 'be brief.' }] }] };
    await expect(model.runBatch([base, systemOnly])).rejects.toMatchObject({ code: 'invalid_request', message: LAST_MESSAGE_RULE });
  });

  it('fails the load when CUDA is asked for and cannot load (no silent fallback)', async () => {
    const error = await loadModel(bundle ?? '', { executionProviders: ['cuda', 'cpu'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'provider_unavailable', message: expect.stringMatching(/cuda/i) });
  });

  it('fails the load on a file whose sha256 does not match the manifest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nexus-bundle-'));
    try {
      await cp(bundle ?? '', dir, { recursive: true });
      await appendFile(join(dir, 'tokenizer.json'), ' ');
      await expect(loadModel(dir, { executionProviders: ['cpu'] })).rejects.toMatchObject({ code: 'checksum_mismatch' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
