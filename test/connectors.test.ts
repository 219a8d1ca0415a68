import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnknownNameError, ValidationError } from '../src/errors.js';
import { buildConnectivity, type BuiltConnectivity } from '../src/ir/connectors.js';
import type { ConnectorSpec } from '../src/ir/types.js';

// ---------------------------------------------------------------- helpers

function build(spec: ConnectorSpec, preSize: number, postSize: number, seed = 1, same = false, label = 'P', positions?: [Float64Array, Float64Array]) {
  return buildConnectivity(spec, { size: preSize, positions: positions?.[0] }, { size: postSize, positions: positions?.[1] }, { seed, label }, same);
}

/** CSR invariants; `strict` also forbids duplicate (pre, post) pairs. */
function expectWellFormed(c: BuiltConnectivity, preSize: number, postSize: number, strict: boolean): void {
  expect(c.rowPtr.length).toBe(preSize + 1);
  expect(c.rowPtr[0]).toBe(0);
  expect(c.rowPtr[preSize]).toBe(c.targets.length);
  for (let i = 0; i < preSize; i++) {
    const a = c.rowPtr[i]!;
    const b = c.rowPtr[i + 1]!;
    expect(b).toBeGreaterThanOrEqual(a);
    for (let s = a; s < b; s++) {
      expect(c.targets[s]!).toBeLessThan(postSize);
      if (s > a) {
        if (strict) expect(c.targets[s]!).toBeGreaterThan(c.targets[s - 1]!);
        else expect(c.targets[s]!).toBeGreaterThanOrEqual(c.targets[s - 1]!);
      }
    }
  }
}

function pairs(c: BuiltConnectivity): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < c.rowPtr.length; i++) for (let s = c.rowPtr[i]!; s < c.rowPtr[i + 1]!; s++) out.push([i, c.targets[s]!]);
  return out;
}

function expectNoAutapses(c: BuiltConnectivity): void {
  for (const [i, j] of pairs(c)) expect(i).not.toBe(j);
}

function inDegrees(c: BuiltConnectivity, postSize: number): Uint32Array {
  const d = new Uint32Array(postSize);
  for (const t of c.targets) d[t]!++;
  return d;
}

function row(c: BuiltConnectivity, i: number): number[] {
  return Array.from(c.targets.subarray(c.rowPtr[i]!, c.rowPtr[i + 1]!));
}

/** Standard normal upper tail, via the Abramowitz–Stegun 7.1.26 erfc approximation (|error| < 1.5e-7). */
function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Chi-square upper-tail p-value by the Wilson–Hilferty cube-root normal approximation (good for df ≳ 30). */
function chiSquarePValue(chi2: number, df: number): number {
  const v = 2 / (9 * df);
  return normalUpperTail((Math.cbrt(chi2 / df) - (1 - v)) / Math.sqrt(v));
}

/**
 * Goodness of fit of counts that should all have the same mean. `q` is the chance that one
 * trial (a column or row choosing n of the cells without replacement) picks a given cell:
 * then each count has variance E·(1 − q) and the counts are exchangeably, negatively
 * correlated, so Σ(O − E)² / (E·(1 − q)) · (k − 1)/k ~ χ²(k − 1). q = 0 is the multinomial case.
 * `independent` counts (fixed_probability in-degrees: no fixed total) give χ²(k) with the same scaling.
 */
function chiSquareUniform(counts: ArrayLike<number>, q = 0, independent = false): { chi2: number; p: number } {
  const k = counts.length;
  let total = 0;
  for (let i = 0; i < k; i++) total += counts[i]!;
  const e = total / k;
  let chi2 = 0;
  for (let i = 0; i < k; i++) chi2 += (counts[i]! - e) ** 2 / (e * (1 - q));
  if (independent) return { chi2, p: chiSquarePValue(chi2, k) };
  chi2 *= (k - 1) / k;
  return { chi2, p: chiSquarePValue(chi2, k - 1) };
}

const ALPHA = 0.01;

/** Sizes: `same` means one population projecting onto itself, so the sizes match. */
const sizes = fc
  .record({ pre: fc.integer({ min: 0, max: 14 }), post: fc.integer({ min: 0, max: 14 }), same: fc.boolean() })
  .map(({ pre, post, same }) => ({ pre, post: same ? pre : post, same }));
const seed = fc.integer({ min: 0, max: 0xffffffff });
const maybeBool = fc.option(fc.boolean(), { nil: undefined });

// ---------------------------------------------------------------- properties

describe('all_to_all', () => {
  it('connects every pair, minus autapses when they are disallowed', () => {
    fc.assert(
      fc.property(sizes, maybeBool, ({ pre, post, same }, allow) => {
        const c = build({ rule: 'all_to_all', allowSelfConnections: allow }, pre, post, 1, same);
        expectWellFormed(c, pre, post, true);
        const noSelf = same && allow === false;
        expect(c.targets.length).toBe(noSelf ? pre * post - pre : pre * post);
        if (noSelf) expectNoAutapses(c);
      }),
    );
  });
});

describe('one_to_one', () => {
  it('is the identity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.boolean(), (n, same) => {
        const c = build({ rule: 'one_to_one' }, n, n, 1, same);
        expectWellFormed(c, n, n, true);
        expect(pairs(c)).toEqual(Array.from({ length: n }, (_, i) => [i, i]));
      }),
    );
  });
});

describe('fixed_probability', () => {
  it('builds well-formed CSR without duplicate pairs or disallowed autapses', () => {
    fc.assert(
      fc.property(sizes, fc.double({ min: 0, max: 1, noNaN: true }), maybeBool, seed, ({ pre, post, same }, p, allow, s) => {
        const c = build({ rule: 'fixed_probability', p, allowSelfConnections: allow }, pre, post, s, same);
        expectWellFormed(c, pre, post, true);
        if (same && allow === false) expectNoAutapses(c);
        if (p === 0) expect(c.targets.length).toBe(0);
        expect(build({ rule: 'fixed_probability', p, allowSelfConnections: allow }, pre, post, s, same)).toEqual(c);
      }),
    );
  });

  it('handles p = 1 as all-to-all', () => {
    const c = build({ rule: 'fixed_probability', p: 1, allowSelfConnections: false }, 7, 7, 3, true);
    expect(c).toEqual(build({ rule: 'all_to_all', allowSelfConnections: false }, 7, 7, 3, true));
  });

  it('row i depends only on its own stream (not on how many rows there are)', () => {
    const small = build({ rule: 'fixed_probability', p: 0.2 }, 30, 40, 9);
    const big = build({ rule: 'fixed_probability', p: 0.2 }, 60, 40, 9);
    for (let i = 0; i < 30; i++) expect(row(big, i)).toEqual(row(small, i));
  });

  it('differs between seeds', () => {
    const a = build({ rule: 'fixed_probability', p: 0.1 }, 100, 100, 1);
    const b = build({ rule: 'fixed_probability', p: 0.1 }, 100, 100, 2);
    expect(pairs(a)).not.toEqual(pairs(b));
  });

  // Total count ~ Binomial(N, p); z-test with the normal approximation, two-sided, alpha = 0.01.
  it.each([0.001, 0.05, 0.5, 0.9])('total count matches Binomial(N, p = %s) (z-test, alpha = 0.01)', (p) => {
    const n = 1000;
    const c = build({ rule: 'fixed_probability', p, allowSelfConnections: false }, n, n, 12345, true);
    const N = n * (n - 1);
    const z = (c.targets.length - N * p) / Math.sqrt(N * p * (1 - p));
    expect(2 * normalUpperTail(Math.abs(z))).toBeGreaterThan(ALPHA);
    // Targets are uniform over post neurons (chi-square on in-degrees, alpha = 0.01).
    if (p <= 0.5) expect(chiSquareUniform(inDegrees(c, n), p, true).p).toBeGreaterThan(ALPHA);
  });
});

const degreeCase = fc.record({ sz: sizes, n: fc.integer({ min: 0, max: 16 }), allow: maybeBool, repl: maybeBool, s: seed });

describe('fixed_indegree', () => {
  it('gives every post neuron exactly n sources (distinct unless withReplacement)', () => {
    fc.assert(
      fc.property(degreeCase, ({ sz: { pre, post, same }, n, allow, repl, s }) => {
        const noSelf = same && allow === false;
        const avail = noSelf ? pre - 1 : pre;
        fc.pre(repl === true ? n === 0 || avail > 0 : n <= avail);
        const c = build({ rule: 'fixed_indegree', n, allowSelfConnections: allow, withReplacement: repl }, pre, post, s, same);
        expectWellFormed(c, pre, post, repl !== true);
        expect(Array.from(inDegrees(c, post))).toEqual(new Array(post).fill(n));
        if (noSelf) expectNoAutapses(c);
        expect(build({ rule: 'fixed_indegree', n, allowSelfConnections: allow, withReplacement: repl }, pre, post, s, same)).toEqual(c);
      }),
    );
  });

  it('column j depends only on its own stream (not on how many columns there are)', () => {
    const small = build({ rule: 'fixed_indegree', n: 5 }, 30, 20, 9);
    const big = build({ rule: 'fixed_indegree', n: 5 }, 30, 50, 9);
    for (let i = 0; i < 30; i++) expect(row(big, i).filter((j) => j < 20)).toEqual(row(small, i));
  });

  it('differs between seeds', () => {
    const a = build({ rule: 'fixed_indegree', n: 10 }, 100, 100, 1);
    const b = build({ rule: 'fixed_indegree', n: 10 }, 100, 100, 2);
    expect(pairs(a)).not.toEqual(pairs(b));
  });

  // Each pre neuron should be picked equally often: chi-square goodness of fit, alpha = 0.01.
  // n = 20 of 200 exercises rejection sampling, n = 160 of 200 the complement path.
  it.each([
    [20, false],
    [20, true],
    [160, false],
  ])('sources are uniform (chi-square, alpha = 0.01; n = %s, withReplacement %s)', (n, withReplacement) => {
    const pre = 200;
    const c = build({ rule: 'fixed_indegree', n, withReplacement }, pre, 2000, 4242);
    const out = Array.from({ length: pre }, (_, i) => c.rowPtr[i + 1]! - c.rowPtr[i]!);
    expect(chiSquareUniform(out, withReplacement ? 0 : n / pre).p).toBeGreaterThan(ALPHA);
  });

  it('dense without replacement (n close to the pre size) still gives distinct sources and no autapses', () => {
    const pre = 50;
    const c = build({ rule: 'fixed_indegree', n: 45, allowSelfConnections: false }, pre, pre, 7, true);
    expectWellFormed(c, pre, pre, true);
    expectNoAutapses(c);
    expect(Array.from(inDegrees(c, pre))).toEqual(new Array(pre).fill(45));
  });
});

describe('fixed_outdegree', () => {
  it('gives every pre neuron exactly n targets (distinct unless withReplacement)', () => {
    fc.assert(
      fc.property(degreeCase, ({ sz: { pre, post, same }, n, allow, repl, s }) => {
        const noSelf = same && allow === false;
        const avail = noSelf ? post - 1 : post;
        fc.pre(repl === true ? n === 0 || avail > 0 : n <= avail);
        const c = build({ rule: 'fixed_outdegree', n, allowSelfConnections: allow, withReplacement: repl }, pre, post, s, same);
        expectWellFormed(c, pre, post, repl !== true);
        for (let i = 0; i < pre; i++) expect(c.rowPtr[i + 1]! - c.rowPtr[i]!).toBe(n);
        if (noSelf) expectNoAutapses(c);
        expect(build({ rule: 'fixed_outdegree', n, allowSelfConnections: allow, withReplacement: repl }, pre, post, s, same)).toEqual(c);
      }),
    );
  });

  it('differs between seeds', () => {
    const a = build({ rule: 'fixed_outdegree', n: 10 }, 100, 100, 1);
    const b = build({ rule: 'fixed_outdegree', n: 10 }, 100, 100, 2);
    expect(pairs(a)).not.toEqual(pairs(b));
  });

  it.each([20, 160])('targets are uniform (chi-square, alpha = 0.01; n = %s of 200)', (n) => {
    const c = build({ rule: 'fixed_outdegree', n }, 2000, 200, 4243);
    expect(chiSquareUniform(inDegrees(c, 200), n / 200).p).toBeGreaterThan(ALPHA);
  });
});

describe('from_list', () => {
  const entry = (pre: number, post: number) =>
    fc.tuple(fc.integer({ min: 0, max: pre - 1 }), fc.integer({ min: 0, max: post - 1 }), fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0, max: 20, noNaN: true }));

  it('keeps every connection (multapses included), sorted into CSR, with weights and delays', () => {
    const listCase = fc
      .record({ pre: fc.integer({ min: 1, max: 10 }), post: fc.integer({ min: 1, max: 10 }), arity: fc.integer({ min: 2, max: 4 }) })
      .chain((k) => fc.tuple(fc.constant(k), fc.array(entry(k.pre, k.post), { maxLength: 30 })));
    fc.assert(
      fc.property(listCase, ([{ pre, post, arity }, list]) => {
        const conns = list.map((e) => e.slice(0, arity)) as Array<[number, number, number, number]>;
        const c = build({ rule: 'from_list', connections: conns }, pre, post);
        expectWellFormed(c, pre, post, false);
        // An empty list has no form, so it supplies no weights or delays.
        expect(c.weights !== undefined).toBe(arity >= 3 && conns.length > 0);
        expect(c.delays !== undefined).toBe(arity >= 4 && conns.length > 0);
        const got = pairs(c).map(([i, j], s) => [i, j, c.weights?.[s], c.delays?.[s]].slice(0, arity));
        const key = (e: unknown[]) => JSON.stringify(e);
        expect(got.map(key).sort()).toEqual(conns.map(key).sort());
      }),
    );
  });

  it('keeps list order for duplicate pairs', () => {
    const c = build({ rule: 'from_list', connections: [[1, 2, 0.5], [0, 1, 1], [1, 2, 0.25], [1, 0, 2]] }, 2, 3);
    expect(Array.from(c.rowPtr)).toEqual([0, 1, 4]);
    expect(Array.from(c.targets)).toEqual([1, 0, 2, 2]);
    expect(Array.from(c.weights!)).toEqual([1, 2, 0.5, 0.25]);
    expect(c.delays).toBeUndefined();
  });
});

describe('distance_probability', () => {
  const randomPositions = (n: number) => fc.float64Array({ minLength: 3 * n, maxLength: 3 * n, min: -10, max: 10, noNaN: true, noDefaultInfinity: true });

  it('builds well-formed CSR without duplicates, autapses when disallowed, or synapses beyond maxDistance', () => {
    fc.assert(
      fc.property(
        sizes.chain((sz) => fc.tuple(fc.constant(sz), randomPositions(sz.pre), randomPositions(sz.post))),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.1, max: 20, noNaN: true }),
        fc.option(fc.double({ min: 0, max: 20, noNaN: true }), { nil: undefined }),
        maybeBool,
        seed,
        ([{ pre, post, same }, pp, qp0], pMax, lambda, maxDistance, allow, s) => {
          const qp = same ? pp : qp0;
          const spec: ConnectorSpec = { rule: 'distance_probability', pMax, lambda, maxDistance, allowSelfConnections: allow };
          const c = build(spec, pre, post, s, same, 'D', [pp, qp]);
          expectWellFormed(c, pre, post, true);
          if (same && allow === false) expectNoAutapses(c);
          if (maxDistance !== undefined) {
            for (const [i, j] of pairs(c)) {
              // Same arithmetic as the connector (sqrt of the summed squares, which may underflow for subnormal gaps).
              const dx = pp[3 * i]! - qp[3 * j]!;
              const dy = pp[3 * i + 1]! - qp[3 * j + 1]!;
              const dz = pp[3 * i + 2]! - qp[3 * j + 2]!;
              const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
              expect(d).toBeLessThanOrEqual(maxDistance * (1 + 1e-12));
            }
          }
          expect(build(spec, pre, post, s, same, 'D', [pp, qp])).toEqual(c);
        },
      ),
    );
  });

  // Neurons on a line one unit apart: bin pairs by distance and compare each bin's count with
  // the sum of p(d) over its pairs (z-test against the Poisson-binomial variance, loose |z| < 4).
  it('counts per distance bin match pMax·exp(−d/λ), none beyond maxDistance', () => {
    const n = 400;
    const pos = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) pos[3 * i] = i;
    const pMax = 0.8;
    const lambda = 40;
    const maxDistance = 250;
    const c = build({ rule: 'distance_probability', pMax, lambda, maxDistance, allowSelfConnections: false }, n, n, 777, true, 'D', [pos, pos]);
    const binWidth = 25;
    const bins = Math.ceil(n / binWidth);
    const observed = new Float64Array(bins);
    const mean = new Float64Array(bins);
    const variance = new Float64Array(bins);
    for (const [i, j] of pairs(c)) observed[Math.floor(Math.abs(i - j) / binWidth)]!++;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const d = Math.abs(i - j);
        if (i === j || d > maxDistance) continue;
        const p = pMax * Math.exp(-d / lambda);
        mean[Math.floor(d / binWidth)]! += p;
        variance[Math.floor(d / binWidth)]! += p * (1 - p);
      }
    }
    for (let b = 0; b < bins; b++) {
      if (mean[b] === 0) expect(observed[b]).toBe(0);
      else expect(Math.abs(observed[b]! - mean[b]!) / Math.sqrt(variance[b]!)).toBeLessThan(4);
    }
    // Short distances are much denser than long ones, as exp(−d/λ) says.
    expect(observed[0]! / observed[5]!).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------- errors

function expectError(fn: () => unknown, cls: typeof ValidationError | typeof UnknownNameError, ...parts: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(cls);
  for (const part of parts) expect((err as Error).message).toContain(part);
}

describe('validation errors', () => {
  it('one_to_one with different sizes names the projection and both sizes', () => {
    expectError(() => build({ rule: 'one_to_one' }, 3, 5, 1, false, 'AB'), ValidationError, 'projection "AB"', '3', '5');
  });

  it.each([-0.1, 1.5, NaN, Infinity])('fixed_probability p = %s', (p) => {
    expectError(() => build({ rule: 'fixed_probability', p }, 3, 3, 1, false, 'EE'), ValidationError, 'projection "EE"', ' p ', String(p), '[0, 1]');
  });

  it.each(['fixed_indegree', 'fixed_outdegree'] as const)('%s: bad n (negative, fractional, NaN) and n beyond the neurons available', (rule) => {
    for (const n of [-1, 2.5, NaN]) {
      expectError(() => build({ rule, n }, 5, 5, 1, false, 'EI'), ValidationError, 'projection "EI"', ' n ', String(n), 'integer >= 0');
    }
    expectError(() => build({ rule, n: 6 }, 5, 5, 1, false, 'EI'), ValidationError, 'projection "EI"', ' n ', '6', '0..5');
    // Without autapses one fewer neuron is available.
    expectError(() => build({ rule, n: 5, allowSelfConnections: false }, 5, 5, 1, true, 'EI'), ValidationError, 'projection "EI"', '0..4');
    expect(build({ rule, n: 6, withReplacement: true }, 5, 5, 1, false, 'EI').targets.length).toBe(30);
    // With replacement but nothing to choose from.
    const empty = rule === 'fixed_indegree' ? ([0, 5] as const) : ([5, 0] as const);
    expectError(() => build({ rule, n: 1, withReplacement: true }, empty[0], empty[1], 1, false, 'EI'), ValidationError, 'projection "EI"', ' n ');
  });

  it('from_list: out-of-range and non-integer indices name the entry, the value and the range', () => {
    expectError(() => build({ rule: 'from_list', connections: [[0, 0], [1, 2], [4, 1]] }, 3, 3, 1, false, 'L'), ValidationError, 'projection "L"', 'connections[2]', 'pre', '4', '0..2');
    expectError(() => build({ rule: 'from_list', connections: [[0, 7]] }, 3, 3, 1, false, 'L'), ValidationError, 'projection "L"', 'connections[0]', 'post', '7', '0..2');
    expectError(() => build({ rule: 'from_list', connections: [[0, 0], [1.5, 0]] }, 3, 3, 1, false, 'L'), ValidationError, 'projection "L"', 'connections[1]', '1.5');
    expectError(() => build({ rule: 'from_list', connections: [[-1, 0]] }, 3, 3, 1, false, 'L'), ValidationError, 'connections[0]', '-1');
  });

  it('from_list: mixed arity, bad weights and delays', () => {
    expectError(() => build({ rule: 'from_list', connections: [[0, 0, 1], [1, 1]] }, 3, 3, 1, false, 'L'), ValidationError, 'projection "L"', 'connections[1]', '2');
    expectError(() => build({ rule: 'from_list', connections: [[0, 0, NaN]] }, 3, 3, 1, false, 'L'), ValidationError, 'projection "L"', 'connections[0] weight', 'NaN');
    expectError(() => build({ rule: 'from_list', connections: [[0, 0, 1, -2]] }, 3, 3, 1, false, 'L'), ValidationError, 'projection "L"', 'connections[0] delay', '-2');
    const bad = [[0, 0, 1, 1, 1]] as unknown as Array<[number, number]>;
    expectError(() => build({ rule: 'from_list', connections: bad }, 3, 3, 1, false, 'L'), ValidationError, 'projection "L"', 'connections[0]');
  });

  it('distance_probability: missing positions, bad pMax, lambda, maxDistance', () => {
    const pos = new Float64Array(9);
    expectError(() => build({ rule: 'distance_probability', pMax: 0.5, lambda: 1 }, 3, 3, 1, false, 'D'), ValidationError, 'projection "D"', 'positions');
    expectError(() => build({ rule: 'distance_probability', pMax: 0.5, lambda: 1 }, 3, 3, 1, false, 'D', [pos, new Float64Array(3)]), ValidationError, 'projection "D"', 'positions', '9');
    expectError(() => build({ rule: 'distance_probability', pMax: 2, lambda: 1 }, 3, 3, 1, false, 'D', [pos, pos]), ValidationError, 'projection "D"', 'pMax', '2', '[0, 1]');
    expectError(() => build({ rule: 'distance_probability', pMax: 0.5, lambda: 0 }, 3, 3, 1, false, 'D', [pos, pos]), ValidationError, 'projection "D"', 'lambda', '0', '> 0');
    expectError(() => build({ rule: 'distance_probability', pMax: 0.5, lambda: NaN }, 3, 3, 1, false, 'D', [pos, pos]), ValidationError, 'lambda', 'NaN');
    expectError(() => build({ rule: 'distance_probability', pMax: 0.5, lambda: 1, maxDistance: -1 }, 3, 3, 1, false, 'D', [pos, pos]), ValidationError, 'maxDistance', '-1');
  });

  it('errors carry the parameter name', () => {
    try {
      build({ rule: 'fixed_probability', p: 2 }, 1, 1, 1, false, 'X');
    } catch (e) {
      expect((e as ValidationError).parameter).toBe('p');
      expect((e as ValidationError).object).toBe('projection "X"');
    }
    expect.assertions(2);
  });

  it('an unknown rule is an UnknownNameError listing the rules', () => {
    const spec = { rule: 'fixed_prob' } as unknown as ConnectorSpec;
    expectError(() => build(spec, 1, 1, 1, false, 'X'), UnknownNameError, 'fixed_prob', 'fixed_probability');
  });
});
