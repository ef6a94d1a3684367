// runBatch for a nexus-gen bundle (manifest `architecture.name: "nexus-gen"`), behind the same entry points as
// nexus-mini (loadModel → run / runBatch): understanding, generation, editing and multi-turn conversations.
// Requests run one after another (Nexus-Gen's reference decodes batch 1 only; batching the M-RoPE windows is the
// next step), each with its own seeded generators, so a request's output does not depend on its batch.
// Input images keep Qwen's dynamic resolution (smart_resize within the manifest's pixel budget; each span gets
// (h/28)·(w/28) slots, image-spans.ts); an edit's source is encoded again at the edit decoder's source size
// (504² → 324 tokens), as Nexus-Gen's editing pipeline does.
import { MAX_IMAGES_PER_REPLY, maskedTokens } from '../autoregressive.js';
import { ModelError, throwIfAborted } from '../errors.js';
import { encodeImage, pixelValuesToRgb } from '../image-codec.js';
import { createRequestRng, gaussian, RNG_STREAM } from '../prng.js';
import { preparePrompt, type RenderConversation } from '../prompt.js';
import { diffusionPlan, imagePolicy, validateRequest } from '../request.js';
import { applyProcessors, maskTokens, sampleToken } from '../sampling.js';
import type { TextTokenizer } from '../tokenizer.js';
import type { ModelImage, ModelRequest, ModelResult, RunOptions } from '../types.js';
import { decodeToRgb } from '../vision.js';
import { ropeIndex } from './mrope.js';
import { encodeQwenImages, type GridThw } from './qwen-vision.js';
import { prepareInputImage, resizeImageSpans } from './image-spans.js';
import { decodeLatent, embedIds, NexusGenSequence, prefillImage, sampleLatent, type NexusGen } from './stages.js';

export interface NexusGenRunner {
  ng: NexusGen;
  render: RenderConversation;
  tokenizer: TextTokenizer;
}

async function encodeAt(ctx: NexusGenRunner, images: readonly Uint8Array[], side: number): Promise<{ embeds: Float32Array[]; grids: GridThw[] }> {
  const rgbs = await Promise.all(images.map((data) => decodeToRgb(data, side)));
  return encodeQwenImages(
    ctx.ng.sessions.vision_encoder,
    ctx.ng.arch.vision,
    rgbs.map((rgb) => ({ rgb, width: side, height: side })),
  );
}

export async function runNexusGenBatch(ctx: NexusGenRunner, requests: readonly ModelRequest[], options: RunOptions = {}): Promise<ModelResult[]> {
  const { manifest } = ctx.ng;
  for (const r of requests) {
    validateRequest(r, manifest);
    const plan = diffusionPlan(
      r,
      r.messages.some((m) => m.content.some((p) => p.type === 'image')),
      manifest,
    );
    if (plan.guidance !== 1 && ctx.ng.arch.diffusion.null_condition === null) {
      throw new ModelError(
        'invalid_request',
        `guidance must be 1 with this bundle: its decoders have no null condition for classifier-free guidance (got ${plan.guidance})`,
      );
    }
  }
  const results: ModelResult[] = [];
  for (const [index, r] of requests.entries()) results.push(await runOne(ctx, r, index, options));
  return results;
}

async function runOne(ctx: NexusGenRunner, r: ModelRequest, index: number, options: RunOptions): Promise<ModelResult> {
  const started = performance.now();
  const { ng } = ctx;
  const { manifest, arch } = ng;
  const st = manifest.special_tokens;
  const progress = options.onProgress;
  const prompt = preparePrompt(ctx.render, r.messages, manifest.image_tokens);
  progress?.({ index, stage: 'encode', step: 0, total: 1 });
  const inputs = await Promise.all(prompt.spans.map((s) => prepareInputImage(s.image, arch.vision)));
  const encoded = await encodeQwenImages(ng.sessions.vision_encoder, arch.vision, inputs);
  progress?.({ index, stage: 'encode', step: 1, total: 1 });
  throwIfAborted(options.signal);

  const merge = arch.vision.spatial_merge_size;
  const resized = resizeImageSpans(
    prompt.promptIds,
    prompt.spans.map((s) => s.start),
    manifest.image_tokens,
    inputs.map((i) => i.tokens),
    st.image_pad,
  );
  const promptIds = resized.ids;
  const embeds = await embedIds(ng, promptIds);
  const spans = resized.starts.map((start, i) => {
    const e = encoded.embeds[i];
    if (e !== undefined) embeds.set(e, start * manifest.hidden_size);
    return { start, grid: encoded.grids[i] ?? arch.prefill.grid_thw };
  });
  const rope = ropeIndex(promptIds.length, spans, merge);
  if (rope.next + arch.prefill.tokens + 2 > manifest.max_positions) {
    throw new ModelError('context_too_long', `the conversation needs ${rope.next} positions; the model holds ${manifest.max_positions}`);
  }
  const seq = new NexusGenSequence(ng);
  let out = await seq.run(embeds, rope.positions);
  let next = rope.next;
  const vocab = manifest.vocab_size;
  let logits = out.logits.slice(out.logits.length - vocab);
  const policy = imagePolicy(r.modalities);
  const rng = createRequestRng(r.seed, RNG_STREAM.sampling);
  const sampling = { temperature: r.temperature, topP: r.topP };
  const untokenized = Array.from({ length: Math.max(0, vocab - arch.text.tokenizer_vocab_size) }, (_, k) => arch.text.tokenizer_vocab_size + k);
  const textIds: number[] = [];
  const images: Float32Array[] = [];
  let outputTokens = 0;
  let streamed = '';
  for (;;) {
    throwIfAborted(options.signal);
    const owed = policy === 'force' && images.length === 0;
    let token: number;
    if (textIds.length >= r.maxTokens) {
      if (!owed) break;
      token = st.boi;
    } else {
      const masked = [...maskedTokens(manifest, policy, images.length), ...untokenized];
      token = sampleToken(applyProcessors(logits, [maskTokens(masked)]), sampling, rng);
    }
    if (token === st.im_end) {
      outputTokens += 1;
      break;
    }
    if (next + arch.prefill.tokens + 2 > manifest.max_positions) break;
    if (token === st.boi && images.length < MAX_IMAGES_PER_REPLY) {
      progress?.({ index, stage: 'image_tokens', step: 0, total: 1 });
      const image = await prefillImage(ng, seq, next);
      images.push(image.embeds);
      outputTokens += arch.prefill.tokens + 2;
      next = image.next;
      out = await seq.run(await embedIds(ng, [st.eoi]), [[next], [next], [next]]);
      next += 1;
    } else {
      textIds.push(token);
      outputTokens += 1;
      const text = ctx.tokenizer.decode(textIds, { skipSpecialTokens: true });
      if (text.startsWith(streamed) && text.length > streamed.length) options.onToken?.(index, text.slice(streamed.length));
      streamed = text;
      progress?.({ index, stage: 'text', step: textIds.length, total: r.maxTokens });
      out = await seq.run(await embedIds(ng, [token]), [[next], [next], [next]]);
      next += 1;
    }
    logits = out.logits.slice(out.logits.length - vocab);
  }

  const plan = diffusionPlan(r, prompt.lastImage !== null, manifest);
  let source: { embeds: Float32Array; tokens: number } | undefined;
  if (images.length > 0 && prompt.lastImage !== null) {
    const side = arch.edit.source_size;
    const enc = await encodeAt(ctx, [prompt.lastImage], side);
    const e = enc.embeds[0];
    if (e !== undefined) source = { embeds: e, tokens: e.length / manifest.embed_dim };
  }
  const { channels, height, width } = manifest.decoder;
  const outH = height * arch.diffusion.vae_scale;
  const outW = width * arch.diffusion.vae_scale;
  const pictures: ModelImage[] = [];
  for (const [k, condition] of images.entries()) {
    const noise = gaussian(createRequestRng(r.seed + k, RNG_STREAM.noise), channels * height * width);
    const latent = await sampleLatent(ng, condition, {
      steps: plan.steps,
      noise,
      ...(source === undefined ? {} : { source }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onStep: (step, total) => progress?.({ index, stage: 'diffusion', step, total }),
    });
    const pixels = await decodeLatent(ng, latent);
    progress?.({ index, stage: 'encode_output', step: k, total: images.length });
    pictures.push(await encodeImage(pixelValuesToRgb(pixels, 0, outW, outH, [-1, 1]), outW, outH, r.format, r.seed + k));
  }
  return {
    text: ctx.tokenizer.decode(textIds, { skipSpecialTokens: true }),
    images: pictures,
    inputTokens: promptIds.length,
    outputTokens,
    computeMs: Math.round(performance.now() - started),
  };
}
