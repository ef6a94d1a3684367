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
  const samples = items.map((item) => gaussian(item.noise, sampleSize));
  // Row layout: every item's conditional row, then a null row for each item that uses guidance.
  const nullOf = items.map((item, i) => (needsNullRow(item.guidance) ? i : -1)).filter((i) => i >= 0);
  const rows = [...items.map((_, i) => ({ item: i, drop: 0 })), ...nullOf.map((i) => ({ item: i, drop: 1 }))];
  const r = rows.length;
  const condition = new Float32Array(r * condSize);
  const source = withSource ? new Float32Array(r * condSize) : null;
  rows.forEach((row, j) => {
    const item = items[row.item];
    if (item === undefined) return;
    condition.set(item.condition, j * condSize);
    if (source !== null && item.source !== undefined) source.set(item.source, j * condSize);
  });
  const drop = rows.map((row) => row.drop);
  const ts = timesteps(options.steps);
  for (let step = 0; step < options.steps; step += 1) {
    throwIfAborted(options.signal);
    const t = ts[step] ?? 0;
    const dt = (ts[step + 1] ?? 0) - t;
    const sample = new Float32Array(r * sampleSize);
    rows.forEach((row, j) => sample.set(samples[row.item] ?? new Float32Array(sampleSize), j * sampleSize));
    const velocity = new Float32Array(r * sampleSize);
    const chunk = Math.max(1, Math.min(r, options.maxRows ?? r));
    for (let from = 0; from < r; from += chunk) {
      const to = Math.min(r, from + chunk);
      const n = to - from;
      const feeds: Record<string, ort.Tensor> = {
        sample: new ort.Tensor('float32', sample.subarray(from * sampleSize, to * sampleSize), [n, c, h, w]),
        timestep: numericTensor(options.decoder, 'timestep', rows.slice(from, to).map(() => t), [n]),
        condition: new ort.Tensor('float32', condition.subarray(from * condSize, to * condSize), [n, tokens, width]),
        drop_condition: numericTensor(options.decoder, 'drop_condition', drop.slice(from, to), [n]),
      };
      if (source !== null) feeds['source'] = new ort.Tensor('float32', source.subarray(from * condSize, to * condSize), [n, tokens, width]);
      velocity.set(floatData((await runSession(options.decoder, feeds))['velocity'], 'velocity'), from * sampleSize);
    }
    items.forEach((item, i) => {
      const x = samples[i];
      if (x === undefined) return;
      const cond = velocity.subarray(i * sampleSize, (i + 1) * sampleSize);
      const nullRow = nullOf.indexOf(i);
      if (nullRow < 0) {
        for (let k = 0; k < sampleSize; k += 1) x[k] = (x[k] ?? 0) + dt * (cond[k] ?? 0);
        return;
      }
      const base = (items.length + nullRow) * sampleSize;
      const g = item.guidance;
      for (let k = 0; k < sampleSize; k += 1) {
        const vNull = velocity[base + k] ?? 0;
        x[k] = (x[k] ?? 0) + dt * (vNull + g * ((cond[k] ?? 0) - vNull));
      }
    });
    options.onStep?.(step + 1, options.steps);
  }
  return samples;
}
