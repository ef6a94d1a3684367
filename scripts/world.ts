// npm run world -- --out DIR --n N --seed S [--split train|val|test] [--mix gen=0.35,edit=0.3,und=0.25,multi=0.1]
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_MIX, writeDataset, type TaskMix } from '../models/world/write-dataset.js';

const MIX_KEYS: Record<string, keyof TaskMix> = { gen: 'generation', edit: 'editing', und: 'understanding', multi: 'multiturn' };

function parseMix(text: string | undefined): TaskMix {
  if (text === undefined) return DEFAULT_MIX;
  const mix: TaskMix = { generation: 0, editing: 0, understanding: 0, multiturn: 0 };
  for (const item of text.split(',')) {
    const [key = '', value = ''] = item.split('=');
    const kind = MIX_KEYS[key];
    const weight = Number(value);
    if (kind === undefined || !Number.isFinite(weight) || weight < 0) throw new Error(`--mix: bad entry ${JSON.stringify(item)}`);
    mix[kind] = weight;
  }
  return mix;
}

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    n: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    split: { type: 'string', default: 'train' },
    mix: { type: 'string' },
  },
});
const args = z
  .object({
    out: z.string().min(1),
    n: z.coerce.number().int().positive(),
    seed: z.coerce.number().int().nonnegative(),
    split: z.enum(['train', 'val', 'test']),
  })
  .parse(values);

const started = performance.now();
const result = await writeDataset({
  ...args,
  mix: parseMix(values.mix),
  onProgress: (done) => process.stderr.write(`\r${done}/${args.n}`),
});
const seconds = (performance.now() - started) / 1000;
process.stderr.write('\n');
console.log(JSON.stringify({ out: args.out, ...result, seconds: Number(seconds.toFixed(1)), records_per_s: Math.round(result.records / seconds) }));
