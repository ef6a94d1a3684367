// `npm run eval`: ShapesEval through the serving runtime. Tasks come from the world generator on held-out
// seeds (never the training or validation seeds), input images are rendered by the world, outputs are judged
// by the world's pixel scorer, answers by exact match. `chain` (scripts/eval-chain.ts) generates an image and
// then edits the generated picture in the same conversation. `diversity` (scripts/eval-diversity.ts) draws each of
// --diversity-prompts held-out generation prompts under --diversity-seeds seeds and reads how the pictures spread
// over what the caption leaves open (background shade, jitter). Last line: one JSON object with the fractions and
// the diversity figures.
//   npm run eval -- [--bundle DIR] [--n 100] [--batch 16] [--steps N] [--guidance G] [--tasks generation,editing,chain,diversity]
//                   [--seed 1000003] [--threads 2] [--diversity-prompts 16] [--diversity-seeds 32]
// --steps/--guidance override the bundle's defaults (to tune them: use another --seed than the reported one).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import {
  createWorldRng,
  deriveSeed,
  renderScene,
  sampleTask,
  scoreAnswer,
  scoreEdit,
  scoreGeneration,
  type DiversityFigures,
  type Scene,
  type Task,
  type TaskKind,
} from '../models/world/index.js';
import { loadModel } from '../workers/model/index.js';
import type { ModelMessage, ModelRequest } from '../workers/model/types.js';
import { evalChain, rgbOf } from './eval-chain.js';
import { evalDiversity } from './eval-diversity.js';

const { values } = parseArgs({
  options: {
    bundle: { type: 'string' },
    n: { type: 'string', default: '100' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string' },
    guidance: { type: 'string' },
    tasks: { type: 'string', default: 'generation,understanding,editing,chain,diversity' },
    'diversity-prompts': { type: 'string', default: '16' },
    'diversity-seeds': { type: 'string', default: '32' },
    seed: { type: 'string', default: '1000003' },
    threads: { type: 'string' },
  },
});

function defaultBundle(): string {
  const committed = 'models/nexus-mini';
  return existsSync(join(committed, 'manifest.json')) ? committed : '.cache/smoke-bundle';
}

async function png(scene: Scene): Promise<Uint8Array> {
  const img = renderScene(scene);
  return new Uint8Array(
    await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** The task's conversation up to (not including) the final assistant reply, images rendered from their scenes. */
async function promptOf(task: Task): Promise<ModelMessage[]> {
  const turns = task.messages.slice(0, -1);
  const out: ModelMessage[] = [];
  for (const m of turns) {
    const content: ModelMessage['content'] = [];
    for (const p of m.content) {
      if (p.type === 'text') content.push({ type: 'text', text: p.text });
      else {
        const scene = task.images[p.image];
        if (scene === undefined) throw new Error(`task refers to missing image ${p.image}`);
        content.push({ type: 'image', data: await png(scene) });
      }
    }
    out.push({ role: m.role, content });
  }
  return out;
}

async function main(): Promise<void> {
  const n = Number(values.n);
  const batchSize = Number(values.batch);
  const baseSeed = Number(values.seed);
  const model = await loadModel(values.bundle ?? defaultBundle(), {
    executionProviders: ['cpu'],
    allowSpinning: false,
    ...(values.threads === undefined ? {} : { intraOpThreads: Number(values.threads) }),
  });
  const all: TaskKind[] = ['generation', 'understanding', 'editing'];
  const asked = values.tasks.split(',');
  const extra = ['chain', 'diversity'];
  const unknown = asked.filter((kind) => !extra.includes(kind) && !all.includes(kind as TaskKind));
  if (unknown.length > 0) throw new Error(`--tasks: unknown ${unknown.join(', ')} (known: ${[...all, ...extra].join(', ')})`);
  const kinds = asked.filter((kind): kind is TaskKind => all.includes(kind as TaskKind));
  // The request fields every task shares: greedy text, the bundle's sampling defaults unless overridden.
  const sampling = {
    ...(values.steps === undefined ? {} : { steps: Number(values.steps) }),
    ...(values.guidance === undefined ? {} : { guidance: Number(values.guidance) }),
    temperature: 0,
    topP: 1,
    maxTokens: 24,
  };
  const started = performance.now();
  const summary: Record<string, number> = {};
  const detail: Record<string, Record<string, number>> = {};
  for (const kind of kinds) {
    const k = all.indexOf(kind); // seeds follow the task's place in the full list, so a subset sees the same tasks
    const tasks = Array.from({ length: n }, (_, i) => sampleTask(createWorldRng(deriveSeed(baseSeed + k, i)), kind));
    const counts: Record<string, number> = { ok: 0, missing_image: 0 };
    const bump = (key: string, hit: boolean): void => {
      counts[key] = (counts[key] ?? 0) + (hit ? 1 : 0);
    };
    for (let start = 0; start < tasks.length; start += batchSize) {
      const chunk = tasks.slice(start, start + batchSize);
      const requests: ModelRequest[] = await Promise.all(
        chunk.map(async (task, i) => ({
          messages: await promptOf(task),
          // A client asking for a picture says so; an answer must be text.
          modalities: kind === 'understanding' ? ['text'] : ['image'],
          format: 'png',
          seed: deriveSeed(baseSeed + 100 + k, start + i),
          ...sampling,
        })),
      );
      const results = await model.runBatch(requests);
      for (const [i, task] of chunk.entries()) {
        const result = results[i];
        if (result === undefined) continue;
        if (kind === 'understanding') {
          bump('ok', scoreAnswer(result.text, task.answer ?? ''));
          continue;
        }
        const rgb = await rgbOf(result);
        if (rgb === null || task.targetScene === null) {
          bump('missing_image', true);
          continue;
        }
        if (kind === 'generation') {
          const s = scoreGeneration(rgb, task.targetScene);
          bump('ok', s.ok);
          bump('colour', s.colour);
          bump('shape', s.shape);
          bump('size', s.size);
          bump('position', s.position);
        } else {
          const s = scoreEdit(rgb, task.scene, task.targetScene);
          bump('ok', s.ok);
          bump('applied', s.applied);
          bump('preserved', s.preserved);
        }
      }
      process.stderr.write(`${kind}: ${Math.min(start + batchSize, n)}/${n}\r`);
    }
    process.stderr.write('\n');
    summary[kind] = (counts['ok'] ?? 0) / n;
    detail[kind] = Object.fromEntries(Object.entries(counts).map(([key, v]) => [key, v / n]));
  }
  if (asked.includes('chain')) {
    const chain = await evalChain(model, {
      n,
      batchSize,
      seed: baseSeed + 10,
      base: { modalities: ['image'], format: 'png', ...sampling },
      onProgress: (done) => process.stderr.write(`chain: ${done}/${n}\r`),
    });
    process.stderr.write('\n');
    summary['chain'] = chain['ok'] ?? 0;
    detail['chain'] = chain;
  }
  let diversity: { model: DiversityFigures; world: DiversityFigures } | undefined;
  if (asked.includes('diversity')) {
    const prompts = Number(values['diversity-prompts']);
    diversity = await evalDiversity(model, {
      prompts,
      samples: Number(values['diversity-seeds']),
      batchSize,
      seed: baseSeed + 20,
      base: { modalities: ['image'], format: 'png', ...sampling },
      onProgress: (done) => process.stderr.write(`diversity: ${done}/${prompts} prompts\r`),
    });
    process.stderr.write('\n');
  }
  await model.close();
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ detail, diversity, n_per_task: n, held_out_seed: baseSeed, bundle: `${model.name}@${model.version}`, seconds: Math.round(seconds) }));
  console.log(
    JSON.stringify({
      generation: summary['generation'],
      understanding: summary['understanding'],
      editing: summary['editing'],
      chain: summary['chain'],
      background_tv: diversity?.model.background_tv,
      jitter_std_ratio: diversity?.model.jitter_std_ratio,
      distinct_images: diversity?.model.distinct_images,
      world_background_tv: diversity?.world.background_tv,
    }),
  );
}

await main();
