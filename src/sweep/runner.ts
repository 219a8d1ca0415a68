/**
 * Runs a planned sweep: skips the runs the database already holds as done, runs the
 * others on a pool of worker threads (one simulation per worker, one thread each),
 * and commits each finished run in its own transaction as soon as it arrives. A
 * failed run is recorded with its error and does not stop the others. Killing the
 * process loses only the runs in flight: their results files are written atomically
 * and their rows never started, so the next invocation runs them again.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SpikeStats } from '../analysis/spikes.js';
import { SimulationError, ValidationError } from '../errors.js';
import type { SweepPlan } from './plan.js';
import type { Assignment, SweepPoint } from './points.js';
import type { PointJob } from './run-point.js';
import { SweepStore } from './store.js';
import type { WorkerReply } from './worker.js';

export interface PointResult {
  id: string;
  /** Position in the sweep (points × seeds). */
  index: number;
  params: Assignment;
  seed: number;
  status: 'done' | 'failed';
  /** Per population: rate (Hz), CV of ISIs, synchrony χ, spikes, neurons. */
  metrics: Record<string, SpikeStats>;
  wallMs: number | null;
  /** Absolute path of the results file (null for a failed run). */
  resultsPath: string | null;
  error?: string;
  /** True for a run found done in the database (with `includeCompleted`). */
  cached: boolean;
}

export interface StartInfo {
  /** Runs of this invocation (this shard's). */
  total: number;
  /** Of those, done before this invocation. */
  completed: number;
  /** To run now. */
  pending: number;
  jobs: number;
  dbFile: string;
}

export interface ExecuteOptions {
  /** Simulations at once (default: os.availableParallelism()). */
  jobs?: number;
  /** Discard the database's points if it belongs to another sweep. */
  force?: boolean;
  /** Yield the runs already done too (cached: true), before the new ones. */
  includeCompleted?: boolean;
  signal?: AbortSignal;
  onStart?: (info: StartInfo) => void;
}

// ── the lock: one invocation per database ───────────────────────────────────

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<db>.lock`, or says who holds it; a lock left by a dead process on this host is taken over. */
export function acquireLock(dbFile: string): () => void {
  const lock = `${dbFile}.lock`;
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, JSON.stringify({ host: hostname(), pid: process.pid, since: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { host?: string; pid?: number; since?: string } = {};
    try {
      holder = JSON.parse(readFileSync(lock, 'utf8'));
    } catch {
      /* an empty or half-written lock: its writer died between open and write */
    }
    if (holder.host === undefined || (holder.host === hostname() && !(typeof holder.pid === 'number' && pidAlive(holder.pid)))) {
      rmSync(lock, { force: true });
      continue;
    }
    throw new ValidationError(`sweep database "${dbFile}" is in use by process ${holder.pid} on ${holder.host} (since ${holder.since}).`, {
      object: `sweep database "${dbFile}"`,
      fix: `wait for that sweep to finish; if it is gone (e.g. its node crashed), delete "${lock}"`,
    });
  }
  throw new ValidationError(`cannot take the lock "${lock}".`, { object: `sweep database "${dbFile}"` });
}

/** Removes temporary results files of killed runs (`.<id>.nmr.tmp-…`) among the given ids. */
function removeStaleTemps(pointsDir: string, ids: Set<string>): void {
  if (!existsSync(pointsDir)) return;
  for (const f of readdirSync(pointsDir)) {
    const m = /^\.([0-9a-f]{16})\.nmr\.tmp-/.exec(f);
    if (m && ids.has(m[1]!)) rmSync(path.join(pointsDir, f), { force: true });
  }
}

export function resultsFileOf(plan: SweepPlan, id: string): string {
  return path.join(plan.pointsDir, `${id}.nmr`);
}

function workerUrl(): URL {
  const url = new URL('./worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    throw new SimulationError(`the sweep worker ${fileURLToPath(url)} is missing: sweeps run from the built package (npm run build), not from the TypeScript sources.`, {
      object: 'nematode sweep',
      fix: 'run `npx tsc -p tsconfig.json` and import from dist/',
    });
  }
  return url;
}

/** Runs the plan's pending runs; yields each finished run once it is committed. */
export async function* executeSweep(plan: SweepPlan, options: ExecuteOptions = {}): AsyncGenerator<PointResult> {
  const release = acquireLock(plan.dbFile);
  let store: SweepStore | undefined;
  const workers = new Set<Worker>();
  // Set while the pool is torn down: workers terminated then are not failures of their points.
  let closing = false;
  try {
    store = SweepStore.open(plan.dbFile);
    store.bind(plan.meta, { force: options.force });
    const done = store.completedIds();
    const pending = plan.runs.filter((r) => !done.has(r.id));
    const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), Math.max(1, pending.length)));
    if (options.jobs !== undefined && !(Number.isInteger(options.jobs) && options.jobs >= 1)) {
      throw new ValidationError(`--jobs ${options.jobs}: the number of simulations at once must be an integer ≥ 1.`, { object: 'nematode sweep', parameter: '--jobs', expected: 'an integer ≥ 1' });
    }
    options.onStart?.({ total: plan.runs.length, completed: plan.runs.length - pending.length, pending: pending.length, jobs, dbFile: plan.dbFile });
    if (options.includeCompleted) {
      const ours = new Set(plan.runs.map((r) => r.id));
      for (const p of store.points({ status: 'done' })) {
        if (!ours.has(p.id)) continue;
        yield { id: p.id, index: p.index, params: p.params, seed: p.seed, status: 'done', metrics: p.metrics, wallMs: p.wallMs, resultsPath: p.resultsPath ? path.resolve(store.dir, p.resultsPath) : null, cached: true };
      }
    }
    if (pending.length === 0) return;
    mkdirSync(plan.pointsDir, { recursive: true });
    removeStaleTemps(plan.pointsDir, new Set(pending.map((r) => r.id)));

    const url = workerUrl();
    const queue = [...pending];
    const results: PointResult[] = [];
    let wake: (() => void) | undefined;
    let fatal: unknown;
    let finished = 0;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const s = store;
    const commit = (run: SweepPoint, r: { ok: true; wallMs: number; metrics: Record<string, SpikeStats> } | { ok: false; error: string }) => {
      const file = resultsFileOf(plan, run.id);
      const rel = path.relative(s.dir, file);
      try {
        if (r.ok) s.record({ id: run.id, index: run.index, params: run.params, seed: run.seed, status: 'done', wallMs: Math.round(r.wallMs * 10) / 10, resultsPath: rel, error: null, metrics: r.metrics });
        else s.record({ id: run.id, index: run.index, params: run.params, seed: run.seed, status: 'failed', wallMs: null, resultsPath: null, error: r.error, metrics: {} });
      } catch (e) {
        fatal = e;
      }
      finished++;
      results.push({
        id: run.id,
        index: run.index,
        params: run.params,
        seed: run.seed,
        status: r.ok ? 'done' : 'failed',
        metrics: r.ok ? r.metrics : {},
        wallMs: r.ok ? r.wallMs : null,
        resultsPath: r.ok ? file : null,
        ...(r.ok ? {} : { error: r.error }),
        cached: false,
      });
      notify();
    };
    const jobOf = (run: SweepPoint): PointJob => ({
      config: plan.config,
      baseDir: plan.baseDir,
      assignment: Object.entries(run.params).map(([name, value]) => ({ segments: plan.resolved.get(name)!.segments, value })),
      seed: run.seed,
      ...(plan.duration !== undefined ? { duration: plan.duration } : {}),
      out: resultsFileOf(plan, run.id),
      analysis: plan.analysis,
    });

    const startWorker = () => {
      const w = new Worker(url);
      workers.add(w);
      let current: SweepPoint | undefined;
      const next = () => {
        current = options.signal?.aborted || fatal ? undefined : queue.shift();
        if (current) w.postMessage({ id: current.id, job: jobOf(current) });
        else {
          workers.delete(w);
          void w.terminate();
          notify();
        }
      };
      w.on('message', (m: WorkerReply | { ready: true }) => {
        if ('ready' in m) return next();
        if (!current || m.id !== current.id) return;
        const run = current;
        current = undefined;
        commit(run, m.ok ? { ok: true, wallMs: m.outcome.wallMs, metrics: m.outcome.metrics } : { ok: false, error: m.error });
        next();
      });
      const lost = (why: string) => {
        if (closing || !workers.has(w)) return;
        workers.delete(w);
        if (current) {
          const run = current;
          current = undefined;
          commit(run, { ok: false, error: `the worker running this point stopped: ${why}` });
          // Keep the pool at strength for the rest of the queue.
          if (queue.length > 0 && !options.signal?.aborted && !fatal) startWorker();
        }
        notify();
      };
      w.on('error', (e) => lost(e.message));
      w.on('exit', (code) => lost(`exit code ${code}`));
    };
    for (let k = 0; k < jobs; k++) startWorker();

    const onAbort = () => notify();
    options.signal?.addEventListener('abort', onAbort);
    try {
      while (true) {
        while (results.length > 0) yield results.shift()!;
        if (fatal) throw fatal;
        if (finished === pending.length || workers.size === 0 || options.signal?.aborted) break;
        await new Promise<void>((r) => (wake = r));
      }
      while (results.length > 0) yield results.shift()!;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    closing = true;
    await Promise.all([...workers].map((w) => w.terminate().catch(() => 0)));
    workers.clear();
    if (store) {
      try {
        store.refreshSummaryView();
      } catch {
        /* the view is a convenience; it is rebuilt on the next open */
      }
      store.close();
    }
    release();
  }
}
