/**
 * scripts/gpu-bench.sh pack: the esbuild bundle that travels to a GPU machine runs on its own.
 * It is run from a copy outside the repo (nothing resolves from node_modules), on two threads
 * (the clock engine's worker is a second bundle beside the CLI), and its WebGPU probe loads
 * dawn.node from where the pack says, failing with one clear line, not a hang, where there is
 * none or no adapter. Needs dist/ (npm test builds it first); packs with --bundle-only, so no
 * xz of node or dawn.node (that takes a minute), about 2 s in all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-gpu-pack-'));
const pack = path.join(dir, 'gpu-pack');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: dir, timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('scripts/gpu-bench.sh pack', () => {
  it('bundles the CLI, the worker and the WebGPU probe, and the bundle runs bench coba on two threads', () => {
    const r = spawnSync('bash', ['scripts/gpu-bench.sh', 'pack', '--no-build', '--bundle-only', '--no-check', '--dir', pack], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const f of ['nematode.mjs', 'nematode.js', 'engines.clock.worker.mjs', 'webgpu-probe.mjs', 'package.json', 'connectomes/manifest.json']) {
      expect(existsSync(path.join(pack, f)), f).toBe(true);
    }
    const b = node([path.join(pack, 'nematode.mjs'), 'bench', 'coba', '--duration', '20', '--engine', 'clock', '--threads', '2']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/COBA-4000 \[clock, 2 threads\] 4000 neurons, \d+ synapses, 0\.02 s bio: build [\d.]+ s, simulation [\d.]+ s/);
  });

  it('the WebGPU probe says plainly when dawn.node is missing, and loads it from NEMATODE_DAWN_NODE', () => {
    const missing = node([path.join(pack, 'webgpu-probe.mjs')], { NEMATODE_DAWN_NODE: '' });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^webgpu-probe: FAIL: dawn\.node not found at .*gpu-pack\/dawn\.node/m);
    const dawn = path.resolve('node_modules/webgpu/dist/linux-x64/dawn.node');
    if (process.platform !== 'linux' || process.arch !== 'x64' || !existsSync(dawn)) return;
    const p = node([path.join(pack, 'webgpu-probe.mjs')], { NEMATODE_DAWN_NODE: dawn, NEMATODE_PROBE_TIMEOUT_S: '30' });
    expect(p.stdout).toMatch(/^webgpu-probe: dawn\.node loaded$/m);
    // no GPU (CI): no adapter, exit 2; a GPU: the compute shader's check, exit 0
    expect(p.stdout).toMatch(/^webgpu-probe: (FAIL: no WebGPU adapter|OK: a compute shader)/m);
    expect([0, 2]).toContain(p.code);
  });
});
