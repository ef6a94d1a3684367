// The price function's promises to customers: integer micro-dollars, never negative, and more work never
// costs less (monotone in images, steps, pixels and tokens); plus exact prices from the published table.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRICE_TABLE, type ModelPrice } from './price-table.js';
import { modelPrice, priceMicros, quote, type Billable } from './pricing.js';

const tier = fc.record({ maxPixels: fc.integer({ min: 1, max: 4_000_000 }), perImageMicros: fc.nat(100_000), perStepMicros: fc.nat(10_000) });
const price: fc.Arbitrary<ModelPrice> = fc.record({
  imageTiers: fc.array(tier, { minLength: 1, maxLength: 4 }).map((tiers) => {
    // Tiers ascend in size and price, as a price list must (a bigger image never costs less).
    const sorted = [...tiers].sort((a, b) => a.maxPixels - b.maxPixels);
    let image = 0;
    let step = 0;
    return sorted.map((t) => ({ ...t, perImageMicros: (image = Math.max(image, t.perImageMicros)), perStepMicros: (step = Math.max(step, t.perStepMicros)) }));
  }),
  defaultSteps: fc.integer({ min: 1, max: 100 }),
  defaultPixels: fc.integer({ min: 1, max: 4_000_000 }),
  inputTokensPer1kMicros: fc.nat(10_000),
  outputTokensPer1kMicros: fc.nat(10_000),
  inputTokenBound: fc.record({ perConversation: fc.nat(40), perMessage: fc.nat(10), perImage: fc.nat(400), perTextChar: fc.nat(2) }),
});
const usage: fc.Arbitrary<Billable> = fc.record({
  images: fc.nat(8),
  pixels: fc.nat(4_000_000),
  steps: fc.nat(100),
  inputTokens: fc.nat(100_000),
  outputTokens: fc.nat(10_000),
});
const FIELDS = ['images', 'pixels', 'steps', 'inputTokens', 'outputTokens'] as const;

describe('priceMicros', () => {
  it('is a non-negative integer for any usage within the request limits, including fractions, negatives and NaN', () => {
    // Odd values of each field, sized to what a request can reach (images and steps are at most 4 × 100 per job; a
    // million of each overflows any float price, which no job can ask for).
    const odd = (max: number) => fc.oneof(fc.double({ min: -max, max }), fc.integer({ min: -max, max }), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY));
    fc.assert(
      fc.property(price, fc.record({ images: odd(1e3), pixels: odd(1e6), steps: odd(1e3), inputTokens: odd(1e6), outputTokens: odd(1e6) }), (p, u) => {
        const micros = priceMicros(p, u);
        expect(Number.isSafeInteger(micros)).toBe(true);
        expect(micros).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('never decreases when any one of images, pixels, steps or tokens grows', () => {
    fc.assert(
      fc.property(price, usage, fc.constantFrom(...FIELDS), fc.integer({ min: 1, max: 1000 }), (p, u, field, more) => {
        expect(priceMicros(p, { ...u, [field]: u[field] + more })).toBeGreaterThanOrEqual(priceMicros(p, u));
      }),
      { numRuns: 3000 },
    );
  });

  it('is exactly linear in images: n images cost n times one', () => {
    fc.assert(
      fc.property(price, usage, fc.integer({ min: 1, max: 8 }), (p, u, n) => {
        const imagesOnly = { ...u, inputTokens: 0, outputTokens: 0 };
        expect(priceMicros(p, { ...imagesOnly, images: n })).toBe(n * priceMicros(p, { ...imagesOnly, images: 1 }));
      }),
    );
  });
});

describe('the published table', () => {
  const mini = modelPrice('nexus-mini');

  it('prices a nexus-mini picture at 10 steps at $0.003, and tokens per started thousand micros', () => {
    expect(mini).not.toBeNull();
    if (mini === null) return;
    // 2,000 per image + 10 × 100 per step; 41 input tokens × 100/1k = 4.1 → 5; 9 output tokens × 400/1k = 3.6 → 4.
    expect(priceMicros(mini, { images: 1, pixels: 4096, steps: 10, inputTokens: 41, outputTokens: 9 })).toBe(3_009);
    expect(priceMicros(mini, { images: 4, pixels: 4096, steps: 100, inputTokens: 0, outputTokens: 0 })).toBe(48_000);
    expect(priceMicros(mini, { images: 0, pixels: 0, steps: 10, inputTokens: 1000, outputTokens: 1000 })).toBe(500);
  });

  it('gives one price to a model name with or without its version, and none to an unknown model', () => {
    const u = { images: 1, pixels: 4096, steps: 10, inputTokens: 0, outputTokens: 0 };
    expect(quote('nexus-mini@1.2.0', u)).toEqual({ costUsdMicros: 3_000, priceVersion: PRICE_TABLE.version });
    expect(quote('nexus-mini', u)).toEqual({ costUsdMicros: 3_000, priceVersion: PRICE_TABLE.version });
    expect(quote('nexus-max', u)).toBeNull();
    expect(quote('constructor', u)).toBeNull();
  });
});
