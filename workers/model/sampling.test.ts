import { describe, expect, it } from 'vitest';
import { createRequestRng, RNG_STREAM } from './prng.js';
import { applyProcessors, argmax, maskTokens, nucleus, sampleToken } from './sampling.js';

const fixed = (values: number[]) => {
  let i = 0;
  return { next: () => values[i++ % values.length] ?? 0, normal: () => 0 };
};

describe('sampling', () => {
  const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);

  it('greedy picks the largest logit, the lowest id on ties', () => {
    expect(argmax(Float32Array.from([1, 3, 3, 2]))).toBe(1);
    expect(sampleToken(Float32Array.from([0, 5, 1]), { temperature: 0, topP: 0.1 }, fixed([0.99]))).toBe(1);
  });

  it('top-p keeps the smallest most-probable set reaching p and renormalises', () => {
    const dist = nucleus(logits, { temperature: 1, topP: 0.8 });
    expect(dist.map((d) => d.id)).toEqual([0, 1]);
    expect(dist[0]?.p).toBeCloseTo(0.625, 6);
    expect(dist[1]?.p).toBeCloseTo(0.375, 6);
    expect(nucleus(logits, { temperature: 1, topP: 0.81 }).map((d) => d.id)).toEqual([0, 1, 2]);
    expect(nucleus(logits, { temperature: 1, topP: 1 }).map((d) => d.id)).toEqual([0, 1, 2, 3]);
  });

  it('temperature sharpens the distribution', () => {
    const [top] = nucleus(Float32Array.from([Math.log(0.6), Math.log(0.4)]), { temperature: 0.5, topP: 1 });
    // softmax(2·log p) = p² / Σp² = 0.36 / 0.52
    expect(top?.p).toBeCloseTo(0.36 / 0.52, 6);
  });

  it('draws from the nucleus by the uniform value', () => {
    const params = { temperature: 1, topP: 0.8 };
    expect(sampleToken(logits, params, fixed([0.6]))).toBe(0);
    expect(sampleToken(logits, params, fixed([0.63]))).toBe(1);
    expect(sampleToken(logits, params, fixed([0.9999]))).toBe(1);
  });

  it('masked tokens are never drawn', () => {
    const masked = applyProcessors(Float32Array.from(logits), [maskTokens([0, 1])]);
    expect(masked[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(argmax(masked)).toBe(2);
    const rng = createRequestRng(3, RNG_STREAM.sampling);
    for (let i = 0; i < 200; i += 1) expect([2, 3]).toContain(sampleToken(masked, { temperature: 1, topP: 1 }, rng));
  });

  it('the same seed gives the same draws', () => {
    const draw = (seed: number) => {
      const rng = createRequestRng(seed, RNG_STREAM.sampling);
      return Array.from({ length: 50 }, () => sampleToken(logits, { temperature: 1, topP: 1 }, rng));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });
});
