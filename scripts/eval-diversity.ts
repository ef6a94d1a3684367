// The `diversity` part of `npm run eval`: held-out generation prompts, each drawn under `samples` seeds through the
// runtime, read back with the world's readers (models/world/diversity.ts): background_tv, jitter_std_ratio,
// distinct_images, beside the same figures for the world's own draws of those prompts (the sampling-noise floor a
// perfect sampler would reach with this many seeds).
import {
  createWorldRng,
  deriveSeed,
  promptDiversity,
  sampleTask,
  summariseDiversity,
  worldDiversity,
  type DiversityFigures,
  type PromptDiversity,
  type RgbImage,
} from '../models/world/index.js';
import type { LoadedModel, ModelRequest } from '../workers/model/types.js';
import { rgbOf } from './eval-chain.js';

export interface DiversityOptions {
  prompts: number;
  samples: number;
  batchSize: number;
  /** Seeds of the prompts, the sampling noise and the world's reference draws derive from it. */
  seed: number;
  base: Omit<ModelRequest, 'messages' | 'seed'>;
  onProgress?: (done: number) => void;
}

export async function evalDiversity(model: LoadedModel, options: DiversityOptions): Promise<{ model: DiversityFigures; world: DiversityFigures }> {
  const { prompts, samples, batchSize, seed, base } = options;
  const tasks = Array.from({ length: prompts }, (_, i) => sampleTask(createWorldRng(deriveSeed(seed, i)), 'generation'));
  const scenes = tasks.map((t) => {
    if (t.targetScene === null) throw new Error('a generation task without a target scene');
    return t.targetScene;
  });
  const perPrompt: PromptDiversity[] = [];
  for (const [i, task] of tasks.entries()) {
    const text = task.messages[0]!.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
    const images: RgbImage[] = [];
    let unreadable = 0;
    for (let start = 0; start < samples; start += batchSize) {
      const count = Math.min(batchSize, samples - start);
      const requests: ModelRequest[] = Array.from({ length: count }, (_, k) => ({
        ...base,
        seed: deriveSeed(seed + 1, i * samples + start + k),
        messages: [{ role: 'user', content: [{ type: 'text', text }] }],
      }));
      for (const result of await model.runBatch(requests)) {
        const rgb = await rgbOf(result);
        if (rgb === null) unreadable += 1;
        else images.push(rgb);
      }
    }
    const p = promptDiversity(scenes[i]!, images);
    perPrompt.push({ ...p, samples: p.samples + unreadable, unreadable: p.unreadable + unreadable });
    options.onProgress?.(i + 1);
  }
  return {
    model: summariseDiversity(perPrompt),
    world: worldDiversity(scenes, samples, createWorldRng(deriveSeed(seed + 2, 0))),
  };
}
