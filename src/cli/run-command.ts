/** `nematode run`: config (or the built-in posterior-touch experiment) → simulation → results file, summary, plot. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadNeuronTable } from '../connectome/index.js';
import { classSeries, tracesSvg } from '../plot/traces.js';
import { classResponses, experimentWindows, responseSummary } from '../worm/experiment.js';
import { ValidationError } from '../errors.js';
import type { EngineName, GpuBackendName, NetworkIR } from '../ir/types.js';
import { rasterSvg } from '../plot/raster.js';
import { cvHistogramSvg, isiHistogramSvg } from '../plot/isi.js';
import { rateSvg, ratesFromSpikes } from '../plot/rate.js';
import { neuronTracesSvg } from '../plot/traces.js';
import { defaultBin, rankTrains } from '../report/run-report.js';
import type { SimulationOutput } from '../engines/types.js';
import { runSummary, runToFile } from '../run.js';
import { timeFromText } from '../units.js';
import { progressBar } from '../util/progress.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface RunArgs {
  config?: string;
  duration?: string;
  dt?: string;
  engine?: string;
  seed?: number;
  threads?: number;
  backend?: string;
  out?: string;
  plot?: boolean;
  progress?: boolean;
  'data-dir'?: string;
}

/** The built-in default job: the posterior-touch experiment on the built-in connectome. */
export function defaultExperimentConfig(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const f = path.join(dir, 'docs', 'examples', 'posterior-touch.yaml');
    if (existsSync(f)) return f;
    dir = path.dirname(dir);
  }
  throw new ValidationError('the built-in posterior-touch experiment (docs/examples/posterior-touch.yaml) is missing from this installation.', { object: 'nematode run' });
}

function quantity(text: string | undefined, parameter: string): number | undefined {
  if (text === undefined) return undefined;
  // A bare number is read in ms, like every time in the config.
  return timeFromText(text, { object: 'command line', parameter: `--${parameter}` });
}

export function applyOverrides(ir: NetworkIR, a: RunArgs): NetworkIR {
  const duration = quantity(a.duration, 'duration');
  const dt = quantity(a.dt, 'dt');
  if (duration !== undefined) ir.run.duration = duration;
  if (a.engine !== undefined) ir.run.engine = a.engine as EngineName;
  if (a.seed !== undefined) ir.run.seed = a.seed;
  if (a.threads !== undefined) ir.run.threads = a.threads;
  if (a.backend !== undefined) ir.run.backend = a.backend as GpuBackendName;
  return ir;
}

export async function runCommand(a: RunArgs, started: number): Promise<number> {
  // dt and seed shape the network when it is built (connectivity, delays, initial values), so they go in first.
  const config = a.config ?? defaultExperimentConfig();
  const ir = loadConfig(config, { dt: a.dt === undefined ? undefined : quantity(a.dt, 'dt'), seed: a.seed }, { dataDir: a['data-dir'] });
  applyOverrides(ir, a);
  const out = a.out ?? path.join('results', `${ir.name}.nmr`);
  const bar = progressBar(`${ir.name}`, { force: a.progress });
  const result = await runToFile(ir, out, { onProgress: (f) => bar.update(f), startedAt: started });
  bar.done();
  process.stdout.write(runSummary(ir, result, out) + '\n');
  const worm = ir.provenance?.worm as { population: string } | undefined;
  const windows = experimentWindows(ir);
  if (worm && windows) {
    const table = loadNeuronTable({ dataDir: a['data-dir'] });
    const rows = classResponses(ir, result.output, worm.population, table, windows);
    process.stdout.write(responseSummary(rows, windows) + '\n');
    const tr = result.output.traces.find((t) => t.population === worm.population && t.variable === 'v');
    const pop = ir.populations.find((p) => p.label === worm.population);
    if (a.plot !== false && tr && pop?.neuronNames) {
      const cls = new Map(table.map((n) => [n.name, n.cls]));
      const pick = (cat: string) => rows.filter((r) => r.responds && r.category === cat).slice(0, 8).map((r) => r.cls);
      const panels = [
        { title: 'interneurons (class mean ΔV)', series: classSeries(tr, pop.neuronNames, (n) => cls.get(n) ?? n, pick('inter'), windows.baseline) },
        { title: 'motor neurons (class mean ΔV)', series: classSeries(tr, pop.neuronNames, (n) => cls.get(n) ?? n, pick('motor'), windows.baseline) },
      ].filter((p) => p.series.length > 0);
      const stim = ir.stimuli.find((s) => s.population === worm.population && s.kind === 'dc');
      const svg = out.replace(/\.[^./]+$/, '') + '.svg';
      mkdirSync(path.dirname(svg), { recursive: true });
      writeFileAtomic(svg, tracesSvg(panels, { title: `${ir.name}: responding neuron classes`, samplingPeriod: tr.samplingPeriod, stimulus: stim?.kind === 'dc' ? [stim.start, stim.stop] : undefined }));
      process.stdout.write(`  plot: ${svg}\n`);
    }
  } else if (a.plot !== false && (result.output.spikes.length > 0 || result.output.traces.length > 0)) {
    const base = out.replace(/\.[^./]+$/, '');
    mkdirSync(path.dirname(base), { recursive: true });
    for (const [file, svg] of defaultPlots(ir, result.output)) {
      writeFileAtomic(base + file, svg);
      process.stdout.write(`  plot: ${base + file}\n`);
    }
  }
  return 0;
}

/**
 * The default plots of a spiking run, as [file suffix, SVG]: `.svg` (raster with the
 * population rate, as before), `.rate.svg`, `.isi.svg`, `.cv.svg` and one
 * `.<population>.<variable>.svg` per recorded trace.
 */
export function defaultPlots(ir: NetworkIR, output: SimulationOutput): [string, string][] {
  const duration = ir.run.duration;
  const { trains, sizes } = rankTrains(output.spikes);
  const rates = output.rates.length > 0 ? output.rates : ratesFromSpikes(trains, sizes, duration, defaultBin(duration));
  const plots: [string, string][] = [];
  if (trains.length > 0) {
    plots.push(['.svg', rasterSvg({ spikes: trains, rates }, { title: `${ir.name}: spikes and population rate`, duration, sizes })]);
    plots.push(['.rate.svg', rateSvg(rates, { title: `${ir.name}: population rate`, duration })]);
    plots.push(['.isi.svg', isiHistogramSvg(trains, sizes, { title: `${ir.name}: inter-spike intervals` })]);
    plots.push(['.cv.svg', cvHistogramSvg(trains, sizes, { title: `${ir.name}: CV of ISIs` })]);
  }
  for (const tr of output.traces) {
    const names = ir.populations.find((p) => p.label === tr.population)?.neuronNames;
    const safe = `${tr.population}.${tr.variable}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    plots.push([`.${safe}.svg`, neuronTracesSvg(tr, { title: `${ir.name}: ${tr.population}.${tr.variable}`, neuronNames: names })]);
  }
  return plots;
}
