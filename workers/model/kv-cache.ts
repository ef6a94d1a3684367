// The batched key/value cache between transformer calls: the graph returns present = past ++ new, so the
// cache is the last call's present tensors plus one attention-mask row per sequence. Rows of finished
// sequences are dropped (compacted) so later steps do not pay for them.
import * as ort from 'onnxruntime-node';
import { ModelError } from './errors.js';
import type { Outputs, StageSession } from './sessions.js';

export interface KvLayout {
  /** Graph input names, e.g. past_key_values.0.key, with the matching output name present.0.key. */
  pairs: { past: string; present: string }[];
  heads: number;
  headDim: number;
}

export function kvLayout(transformer: StageSession, fallback: { heads: number; headDim: number }): KvLayout {
  const pairs = transformer.inputNames.filter((n) => n.startsWith('past_key_values.')).map((past) => ({ past, present: past.replace(/^past_key_values\./, 'present.') }));
  for (const p of pairs) {
    if (!transformer.outputNames.includes(p.present)) throw new ModelError('bundle_invalid', `transformer has ${p.past} but no ${p.present}`);
  }
  const meta = transformer.session.inputMetadata.find((m) => m.name === pairs[0]?.past);
  const dims = meta !== undefined && meta.isTensor ? meta.shape : [];
  const heads = typeof dims[1] === 'number' ? dims[1] : fallback.heads;
  const headDim = typeof dims[3] === 'number' ? dims[3] : fallback.headDim;
  return { pairs, heads, headDim };
}

export class KvCache {
  private tensors: Map<string, ort.Tensor>;
  /** Attention mask per batch row over every cached position (1 = attend). */
  private masks: number[][];

  constructor(
    private readonly layout: KvLayout,
    batch: number,
  ) {
    this.tensors = new Map();
    for (const { past } of layout.pairs) {
      this.tensors.set(past, new ort.Tensor('float32', new Float32Array(0), [batch, layout.heads, 0, layout.headDim]));
    }
    this.masks = Array.from({ length: batch }, () => []);
  }

  get length(): number {
    return this.masks[0]?.length ?? 0;
  }

  get batch(): number {
    return this.masks.length;
  }

  /** Feeds for the next call: the past tensors and the mask over past + the new window. */
  feeds(windowMasks: number[][]): { past: Record<string, ort.Tensor>; mask: number[] } {
    const mask: number[] = [];
    this.masks.forEach((row, i) => mask.push(...row, ...(windowMasks[i] ?? [])));
    return { past: Object.fromEntries(this.tensors), mask };
  }

  /** Takes the call's present tensors as the new cache and extends each row's mask by its window. */
  update(outputs: Outputs, windowMasks: number[][]): void {
    for (const { past, present } of this.layout.pairs) {
      const t = outputs[present];
      if (t === undefined) throw new ModelError('session_failed', `transformer returned no ${present}`);
      this.tensors.set(past, t);
    }
    this.masks = this.masks.map((row, i) => [...row, ...(windowMasks[i] ?? [])]);
  }

  /** Keeps only the given batch rows, in that order. */
  keepRows(rows: readonly number[]): void {
    if (rows.length === this.batch && rows.every((r, i) => r === i)) return;
    const length = this.length;
    const rowSize = this.layout.heads * length * this.layout.headDim;
    for (const [name, t] of this.tensors) {
      const data = t.data;
      if (!(data instanceof Float32Array)) throw new ModelError('session_failed', `${name} is not float32`);
      const out = new Float32Array(rows.length * rowSize);
      rows.forEach((r, i) => out.set(data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
      this.tensors.set(name, new ort.Tensor('float32', out, [rows.length, this.layout.heads, length, this.layout.headDim]));
    }
    this.masks = rows.map((r) => this.masks[r] ?? []);
  }
}
