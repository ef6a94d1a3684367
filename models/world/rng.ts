// A small seeded PRNG (mulberry32) so a dataset is a pure function of its seed, on every machine.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
}

export function createWorldRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[int(items.length)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
    shuffle<T>(items: readonly T[]): T[] {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const a = out[i] as T;
        out[i] = out[j] as T;
        out[j] = a;
      }
      return out;
    },
  };
}

/** murmur3's 32-bit finaliser: every input bit flips each output bit with probability ~1/2. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Derives an independent stream per record, so record i does not depend on how many draws record i-1 made.
 * Seed and index are each mixed on their own before they meet: a weaker version (seed XOR index through one
 * multiply) made dataset (seed 2, i) equal dataset (seed 1, j) for some |i - j| <= 3, so the "held-out" split was
 * a copy of the training split (models/world/rng.test.ts checks that splits are disjoint).
 */
export function deriveSeed(seed: number, index: number): number {
  return mix32(mix32(seed ^ 0x9e3779b9) ^ mix32(Math.imul(index + 1, 0x85ebca6b) ^ 0x27d4eb2f));
}
