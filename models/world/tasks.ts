// Tasks: conversations over scenes. Images are referenced by index into `images` until the writer
// turns them into files; the final assistant reply is the training target.
import { sampleEdit, type EditOp } from './edits.js';
import { EDIT_REPLY, FOLLOW_UP_PREFIX, GENERATION_PROMPTS, GENERATION_REPLY, fill, randomCaption } from './language.js';
import { sampleQuestion, type QuestionKind } from './questions.js';
import { randomScene, type Scene } from './scene.js';
import type { Rng } from './rng.js';

export const TASK_KINDS = ['generation', 'editing', 'understanding', 'multiturn'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export type TaskPart = { type: 'text'; text: string } | { type: 'image'; image: number };
export interface TaskMessage {
  role: 'user' | 'assistant';
  content: TaskPart[];
}

export interface Task {
  task: TaskKind;
  messages: TaskMessage[];
  /** Scenes of the images, in order of appearance. */
  images: Scene[];
  /** Understanding (and chains ending in a question): the exact expected answer. */
  answer: string | null;
  /** The scene the final turn starts from (the source of an edit, the image asked about, the generated scene). */
  scene: Scene;
  /** The scene the final image must show; null when the final reply is text. */
  targetScene: Scene | null;
  /** What the final turn does, for per-kind metrics. */
  detail: { edit?: EditOp; question?: QuestionKind };
}

const text = (t: string): TaskPart => ({ type: 'text', text: t });

function generationPrompt(rng: Rng, scene: Scene): string {
  // The seed's phrasing dominates; the others teach robustness to how people ask.
  const template = rng.chance(0.6) ? GENERATION_PROMPTS[0] : rng.pick(GENERATION_PROMPTS.slice(1));
  return fill(template, { caption: randomCaption(rng, scene) });
}

function followUp(rng: Rng, sentence: string): string {
  if (!rng.chance(0.3)) return sentence;
  return `${FOLLOW_UP_PREFIX} ${sentence.charAt(0).toLowerCase()}${sentence.slice(1)}`;
}

/** The seed writes "<image>\nQuestion"; API clients often send the question part without the newline. */
function questionText(rng: Rng, question: string): string {
  return rng.chance(0.5) ? `\n${question}` : question;
}

function generation(rng: Rng): Task {
  const scene = randomScene(rng);
  return {
    task: 'generation',
    messages: [
      { role: 'user', content: [text(generationPrompt(rng, scene))] },
      { role: 'assistant', content: [text(GENERATION_REPLY), { type: 'image', image: 0 }] },
    ],
    images: [scene],
    answer: null,
    scene,
    targetScene: scene,
    detail: {},
  };
}

function editing(rng: Rng): Task {
  const scene = randomScene(rng);
  const edit = sampleEdit(rng, scene);
  return {
    task: 'editing',
    messages: [
      { role: 'user', content: [{ type: 'image', image: 0 }, text(edit.instruction)] },
      { role: 'assistant', content: [text(EDIT_REPLY), { type: 'image', image: 1 }] },
    ],
    images: [scene, edit.target],
    answer: null,
    scene,
    targetScene: edit.target,
    detail: { edit: edit.op },
  };
}

function understanding(rng: Rng): Task {
  const scene = randomScene(rng);
  const q = sampleQuestion(rng, scene);
  return {
    task: 'understanding',
    messages: [
      { role: 'user', content: [{ type: 'image', image: 0 }, text(questionText(rng, q.question))] },
      { role: 'assistant', content: [text(q.answer)] },
    ],
    images: [scene],
    answer: q.answer,
    scene,
    targetScene: null,
    detail: { question: q.kind },
  };
}

const CHAINS = [
  ['generate', 'edit'],
  ['generate', 'ask'],
  ['generate', 'edit', 'ask'],
  ['edit', 'edit'],
  ['edit', 'ask'],
] as const;

function multiturn(rng: Rng): Task {
  const chain = rng.pick(CHAINS);
  const messages: TaskMessage[] = [];
  const images: Scene[] = [];
  let current = randomScene(rng);
  let previous = current;
  let answer: string | null = null;
  let detail: Task['detail'] = {};
  chain.forEach((step, i) => {
    const first = i === 0;
    if (step === 'generate') {
      images.push(current);
      messages.push({ role: 'user', content: [text(generationPrompt(rng, current))] });
      messages.push({ role: 'assistant', content: [text(GENERATION_REPLY), { type: 'image', image: images.length - 1 }] });
      return;
    }
    if (step === 'edit') {
      const edit = sampleEdit(rng, current);
      const user: TaskPart[] = first ? [{ type: 'image', image: images.push(current) - 1 }, text(edit.instruction)] : [text(followUp(rng, edit.instruction))];
      previous = current;
      current = edit.target;
      images.push(current);
      messages.push({ role: 'user', content: user });
      messages.push({ role: 'assistant', content: [text(EDIT_REPLY), { type: 'image', image: images.length - 1 }] });
      detail = { edit: edit.op };
      return;
    }
    const q = sampleQuestion(rng, current);
    const user: TaskPart[] = first ? [{ type: 'image', image: images.push(current) - 1 }, text(questionText(rng, q.question))] : [text(q.question)];
    messages.push({ role: 'user', content: user });
    messages.push({ role: 'assistant', content: [text(q.answer)] });
    previous = current;
    answer = q.answer;
    detail = { question: q.kind };
  });
  const endsWithImage = answer === null;
  return { task: 'multiturn', messages, images, answer, scene: endsWithImage ? previous : current, targetScene: endsWithImage ? current : null, detail };
}

export function sampleTask(rng: Rng, kind: TaskKind): Task {
  switch (kind) {
    case 'generation':
      return generation(rng);
    case 'editing':
      return editing(rng);
    case 'understanding':
      return understanding(rng);
    case 'multiturn':
      return multiturn(rng);
  }
}
