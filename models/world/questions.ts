// Understanding questions with short, exact answers.
import { COLOURS, SHAPES } from './config.js';
import { QUESTION_TEMPLATES, describeScene, fill, uniqueRefs, whereOf, type Attribute } from './language.js';
import { positionOf, type Scene, type SceneShape } from './scene.js';
import type { Rng } from './rng.js';

export const QUESTION_KINDS = ['colour', 'shape', 'where', 'size', 'count', 'describe'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

export interface Question {
  kind: QuestionKind;
  question: string;
  answer: string;
}

/** A shape that some reference not naming `asked` identifies, with those references. */
function referable(rng: Rng, scene: Scene, asked: Attribute): { subject: SceneShape; refs: string[] } | null {
  for (const subject of rng.shuffle(scene.shapes)) {
    const refs = uniqueRefs(scene, subject, [asked]);
    if (refs.length > 0) return { subject, refs };
  }
  return null;
}

function count(rng: Rng, scene: Scene): Question {
  const variant = rng.int(3);
  if (variant === 1) {
    const colour = rng.pick(COLOURS);
    const n = scene.shapes.filter((s) => s.colour === colour).length;
    return { kind: 'count', question: fill(rng.pick(QUESTION_TEMPLATES.countColour), { colour }), answer: String(n) };
  }
  if (variant === 2) {
    const shape = rng.pick(SHAPES);
    const n = scene.shapes.filter((s) => s.shape === shape).length;
    return { kind: 'count', question: fill(rng.pick(QUESTION_TEMPLATES.countShape), { shapes: `${shape}s` }), answer: String(n) };
  }
  return { kind: 'count', question: rng.pick(QUESTION_TEMPLATES.count), answer: String(scene.shapes.length) };
}

function about(rng: Rng, scene: Scene, kind: 'colour' | 'shape' | 'where' | 'size'): Question | null {
  const asked: Attribute = kind === 'where' ? 'position' : kind;
  if (kind === 'shape' && rng.chance(0.3)) {
    const subject = rng.pick(scene.shapes);
    return { kind, question: fill(rng.pick(QUESTION_TEMPLATES.shapeAt), { where: whereOf(subject.cell) }), answer: subject.shape };
  }
  const found = referable(rng, scene, asked);
  if (found === null) return null;
  const { subject, refs } = found;
  const question = fill(rng.pick(QUESTION_TEMPLATES[kind]), { ref: rng.pick(refs) });
  const answer = kind === 'where' ? positionOf(subject.cell) : kind === 'colour' ? subject.colour : kind === 'shape' ? subject.shape : subject.size;
  return { kind, question, answer };
}

export function sampleQuestion(rng: Rng, scene: Scene, kind?: QuestionKind): Question {
  const chosen = kind ?? rng.pick(QUESTION_KINDS);
  if (chosen === 'count') return count(rng, scene);
  if (chosen === 'describe') return { kind: chosen, question: rng.pick(QUESTION_TEMPLATES.describe), answer: describeScene(scene) };
  // A "where" question about two identical shapes has no unique referent; ask something answerable instead.
  return about(rng, scene, chosen) ?? count(rng, scene);
}
