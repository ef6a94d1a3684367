// Exact scoring of the model's outputs against the intended scenes (the eval's ground truth).
import { analyseImage, type DetectedShape } from './analyse.js';
import { SIZE_PX } from './config.js';
import type { RgbImage } from './render.js';
import { sameShape, shapeBox, type Scene, type SceneShape } from './scene.js';

export interface GenerationScore {
  /** Every intended shape present with the right colour, shape, size and cell, and nothing else. */
  ok: boolean;
  colour: boolean;
  shape: boolean;
  size: boolean;
  position: boolean;
  count: boolean;
  details: { expected: SceneShape[]; detected: DetectedShape[]; missing: SceneShape[] };
}

export interface EditScore {
  ok: boolean;
  /** The shapes the instruction changed are as intended, and removed ones are gone. */
  applied: boolean;
  /** Untouched shapes keep attributes, cell and jitter; no extra shapes; the background is kept. */
  preserved: boolean;
  details: { changed: SceneShape[]; removed: SceneShape[]; unchanged: SceneShape[]; detected: DetectedShape[]; failures: string[] };
}

/** How far (px, per axis) an untouched shape may drift from where the source had it. */
const JITTER_TOLERANCE_PX = 1.5;
/** How far (Euclidean RGB) the background may drift. */
const BACKGROUND_TOLERANCE = 30;

function inCell(detected: DetectedShape[], cell: number): DetectedShape | undefined {
  return detected.filter((d) => d.cell === cell).sort((a, b) => b.area - a.area)[0];
}

function matchesExactly(d: DetectedShape, s: SceneShape): boolean {
  return d.colour === s.colour && d.shape === s.shape && d.size === s.size && d.cell === s.cell;
}

function expectedCentre(s: SceneShape): { x: number; y: number } {
  const { x0, y0 } = shapeBox(s);
  const half = (SIZE_PX[s.size] - 1) / 2;
  return { x: x0 + half, y: y0 + half };
}

export function scoreGeneration(image: RgbImage, scene: Scene): GenerationScore {
  const detected = analyseImage(image).shapes;
  const expected = scene.shapes;
  const at = expected.map((s) => inCell(detected, s.cell));
  const colour = expected.every((s, i) => at[i]?.colour === s.colour);
  const shape = expected.every((s, i) => at[i]?.shape === s.shape);
  const size = expected.every((s, i) => at[i]?.size === s.size);
  const position = expected.every((s) => detected.some((d) => d.cell === s.cell && d.colour === s.colour && d.shape === s.shape));
  const count = detected.length === expected.length;
  const missing = expected.filter((s) => !detected.some((d) => matchesExactly(d, s)));
  return { ok: count && missing.length === 0, colour, shape, size, position, count, details: { expected, detected, missing } };
}

export function scoreEdit(image: RgbImage, source: Scene, target: Scene): EditScore {
  const analysis = analyseImage(image);
  const detected = analysis.shapes;
  const inSource = (s: SceneShape): boolean => source.shapes.some((o) => sameShape(o, s));
  const changed = target.shapes.filter((s) => !inSource(s));
  const unchanged = target.shapes.filter(inSource);
  const removed = source.shapes.filter((s) => !target.shapes.some((t) => sameShape(t, s)));
  const notApplied: string[] = [];
  const notPreserved: string[] = [];
  const describe = (s: SceneShape): string => `${s.size} ${s.colour} ${s.shape} in cell ${s.cell}`;

  for (const s of changed) {
    if (!detected.some((d) => matchesExactly(d, s))) notApplied.push(`changed shape missing: ${describe(s)}`);
  }
  for (const s of removed) {
    const stillWanted = target.shapes.some((t) => t.colour === s.colour && t.shape === s.shape && t.size === s.size && t.cell === s.cell);
    if (!stillWanted && detected.some((d) => matchesExactly(d, s))) notApplied.push(`old shape still present: ${describe(s)}`);
  }
  for (const s of unchanged) {
    const d = detected.find((x) => matchesExactly(x, s));
    const want = expectedCentre(s);
    if (d === undefined) notPreserved.push(`untouched shape lost: ${describe(s)}`);
    else if (Math.abs(d.centre.x - want.x) > JITTER_TOLERANCE_PX || Math.abs(d.centre.y - want.y) > JITTER_TOLERANCE_PX) {
      notPreserved.push(`untouched shape moved: ${describe(s)}`);
    }
  }
  if (detected.length !== target.shapes.length) notPreserved.push(`expected ${target.shapes.length} shapes, found ${detected.length}`);
  const bg = analysis.background;
  if (bg === null || Math.hypot(bg[0] - target.background[0], bg[1] - target.background[1], bg[2] - target.background[2]) > BACKGROUND_TOLERANCE) {
    notPreserved.push('background changed');
  }
  const applied = notApplied.length === 0;
  const preserved = notPreserved.length === 0;
  return { ok: applied && preserved, applied, preserved, details: { changed, removed, unchanged, detected, failures: [...notApplied, ...notPreserved] } };
}

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!]+$/, '')
    .replace(/^the /, '')
    .trim();
}

/** Understanding: exact match after normalising case, spacing, a trailing period and a leading "the". */
export function scoreAnswer(predicted: string, expected: string): boolean {
  return normalise(predicted) === normalise(expected);
}
