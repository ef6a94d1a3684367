// Runs every golden case of a bundle through onnxruntime-node and prints {stage: max abs diff} as JSON.
// Used by export.py so the export fails when ONNX and PyTorch disagree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const dir = process.argv[2];
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const goldens = JSON.parse(readFileSync(join(dir, 'goldens.json'), 'utf8'));

function toTensor(g) {
  if (g.dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(g.data.map((v) => BigInt(v))), g.dims);
  return new ort.Tensor('float32', Float32Array.from(g.data), g.dims);
}

const report = {};
for (const [stage, cases] of Object.entries(goldens)) {
  const session = await ort.InferenceSession.create(join(dir, manifest.files[stage].path));
  let worst = 0;
  for (const c of cases) {
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, toTensor(v)]));
    const out = await session.run(feeds);
    for (const [name, want] of Object.entries(c.outputs)) {
      const got = out[name];
      if (!got || got.dims.join() !== want.dims.join()) throw new Error(`${stage}.${name}: dims ${got?.dims} vs ${want.dims}`);
      for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(Number(got.data[i]) - want.data[i]));
    }
  }
  report[stage] = worst;
}
console.log(JSON.stringify(report));
