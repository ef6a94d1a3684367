// `npm run eval:training`: scores the trainer's evaluation outputs (models/training/evaluate.py writes PNGs,
// predicted answer ids, the ablation's per-position curves and timings) with the world's exact pixel scorer.
// Last line: one JSON object with generation / understanding / editing fractions, the cosine curves, timings and the
// diversity of the generation decoder over seeds (models/world/diversity.ts) on the first held-out prompts.
//   npm run eval:training -- [--dir DIR]
// DIR defaults to models/training/eval (evaluate.py's output; ignored by git, regenerated from a training run)
// when it exists, else models/training/eval-sample (committed: the first 16 records of each task of the 1.2.0
// evaluation, so the scorer runs on a fresh clone; the full figures are in models/training/README.md).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import {
  COLOURS,
  SHAPES,
  SIZES,
  createWorldRng,
  deriveSeed,
  promptDiversity,
  scoreAnswer,
  scoreEdit,
  scoreGeneration,
  summariseDiversity,
  worldDiversity,
  type PromptDiversity,
  type RgbImage,
} from '../models/world/index.js';
import { createTokenizer } from '../workers/model/tokenizer.js';

const sceneSchema = z.object({
  background: z.tuple([z.number(), z.number(), z.number()]),
  shapes: z.array(
    z.object({
      shape: z.enum(SHAPES),
      colour: z.enum(COLOURS),
      size: z.enum(SIZES),
      cell: z.number(),
      dx: z.number(),
      dy: z.number(),
    }),
  ),
});
const curveSchema = z.object({ cosine: z.array(z.number()), mse: z.array(z.number()), mean_mse: z.number(), mean_cosine: z.number() });
const timingSchema = z.object({ ms_per_image: z.number(), passes: z.number() });
const resultsSchema = z.object({
  steps: z.number(),
  guidance: z.number(),
  device: z.string(),
  understanding: z.array(z.object({ id: z.string(), answer: z.string(), predicted_ids: z.array(z.number()), exact_ids: z.boolean() })),
  generation: z.array(z.object({ id: z.string(), scene: sceneSchema })),
  editing: z.array(z.object({ id: z.string(), scene: sceneSchema, target_scene: sceneSchema })),
  // absent for a decoders-only run (finetune_decoders.py), whose transformer is a bundle's, without the ablation
  ablation: z.object({ prefill: curveSchema, teacher_inference: curveSchema.optional(), teacher_train_condition: curveSchema.optional() }),
  timing: z.object({ prefill: timingSchema, token_by_token: timingSchema.optional(), speedup: z.number().optional(), device: z.string() }),
  diversity: z.array(z.object({ id: z.string(), scene: sceneSchema, samples: z.number().int().positive() })).default([]),
});

async function readPng(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

function fraction(oks: boolean[]): number {
  return oks.length === 0 ? 0 : Number((oks.filter(Boolean).length / oks.length).toFixed(4));
}

const FULL_EVAL_DIR = 'models/training/eval';
const SAMPLE_EVAL_DIR = 'models/training/eval-sample';

function defaultDir(): string {
  return existsSync(join(FULL_EVAL_DIR, 'results.json')) ? FULL_EVAL_DIR : SAMPLE_EVAL_DIR;
}

async function main(): Promise<void> {
  const argIndex = process.argv.indexOf('--dir');
  const dir = argIndex >= 0 ? (process.argv[argIndex + 1] ?? '') : defaultDir();
  console.error(`scoring ${dir}`);
  const results = resultsSchema.parse(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')));
  const tokenizer = createTokenizer(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  const imEnd = tokenizer.tokenToId('<|im_end|>');

  const answers = results.understanding.map((u) => {
    const end = u.predicted_ids.indexOf(imEnd ?? -1);
    const text = tokenizer.decode(end >= 0 ? u.predicted_ids.slice(0, end) : u.predicted_ids, { skipSpecialTokens: true });
    return scoreAnswer(text, u.answer);
  });

  const { ablation, timing } = results;
  const generation: Record<string, boolean[]> = { generation: [], generation_gt: [], ...(ablation.teacher_inference ? { generation_tf: [] } : {}) };
  const partNames = ['colour', 'shape', 'size', 'position', 'count'] as const;
  const parts: Record<(typeof partNames)[number], boolean[]> = { colour: [], shape: [], size: [], position: [], count: [] };
  for (const g of results.generation) {
    for (const [sub, oks] of Object.entries(generation)) {
      const score = scoreGeneration(await readPng(join(dir, sub, `${g.id}.png`)), g.scene);
      oks.push(score.ok);
      if (sub === 'generation') for (const k of partNames) parts[k].push(score[k]);
    }
  }
  const edits: boolean[] = [];
  const applied: boolean[] = [];
  const preserved: boolean[] = [];
  for (const e of results.editing) {
    const score = scoreEdit(await readPng(join(dir, 'editing', `${e.id}.png`)), e.scene, e.target_scene);
    edits.push(score.ok);
    applied.push(score.applied);
    preserved.push(score.preserved);
  }

  const perPrompt: PromptDiversity[] = [];
  for (const d of results.diversity) {
    const images = await Promise.all(Array.from({ length: d.samples }, (_, k) => readPng(join(dir, 'diversity', `${d.id}-${k}.png`))));
    perPrompt.push(promptDiversity(d.scene, images));
  }
  const teacher = ablation.teacher_inference;
  const prefilledAtLeast = teacher === undefined ? null : ablation.prefill.cosine.every((c, i) => c >= (teacher.cosine[i] ?? Infinity));
  console.log(
    JSON.stringify({
      generation: fraction(generation.generation ?? []),
      understanding: fraction(answers),
      editing: fraction(edits),
      cosine_prefill: ablation.prefill.cosine,
      cosine_token_by_token: teacher?.cosine ?? null,
      cosine_teacher_forcing_train_condition: ablation.teacher_train_condition?.cosine ?? null,
      mse: {
        prefill: ablation.prefill.mean_mse,
        token_by_token_inference: teacher?.mean_mse ?? null,
        teacher_forcing_train_condition: ablation.teacher_train_condition?.mean_mse ?? null,
      },
      prefill_ge_token_by_token_every_position: prefilledAtLeast,
      image_token_ms: {
        prefill: timing.prefill.ms_per_image,
        token_by_token: timing.token_by_token?.ms_per_image ?? null,
        speedup: timing.speedup ?? null,
        device: timing.device,
        batch: 1,
      },
      generation_parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, fraction(v)])),
      generation_from_gt_embeddings: fraction(generation.generation_gt ?? []),
      generation_from_token_by_token: generation.generation_tf === undefined ? null : fraction(generation.generation_tf),
      // the world's own draws of the same prompts, same count: the sampling-noise floor of background_tv
      diversity:
        perPrompt.length === 0
          ? null
          : {
              ...summariseDiversity(perPrompt),
              world: worldDiversity(
                results.diversity.map((d) => d.scene),
                results.diversity[0]?.samples ?? 0,
                createWorldRng(deriveSeed(2026, 0)),
              ),
            },
      editing_parts: { applied: fraction(applied), preserved: fraction(preserved) },
      n: { generation: results.generation.length, understanding: answers.length, editing: edits.length },
      sampling: { steps: results.steps, guidance: results.guidance, device: results.device },
    }),
  );
}

await main();
