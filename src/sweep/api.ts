/**
 * Scripted sweeps from TypeScript:
 *
 *   import { sweep } from 'nematode';
 *   for await (const r of sweep({ config: 'net.yaml', params: ['populations.E.tau_m=10:30:5'], seeds: 3 })) {
 *     console.log(r.params, r.seed, r.status, r.metrics.E?.rate);
 *   }
 *
 * Each result is yielded after it is committed to the sweep database, so breaking out
 * of the loop (or a crash) loses nothing that was yielded; running the same sweep again
 * runs only what is missing (`includeCompleted: true` yields the stored runs as well).
 */
import path from 'node:path';
import { planSweep, type SweepOptions, type SweepPlan } from './plan.js';
import { executeSweep, type ExecuteOptions, type PointResult } from './runner.js';
import { SweepStore, type StoredPoint } from './store.js';

export type SweepSpec = SweepOptions & ExecuteOptions;
export type { PointResult, SweepOptions, SweepPlan, StoredPoint };
export { planSweep };
export { mergeSweeps, type MergeResult } from './merge.js';

/** Runs a sweep; yields each run's result as it completes (in completion order). */
export async function* sweep(spec: SweepSpec): AsyncGenerator<PointResult> {
  yield* executeSweep(planSweep(spec), spec);
}

/** The stored runs of a sweep database (results paths made absolute). */
export function readSweep(dbFile: string): StoredPoint[] {
  const s = SweepStore.open(dbFile, { readonly: true });
  try {
    return s.points().map((p) => ({ ...p, resultsPath: p.resultsPath === null ? null : path.resolve(s.dir, p.resultsPath) }));
  } finally {
    s.close();
  }
}
