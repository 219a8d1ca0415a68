/**
 * The sweep database: SQLite through better-sqlite3, in WAL mode.
 *
 *   sweep    one row: what the points belong to (sweep key, config hash and text,
 *            options, the parameter names, the spec of the last invocation)
 *   points   one row per finished run: id, index, params (JSON), seed, status
 *            ('done' | 'failed'), attempts, wall time, results file (relative to
 *            the database's folder), error, finish time, host
 *   metrics  one row per (point, population): rate (Hz), cv_isi, synchrony, spikes, neurons
 *   summary  a view: one row per point, with a column per parameter and per
 *            population metric (e.g. "populations.E.tau_m", "E.rate")
 *
 * Each finished run is one transaction. `synchronous = FULL`: in WAL mode each commit
 * then fsyncs the log, so a completed point survives a power cut or a node crash as
 * well as a killed process, like its results file (which is fsynced before it is
 * renamed into place). The cost, one fsync per point, is negligible beside a
 * simulation. Unfinished runs leave no row, so they run again on the next invocation.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { FileFormatError, ValidationError } from '../errors.js';
import { VERSION } from '../version.js';
import type { SpikeStats } from '../analysis/spikes.js';
import { csvField } from '../connectome/csv.js';
import type { Assignment } from './points.js';

export const STORE_FORMAT_VERSION = 1;

export interface SweepMeta {
  /** Hash of the config content and of every option that changes what is stored. */
  sweepKey: string;
  /** sha256 of the config file's bytes. */
  configHash: string;
  configPath: string;
  configText: string;
  /** The options inside the sweep key (duration, analysis window, bin), as JSON-able data. */
  options: Record<string, unknown>;
  /** Canonical parameter names, in column order. */
  params: string[];
  /** The invocation that last wrote to the database (param specs, mode, seeds). */
  spec: Record<string, unknown>;
  name: string;
}

export type PopulationMetrics = Omit<SpikeStats, never>;

export interface StoredPoint {
  id: string;
  index: number;
  params: Assignment;
  seed: number;
  status: 'done' | 'failed';
  attempts: number;
  wallMs: number | null;
  /** Relative to the database's folder. */
  resultsPath: string | null;
  error: string | null;
  finishedAt: string;
  host: string | null;
  metrics: Record<string, PopulationMetrics>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sweep (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  format_version INTEGER NOT NULL,
  sweep_key TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  config_path TEXT NOT NULL,
  config_text TEXT NOT NULL,
  options TEXT NOT NULL,
  params TEXT NOT NULL,
  spec TEXT NOT NULL,
  name TEXT NOT NULL,
  nematode_version TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS points (
  id TEXT PRIMARY KEY,
  idx INTEGER NOT NULL,
  params TEXT NOT NULL,
  seed INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 1,
  wall_ms REAL,
  results_path TEXT,
  error TEXT,
  finished_at TEXT NOT NULL,
  host TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
  point_id TEXT NOT NULL REFERENCES points(id) ON DELETE CASCADE,
  population TEXT NOT NULL,
  rate REAL,
  cv_isi REAL,
  synchrony REAL,
  spikes INTEGER,
  neurons INTEGER,
  PRIMARY KEY (point_id, population)
);
CREATE INDEX IF NOT EXISTS points_status ON points(status);
`;

/** SQLite stores no NaN: undefined statistics (CV with too few spikes) are NULL. */
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
const unnum = (x: number | null): number => (x === null ? NaN : x);
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const sqlIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export class SweepStore {
  readonly db: Database.Database;
  readonly file: string;
  /** The folder results paths are relative to. */
  readonly dir: string;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.dir = path.dirname(path.resolve(file));
    this.db = db;
  }

  /** Opens (creating if needed) a sweep database in WAL mode. */
  static open(file: string, options: { readonly?: boolean } = {}): SweepStore {
    let db: Database.Database;
    try {
      if (!options.readonly) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      try {
        // Read access opens read-write all the same (without creating or changing anything), so
        // that closing checkpoints the write-ahead log and removes it: no -wal/-shm left behind.
        db = new Database(file, { fileMustExist: options.readonly ?? false });
      } catch (e) {
        if (!options.readonly || !/readonly|read-only|EACCES|EROFS|unable to open/i.test((e as Error).message)) throw e;
        db = new Database(file, { readonly: true, fileMustExist: true });
      }
    } catch (e) {
      throw new FileFormatError(`cannot open sweep database "${file}": ${(e as Error).message}`, { object: `sweep database "${file}"` });
    }
    try {
      db.pragma('busy_timeout = 10000');
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
        db.exec(SCHEMA);
      }
      const hasSweep = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sweep'`).get();
      if (!hasSweep) throw new Error('it has no sweep table (not a nematode sweep database)');
      const row = db.prepare('SELECT format_version FROM sweep').get() as { format_version: number } | undefined;
      if (row && row.format_version > STORE_FORMAT_VERSION) throw new Error(`its format version ${row.format_version} is newer than this nematode reads (${STORE_FORMAT_VERSION}); upgrade nematode`);
    } catch (e) {
      db.close();
      if (e instanceof FileFormatError) throw e;
      throw new FileFormatError(`sweep database "${file}": ${(e as Error).message}`, { object: `sweep database "${file}"` });
    }
    return new SweepStore(file, db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }));
  }

  meta(): SweepMeta | undefined {
    const r = this.db.prepare('SELECT * FROM sweep WHERE id = 1').get() as Record<string, string> | undefined;
    if (!r) return undefined;
    return {
      sweepKey: r.sweep_key!,
      configHash: r.config_hash!,
      configPath: r.config_path!,
      configText: r.config_text!,
      options: JSON.parse(r.options!),
      params: JSON.parse(r.params!),
      spec: JSON.parse(r.spec!),
      name: r.name!,
    };
  }

  /**
   * Records what the database is a sweep of, or checks that it matches: a database holds
   * the points of one config content and one set of stored options. New parameter
   * names are added to the list (a sweep may be extended with more points).
   */
  bind(meta: SweepMeta, options: { force?: boolean } = {}): void {
    const old = this.meta();
    const now = new Date().toISOString();
    if (old && old.sweepKey !== meta.sweepKey) {
      if (!options.force) {
        const what =
          old.configHash !== meta.configHash
            ? `config "${meta.configPath}" differs from the one its points were run with ("${old.configPath}", sha256 ${old.configHash.slice(0, 12)}… now ${meta.configHash.slice(0, 12)}…)`
            : `the options that shape the stored results differ (then ${JSON.stringify(old.options)}, now ${JSON.stringify(meta.options)})`;
        throw new ValidationError(`sweep database "${this.file}" belongs to another sweep: ${what}. Points of different sweeps are not mixed.`, {
          object: `sweep database "${this.file}"`,
          parameter: 'config',
          fix: 'use a new --out folder for the changed sweep, or add --force to discard the stored points',
        });
      }
      this.db.transaction(() => {
        this.db.exec('DELETE FROM metrics; DELETE FROM points; DELETE FROM sweep;');
      })();
    }
    const params = old && old.sweepKey === meta.sweepKey ? [...old.params, ...meta.params.filter((p) => !old.params.includes(p))] : meta.params;
    this.db
      .prepare(
        `INSERT INTO sweep (id, format_version, sweep_key, config_hash, config_path, config_text, options, params, spec, name, nematode_version, created_at, updated_at)
         VALUES (1, @v, @key, @hash, @path, @text, @options, @params, @spec, @name, @version, @now, @now)
         ON CONFLICT(id) DO UPDATE SET params = excluded.params, spec = excluded.spec, config_path = excluded.config_path,
           nematode_version = excluded.nematode_version, updated_at = excluded.updated_at`,
      )
      .run({
        v: STORE_FORMAT_VERSION,
        key: meta.sweepKey,
        hash: meta.configHash,
        path: meta.configPath,
        text: meta.configText,
        options: JSON.stringify(meta.options),
        params: JSON.stringify(params),
        spec: JSON.stringify(meta.spec),
        name: meta.name,
        version: VERSION,
        now,
      });
    this.refreshSummaryView();
  }

  /** Ids of the runs that completed (failed ones run again). */
  completedIds(): Set<string> {
    return new Set((this.db.prepare(`SELECT id FROM points WHERE status = 'done'`).pluck().all() as string[]));
  }

  /** Records one finished run in one transaction (attempts counts every recording of the id). */
  record(p: Omit<StoredPoint, 'attempts' | 'finishedAt' | 'host'> & { finishedAt?: string; host?: string }): void {
    const insert = this.db.prepare(
      `INSERT INTO points (id, idx, params, seed, status, attempts, wall_ms, results_path, error, finished_at, host)
       VALUES (@id, @idx, @params, @seed, @status, 1, @wall, @results, @error, @finished, @host)
       ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, status = excluded.status, attempts = points.attempts + 1,
         wall_ms = excluded.wall_ms, results_path = excluded.results_path, error = excluded.error,
         finished_at = excluded.finished_at, host = excluded.host`,
    );
    const clear = this.db.prepare('DELETE FROM metrics WHERE point_id = ?');
    const metric = this.db.prepare('INSERT INTO metrics (point_id, population, rate, cv_isi, synchrony, spikes, neurons) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      insert.run({
        id: p.id,
        idx: p.index,
        params: JSON.stringify(p.params),
        seed: p.seed,
        status: p.status,
        wall: p.wallMs,
        results: p.resultsPath,
        error: p.error,
        finished: p.finishedAt ?? new Date().toISOString(),
        host: p.host ?? hostname(),
      });
      clear.run(p.id);
      for (const [pop, m] of Object.entries(p.metrics)) metric.run(p.id, pop, num(m.rate), num(m.cvIsi), num(m.synchrony), m.spikes, m.neurons);
    })();
  }

  /** Copies a stored point as is (merge): attempts and finish time kept. */
  insertStored(p: StoredPoint): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO points (id, idx, params, seed, status, attempts, wall_ms, results_path, error, finished_at, host)
       VALUES (@id, @idx, @params, @seed, @status, @attempts, @wall, @results, @error, @finished, @host)`,
    );
    const clear = this.db.prepare('DELETE FROM metrics WHERE point_id = ?');
    const metric = this.db.prepare('INSERT INTO metrics (point_id, population, rate, cv_isi, synchrony, spikes, neurons) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      insert.run({ id: p.id, idx: p.index, params: JSON.stringify(p.params), seed: p.seed, status: p.status, attempts: p.attempts, wall: p.wallMs, results: p.resultsPath, error: p.error, finished: p.finishedAt, host: p.host });
      clear.run(p.id);
      for (const [pop, m] of Object.entries(p.metrics)) metric.run(p.id, pop, num(m.rate), num(m.cvIsi), num(m.synchrony), m.spikes, m.neurons);
    })();
  }

  /** Every stored point, in sweep order, with its metrics. */
  points(filter: { status?: 'done' | 'failed' } = {}): StoredPoint[] {
    const rows = this.db.prepare(`SELECT * FROM points ${filter.status ? 'WHERE status = ?' : ''} ORDER BY idx, id`).all(...(filter.status ? [filter.status] : [])) as Array<Record<string, unknown>>;
    const metrics = new Map<string, Record<string, PopulationMetrics>>();
    for (const m of this.db.prepare('SELECT * FROM metrics ORDER BY point_id, population').all() as Array<Record<string, unknown>>) {
      const id = String(m.point_id);
      if (!metrics.has(id)) metrics.set(id, {});
      metrics.get(id)![String(m.population)] = {
        rate: unnum(m.rate as number | null),
        cvIsi: unnum(m.cv_isi as number | null),
        synchrony: unnum(m.synchrony as number | null),
        spikes: Number(m.spikes ?? 0),
        neurons: Number(m.neurons ?? 0),
      };
    }
    return rows.map((r) => ({
      id: String(r.id),
      index: Number(r.idx),
      params: JSON.parse(String(r.params)) as Assignment,
      seed: Number(r.seed),
      status: r.status as 'done' | 'failed',
      attempts: Number(r.attempts),
      wallMs: r.wall_ms === null ? null : Number(r.wall_ms),
      resultsPath: r.results_path === null ? null : String(r.results_path),
      error: r.error === null ? null : String(r.error),
      finishedAt: String(r.finished_at),
      host: r.host === null ? null : String(r.host),
      metrics: metrics.get(String(r.id)) ?? {},
    }));
  }

  counts(): { done: number; failed: number } {
    const r = this.db.prepare(`SELECT SUM(status = 'done') AS done, SUM(status = 'failed') AS failed FROM points`).get() as { done: number | null; failed: number | null };
    return { done: r.done ?? 0, failed: r.failed ?? 0 };
  }

  populations(): string[] {
    return this.db.prepare('SELECT DISTINCT population FROM metrics ORDER BY population').pluck().all() as string[];
  }

  /** (Re)creates the `summary` view: a column per parameter and per population metric. */
  refreshSummaryView(): void {
    const meta = this.meta();
    if (!meta) return;
    const params = meta.params.map((p) => `json_extract(p.params, ${sqlString(`$."${p}"`)}) AS ${sqlIdent(p)}`);
    const pops = this.populations();
    const cols = pops.flatMap((pop) =>
      METRIC_COLUMNS.map(([col, key]) => `(SELECT m.${col} FROM metrics m WHERE m.point_id = p.id AND m.population = ${sqlString(pop)}) AS ${sqlIdent(`${pop}.${key}`)}`),
    );
    this.db.exec(`DROP VIEW IF EXISTS summary; CREATE VIEW summary AS SELECT p.id, p.idx, p.seed, ${[...params, 'p.status', 'p.wall_ms', 'p.results_path', ...cols, 'p.error'].join(', ')} FROM points p ORDER BY p.idx`);
  }

  /** The table as CSV: id, index, seed, parameters, status, wall_ms, results, per-population metrics, error. */
  toCsv(): string {
    const meta = this.meta();
    const params = meta?.params ?? [];
    const pops = this.populations();
    const header = ['id', 'index', 'seed', ...params, 'status', 'attempts', 'wall_ms', 'results', ...pops.flatMap((p) => METRIC_COLUMNS.map(([, key]) => `${p}.${key}`)), 'error'];
    const cell = (x: number | string | null | undefined): string => (x === null || x === undefined || (typeof x === 'number' && !Number.isFinite(x)) ? '' : csvField(x));
    const lines = [header.map(csvField).join(',')];
    for (const p of this.points()) {
      const metricCells = pops.flatMap((pop) => {
        const m = p.metrics[pop];
        return METRIC_COLUMNS.map(([, key]) => cell(m ? (m as unknown as Record<string, number>)[METRIC_FIELD[key]!] : null));
      });
      lines.push([p.id, p.index, p.seed, ...params.map((k) => cell(p.params[k])), p.status, p.attempts, cell(p.wallMs), cell(p.resultsPath), ...metricCells, cell(p.error)].map(String).join(','));
    }
    return lines.join('\n') + '\n';
  }
}

/** SQL column and CSV/summary suffix of each per-population metric. */
const METRIC_COLUMNS: [string, string][] = [
  ['rate', 'rate'],
  ['cv_isi', 'cv_isi'],
  ['synchrony', 'synchrony'],
  ['spikes', 'spikes'],
  ['neurons', 'neurons'],
];
const METRIC_FIELD: Record<string, keyof PopulationMetrics> = { rate: 'rate', cv_isi: 'cvIsi', synchrony: 'synchrony', spikes: 'spikes', neurons: 'neurons' };
