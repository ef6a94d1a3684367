// Autoregressive decoding for a batch: one transformer call per step for every live sequence. Text tokens
// are sampled; when a sequence emits <boi>, its next window is <boi> + the N prefill slots, predicted in ONE
// pass (prefilled autoregression), then <eoi> is forced and text resumes.
import * as ort from 'onnxruntime-node';
import { ModelError, throwIfAborted } from './errors.js';
import { KvCache, type KvLayout } from './kv-cache.js';
import type { Manifest } from './manifest.js';
import type { Rng } from './prng.js';
import { applyProcessors, maskTokens, sampleToken, type SamplingParams } from './sampling.js';
import { floatData, int64Tensor, runSession, type StageSession } from './sessions.js';
import type { TokenEmbedder } from './token-embeddings.js';

export type ImagePolicy = 'auto' | 'force' | 'forbid';
/** 'prefill': one pass for all N slots. 'sequential': one pass per slot (benchmarks, error study). */
export type ImageTokenMode = 'prefill' | 'sequential';

export interface DecodeRequest {
  /** Prompt token ids; image slots hold placeholder ids whose embeddings `splices` replace. */
  promptIds: readonly number[];
  /** Encoder features [rows × hidden] written over the prompt's embeddings from position `start`. */
  splices: readonly { start: number; embeds: Float32Array }[];
  sampling: SamplingParams;
  maxTokens: number;
  imagePolicy: ImagePolicy;
  rng: Rng;
}

export interface DecodeResult {
  /** Text token ids (no special tokens), in order. */
  textIds: number[];
  /** Predicted image embeddings, one [N × D] array per image the reply holds. */
  images: Float32Array[];
  /** Every token produced, image slots and forced tokens included. */
  outputTokens: number;
  stop: 'end_of_turn' | 'max_tokens' | 'max_positions';
}

export interface DecodeOptions {
  mode?: ImageTokenMode;
  /** Sequential mode only: feed each predicted embedding into the next slot instead of the prefill row. */
  feedBackPredictions?: boolean;
  signal?: AbortSignal;
  onTextToken?: (index: number, ids: readonly number[]) => void;
  onImageTokens?: (index: number) => void;
  /** After the last image-token pass of an image (benchmarks time the stage between the two callbacks). */
  onImageDone?: (index: number) => void;
}

export interface DecoderStages {
  manifest: Manifest;
  /** The token_embedding stage behind a per-id row cache (token-embeddings.ts). */
  embedder: TokenEmbedder;
  transformer: StageSession;
  kv: KvLayout;
}

/** One reply holds at most this many images; afterwards <boi> is masked. */
export const MAX_IMAGES_PER_REPLY = 1;

/**
 * Tokens a text step may not emit: <eoi> (only forced after the slots), slot and padding ids, <boi> when the
 * request forbids images or the reply has its image, and the end of turn while a forced image is still owed.
 */
export function maskedTokens(manifest: Manifest, policy: ImagePolicy, imagesSoFar: number): number[] {
  const st = manifest.special_tokens;
  const ids = [st.eoi, st.image_pad, st.pad, st.im_start];
  for (let k = 0; k < manifest.image_tokens; k += 1) ids.push(st.prefill + k);
  if (policy === 'forbid' || imagesSoFar >= MAX_IMAGES_PER_REPLY) ids.push(st.boi);
  if (policy === 'force' && imagesSoFar === 0) ids.push(st.im_end);
  return ids;
}

type Item = { id: number } | { embed: Float32Array };

interface SequenceState {
  index: number;
  request: DecodeRequest;
  pending: Item[];
  position: number;
  textIds: number[];
  images: Float32Array[];
  /** Image being predicted: embeddings collected so far and slots still to feed (sequential mode). */
  image: { rows: Float32Array[]; slotsFed: number; boiFed: boolean } | null;
  outputTokens: number;
  done: DecodeResult['stop'] | null;
}

export async function decode(stages: DecoderStages, requests: readonly DecodeRequest[], options: DecodeOptions = {}): Promise<DecodeResult[]> {
  const { manifest } = stages;
  const st = manifest.special_tokens;
  const n = manifest.image_tokens;
  const hidden = manifest.hidden_size;
  const embedDim = manifest.embed_dim;
  const mode = options.mode ?? 'prefill';
  const slotIds = Array.from({ length: n }, (_, k) => st.prefill + k);

  const seqs: SequenceState[] = requests.map((request, index) => {
    if (request.promptIds.length + n + 2 > manifest.max_positions) {
      throw new ModelError('context_too_long', `the conversation needs ${request.promptIds.length} positions; the model holds ${manifest.max_positions}`);
    }
    return { index, request, pending: [], position: 0, textIds: [], images: [], image: null, outputTokens: 0, done: null };
  });
  let live = seqs.slice();
  const cache = new KvCache(stages.kv, live.length);

  const startImage = (s: SequenceState): void => {
    s.image = { rows: [], slotsFed: 0, boiFed: false };
    s.outputTokens += 1;
    s.pending = mode === 'prefill' ? [{ id: st.boi }, ...slotIds.map((id) => ({ id }))] : [{ id: st.boi }];
    options.onImageTokens?.(s.index);
  };

  const afterLogits = (s: SequenceState, logits: Float32Array): void => {
    const budgetLeft = s.textIds.length < s.request.maxTokens;
    const wantsImage = s.request.imagePolicy === 'force' && s.images.length === 0;
    if (!budgetLeft) {
      if (wantsImage) startImage(s);
      else s.done = 'max_tokens';
      return;
    }
    const masked = maskedTokens(manifest, s.request.imagePolicy, s.images.length);
    const token = sampleToken(applyProcessors(logits, [maskTokens(masked)]), s.request.sampling, s.request.rng);
    if (token !== st.boi) s.outputTokens += 1;
    if (token === st.im_end) s.done = 'end_of_turn';
    else if (token === st.boi) startImage(s);
    else {
      s.textIds.push(token);
      s.pending = [{ id: token }];
      options.onTextToken?.(s.index, s.textIds);
    }
  };

  const afterImageWindow = (s: SequenceState, embeds: Float32Array, rowBase: number, windowLength: number): void => {
    const image = s.image;
    if (image === null) return;
    // Row j of the window predicts embedding rows.length + j; the last slot's row predicts <eoi> instead.
    const take = Math.min(windowLength, n - image.rows.length);
    for (let j = 0; j < take; j += 1) image.rows.push(embeds.slice((rowBase + j) * embedDim, (rowBase + j + 1) * embedDim));
    image.slotsFed += image.boiFed ? windowLength : windowLength - 1;
    image.boiFed = true;
    if (image.slotsFed < n) {
      const k = image.slotsFed;
      const fed = options.feedBackPredictions === true ? image.rows[k] : undefined;
      s.pending = fed !== undefined ? [{ embed: fed }] : [{ id: slotIds[k] ?? st.prefill }];
      return;
    }
    const flat = new Float32Array(n * embedDim);
    image.rows.forEach((row, j) => flat.set(row, j * embedDim));
    s.images.push(flat);
    options.onImageDone?.(s.index);
    s.outputTokens += n + 1;
    s.image = null;
    s.pending = [{ id: st.eoi }];
  };

  let first = true;
  while (live.length > 0) {
    throwIfAborted(options.signal);
    const batch = live.length;
    // Prompt pass: left padding. Later passes: each row's window left-aligned, padded on the right.
    const windows: Item[][] = first ? live.map(() => []) : live.map((s) => s.pending);
    const width = first ? Math.max(...live.map((s) => s.request.promptIds.length)) : Math.max(...windows.map((w) => w.length));
    const ids: number[] = [];
    const positions: number[] = [];
    const windowMasks: number[][] = [];
    live.forEach((s, i) => {
      const mask: number[] = [];
      if (first) {
        const pad = width - s.request.promptIds.length;
        for (let j = 0; j < width; j += 1) {
          ids.push(j < pad ? st.pad : (s.request.promptIds[j - pad] ?? st.pad));
          mask.push(j < pad ? 0 : 1);
          positions.push(Math.max(0, j - pad));
        }
      } else {
        const w = windows[i] ?? [];
        for (let j = 0; j < width; j += 1) {
          const item = w[j];
          ids.push(item !== undefined && 'id' in item ? item.id : st.pad);
          mask.push(item === undefined ? 0 : 1);
          positions.push(s.position + Math.min(j, w.length - 1));
        }
      }
      windowMasks.push(mask);
    });
    const inputsEmbeds = await stages.embedder.embed(ids, batch, width);
    live.forEach((s, i) => {
      if (first) {
        const pad = width - s.request.promptIds.length;
        for (const splice of s.request.splices) inputsEmbeds.set(splice.embeds, (i * width + pad + splice.start) * hidden);
      } else {
        (windows[i] ?? []).forEach((item, j) => {
          if ('embed' in item) inputsEmbeds.set(item.embed, (i * width + j) * hidden);
        });
      }
    });
    const { past, mask } = cache.feeds(windowMasks);
    const outputs = await runSession(stages.transformer, {
      inputs_embeds: new ort.Tensor('float32', inputsEmbeds, [batch, width, hidden]),
      attention_mask: int64Tensor(mask, [batch, cache.length + width]),
      position_ids: int64Tensor(positions, [batch, width]),
      ...past,
    });
    cache.update(outputs, windowMasks);
    const logits = floatData(outputs['logits'], 'logits');
    const vocab = logits.length / (batch * width);
    const imageEmbeds = floatData(outputs['image_embeds'], 'image_embeds');

    live.forEach((s, i) => {
      const length = first ? width : (windows[i] ?? []).length;
      const lastRow = first ? width - 1 : length - 1;
      s.position += first ? s.request.promptIds.length : length;
      if (s.image !== null) {
        afterImageWindow(s, imageEmbeds, i * width, length);
        return;
      }
      afterLogits(s, logits.slice((i * width + lastRow) * vocab, (i * width + lastRow + 1) * vocab));
      if (s.done === null && s.position + s.pending.length > manifest.max_positions) s.done = 'max_positions';
    });
    first = false;
    const keep = live.map((s, i) => (s.done === null ? i : -1)).filter((i) => i >= 0);
    live = keep.map((i) => live[i]).filter((s): s is SequenceState => s !== undefined);
    if (live.length > 0) cache.keepRows(keep);
  }
  return seqs.map((s) => ({ textIds: s.textIds, images: s.images, outputTokens: s.outputTokens, stop: s.done ?? 'max_tokens' }));
}
