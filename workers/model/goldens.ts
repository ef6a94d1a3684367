// goldens.json (models/BUNDLE.md): PyTorch's inputs and outputs per stage, for parity checks of the sessions.
import * as ort from 'onnxruntime-node';
import { z } from 'zod';

const tensorJson = z.object({
  dims: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int64']),
  data: z.array(z.number()),
});
const caseJson = z.object({ inputs: z.record(z.string(), tensorJson), outputs: z.record(z.string(), tensorJson) });
const goldensJson = z.record(z.string(), z.array(caseJson));

export type GoldenTensor = z.infer<typeof tensorJson>;
export type Goldens = z.infer<typeof goldensJson>;

export function parseGoldens(json: unknown): Goldens {
  return goldensJson.parse(json);
}

export function toTensor(t: GoldenTensor): ort.Tensor {
  return t.dtype === 'int64'
    ? new ort.Tensor(
        'int64',
        BigInt64Array.from(t.data, (v) => BigInt(v)),
        t.dims,
      )
    : new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
}

/** Max |a − b| over the tensor; Infinity when the shapes differ. */
export function maxAbsDiff(actual: ort.Tensor, expected: GoldenTensor): number {
  if (actual.dims.length !== expected.dims.length || actual.dims.some((d, i) => d !== expected.dims[i])) return Number.POSITIVE_INFINITY;
  const data = actual.data;
  let worst = 0;
  expected.data.forEach((v, i) => {
    const a = data[i];
    const x = typeof a === 'bigint' ? Number(a) : typeof a === 'number' ? a : Number.NaN;
    const d = Math.abs(x - v);
    worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
  });
  return worst;
}
