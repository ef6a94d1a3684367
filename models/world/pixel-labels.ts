// Per-pixel colour labels for the scorer. A decoder's soft edges mix a shape's colour with the background,
// so each pixel is unmixed: it takes the palette colour whose background→colour line passes closest to it,
// if it lies at least halfway along that line. Half coverage is where a blurred hard edge used to be, so
// shapes keep their rendered outline (and so their fill ratio and size) under blur.
import { COLOURS, COLOUR_THRESHOLD, PALETTE } from './config.js';
import type { RgbImage } from './render.js';

export const BACKGROUND_LABEL = -1;

/** How far (Euclidean RGB) a pixel may sit off the line between the background and its colour. */
const MIX_RESIDUAL = 60;
const MIN_COVERAGE = 0.5;

function median(histogram: Uint32Array, count: number): number {
  let seen = 0;
  for (let v = 0; v < histogram.length; v++) {
    seen += histogram[v] ?? 0;
    if (seen * 2 >= count) return v;
  }
  return 0;
}

const PALETTE_RGB = Float64Array.from(COLOURS.flatMap((c) => PALETTE[c]));

function nearestPalette(r: number, g: number, b: number, limit: number): number {
  let best = BACKGROUND_LABEL;
  let bestDistance = limit * limit;
  for (let k = 0; k < COLOURS.length; k++) {
    const d = (r - (PALETTE_RGB[k * 3] ?? 0)) ** 2 + (g - (PALETTE_RGB[k * 3 + 1] ?? 0)) ** 2 + (b - (PALETTE_RGB[k * 3 + 2] ?? 0)) ** 2;
    if (d <= bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best;
}

/** Per-channel median of the pixels far from every palette colour; null when every pixel is a shape. */
export function estimateBackground(image: RgbImage): [number, number, number] | null {
  const hist = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)] as const;
  let count = 0;
  for (let i = 0; i < image.width * image.height; i++) {
    const r = image.rgb[i * 3] ?? 0;
    const g = image.rgb[i * 3 + 1] ?? 0;
    const b = image.rgb[i * 3 + 2] ?? 0;
    if (nearestPalette(r, g, b, COLOUR_THRESHOLD) !== BACKGROUND_LABEL) continue;
    hist[0][r] = (hist[0][r] ?? 0) + 1;
    hist[1][g] = (hist[1][g] ?? 0) + 1;
    hist[2][b] = (hist[2][b] ?? 0) + 1;
    count++;
  }
  if (count === 0) return null;
  return [median(hist[0], count), median(hist[1], count), median(hist[2], count)];
}

export function labelPixels(image: RgbImage, background: readonly [number, number, number] | null): Int8Array {
  const n = image.width * image.height;
  const labels = new Int8Array(n).fill(BACKGROUND_LABEL);
  if (background === null) {
    for (let i = 0; i < n; i++) labels[i] = nearestPalette(image.rgb[i * 3] ?? 0, image.rgb[i * 3 + 1] ?? 0, image.rgb[i * 3 + 2] ?? 0, COLOUR_THRESHOLD);
    return labels;
  }
  const [br, bg, bb] = background;
  // Per colour: the direction from the background to it, and its squared length.
  const lines = new Float64Array(COLOURS.length * 4);
  for (let k = 0; k < COLOURS.length; k++) {
    const dr = (PALETTE_RGB[k * 3] ?? 0) - br;
    const dg = (PALETTE_RGB[k * 3 + 1] ?? 0) - bg;
    const db = (PALETTE_RGB[k * 3 + 2] ?? 0) - bb;
    lines.set([dr, dg, db, dr * dr + dg * dg + db * db], k * 4);
  }
  const limit = MIX_RESIDUAL * MIX_RESIDUAL;
  for (let i = 0; i < n; i++) {
    const r = (image.rgb[i * 3] ?? 0) - br;
    const g = (image.rgb[i * 3 + 1] ?? 0) - bg;
    const b = (image.rgb[i * 3 + 2] ?? 0) - bb;
    let best = BACKGROUND_LABEL;
    let bestResidual = limit;
    for (let k = 0; k < COLOURS.length; k++) {
      const dr = lines[k * 4] ?? 0;
      const dg = lines[k * 4 + 1] ?? 0;
      const db = lines[k * 4 + 2] ?? 0;
      const norm2 = lines[k * 4 + 3] ?? 0;
      if (norm2 === 0) continue;
      const alpha = Math.min(1, (r * dr + g * dg + b * db) / norm2);
      if (alpha < MIN_COVERAGE) continue;
      const residual = (r - alpha * dr) ** 2 + (g - alpha * dg) ** 2 + (b - alpha * db) ** 2;
      if (residual <= bestResidual) {
        bestResidual = residual;
        best = k;
      }
    }
    labels[i] = best;
  }
  return labels;
}
