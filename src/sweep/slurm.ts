/**
 * `nematode sweep … --slurm`: an sbatch script running the sweep as a job array.
 * Task i of --array=1-N runs `nematode sweep … --shard i/N` (SLURM_ARRAY_TASK_ID is
 * 1-based here) with as many simulations at once as the task has CPUs, and writes its
 * own database <out>/shard-i.sqlite; `nematode sweep merge <out>` combines them.
 * Resubmitting the script resumes: each shard skips its completed points.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimulationError, ValidationError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { SweepOptions } from './plan.js';

export interface SlurmOptions {
  /** Array tasks (shards). */
  shards: number;
  cpusPerTask: number;
  /** --time, e.g. 01:00:00. */
  time?: string;
  /** --mem, e.g. 4G. */
  mem?: string;
  partition?: string;
  account?: string;
  /** At most this many tasks at once (--array=1-N%k). */
  maxRunning?: number;
  jobName: string;
  /** Extra `#SBATCH` lines, e.g. "--qos=short". */
  extra?: string[];
}

/** Single-quotes a word for bash. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `nematode sweep` arguments that reproduce a sweep (without --shard/--jobs). */
export function sweepArgs(o: SweepOptions & { out: string }): string[] {
  const args = [path.resolve(o.config)];
  for (const p of o.params ?? []) args.push('--param', p);
  if (o.mode?.kind === 'random') args.push('--random', String(o.mode.n));
  if (o.mode?.kind === 'from') args.push('--from', path.resolve(o.mode.file));
  if (o.seeds !== undefined) args.push('--seeds', String(o.seeds));
  if (o.seed !== undefined) args.push('--seed', String(o.seed));
  if (o.duration !== undefined) args.push('--duration', String(o.duration));
  if (o.tStart !== undefined) args.push('--t-start', String(o.tStart));
  if (o.bin !== undefined) args.push('--bin', String(o.bin));
  args.push('--out', path.resolve(o.out));
  return args;
}

export function sbatchScript(o: SweepOptions & { out: string }, s: SlurmOptions, cli = defaultCli()): string {
  if (!Number.isInteger(s.shards) || s.shards < 1) throw new ValidationError(`--shards ${s.shards}: the number of array tasks must be an integer ≥ 1.`, { object: 'nematode sweep --slurm', parameter: '--shards', expected: 'an integer ≥ 1' });
  if (!Number.isInteger(s.cpusPerTask) || s.cpusPerTask < 1) throw new ValidationError(`--cpus-per-task ${s.cpusPerTask}: must be an integer ≥ 1.`, { object: 'nematode sweep --slurm', parameter: '--cpus-per-task', expected: 'an integer ≥ 1' });
  const out = path.resolve(o.out);
  const lines = [
    '#!/bin/bash',
    `# nematode sweep as a SLURM job array: task i runs shard i of ${s.shards} into ${out}/shard-i.sqlite.`,
    `# Submit: sbatch ${path.join(out, 'sweep.sbatch')}    Then: nematode sweep merge ${out}`,
    '# Resubmitting resumes: completed points are skipped.',
    `#SBATCH --job-name=${s.jobName}`,
    `#SBATCH --array=1-${s.shards}${s.maxRunning ? `%${s.maxRunning}` : ''}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${s.cpusPerTask}`,
    `#SBATCH --output=${path.join(out, 'logs', '%x-%A_%a.out')}`,
    ...(s.time ? [`#SBATCH --time=${s.time}`] : []),
    ...(s.mem ? [`#SBATCH --mem=${s.mem}`] : []),
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.account ? [`#SBATCH --account=${s.account}`] : []),
    ...(s.extra ?? []).map((e) => `#SBATCH ${e}`),
    'set -euo pipefail',
    `cd ${shellQuote(process.cwd())}`,
    `exec ${[...cli, 'sweep', ...sweepArgs(o)].map(shellQuote).join(' ')} \\`,
    `  --jobs "\${SLURM_CPUS_PER_TASK:-${s.cpusPerTask}}" --shard "\${SLURM_ARRAY_TASK_ID}/${s.shards}"`,
    '',
  ];
  return lines.join('\n');
}

/** node and this build's CLI entry point, as absolute paths. */
export function defaultCli(): string[] {
  return [process.execPath, fileURLToPath(new URL('../cli/main.js', import.meta.url))];
}

/** Writes <out>/sweep.sbatch (atomically) and the logs folder; returns the script's path. */
export function writeSbatch(o: SweepOptions & { out: string }, s: SlurmOptions): string {
  const out = path.resolve(o.out);
  mkdirSync(path.join(out, 'logs'), { recursive: true });
  const file = path.join(out, 'sweep.sbatch');
  writeFileAtomic(file, sbatchScript(o, s));
  return file;
}

/** Submits a script with sbatch; returns the job id. */
export function submit(script: string): string {
  const r = spawnSync('sbatch', ['--parsable', script], { encoding: 'utf8' });
  if (r.error) throw new SimulationError(`cannot run sbatch: ${r.error.message}`, { object: 'nematode sweep --submit', fix: 'run on a SLURM login node, or submit the script yourself' });
  if (r.status !== 0) throw new SimulationError(`sbatch refused ${script}: ${(r.stderr || r.stdout).trim()}`, { object: 'nematode sweep --submit' });
  return r.stdout.trim().split(';')[0]!;
}
