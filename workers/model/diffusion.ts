// The diffusion decoder: rectified flow sampled with Euler steps from t = 1 (noise) to t = 0, classifier-free
// guidance through the graph's drop_condition flag, seeded Gaussian noise per request. One session call per
// step for the whole batch (conditional and null rows together).
import * as ort from 'onnxruntime-node';
import { throwIfAborted } from './errors.js';
import { gaussian, type Rng } from './prng.js';
import { floatData, numericTensor, runSession, type StageSession } from './sessions.js';

export interface DiffusionItem {
  /** Predicted image embeddings [N × D]. */
  condition: Float32Array;
  /** Editing only: the source image's encoder tokens [N × D]. */
  source?: Float32Array;
  guidance: number;
  noise: Rng;
}

export interface DiffusionOptions {
  decoder: StageSession;
  /** Shape of one sample: [C, H, W]. */
  sampleShape: readonly [number, number, number];
  conditionShape: readonly [number, number];
  steps: number;
  /** Rows per decoder call; more rows are split over several calls. Unset: the whole batch in one call. */
  maxRows?: number;
  signal?: AbortSignal;
  onStep?: (step: number, total: number) => void;
}

/** Uniform schedule t_i = 1 − i/steps, i = 0..steps. */
export function timesteps(steps: number): number[] {
  return Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
}

export function needsNullRow(guidance: number): boolean {
  return guidance !== 1;
}

export async function sampleFlow(items: readonly DiffusionItem[], options: DiffusionOptions): Promise<Float32Array[]> {
  const [c, h, w] = options.sampleShape;
  const sampleSize = c * h * w;
  const [tokens, width] = options.conditionShape;
  const condSize = tokens * width;
  const withSource = options.decoder.inputNames.includes('source');
  // Row layout: every item's conditional row, then a null row for each item that uses guidance. The items'
  // samples live in the first rows of one buffer, so without guidance the decoder reads them in place.
  const nullOf = items.map((item, i) => (needsNullRow(item.guidance) ? i : -1)).filter((i) => i >= 0);
  const r = items.length + nullOf.length;
  const rowItem = [...items.map((_, i) => i), ...nullOf];
  /** Where each item's null row starts in the buffers, or -1 without guidance. */
  const nullAt = items.map((_, i) => (nullOf.includes(i) ? (items.length + nullOf.indexOf(i)) * sampleSize : -1));
  const input = new Float32Array(r * sampleSize);
  items.forEach((item, i) => input.set(gaussian(item.noise, sampleSize), i * sampleSize));
  const samples = items.map((_, i) => input.subarray(i * sampleSize, (i + 1) * sampleSize));
  const condition = new Float32Array(r * condSize);
  const source = withSource ? new Float32Array(r * condSize) : null;
  rowItem.forEach((i, j) => {
    const item = items[i];
    if (item === undefined) return;
    condition.set(item.condition, j * condSize);
    if (source !== null && item.source !== undefined) source.set(item.source, j * condSize);
  });
  const chunk = Math.max(1, Math.min(r, options.maxRows ?? r));
  // Per call: the fixed inputs (condition, source, drop flags) as tensors made once, reused every step.
  const calls = [];
  for (let from = 0; from < r; from += chunk) {
    const to = Math.min(r, from + chunk);
    const n = to - from;
    const fixed: Record<string, ort.Tensor> = {
      condition: new ort.Tensor('float32', condition.subarray(from * condSize, to * condSize), [n, tokens, width]),
      drop_condition: numericTensor(
        options.decoder,
        'drop_condition',
        Array.from({ length: n }, (_, j) => (from + j >= items.length ? 1 : 0)),
        [n],
      ),
      sample: new ort.Tensor('float32', input.subarray(from * sampleSize, to * sampleSize), [n, c, h, w]),
    };
    if (source !== null) fixed['source'] = new ort.Tensor('float32', source.subarray(from * condSize, to * condSize), [n, tokens, width]);
    calls.push({ from, n, fixed });
  }
  const velocity = new Float32Array(r * sampleSize);
  const ts = timesteps(options.steps);
  for (let step = 0; step < options.steps; step += 1) {
    throwIfAborted(options.signal);
    const t = ts[step] ?? 0;
    const dt = (ts[step + 1] ?? 0) - t;
    // Null rows see the same sample as their item's conditional row.
    nullOf.forEach((i, k) => input.copyWithin((items.length + k) * sampleSize, i * sampleSize, (i + 1) * sampleSize));
    for (const call of calls) {
      const feeds = { ...call.fixed, timestep: numericTensor(options.decoder, 'timestep', new Array<number>(call.n).fill(t), [call.n]) };
      velocity.set(floatData((await runSession(options.decoder, feeds))['velocity'], 'velocity'), call.from * sampleSize);
    }
    items.forEach((item, i) => eulerStep(input, velocity, i * sampleSize, nullAt[i] ?? -1, sampleSize, dt, item.guidance));
    options.onStep?.(step + 1, options.steps);
  }
  return samples;
}

/** x += dt · v for one item (v = v_null + g (v_cond − v_null) when it has a null row at `nullAt`). */
function eulerStep(x: Float32Array, v: Float32Array, at: number, nullAt: number, size: number, dt: number, g: number): void {
  if (nullAt < 0) {
    for (let k = 0; k < size; k += 1) x[at + k] = (x[at + k] ?? 0) + dt * (v[at + k] ?? 0);
    return;
  }
  for (let k = 0; k < size; k += 1) {
    const vNull = v[nullAt + k] ?? 0;
    x[at + k] = (x[at + k] ?? 0) + dt * (vNull + g * ((v[at + k] ?? 0) - vNull));
  }
}
