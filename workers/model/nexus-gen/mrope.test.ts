import { describe, expect, it } from 'vitest';
import { imagePositions, ropeIndex } from './mrope.js';

describe('M-RoPE positions', () => {
  it('counts text on all axes and lays an image out by merged rows and columns', () => {
    // 2 text tokens, a 4x6-patch image (2x3 merged tokens), 2 text tokens.
    const { positions, next } = ropeIndex(10, [{ start: 2, grid: [1, 4, 6] }], 2);
    expect(positions[0]).toEqual([0, 1, 2, 2, 2, 2, 2, 2, 5, 6]);
    expect(positions[1]).toEqual([0, 1, 2, 2, 2, 3, 3, 3, 5, 6]);
    expect(positions[2]).toEqual([0, 1, 2, 3, 4, 2, 3, 4, 5, 6]);
    expect(next).toBe(7);
  });

  it('places the 81 prefill slots of a 1x18x18 grid on a 9x9 lattice', () => {
    const [t, r, c] = imagePositions(10, [1, 18, 18], 2);
    expect(t.length).toBe(81);
    expect(new Set(t)).toEqual(new Set([10]));
    expect([r[0], c[0], r[80], c[80], r[9], c[9]]).toEqual([10, 10, 18, 18, 11, 10]);
  });
});
