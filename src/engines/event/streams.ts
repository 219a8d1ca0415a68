/**
 * Many Poisson streams with the clock engine's exact numbers, without objects.
 *
 * The clock engine draws each Poisson stimulus target's and source neuron's
 * inter-spike intervals from its own `Rng` (xoshiro128**, seeded by splitmix32 from
 * `streamKey(seed, hash(purpose), hash(label), index)`, src/util/rng.ts). The event
 * engine keeps the same generators, but their 128-bit states packed four words
 * per stream in one Int32Array, so a draw allocates nothing (the class keeps its
 * state in object fields that V8 may box). test/event-engine.test.ts checks that
 * both produce the same numbers.
 */
import { hashString, streamKey } from '../../util/rng.js';

export class StreamSet {
  readonly state: Int32Array;

  constructor(count: number) {
    this.state = new Int32Array(4 * Math.max(1, count));
  }

  /** Seeds stream q as `Rng.stream(seed, purpose, label, index)` does. */
  seed(q: number, seed: number, purpose: string, label: string, index: number): void {
    this.seedHashed(q, seed, hashString(purpose), hashString(label), index);
  }

  /** `seed` with the purpose and label already hashed (`hashString`). */
  seedHashed(q: number, seed: number, purposeHash: number, labelHash: number, index: number): void {
    let s = streamKey(seed, purposeHash, labelHash, index) >>> 0;
    const st = this.state;
    for (let w = 0; w < 4; w++) {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      z = (z ^ (z >>> 16)) >>> 0;
      st[4 * q + w] = w === 3 ? z | 1 : z;
    }
  }

  /** Next 32-bit output of stream q (xoshiro128**), as an unsigned number. */
  nextU32(q: number): number {
    const st = this.state;
    const o = 4 * q;
    let a = st[o]!;
    let b = st[o + 1]!;
    let c = st[o + 2]!;
    let d = st[o + 3]!;
    const m = Math.imul(b, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    st[o] = a;
    st[o + 1] = b;
    st[o + 2] = c;
    st[o + 3] = d;
    return result;
  }

  /**
   * Exponential with the given mean: −mean·ln(1 − U), U uniform in [0, 1) with 53
   * bits from two outputs (as `Rng.exponential`). The two generator steps are
   * written out in int32 arithmetic, so no intermediate leaves the small-integer
   * range that V8 keeps unboxed.
   */
  exponential(q: number, mean: number): number {
    const st = this.state;
    const o = 4 * q;
    let a = st[o]!;
    let b = st[o + 1]!;
    let c = st[o + 2]!;
    let d = st[o + 3]!;
    // Output 1 (its top 27 bits).
    let m = Math.imul(b, 5);
    const hi = Math.imul((m << 7) | (m >>> 25), 9) >>> 5;
    let t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    // Output 2 (its top 26 bits).
    m = Math.imul(b, 5);
    const lo = Math.imul((m << 7) | (m >>> 25), 9) >>> 6;
    t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    st[o] = a;
    st[o + 1] = b;
    st[o + 2] = c;
    st[o + 3] = d;
    return -mean * Math.log(1 - (hi * 67108864 + lo) / 9007199254740992);
  }
}
