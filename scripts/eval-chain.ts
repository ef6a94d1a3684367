// The `chain` task of `npm run eval`: what a user does in one conversation — generate an image, then edit the
// result. Turn 1 is a held-out generation task run through the runtime; turn 2 sends the conversation back
// with the generated picture as the assistant's image (re-encoded from its pixels, as in serving) and an edit
// instruction sampled on the scene that picture really shows (`readScene`: its own jitter and background, which
// the caption never fixed), and the edited picture is judged against that scene. A chain counts when both
// turns are right.
import sharp from 'sharp';
import { GENERATION_REPLY } from '../models/world/language.js';
import { createWorldRng, deriveSeed, readScene, sampleEdit, sampleTask, scoreEdit, scoreGeneration, type RgbImage } from '../models/world/index.js';
import type { LoadedModel, ModelRequest, ModelResult } from '../workers/model/types.js';

export async function rgbOf(result: ModelResult): Promise<RgbImage | null> {
  const image = result.images[0];
  if (image === undefined) return null;
  const { data, info } = await sharp(image.data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data) };
}

export interface ChainOptions {
  n: number;
  batchSize: number;
  /** Seeds of the turn-1 tasks, the edits and the sampling noise derive from it. */
  seed: number;
  /** Request fields every request gets (steps/guidance overrides, sampling). */
  base: Omit<ModelRequest, 'messages' | 'seed'>;
  onProgress?: (done: number) => void;
}

/** Fractions over n chains: ok (both turns right), generated (turn 1 right), edit_ok (turn 2 right), applied, preserved. */
export async function evalChain(model: LoadedModel, options: ChainOptions): Promise<Record<string, number>> {
  const { n, batchSize, seed, base } = options;
  const counts = { ok: 0, generated: 0, edit_ok: 0, applied: 0, preserved: 0, unreadable: 0 };
  for (let start = 0; start < n; start += batchSize) {
    const ids = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const tasks = ids.map((i) => sampleTask(createWorldRng(deriveSeed(seed, i)), 'generation'));
    const prompts = tasks.map((t) => t.messages[0]!);
    const turn1 = await model.runBatch(
      prompts.map((m, j) => ({
        ...base,
        seed: deriveSeed(seed + 1, ids[j]!),
        messages: [{ role: 'user', content: m.content.map((p) => ({ type: 'text', text: p.type === 'text' ? p.text : '' })) }],
      })),
    );
    const pictures = await Promise.all(turn1.map(rgbOf));
    const scenes = pictures.map((p) => (p === null ? null : readScene(p)));
    // a picture with no readable shape offers nothing to edit: counted as unreadable, like one that cannot be read
    const edits = scenes.map((scene, j) => (scene === null || scene.shapes.length === 0 ? null : sampleEdit(createWorldRng(deriveSeed(seed + 2, ids[j]!)), scene)));
    const asked: number[] = [];
    const requests: ModelRequest[] = [];
    for (const [j, edit] of edits.entries()) {
      const picture = turn1[j]!.images[0];
      if (edit === null || picture === undefined) continue;
      asked.push(j);
      requests.push({
        ...base,
        seed: deriveSeed(seed + 3, ids[j]!),
        messages: [
          { role: 'user', content: [{ type: 'text', text: (prompts[j]!.content[0] as { text: string }).text }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: GENERATION_REPLY },
              { type: 'image', data: picture.data },
            ],
          },
          { role: 'user', content: [{ type: 'text', text: edit.instruction }] },
        ],
      });
    }
    const turn2 = requests.length === 0 ? [] : await model.runBatch(requests);
    for (const [j, task] of tasks.entries()) {
      const generated = pictures[j] !== null && scoreGeneration(pictures[j]!, task.targetScene!).ok;
      counts.generated += generated ? 1 : 0;
      const k = asked.indexOf(j);
      if (k < 0) {
        counts.unreadable += 1;
        continue;
      }
      const out = await rgbOf(turn2[k]!);
      const score = out === null ? null : scoreEdit(out, scenes[j]!, edits[j]!.target);
      counts.edit_ok += score?.ok === true ? 1 : 0;
      counts.applied += score?.applied === true ? 1 : 0;
      counts.preserved += score?.preserved === true ? 1 : 0;
      counts.ok += generated && score?.ok === true ? 1 : 0;
    }
    options.onProgress?.(start + ids.length);
  }
  return Object.fromEntries(Object.entries(counts).map(([key, v]) => [key, v / n]));
}
