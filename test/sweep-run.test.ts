/**
 * Real sweeps on a tiny network (20 LIF neurons, 100 ms): stored summaries match a
 * direct run of the same point; reruns skip completed points; failures are recorded
 * and do not stop the sweep; a sweep killed midway keeps every completed point and
 * the rerun completes the rest without running any completed point again.
 *
 * Sweeps run their points on worker threads (dist/src/sweep/worker.js), so the sweep
 * itself is imported from dist/ (built by `npm test` before vitest runs).
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spikeStats } from '../src/analysis/spikes.js';
import { networkFromConfig, readConfigFile } from '../src/config/load.js';
import { readResults, spikeTrainsOf } from '../src/results/index.js';
import { simulate } from '../src/simulate.js';
import type * as Api from '../src/sweep/api.js';

const CLI = path.resolve('dist/src/cli/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-sweep-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = path.join(dir, 'tiny.yaml');
writeFileSync(
  CONFIG,
  `name: tiny
run: { duration: 100 ms, dt: 0.1 ms, seed: 3 }
populations:
  E: { model: IF_curr_exp, size: 20, params: { tau_m: 10 ms, tau_refrac: 2 ms }, initial: { v: { uniform: [-65 mV, -55 mV] } } }
projections:
  EE: { pre: E, post: E, connector: { rule: fixed_probability, p: 0.2 }, receptor: excitatory, weight: 50 pA, delay: 1.5 ms }
stimuli:
  - { kind: poisson, population: E, rate: 9 kHz, weight: 87.8 pA }
`,
);

async function api(): Promise<typeof Api> {
  if (!existsSync('dist/src/sweep/worker.js')) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first');
  return (await import('../dist/src/sweep/api.js')) as unknown as typeof Api;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('sweeps of a tiny network', () => {
  it('stores per-population summaries equal to a direct run of the same point, and skips them on a rerun', async () => {
    const { sweep, readSweep } = await api();
    const out = path.join(dir, 'grid');
    const spec = { config: CONFIG, params: ['populations.E.tau_m=10:20:10', "projections.EE.weight=[0.01, '80 pA']"], seeds: 2, out, jobs: 2 };
    const results = await collect(sweep(spec));
    expect(results).toHaveLength(8);
    expect(results.every((r) => r.status === 'done' && !r.cached)).toBe(true);

    // One point, run directly through the config loader and the engine.
    const r = results.find((x) => x.params['populations.E.tau_m'] === 20 && x.params['projections.EE.weight'] === '80 pA' && x.seed === 4)!;
    const cfg = readConfigFile(CONFIG) as any;
    cfg.populations.E.params.tau_m = 20;
    cfg.projections.EE.weight = '80 pA';
    const ir = networkFromConfig(cfg, { seed: 4, threads: 1 }).toIR();
    ir.recordings.push({ kind: 'spikes', population: 'E' });
    const direct = await simulate(ir);
    const s = direct.spikes.find((t) => t.population === 'E')!;
    expect(r.metrics.E).toEqual(spikeStats(s.indices, s.times, 20, 100));
    // Every spike of the run counts, the ones stamped at exactly t = duration (the last step) included.
    expect(r.metrics.E!.spikes).toBe(s.times.length);
    expect(r.metrics.E!.spikes).toBeGreaterThan(0);
    // Its results file holds the same spikes, and its metadata the seed.
    const file = await readResults(r.resultsPath!);
    expect(file.metadata.seed).toBe(4);
    expect(Array.from(spikeTrainsOf(file, 'E').times)).toEqual(Array.from(s.times));

    // The database has every point once, with what was yielded.
    const stored = readSweep(path.join(out, 'sweep.sqlite'));
    expect(stored.map((p) => p.id).sort()).toEqual(results.map((x) => x.id).sort());
    expect(stored.find((p) => p.id === r.id)!.metrics.E).toEqual(r.metrics.E);

    // A rerun runs nothing; with includeCompleted it yields the stored points.
    expect(await collect(sweep(spec))).toEqual([]);
    const cached = await collect(sweep({ ...spec, includeCompleted: true }));
    expect(cached).toHaveLength(8);
    expect(cached.every((x) => x.cached)).toBe(true);
    // Extending the sweep (a third seed) runs only the new points.
    expect(await collect(sweep({ ...spec, seeds: 3 }))).toHaveLength(4);
    // Another config content is refused for this database.
    const changed = path.join(dir, 'changed.yaml');
    writeFileSync(changed, readConfigFileText().replace('size: 20', 'size: 21'));
    await expect(collect(sweep({ ...spec, config: changed }))).rejects.toThrow(/belongs to another sweep/);
  });

  it('a failing point is recorded with its error and the others complete; the CLI exits 1 and exports the table', () => {
    const out = path.join(dir, 'failing');
    const csv = path.join(dir, 'failing.csv');
    const r = spawnSync(process.execPath, [CLI, 'sweep', CONFIG, '--param', 'populations.E.tau_refrac=[2, -1, 3]', '--out', out, '--jobs', '2', '--csv', csv], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/1 of 3 runs failed/);
    expect(r.stderr).toMatch(/tau_refrac/);
    const db = new Database(path.join(out, 'sweep.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT status, error, results_path FROM points ORDER BY idx').all() as { status: string; error: string | null; results_path: string | null }[];
    db.close();
    expect(rows.map((x) => x.status)).toEqual(['done', 'failed', 'done']);
    expect(rows[1]!.error).toMatch(/tau_refrac/);
    expect(rows[1]!.results_path).toBeNull();
    expect(readdirSync(path.join(out, 'points')).sort()).toEqual(rows.filter((x) => x.results_path).map((x) => path.basename(x.results_path!)).sort());
    expect(existsSync(csv)).toBe(true);
  });

  it('killed midway, it keeps every completed point; the rerun completes the rest and reruns none', async () => {
    const out = path.join(dir, 'killed');
    const dbFile = path.join(out, 'sweep.sqlite');
    const args = [CLI, 'sweep', CONFIG, '--param', 'populations.E.tau_m=10:39:1', '--seeds', '2', '--duration', '1 s', '--out', out, '--jobs', '2'];
    const total = 60;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const count = () => {
      if (!existsSync(dbFile)) return 0;
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      try {
        return Number(db.prepare(`SELECT COUNT(*) FROM points WHERE status = 'done'`).pluck().get());
      } catch {
        return 0; // tables not created yet
      } finally {
        db.close();
      }
    };
    const deadline = Date.now() + 60_000;
    while (count() < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const db = new Database(dbFile, { readonly: true });
    const before = db.prepare('SELECT id, results_path, attempts FROM points').all() as { id: string; results_path: string; attempts: number }[];
    db.close();
    expect(before.length, stderr).toBeGreaterThanOrEqual(4);
    expect(before.length, 'the sweep finished before it was killed; make it longer').toBeLessThan(total);
    // Every completed point is there with a readable results file.
    const mtimes = new Map<string, number>();
    for (const p of before) {
      const f = path.join(out, p.results_path);
      expect((await readResults(f)).metadata.duration).toBe(1000);
      mtimes.set(p.id, statSync(f).mtimeMs);
    }

    const rerun = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`${before.length} done earlier, ${total - before.length} to run`);
    // No lock and no write-ahead log left behind by the finished sweep.
    expect(readdirSync(out).sort()).toEqual(['points', 'sweep.sqlite']);
    const db2 = new Database(dbFile, { readonly: true });
    const after = db2.prepare('SELECT id, status, attempts, results_path FROM points').all() as { id: string; status: string; attempts: number; results_path: string }[];
    db2.close();
    expect(after).toHaveLength(total);
    expect(after.every((p) => p.status === 'done' && p.attempts === 1)).toBe(true);
    for (const [id, mtime] of mtimes) expect(statSync(path.join(out, 'points', `${id}.nmr`)).mtimeMs).toBe(mtime);
    // No temporary files of the killed runs.
    const points = readdirSync(path.join(out, 'points'));
    expect(points.filter((f) => f.startsWith('.'))).toEqual([]);
    expect(points).toHaveLength(total);
  });
});

function readConfigFileText(): string {
  return readFileSync(CONFIG, 'utf8');
}
