/**
 * Connectors: turn a `ConnectorSpec` into CSR connectivity by presynaptic neuron
 * (PyNN / NEST semantics).
 *
 * Determinism: presynaptic row i draws only from `Rng.stream(seed, 'connect', label, i)`
 * and, for `fixed_indegree`, postsynaptic column j only from
 * `Rng.stream(seed, 'connect-in', label, j)`, so the result never depends on the order
 * in which rows or columns are visited (or on which thread builds them).
 */

import { UnknownNameError, ValidationError } from '../errors.js';
import { Rng } from '../util/rng.js';
import type { ConnectorSpec } from './types.js';

export interface BuiltConnectivity {
  /** Length preSize + 1; rowPtr[i]..rowPtr[i+1] are the synapses of presynaptic neuron i. */
  rowPtr: Uint32Array;
  /** Post index per synapse, rows in pre order; within a row ascending (multapses adjacent). */
  targets: Uint32Array;
  /** Only when the connector supplies per-synapse weights (`from_list`). */
  weights?: Float64Array;
  /** Only when the connector supplies per-synapse delays (`from_list`). */
  delays?: Float64Array;
}

export interface ConnectorSide {
  size: number;
  /** x, y, z per neuron (length 3 · size); needed by `distance_probability`. */
  positions?: Float64Array;
}

export const CONNECTOR_RULES = [
  'all_to_all',
  'one_to_one',
  'fixed_probability',
  'fixed_indegree',
  'fixed_outdegree',
  'from_list',
  'distance_probability',
] as const;

/** The most synapses one projection can hold (rowPtr is Uint32). */
const MAX_SYNAPSES = 0xffffffff;

export function buildConnectivity(
  spec: ConnectorSpec,
  pre: ConnectorSide,
  post: ConnectorSide,
  rng: { seed: number; label: string },
  samePopulation: boolean,
): BuiltConnectivity {
  const label = rng.label;
  switch (spec.rule) {
    case 'all_to_all':
      return allToAll(label, pre.size, post.size, samePopulation && !flag(label, 'allowSelfConnections', spec.allowSelfConnections));
    case 'one_to_one':
      return oneToOne(label, pre.size, post.size);
    case 'fixed_probability': {
      const p = probability(label, 'p', spec.p);
      const noSelf = samePopulation && !flag(label, 'allowSelfConnections', spec.allowSelfConnections);
      return fixedProbability(label, p, pre.size, post.size, noSelf, rng.seed);
    }
    case 'fixed_indegree':
    case 'fixed_outdegree': {
      const n = count(label, 'n', spec.n);
      const noSelf = samePopulation && !flag(label, 'allowSelfConnections', spec.allowSelfConnections);
      const repl = flag(label, 'withReplacement', spec.withReplacement, false);
      return spec.rule === 'fixed_indegree'
        ? fixedIndegree(label, n, pre.size, post.size, noSelf, repl, rng.seed)
        : fixedOutdegree(label, n, pre.size, post.size, noSelf, repl, rng.seed);
    }
    case 'from_list':
      return fromList(label, spec.connections, pre.size, post.size);
    case 'distance_probability': {
      const pMax = probability(label, 'pMax', spec.pMax);
      if (typeof spec.lambda !== 'number' || !(spec.lambda > 0)) throw invalid(label, 'lambda', spec.lambda, '> 0');
      const maxD = spec.maxDistance ?? Infinity;
      if (typeof maxD !== 'number' || !(maxD >= 0)) throw invalid(label, 'maxDistance', maxD, '>= 0');
      const noSelf = samePopulation && !flag(label, 'allowSelfConnections', spec.allowSelfConnections);
      const pp = positionsOf(label, 'pre', pre);
      const qp = positionsOf(label, 'post', post);
      return distanceProbability(label, pMax, spec.lambda, maxD, pp, pre.size, qp, post.size, noSelf, rng.seed);
    }
    default: {
      const rule = String((spec as { rule?: unknown }).rule);
      throw new UnknownNameError('connector rule', rule, CONNECTOR_RULES, { object: `projection "${label}"`, parameter: 'rule' });
    }
  }
}

// ---------------------------------------------------------------- validation

function invalid(label: string, param: string, value: unknown, range: string, fix?: string): ValidationError {
  const shown = typeof value === 'string' ? `"${value}"` : String(value);
  return new ValidationError(`projection "${label}": connector ${param} = ${shown} is invalid; allowed ${range}.${fix ? ' ' + fix : ''}`, {
    object: `projection "${label}"`,
    parameter: param,
    expected: range,
    fix,
  });
}

function probability(label: string, param: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw invalid(label, param, v, 'a probability in [0, 1]');
  return v;
}

function count(label: string, param: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid(label, param, v, 'an integer >= 0');
  return v;
}

function flag(label: string, param: string, v: unknown, dflt = true): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalid(label, param, v, 'true or false');
  return v;
}

function checkTotal(label: string, total: number): void {
  if (total > MAX_SYNAPSES) {
    throw new ValidationError(`projection "${label}": ${total} synapses exceed the limit of ${MAX_SYNAPSES} per projection.`, {
      object: `projection "${label}"`,
      expected: `<= ${MAX_SYNAPSES} synapses`,
      fix: 'Split the projection or use a sparser connector.',
    });
  }
}

function positionsOf(label: string, side: 'pre' | 'post', s: ConnectorSide): Float64Array {
  if (!s.positions) {
    throw new ValidationError(
      `projection "${label}": distance_probability needs positions for the ${side} population (x, y, z per neuron), but it has none.`,
      { object: `projection "${label}"`, parameter: 'positions', expected: `Float64Array of length 3 · ${s.size}`, fix: 'Give the population positions.' },
    );
  }
  if (s.positions.length !== 3 * s.size) throw invalid(label, `${side} positions length`, s.positions.length, `3 · size = ${3 * s.size}`);
  return s.positions;
}

// ---------------------------------------------------------------- deterministic rules

function allToAll(label: string, preSize: number, postSize: number, noSelf: boolean): BuiltConnectivity {
  const rowPtr = new Uint32Array(preSize + 1);
  let k = 0;
  for (let i = 0; i < preSize; i++) k += noSelf && i < postSize ? postSize - 1 : postSize;
  checkTotal(label, k);
  const targets = new Uint32Array(k);
  k = 0;
  for (let i = 0; i < preSize; i++) {
    for (let j = 0; j < postSize; j++) if (!(noSelf && i === j)) targets[k++] = j;
    rowPtr[i + 1] = k;
  }
  return { rowPtr, targets };
}

function oneToOne(label: string, preSize: number, postSize: number): BuiltConnectivity {
  if (preSize !== postSize) {
    throw new ValidationError(
      `projection "${label}": one_to_one needs equal population sizes, but pre has ${preSize} neurons and post has ${postSize}.`,
      { object: `projection "${label}"`, parameter: 'rule', expected: 'pre size = post size' },
    );
  }
  const rowPtr = new Uint32Array(preSize + 1);
  const targets = new Uint32Array(preSize);
  for (let i = 0; i < preSize; i++) {
    targets[i] = i;
    rowPtr[i + 1] = i + 1;
  }
  return { rowPtr, targets };
}

function fromList(label: string, conns: unknown, preSize: number, postSize: number): BuiltConnectivity {
  if (!Array.isArray(conns)) throw invalid(label, 'connections', typeof conns, 'an array of [pre, post(, weight(, delay))]');
  const m = conns.length;
  checkTotal(label, m);
  const src = new Uint32Array(m);
  const dst = new Uint32Array(m);
  const arity = m > 0 && Array.isArray(conns[0]) ? (conns[0] as unknown[]).length : 2;
  const w = arity >= 3 ? new Float64Array(m) : undefined;
  const d = arity >= 4 ? new Float64Array(m) : undefined;
  const index = (k: number, what: string, v: unknown, size: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= size) {
      throw invalid(label, `connections[${k}] ${what} index`, v, size > 0 ? `an integer in 0..${size - 1} (${what} size ${size})` : `none (${what} population is empty)`);
    }
    return v;
  };
  for (let k = 0; k < m; k++) {
    const e: unknown = conns[k];
    if (!Array.isArray(e) || e.length < 2 || e.length > 4) {
      throw invalid(label, `connections[${k}]`, JSON.stringify(e), '[pre, post], [pre, post, weight] or [pre, post, weight, delay]');
    }
    if (e.length !== arity) {
      throw invalid(label, `connections[${k}] length`, e.length, `${arity}, like connections[0] (every entry must have the same form)`);
    }
    src[k] = index(k, 'pre', e[0], preSize);
    dst[k] = index(k, 'post', e[1], postSize);
    if (w) {
      if (typeof e[2] !== 'number' || !Number.isFinite(e[2])) throw invalid(label, `connections[${k}] weight`, e[2], 'a finite number');
      w[k] = e[2];
    }
    if (d) {
      if (typeof e[3] !== 'number' || !(e[3] >= 0 && e[3] < Infinity)) throw invalid(label, `connections[${k}] delay`, e[3], 'a finite number >= 0 ms');
      d[k] = e[3];
    }
  }
  // Counting sort by pre (stable), then each row by post (stable: ties keep list order).
  const rowPtr = new Uint32Array(preSize + 1);
  for (let k = 0; k < m; k++) rowPtr[src[k]! + 1]!++;
  for (let i = 0; i < preSize; i++) rowPtr[i + 1]! += rowPtr[i]!;
  const cursor = rowPtr.slice(0, preSize);
  const order = new Uint32Array(m);
  for (let k = 0; k < m; k++) order[cursor[src[k]!]!++] = k;
  for (let i = 0; i < preSize; i++) {
    const a = rowPtr[i]!;
    const b = rowPtr[i + 1]!;
    if (b - a > 1) order.subarray(a, b).sort((x, y) => dst[x]! - dst[y]! || x - y);
  }
  const targets = new Uint32Array(m);
  const weights = w ? new Float64Array(m) : undefined;
  const delays = d ? new Float64Array(m) : undefined;
  for (let s = 0; s < m; s++) {
    const k = order[s]!;
    targets[s] = dst[k]!;
    if (weights) weights[s] = w![k]!;
    if (delays) delays[s] = d![k]!;
  }
  const out: BuiltConnectivity = { rowPtr, targets };
  if (weights) out.weights = weights;
  if (delays) out.delays = delays;
  return out;
}

// ---------------------------------------------------------------- random rules

/** Returns exactly `n` entries of `a` (a copy when it has spare capacity). */
function trim(a: Uint32Array, n: number): Uint32Array {
  return a.length === n ? a : a.slice(0, n);
}

function grow(a: Uint32Array, need: number, limit: number): Uint32Array {
  const b = new Uint32Array(Math.min(limit, Math.max(need, Math.ceil(a.length * 1.5) + 16)));
  b.set(a);
  return b;
}

function fixedProbability(label: string, p: number, preSize: number, postSize: number, noSelf: boolean, seed: number): BuiltConnectivity {
  const rowPtr = new Uint32Array(preSize + 1);
  if (p === 0 || postSize === 0) return { rowPtr, targets: new Uint32Array(0) };
  if (p === 1) return allToAll(label, preSize, postSize, noSelf);
  const pairs = preSize * postSize;
  // Capacity: the mean plus 6 standard deviations, grown if ever exceeded.
  const mean = pairs * p;
  const limit = Math.min(pairs, MAX_SYNAPSES);
  let targets: Uint32Array = new Uint32Array(Math.min(limit, Math.ceil(mean + 6 * Math.sqrt(mean) + 64)));
  let k = 0;
  // Geometric skipping: the gap before the next success of Bernoulli(p) trials is
  // Geometric(p), sampled by inversion as floor(ln U / ln(1 − p)) with U in (0, 1].
  const invLnQ = 1 / Math.log1p(-p);
  for (let i = 0; i < preSize; i++) {
    const r = Rng.stream(seed, 'connect', label, i);
    const self = noSelf ? i : -1;
    let j = Math.floor(Math.log(r.uniformPositive()) * invLnQ);
    while (j < postSize) {
      if (j !== self) {
        if (k === targets.length) {
          if (k >= limit) checkTotal(label, k + 1);
          targets = grow(targets, k + 1, limit);
        }
        targets[k++] = j;
      }
      j += 1 + Math.floor(Math.log(r.uniformPositive()) * invLnQ);
    }
    rowPtr[i + 1] = k;
  }
  return { rowPtr, targets: trim(targets, k) };
}

/**
 * Writes `n` indices from 0..size−1, never `skip` (−1: none), into out[at..at+n).
 * Without replacement they are distinct: rejection with a stamp array when n is at
 * most half of what is available (≤ 2 draws per index on average); otherwise the
 * complement is rejected and the rest emitted in ascending order. Either way
 * O(n) expected. Returns whether the written indices are ascending.
 */
function sample(
  r: Rng,
  n: number,
  size: number,
  skip: number,
  withReplacement: boolean,
  mark: Uint32Array,
  stamp: number,
  out: Uint32Array,
  at: number,
): boolean {
  const avail = skip >= 0 ? size - 1 : size;
  // Index r in 0..avail−1 maps past `skip`.
  if (withReplacement) {
    for (let k = 0; k < n; k++) {
      const x = r.below(avail);
      out[at + k] = skip >= 0 && x >= skip ? x + 1 : x;
    }
    return n <= 1;
  }
  const drop = avail - n;
  if (n <= drop) {
    for (let k = 0; k < n; ) {
      const x0 = r.below(avail);
      const x = skip >= 0 && x0 >= skip ? x0 + 1 : x0;
      if (mark[x] !== stamp) {
        mark[x] = stamp;
        out[at + k++] = x;
      }
    }
    return n <= 1;
  }
  for (let k = 0; k < drop; ) {
    const x0 = r.below(avail);
    const x = skip >= 0 && x0 >= skip ? x0 + 1 : x0;
    if (mark[x] !== stamp) {
      mark[x] = stamp;
      k++;
    }
  }
  let k = at;
  for (let x = 0; x < size; x++) if (x !== skip && mark[x] !== stamp) out[k++] = x;
  return true;
}

function checkDegree(label: string, n: number, avail: number, replacement: boolean, what: string): void {
  if (n === 0) return;
  if (replacement ? avail === 0 : n > avail) {
    throw invalid(
      label,
      'n',
      n,
      replacement ? `0 (there are no ${what} neurons to choose from)` : `0..${avail} (${avail} distinct ${what} neurons available)`,
      replacement ? undefined : 'Lower n or set withReplacement: true.',
    );
  }
}

function fixedOutdegree(label: string, n: number, preSize: number, postSize: number, noSelf: boolean, repl: boolean, seed: number): BuiltConnectivity {
  const rowPtr = new Uint32Array(preSize + 1);
  if (preSize === 0) return { rowPtr, targets: new Uint32Array(0) };
  checkDegree(label, n, noSelf && postSize > 0 ? postSize - 1 : postSize, repl, 'post');
  checkTotal(label, preSize * n);
  const targets = new Uint32Array(preSize * n);
  const mark = new Uint32Array(repl ? 0 : postSize);
  for (let i = 0; i < preSize; i++) {
    const r = Rng.stream(seed, 'connect', label, i);
    const skip = noSelf && i < postSize ? i : -1;
    if (!sample(r, n, postSize, skip, repl, mark, i + 1, targets, i * n)) targets.subarray(i * n, (i + 1) * n).sort();
    rowPtr[i + 1] = (i + 1) * n;
  }
  return { rowPtr, targets };
}

function fixedIndegree(label: string, n: number, preSize: number, postSize: number, noSelf: boolean, repl: boolean, seed: number): BuiltConnectivity {
  const rowPtr = new Uint32Array(preSize + 1);
  if (postSize === 0) return { rowPtr, targets: new Uint32Array(0) };
  checkDegree(label, n, noSelf && preSize > 0 ? preSize - 1 : preSize, repl, 'pre');
  checkTotal(label, postSize * n);
  // Sources per post column (column-major), then transpose by a counting sort on
  // pre; visiting columns in ascending order leaves every row sorted by post.
  const src = new Uint32Array(postSize * n);
  const mark = new Uint32Array(repl ? 0 : preSize);
  for (let j = 0; j < postSize; j++) {
    const r = Rng.stream(seed, 'connect-in', label, j);
    sample(r, n, preSize, noSelf && j < preSize ? j : -1, repl, mark, j + 1, src, j * n);
  }
  for (let s = 0; s < src.length; s++) rowPtr[src[s]! + 1]!++;
  for (let i = 0; i < preSize; i++) rowPtr[i + 1]! += rowPtr[i]!;
  const cursor = rowPtr.slice(0, preSize);
  const targets = new Uint32Array(src.length);
  for (let j = 0, s = 0; j < postSize; j++) for (let e = s + n; s < e; s++) targets[cursor[src[s]!]!++] = j;
  return { rowPtr, targets };
}

function distanceProbability(
  label: string,
  pMax: number,
  lambda: number,
  maxD: number,
  pp: Float64Array,
  preSize: number,
  qp: Float64Array,
  postSize: number,
  noSelf: boolean,
  seed: number,
): BuiltConnectivity {
  const rowPtr = new Uint32Array(preSize + 1);
  const limit = Math.min(preSize * postSize, MAX_SYNAPSES);
  let targets: Uint32Array = new Uint32Array(Math.min(limit, 1024));
  let k = 0;
  const maxD2 = maxD * maxD;
  for (let i = 0; i < preSize; i++) {
    const r = Rng.stream(seed, 'connect', label, i);
    const x = pp[3 * i]!;
    const y = pp[3 * i + 1]!;
    const z = pp[3 * i + 2]!;
    for (let j = 0; j < postSize; j++) {
      if (noSelf && i === j) continue;
      const dx = qp[3 * j]! - x;
      const dy = qp[3 * j + 1]! - y;
      const dz = qp[3 * j + 2]! - z;
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 > maxD2) continue; // beyond maxDistance: p = 0, no draw
      if (r.uniform32() < pMax * Math.exp(-Math.sqrt(d2) / lambda)) {
        if (k === targets.length) {
          if (k >= limit) checkTotal(label, k + 1);
          targets = grow(targets, k + 1, limit);
        }
        targets[k++] = j;
      }
    }
    rowPtr[i + 1] = k;
  }
  return { rowPtr, targets: trim(targets, k) };
}
