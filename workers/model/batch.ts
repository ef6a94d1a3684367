// runBatch: several requests through every stage together, one session call per stage (per step) for the
// whole batch. Each request keeps its own seeded generators, so its output does not depend on its batch.
import * as ort from 'onnxruntime-node';
import { decode, type DecoderStages, type DecodeOptions } from './autoregressive.js';
import { sampleFlow } from './diffusion.js';
import { throwIfAborted } from './errors.js';
import { encodeImage, pixelValuesToRgb } from './image-codec.js';
import type { Manifest } from './manifest.js';
import { createRequestRng, RNG_STREAM } from './prng.js';
import { encodeImages, preparePrompt, type RenderConversation } from './prompt.js';
import { diffusionPlan, imagePolicy, validateRequest, type DiffusionPlan } from './request.js';
import { floatData, runSession, type Sessions } from './sessions.js';
import type { TextTokenizer } from './tokenizer.js';
import type { ModelImage, ModelRequest, ModelResult, RunOptions } from './types.js';

export interface RunnerContext {
  manifest: Manifest;
  sessions: Sessions;
  decoder: DecoderStages;
  render: RenderConversation;
  tokenizer: TextTokenizer;
  decoderMaxRows?: number;
}

export interface BatchRunOptions extends RunOptions {
  /** Benchmarks and the error-accumulation study only: step the image slots one by one. */
  imageTokenMode?: DecodeOptions['mode'];
  /** With 'sequential': feed each predicted embedding into the next slot (teacher-forcing-style inference). */
  feedBackPredictions?: boolean;
}

export async function runBatch(ctx: RunnerContext, requests: readonly ModelRequest[], options: BatchRunOptions = {}): Promise<ModelResult[]> {
  const started = performance.now();
  const { manifest, sessions } = ctx;
  const progress = options.onProgress;
  for (const r of requests) validateRequest(r, manifest);
  throwIfAborted(options.signal);

  const prompts = requests.map((r) => preparePrompt(ctx.render, r.messages, manifest.image_tokens));
  // Every distinct input image of the batch in one encoder call; the edit source is one of them.
  const allImages = prompts.flatMap((p) => [...p.spans.map((s) => s.image), ...(p.lastImage === null ? [] : [p.lastImage])]);
  const unique = [...new Set(allImages)];
  requests.forEach((_, index) => progress?.({ index, stage: 'encode', step: 0, total: 1 }));
  const features = new Map<Uint8Array, Float32Array>();
  (await encodeImages(sessions.vision_encoder, manifest, unique)).forEach((f, i) => {
    const key = unique[i];
    if (key !== undefined) features.set(key, f);
  });
  requests.forEach((_, index) => progress?.({ index, stage: 'encode', step: 1, total: 1 }));
  throwIfAborted(options.signal);

  const streamed = requests.map(() => '');
  const decoded = await decode(
    ctx.decoder,
    requests.map((r, i) => ({
      promptIds: prompts[i]?.promptIds ?? [],
      splices: (prompts[i]?.spans ?? []).map((s) => ({ start: s.start, embeds: features.get(s.image) ?? new Float32Array(0) })),
      sampling: { temperature: r.temperature, topP: r.topP },
      maxTokens: r.maxTokens,
      imagePolicy: imagePolicy(r.modalities),
      rng: createRequestRng(r.seed, RNG_STREAM.sampling),
    })),
    {
      mode: options.imageTokenMode ?? 'prefill',
      feedBackPredictions: options.feedBackPredictions ?? false,
      signal: options.signal,
      onTextToken: (index, ids) => {
        const text = ctx.tokenizer.decode(ids, { skipSpecialTokens: true });
        const before = streamed[index] ?? '';
        if (text.startsWith(before) && text.length > before.length) options.onToken?.(index, text.slice(before.length));
        streamed[index] = text;
        progress?.({ index, stage: 'text', step: ids.length, total: requests[index]?.maxTokens ?? ids.length });
      },
      onImageTokens: (index) => progress?.({ index, stage: 'image_tokens', step: 0, total: 1 }),
    },
  );

  // Diffusion: requests that drew an image, grouped by decoder and step count (one call per step per group).
  const jobs = decoded.flatMap((d, index) => {
    const r = requests[index];
    const prompt = prompts[index];
    if (r === undefined || prompt === undefined) return [];
    const source = prompt.lastImage === null ? undefined : features.get(prompt.lastImage);
    const plan = diffusionPlan(r, source !== undefined, manifest);
    return d.images.map((condition, k) => ({ index, k, condition, source, plan, seed: r.seed }));
  });
  const groups = new Map<string, typeof jobs>();
  for (const job of jobs) {
    const key = `${job.plan.kind}:${job.plan.steps}`;
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  const pictures = new Map<string, Float32Array>();
  const { channels, height, width } = manifest.decoder;
  for (const group of groups.values()) {
    const plan: DiffusionPlan | undefined = group[0]?.plan;
    if (plan === undefined) continue;
    const samples = await sampleFlow(
      group.map((job) => ({
        condition: job.condition,
        ...(plan.kind === 'editing' && job.source !== undefined ? { source: job.source } : {}),
        guidance: job.plan.guidance,
        noise: createRequestRng(job.seed + job.k, RNG_STREAM.noise),
      })),
      {
        decoder: plan.kind === 'editing' ? sessions.edit_decoder : sessions.gen_decoder,
        sampleShape: [channels, height, width],
        conditionShape: [manifest.image_tokens, manifest.embed_dim],
        steps: plan.steps,
        ...(ctx.decoderMaxRows === undefined ? {} : { maxRows: ctx.decoderMaxRows }),
        signal: options.signal,
        onStep: (step, total) => group.forEach((job) => progress?.({ index: job.index, stage: 'diffusion', step, total })),
      },
    );
    const images = await toPixels(ctx, samples);
    group.forEach((job, i) => {
      const img = images[i];
      if (img !== undefined) pictures.set(`${job.index}:${job.k}`, img);
    });
  }
  throwIfAborted(options.signal);

  const size = manifest.image.size;
  const perRequestMs = Math.round((performance.now() - started) / Math.max(1, requests.length));
  return Promise.all(
    requests.map(async (r, index): Promise<ModelResult> => {
      const d = decoded[index];
      const out: ModelImage[] = [];
      for (let k = 0; k < (d?.images.length ?? 0); k += 1) {
        const chw = pictures.get(`${index}:${k}`);
        if (chw === undefined) continue;
        progress?.({ index, stage: 'encode_output', step: k, total: d?.images.length ?? 1 });
        const rgb = pixelValuesToRgb(chw, 0, size, size, manifest.image.pixel_range);
        out.push(await encodeImage(rgb, size, size, r.format, r.seed + k));
      }
      return {
        text: ctx.tokenizer.decode(d?.textIds ?? [], { skipSpecialTokens: true }),
        images: out,
        inputTokens: prompts[index]?.promptIds.length ?? 0,
        outputTokens: d?.outputTokens ?? 0,
        computeMs: perRequestMs,
      };
    }),
  );
}

/** Decoder samples → pixels in the image range; latent decoders go through the bundle's VAE in one call. */
async function toPixels(ctx: RunnerContext, samples: Float32Array[]): Promise<Float32Array[]> {
  const vae = ctx.sessions.vae_decoder;
  const entry = ctx.manifest.files.vae_decoder;
  if (ctx.manifest.decoder.space === 'pixels' || vae === undefined || entry === undefined) return samples;
  const { channels, height, width } = ctx.manifest.decoder;
  const per = channels * height * width;
  const latent = new Float32Array(samples.length * per);
  samples.forEach((s, i) => latent.set(s, i * per));
  const inputName = entry.inputs[0] ?? 'latent';
  const outputName = entry.outputs[0] ?? 'pixels';
  const out = floatData((await runSession(vae, { [inputName]: new ort.Tensor('float32', latent, [samples.length, channels, height, width]) }))[outputName], outputName);
  const pix = 3 * ctx.manifest.image.size * ctx.manifest.image.size;
  return samples.map((_, i) => out.slice(i * pix, (i + 1) * pix));
}
