/**
 * From parameter specs to the list of runs of a sweep: grid (cartesian product),
 * random (seeded, uniform within each range), or rows of a CSV file; each
 * assignment is run once per seed. A run's identity is a hash of the canonical JSON
 * of (sweep key, parameters, seed), where the sweep key covers the config file's
 * content and every option that changes what is stored (sweep.ts): the same point
 * gets the same id in every invocation, shard and machine.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseRecords } from '../connectome/csv.js';
import { FileFormatError, ValidationError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { parseCell, roundValue, type ParamSpec, type ParamValue } from './params.js';

export type Assignment = Record<string, ParamValue>;

export interface SweepPoint {
  /** Position in the expanded list (points × seeds, seeds innermost); sharding uses it. */
  index: number;
  /** 16 hex digits of sha256(canonical JSON of sweep key, params, seed). */
  id: string;
  params: Assignment;
  seed: number;
}

export type SweepMode = { kind: 'grid' } | { kind: 'random'; n: number } | { kind: 'from'; file: string };

/** A spec with its canonical parameter name (paths.ts) and whether the field takes integers. */
export interface NamedSpec {
  name: string;
  spec: ParamSpec;
  integer?: boolean;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (typeof x === 'object' && x !== null) {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export function pointId(sweepKey: string, params: Assignment, seed: number): string {
  return sha256(canonicalJson({ sweep: sweepKey, params, seed })).slice(0, 16);
}

/** Cartesian product; the first parameter varies slowest (like nested loops in the order given). */
export function gridAssignments(specs: NamedSpec[]): Assignment[] {
  let out: Assignment[] = [{}];
  for (const { name, spec } of specs) out = out.flatMap((a) => spec.values.map((v) => ({ ...a, [name]: v })));
  return out;
}

/**
 * `n` points, each parameter drawn independently: ranges uniformly in [a, b] (integers
 * for integer fields), log ranges log-uniformly, lists uniformly among their items.
 * Point i draws from its own stream (seed, parameter, i), so `--random 20` starts with
 * the 10 points of `--random 10`. Drawn values keep 6 significant digits.
 */
/** Random draws keep 6 significant digits: plenty for a parameter, and readable in tables and file names. */
const draw = (x: number): number => Number(x.toPrecision(6));

export function randomAssignments(specs: NamedSpec[], n: number, seed: number): Assignment[] {
  if (!Number.isInteger(n) || n < 1) throw new ValidationError(`--random ${n}: the number of points must be an integer ≥ 1.`, { object: 'nematode sweep', parameter: '--random', expected: 'an integer ≥ 1' });
  return Array.from({ length: n }, (_, i) => {
    const a: Assignment = {};
    for (const { name, spec, integer } of specs) {
      const u = Rng.stream(seed, 'sweep.random', name, i).uniform();
      const lo = spec.low;
      const hi = spec.high;
      if (spec.kind === 'range' && lo !== undefined && hi !== undefined) {
        a[name] = integer ? Math.ceil(lo) + Math.floor(u * (Math.floor(hi) - Math.ceil(lo) + 1)) : draw(lo + u * (hi - lo));
      } else if (spec.kind === 'log' && lo !== undefined && hi !== undefined) {
        const x = Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo)));
        a[name] = integer ? Math.round(x) : draw(x);
      } else {
        a[name] = spec.values[Math.min(spec.values.length - 1, Math.floor(u * spec.values.length))]!;
      }
    }
    return a;
  });
}

export interface CsvPoints {
  /** Columns as written in the header (parameter paths), `seed` excluded. */
  columns: string[];
  rows: Assignment[];
  /** Seeds of the rows, when the file has a `seed` column. */
  seeds?: number[];
}

/** Reads a points file: a header row of parameter paths (and optionally `seed`), then one point per row. */
export function readPointsCsv(file: string): CsvPoints {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileFormatError(`cannot read points file "${file}": ${(e as Error).message}`, { object: `points file "${file}"`, parameter: '--from' });
  }
  const { header, records } = parseRecords(text);
  const object = `points file "${file}"`;
  const cols = header.map((h) => h.trim());
  if (cols.length === 0 || cols.every((c) => c === '')) throw new FileFormatError(`${object} is empty; the first row names the parameters, e.g. populations.E.tau_m,projections.EE.weight.`, { object, parameter: '--from' });
  const blank = cols.findIndex((c) => c === '');
  if (blank >= 0) throw new FileFormatError(`${object}: column ${blank + 1} of the header has no name.`, { object, parameter: 'header' });
  const dup = cols.find((c, i) => cols.indexOf(c) !== i);
  if (dup) throw new FileFormatError(`${object}: the header names "${dup}" twice.`, { object, parameter: 'header' });
  if (records.length === 0) throw new FileFormatError(`${object} has a header but no points.`, { object, parameter: '--from' });
  const columns = cols.filter((c) => c !== 'seed');
  const rows: Assignment[] = [];
  const seeds: number[] = [];
  records.forEach((r, k) => {
    const raw = Object.fromEntries(header.map((h, j) => [cols[j]!, r[h] ?? '']));
    const a: Assignment = {};
    for (const c of columns) {
      const cell = String(raw[c] ?? '').trim();
      if (cell === '') throw new FileFormatError(`${object}: row ${k + 2} has no value for "${c}".`, { object, parameter: c, expected: 'a number or a quantity with a unit' });
      a[c] = parseCell(cell);
    }
    rows.push(a);
    if (cols.includes('seed')) {
      const s = Number(raw.seed);
      if (!Number.isInteger(s) || s < 0) throw new FileFormatError(`${object}: row ${k + 2} has seed "${raw.seed}", not an integer ≥ 0.`, { object, parameter: 'seed', expected: 'an integer ≥ 0' });
      seeds.push(s);
    }
  });
  return { columns, rows, ...(cols.includes('seed') ? { seeds } : {}) };
}

/** Every assignment run with every seed (seeds innermost), numbered, with ids. */
export function expandRuns(sweepKey: string, assignments: Assignment[], seeds: number[] | ((row: number) => number[])): SweepPoint[] {
  const out: SweepPoint[] = [];
  const seen = new Set<string>();
  assignments.forEach((params, row) => {
    for (const seed of typeof seeds === 'function' ? seeds(row) : seeds) {
      const id = pointId(sweepKey, params, seed);
      // The same point twice (a repeated CSV row, a random draw from a list) runs once.
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ index: out.length, id, params, seed });
    }
  });
  return out;
}

export interface Shard {
  /** 1-based, as SLURM_ARRAY_TASK_ID with --array=1-N. */
  index: number;
  count: number;
}

/** Parses `i/N` (1 ≤ i ≤ N). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1) || !(i >= 1 && i <= n)) {
    throw new ValidationError(`--shard "${text}": expected i/N with 1 ≤ i ≤ N (1-based, as SLURM_ARRAY_TASK_ID with --array=1-N).`, {
      object: 'nematode sweep',
      parameter: '--shard',
      expected: 'i/N with 1 ≤ i ≤ N',
      fix: 'e.g. --shard 1/4 … --shard 4/4, or --shard $SLURM_ARRAY_TASK_ID/4 in a job array --array=1-4',
    });
  }
  return { index: i, count: n };
}

/** The runs of shard i of N: those whose index mod N is i − 1. */
export function shardRuns(runs: SweepPoint[], shard: Shard): SweepPoint[] {
  return runs.filter((r) => r.index % shard.count === shard.index - 1);
}
