/**
 * `nematode plot fi` and `nematode plot adjacency` (src/cli/plot-command.ts): the CLI's rates
 * follow the analytic LIF f–I curve, the SVGs parse and draw what the data say, bad input is a
 * typed error that writes nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lifRate } from '../src/analysis/fi.js';
import { adjacencyByClass } from '../src/plot/adjacency.js';
import { loadConnectome, loadNeuronTable, resolveDataDir } from '../src/connectome/index.js';
import { all, parseXml } from './xml-wellformed.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-plot-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = path.resolve('dist/src/cli/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'plot', ...args], { encoding: 'utf8', cwd: dir });
let hasData = true;
try {
  resolveDataDir({});
} catch {
  hasData = false;
}

describe('nematode plot', () => {
  it('fi: the printed rates follow the analytic LIF curve within 2 % (dt 0.1 ms) and the SVG draws one marker per current', () => {
    const r = run('fi', 'IF_curr_exp', '-p', 'tau_m=20', '-p', 'cm=0.25', '-p', 'tau_refrac=2 ms', '--currents', '[0.1, 300 pA, 0.5, 1 nA]', '--out', 'fi.svg');
    expect(r.status, r.stderr).toBe(0);
    const rows = [...r.stdout.matchAll(/^\s+([\d.]+) nA\s+([\d.]+) Hz$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(rows.map((x) => x[0])).toEqual([0.1, 0.3, 0.5, 1]);
    const p = { tau_m: 20, cm: 0.25, tau_refrac: 2, v_rest: -65, v_reset: -65, v_thresh: -50 };
    for (const [I, rate] of rows) {
      const exact = lifRate(p, I);
      if (exact === 0) expect(rate).toBe(0);
      else expect(Math.abs(rate - exact) / exact, `${I} nA`).toBeLessThan(0.02);
    }
    const svg = parseXml(readFileSync(path.join(dir, 'fi.svg'), 'utf8'));
    expect(all(svg, (e) => e.name === 'circle').length).toBeGreaterThanOrEqual(4);
    expect(readFileSync(path.join(dir, 'fi.svg'), 'utf8')).toContain('analytic LIF');
  }, 60_000);

  it('fi: a current range in volts is refused before anything runs, naming --currents', () => {
    const r = run('fi', 'IF_curr_exp', '--currents', '0:5 mV:1', '--out', 'bad.svg');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--currents "0:5 mV:1": the bounds mix dimensionless and voltage/);
    expect(existsSync(path.join(dir, 'bad.svg'))).toBe(false);
    const u = run('fi', 'no_such_model');
    expect(u.stderr).toMatch(/no_such_model/);
  });

  it.skipIf(!hasData)('adjacency: one cell per non-empty class pair of the Cook 2019 chemical connectome', () => {
    const r = run('adjacency', 'cook2019', '--out', 'adj.svg');
    expect(r.status, r.stderr).toBe(0);
    const adj = adjacencyByClass(loadConnectome('cook2019'), loadNeuronTable(), { kind: 'chemical' });
    const nonEmpty = Array.from(adj.counts).filter((c) => c > 0).length;
    const svg = parseXml(readFileSync(path.join(dir, 'adj.svg'), 'utf8'));
    const cells = all(svg, (e) => e.name === 'rect' && e.attrs.class === 'cell');
    expect(nonEmpty).toBeGreaterThan(500);
    expect(cells.length).toBe(nonEmpty);
    const drawn = cells.reduce((sum, c) => sum + Number(c.attrs['data-count']), 0);
    expect(drawn).toBe(Array.from(adj.counts).reduce((a, b) => a + b, 0));
  });
});
