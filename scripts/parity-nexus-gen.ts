// `npm run parity:nexus-gen`: builds the reduced random Nexus-Gen checkpoint, converts it and compares the TS
// runtime with the PyTorch reference (workers/model/nexus-gen/parity.ts). Last line: one JSON object with
// max_rel_err_logits, max_rel_err_embeddings, max_rel_err_velocity, max_rel_err_image, greedy_text_equal,
// image_sha256_equal, unmapped_parameters.
//   npm run parity:nexus-gen -- [--work .cache/nexus-gen] [--steps 3] [--tokens 8] [--dtype fp32|fp16|bf16]
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runNexusGenParity } from '../workers/model/nexus-gen/parity.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({
  options: {
    work: { type: 'string', default: join(root, '.cache/nexus-gen') },
    steps: { type: 'string', default: '3' },
    tokens: { type: 'string', default: '8' },
    dtype: { type: 'string', default: 'fp32' },
  },
});
const report = await runNexusGenParity({
  root,
  workDir: resolve(values.work),
  steps: Number(values.steps),
  maxNewTokens: Number(values.tokens),
  dtype: values.dtype === 'fp16' || values.dtype === 'bf16' ? values.dtype : 'fp32',
  log: (line) => console.error(line),
});
const { detail, ...headline } = report;
console.error(JSON.stringify({ detail }));
console.log(JSON.stringify(headline));
