/**
 * `nematode bench microcircuit`: the Potjans & Diesmann (2014) microcircuit (see
 * microcircuit.ts). Prints the build time (network construction + engine set-up),
 * simulation time, real-time factor, recurrent synaptic events per wall-clock second,
 * peak memory, and each population's rate next to the full-scale NEST rates.
 *
 * It runs the network without writing a results file: at full scale the IR holds
 * ≈ 6 GB of per-synapse arrays, which the results file's IR hash would have to encode.
 */
import type { SimulationOutput } from '../engines/types.js';
import type { NetworkIR } from '../ir/types.js';
import { simulate } from '../simulate.js';
import { progressBar } from '../util/progress.js';
import { median, runFigures, type BenchArgs, type BenchFigures } from './command.js';
import { MC_FULL_MEAN_RATES, MC_NEURON, microcircuitNetwork } from './microcircuit.js';

export interface PopulationRate {
  population: string;
  neurons: number;
  /** Mean rate of the recorded neurons after the transient (Hz). */
  rateHz: number;
  /** Full-scale NEST rate (benchmarks.md §4.10). */
  expectedHz: number;
}

export interface MicrocircuitFigures extends BenchFigures {
  scale: number;
  background: string;
  /** Recurrent (spike, synapse) events; `events`/`eventsPerS` count these only. */
  recurrentEvents: number;
  /** Every event the engine delivered, background Poisson inputs included. */
  totalEvents: number;
  constructS: number;
  engineBuildS: number;
  /** Rates are measured over [transientMs, duration]. */
  transientMs: number;
  populations: PopulationRate[];
  /** DC per population (nA): background DC and/or the K_scaling compensation. */
  dc: number[];
}

/** Σ over spikes of the spiking neuron's out-degree (all projections), per the recorded trains. */
export function recurrentEvents(ir: NetworkIR, out: SimulationOutput): number {
  let events = 0;
  for (const pop of ir.populations) {
    const outDeg = new Float64Array(pop.size);
    for (const proj of ir.projections) {
      if (proj.pre !== pop.label) continue;
      const r = proj.rowPtr;
      for (let i = 0; i < pop.size; i++) outDeg[i] = outDeg[i]! + (r[i + 1]! - r[i]!);
    }
    const train = out.spikes.find((s) => s.population === pop.label);
    if (train && train.recorded.length === pop.size) {
      for (let k = 0; k < train.indices.length; k++) events += outDeg[train.indices[k]!]!;
    } else {
      // Not every neuron recorded: spikes × mean out-degree.
      const mean = outDeg.reduce((a, b) => a + b, 0) / Math.max(1, pop.size);
      events += (out.stats.spikeCounts[pop.label] ?? 0) * mean;
    }
  }
  return events;
}

/** Per-population rates over [from, duration] from the recorded spikes (whole run from the counts when none were recorded). */
export function populationRates(ir: NetworkIR, out: SimulationOutput, fromMs: number): PopulationRate[] {
  const T = ir.run.duration;
  return ir.populations.map((pop, y) => {
    const train = out.spikes.find((s) => s.population === pop.label);
    let rate: number;
    if (train && train.recorded.length > 0) {
      let n = 0;
      for (let k = 0; k < train.times.length; k++) if (train.times[k]! > fromMs) n++;
      rate = n / train.recorded.length / ((T - fromMs) / 1000);
    } else rate = (out.stats.spikeCounts[pop.label] ?? 0) / pop.size / (T / 1000);
    return { population: pop.label, neurons: pop.size, rateHz: rate, expectedHz: MC_FULL_MEAN_RATES[y] ?? NaN };
  });
}

async function measureOnce(a: BenchArgs, durationMs: number, scale: number, background: 'poisson' | 'dc'): Promise<MicrocircuitFigures> {
  const t0 = performance.now();
  const buildBar = progressBar(`microcircuit ×${scale}: building`);
  const ir = microcircuitNetwork({ scale, background, duration: durationMs, seed: a.seed, threads: a.threads, onProgress: (f) => buildBar.update(f) });
  buildBar.done();
  if (a.engine) ir.run.engine = a.engine as NetworkIR['run']['engine'];
  if (a.backend) ir.run.backend = a.backend as NetworkIR['run']['backend'];
  const constructS = (performance.now() - t0) / 1000;
  const bar = progressBar(`${ir.name} [${ir.run.engine}]`);
  const out = await simulate(ir, { onProgress: (f) => bar.update(f) });
  bar.done();
  const recurrent = recurrentEvents(ir, out);
  const transientMs = Math.min(500, durationMs / 2);
  return {
    ...runFigures(ir, out, durationMs, constructS, recurrent),
    constructS,
    engineBuildS: out.stats.buildMs / 1000,
    recurrentEvents: recurrent,
    totalEvents: out.stats.synapticEvents,
    scale,
    background,
    transientMs,
    populations: populationRates(ir, out, transientMs),
    dc: ir.populations.map((p) => Number(p.params.i_offset ?? 0)),
  };
}

export function microcircuitLine(f: MicrocircuitFigures): string {
  return (
    `${f.network} [${f.engine}${f.backend ? `/${f.backend}` : ''}, ${f.threads} thread${f.threads > 1 ? 's' : ''}, ${f.background} background] ${f.size} neurons, ${f.synapses} synapses, ${f.durationMs / 1000} s bio: ` +
    `build ${f.buildS.toFixed(3)} s (construction ${f.constructS.toFixed(3)} s + engine ${f.engineBuildS.toFixed(3)} s), simulation ${f.simS.toFixed(3)} s (RTF ${f.rtf.toFixed(3)}), ` +
    `${f.spikes} spikes, ${f.rateHz.toFixed(2)} Hz, ${f.eventsPerS.toExponential(2)} recurrent events/s (${(f.totalEvents / f.simS).toExponential(2)} with background inputs), peak RSS ${f.peakRssMiB.toFixed(0)} MiB`
  );
}

export function ratesTable(f: MicrocircuitFigures): string {
  const lines = [`population rates over ${f.transientMs}–${f.durationMs} ms (expected: one full-scale NEST run, Poisson input, benchmarks.md §4.10):`];
  lines.push(`  ${'population'.padEnd(10)}  ${'neurons'.padStart(7)}  ${'rate Hz'.padStart(8)}  ${'expected'.padStart(8)}  ${'ratio'.padStart(6)}`);
  for (const p of f.populations) {
    lines.push(`  ${p.population.padEnd(10)}  ${String(p.neurons).padStart(7)}  ${p.rateHz.toFixed(3).padStart(8)}  ${p.expectedHz.toFixed(3).padStart(8)}  ${(p.rateHz / p.expectedHz).toFixed(2).padStart(6)}`);
  }
  const mean = f.populations.reduce((s, p) => s + p.rateHz * p.neurons, 0) / f.size;
  lines.push(`  ${'mean'.padEnd(10)}  ${String(f.size).padStart(7)}  ${mean.toFixed(3).padStart(8)}  ${(3.24).toFixed(3).padStart(8)}`);
  if (f.scale < 1) lines.push('  note: down-scaled networks are not expected to reproduce the full-scale rates (benchmarks.md §4.12); compare rates at scale 1.');
  const rheobase = (MC_NEURON.cm * (MC_NEURON.v_thresh - MC_NEURON.v_rest)) / MC_NEURON.tau_m;
  const below = f.populations.filter((_, y) => f.dc[y]! < rheobase).map((p) => p.population);
  if (f.background === 'dc' && below.length > 0) {
    lines.push(`  note: the DC of ${below.join(', ')} is below the rheobase (${(rheobase * 1000).toFixed(0)} pA): at this scale these populations fire only on recurrent fluctuations, and the network may fall silent (Poisson background keeps the full-scale input variance).`);
  }
  return lines.join('\n');
}

/** Runs the microcircuit `a.repeat` times; returns the first run's figures with median times. */
export async function microcircuitBench(a: BenchArgs & { scale?: number; background?: string }, durationMs: number): Promise<MicrocircuitFigures> {
  const scale = a.scale ?? 0.1;
  const background = (a.background ?? 'poisson') as 'poisson' | 'dc';
  const runs: MicrocircuitFigures[] = [];
  for (let r = 0; r < Math.max(1, a.repeat); r++) {
    const f = await measureOnce(a, durationMs, scale, background);
    runs.push(f);
    if (!a.json && a.repeat > 1) process.stderr.write(`  run ${r + 1}: ${microcircuitLine(f)}\n`);
  }
  const first = runs[0]!;
  return {
    ...first,
    buildS: median(runs.map((r) => r.buildS)),
    constructS: median(runs.map((r) => r.constructS)),
    engineBuildS: median(runs.map((r) => r.engineBuildS)),
    simS: median(runs.map((r) => r.simS)),
    rtf: median(runs.map((r) => r.rtf)),
    eventsPerS: median(runs.map((r) => r.eventsPerS)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
}
