/** Sweep specs: --param syntax, path resolution, grid/random/CSV expansion, ids, shards, error paths. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../src/config/load.js';
import { FileFormatError, UnitError, UnknownNameError, ValidationError } from '../src/errors.js';
import { applyAssignment, checkValues, resolveParamPath } from '../src/sweep/paths.js';
import { parseParamSpec } from '../src/sweep/params.js';
import { planSweep } from '../src/sweep/plan.js';
import { gridAssignments, parseShard, randomAssignments, readPointsCsv, shardRuns } from '../src/sweep/points.js';
import { expectError } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-sweep-params-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const BRUNEL = 'docs/examples/brunel.yaml';
const cfg = readConfigFile(BRUNEL);

describe('--param syntax', () => {
  it('ranges include the end when it lands on the grid, without float accumulation', () => {
    expect(parseParamSpec('populations.E.tau_m=10:30:5').values).toEqual([10, 15, 20, 25, 30]);
    expect(parseParamSpec('x.y=0.1:0.3:0.1').values).toEqual([0.1, 0.2, 0.3]);
    const tenth = parseParamSpec('x.y=0:1:0.1').values;
    expect(tenth).toHaveLength(11);
    expect(tenth[3]).toBe(0.3);
    expect(tenth[10]).toBe(1);
    expect(parseParamSpec('x.y=10:29:5').values).toEqual([10, 15, 20, 25]);
    expect(parseParamSpec('x.y=5:5:1').values).toEqual([5]);
  });
  it('log ranges, lists with units, single values; units in range bounds convert to internal units', () => {
    expect(parseParamSpec('x.y=log:1:100:3').values).toEqual([1, 10, 100]);
    expect(parseParamSpec('x.y=log:1 kHz:100 kHz:3')).toMatchObject({ values: [1000, 10000, 100000], dim: 'rate' });
    expect(parseParamSpec("projections.EE.weight=[0.1, 0.2, '50 pA', 87.8 pA]").values).toEqual([0.1, 0.2, '50 pA', '87.8 pA']);
    expect(parseParamSpec('run.dt=0.05').values).toEqual([0.05]);
    expect(parseParamSpec('run.engine=event').values).toEqual(['event']);
    expect(parseParamSpec('x.y=10 ms:30 ms:10 ms')).toMatchObject({ values: [10, 20, 30], dim: 'time', low: 10, high: 30 });
    expect(parseParamSpec('x.y=1 s:2 s:500 ms').values).toEqual([1000, 1500, 2000]);
  });
  it('bad specs are ValidationErrors that say what is valid', () => {
    for (const bad of ['tau_m', '=1:2:1', 'x.y=', 'x.y=1:2', 'x.y=2:1:1', 'x.y=1:2:0', 'x.y=1:2:-1', 'x.y=[1,2', 'x.y=[]', 'x.y=[1,1]', 'x.y=log:0:10:3', 'x.y=log:1:10:1', 'x.y=1 ms:2 mV:1 ms', 'x.y=a:b:c', 'x..y=1']) {
      const e = expectError(() => parseParamSpec(bad), ValidationError);
      expect((e as ValidationError).expected).toContain('a:b:step');
    }
  });
});

describe('parameter paths', () => {
  it('short paths resolve to where the parameter lives; explicit paths to the same name', () => {
    expect(resolveParamPath(cfg, 'populations.E.tau_m')).toEqual({ name: 'populations.E.tau_m', segments: ['populations', 'E', 'params', 'tau_m'], dim: 'time' });
    expect(resolveParamPath(cfg, 'populations.E.params.tau_m').name).toBe('populations.E.tau_m');
    expect(resolveParamPath(cfg, 'populations.E.v')).toMatchObject({ segments: ['populations', 'E', 'initial', 'v'], dim: 'voltage' });
    expect(resolveParamPath(cfg, 'populations.I.size').segments).toEqual(['populations', 'I', 'size']);
    expect(resolveParamPath(cfg, 'projections.EE.weight')).toMatchObject({ segments: ['projections', 'EE', 'weight'], dim: 'current' });
    expect(resolveParamPath(cfg, 'projections.IE.delay').dim).toBe('time');
    expect(resolveParamPath(cfg, 'projections.EE.n')).toMatchObject({ name: 'projections.EE.connector.n', segments: ['projections', 'EE', 'connector', 'n'] });
    expect(resolveParamPath(cfg, 'run.dt')).toMatchObject({ segments: ['run', 'dt'], dim: 'time' });
    expect(resolveParamPath(cfg, 'stimuli.1.rate')).toMatchObject({ name: 'stimuli.1.rate', segments: ['stimuli', 1, 'rate'], dim: 'rate' });
    expect(resolveParamPath(cfg, 'stimuli.0.weight').dim).toBe('current');
  });
  it('unknown paths name the path, suggest the nearest and list the valid ones', () => {
    const e = expectError(() => resolveParamPath(cfg, 'populations.E.tau'), UnknownNameError, /populations\.E\.tau/, /Did you mean "populations\.E\.tau_m"/) as UnknownNameError;
    expect(e.valid).toContain('projections.EE.weight');
    expect(e.valid).toContain('run.dt');
    expectError(() => resolveParamPath(cfg, 'populations.X.tau_m'), UnknownNameError, /populations\.X\.tau_m/);
    expectError(() => resolveParamPath(cfg, 'projections.EE.p'), UnknownNameError); // fixed_indegree has n, not p
    expectError(() => resolveParamPath(cfg, 'stimuli.5.rate'), UnknownNameError);
    expectError(() => resolveParamPath(cfg, 'run.seed'), ValidationError, /--seeds/);
    expectError(() => resolveParamPath(cfg, 'run.threads'), ValidationError, /--jobs/);
  });
  it('values are checked against the field dimension', () => {
    const r = resolveParamPath(cfg, 'populations.E.tau_m');
    expectError(() => checkValues(parseParamSpec("populations.E.tau_m=['10 ms', '5 mV']"), r), UnitError, /5 mV/);
    expectError(() => checkValues(parseParamSpec('populations.E.tau_m=1 nA:3 nA:1 nA'), r), ValidationError, /current/);
    checkValues(parseParamSpec("populations.E.tau_m=['10 ms', 0.02 s]"), r);
  });
  it('assignments apply to a copy of the config', () => {
    const r = resolveParamPath(cfg, 'populations.E.tau_m');
    const c2 = applyAssignment(cfg, [{ segments: r.segments, value: 17 }]);
    expect((c2.populations as any).E.params.tau_m).toBe(17);
    expect((cfg.populations as any).E.params.tau_m).toBe('10 ms');
  });
});

describe('points', () => {
  const specs = [
    { name: 'a', spec: parseParamSpec('a.x=1:3:1') },
    { name: 'b', spec: parseParamSpec('b.x=[p, q]') },
  ];
  it('the grid is the cartesian product, first parameter slowest', () => {
    expect(gridAssignments(specs)).toEqual([
      { a: 1, b: 'p' }, { a: 1, b: 'q' }, { a: 2, b: 'p' }, { a: 2, b: 'q' }, { a: 3, b: 'p' }, { a: 3, b: 'q' },
    ]);
  });
  it('random points are seeded, inside the ranges, and --random N extends --random M < N', () => {
    const s2 = [{ name: 'a', spec: parseParamSpec('a.x=10:20:1') }, { name: 'b', spec: parseParamSpec('b.x=[p,q,r]') }, { name: 'n', spec: parseParamSpec('n.x=1:5:1'), integer: true }, { name: 'l', spec: parseParamSpec('l.x=log:1:1000:4') }];
    const r = randomAssignments(s2, 200, 7);
    expect(randomAssignments(s2, 200, 7)).toEqual(r);
    expect(randomAssignments(s2, 20, 7)).toEqual(r.slice(0, 20));
    expect(randomAssignments(s2, 20, 8)).not.toEqual(r.slice(0, 20));
    for (const p of r) {
      expect(p.a).toBeGreaterThanOrEqual(10);
      expect(p.a).toBeLessThanOrEqual(20);
      expect(['p', 'q', 'r']).toContain(p.b);
      expect(Number.isInteger(p.n)).toBe(true);
      expect(p.l).toBeGreaterThanOrEqual(1);
      expect(p.l).toBeLessThanOrEqual(1000);
    }
    expect(new Set(r.map((p) => p.n))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(new Set(r.map((p) => p.b)).size).toBe(3);
    // Log-uniform: about half the draws below sqrt(1000).
    const below = r.filter((p) => (p.l as number) < Math.sqrt(1000)).length;
    expect(below).toBeGreaterThan(70);
    expect(below).toBeLessThan(130);
    expectError(() => randomAssignments(s2, 0, 1), ValidationError);
  });
  it('CSV points: a header of paths, values with units, an optional seed column; errors name row and column', () => {
    const f = write('points.csv', 'populations.E.tau_m,projections.EE.weight,seed\n10,0.05,3\n"20 ms",87.8 pA,4\n');
    expect(readPointsCsv(f)).toEqual({ columns: ['populations.E.tau_m', 'projections.EE.weight'], rows: [{ 'populations.E.tau_m': 10, 'projections.EE.weight': 0.05 }, { 'populations.E.tau_m': '20 ms', 'projections.EE.weight': '87.8 pA' }], seeds: [3, 4] });
    expectError(() => readPointsCsv(write('gap.csv', 'a.x,b.x\n1,\n')), FileFormatError, /row 2/, /b\.x/);
    expectError(() => readPointsCsv(write('dup.csv', 'a.x,a.x\n1,2\n')), FileFormatError, /twice/);
    expectError(() => readPointsCsv(write('none.csv', 'a.x\n')), FileFormatError, /no points/);
    expectError(() => readPointsCsv(write('seed.csv', 'a.x,seed\n1,x\n')), FileFormatError, /seed/);
    expectError(() => readPointsCsv(path.join(dir, 'missing.csv')), FileFormatError);
  });
});

describe('plans', () => {
  it('grid × seeds, stable ids, the short and explicit forms are the same point', () => {
    const p = planSweep({ config: BRUNEL, params: ['populations.E.tau_m=10:30:10', "projections.EE.weight=[0.05, '87.8 pA']"], seeds: 2, out: path.join(dir, 's') });
    expect(p.runs).toHaveLength(12);
    expect(p.points).toBe(6);
    expect(p.runs.map((r) => r.seed).slice(0, 4)).toEqual([7, 8, 7, 8]); // config run.seed 7
    expect(p.runs[2]!.params).toEqual({ 'populations.E.tau_m': 10, 'projections.EE.weight': '87.8 pA' });
    expect(new Set(p.runs.map((r) => r.id)).size).toBe(12);
    const q = planSweep({ config: BRUNEL, params: ["projections.EE.weight=[0.05, '87.8 pA']", 'populations.E.params.tau_m=10:30:10'], seeds: 2, seed: 7, out: path.join(dir, 's') });
    expect(new Set(q.runs.map((r) => r.id))).toEqual(new Set(p.runs.map((r) => r.id)));
    // Another config content, duration or analysis window: other points.
    const r = planSweep({ config: BRUNEL, params: ['populations.E.tau_m=10:30:10', "projections.EE.weight=[0.05, '87.8 pA']"], seeds: 2, duration: '200 ms', out: path.join(dir, 's') });
    expect(r.runs.some((x) => p.runs.some((y) => y.id === x.id))).toBe(false);
    expect(r.meta.configHash).toBe(p.meta.configHash);
    expect(r.meta.sweepKey).not.toBe(p.meta.sweepKey);
  });
  it('shards partition the runs; i/N is 1-based', () => {
    const p = planSweep({ config: BRUNEL, params: ['populations.E.tau_m=10:30:5'], seeds: 3, out: path.join(dir, 's') });
    const parts = [1, 2, 3, 4].map((i) => shardRuns(p.runs, parseShard(`${i}/4`)));
    expect(parts.flat().map((r) => r.id).sort()).toEqual(p.runs.map((r) => r.id).sort());
    expect(parts[0]!.map((r) => r.index)).toEqual([0, 4, 8, 12]);
    const s = planSweep({ config: BRUNEL, params: ['populations.E.tau_m=10:30:5'], seeds: 3, out: path.join(dir, 's'), shard: '2/4' });
    expect(s.runs.map((r) => r.id)).toEqual(parts[1]!.map((r) => r.id));
    expect(s.dbFile).toBe(path.join(dir, 's', 'shard-2.sqlite'));
    for (const bad of ['0/4', '5/4', '1/0', '1', 'a/b']) expectError(() => parseShard(bad), ValidationError, /1-based/);
  });
  it('--from crosses CSV rows with --param grids and resolves the columns', () => {
    const f = write('from.csv', 'populations.E.params.tau_m\n10\n20\n');
    const p = planSweep({ config: BRUNEL, mode: { kind: 'from', file: f }, params: ['projections.EE.weight=[0.05,0.1]'], out: path.join(dir, 's') });
    expect(p.runs.map((r) => r.params)).toEqual([
      { 'populations.E.tau_m': 10, 'projections.EE.weight': 0.05 }, { 'populations.E.tau_m': 10, 'projections.EE.weight': 0.1 },
      { 'populations.E.tau_m': 20, 'projections.EE.weight': 0.05 }, { 'populations.E.tau_m': 20, 'projections.EE.weight': 0.1 },
    ]);
    expectError(() => planSweep({ config: BRUNEL, mode: { kind: 'from', file: write('bad.csv', 'populations.E.tau\n1\n') } }), UnknownNameError, /tau_m/);
    expectError(() => planSweep({ config: BRUNEL, mode: { kind: 'from', file: write('unit.csv', 'populations.E.tau_m\n5 mV\n') } }), UnitError);
    const seeded = write('seeded.csv', 'populations.E.tau_m,seed\n10,1\n10,2\n');
    expect(planSweep({ config: BRUNEL, mode: { kind: 'from', file: seeded } }).runs.map((r) => r.seed)).toEqual([1, 2]);
    expectError(() => planSweep({ config: BRUNEL, mode: { kind: 'from', file: seeded }, seeds: 2 }), ValidationError, /seed column/);
  });
  it('plan errors: a parameter twice, --random without ranges, bad seeds, --duration with run.duration, t-start past the end', () => {
    expectError(() => planSweep({ config: BRUNEL, params: ['populations.E.tau_m=[1,2]', 'populations.E.params.tau_m=[3]'] }), ValidationError, /twice/);
    expectError(() => planSweep({ config: BRUNEL, mode: { kind: 'random', n: 3 } }), ValidationError, /--random/);
    expectError(() => planSweep({ config: BRUNEL, seeds: 0 }), ValidationError, /--seeds/);
    expectError(() => planSweep({ config: BRUNEL, params: ['run.duration=[100,200]'], duration: 100 }), ValidationError, /--duration/);
    expectError(() => planSweep({ config: BRUNEL, tStart: '1 s' }), ValidationError, /--t-start/);
    expectError(() => planSweep({ config: path.join(dir, 'nope.yaml') }), FileFormatError);
  });
});
