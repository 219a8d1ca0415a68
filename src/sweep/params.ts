/**
 * The `--param` syntax of `nematode sweep`: `path=values`, where values is
 *
 *   a:b:step        a, a+step, … up to b (b included when it lands on the grid);
 *                   value i is a + i·step rounded to 12 significant digits, so
 *                   0.1:0.3:0.1 gives 0.1, 0.2, 0.3 and not 0.30000000000000004
 *   log:a:b:n       n values spaced evenly in log between a and b (both included)
 *   [v1, v2, …]     a list; items are numbers or strings with units ("10 ms")
 *   v               one value
 *
 * Bare numbers are in the field's internal unit (ms, mV, nA, nF, µS, Hz), as in a
 * config file. Range bounds may carry a unit ("10 ms:30 ms:5 ms"); they are then
 * converted to internal units, and must all have the same dimension.
 */
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../errors.js';
import { parseQuantity, type Dimension } from '../units.js';

export type ParamValue = number | string;

export interface ParamSpec {
  /** The path as written (resolved against a config by paths.ts). */
  path: string;
  kind: 'range' | 'log' | 'list' | 'value';
  /** The grid values, in order. */
  values: ParamValue[];
  /** range/log: the interval `--random` samples from (internal units). */
  low?: number;
  high?: number;
  /** Set when range bounds were written with a unit: their dimension. */
  dim?: Dimension;
  /** The text after `=`, for messages and the stored spec. */
  text: string;
}

const SYNTAX = 'path=a:b:step, path=log:a:b:n, path=[v1,v2,…] or path=value';

/** Rounds to 12 significant digits: the identity of a swept value (no float accumulation noise). */
export function roundValue(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x;
  return Number(x.toPrecision(12));
}

function fail(text: string, why: string, fix?: string): never {
  throw new ValidationError(`--param "${text}": ${why}`, { object: `--param "${text}"`, parameter: '--param', expected: SYNTAX, fix: fix ?? `write ${SYNTAX}` });
}

/** A number, or a quantity with a unit converted to internal units (with its dimension). */
function bound(part: string, whole: string, what: string): { value: number; dim?: Dimension } {
  const s = part.trim();
  if (s === '') fail(whole, `the ${what} is missing.`);
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return { value: Number(s) };
  try {
    const q = parseQuantity(s);
    return q.dim === 'dimensionless' ? { value: q.value } : { value: q.value, dim: q.dim };
  } catch (e) {
    fail(whole, `the ${what} "${s}" is neither a number nor a quantity: ${(e as Error).message}`);
  }
}

function sameDim(whole: string, parts: { dim?: Dimension }[]): Dimension | undefined {
  const dims = new Set(parts.map((p) => p.dim ?? 'dimensionless'));
  if (dims.size > 1) fail(whole, `the bounds mix ${[...dims].join(' and ')}; write them all with units of one dimension, or all as bare numbers in internal units.`);
  return parts.find((p) => p.dim)?.dim;
}

/** Parses one list item: numbers stay numbers, anything else is a trimmed string. */
function listItem(x: unknown, whole: string): ParamValue {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) fail(whole, `the list holds ${x}, which is not a finite number.`);
    return roundValue(x);
  }
  if (typeof x === 'string') {
    const s = x.trim();
    if (s === '') fail(whole, 'the list holds an empty item.');
    return s;
  }
  if (typeof x === 'boolean') return String(x);
  fail(whole, `list items must be numbers or strings with units, got ${JSON.stringify(x)}.`);
}

/** Parses `path=values` (see the module comment). */
export function parseParamSpec(text: string): ParamSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) fail(text, 'expected path=values.');
  const path = text.slice(0, eq).trim();
  const rhs = text.slice(eq + 1).trim();
  if (!/^[A-Za-z0-9_.\-→:]+$/.test(path) || path.startsWith('.') || path.endsWith('.') || path.includes('..')) {
    fail(text, `"${path}" is not a parameter path; write dotted names such as populations.E.tau_m or projections.EE.weight.`);
  }
  if (rhs === '') fail(text, 'no values after "=".');
  if (rhs.startsWith('[')) {
    if (!rhs.endsWith(']')) fail(text, 'a list must end with "]".');
    let items: unknown;
    try {
      items = parseYaml(rhs);
    } catch (e) {
      fail(text, `the list cannot be read: ${(e as Error).message}`);
    }
    if (!Array.isArray(items) || items.length === 0) fail(text, 'the list is empty.');
    const values = items.map((x) => listItem(x, text));
    const dup = values.find((v, i) => values.indexOf(v) !== i);
    if (dup !== undefined) fail(text, `the list names ${JSON.stringify(dup)} twice.`);
    return { path, kind: 'list', values, text: rhs };
  }
  if (rhs.startsWith('log:')) {
    const parts = rhs.slice(4).split(':');
    if (parts.length !== 3) fail(text, 'a log range is log:a:b:n (n values from a to b, both included).');
    const a = bound(parts[0]!, text, 'start');
    const b = bound(parts[1]!, text, 'end');
    const dim = sameDim(text, [a, b]);
    const n = Number(parts[2]!.trim());
    if (!Number.isInteger(n) || n < 2) fail(text, `the number of values "${parts[2]}" must be an integer ≥ 2.`);
    if (!(a.value > 0 && b.value > 0)) fail(text, 'log range bounds must be > 0.');
    if (!(b.value > a.value)) fail(text, `the end (${b.value}) must be above the start (${a.value}).`);
    const la = Math.log(a.value);
    const lb = Math.log(b.value);
    const values = Array.from({ length: n }, (_, i) => roundValue(i === 0 ? a.value : i === n - 1 ? b.value : Math.exp(la + ((lb - la) * i) / (n - 1))));
    return { path, kind: 'log', values, low: a.value, high: b.value, ...(dim ? { dim } : {}), text: rhs };
  }
  // A range a:b:step — but not a single quantity (units never contain ':').
  if (rhs.includes(':')) {
    const parts = rhs.split(':');
    if (parts.length !== 3) fail(text, 'a range is a:b:step (b included when it lands on the grid).');
    const a = bound(parts[0]!, text, 'start');
    const b = bound(parts[1]!, text, 'end');
    const st = bound(parts[2]!, text, 'step');
    const dim = sameDim(text, [a, b, st]);
    if (!(st.value > 0)) fail(text, `the step (${st.value}) must be > 0.`);
    if (!(b.value >= a.value)) fail(text, `the end (${b.value}) is below the start (${a.value}).`);
    // Relative tolerance: 10:30:5 includes 30; 0:1:0.1 includes 1 despite 1/0.1 = 9.999….
    const count = Math.floor((b.value - a.value) / st.value + 1e-9) + 1;
    if (count > 1_000_000) fail(text, `the range has ${count} values; is the step right?`);
    const values = Array.from({ length: count }, (_, i) => roundValue(a.value + i * st.value));
    return { path, kind: 'range', values, low: a.value, high: b.value, ...(dim ? { dim } : {}), text: rhs };
  }
  const single = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(rhs) ? roundValue(Number(rhs)) : rhs.replace(/^(["'])(.*)\1$/, '$2');
  return { path, kind: 'value', values: [single], text: rhs };
}

/** Parses a CSV cell of a `--from` points file (numbers stay numbers). */
export function parseCell(s: string): ParamValue {
  const t = s.trim();
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? roundValue(Number(t)) : t;
}
