/**
 * `nematode bench scaling`: the fixed-fan-in scaling series (benchmarks.md §3), COBA at
 * N ∈ {4000, 64000, 256000, 1000000} with fan-in 80 (the `coba` builder with `--size`).
 *
 * Each size runs in its own child process (`nematode bench coba --size N --json`) when the
 * compiled CLI is at hand, so each row's peak memory and build time are that network's
 * alone; otherwise (e.g. run from TypeScript sources) sizes run one after another in this
 * process, and the peak RSS column is the process's peak so far.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../errors.js';
import type { BenchArgs, BenchFigures } from './command.js';

export const SCALING_SIZES = [4000, 64000, 256000, 1000000];

export interface ScalingRow {
  size: number;
  figures?: BenchFigures;
  /** Why the size produced no figures (child exit status, error message). */
  error?: string;
}

export function parseSizes(s: string | undefined): number[] {
  if (s === undefined || s === '') return SCALING_SIZES;
  const sizes = s.split(',').map((x) => Number(x.trim()));
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 5) {
      throw new ValidationError(`bench scaling: --sizes "${s}" must be a comma-separated list of whole neuron counts ≥ 5, e.g. 4000,64000.`, { object: 'bench scaling', parameter: 'sizes', expected: 'e.g. 4000,64000' });
    }
  }
  return sizes;
}

/** The compiled CLI next to this module, or undefined when running from TypeScript sources. */
function compiledCli(): string | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  return existsSync(cli) ? cli : undefined;
}

function childArgs(a: BenchArgs, size: number, durationMs: number): string[] {
  const args = ['bench', 'coba', '--size', String(size), '--json', '--duration', String(durationMs), '--threads', String(a.threads), '--seed', String(a.seed), '--repeat', String(a.repeat)];
  if (a.engine !== undefined) args.push('--engine', a.engine);
  if (a.backend !== undefined) args.push('--backend', a.backend);
  return args;
}

function runChild(cli: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

async function measureSize(a: BenchArgs, size: number, durationMs: number, inProcess: (a: BenchArgs, durationMs: number) => Promise<BenchFigures>): Promise<ScalingRow> {
  const cli = compiledCli();
  if (!cli) {
    try {
      return { size, figures: await inProcess({ ...a, network: 'coba', size, json: true }, durationMs) };
    } catch (e) {
      return { size, error: e instanceof Error ? e.message : String(e) };
    }
  }
  const r = await runChild(cli, childArgs(a, size, durationMs));
  if (r.code !== 0) return { size, error: `child exited with ${r.code === null ? 'a signal' : `status ${r.code}`}` };
  try {
    const report = JSON.parse(r.stdout) as { results: BenchFigures[] };
    return { size, figures: report.results[0]! };
  } catch {
    return { size, error: 'child printed no figures' };
  }
}

const COLUMNS: Array<[string, number]> = [
  ['size', 9],
  ['synapses', 11],
  ['build s', 9],
  ['sim s', 9],
  ['RTF', 8],
  ['rate Hz', 8],
  ['events/s', 9],
  ['peak MiB', 9],
];

export function scalingTable(rows: ScalingRow[]): string {
  const head = COLUMNS.map(([n, w]) => n.padStart(w)).join(' ');
  const lines = [head];
  for (const r of rows) {
    const f = r.figures;
    if (!f) {
      lines.push(`${String(r.size).padStart(COLUMNS[0]![1])} failed: ${r.error}`);
      continue;
    }
    const cells = [String(f.size), String(f.synapses), f.buildS.toFixed(3), f.simS.toFixed(3), f.rtf.toFixed(3), f.rateHz.toFixed(2), f.eventsPerS.toExponential(2), f.peakRssMiB.toFixed(0)];
    lines.push(cells.map((c, k) => c.padStart(COLUMNS[k]![1])).join(' '));
  }
  return lines.join('\n');
}

/** Runs every size; prints one line per size as it finishes (unless --json), returns the rows. */
export async function scalingBench(
  a: BenchArgs & { sizes?: string },
  durationMs: number,
  inProcess: (a: BenchArgs, durationMs: number) => Promise<BenchFigures>,
  line: (f: BenchFigures) => string,
): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  for (const size of parseSizes(a.sizes)) {
    const row = await measureSize(a, size, durationMs, inProcess);
    rows.push(row);
    if (!a.json) process.stdout.write((row.figures ? line(row.figures) : `COBA-${size}: failed: ${row.error}`) + '\n');
  }
  return rows;
}
