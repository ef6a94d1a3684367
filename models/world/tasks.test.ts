import { describe, expect, it } from 'vitest';
import { buildTokenizerJson } from './build-tokenizer.js';
import { createTokenizer } from '../../workers/model/tokenizer.js';
import { EDIT_OPS, sampleEdit } from './edits.js';
import { describeScene } from './language.js';
import { QUESTION_KINDS, sampleQuestion } from './questions.js';
import { createWorldRng } from './rng.js';
import { sameShape, type Scene } from './scene.js';
import { TASK_KINDS, sampleTask } from './tasks.js';

const scene: Scene = {
  background: [28, 28, 28],
  shapes: [
    { shape: 'circle', colour: 'red', size: 'large', cell: 0, dx: 1, dy: 0 },
    { shape: 'square', colour: 'blue', size: 'small', cell: 4, dx: -1, dy: 2 },
    { shape: 'circle', colour: 'green', size: 'small', cell: 8, dx: 0, dy: -2 },
  ],
};

describe('tasks', () => {
  it('are a pure function of the seed', () => {
    for (const kind of TASK_KINDS) {
      expect(sampleTask(createWorldRng(42), kind)).toEqual(sampleTask(createWorldRng(42), kind));
      expect(sampleTask(createWorldRng(42), kind)).not.toEqual(sampleTask(createWorldRng(43), kind));
    }
  });

  it('only use words of the closed vocabulary', () => {
    const tokenizer = createTokenizer(buildTokenizerJson());
    const rng = createWorldRng(7);
    const unknown = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const task = sampleTask(rng, TASK_KINDS[i % TASK_KINDS.length] ?? 'generation');
      for (const m of task.messages)
        for (const p of m.content) {
          if (p.type === 'text' && tokenizer.encode(p.text).includes(1)) unknown.add(p.text);
        }
    }
    expect([...unknown]).toEqual([]);
  });

  it('describe a scene in reading order', () => {
    expect(describeScene(scene)).toBe('a large red circle in the top left, a small blue square in the center and a small green circle in the bottom right');
  });

  it('end with the final assistant reply as the target, images in order', () => {
    const rng = createWorldRng(9);
    for (let i = 0; i < 400; i++) {
      const task = sampleTask(rng, 'multiturn');
      expect(task.messages.at(-1)?.role).toBe('assistant');
      const order = task.messages.flatMap((m) => m.content.flatMap((p) => (p.type === 'image' ? [p.image] : [])));
      expect(order).toEqual(task.images.map((_, k) => k));
      expect(task.answer === null).toBe(task.targetScene !== null);
      if (task.targetScene !== null) expect(task.images.at(-1)).toBe(task.targetScene);
    }
  });
});

describe('edits', () => {
  it('change exactly what the instruction names and keep jitter and background', () => {
    const rng = createWorldRng(5);
    for (let i = 0; i < 300; i++) {
      const op = EDIT_OPS[i % EDIT_OPS.length] ?? 'colour';
      const source: Scene = op === 'add' ? { ...scene, shapes: scene.shapes.slice(0, 2) } : scene;
      const edit = sampleEdit(rng, source, op);
      expect(edit.target.background).toBe(source.background);
      const kept = edit.target.shapes.filter((s) => source.shapes.some((o) => sameShape(o, s)));
      expect(kept).toHaveLength(op === 'add' ? source.shapes.length : source.shapes.length - 1);
      const [changed] = edit.target.shapes.filter((s) => !kept.includes(s));
      const [old] = source.shapes.filter((s) => !edit.target.shapes.some((t) => sameShape(t, s)));
      if (op === 'add') expect(old).toBeUndefined();
      if (op === 'remove') expect(changed).toBeUndefined();
      if (op !== 'add' && op !== 'remove') {
        if (changed === undefined || old === undefined) throw new Error(`${op} must change one shape`);
        const differing = (['shape', 'colour', 'size', 'cell', 'dx', 'dy'] as const).filter((k) => changed[k] !== old[k]);
        expect(differing).toEqual([{ colour: 'colour', move: 'cell', size: 'size', reshape: 'shape' }[op]]);
      }
    }
  });

  it('name a shape unambiguously', () => {
    const edit = sampleEdit(createWorldRng(1), scene, 'colour');
    expect(edit.instruction).toMatch(/^(Make|Change|Turn|Paint) the /);
    // Two circles: "the circle" alone would be ambiguous, so it never appears as the whole reference.
    for (let seed = 0; seed < 200; seed++) {
      expect(sampleEdit(createWorldRng(seed), scene, 'remove').instruction).not.toMatch(/ the circle\.$/);
    }
  });
});

describe('questions', () => {
  it('have exact answers', () => {
    const answers = new Map<string, string>();
    for (const kind of QUESTION_KINDS) {
      for (let seed = 0; seed < 300; seed++) {
        const q = sampleQuestion(createWorldRng(seed), scene, kind);
        answers.set(q.question, q.answer);
      }
    }
    expect(answers.get('What colour is the square?')).toBe('blue');
    expect(answers.get('Where is the red shape?')).toBe('top left');
    expect(answers.get('How many shapes are there?')).toBe('3');
    expect(answers.get('How many circles are there?')).toBe('2');
    expect(answers.get('What shape is in the bottom right?')).toBe('circle');
    expect(answers.get('Is the red circle large or small?')).toBe('large');
    expect(answers.get('Is the large circle large or small?')).toBeUndefined();
    expect(answers.get('Describe the image in one line.')).toBe(describeScene(scene));
    // Two circles: a question must not refer to "the circle" alone.
    expect(answers.has('What colour is the circle?')).toBe(false);
    expect(answers.get('What colour is the circle in the top left?')).toBe('red');
  });
});
