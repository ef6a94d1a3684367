// Scenes: what an image shows. Wire JSON and TypeScript coincide here (all field names are one word).
import {
  BACKGROUNDS,
  CELL_CENTRES,
  COLOURS,
  GRID,
  JITTER_PX,
  MAX_SHAPES,
  POSITIONS,
  SHAPES,
  SIZES,
  SIZE_PX,
  type ColourName,
  type PositionName,
  type Rgb,
  type ShapeKind,
  type SizeClass,
} from './config.js';
import type { Rng } from './rng.js';

export interface SceneShape {
  shape: ShapeKind;
  colour: ColourName;
  size: SizeClass;
  /** Row-major cell index 0..8. */
  cell: number;
  /** Jitter inside the cell, never stated by captions. */
  dx: number;
  dy: number;
}

export interface Scene {
  background: Rgb;
  shapes: SceneShape[];
}

export function positionOf(cell: number): PositionName {
  const name = POSITIONS[cell];
  if (name === undefined) throw new RangeError(`cell ${cell} is outside the 3×3 grid`);
  return name;
}

/** Inclusive pixel bounding box where the renderer draws a shape. */
export function shapeBox(s: SceneShape): { x0: number; y0: number; side: number } {
  const side = SIZE_PX[s.size];
  const cx = (CELL_CENTRES[s.cell % GRID] ?? 0) + s.dx;
  const cy = (CELL_CENTRES[Math.floor(s.cell / GRID)] ?? 0) + s.dy;
  const half = Math.floor(side / 2);
  return { x0: cx - half, y0: cy - half, side };
}

export function randomJitter(rng: Rng): { dx: number; dy: number } {
  return { dx: rng.range(-JITTER_PX, JITTER_PX), dy: rng.range(-JITTER_PX, JITTER_PX) };
}

export function randomShape(rng: Rng, cell: number): SceneShape {
  return { shape: rng.pick(SHAPES), colour: rng.pick(COLOURS), size: rng.pick(SIZES), cell, ...randomJitter(rng) };
}

export function randomScene(rng: Rng, count?: number): Scene {
  const n = count ?? rng.range(1, MAX_SHAPES);
  const cells = rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8]).slice(0, n);
  return { background: rng.pick(BACKGROUNDS), shapes: cells.map((cell) => randomShape(rng, cell)) };
}

export function freeCells(scene: Scene): number[] {
  const used = new Set(scene.shapes.map((s) => s.cell));
  return [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((c) => !used.has(c));
}

/** Shapes in reading order (by cell), the order descriptions use. */
export function sortedShapes(scene: Scene): SceneShape[] {
  return [...scene.shapes].sort((a, b) => a.cell - b.cell);
}

export function sameShape(a: SceneShape, b: SceneShape): boolean {
  return a.shape === b.shape && a.colour === b.colour && a.size === b.size && a.cell === b.cell && a.dx === b.dx && a.dy === b.dy;
}
