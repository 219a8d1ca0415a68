/**
 * One run from start to results file: simulate the IR, then write the results
 * atomically with the metadata a reader needs to reproduce it (version, config,
 * seed, engine, threads, wall times, delay rounding).
 */
import { createHash } from 'node:crypto';
import type { EngineOptions, SimulationOutput } from './engines/types.js';
import { encodeIR } from './ir/serialize.js';
import type { NetworkIR } from './ir/types.js';
import { writeResults } from './results/write.js';
import type { ResultsMetadata } from './results/format.js';
import { simulate } from './simulate.js';
import { VERSION } from './version.js';

export interface RunResult {
  output: SimulationOutput;
  metadata: ResultsMetadata;
}

/** A JSON-able description of the network without its big arrays. */
export function describeIR(ir: NetworkIR): Record<string, unknown> {
  return {
    irVersion: ir.irVersion,
    name: ir.name,
    run: ir.run,
    populations: ir.populations.map((p) => ({
      label: p.label,
      model: p.model,
      size: p.size,
      method: p.method,
      params: Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, typeof v === 'number' ? v : `per-neuron (${v.length})`])),
    })),
    projections: ir.projections.map((p) => ({
      label: p.label,
      pre: p.pre,
      post: p.post,
      receptor: p.receptor,
      transmission: p.transmission ?? 'spike',
      synapses: p.targets.length,
      weight: typeof p.weight === 'number' ? p.weight : 'per-synapse',
      delay: typeof p.delay === 'number' ? p.delay : 'per-synapse',
      connector: p.connector?.rule === 'from_list' ? { rule: 'from_list' } : p.connector,
    })),
    stimuli: ir.stimuli,
    recordings: ir.recordings,
    ...(ir.provenance ? { provenance: ir.provenance } : {}),
  };
}

export function irHash(ir: NetworkIR): string {
  return createHash('sha256').update(encodeIR(ir)).digest('hex');
}

export async function runToFile(ir: NetworkIR, out: string | undefined, options: { onProgress?: (f: number) => void; startedAt?: number; engine?: Omit<EngineOptions, 'onProgress'> } = {}): Promise<RunResult> {
  const started = options.startedAt ?? performance.now();
  const output = await simulate(ir, { ...options.engine, onProgress: options.onProgress });
  const notes = output.delayRounding
    .filter((d) => d.rounded > 0)
    .map((d) => `projection "${d.projection}": ${d.rounded} delays rounded to the ${ir.run.dt} ms grid (largest change ${d.maxError.toPrecision(3)} ms; ${d.minSteps}–${d.maxSteps} steps)`);
  const metadata: ResultsMetadata = {
    nematodeVersion: VERSION,
    createdAt: new Date().toISOString(),
    seed: ir.run.seed,
    engine: output.stats.engine,
    threads: output.stats.threads,
    dt: ir.run.dt,
    duration: ir.run.duration,
    wall: { buildMs: output.stats.buildMs, simMs: output.stats.simMs, totalMs: performance.now() - started },
    config: describeIR(ir),
    irHash: irHash(ir),
    synapticEvents: output.stats.synapticEvents,
    notes,
  };
  if (out) await writeResults(out, output, metadata);
  return { output, metadata };
}

/** The run summary printed on stdout. */
export function runSummary(ir: NetworkIR, r: RunResult, out?: string): string {
  const { stats } = r.output;
  const seconds = ir.run.duration / 1000;
  const how = stats.backend ? `${stats.backend} backend` : `${stats.threads} thread${stats.threads > 1 ? 's' : ''}`;
  const lines = [`${ir.name}: ${seconds} s biological time, dt ${ir.run.dt} ms, engine ${stats.engine} (${how}), seed ${ir.run.seed}`];
  if (stats.backendReason) lines.push(`  backend: ${stats.backend} (${stats.backendReason})`);
  const width = Math.max(10, ...ir.populations.map((p) => p.label.length));
  lines.push(`  ${'population'.padEnd(width)}  ${'neurons'.padStart(8)}  ${'spikes'.padStart(10)}  ${'rate (Hz)'.padStart(10)}`);
  for (const p of ir.populations) {
    const n = stats.spikeCounts[p.label] ?? 0;
    lines.push(`  ${p.label.padEnd(width)}  ${String(p.size).padStart(8)}  ${String(n).padStart(10)}  ${(seconds > 0 ? n / p.size / seconds : 0).toFixed(2).padStart(10)}`);
  }
  const evPerS = stats.simMs > 0 ? stats.synapticEvents / (stats.simMs / 1000) : 0;
  lines.push(`  total spikes ${stats.spikes}; synaptic events ${stats.synapticEvents} (${evPerS.toExponential(2)} per wall-clock second)`);
  lines.push(`  build ${(stats.buildMs / 1000).toFixed(3)} s, simulation ${(stats.simMs / 1000).toFixed(3)} s (real-time factor ${(stats.simMs / 1000 / Math.max(seconds, 1e-9)).toFixed(3)})`);
  for (const note of r.metadata.notes) lines.push(`  note: ${note}`);
  if (out) lines.push(`  results: ${out}`);
  return lines.join('\n');
}
