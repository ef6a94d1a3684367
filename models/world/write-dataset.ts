// Writes a dataset folder (models/DATASET.md): tokenizer.json, world.json, images/*.png, {split}.jsonl.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createChatTemplate } from '../../workers/model/chat-template.js';
import { createTokenizer } from '../../workers/model/tokenizer.js';
import { buildTokenizerJson, specialTokenIds } from './build-tokenizer.js';
import { CHAT_TEMPLATE, IMAGE_TOKENS } from './config.js';
import { toRecord } from './dataset.js';
import { encodePng } from './png.js';
import { renderScene } from './render.js';
import { createWorldRng, deriveSeed, type Rng } from './rng.js';
import { TASK_KINDS, sampleTask, type TaskKind } from './tasks.js';
import { worldDescription } from './world-json.js';

export type TaskMix = Record<TaskKind, number>;
export const DEFAULT_MIX: TaskMix = { generation: 0.35, editing: 0.3, understanding: 0.25, multiturn: 0.1 };

export interface WriteDatasetOptions {
  out: string;
  n: number;
  seed: number;
  split: 'train' | 'val' | 'test';
  mix?: TaskMix;
  /** PNG encodes in flight at once. */
  concurrency?: number;
  onProgress?: (done: number) => void;
}

export interface WriteDatasetResult {
  records: number;
  images: number;
  counts: Record<TaskKind, number>;
  maxLength: number;
}

function pickKind(rng: Rng, mix: TaskMix): TaskKind {
  const total = TASK_KINDS.reduce((sum, k) => sum + mix[k], 0);
  let u = rng.next() * total;
  for (const kind of TASK_KINDS) {
    u -= mix[kind];
    if (u < 0) return kind;
  }
  return 'generation';
}

export async function writeDataset(options: WriteDatasetOptions): Promise<WriteDatasetResult> {
  const mix = options.mix ?? DEFAULT_MIX;
  const tokenizerJson = buildTokenizerJson();
  const tokenizer = createTokenizer(tokenizerJson);
  const specialTokens = specialTokenIds();
  const chat = createChatTemplate({ template: CHAT_TEMPLATE, specialTokens, imageTokens: IMAGE_TOKENS, tokenizer });
  await mkdir(join(options.out, 'images'), { recursive: true });
  await writeFile(join(options.out, 'tokenizer.json'), `${JSON.stringify(tokenizerJson)}\n`);

  const counts: Record<TaskKind, number> = { generation: 0, editing: 0, understanding: 0, multiturn: 0 };
  let images = 0;
  let maxLength = 0;
  const jsonl = createWriteStream(join(options.out, `${options.split}.jsonl`));
  const inFlight = new Set<Promise<void>>();
  const limit = options.concurrency ?? 32;
  let failure: unknown;
  for (let i = 0; i < options.n; i++) {
    const rng = createWorldRng(deriveSeed(options.seed, i));
    const task = sampleTask(rng, pickKind(rng, mix));
    const record = toRecord(`${options.split}-${String(i).padStart(6, '0')}`, task, chat);
    counts[task.task]++;
    maxLength = Math.max(maxLength, record.input_ids.length);
    if (!jsonl.write(`${JSON.stringify(record)}\n`)) await once(jsonl, 'drain');
    for (const [k, scene] of task.images.entries()) {
      const image = renderScene(scene);
      const path = record.images[k];
      if (path === undefined) continue;
      const job: Promise<void> = encodePng(image)
        .then((png) => writeFile(join(options.out, path), png))
        .then(
          () => void inFlight.delete(job),
          (error: unknown) => {
            failure ??= error;
            inFlight.delete(job);
          },
        );
      inFlight.add(job);
      images++;
      if (inFlight.size >= limit) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
    }
    if ((i + 1) % 1000 === 0) options.onProgress?.(i + 1);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  jsonl.end();
  await once(jsonl, 'finish');
  const description = worldDescription({ seed: options.seed, n: options.n, split: options.split, mix, counts, images, maxLength, tokenizer: tokenizerJson });
  await writeFile(join(options.out, 'world.json'), `${JSON.stringify(description, null, 2)}\n`);
  return { records: options.n, images, counts, maxLength };
}
