// Multimodal rotary positions (M-RoPE) for Nexus-Gen's Qwen2.5-VL decoder: position_ids [3, T] (time, row,
// column). Follows transformers' modeling_qwen2_5_vl.py get_rope_index (images: time axis fixed, rows and columns
// of merged tokens) and Nexus-Gen's prepare_image_position_ids (the 81 predicted slots take an image's positions);
// models/nexus-gen/rope_index.py is the Python twin.
import type { GridThw } from './qwen-vision.js';

/** Positions of one image's merged tokens starting at `start`: 3 rows of length t·(h/m)·(w/m). */
export function imagePositions(start: number, grid: GridThw, merge: number): [number[], number[], number[]] {
  const [t, h, w] = grid;
  const lh = h / merge;
  const lw = w / merge;
  const axes: [number[], number[], number[]] = [[], [], []];
  for (let f = 0; f < t; f += 1) {
    for (let r = 0; r < lh; r += 1) {
      for (let c = 0; c < lw; c += 1) {
        axes[0].push(start);
        axes[1].push(start + r);
        axes[2].push(start + c);
      }
    }
  }
  return axes;
}

/** Positions for a prompt of `length` tokens with image spans; `next` is where the following token goes. */
export function ropeIndex(
  length: number,
  spans: readonly { start: number; grid: GridThw }[],
  merge: number,
): { positions: [number[], number[], number[]]; next: number } {
  const positions: [number[], number[], number[]] = [[], [], []];
  let at = 0;
  let next = 0;
  const text = (n: number): void => {
    for (let k = 0; k < n; k += 1) for (const axis of positions) axis.push(next + k);
    next += n;
  };
  for (const span of spans) {
    text(span.start - at);
    const img = imagePositions(next, span.grid, merge);
    positions[0].push(...img[0]);
    positions[1].push(...img[1]);
    positions[2].push(...img[2]);
    at = span.start + (img[0]?.length ?? 0);
    next = Math.max(...img[1], ...img[2]) + 1;
  }
  text(length - at);
  return { positions, next };
}
