import { describe, expect, it } from 'vitest';
import { PALETTE } from './config.js';
import { sampleEdit } from './edits.js';
import { renderScene, type RgbImage } from './render.js';
import { createWorldRng } from './rng.js';
import { randomScene, type Scene } from './scene.js';
import { scoreAnswer, scoreEdit, scoreGeneration } from './score.js';

const SCENES = 500;

function withNoise(image: RgbImage, seed: number, amplitude: number): RgbImage {
  const rng = createWorldRng(seed);
  return { ...image, rgb: image.rgb.map((v) => Math.max(0, Math.min(255, v + rng.range(-amplitude, amplitude)))) };
}

/** A 3×3 box blur: the soft edges a pixel-space decoder produces. */
function blurred(image: RgbImage): RgbImage {
  const { width: w, height: h, rgb } = image;
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
          for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
            sum += rgb[(yy * w + xx) * 3 + c] ?? 0;
            n++;
          }
        }
        out[(y * w + x) * 3 + c] = Math.round(sum / n);
      }
  return { ...image, rgb: out };
}

function paintBlob(image: RgbImage, x0: number, y0: number, side: number, rgb: readonly number[]): RgbImage {
  const out = new Uint8Array(image.rgb);
  for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) out.set(rgb, (y * image.width + x) * 3);
  return { ...image, rgb: out };
}

const example: Scene = {
  background: [40, 40, 40],
  shapes: [
    { shape: 'circle', colour: 'red', size: 'large', cell: 0, dx: 1, dy: -2 },
    { shape: 'triangle', colour: 'blue', size: 'small', cell: 4, dx: 0, dy: 2 },
  ],
};

describe('scoreGeneration', () => {
  it(`accepts every ground-truth render over ${SCENES} random scenes, also under ±20 noise per channel`, () => {
    const rng = createWorldRng(11);
    let clean = 0;
    let noisy = 0;
    for (let i = 0; i < SCENES; i++) {
      const scene = randomScene(rng);
      const image = renderScene(scene);
      if (scoreGeneration(image, scene).ok) clean++;
      if (scoreGeneration(withNoise(image, i, 20), scene).ok) noisy++;
    }
    expect([clean, noisy]).toEqual([SCENES, SCENES]);
  });

  it('reads soft edges (3×3 box blur) and a brightness shift as the shapes they blur', () => {
    const rng = createWorldRng(13);
    let soft = 0;
    let brighter = 0;
    for (let i = 0; i < 300; i++) {
      const scene = randomScene(rng);
      const image = renderScene(scene);
      if (scoreGeneration(blurred(image), scene).ok) soft++;
      if (scoreGeneration({ ...image, rgb: image.rgb.map((v) => Math.min(255, v + 25)) }, scene).ok) brighter++;
    }
    // Two same-coloured large shapes in adjacent cells can merge once blurred: at most 1% may fail.
    expect(soft).toBeGreaterThanOrEqual(297);
    expect(brighter).toBe(300);
  });

  it('reports what it found for a known scene', () => {
    const score = scoreGeneration(renderScene(example), example);
    expect(score).toMatchObject({ ok: true, colour: true, shape: true, size: true, position: true, count: true });
    expect(score.details.detected.map((d) => [d.colour, d.shape, d.size, d.cell, d.centre])).toEqual([
      ['red', 'circle', 'large', 0, { x: 11.5, y: 8.5 }],
      ['blue', 'triangle', 'small', 4, { x: 31.5, y: 33.5 }],
    ]);
  });

  it('rejects a wrong colour, a moved shape, a swapped shape, a wrong size, an extra blob and a blank image', () => {
    const [circle, triangle] = example.shapes;
    if (circle === undefined || triangle === undefined) throw new Error('example needs two shapes');
    const variant = (changes: Partial<typeof circle>): Scene => ({ ...example, shapes: [{ ...circle, ...changes }, triangle] });
    expect(scoreGeneration(renderScene(variant({ colour: 'orange' })), example)).toMatchObject({ ok: false, colour: false, shape: true, count: true });
    expect(scoreGeneration(renderScene(variant({ cell: 2 })), example)).toMatchObject({ ok: false, position: false, count: true });
    expect(scoreGeneration(renderScene(variant({ shape: 'square' })), example)).toMatchObject({ ok: false, shape: false, colour: true });
    expect(scoreGeneration(renderScene(variant({ shape: 'triangle' })), example)).toMatchObject({ ok: false, shape: false });
    expect(scoreGeneration(renderScene(variant({ size: 'small' })), example)).toMatchObject({ ok: false, size: false, shape: true });
    expect(scoreGeneration(paintBlob(renderScene(example), 50, 50, 6, PALETTE.green), example)).toMatchObject({ ok: false, count: false });
    expect(scoreGeneration(renderScene({ ...example, shapes: [] }), example)).toMatchObject({ ok: false, colour: false, count: false });
  });

  it('ignores specks smaller than a shape', () => {
    const speckled = paintBlob(renderScene(example), 50, 50, 3, PALETTE.green);
    expect(scoreGeneration(speckled, example).ok).toBe(true);
  });
});

describe('scoreEdit', () => {
  it(`accepts every ground-truth edit over ${SCENES} random edits, also under ±20 noise`, () => {
    const rng = createWorldRng(12);
    let clean = 0;
    let noisy = 0;
    let unedited = 0;
    for (let i = 0; i < SCENES; i++) {
      const source = randomScene(rng);
      const edit = sampleEdit(rng, source);
      const image = renderScene(edit.target);
      if (scoreEdit(image, source, edit.target).ok) clean++;
      if (scoreEdit(withNoise(image, i, 20), source, edit.target).ok) noisy++;
      // Returning the source unchanged never counts as applying the instruction.
      if (scoreEdit(renderScene(source), source, edit.target).applied) unedited++;
    }
    expect([clean, noisy, unedited]).toEqual([SCENES, SCENES, 0]);
  });

  it('fails preservation when an untouched shape moves, a shape appears, or the background changes', () => {
    const rng = createWorldRng(3);
    const edit = sampleEdit(rng, example, 'colour');
    const changed = edit.target.shapes.find((s) => !example.shapes.includes(s));
    const untouched = edit.target.shapes.find((s) => example.shapes.includes(s));
    if (changed === undefined || untouched === undefined) throw new Error('a colour edit changes one of two shapes');
    const jittered: Scene = { ...edit.target, shapes: [changed, { ...untouched, dx: untouched.dx + 2 > 2 ? untouched.dx - 2 : untouched.dx + 2 }] };
    expect(scoreEdit(renderScene(jittered), example, edit.target)).toMatchObject({ ok: false, applied: true, preserved: false });
    expect(scoreEdit(paintBlob(renderScene(edit.target), 50, 50, 6, PALETTE.yellow), example, edit.target)).toMatchObject({ applied: true, preserved: false });
    expect(scoreEdit(renderScene({ ...edit.target, background: [120, 120, 120] }), example, edit.target)).toMatchObject({ applied: true, preserved: false });
    expect(scoreEdit(renderScene(edit.target), example, edit.target).ok).toBe(true);
  });

  it('fails application when a removed shape is still there', () => {
    const edit = sampleEdit(createWorldRng(4), example, 'remove');
    expect(edit.target.shapes).toHaveLength(1);
    expect(scoreEdit(renderScene(example), example, edit.target)).toMatchObject({ ok: false, applied: false });
  });
});

describe('scoreAnswer', () => {
  it('matches exactly after normalising case, spacing, a trailing period and a leading "the"', () => {
    expect(scoreAnswer(' Red. ', 'red')).toBe(true);
    expect(scoreAnswer('the top  left', 'top left')).toBe(true);
    expect(scoreAnswer('top right', 'top left')).toBe(false);
    expect(scoreAnswer('2', '3')).toBe(false);
    expect(scoreAnswer('reddish', 'red')).toBe(false);
  });
});
