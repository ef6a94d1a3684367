import { describe, expect, it } from 'vitest';
import { createWorldRng, deriveSeed } from './rng.js';
import { sampleTask, type TaskKind } from './tasks.js';

/** What makes two records the same example: kind, every text part, and the scenes. */
function exampleKey(seed: number, index: number, kind: TaskKind): string {
  const task = sampleTask(createWorldRng(deriveSeed(seed, index)), kind);
  const texts = task.messages.map((m) => m.content.map((p) => (p.type === 'text' ? p.text : `<image ${p.image}>`)));
  return JSON.stringify([kind, texts, task.scene, task.targetScene]);
}

describe('deriveSeed', () => {
  it('gives every (seed, index) its own stream: a training split and a held-out split share no record seed', () => {
    const train = new Set(Array.from({ length: 120_000 }, (_, i) => deriveSeed(1, i)));
    expect(train.size).toBe(120_000);
    const shared = Array.from({ length: 3000 }, (_, j) => deriveSeed(2, j)).filter((s) => train.has(s));
    expect(shared).toEqual([]);
  });

  it('makes the held-out split (seed 2) examples that the training split (seed 1) does not contain', () => {
    // The earlier derivation (seed XOR index through one multiply) failed this with 3000 of 3000 in common.
    for (const kind of ['editing', 'understanding'] as const) {
      const train = new Set(Array.from({ length: 20_000 }, (_, i) => exampleKey(1, i, kind)));
      const common = Array.from({ length: 1000 }, (_, j) => exampleKey(2, j, kind)).filter((k) => train.has(k));
      expect(common.length, kind).toBeLessThanOrEqual(2); // chance repeats of a tiny scene only
    }
  });

  it('is a pure function of its arguments, and neighbouring seeds or indices do not collide', () => {
    expect(deriveSeed(1, 0)).toBe(deriveSeed(1, 0));
    const near = new Set<number>();
    for (let s = 0; s < 64; s++) for (let i = 0; i < 64; i++) near.add(deriveSeed(s, i));
    expect(near.size).toBe(64 * 64);
  });
});
