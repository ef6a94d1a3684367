import { describe, expect, it } from 'vitest';
import { createWorldRng, deriveSeed, randomScene, renderScene } from './index.js';
import { readScene } from './read-scene.js';

describe('readScene', () => {
  it('reads every rendered scene back exactly: shapes, cells, jitter and background', () => {
    for (let i = 0; i < 300; i += 1) {
      const scene = randomScene(createWorldRng(deriveSeed(91, i)));
      const expected = { ...scene, shapes: [...scene.shapes].sort((a, b) => a.cell - b.cell) };
      expect(readScene(renderScene(scene))).toEqual(expected);
    }
  });

  it('sees a moved shape as moved (jitter is read, not assumed)', () => {
    const scene = {
      background: [40, 40, 40] as [number, number, number],
      shapes: [{ shape: 'square' as const, colour: 'red' as const, size: 'large' as const, cell: 4, dx: 2, dy: -1 }],
    };
    expect(readScene(renderScene(scene))?.shapes[0]).toMatchObject({ cell: 4, dx: 2, dy: -1 });
    expect(readScene(renderScene({ ...scene, shapes: [{ ...scene.shapes[0]!, dx: -2 }] }))?.shapes[0]).toMatchObject({ dx: -2, dy: -1 });
  });
});
