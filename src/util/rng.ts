/**
 * Seeded randomness that gives the same numbers for any number of threads.
 *
 * Every consumer draws from its own stream, keyed by (run seed, purpose, object
 * label, element index): a projection's row i, a Poisson source neuron j, a
 * stimulus target k. A stream is xoshiro128** (Blackman & Vigna 2018) seeded
 * through splitmix32 from that key, so which thread owns the element, and in
 * which order elements are visited, never changes the numbers.
 */

/** FNV-1a hash of a string to 32 bits (stable stream ids for labels). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 32-bit finaliser (murmur3 fmix32), used to combine key words. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Combines key words into one 32-bit stream key. */
export function streamKey(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) h = mix32((h ^ (w >>> 0)) + 0x7f4a7c15 + (h << 6) + (h >>> 2));
  return h >>> 0;
}

const TWO_POW_M32 = 2 ** -32;

/** splitmix32 expands a stream key into a 128-bit xoshiro state at out[o..o+3] (never all zero). */
export function seedState(key: number, out: Int32Array, o: number): void {
  let s = key >>> 0;
  for (let w = 0; w < 4; w++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    out[o + w] = w === 3 ? z | 1 : z;
  }
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal = NaN;

  /** A stream for the key (seed, purpose, label, index). */
  static stream(seed: number, purpose: string, label: string, index = 0): Rng {
    return new Rng(streamKey(seed, hashString(purpose), hashString(label), index));
  }

  constructor(key: number) {
    const st = new Int32Array(4);
    seedState(key, st, 0);
    this.a = st[0]! >>> 0;
    this.b = st[1]! >>> 0;
    this.c = st[2]! >>> 0;
    this.d = st[3]! >>> 0;
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return uniform53(this.nextU32(), this.nextU32());
  }

  /** Uniform in (0, 1]: safe for logarithms. */
  uniformPositive(): number {
    return 1 - this.uniform();
  }

  /** Fast 32-bit uniform in [0, 1), for hot loops (Bernoulli trials). */
  uniform32(): number {
    return this.nextU32() * TWO_POW_M32;
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Marsaglia polar method; pairs are cached). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const s = this.spareNormal;
      this.spareNormal = NaN;
      return s;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(this.uniformPositive());
  }

  /**
   * Poisson(lambda). Knuth's product method below 12; above, PTRS, the
   * transformed rejection method of Hörmann (1993, Insurance Math Econ 12:39).
   */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda < 12) {
      const L = Math.exp(-lambda);
      let k = 0;
      let p = this.uniform();
      while (p > L) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const U = this.uniform() - 0.5;
      const V = this.uniform();
      const us = 0.5 - Math.abs(U);
      const k = Math.floor(((2 * a) / us + b) * U + lambda + 0.43);
      if (us >= 0.07 && V <= vr) return k;
      if (k < 0 || (us < 0.013 && V > us)) continue;
      if (Math.log(V) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
    }
  }
}

/** Uniform in [0, 1) with 53 bits: the top 27 bits of the first 32-bit draw, then the top 26 of the second. */
function uniform53(first: number, second: number): number {
  return ((first >>> 5) * 67108864 + (second >>> 6)) / 9007199254740992;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const LOG_FACT_TABLE: number[] = [0];
/** ln(k!) exactly from a table below 256, Stirling's series above. */
export function logFactorial(k: number): number {
  if (k < 256) {
    while (LOG_FACT_TABLE.length <= k) {
      const n = LOG_FACT_TABLE.length;
      LOG_FACT_TABLE.push(LOG_FACT_TABLE[n - 1]! + Math.log(n));
    }
    return LOG_FACT_TABLE[k]!;
  }
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/**
 * Many streams without objects: the same generators as `Rng` (same keys, same
 * numbers), their 128-bit states packed four words per stream in one Int32Array,
 * so a draw allocates nothing and no state is boxed. Used for per-neuron and
 * per-target Poisson trains in both engines.
 */
export class RngBank {
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
    seedState(streamKey(seed, purposeHash, labelHash, index), this.state, 4 * q);
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

  /** Exponential with the given mean from stream q: −mean·ln(1 − U), U with 53 bits, as `Rng.exponential`. */
  exponential(q: number, mean: number): number {
    return -mean * Math.log(1 - uniform53(this.nextU32(q), this.nextU32(q)));
  }

  /**
   * `exponential(q, mean)` written to out[i] instead of returned: V8 boxes a double
   * returned from a call it does not inline (one allocation per draw in a hot loop).
   */
  exponentialTo(q: number, mean: number, out: Float64Array, i: number): void {
    out[i] = -mean * Math.log(1 - uniform53(this.nextU32(q), this.nextU32(q)));
  }
}
