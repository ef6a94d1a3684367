// Nexus-Gen's stages for one sequence at a time: token embedding (prefill slots are ids first_id + k), the
// Qwen2.5-VL transformer over a key/value cache with M-RoPE positions [3, 1, T], the 81-slot prefilled image pass,
// the FLUX decoder's Euler sampling on the shifted flow-matching schedule, and the VAE. Every call goes through
// runSession. The graphs are models/nexus-gen/convert.py's.
import * as ort from 'onnxruntime-node';
import { ModelError, throwIfAborted } from '../errors.js';
import type { Manifest, NexusGenArchitecture } from '../manifest.js';
import { floatData, runSession, type Sessions } from '../sessions.js';
import { shiftedSigmas } from './flow-schedule.js';
import { imagePositions } from './mrope.js';

export interface NexusGen {
  manifest: Manifest;
  arch: NexusGenArchitecture;
  sessions: Sessions;
}

export function nexusGenOf(manifest: Manifest, sessions: Sessions): NexusGen {
  const arch = manifest.architecture;
  if (arch === undefined) throw new ModelError('bundle_invalid', 'the bundle has no nexus-gen architecture section');
  return { manifest, arch, sessions };
}

export async function embedIds(ng: NexusGen, ids: readonly number[]): Promise<Float32Array> {
  const out = await runSession(ng.sessions.token_embedding, {
    input_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(ids, (v) => BigInt(v)),
      [1, ids.length],
    ),
  });
  return floatData(out['inputs_embeds'], 'inputs_embeds');
}

export interface StepOutput {
  logits: Float32Array;
  imageEmbeds: Float32Array;
}

/** One sequence's key/value cache; `run` appends a window of embeddings at the given 3-axis positions. */
export class NexusGenSequence {
  private past: Record<string, ort.Tensor> = {};
  private length = 0;

  constructor(private readonly ng: NexusGen) {
    const kvHeads = ng.arch.text.num_key_value_heads;
    const headDim = ng.manifest.head_dim;
    for (const name of ng.sessions.transformer.inputNames) {
      if (name.startsWith('past_key_values.')) this.past[name] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
    }
  }

  get tokens(): number {
    return this.length;
  }

  async run(embeds: Float32Array, positions: readonly (readonly number[])[]): Promise<StepOutput> {
    const hidden = this.ng.manifest.hidden_size;
    const t = embeds.length / hidden;
    const flat = [...(positions[0] ?? []), ...(positions[1] ?? []), ...(positions[2] ?? [])];
    if (flat.length !== 3 * t) throw new ModelError('session_failed', `M-RoPE positions hold ${flat.length} values for ${t} tokens`);
    const total = this.length + t;
    const out = await runSession(this.ng.sessions.transformer, {
      inputs_embeds: new ort.Tensor('float32', embeds, [1, t, hidden]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(flat, (v) => BigInt(v)),
        [3, 1, t],
      ),
      ...this.past,
    });
    for (const name of Object.keys(this.past)) {
      const present = out[name.replace(/^past_key_values\./, 'present.')];
      if (present === undefined) throw new ModelError('session_failed', `transformer returned no present for ${name}`);
      this.past[name] = present;
    }
    this.length = total;
    return { logits: floatData(out['logits'], 'logits'), imageEmbeds: floatData(out['image_embeds'], 'image_embeds') };
  }
}

/**
 * <|vision_start|> at `position`, then the prefill slots at an image's positions from position + 1, in ONE pass.
 * Row j's vision head predicts image embedding j (the last slot's row would predict <|vision_end|>). Returns the
 * N × hidden embeddings and the position after the image.
 */
export async function prefillImage(ng: NexusGen, seq: NexusGenSequence, position: number): Promise<{ embeds: Float32Array; next: number }> {
  const { prefill } = ng.arch;
  const n = prefill.tokens;
  const ids = [ng.manifest.special_tokens.boi, ...Array.from({ length: n }, (_, k) => prefill.first_id + k)];
  const slots = imagePositions(position + 1, prefill.grid_thw, ng.arch.vision.spatial_merge_size);
  const positions = slots.map((axis) => [position, ...axis]);
  const out = await seq.run(await embedIds(ng, ids), positions);
  const hidden = ng.manifest.embed_dim;
  return { embeds: out.imageEmbeds.slice(0, n * hidden), next: Math.max(...slots[1], ...slots[2]) + 1 };
}

export interface SampleOptions {
  steps: number;
  /** The sampler's Gaussian noise, [16, h, w] (CHW). */
  noise: Float32Array;
  /** Editing: the source image's tokens (at the edit source size); the edit decoder runs instead. */
  source?: { embeds: Float32Array; tokens: number };
  signal?: AbortSignal;
  onStep?: (step: number, total: number) => void;
  /** Called with each step's velocity (the parity check keeps the first). */
  onVelocity?: (step: number, velocity: Float32Array) => void;
}

/** Euler sampling on the shifted schedule with the generation decoder (or the edit decoder given a source). */
export async function sampleLatent(ng: NexusGen, condition: Float32Array, options: SampleOptions): Promise<Float32Array> {
  const { channels, height, width } = ng.manifest.decoder;
  const d = ng.arch.diffusion;
  const sigmas = shiftedSigmas(options.steps, d.shift, d.sigma_min);
  const x = Float32Array.from(options.noise);
  const cond = new ort.Tensor('float32', condition, [1, ng.manifest.image_tokens, ng.manifest.embed_dim]);
  const guidance = new ort.Tensor('float32', Float32Array.of(d.embedded_guidance), [1]);
  const src = options.source;
  const decoder = src === undefined ? ng.sessions.gen_decoder : ng.sessions.edit_decoder;
  const fixed: Record<string, ort.Tensor> = { condition: cond, guidance };
  if (src !== undefined) fixed['source'] = new ort.Tensor('float32', src.embeds, [1, src.tokens, ng.manifest.embed_dim]);
  for (let i = 0; i < options.steps; i += 1) {
    throwIfAborted(options.signal);
    const sigma = sigmas[i] ?? 0;
    const out = await runSession(decoder, {
      ...fixed,
      sample: new ort.Tensor('float32', x, [1, channels, height, width]),
      timestep: new ort.Tensor('float32', Float32Array.of(sigma), [1]),
    });
    const v = floatData(out['velocity'], 'velocity');
    options.onVelocity?.(i, v);
    const dt = (sigmas[i + 1] ?? 0) - sigma;
    for (let k = 0; k < x.length; k += 1) x[k] = (x[k] ?? 0) + (v[k] ?? 0) * dt;
    options.onStep?.(i + 1, options.steps);
  }
  return x;
}

/** latent [16, h, w] → pixels [3, 8h, 8w] in [−1, 1]. */
export async function decodeLatent(ng: NexusGen, latent: Float32Array): Promise<Float32Array> {
  const vae = ng.sessions.vae_decoder;
  if (vae === undefined) throw new ModelError('bundle_invalid', 'the bundle has no vae_decoder');
  const { channels, height, width } = ng.manifest.decoder;
  const out = await runSession(vae, { latent: new ort.Tensor('float32', latent, [1, channels, height, width]) });
  return floatData(out['pixels'], 'pixels');
}
