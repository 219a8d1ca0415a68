/**
 * What a sweep invocation will do, before anything runs: the config read and hashed,
 * every `--param` parsed, resolved against the config and checked, the points
 * expanded (grid, random or CSV) and numbered, the shard selected, and where the
 * database and results files go. Every error here is raised before a simulation starts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readConfigFile } from '../config/load.js';
import { FileFormatError, ValidationError } from '../errors.js';
import { timeFromText, toInternal } from '../units.js';
import { checkValues, resolveParamPath, type ResolvedParam } from './paths.js';
import { parseParamSpec, type ParamSpec } from './params.js';
import {
  canonicalJson,
  expandRuns,
  gridAssignments,
  parseShard,
  randomAssignments,
  readPointsCsv,
  sha256,
  shardRuns,
  type Assignment,
  type NamedSpec,
  type Shard,
  type SweepMode,
  type SweepPoint,
} from './points.js';
import type { AnalysisOptions } from './run-point.js';
import type { SweepMeta } from './store.js';

export interface SweepOptions {
  /** Config file (JSON or YAML). */
  config: string;
  /** Parameter specs in the CLI syntax, e.g. `populations.E.tau_m=10:30:5` (params.ts). */
  params?: string[];
  /** grid (default), random N points, or the rows of a CSV file (crossed with any --param grid). */
  mode?: SweepMode;
  /** Seeds per point (default 1): base, base+1, … */
  seeds?: number;
  /** First seed (default: the config's run.seed, else 1). */
  seed?: number;
  /** Output folder (default results/sweeps/<config name>): sweep.sqlite (or shard-i.sqlite) and points/. */
  out?: string;
  /** Biological time of every run (a number in ms or a string with a unit), overriding the config. */
  duration?: string | number;
  /** Start of the analysis window (default 0 ms): spikes before it are not summarised. */
  tStart?: string | number;
  /** Bin of the synchrony measure (default 5 ms). */
  bin?: string | number;
  /** Run only shard i of N (1-based): `i/N` or { index, count }. */
  shard?: string | Shard;
}

export interface SweepPlan {
  name: string;
  configFile: string;
  config: Record<string, unknown>;
  baseDir: string;
  dir: string;
  dbFile: string;
  pointsDir: string;
  meta: SweepMeta;
  resolved: Map<string, ResolvedParam>;
  /** The runs of this invocation (this shard's, when sharded). */
  runs: SweepPoint[];
  /** Runs in the whole sweep (all shards). */
  totalRuns: number;
  /** Parameter assignments (points) before seeds. */
  points: number;
  seeds: number[] | 'from-csv';
  shard?: Shard;
  duration?: number;
  analysis: AnalysisOptions;
}

function time(x: string | number | undefined, parameter: string): number | undefined {
  if (x === undefined) return undefined;
  return timeFromText(x, { object: 'nematode sweep', parameter });
}

/** Default output folder: results/sweeps/<config file name without extension> (beside nematode run's results/). */
export function defaultSweepDir(config: string): string {
  return path.join('results', 'sweeps', path.basename(config).replace(/\.(ya?ml|json)$/i, ''));
}

export function planSweep(o: SweepOptions): SweepPlan {
  const configFile = path.resolve(o.config);
  const configName = `config "${o.config}"`;
  const config = readConfigFile(o.config);
  let bytes: Buffer;
  try {
    bytes = readFileSync(configFile);
  } catch (e) {
    throw new FileFormatError(`cannot read ${configName}: ${(e as Error).message}`, { object: configName });
  }
  const configHash = sha256(bytes);
  const mode: SweepMode = o.mode ?? { kind: 'grid' };

  // Parameters: parsed, resolved to canonical names, checked against the fields' units.
  const resolved = new Map<string, ResolvedParam>();
  const named: NamedSpec[] = [];
  const specs: ParamSpec[] = (o.params ?? []).map(parseParamSpec);
  for (const spec of specs) {
    const r = resolveParamPath(config, spec.path, configName);
    if (resolved.has(r.name)) throw new ValidationError(`--param ${spec.path}: ${r.name} is swept twice.`, { object: 'nematode sweep', parameter: r.name, fix: 'give each parameter one --param (a list can hold several values)' });
    checkValues(spec, r, configName);
    resolved.set(r.name, r);
    named.push({ name: r.name, spec, integer: isIntegerField(r) });
  }

  const duration = time(o.duration, '--duration');
  if (duration !== undefined && resolved.has('run.duration')) throw new ValidationError('--duration and --param run.duration=… both set the duration.', { object: 'nematode sweep', parameter: '--duration', fix: 'drop one of them' });
  const analysis: AnalysisOptions = { tStart: time(o.tStart, '--t-start') ?? 0, bin: time(o.bin, '--bin') ?? 5 };
  if (!(analysis.bin > 0)) throw new ValidationError(`--bin ${o.bin}: the synchrony bin must be > 0 ms.`, { object: 'nematode sweep', parameter: '--bin', expected: '> 0 ms' });
  if (!(analysis.tStart >= 0)) throw new ValidationError(`--t-start ${o.tStart}: the analysis window must start at ≥ 0 ms.`, { object: 'nematode sweep', parameter: '--t-start', expected: '≥ 0 ms' });
  const baseDuration = duration ?? (() => {
    const run = (config.run ?? {}) as Record<string, unknown>;
    return run.duration === undefined ? 1000 : toInternal(run.duration, 'time', { object: configName, parameter: 'run.duration' });
  })();
  if (!resolved.has('run.duration') && analysis.tStart >= baseDuration) {
    throw new ValidationError(`--t-start ${analysis.tStart} ms leaves nothing to analyse in runs of ${baseDuration} ms.`, { object: 'nematode sweep', parameter: '--t-start', expected: `< ${baseDuration} ms` });
  }

  const seedsK = o.seeds ?? 1;
  if (!Number.isInteger(seedsK) || seedsK < 1) throw new ValidationError(`--seeds ${o.seeds}: the number of seeds must be an integer ≥ 1.`, { object: 'nematode sweep', parameter: '--seeds', expected: 'an integer ≥ 1' });
  const configSeed = Number(((config.run ?? {}) as Record<string, unknown>).seed ?? 1);
  const base = o.seed ?? configSeed;
  if (!Number.isInteger(base) || base < 0) throw new ValidationError(`--seed ${base}: seeds are integers ≥ 0.`, { object: 'nematode sweep', parameter: '--seed', expected: 'an integer ≥ 0' });
  const seedList = Array.from({ length: seedsK }, (_, k) => base + k);

  // Points.
  let assignments: Assignment[];
  let seedsOf: number[] | ((row: number) => number[]) = seedList;
  let csvSeeds = false;
  if (mode.kind === 'random') {
    if (named.length === 0) throw new ValidationError('--random needs at least one --param range to draw from.', { object: 'nematode sweep', parameter: '--random' });
    assignments = randomAssignments(named, mode.n, base);
  } else if (mode.kind === 'from') {
    const csv = readPointsCsv(mode.file);
    const colNames: string[] = [];
    for (const c of csv.columns) {
      const r = resolveParamPath(config, c, `${configName} (column "${c}" of "${mode.file}")`);
      if (resolved.has(r.name)) throw new ValidationError(`points file "${mode.file}": column "${c}" is also given with --param.`, { object: `points file "${mode.file}"`, parameter: c, fix: 'set each parameter in one place' });
      if (r.dim) for (const row of csv.rows) if (typeof row[c] === 'string') toInternal(row[c], r.dim, { object: `points file "${mode.file}"`, parameter: c });
      resolved.set(r.name, r);
      colNames.push(r.name);
    }
    const rows = csv.rows.map((row) => Object.fromEntries(csv.columns.map((c, j) => [colNames[j]!, row[c]!])));
    const grid = gridAssignments(named);
    assignments = rows.flatMap((row) => grid.map((g) => ({ ...row, ...g })));
    if (csv.seeds) {
      if (o.seeds !== undefined || o.seed !== undefined) throw new ValidationError(`points file "${mode.file}" has a seed column, so --seeds and --seed do not apply.`, { object: 'nematode sweep', parameter: '--seeds', fix: 'drop --seeds/--seed, or the seed column' });
      const seeds = csv.seeds;
      seedsOf = (i: number) => [seeds[Math.floor(i / grid.length)]!];
      csvSeeds = true;
    }
  } else {
    assignments = gridAssignments(named);
  }

  const options = { ...(duration !== undefined ? { duration } : {}), tStart: analysis.tStart, bin: analysis.bin };
  const sweepKey = sha256(canonicalJson({ config: configHash, options }));
  const all = expandRuns(sweepKey, assignments, seedsOf);
  const shard = o.shard === undefined ? undefined : typeof o.shard === 'string' ? parseShard(o.shard) : parseShard(`${o.shard.index}/${o.shard.count}`);
  const runs = shard ? shardRuns(all, shard) : all;

  const dir = path.resolve(o.out ?? defaultSweepDir(o.config));
  const dbFile = path.join(dir, shard ? `shard-${shard.index}.sqlite` : 'sweep.sqlite');
  const name = String(config.name ?? path.basename(o.config).replace(/\.(ya?ml|json)$/i, ''));
  const meta: SweepMeta = {
    sweepKey,
    configHash,
    configPath: configFile,
    configText: bytes.toString('utf8'),
    options,
    params: [...resolved.keys()],
    spec: {
      params: specs.map((s) => `${s.path}=${s.text}`),
      mode: mode.kind === 'random' ? { random: mode.n } : mode.kind === 'from' ? { from: path.resolve(mode.file) } : 'grid',
      seeds: csvSeeds ? 'from-csv' : seedList,
      ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
    },
    name,
  };
  return {
    name,
    configFile,
    config,
    baseDir: path.dirname(configFile),
    dir,
    dbFile,
    pointsDir: path.join(dir, 'points'),
    meta,
    resolved,
    runs,
    totalRuns: all.length,
    points: assignments.length,
    seeds: csvSeeds ? 'from-csv' : seedList,
    ...(shard ? { shard } : {}),
    ...(duration !== undefined ? { duration } : {}),
    analysis,
  };
}

/** Fields that only take whole numbers: population sizes and connector counts. */
function isIntegerField(r: ResolvedParam): boolean {
  const last = r.segments[r.segments.length - 1];
  return last === 'size' || (last === 'n' && r.segments.includes('connector'));
}
