/**
 * A SimulationOutput from what a run of a ClockPlan recorded: spike trains, traces and
 * population rates per population, and the run's statistics. Shared by the clock engine
 * (after merging its workers) and the gpu engine's host and WebGPU loops.
 */
import type { RunStats, SimulationOutput } from '../types.js';
import type { ClockPlan } from './plan.js';

export interface Recorded {
  /** Per population: all spikes (recorded or not). */
  counts: number[];
  /** Per population: recorded spikes as (step, index), ordered by step then index. */
  recSteps: ArrayLike<number>[];
  recIdx: ArrayLike<number>[];
  /** Per population and trace: the samples, row-major as in StateTrace. */
  traceData: Float64Array[][];
  /** Per population: spikes per rate bin. */
  rateCounts: Float64Array[];
  events: number;
}

export function planOutput(plan: ClockPlan, r: Recorded, run: Pick<RunStats, 'engine' | 'threads' | 'buildMs' | 'simMs' | 'backend' | 'backendReason'>): SimulationOutput {
  const { dt, steps } = plan;
  const out: SimulationOutput = {
    spikes: [],
    traces: [],
    rates: [],
    delayRounding: plan.delayRounding,
    stats: {
      engine: run.engine,
      threads: run.threads,
      steps,
      spikes: 0,
      synapticEvents: r.events,
      buildMs: run.buildMs,
      simMs: run.simMs,
      spikeCounts: {},
      ...(run.backend !== undefined ? { backend: run.backend, backendReason: run.backendReason } : {}),
    },
  };
  plan.populations.forEach((pp, p) => {
    out.stats.spikeCounts[pp.label] = r.counts[p]!;
    out.stats.spikes += r.counts[p]!;
    if (pp.recordSpikes) {
      const recorded: number[] = [];
      pp.recordSpikes.forEach((m, i) => m && recorded.push(i));
      out.spikes.push({
        population: pp.label,
        indices: Uint32Array.from(r.recIdx[p]!),
        times: Float64Array.from(r.recSteps[p]!, (s) => (s + 1) * dt),
        recorded: Uint32Array.from(recorded),
      });
    }
    pp.traces.forEach((tr, k) => {
      out.traces.push({ population: pp.label, variable: tr.variable, units: tr.units, indices: tr.indices, tStart: 0, samplingPeriod: tr.intervalSteps * dt, data: r.traceData[p]![k]! });
    });
    if (pp.rateBin !== undefined) {
      const binS = pp.rateBin / 1000;
      out.rates.push({ population: pp.label, bin: pp.rateBin, rate: r.rateCounts[p]!.map((c) => c / (pp.size * binS)) });
    }
  });
  return out;
}
