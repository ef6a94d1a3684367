// Edit instructions and their exact effect: the target keeps everything the instruction does not touch.
import { COLOURS, MAX_SHAPES, SHAPES } from './config.js';
import { EDIT_TEMPLATES, fill, uniqueRefs, whereOf } from './language.js';
import { freeCells, positionOf, randomShape, type Scene, type SceneShape } from './scene.js';
import type { Rng } from './rng.js';

export const EDIT_OPS = ['colour', 'move', 'size', 'remove', 'add', 'reshape'] as const;
export type EditOp = (typeof EDIT_OPS)[number];

export interface Edit {
  op: EditOp;
  instruction: string;
  target: Scene;
}

function replaceShape(scene: Scene, old: SceneShape, next: SceneShape | null): Scene {
  const shapes = scene.shapes.flatMap((s) => (s === old ? (next === null ? [] : [next]) : [s]));
  return { background: scene.background, shapes };
}

function possibleOps(scene: Scene): EditOp[] {
  return EDIT_OPS.filter((op) => {
    if (op === 'remove') return scene.shapes.length >= 2;
    if (op === 'add') return scene.shapes.length < MAX_SHAPES;
    if (op === 'move') return freeCells(scene).length > 0;
    return scene.shapes.length > 0;
  });
}

export function sampleEdit(rng: Rng, scene: Scene, op?: EditOp): Edit {
  const chosen = op ?? rng.pick(possibleOps(scene));
  if (chosen === 'add') {
    const added = randomShape(rng, rng.pick(freeCells(scene)));
    const instruction = fill(rng.pick(EDIT_TEMPLATES.add), {
      size: added.size,
      colour: added.colour,
      shape: added.shape,
      where: whereOf(added.cell),
    });
    return { op: chosen, instruction, target: { background: scene.background, shapes: [...scene.shapes, added] } };
  }
  const subject = rng.pick(scene.shapes);
  switch (chosen) {
    case 'colour': {
      const colour = rng.pick(COLOURS.filter((c) => c !== subject.colour));
      const ref = rng.pick(uniqueRefs(scene, subject));
      const instruction = fill(rng.pick(EDIT_TEMPLATES.colour), { ref, colour });
      return { op: chosen, instruction, target: replaceShape(scene, subject, { ...subject, colour }) };
    }
    case 'move': {
      const cell = rng.pick(freeCells(scene));
      const ref = rng.pick(uniqueRefs(scene, subject));
      const instruction = fill(rng.pick(EDIT_TEMPLATES.move), { ref, position: positionOf(cell), where: whereOf(cell) });
      return { op: chosen, instruction, target: replaceShape(scene, subject, { ...subject, cell }) };
    }
    case 'size': {
      const size = subject.size === 'large' ? 'small' : 'large';
      const ref = rng.pick(uniqueRefs(scene, subject));
      const instruction = fill(rng.pick(size === 'large' ? EDIT_TEMPLATES.grow : EDIT_TEMPLATES.shrink), { ref });
      return { op: chosen, instruction, target: replaceShape(scene, subject, { ...subject, size }) };
    }
    case 'remove': {
      const ref = rng.pick(uniqueRefs(scene, subject));
      const instruction = fill(rng.pick(EDIT_TEMPLATES.remove), { ref });
      return { op: chosen, instruction, target: replaceShape(scene, subject, null) };
    }
    case 'reshape': {
      const shape = rng.pick(SHAPES.filter((s) => s !== subject.shape));
      const ref = rng.pick(uniqueRefs(scene, subject));
      const instruction = fill(rng.pick(EDIT_TEMPLATES.reshape), { ref, shape });
      return { op: chosen, instruction, target: replaceShape(scene, subject, { ...subject, shape }) };
    }
  }
}
