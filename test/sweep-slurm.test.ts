/**
 * A job-array sweep end to end through SLURM: `nematode sweep --slurm` writes the
 * sbatch script, `sbatch --wait` runs its array tasks (one shard each), and
 * `nematode sweep merge` combines the shard databases; the merged database must hold
 * every run of the sweep exactly once. Needs a running cluster (CI: scripts/ci-slurm.sh);
 * skips, saying why, when sbatch is missing or the controller does not answer.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = path.resolve('dist/src/cli/main.js');

function clusterProblem(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v sbatch'], { encoding: 'utf8' });
  if (which.status !== 0) return 'sbatch is not on PATH (install slurm-wlm and run scripts/ci-slurm.sh)';
  const ping = spawnSync('scontrol', ['ping'], { encoding: 'utf8', timeout: 10_000 });
  if (!/is UP/.test(ping.stdout ?? '')) return `the SLURM controller does not answer (scontrol ping: ${(ping.stdout || ping.stderr || '').trim() || 'no output'}); run scripts/ci-slurm.sh`;
  const sinfo = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8', timeout: 10_000 });
  if (!/idle|mix|alloc/.test(sinfo.stdout ?? '')) return `no SLURM node is up (sinfo: ${(sinfo.stdout || '').trim() || 'no output'})`;
  return undefined;
}

const problem = clusterProblem();
if (problem) console.warn(`sweep-slurm.test.ts skipped: ${problem}`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-sweep-slurm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(problem !== undefined)('SLURM job-array sweep', () => {
  it('runs every shard through sbatch and merges them into one database with each run once', () => {
    // The array tasks run on the cluster's node(s): a folder they can all reach (here: localhost).
    chmodSync(dir, 0o755);
    const config = path.join(dir, 'tiny.yaml');
    writeFileSync(
      config,
      `name: tiny-slurm
run: { duration: 100 ms, dt: 0.1 ms, seed: 1 }
populations:
  E: { model: IF_curr_exp, size: 20, params: { tau_m: 10 ms }, initial: { v: { uniform: [-65 mV, -55 mV] } } }
projections:
  EE: { pre: E, post: E, connector: { rule: fixed_probability, p: 0.2 }, receptor: excitatory, weight: 50 pA, delay: 1.5 ms }
stimuli:
  - { kind: poisson, population: E, rate: 9 kHz, weight: 87.8 pA }
`,
    );
    const out = path.join(dir, 'sweep');
    const sweepArgs = [CLI, 'sweep', config, '--param', 'populations.E.tau_m=10:25:5', '--param', 'projections.EE.weight=[0.02,0.05]', '--seeds', '2', '--out', out];
    const w = spawnSync(process.execPath, [...sweepArgs, '--slurm', '--shards', '3', '--time', '00:05:00'], { encoding: 'utf8' });
    expect(w.status, w.stderr).toBe(0);
    const script = path.join(out, 'sweep.sbatch');
    const text = readFileSync(script, 'utf8');
    expect(text).toContain('#SBATCH --array=1-3');
    expect(text).toContain('--shard "${SLURM_ARRAY_TASK_ID}/3"');

    const job = spawnSync('sbatch', ['--wait', script], { encoding: 'utf8', timeout: 150_000 });
    const logs = () => readdirSync(path.join(out, 'logs')).map((f) => `${f}:\n${readFileSync(path.join(out, 'logs', f), 'utf8')}`).join('\n');
    expect(job.status, `${job.stdout}${job.stderr}\n${logs()}`).toBe(0);
    expect(readdirSync(out).filter((f) => /^shard-\d+\.sqlite$/.test(f)).sort()).toEqual(['shard-1.sqlite', 'shard-2.sqlite', 'shard-3.sqlite']);

    const m = spawnSync(process.execPath, [CLI, 'sweep', 'merge', out], { encoding: 'utf8' });
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/16 runs \(16 done, 0 failed\)/);

    // The runs the sweep consists of (ids from a dry run) are each in the merged database once.
    const dry = spawnSync(process.execPath, [...sweepArgs, '--dry-run'], { encoding: 'utf8' });
    const ids = [...dry.stdout.matchAll(/^\s+\d+\s+([0-9a-f]{16})\s/gm)].map((x) => x[1]!);
    expect(ids).toHaveLength(16);
    const db = new Database(path.join(out, 'sweep.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT id, status, results_path FROM points').all() as { id: string; status: string; results_path: string }[];
    db.close();
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(rows.every((r) => r.status === 'done')).toBe(true);
    for (const r of rows) expect(readdirSync(path.join(out, 'points'))).toContain(path.basename(r.results_path));
  });
});
