import { describe, expect, it } from 'vitest';
import { patchify, smartResize, visionInputs, type QwenVisionSpec } from './qwen-vision.js';

const spec: QwenVisionSpec = {
  patch_size: 14,
  temporal_patch_size: 2,
  spatial_merge_size: 2,
  window_size: 112,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  min_pixels: 3136,
  max_pixels: 1003520,
};

describe('Qwen2.5-VL preprocessing', () => {
  it('resizes to multiples of 28 within the pixel budget', () => {
    expect(smartResize(252, 252, 28, 3136, 1003520)).toEqual([252, 252]);
    expect(smartResize(500, 375, 28, 3136, 1003520)).toEqual([504, 364]);
    expect(smartResize(4000, 3000, 28, 3136, 1003520)).toEqual([1148, 840]);
  });

  it('orders patches by 2x2 merge unit with channels, then frames, then pixels', () => {
    const rgb = new Uint8Array(28 * 56 * 3);
    rgb[(14 * 56 + 28) * 3 + 1] = 255; // green at row 14, column 28: unit 1, sub-patch (1, 0) → patch 6
    const { patches, grid } = patchify({ rgb, width: 56, height: 28 }, spec);
    expect(grid).toEqual([1, 2, 4]);
    const per = 3 * 2 * 14 * 14;
    const green = Math.fround(Math.fround(Math.fround(1) - Math.fround(0.4578275)) / Math.fround(0.26130258));
    expect(patches[6 * per + 1 * 2 * 196]).toBe(green);
    expect(patches[6 * per + 1 * 2 * 196 + 196]).toBe(green); // the repeated frame
  });

  it('groups merge units into 4x4 windows and inverts the permutation', () => {
    const vi = visionInputs([[1, 18, 18]], spec);
    expect(vi.windowIndex.slice(0, 6)).toEqual([0, 1, 2, 3, 9, 10]);
    expect(new Set(vi.windowSegments).size).toBe(9);
    expect(vi.windowSegments.length).toBe(324);
    vi.windowIndex.forEach((u, i) => expect(vi.reverseIndex[u]).toBe(i));
  });
});
