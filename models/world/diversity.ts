// Diversity of a sampler over seeds, read with the world's own readers. A caption never states the background
// shade (one of six) or a shape's jitter (±JITTER_PX in x and y), so the images a generative model draws for one
// prompt under different seeds should spread over them as the world does. Per prompt (its intended scene and
// the images drawn for it):
// - background_tv: total variation distance between the read background shades (nearest of BACKGROUNDS) and the
//   uniform six; 0 is a perfect match, 5/6 is one shade every time. With 32 draws even the world itself scores
//   about 0.16 (sampling noise): `worldDiversity` gives that reference.
// - jitter_std_ratio: std over seeds of each intended shape's read offset (dx and dy apart, shapes matched by
//   cell) divided by the world's jitter std, sqrt(((2J+1)^2 - 1) / 12); 0 is a fixed position, 1 the world's.
// - distinct_images: the fraction of pairs of images that differ in at least DISTINCT_PIXELS pixels by at least
//   DISTINCT_LEVELS in some channel (a 1 px move of a small shape changes ~10 pixels, another shade all of the
//   background; float noise on one regressed picture changes pixels by a level or two).
import { BACKGROUNDS, JITTER_PX } from './config.js';
import { readScene } from './read-scene.js';
import { renderScene, type RgbImage } from './render.js';
import type { Rng } from './rng.js';
import type { Scene } from './scene.js';
import { randomJitter } from './scene.js';

/** The std of the world's jitter along one axis: a uniform integer in [-J, J]. */
export const WORLD_JITTER_STD = Math.sqrt(((2 * JITTER_PX + 1) ** 2 - 1) / 12);
/** A pixel differs when one of its channels differs by at least this many levels (0..255). */
export const DISTINCT_LEVELS = 8;
/** Two images differ when at least this many pixels do. */
export const DISTINCT_PIXELS = 8;

export interface PromptDiversity {
  /** Images drawn, readable or not. */
  samples: number;
  /** Images whose scene `readScene` could not read (no background, or a shape of unknown kind). */
  unreadable: number;
  /** Over the readable images; null when none. */
  background_tv: number | null;
  /** One ratio per intended shape and axis with at least two readings. */
  jitter_std_ratios: number[];
  distinct_pairs: number;
  pairs: number;
}

export interface DiversityFigures {
  prompts: number;
  samples_per_prompt: number;
  /** Mean over prompts. */
  background_tv: number;
  /** Mean over every (prompt, shape, axis). */
  jitter_std_ratio: number;
  /** Over all pairs of all prompts. */
  distinct_images: number;
  /** Fraction of images that could not be read. */
  unreadable: number;
}

/** Index in BACKGROUNDS of the shade nearest (Euclidean RGB) to `rgb`. */
export function nearestBackground(rgb: readonly [number, number, number]): number {
  let best = 0;
  let bestDistance = Infinity;
  for (const [i, shade] of BACKGROUNDS.entries()) {
    const d = (shade[0] - rgb[0]) ** 2 + (shade[1] - rgb[1]) ** 2 + (shade[2] - rgb[2]) ** 2;
    if (d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  }
  return best;
}

/** Total variation distance between the empirical distribution of `shades` (indices) and the uniform one. */
export function backgroundTv(shades: readonly number[]): number {
  const counts = new Array<number>(BACKGROUNDS.length).fill(0);
  for (const s of shades) counts[s] = (counts[s] ?? 0) + 1;
  const uniform = 1 / BACKGROUNDS.length;
  return counts.reduce((sum, c) => sum + Math.abs(c / shades.length - uniform), 0) / 2;
}

/** Sample standard deviation (n - 1); null for fewer than two values. */
function sampleStd(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
}

function differ(a: RgbImage, b: RgbImage): boolean {
  if (a.rgb.length !== b.rgb.length) return true;
  let pixels = 0;
  for (let i = 0; i < a.rgb.length; i += 3) {
    let channel = 0;
    for (let c = 0; c < 3; c++) channel = Math.max(channel, Math.abs((a.rgb[i + c] ?? 0) - (b.rgb[i + c] ?? 0)));
    if (channel >= DISTINCT_LEVELS) pixels += 1;
    if (pixels >= DISTINCT_PIXELS) return true;
  }
  return false;
}

/** The diversity of `images`, all drawn for one prompt whose intended scene is `scene`. */
export function promptDiversity(scene: Scene, images: readonly RgbImage[]): PromptDiversity {
  const read = images.map((image) => readScene(image));
  const readable = read.filter((s): s is Scene => s !== null);
  const ratios: number[] = [];
  for (const shape of scene.shapes) {
    const found = readable.map((s) => s.shapes.find((r) => r.cell === shape.cell)).filter((r) => r !== undefined);
    for (const axis of ['dx', 'dy'] as const) {
      const std = sampleStd(found.map((r) => r[axis]));
      if (std !== null) ratios.push(std / WORLD_JITTER_STD);
    }
  }
  let distinct = 0;
  let pairs = 0;
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      pairs += 1;
      if (differ(images[i]!, images[j]!)) distinct += 1;
    }
  }
  return {
    samples: images.length,
    unreadable: images.length - readable.length,
    background_tv: readable.length === 0 ? null : backgroundTv(readable.map((s) => nearestBackground(s.background))),
    jitter_std_ratios: ratios,
    distinct_pairs: distinct,
    pairs,
  };
}

const round4 = (x: number): number => Number(x.toFixed(4));

export function summariseDiversity(prompts: readonly PromptDiversity[]): DiversityFigures {
  const tvs = prompts.map((p) => p.background_tv).filter((v): v is number => v !== null);
  const ratios = prompts.flatMap((p) => p.jitter_std_ratios);
  const samples = prompts.reduce((a, p) => a + p.samples, 0);
  const pairs = prompts.reduce((a, p) => a + p.pairs, 0);
  const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    prompts: prompts.length,
    samples_per_prompt: prompts.length === 0 ? 0 : samples / prompts.length,
    background_tv: round4(mean(tvs)),
    jitter_std_ratio: round4(mean(ratios)),
    distinct_images: round4(pairs === 0 ? NaN : prompts.reduce((a, p) => a + p.distinct_pairs, 0) / pairs),
    unreadable: round4(samples === 0 ? NaN : prompts.reduce((a, p) => a + p.unreadable, 0) / samples),
  };
}

/** The world's own figures for the same prompts: each scene redrawn `samples` times with a fresh background and
 * fresh jitter (what the captions leave open), rendered and read like a model's images. The reference a perfect
 * sampler would score at this many samples. */
export function worldDiversity(scenes: readonly Scene[], samples: number, rng: Rng): DiversityFigures {
  return summariseDiversity(
    scenes.map((scene) => {
      const images = Array.from({ length: samples }, () =>
        renderScene({
          background: rng.pick(BACKGROUNDS),
          shapes: scene.shapes.map((s) => ({ ...s, ...randomJitter(rng) })),
        }),
      );
      return promptDiversity(scene, images);
    }),
  );
}
