/** The default job: `nematode run` with no config runs the posterior-touch experiment. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readResultsSync } from '../src/results/index.js';

const CLI = path.resolve('dist/src/cli/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-worm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nematode(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nematode run (default job)', () => {
  it('simulates posterior touch on the built-in connectome, prints responding classes with signs, writes results and a plot', () => {
    const out = path.join(dir, 'touch.nmr');
    const r = nematode({}, 'run', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/posterior-touch: 3 s biological time/);
    expect(r.stdout).toMatch(/stimulated: PLM \+/);
    expect(r.stdout).toMatch(/inter .*PVC \+/);
    expect(r.stdout).toMatch(/motor .*(VB|DB) \+/);
    const svg = readFileSync(out.replace(/\.nmr$/, '.svg'), 'utf8');
    expect(svg).toContain('<svg');
    expect(svg).toContain('PVC');
    const res = readResultsSync(out);
    expect((res.metadata.config as any).provenance.worm.signTables[0].name).toBe('tap-withdrawal');
  });

  it('without the data directory it says exactly how to get the data and writes nothing', () => {
    const empty = mkdtempSync(path.join(dir, 'nodata-'));
    const out = path.join(dir, 'none.nmr');
    const r = nematode({ NEMATODE_DATA: empty }, 'run', '--out', out);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/NEMATODE_DATA/);
    expect(r.stderr).toMatch(/nematode connectome fetch/);
    expect(existsSync(out)).toBe(false);
  });
});
