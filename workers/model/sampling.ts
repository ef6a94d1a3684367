// Logits processors and the token sampler: greedy, temperature and top-p (nucleus) from a seeded generator.
import type { Rng } from './prng.js';

/** Mutates a logits row in place (e.g. masks tokens by setting them to -Infinity). */
export type LogitsProcessor = (logits: Float32Array) => void;

export function maskTokens(ids: readonly number[]): LogitsProcessor {
  return (logits) => {
    for (const id of ids) if (id >= 0 && id < logits.length) logits[id] = Number.NEGATIVE_INFINITY;
  };
}

export function applyProcessors(logits: Float32Array, processors: readonly LogitsProcessor[]): Float32Array {
  for (const p of processors) p(logits);
  return logits;
}

export interface SamplingParams {
  temperature: number;
  topP: number;
}

/** Lowest index wins ties, so greedy decoding does not depend on sort stability. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i += 1) {
    const v = logits[i] ?? Number.NEGATIVE_INFINITY;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * The distribution sampling draws from: softmax(logits / temperature), restricted to the smallest set of
 * most probable tokens whose mass reaches topP, renormalised. Returned as (id, probability) pairs, most
 * probable first (ties by lower id).
 */
export function nucleus(logits: Float32Array, params: SamplingParams): { id: number; p: number }[] {
  const max = logits[argmax(logits)] ?? 0;
  const weights: { id: number; p: number }[] = [];
  let total = 0;
  for (let i = 0; i < logits.length; i += 1) {
    const v = logits[i] ?? Number.NEGATIVE_INFINITY;
    if (v === Number.NEGATIVE_INFINITY) continue;
    const w = Math.exp((v - max) / params.temperature);
    total += w;
    weights.push({ id: i, p: w });
  }
  weights.sort((x, y) => y.p - x.p || x.id - y.id);
  const kept: { id: number; p: number }[] = [];
  let mass = 0;
  for (const entry of weights) {
    const p = entry.p / total;
    kept.push({ id: entry.id, p });
    mass += p;
    // A small tolerance so top_p = 1 keeps everything despite rounding in the sum.
    if (mass >= params.topP - 1e-12) break;
  }
  return kept.map((e) => ({ id: e.id, p: e.p / mass }));
}

export function sampleToken(logits: Float32Array, params: SamplingParams, rng: Rng): number {
  if (params.temperature <= 0) return argmax(logits);
  const dist = nucleus(logits, params);
  const u = rng.next();
  let acc = 0;
  for (const entry of dist) {
    acc += entry.p;
    if (u < acc) return entry.id;
  }
  // Rounding can leave acc a hair under 1; the last kept token takes the remainder.
  const last = dist[dist.length - 1];
  return last === undefined ? argmax(logits) : last.id;
}
