import { describe, expect, it } from 'vitest';
import { BACKGROUNDS } from './config.js';
import { backgroundTv, nearestBackground, promptDiversity, summariseDiversity, worldDiversity, WORLD_JITTER_STD } from './diversity.js';
import { renderScene } from './render.js';
import { createWorldRng } from './rng.js';
import type { Scene } from './scene.js';

const scene: Scene = {
  background: [28, 28, 28],
  shapes: [
    { shape: 'circle', colour: 'red', size: 'large', cell: 4, dx: 0, dy: 0 },
    { shape: 'square', colour: 'blue', size: 'small', cell: 0, dx: 1, dy: -1 },
  ],
};

describe('diversity', () => {
  it('measures the total variation distance to the uniform six shades', () => {
    expect(backgroundTv([0, 1, 2, 3, 4, 5])).toBe(0);
    expect(backgroundTv([3, 3, 3, 3])).toBeCloseTo(5 / 6, 12);
    expect(backgroundTv([0, 0, 1, 1, 2, 2])).toBeCloseTo(0.5, 12);
  });

  it('reads each shade back as itself and an off-world mean as its nearest shade', () => {
    expect(BACKGROUNDS.map((b) => nearestBackground(b))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(nearestBackground([38, 33, 28])).toBe(5);
    expect(WORLD_JITTER_STD).toBeCloseTo(Math.SQRT2, 12);
  });

  it('scores one picture drawn 32 times as no diversity at all', () => {
    const image = renderScene(scene);
    const p = promptDiversity(
      scene,
      Array.from({ length: 32 }, () => image),
    );
    expect({ ...p, background_tv: null }).toEqual({ samples: 32, unreadable: 0, background_tv: null, jitter_std_ratios: [0, 0, 0, 0], distinct_pairs: 0, pairs: 496 });
    expect(p.background_tv).toBeCloseTo(5 / 6, 12);
    expect(summariseDiversity([p])).toEqual({
      prompts: 1,
      samples_per_prompt: 32,
      background_tv: 0.8333,
      jitter_std_ratio: 0,
      distinct_images: 0,
      unreadable: 0,
    });
  });

  it('reads the jitter and shades it was given', () => {
    const shifted = [-2, -1, 0, 1, 2].map((dx, i) =>
      renderScene({
        background: BACKGROUNDS[i]!,
        shapes: [{ ...scene.shapes[0]!, dx, dy: 0 }],
      }),
    );
    const p = promptDiversity({ ...scene, shapes: [scene.shapes[0]!] }, shifted);
    // dx -2..2: sample std sqrt(2.5); dy fixed: 0. Shades 0..4 once each out of five: |1/5 - 1/6| five times + 1/6.
    expect(p.jitter_std_ratios[0]).toBeCloseTo(Math.sqrt(2.5) / Math.SQRT2, 12);
    expect(p.jitter_std_ratios[1]).toBe(0);
    expect(p.background_tv).toBeCloseTo((5 * (1 / 5 - 1 / 6) + 1 / 6) / 2, 12);
    expect(p.distinct_pairs).toBe(10);
  });

  it("gives the world's own draws a jitter ratio near 1, every pair distinct and tv at its sampling-noise floor", () => {
    const world = worldDiversity([scene, { ...scene, shapes: [scene.shapes[1]!] }], 32, createWorldRng(7));
    expect(world.unreadable).toBe(0);
    expect(world.jitter_std_ratio).toBeGreaterThan(0.8);
    expect(world.jitter_std_ratio).toBeLessThan(1.2);
    expect(world.distinct_images).toBeGreaterThan(0.97);
    // the expected tv of 32 uniform draws over six shades is about 0.16
    expect(world.background_tv).toBeGreaterThan(0.05);
    expect(world.background_tv).toBeLessThan(0.3);
  });
});
