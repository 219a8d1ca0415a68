/**
 * `nematode sweep merge`: combines shard databases (shard-1.sqlite … shard-N.sqlite,
 * and an earlier merged sweep.sqlite) into one. Databases of different sweeps (another
 * config content or other stored options) are refused. Each point appears once: a
 * done run wins over a failed one, and of two alike the later. Results paths are
 * rewritten relative to the output's folder. The output is built in a temporary file
 * next to it and renamed into place, so a failed merge leaves the old output as it was.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { FileFormatError, ValidationError } from '../errors.js';
import { acquireLock } from './runner.js';
import { SweepStore, type StoredPoint, type SweepMeta } from './store.js';

export interface MergeResult {
  out: string;
  inputs: string[];
  points: number;
  done: number;
  failed: number;
}

/** Database files named by the inputs: files as given, folders' shard-*.sqlite (and sweep.sqlite). */
export function mergeInputs(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    const st = existsSync(input) ? statSync(input) : undefined;
    if (!st) throw new FileFormatError(`"${input}" does not exist.`, { object: `sweep merge input "${input}"`, fix: 'name a sweep folder or its .sqlite files' });
    if (st.isDirectory()) {
      const found = readdirSync(input)
        .filter((f) => /^shard-\d+\.sqlite$/.test(f) || f === 'sweep.sqlite')
        .sort((a, b) => (a === 'sweep.sqlite' ? -1 : b === 'sweep.sqlite' ? 1 : Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0])))
        .map((f) => path.join(input, f));
      if (found.length === 0) throw new FileFormatError(`folder "${input}" holds no sweep databases (shard-*.sqlite or sweep.sqlite).`, { object: `sweep merge input "${input}"` });
      files.push(...found);
    } else files.push(input);
  }
  return [...new Set(files.map((f) => path.resolve(f)))];
}

function better(a: StoredPoint, b: StoredPoint): StoredPoint {
  if (a.status !== b.status) return a.status === 'done' ? a : b;
  return a.finishedAt >= b.finishedAt ? a : b;
}

/** Checkpoints and closes an existing database so no write-ahead log is left beside it. */
function settle(file: string): void {
  const s = SweepStore.open(file);
  s.db.pragma('wal_checkpoint(TRUNCATE)');
  s.close();
  if (existsSync(`${file}-wal`)) throw new FileFormatError(`"${file}" is still in use (its write-ahead log remains).`, { object: `sweep database "${file}"`, fix: 'wait for the sweep writing it to finish' });
}

export function mergeSweeps(inputs: string[], options: { out?: string } = {}): MergeResult {
  const files = mergeInputs(inputs);
  const firstInput = inputs[0] !== undefined && existsSync(inputs[0]) && statSync(inputs[0]).isDirectory() ? inputs[0] : path.dirname(files[0] ?? '.');
  const out = path.resolve(options.out ?? path.join(firstInput, 'sweep.sqlite'));
  const outDir = path.dirname(out);
  const release = acquireLock(out);
  const tmp = path.join(outDir, `.${path.basename(out)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    if (existsSync(out)) settle(out);
    let meta: SweepMeta | undefined;
    let metaFile = '';
    const params: string[] = [];
    const best = new Map<string, StoredPoint>();
    for (const file of files) {
      const s = SweepStore.open(file, { readonly: true });
      try {
        const m = s.meta();
        if (!m) continue;
        if (meta && m.sweepKey !== meta.sweepKey) {
          const what = m.configHash !== meta.configHash ? 'their config files differ' : `their stored options differ (${JSON.stringify(meta.options)} vs ${JSON.stringify(m.options)})`;
          throw new ValidationError(`cannot merge "${file}" with "${metaFile}": they are different sweeps (${what}).`, {
            object: `sweep database "${file}"`,
            parameter: 'config',
            fix: 'merge only the shards of one sweep (same config content and options)',
          });
        }
        if (!meta) {
          meta = m;
          metaFile = file;
        }
        for (const p of m.params) if (!params.includes(p)) params.push(p);
        const dir = path.dirname(file);
        for (const p of s.points()) {
          const moved = { ...p, resultsPath: p.resultsPath === null ? null : path.relative(outDir, path.resolve(dir, p.resultsPath)) };
          const old = best.get(p.id);
          best.set(p.id, old ? better(old, moved) : moved);
        }
      } finally {
        s.close();
      }
    }
    if (!meta) throw new FileFormatError(`none of ${files.map((f) => `"${f}"`).join(', ')} holds a sweep yet.`, { object: 'nematode sweep merge' });
    const merged = SweepStore.open(tmp);
    try {
      merged.bind({ ...meta, params, spec: { ...meta.spec, mergedFrom: files.map((f) => path.relative(outDir, f)) } });
      const sorted = [...best.values()].sort((a, b) => a.index - b.index || (a.id < b.id ? -1 : 1));
      merged.db.transaction(() => {
        for (const p of sorted) merged.insertStored(p);
      })();
      merged.refreshSummaryView();
    } finally {
      merged.close();
    }
    renameSync(tmp, out);
    rmSync(`${out}-shm`, { force: true });
    const done = [...best.values()].filter((p) => p.status === 'done').length;
    return { out, inputs: files, points: best.size, done, failed: best.size - done };
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    release();
  }
}
