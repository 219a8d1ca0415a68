/**
 * Side-by-side reference runs with Brian2 (benchmarks reference §5.2 and §6).
 *
 * `runBrian2` spawns Debian's `/usr/bin/python3` on `brian2-bench.py`, which builds the
 * Brette et al. 2007 COBA or CUBA network with Brian's own semantics (no delay,
 * v > V_th, Brian2 refractoriness) and prints one JSON line. The child's whole wall time,
 * spawn to exit, is measured here (`wholeProcessS`), interpreter start-up included.
 *
 * Always `/usr/bin/python3`: the first `python3` on PATH can be a separate interpreter
 * (e.g. a pyenv shim) that does not see Debian's python3-brian.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BRIAN2_PYTHON = '/usr/bin/python3';
export const BRIAN2_INSTALL_FIX = 'sudo apt-get install python3-brian cython3 python3-dev g++';

export type Brian2Model = 'coba' | 'cuba';
export type Brian2Target = 'cython' | 'numpy' | 'cpp_standalone';

export interface Brian2Options {
  model: Brian2Model;
  /** Number of neurons (80 % excitatory); p = 0.02 at 4000, else 80/N. */
  size: number;
  /** Biological duration in ms (dt = 0.1 ms). */
  durationMs: number;
  target: Brian2Target;
  /** cpp_standalone OpenMP threads; 0 (default) = no OpenMP. Ignored by runtime targets. */
  threads?: number;
  /** Brian's `seed(...)`; default 1234, the seed of the reference figures. */
  seed?: number;
}

export interface Brian2Result {
  model: Brian2Model;
  size: number;
  target: Brian2Target;
  /** OpenMP threads for cpp_standalone, null for runtime targets. */
  threads: number | null;
  seed: number;
  durationMs: number;
  synapses: number;
  spikes: number;
  rateHz: number;
  rateEHz: number;
  rateIHz: number;
  /** Σ spike count × out-degree. */
  events: number;
  /** Network construction in Python (runtime targets: includes connect's generated code). */
  buildS: number;
  /** cpp_standalone `make` time; null for runtime targets. */
  compileS: number | null;
  /** Simulation loop only (`device._last_run_time`). */
  loopS: number;
  /** Wall time of run() (+ device.build()): loop plus code generation/compilation. */
  runWallS: number;
  brian2Version: string;
  /** Script start (before `import brian2`) to the JSON line; excludes interpreter start-up. */
  processS: number;
  /** Child process wall time from spawn to exit, measured by the caller. */
  wholeProcessS: number;
}

/** Path of brian2-bench.py: next to this module (vitest, from source) or in src/ (compiled dist/src/bench). */
export function brian2ScriptPath(): string {
  const candidates = [
    new URL('./brian2-bench.py', import.meta.url),
    new URL('../../../src/bench/brian2-bench.py', import.meta.url),
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`brian2-bench.py not found; looked in:\n  ${candidates.join('\n  ')}`);
  return found;
}

let availableCache: { ok: true } | undefined;

/**
 * Whether Brian2 can run compiled code here: `/usr/bin/python3` imports brian2 and Cython,
 * Python's headers exist (python3-dev) and `g++` is on PATH. Positive answers are cached.
 */
export function brian2Available(): { ok: boolean; reason?: string } {
  if (availableCache) return availableCache;
  const fail = (why: string) => ({ ok: false, reason: `${why}. Fix: ${BRIAN2_INSTALL_FIX}` });
  if (!existsSync(BRIAN2_PYTHON)) return fail(`${BRIAN2_PYTHON} does not exist`);
  const py = spawnSync(BRIAN2_PYTHON, ['-c', 'import brian2, Cython'], { encoding: 'utf8', timeout: 120_000 });
  if (py.error) return fail(`${BRIAN2_PYTHON} could not be run (${py.error.message})`);
  if (py.status !== 0) {
    const last = lastLines(py.stderr ?? '', 1).trim();
    return fail(`${BRIAN2_PYTHON} -c "import brian2, Cython" failed${last ? `: ${last}` : ''}`);
  }
  const hdr = spawnSync(
    BRIAN2_PYTHON,
    ['-c', "import os, sysconfig, sys; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')) else 1)"],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (hdr.status !== 0) return fail('Python.h not found (python3-dev missing): Cython cannot compile');
  const gxx = spawnSync('g++', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (gxx.error || gxx.status !== 0) return fail('g++ not found on PATH');
  availableCache = { ok: true };
  return availableCache;
}

function lastLines(text: string, n: number): string {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/);
  return lines.slice(-n).join('\n');
}

/** Run one Brian2 reference simulation in a child process and return its figures. */
export async function runBrian2(opts: Brian2Options): Promise<Brian2Result> {
  const { model, size, durationMs, target } = opts;
  const threads = opts.threads ?? 0;
  const seed = opts.seed ?? 1234;
  if (!Number.isInteger(size) || size < 5) throw new Error(`runBrian2: size must be an integer ≥ 5 (got ${size})`);
  if (!(durationMs > 0)) throw new Error(`runBrian2: durationMs must be positive (got ${durationMs})`);
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`runBrian2: threads must be an integer ≥ 0 (got ${threads})`);
  if (!Number.isInteger(seed)) throw new Error(`runBrian2: seed must be an integer (got ${seed})`);

  const script = brian2ScriptPath();
  const args = [
    script,
    '--model', model,
    '--size', String(size),
    '--duration-ms', String(durationMs),
    '--target', target,
    '--threads', String(threads),
    '--seed', String(seed),
  ];
  const buildDir = target === 'cpp_standalone' ? mkdtempSync(join(tmpdir(), 'nematode-brian2-')) : undefined;
  if (buildDir) args.push('--build-dir', buildDir);

  try {
    const { code, signal, stdout, stderr, wallS } = await spawnTimed(BRIAN2_PYTHON, args);
    if (code !== 0) {
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      throw new Error(
        `Brian2 ${model.toUpperCase()}-${size} (${target}) failed with ${how}. Last stderr lines:\n${lastLines(stderr, 20)}`,
      );
    }
    const line = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0).pop();
    if (!line) throw new Error(`Brian2 run printed no JSON line. Last stderr lines:\n${lastLines(stderr, 20)}`);
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`Brian2 run printed unparsable output: ${line.slice(0, 500)}`);
    }
    return toResult(raw, wallS);
  } finally {
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  }
}

interface TimedChild {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallS: number;
}

/** Spawn a child, collect its output (stderr capped to its tail) and time spawn → exit. */
function spawnTimed(cmd: string, args: string[]): Promise<TimedChild> {
  const MAX_STDERR = 256 * 1024;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let exitAt: bigint | undefined;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => { stdout += d; });
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 2 * MAX_STDERR) stderr = stderr.slice(-MAX_STDERR);
    });
    child.on('error', reject);
    child.on('exit', () => { exitAt = process.hrtime.bigint(); });
    child.on('close', (code, signal) => {
      const end = exitAt ?? process.hrtime.bigint();
      resolve({ code, signal, stdout, stderr, wallS: Number(end - t0) / 1e9 });
    });
  });
}

function num(raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`Brian2 result: field "${key}" missing or not a number`);
  return v;
}

function numOrNull(raw: Record<string, unknown>, key: string): number | null {
  const v = raw[key];
  if (v === null || v === undefined) return null;
  return num(raw, key);
}

function toResult(raw: Record<string, unknown>, wholeProcessS: number): Brian2Result {
  const model = raw.model;
  const target = raw.target;
  if (model !== 'coba' && model !== 'cuba') throw new Error(`Brian2 result: bad model ${String(model)}`);
  if (target !== 'cython' && target !== 'numpy' && target !== 'cpp_standalone') {
    throw new Error(`Brian2 result: bad target ${String(target)}`);
  }
  return {
    model,
    size: num(raw, 'size'),
    target,
    threads: numOrNull(raw, 'threads'),
    seed: num(raw, 'seed'),
    durationMs: num(raw, 'duration_ms'),
    synapses: num(raw, 'synapses'),
    spikes: num(raw, 'spikes'),
    rateHz: num(raw, 'rate_hz'),
    rateEHz: num(raw, 'rate_e_hz'),
    rateIHz: num(raw, 'rate_i_hz'),
    events: num(raw, 'events'),
    buildS: num(raw, 'build_s'),
    compileS: numOrNull(raw, 'compile_s'),
    loopS: num(raw, 'loop_s'),
    runWallS: num(raw, 'run_wall_s'),
    brian2Version: typeof raw.brian2_version === 'string' ? raw.brian2_version : 'unknown',
    processS: num(raw, 'process_s'),
    wholeProcessS,
  };
}
