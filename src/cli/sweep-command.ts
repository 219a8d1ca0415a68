/**
 * `nematode sweep <config> --param … [--grid | --random N | --from points.csv] --seeds K`:
 * parameter sweeps on all cores, stored in a resumable SQLite database
 * (src/sweep/, docs/sweeps.md); `--slurm` writes a job-array script over shards;
 * `nematode sweep merge` combines shard databases; `nematode sweep export` writes the
 * table as CSV or an HTML report. The sweep modules load only when a subcommand runs.
 */
import type { Argv, CommandModule } from 'yargs';
import { SimulationError, ValidationError } from '../errors.js';
import { parseQuantity } from '../units.js';

interface SweepArgs {
  config: string;
  param?: string | string[];
  grid?: boolean;
  random?: number;
  from?: string;
  seeds?: number;
  seed?: number;
  jobs?: number;
  out?: string;
  duration?: string;
  't-start'?: string;
  bin?: string;
  csv?: string;
  shard?: string;
  slurm?: boolean;
  shards?: number;
  'cpus-per-task'?: number;
  time?: string;
  mem?: string;
  partition?: string;
  account?: string;
  'max-running'?: number;
  submit?: boolean;
  report?: boolean;
  force?: boolean;
  progress?: boolean;
  json?: boolean;
  'dry-run'?: boolean;
}

const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : s + '\n');
const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

/** A path relative to the working directory when it lies below it. */
function nice(p: typeof import('node:path'), file: string): string {
  const rel = p.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !p.isAbsolute(rel) ? rel : file;
}

function fmt(v: number | string): string {
  return typeof v === 'number' ? String(v) : v;
}

/** "tau_m=15, weight=0.1" from the last path segment of each parameter (full path when two share it). */
function shortParams(params: Record<string, number | string>): string {
  const keys = Object.keys(params);
  const last = (k: string) => k.slice(k.lastIndexOf('.') + 1);
  return keys.map((k) => `${keys.filter((q) => last(q) === last(k)).length > 1 ? k : last(k)}=${fmt(params[k]!)}`).join(', ');
}

async function writeCsv(dbFile: string, file: string): Promise<void> {
  const { SweepStore } = await import('../sweep/store.js');
  const { writeFileAtomic } = await import('../util/atomic.js');
  const s = SweepStore.open(dbFile, { readonly: true });
  try {
    writeFileAtomic(file, s.toCsv());
  } finally {
    s.close();
  }
  err(`wrote ${file}`);
}

async function writeReport(dbFile: string): Promise<string> {
  const path = await import('node:path');
  const { SweepStore } = await import('../sweep/store.js');
  const { writeFileAtomic } = await import('../util/atomic.js');
  const { VERSION } = await import('../version.js');
  const { sweepReportHtml } = await import('../report/sweep-report.js');
  const s = SweepStore.open(dbFile, { readonly: true });
  let html: string;
  try {
    const meta = s.meta();
    if (!meta) throw new ValidationError(`sweep database "${dbFile}" holds no sweep yet.`, { object: `sweep database "${dbFile}"` });
    const pops = s.populations();
    const keys = ['rate', 'cvIsi', 'synchrony'] as const;
    const names = { rate: 'rate', cvIsi: 'cv_isi', synchrony: 'synchrony' };
    const rows = s.points({ status: 'done' }).map((p) => {
      const metrics: Record<string, number> = {};
      for (const pop of pops) for (const k of keys) {
        const v = p.metrics[pop]?.[k];
        if (v !== undefined && Number.isFinite(v)) metrics[`${pop}.${names[k]}`] = v;
      }
      return { params: numericParams(p.params), seed: p.seed, metrics, ...(p.resultsPath ? { resultsPath: path.resolve(s.dir, p.resultsPath) } : {}) };
    });
    html = sweepReportHtml({
      name: meta.name,
      params: meta.params,
      metrics: pops.flatMap((pop) => keys.map((k) => `${pop}.${names[k]}`)),
      rows,
      config: meta.configText,
      versions: { nematode: VERSION, node: process.version },
    });
  } finally {
    s.close();
  }
  const file = path.join(path.dirname(path.resolve(dbFile)), 'report.html');
  writeFileAtomic(file, html);
  err(`wrote ${file}`);
  return file;
}

async function runSweep(a: SweepArgs): Promise<void> {
  const path = await import('node:path');
  const { availableParallelism } = await import('node:os');
  const { planSweep, defaultSweepDir } = await import('../sweep/plan.js');
  const { executeSweep } = await import('../sweep/runner.js');
  const { progressBar, formatSeconds } = await import('../util/progress.js');
  const modes = [a.random !== undefined, a.from !== undefined, a.grid === true].filter(Boolean).length;
  if (modes > 1) throw new ValidationError('--grid, --random and --from choose how points are made; give one.', { object: 'nematode sweep', parameter: '--grid/--random/--from' });
  const options = {
    config: a.config,
    params: a.param === undefined ? [] : [a.param].flat(),
    mode: a.random !== undefined ? ({ kind: 'random', n: a.random } as const) : a.from !== undefined ? ({ kind: 'from', file: a.from } as const) : ({ kind: 'grid' } as const),
    ...(a.seeds !== undefined ? { seeds: a.seeds } : {}),
    ...(a.seed !== undefined ? { seed: a.seed } : {}),
    ...(a.duration !== undefined ? { duration: a.duration } : {}),
    ...(a['t-start'] !== undefined ? { tStart: a['t-start'] } : {}),
    ...(a.bin !== undefined ? { bin: a.bin } : {}),
    out: a.out ?? defaultSweepDir(a.config),
    ...(a.shard !== undefined ? { shard: a.shard } : {}),
  };
  const plan = planSweep(options);
  const label = `sweep ${plan.name}`;
  const seedText = plan.seeds === 'from-csv' ? 'seeds from the points file' : `${plan.seeds.length} seed${plan.seeds.length > 1 ? 's' : ''} (${plan.seeds[0]}${plan.seeds.length > 1 ? `…${plan.seeds[plan.seeds.length - 1]}` : ''})`;

  if (a.slurm) {
    if (a.shard !== undefined) throw new ValidationError('--slurm writes the script that runs every shard; drop --shard.', { object: 'nematode sweep', parameter: '--shard' });
    const { writeSbatch, submit } = await import('../sweep/slurm.js');
    const shards = a.shards ?? Math.min(plan.totalRuns, 64);
    const script = writeSbatch(options, {
      shards,
      cpusPerTask: a['cpus-per-task'] ?? 1,
      ...(a.time ? { time: a.time } : {}),
      ...(a.mem ? { mem: a.mem } : {}),
      ...(a.partition ? { partition: a.partition } : {}),
      ...(a.account ? { account: a.account } : {}),
      ...(a['max-running'] ? { maxRunning: a['max-running'] } : {}),
      jobName: `nematode-${plan.name}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
    });
    out(`${label}: ${plan.totalRuns} runs = ${plan.points} points × ${seedText}, in ${shards} array tasks`);
    out(`wrote ${script}`);
    if (a.submit) {
      const job = submit(script);
      out(`submitted job ${job}`);
      out(`when it has finished: nematode sweep merge ${plan.dir}`);
      out(`  (or queue it: sbatch --dependency=afterany:${job} --wrap "nematode sweep merge ${plan.dir}")`);
    } else {
      out(`submit:  sbatch ${script}`);
      out(`then:    nematode sweep merge ${plan.dir}    (logs in ${path.join(plan.dir, 'logs')})`);
    }
    return;
  }

  if (a['dry-run']) {
    out(`${label}: ${plan.runs.length} runs${plan.shard ? ` (shard ${plan.shard.index}/${plan.shard.count} of ${plan.totalRuns})` : ''}: ${plan.points} points × ${seedText}`);
    out(`database ${plan.dbFile}`);
    for (const r of plan.runs) out(`  ${String(r.index).padStart(5)}  ${r.id}  seed ${r.seed}  ${shortParams(r.params)}`);
    return;
  }

  const controller = new AbortController();
  let signalName: string | undefined;
  const onSignal = (name: string) => () => {
    if (signalName) process.exit(130); // a second ^C: stop at once
    signalName = name;
    err(`\n${label}: ${name}: stopping; the runs in progress are abandoned, the completed ones are kept`);
    controller.abort();
  };
  const onInt = onSignal('SIGINT');
  const onTerm = onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const started = performance.now();
  const tty = a.progress ?? Boolean(process.stderr.isTTY);
  const bar = progressBar(label, { force: tty, delayMs: 0 });
  let pending = 0;
  let completedBefore = 0;
  let finished = 0;
  let failed = 0;
  const failures: string[] = [];
  try {
    for await (const r of executeSweep(plan, {
      ...(a.jobs !== undefined ? { jobs: a.jobs } : {}),
      force: a.force ?? false,
      signal: controller.signal,
      onStart: (info) => {
        pending = info.pending;
        completedBefore = info.completed;
        err(
          `${label}: ${info.total} runs${plan.shard ? ` (shard ${plan.shard.index}/${plan.shard.count} of ${plan.totalRuns})` : ''} = ${plan.points} points × ${seedText}; ` +
            `${info.completed} done earlier, ${info.pending} to run on ${info.jobs} of ${availableParallelism()} cores; database ${nice(path, info.dbFile)}`,
        );
      },
    })) {
      finished++;
      if (r.status === 'failed') {
        failed++;
        failures.push(`${r.id} (seed ${r.seed}, ${shortParams(r.params)}): ${r.error}`);
      }
      if (a.json) out(JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
      if (tty) bar.update(finished / pending);
      else {
        const elapsed = performance.now() - started;
        const eta = (elapsed / finished) * (pending - finished);
        const summary = r.status === 'done' ? Object.entries(r.metrics).map(([p, m]) => `${p} ${m.rate.toFixed(2)} Hz`).join(', ') : `FAILED: ${r.error}`;
        err(`[${finished}/${pending}] ${r.id} seed ${r.seed} ${shortParams(r.params)}: ${summary} (${formatSeconds(r.wallMs ?? 0)}; ETA ${formatSeconds(eta)})`);
      }
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    bar.done();
  }
  const wall = formatSeconds(performance.now() - started);
  if (signalName) {
    throw new SimulationError(`${label} interrupted (${signalName}) after ${finished} of ${pending} runs; completed runs are stored in ${plan.dbFile}.`, { object: 'nematode sweep', fix: 'run the same command again to run the rest' });
  }
  const stored = completedBefore + finished - failed;
  err(
    pending === 0
      ? `${label}: nothing to run: all ${plan.runs.length} runs are stored in ${nice(path, plan.dbFile)}`
      : `${label}: ran ${finished} in ${wall}${failed ? ` (${failed} failed)` : ''}; ${stored} of ${plan.runs.length} runs done; database ${nice(path, plan.dbFile)}`,
  );
  if (a.csv) await writeCsv(plan.dbFile, a.csv);
  if (a.report) await writeReport(plan.dbFile);
  if (failed > 0) {
    for (const f of failures.slice(0, 10)) err(`  failed: ${f}`);
    if (failures.length > 10) err(`  … and ${failures.length - 10} more (see the error column: --csv, or the database's points table)`);
    throw new SimulationError(`${failed} of ${finished} runs failed; the others are stored.`, { object: `sweep ${plan.name}`, fix: 'fix the cause and run the same command again: failed runs are retried, completed ones skipped' });
  }
}

/** Parameter values with units ("60 pA") as numbers in internal units (0.06 nA), so the report can plot them. */
function numericParams(params: Record<string, number | string>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v !== 'string') out[k] = v;
    else {
      try {
        out[k] = parseQuantity(v).value;
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}

export const sweepCommand: CommandModule = {
  command: 'sweep',
  describe: 'Parameter sweeps on all cores with a resumable SQLite database; SLURM job arrays; merge shards.',
  builder: (y: Argv) =>
    y
      .command(
        '$0 <config>',
        'Run a sweep: the points of --param specs (grid, random or from a CSV file) × seeds.',
        (c: Argv) =>
          c
            .positional('config', { type: 'string', demandOption: true, describe: 'config file (.json, .yaml, .yml)' })
            // Not an array option: `-p a=1 net.yaml` must leave net.yaml to the positional. Repeats collect.
            .option('param', { alias: 'p', type: 'string', describe: "path=values: a:b:step, log:a:b:n, [v1,v2,…] or one value, e.g. 'populations.E.tau_m=10:30:5' (bare numbers in ms, mV, nA, nF, µS, Hz)" })
            .option('grid', { type: 'boolean', describe: 'every combination of the --param values (the default)' })
            .option('random', { type: 'number', describe: 'N points drawn uniformly within each --param range (seeded by --seed)' })
            .option('from', { type: 'string', describe: 'points from a CSV file: a header row of parameter paths (and optionally seed), one point per row' })
            .option('seeds', { type: 'number', describe: 'seeds per point: S, S+1, …, S+K−1 (default 1)' })
            .option('seed', { type: 'number', describe: "first seed S (default: the config's run.seed)" })
            .option('jobs', { alias: 'j', type: 'number', describe: 'simulations at once, one thread each (default: all cores)' })
            .option('out', { alias: 'o', type: 'string', describe: 'sweep folder: sweep.sqlite, points/<id>.nmr (default results/sweeps/<config name>)' })
            .option('duration', { type: 'string', describe: 'biological time of every run, e.g. "2 s" or 500 (ms)' })
            .option('t-start', { type: 'string', describe: 'start of the analysis window: spikes before it are not summarised (default 0 ms)' })
            .option('bin', { type: 'string', describe: 'bin of the synchrony measure χ (default 5 ms)' })
            .option('csv', { type: 'string', describe: 'also write the table to this CSV file' })
            .option('report', { type: 'boolean', describe: 'also write <out>/report.html' })
            .option('shard', { type: 'string', describe: 'run shard i of N only (i/N, 1-based; database shard-i.sqlite)' })
            .option('slurm', { type: 'boolean', describe: 'write <out>/sweep.sbatch, a SLURM job array over shards, instead of running' })
            .option('shards', { type: 'number', describe: '--slurm: array tasks (default: runs, at most 64)' })
            .option('cpus-per-task', { type: 'number', describe: '--slurm: CPUs (and simulations at once) per task (default 1)' })
            .option('time', { type: 'string', describe: '--slurm: time limit per task, e.g. 02:00:00' })
            .option('mem', { type: 'string', describe: '--slurm: memory per task, e.g. 4G' })
            .option('partition', { type: 'string', describe: '--slurm: partition' })
            .option('account', { type: 'string', describe: '--slurm: account' })
            .option('max-running', { type: 'number', describe: '--slurm: at most this many tasks at once (--array=1-N%k)' })
            .option('submit', { type: 'boolean', describe: '--slurm: submit the script with sbatch' })
            .option('force', { type: 'boolean', describe: 'discard the stored points if the database belongs to a different config or options' })
            .option('progress', { type: 'boolean', describe: 'progress bar on (default: when stderr is a terminal; otherwise one line per run)' })
            .option('json', { type: 'boolean', describe: 'print each finished run as a JSON line on stdout' })
            .option('dry-run', { type: 'boolean', describe: 'list the runs (index, id, seed, parameters) without running them' })
            .example("$0 sweep docs/examples/brunel.yaml -p 'populations.E.tau_m=10:30:5' -p 'projections.EE.weight=[0.05,0.1]' --seeds 3", '5 × 2 points × 3 seeds on all cores')
            .example("$0 sweep net.yaml -p 'projections.EE.weight=0.05:0.2:0.01' -p 'stimuli.0.rate=log:1 kHz:20 kHz:8' --random 100 --csv out.csv", '100 random points, table as CSV')
            .example('$0 sweep net.yaml --from points.csv --seeds 5', 'the points of a CSV file')
            .example("$0 sweep net.yaml -p 'populations.E.tau_m=10:30:1' --slurm --shards 20 --cpus-per-task 4 --time 01:00:00", 'a SLURM job array; then: nematode sweep merge results/sweeps/net'),
        async (a) => runSweep(a as unknown as SweepArgs),
      )
      .command(
        'merge <inputs..>',
        'Combine shard databases (a sweep folder, or .sqlite files) into one; different sweeps are refused.',
        (c: Argv) =>
          c
            .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'sweep folder(s) or database files' })
            .option('out', { alias: 'o', type: 'string', describe: 'merged database (default <first folder>/sweep.sqlite)' })
            .option('csv', { type: 'string', describe: 'also write the merged table to this CSV file' })
            .option('report', { type: 'boolean', describe: 'also write report.html next to the merged database' })
            .example('$0 sweep merge results/sweeps/brunel', 'shard-*.sqlite → results/sweeps/brunel/sweep.sqlite'),
        async (a) => {
          const { mergeSweeps } = await import('../sweep/merge.js');
          const r = mergeSweeps(a.inputs as string[], a.out ? { out: a.out as string } : {});
          out(`merged ${r.inputs.length} database${r.inputs.length > 1 ? 's' : ''} into ${r.out}: ${r.points} runs (${r.done} done, ${r.failed} failed)`);
          if (a.csv) await writeCsv(r.out, a.csv as string);
          if (a.report) await writeReport(r.out);
        },
      )
      .command(
        'export <db>',
        'Write a sweep database as CSV (stdout or --csv) or an HTML report (--report).',
        (c: Argv) =>
          c
            .positional('db', { type: 'string', demandOption: true, describe: 'sweep database (.sqlite) or sweep folder' })
            .option('csv', { type: 'string', describe: 'CSV file (default: stdout)' })
            .option('report', { type: 'boolean', describe: 'write report.html next to the database' })
            .example('$0 sweep export results/sweeps/brunel --csv brunel.csv', 'the table as CSV'),
        async (a) => {
          const { existsSync, statSync } = await import('node:fs');
          const path = await import('node:path');
          let db = a.db as string;
          if (existsSync(db) && statSync(db).isDirectory()) db = path.join(db, 'sweep.sqlite');
          if (a.csv) await writeCsv(db, a.csv as string);
          if (a.report) await writeReport(db);
          if (!a.csv && !a.report) {
            const { SweepStore } = await import('../sweep/store.js');
            const s = SweepStore.open(db, { readonly: true });
            try {
              process.stdout.write(s.toCsv());
            } finally {
              s.close();
            }
          }
        },
      ),
  handler: () => {},
};
