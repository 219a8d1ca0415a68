/** The sweep database: WAL, one transaction per point, resumability, refusal to mix sweeps, merge, CSV export. */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRecords } from '../src/connectome/csv.js';
import { FileFormatError, ValidationError } from '../src/errors.js';
import { mergeSweeps } from '../src/sweep/merge.js';
import { acquireLock } from '../src/sweep/runner.js';
import { SweepStore, type SweepMeta } from '../src/sweep/store.js';
import { expectError } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-sweep-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function meta(over: Partial<SweepMeta> = {}): SweepMeta {
  return {
    sweepKey: 'key-1',
    configHash: 'hash-1',
    configPath: '/x/net.yaml',
    configText: 'name: net\n',
    options: { tStart: 0, bin: 5 },
    params: ['populations.E.tau_m', 'projections.EE.weight'],
    spec: { params: ['populations.E.tau_m=10:20:10'] },
    name: 'net',
    ...over,
  };
}
const stats = (rate: number, cv = 0.5) => ({ E: { rate, cvIsi: cv, synchrony: 0.1, spikes: Math.round(rate * 2), neurons: 20 }, I: { rate: rate / 2, cvIsi: NaN, synchrony: NaN, spikes: 0, neurons: 5 } });
function point(i: number, status: 'done' | 'failed' = 'done') {
  return {
    id: `${'0'.repeat(15)}${i.toString(16)}`,
    index: i,
    params: { 'populations.E.tau_m': 10 + i, 'projections.EE.weight': i % 2 ? '50 pA' : 0.1 },
    seed: 1 + (i % 2),
    status,
    wallMs: status === 'done' ? 12.5 + i : null,
    resultsPath: status === 'done' ? `points/${i}.nmr` : null,
    error: status === 'done' ? null : 'population "E": tau_m: -1 must be > 0 ms',
    metrics: status === 'done' ? stats(3 + i) : {},
  };
}

describe('sweep database', () => {
  it('is in WAL mode with synchronous=FULL and records one transaction per point', () => {
    const f = path.join(dir, 'a', 'sweep.sqlite');
    const s = SweepStore.open(f);
    expect(s.journalMode()).toBe('wal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    s.bind(meta());
    s.record(point(0));
    s.record(point(1, 'failed'));
    // A second connection (another process) sees the committed points at once.
    const other = new Database(f, { readonly: true });
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(other.prepare('SELECT COUNT(*) FROM points').pluck().get()).toBe(2);
    other.close();
    expect([...s.completedIds()]).toEqual([point(0).id]);
    const [p0, p1] = s.points();
    expect(p0).toMatchObject({ status: 'done', attempts: 1, seed: 1, params: point(0).params, resultsPath: 'points/0.nmr' });
    expect(p0!.metrics.E).toEqual(stats(3).E);
    expect(p0!.metrics.I!.cvIsi).toBeNaN();
    expect(p1).toMatchObject({ status: 'failed', error: /tau_m/ });
    // A failed point that runs again: attempts counts both.
    s.record(point(1));
    expect(s.points()[1]).toMatchObject({ status: 'done', attempts: 2 });
    expect(s.counts()).toEqual({ done: 2, failed: 0 });
    s.close();
    // Reopened (resumed): the same points are done.
    const again = SweepStore.open(f);
    again.bind(meta({ spec: { params: ['other'] } }));
    expect(again.completedIds().size).toBe(2);
    // The summary view has a column per parameter and per population metric.
    again.refreshSummaryView();
    const row = again.db.prepare('SELECT * FROM summary WHERE idx = 0').get() as Record<string, unknown>;
    expect(row).toMatchObject({ 'populations.E.tau_m': 10, 'projections.EE.weight': 0.1, 'E.rate': 3, 'I.cv_isi': null });
    again.close();
  });

  it('refuses the points of another config or other options, unless forced', () => {
    const f = path.join(dir, 'b', 'sweep.sqlite');
    const s = SweepStore.open(f);
    s.bind(meta());
    s.record(point(0));
    expectError(() => s.bind(meta({ sweepKey: 'key-2', configHash: 'hash-2' })), ValidationError, /belongs to another sweep/, /differs/);
    expectError(() => s.bind(meta({ sweepKey: 'key-3', options: { duration: 100, tStart: 0, bin: 5 } })), ValidationError, /options/);
    expect(s.completedIds().size).toBe(1);
    s.bind(meta({ sweepKey: 'key-2', configHash: 'hash-2' }), { force: true });
    expect(s.completedIds().size).toBe(0);
    expect(s.meta()!.sweepKey).toBe('key-2');
    s.close();
  });

  it('rejects files that are not sweep databases', () => {
    const f = path.join(dir, 'plain.sqlite');
    const db = new Database(f);
    db.exec('CREATE TABLE t (x)');
    db.close();
    expectError(() => SweepStore.open(f, { readonly: true }), FileFormatError, /not a nematode sweep database/);
    expectError(() => SweepStore.open(path.join(dir, 'missing.sqlite'), { readonly: true }), FileFormatError);
  });

  it('exports CSV that reads back to the stored values (NaN as empty cells, strings quoted)', () => {
    const f = path.join(dir, 'c', 'sweep.sqlite');
    const s = SweepStore.open(f);
    s.bind(meta({ params: ['populations.E.tau_m', 'projections.EE.weight', 'stimuli.0.note'] }));
    for (let i = 0; i < 4; i++) s.record(point(i, i === 2 ? 'failed' : 'done'));
    s.record({ ...point(5), params: { ...point(5).params, 'stimuli.0.note': 'a "quoted", value' } });
    const { header, records } = parseRecords(s.toCsv());
    expect(header).toEqual(['id', 'index', 'seed', 'populations.E.tau_m', 'projections.EE.weight', 'stimuli.0.note', 'status', 'attempts', 'wall_ms', 'results', 'E.rate', 'E.cv_isi', 'E.synchrony', 'E.spikes', 'E.neurons', 'I.rate', 'I.cv_isi', 'I.synchrony', 'I.spikes', 'I.neurons', 'error']);
    const stored = s.points();
    expect(records).toHaveLength(stored.length);
    records.forEach((r, k) => {
      const p = stored[k]!;
      expect(r.id).toBe(p.id);
      expect(Number(r.seed)).toBe(p.seed);
      for (const [name, v] of Object.entries(p.params)) expect(typeof v === 'number' ? Number(r[name]) : r[name]).toBe(v);
      expect(r.status).toBe(p.status);
      for (const pop of ['E', 'I']) {
        const m = p.metrics[pop];
        const cell = (c: string) => (r[c] === '' ? NaN : Number(r[c]));
        if (!m) expect(r[`${pop}.rate`]).toBe('');
        else {
          expect(cell(`${pop}.rate`)).toBe(m.rate);
          expect(cell(`${pop}.cv_isi`)).toEqual(m.cvIsi);
          expect(cell(`${pop}.synchrony`)).toEqual(m.synchrony);
          expect(Number(r[`${pop}.spikes`])).toBe(m.spikes);
        }
      }
      expect(r.error).toBe(p.error ?? '');
    });
    expect(records[4]!['stimuli.0.note']).toBe('a "quoted", value');
    s.close();
  });

  it('merges shard databases: every point once, done beats failed, paths relative to the output', () => {
    const sd = path.join(dir, 'shards');
    mkdirSync(sd, { recursive: true });
    const shard = (i: number, pts: ReturnType<typeof point>[]) => {
      const s = SweepStore.open(path.join(sd, `shard-${i}.sqlite`));
      s.bind(meta());
      for (const p of pts) s.record(p);
      s.close();
    };
    shard(1, [point(0), point(2, 'failed')]);
    shard(2, [point(1), point(3)]);
    shard(3, [point(2), point(4, 'failed')]); // point 2 failed in one shard, done in another
    const r = mergeSweeps([sd]);
    expect(r).toMatchObject({ out: path.join(sd, 'sweep.sqlite'), points: 5, done: 4, failed: 1 });
    expect(r.inputs.map((f) => path.basename(f))).toEqual(['shard-1.sqlite', 'shard-2.sqlite', 'shard-3.sqlite']);
    const m = SweepStore.open(r.out, { readonly: true });
    expect(m.journalMode()).toBe('wal');
    const pts = m.points();
    expect(pts.map((p) => p.index)).toEqual([0, 1, 2, 3, 4]);
    expect(pts[2]!.status).toBe('done');
    expect(pts[0]!.resultsPath).toBe('points/0.nmr');
    expect(m.meta()!.sweepKey).toBe('key-1');
    m.close();
    // Nothing left beside the output but the databases.
    expect(readdirSync(sd).filter((f) => f.startsWith('.'))).toEqual([]);
    // Merging again (the merged database is an input too) changes nothing.
    expect(mergeSweeps([sd])).toMatchObject({ points: 5, done: 4 });
    // Into another folder: results paths follow.
    const elsewhere = path.join(dir, 'merged', 'all.sqlite');
    mkdirSync(path.dirname(elsewhere), { recursive: true });
    mergeSweeps([path.join(sd, 'shard-1.sqlite'), path.join(sd, 'shard-2.sqlite')], { out: elsewhere });
    const e = SweepStore.open(elsewhere, { readonly: true });
    expect(e.points()[0]!.resultsPath).toBe(path.join('..', 'shards', 'points', '0.nmr'));
    e.close();
  });

  it('refuses to merge different sweeps and leaves the old output untouched', () => {
    const sd = path.join(dir, 'mixed');
    mkdirSync(sd, { recursive: true });
    const a = SweepStore.open(path.join(sd, 'shard-1.sqlite'));
    a.bind(meta());
    a.record(point(0));
    a.close();
    const b = SweepStore.open(path.join(sd, 'shard-2.sqlite'));
    b.bind(meta({ sweepKey: 'key-9', configHash: 'hash-9' }));
    b.record(point(1));
    b.close();
    expectError(() => mergeSweeps([sd]), ValidationError, /different sweeps/, /config/);
    expect(existsSync(path.join(sd, 'sweep.sqlite'))).toBe(false);
    expect(readdirSync(sd).sort()).toEqual(['shard-1.sqlite', 'shard-2.sqlite']);
    expectError(() => mergeSweeps([path.join(dir, 'empty-folder-that-is-missing')]), FileFormatError);
  });

  it('one sweep per database at a time: a live lock is refused, a dead one taken over', () => {
    const f = path.join(dir, 'lock', 'sweep.sqlite');
    const release = acquireLock(f);
    expectError(() => acquireLock(f), ValidationError, /in use by process/);
    release();
    // A lock left by a process that no longer exists (pid 2^22 + 1 is above Linux's pid_max default).
    writeFileSync(`${f}.lock`, JSON.stringify({ host: os.hostname(), pid: 4194305, since: 'then' }));
    acquireLock(f)();
    expect(existsSync(`${f}.lock`)).toBe(false);
  });
});
