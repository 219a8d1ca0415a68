/**
 * One run of a sweep: the base config with the point's parameters applied, built with
 * the point's seed on one thread, simulated, written atomically to its results file,
 * and summarised per population (rate, CV of ISIs, synchrony: src/analysis/spikes.ts).
 * Populations that the config does not record spikes of are recorded for the summary.
 */
import { spikeStats, type SpikeStats } from '../analysis/spikes.js';
import { networkFromConfig } from '../config/load.js';
import type { SimulationOutput } from '../engines/types.js';
import type { NetworkIR } from '../ir/types.js';
import { runToFile } from '../run.js';
import { applyAssignment } from './paths.js';
import type { ParamValue } from './params.js';

export interface AnalysisOptions {
  /** Start of the analysis window (ms): spikes before it are a transient and not counted. */
  tStart: number;
  /** Bin of the synchrony measure (ms). */
  bin: number;
}

export interface PointJob {
  /** The parsed base config (readConfigFile). */
  config: Record<string, unknown>;
  /** Folder relative paths in the config are read from. */
  baseDir: string;
  assignment: { segments: (string | number)[]; value: ParamValue }[];
  seed: number;
  /** Biological time override (ms), from --duration. */
  duration?: number;
  /** Results file (absolute path); written atomically. */
  out: string;
  analysis: AnalysisOptions;
}

export interface PointOutcome {
  metrics: Record<string, SpikeStats>;
  wallMs: number;
  simMs: number;
}

/** The point's network, one thread, spikes recorded for every population. */
export function buildPointNetwork(job: Omit<PointJob, 'out' | 'analysis'>): NetworkIR {
  const cfg = applyAssignment(job.config, job.assignment);
  const ir = networkFromConfig(cfg, { seed: job.seed, threads: 1, ...(job.duration !== undefined ? { duration: job.duration } : {}) }, { baseDir: job.baseDir }).toIR();
  ir.run.threads = 1;
  for (const p of ir.populations) {
    if (!ir.recordings.some((r) => r.kind === 'spikes' && r.population === p.label)) ir.recordings.push({ kind: 'spikes', population: p.label });
  }
  return ir;
}

/** Rate, CV of ISIs and synchrony of each population's recorded neurons. */
export function summarizeOutput(ir: NetworkIR, output: SimulationOutput, analysis: AnalysisOptions): Record<string, SpikeStats> {
  const out: Record<string, SpikeStats> = {};
  for (const p of ir.populations) {
    const trains = output.spikes.filter((s) => s.population === p.label);
    if (trains.length === 0) continue;
    // Several spike recordings of one population: the one that covers most neurons.
    const t = trains.reduce((a, b) => (b.recorded.length > a.recorded.length ? b : a));
    let indices: ArrayLike<number> = t.indices;
    const n = t.recorded.length;
    if (n !== p.size) {
      // A subset was recorded: number its neurons 0..n-1 so the rate is per recorded neuron.
      const pos = new Map<number, number>();
      t.recorded.forEach((g, k) => pos.set(g, k));
      indices = Uint32Array.from(t.indices, (g) => pos.get(g)!);
    }
    out[p.label] = spikeStats(indices, t.times, n, ir.run.duration, { bin: analysis.bin, tStart: analysis.tStart });
  }
  return out;
}

export async function runPoint(job: PointJob): Promise<PointOutcome> {
  const started = performance.now();
  const ir = buildPointNetwork(job);
  const r = await runToFile(ir, job.out, { startedAt: started });
  return { metrics: summarizeOutput(ir, r.output, job.analysis), wallMs: performance.now() - started, simMs: r.output.stats.simMs };
}
