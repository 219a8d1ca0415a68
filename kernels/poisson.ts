/**
 * Kernel `poisson.counts`: Poisson event counts per (stream, neuron, step) from a
 * counter-based generator, so a draw depends only on its key — never on thread
 * order, backend or the number of workers (Salmon et al. 2011 call such generators
 * "counter-based"; this one is a murmur3-style mix of the key words, 32-bit only so
 * that WGSL's u32 arithmetic computes the same bits).
 *
 * The count is drawn by inversion of the Poisson CDF with float32 arithmetic (the
 * same on every backend): u ∈ (0, 1) from the top 24 bits of the hash, k = the
 * smallest k with u ≤ F(k). λ = rate·dt is small (≤ 0.1 for 1 kHz at 0.1 ms), so
 * the loop ends after one or two terms; it stops at k = 64.
 */

import { hashString, mix32, streamKey } from '../src/util/rng.js';

const f = Math.fround;

/** Stream key of a Poisson stimulus (the run seed and the stimulus label), on every backend. */
export function poissonStimulusKey(seed: number, label: string): number {
  return streamKey(seed, hashString('poisson-stimulus'), hashString(label));
}

/** Stream key of a Poisson source population. */
export function poissonSourceKey(seed: number, label: string): number {
  return streamKey(seed, hashString('poisson-source'), hashString(label));
}

/** The 32-bit hash of (key, neuron, step): key = stream key of the run seed and the stimulus. */
export function counterHash(key: number, neuron: number, step: number): number {
  let h = mix32((key ^ Math.imul(neuron >>> 0, 0x9e3779b1)) >>> 0);
  h = mix32((h ^ Math.imul(step >>> 0, 0x85ebca77)) >>> 0);
  return h;
}

/** Uniform in (0, 1), float32: (top 24 bits + 0.5) / 2^24. */
export function uniform24(h: number): number {
  return f(((h >>> 8) + 0.5) / 16777216);
}

/** exp(−λ) as float32, computed once per stream (the inversion's first term). */
export function poissonP0(lambda: number): number {
  return f(Math.exp(-lambda));
}

/** Poisson(λ) count for uniform u, by inversion in float32 arithmetic. */
export function poissonCount(u: number, lambda: number, p0: number): number {
  let k = 0;
  let p = p0;
  let cdf = p0;
  while (u > cdf && k < 64) {
    k++;
    p = f(f(p * lambda) / k);
    cdf = f(cdf + p);
  }
  return k;
}
