/** ISI and CV-of-ISI histograms per population (Softky & Koch 1993 use the CV as an irregularity index). */
import { cvPerNeuron, isiPerNeuron } from '../analysis/spikes.js';
import { histogramSvg } from './histogram.js';
import { extent } from './svg.js';
import type { SpikeTrainLike } from './raster.js';

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

/** Every inter-spike interval (ms) of each population, pooled over its neurons. */
export function isiSamples(trains: SpikeTrainLike[], sizes: Record<string, number>): { label: string; values: Float64Array }[] {
  return trains.map((tr) => ({ label: tr.population, values: concat(isiPerNeuron(tr.indices, tr.times, sizes[tr.population] ?? 0)) }));
}

/** CV of ISIs per neuron (neurons with ≥ 3 spikes) of each population. */
export function cvSamples(trains: SpikeTrainLike[], sizes: Record<string, number>): { label: string; values: Float64Array }[] {
  return trains.map((tr) => ({ label: tr.population, values: cvPerNeuron(tr.indices, tr.times, sizes[tr.population] ?? 0).filter((c) => !Number.isNaN(c)) }));
}

export function isiHistogramSvg(trains: SpikeTrainLike[], sizes: Record<string, number>, options: { title: string; bins?: number; maxIsi?: number }): string {
  return histogramSvg(isiSamples(trains, sizes), { title: options.title, xLabel: 'inter-spike interval (ms)', bins: options.bins ?? 50, range: options.maxIsi === undefined ? undefined : [0, options.maxIsi] });
}

export function cvHistogramSvg(trains: SpikeTrainLike[], sizes: Record<string, number>, options: { title: string; bins?: number }): string {
  const samples = cvSamples(trains, sizes);
  const hi = Math.max(2, extent(samples.flatMap((s) => Array.from(s.values)))[1]);
  return histogramSvg(samples, { title: options.title, xLabel: 'CV of ISIs per neuron (dimensionless)', bins: options.bins ?? 40, range: [0, Math.ceil(hi * 2) / 2] });
}
