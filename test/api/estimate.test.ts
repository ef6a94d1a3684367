// POST /v1/jobs/estimate against the real local stack: the same validation as POST /v1/jobs, the most the job
// can be billed from the published price table, and nothing stored or queued.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS } from '../../functions/api/platform-deps.js';
import { PRICE_TABLE } from '../../shared/price-table.js';
import { modelPrice } from '../../shared/pricing.js';
import { dataUri, pngBytes, startApiHarness, textJob, type ApiHarness, type JsonError } from './api-harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

const estimate = async (body: unknown) => {
  const res = await h.call('POST', '/v1/jobs/estimate', { body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('POST /v1/jobs/estimate', () => {
  it('prices a generation at its steps: n pictures, max_tokens out, the conversation at the token bound', async () => {
    const prompt = 'Generate an image according to the following description: a red circle';
    const { status, body } = await estimate(textJob(prompt, { output: { n: 2 }, params: { steps: 20, max_tokens: 10 } }));
    expect(status).toBe(200);
    // Per run: 20 per conversation + 4 per message + 1 per character input tokens, 10 output tokens; 2 runs.
    const inputTokens = 2 * (20 + 4 + prompt.length);
    expect(body).toEqual({
      object: 'job_estimate',
      model: 'nexus-mini',
      price_version: PRICE_TABLE.version,
      // 2 × (2,000 + 20 × 100) + ceil(input × 0.1) + ceil(20 × 0.4)
      cost_usd_micros: 2 * (2_000 + 20 * 100) + Math.ceil(inputTokens / 10) + 8,
      basis: { images: 2, pixels: 4096, steps: 20, input_tokens: inputTokens, output_tokens: 20 },
    });
  });

  it('uses the model\u2019s default steps, counts input images, and bills no picture when the output is text only', async () => {
    const image = dataUri(await pngBytes(16, 16));
    const body = {
      model: 'nexus-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: image } },
            { type: 'text', text: 'What colour is it?' },
          ],
        },
      ],
      output: { modalities: ['text'] },
    };
    const res = await estimate(body);
    expect(res.status).toBe(200);
    expect(res.body.basis).toEqual({ images: 0, pixels: 4096, steps: 10, input_tokens: 20 + 4 + 18 + 18, output_tokens: 64 });
    expect(res.body.cost_usd_micros).toBe(Math.ceil(60 / 10) + Math.ceil((64 * 4) / 10));
  });

  it('refuses what POST /v1/jobs refuses, with the same envelope, and stores nothing', async () => {
    const before = await h.stack.jobs.depth();
    const unknown = await estimate(textJob('hi', { model: 'nexus-max' }));
    expect(unknown.status).toBe(400);
    expect((unknown.body as unknown as JsonError).error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
    const tooManyTokens = await estimate(textJob('hi', { params: { max_tokens: 513 } }));
    expect(tooManyTokens.status).toBe(400);
    expect((tooManyTokens.body as unknown as JsonError).error.param).toBe('params.max_tokens');
    const badImage = await estimate({
      model: 'nexus-mini',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }],
    });
    expect(badImage.status).toBe(400);
    expect((badImage.body as unknown as JsonError).error.param).toBe('messages[0].content[0].image_url.url');
    const { items } = await h.stack.table.listJobs('acme', { limit: 100, cursor: null });
    expect(items).toEqual([]);
    expect(await h.stack.jobs.depth()).toEqual(before);
  });
});

describe('the price table', () => {
  it('prices every model the API serves', () => {
    expect(DEFAULT_MODELS.filter((m) => modelPrice(m.name) === null)).toEqual([]);
  });

  it('knows the bundled model\u2019s default steps and output size (so an estimate prices what the worker runs)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../models/nexus-mini/manifest.json', import.meta.url), 'utf8')) as {
      image: { size: number };
      defaults: { generation: { steps: number }; editing: { steps: number } };
    };
    const price = modelPrice('nexus-mini');
    expect(price?.defaultSteps).toBe(manifest.defaults.generation.steps);
    expect(price?.defaultSteps).toBe(manifest.defaults.editing.steps);
    expect(price?.defaultPixels).toBe(manifest.image.size ** 2);
  });
});
