// Pixel analysis: what shapes an image shows. Tolerates a model's imperfect pixels: soft edges are unmixed
// against the background (pixel-labels.ts), and small specks are ignored.
import { CELL_PX, COLOURS, GRID, MIN_COMPONENT_PX, SIZE_SPLIT_PX, type ColourName, type ShapeKind, type SizeClass } from './config.js';
import { BACKGROUND_LABEL, estimateBackground, labelPixels } from './pixel-labels.js';
import type { RgbImage } from './render.js';

export interface DetectedShape {
  colour: ColourName;
  shape: ShapeKind | 'unknown';
  size: SizeClass;
  cell: number;
  area: number;
  /** Inclusive bounding box. */
  box: { x0: number; y0: number; x1: number; y1: number };
  /** Bounding-box centre, the point the renderer places at cell centre + jitter. */
  centre: { x: number; y: number };
  fill: number;
}

export interface Analysis {
  shapes: DetectedShape[];
  /** Median colour of the pixels that match no palette colour; null when there are none. */
  background: [number, number, number] | null;
}

const BACKGROUND = BACKGROUND_LABEL;

function colourOf(label: number): ColourName {
  const colour = COLOURS[label];
  if (colour === undefined) throw new RangeError(`no palette colour ${label}`);
  return colour;
}

/**
 * Triangles (apex up) are narrow at the top; circles and squares are as wide at the top as at the bottom.
 * A circle fills about π/4 of its box (0.80–0.81 as rendered), a square all of it.
 */
function classify(rowWidths: number[], fill: number, aspect: number): ShapeKind | 'unknown' {
  if (aspect < 0.6 || aspect > 1 / 0.6) return 'unknown';
  const quarter = Math.max(1, Math.floor(rowWidths.length / 4));
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const taper = mean(rowWidths.slice(0, quarter)) / Math.max(1, mean(rowWidths.slice(-quarter)));
  if (taper < 0.55) return 'triangle';
  return fill >= 0.89 ? 'square' : 'circle';
}

export function analyseImage(image: RgbImage): Analysis {
  const { width, height } = image;
  const background = estimateBackground(image);
  const labels = labelPixels(image, background);
  const seen = new Uint8Array(labels.length);
  const stack = new Int32Array(labels.length);
  const shapes: DetectedShape[] = [];
  for (let start = 0; start < labels.length; start++) {
    const label = labels[start] ?? BACKGROUND;
    if (label === BACKGROUND || seen[start]) continue;
    // Flood fill with 4-connectivity: shapes in neighbouring cells are at least one pixel apart.
    const pixels: number[] = [];
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const p = stack[--top] ?? 0;
      pixels.push(p);
      const x = p % width;
      const y = (p - x) / width;
      const neighbours = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1];
      for (const q of neighbours) {
        if (q >= 0 && !seen[q] && labels[q] === label) {
          seen[q] = 1;
          stack[top++] = q;
        }
      }
    }
    if (pixels.length < MIN_COMPONENT_PX) continue;
    let x0 = width,
      y0 = height,
      x1 = 0,
      y1 = 0;
    for (const p of pixels) {
      const x = p % width;
      const y = (p - x) / width;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
    const rows = new Int32Array(y1 - y0 + 1);
    for (const p of pixels) {
      const r = Math.floor(p / width) - y0;
      rows[r] = (rows[r] ?? 0) + 1;
    }
    const rowWidths = Array.from(rows);
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const fill = pixels.length / (w * h);
    const centre = { x: (x0 + x1) / 2, y: (y0 + y1) / 2 };
    const col = Math.min(GRID - 1, Math.max(0, Math.floor((centre.x + 0.5) / CELL_PX)));
    const row = Math.min(GRID - 1, Math.max(0, Math.floor((centre.y + 0.5) / CELL_PX)));
    shapes.push({
      colour: colourOf(label),
      shape: classify(rowWidths, fill, w / h),
      size: Math.max(w, h) >= SIZE_SPLIT_PX ? 'large' : 'small',
      cell: row * GRID + col,
      area: pixels.length,
      box: { x0, y0, x1, y1 },
      centre,
      fill,
    });
  }
  return { shapes, background };
}
