/**
 * The report of one run: a self-contained HTML page with the raster, population rates,
 * ISI and CV histograms, recorded traces, a statistics table per population, the config
 * and the versions, from a results file (.nmr or nematode-spikes JSON).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import { spikeStats, type SpikeStats } from '../analysis/spikes.js';
import { cvHistogramSvg, isiHistogramSvg } from '../plot/isi.js';
import { rasterSvg, type RateLike, type SpikeTrainLike } from '../plot/raster.js';
import { rateSvg, ratesFromSpikes } from '../plot/rate.js';
import { neuronTracesSvg } from '../plot/traces.js';
import { readResults, type ResultsFile } from '../results/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { VERSION } from '../version.js';
import { definitionTable, escapeHtml, figureHtml, formatNumber, pageHtml, preHtml, prettyJson, tableHtml, type Section } from './html.js';

export interface PopulationSummary extends SpikeStats {
  population: string;
}

/**
 * Spike trains with neuron indices renumbered 0..recorded−1 (rank among the recorded
 * neurons), so statistics and plots count only the neurons that were recorded. Takes the
 * trains of a results file or of a SimulationOutput.
 */
export function rankTrains(input: readonly { population: string; indices: ArrayLike<number>; times: ArrayLike<number>; recorded: ArrayLike<number> }[]): { trains: SpikeTrainLike[]; sizes: Record<string, number> } {
  const sizes: Record<string, number> = {};
  const trains = input.map((tr) => {
    const rank = new Map<number, number>();
    Array.from(tr.recorded).forEach((neuron, k) => rank.set(neuron, k));
    const indices = Uint32Array.from(tr.indices, (i) => rank.get(i) ?? -1);
    sizes[tr.population] = tr.recorded.length;
    return { population: tr.population, indices, times: tr.times };
  });
  return { trains, sizes };
}

/** rankTrains of a results file's first segment. */
export function recordedTrains(results: ResultsFile): { trains: SpikeTrainLike[]; sizes: Record<string, number> } {
  return rankTrains(results.body.segments[0]!.spiketrains);
}

/** Rate, CV of ISIs and synchrony χ per population with recorded spikes. */
export function populationSummaries(results: ResultsFile, options: { bin?: number } = {}): PopulationSummary[] {
  const { trains, sizes } = recordedTrains(results);
  const duration = results.body.segments[0]!.tStop;
  return trains.map((tr) => ({ population: tr.population, ...spikeStats(tr.indices, tr.times, sizes[tr.population]!, duration, { bin: options.bin }) }));
}

function networkName(results: ResultsFile, source: string): string {
  const config = results.metadata.config as { name?: unknown } | undefined;
  if (results.spikesFile) return results.spikesFile.network;
  if (config && typeof config.name === 'string') return config.name;
  return path.basename(source).replace(/\.[^.]+$/, '');
}

/** Bin for rate plots when no rate was recorded: about 200 bins, at least 1 ms. */
export function defaultBin(duration: number): number {
  const raw = duration / 200;
  const nice = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  return nice.find((b) => b >= raw) ?? Math.ceil(raw);
}

export interface RunReportOptions {
  /** Where the results came from (shown in the header). */
  source?: string;
  /** Bin (ms) for synchrony χ; default 5. */
  synchronyBin?: number;
}

export function runReportHtml(results: ResultsFile, options: RunReportOptions = {}): string {
  const source = options.source ?? 'results';
  const m = results.metadata;
  const seg = results.body.segments[0]!;
  const duration = seg.tStop;
  const name = networkName(results, source);
  const { trains, sizes } = recordedTrains(results);
  const summaries = populationSummaries(results, { bin: options.synchronyBin });
  const recordedRates: RateLike[] = seg.rates.map((r) => ({ population: r.population, bin: r.bin, rate: r.rate }));
  const rates = recordedRates.length > 0 ? recordedRates : ratesFromSpikes(trains, sizes, duration, defaultBin(duration));
  const sections: Section[] = [];

  const chiBin = options.synchronyBin ?? 5;
  sections.push({
    id: 'summary',
    title: 'Summary',
    html: summaries.length === 0 ? '<p>No spikes were recorded.</p>' :
      tableHtml(
        ['population', 'neurons recorded', 'spikes', 'rate (Hz)', 'CV ISI', `synchrony χ (${chiBin} ms bins)`],
        summaries.map((s) => [s.population, s.neurons, s.spikes, s.rate, s.cvIsi, s.synchrony]),
      ) +
      `\n<p class="note">Rate: mean over recorded neurons over ${formatNumber(duration)} ms. CV ISI: mean over neurons with ≥ 3 spikes. ` +
      'χ: Golomb (2007) synchrony of spike counts, 1 = fully synchronous, ≈ 1/√N for independent neurons; n/a where undefined.</p>',
  });

  const figures: string[] = [];
  if (trains.length > 0) {
    figures.push(figureHtml(rasterSvg({ spikes: trains, rates }, { title: `${name}: spike raster`, duration, sizes }), 'Spike raster of the recorded neurons (one row each, grouped by population) with the population rate below.'));
    figures.push(figureHtml(rateSvg(rates, { title: `${name}: population rate`, duration }), recordedRates.length > 0 ? 'Recorded population rates.' : `Population rates binned from the spikes (${rates[0]?.bin ?? 0} ms bins).`));
    figures.push(figureHtml(isiHistogramSvg(trains, sizes, { title: `${name}: inter-spike intervals` }), 'Inter-spike intervals pooled over the neurons of each population.'));
    figures.push(figureHtml(cvHistogramSvg(trains, sizes, { title: `${name}: CV of ISIs` }), 'Coefficient of variation of the inter-spike intervals per neuron (neurons with ≥ 3 spikes); 0 = regular, 1 = Poisson.'));
  }
  for (const a of seg.analogsignals) {
    figures.push(figureHtml(neuronTracesSvg(a, { title: `${name}: ${a.population}.${a.variable}` }), `${a.variable} (${a.units}) of up to 8 recorded neurons of ${a.population}, every ${formatNumber(a.samplingPeriod)} ms.`));
  }
  sections.push({ id: 'plots', title: 'Plots', html: figures.length > 0 ? figures.join('\n') : '<p>Nothing was recorded that can be plotted.</p>' });

  sections.push({ id: 'config', title: 'Config', html: preHtml(prettyJson(m.config ?? null)) });
  const versions: Record<string, string | number> = {
    'nematode (run)': m.nematodeVersion,
    'nematode (report)': VERSION,
    'node (report)': process.version,
    engine: m.engine,
    seed: m.seed,
    threads: m.threads,
    'dt (ms)': m.dt,
    'duration (ms)': m.duration,
    created: m.createdAt,
  };
  if (results.spikesFile) versions.producer = results.spikesFile.producer;
  if (m.irHash) versions['IR hash'] = m.irHash;
  sections.push({ id: 'versions', title: 'Versions', html: definitionTable(versions) + (m.notes?.length ? `\n<ul>${m.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '') });

  return pageHtml({ title: `nematode report: ${name}`, subtitle: `${source} · ${formatNumber(duration)} ms · engine ${m.engine} · seed ${m.seed}`, sections });
}

/** Default report path: the results path with its extension replaced by .html. */
export function defaultReportPath(resultsPath: string): string {
  return resultsPath.replace(/\.[^./\\]+$/, '') + '.html';
}

/** Reads a results file and writes its report atomically; returns the path written. */
export async function writeRunReport(resultsPath: string, outPath = defaultReportPath(resultsPath)): Promise<string> {
  if (path.resolve(outPath) === path.resolve(resultsPath)) {
    throw new ValidationError(`the report would overwrite the results file "${resultsPath}".`, { object: 'nematode report', parameter: '--out', fix: 'name another file with --out' });
  }
  const results = await readResults(resultsPath);
  mkdirSync(path.dirname(path.resolve(outPath)), { recursive: true });
  writeFileAtomic(outPath, runReportHtml(results, { source: resultsPath }));
  return outPath;
}
