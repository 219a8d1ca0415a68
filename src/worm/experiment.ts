/**
 * Response summary of a worm experiment: for every neuron class, the change of the
 * mean membrane potential between a baseline window (before the stimulus) and a
 * response window (during it), averaged over the class's recorded members. A class
 * "responds" when |Δ| is at least `threshold` × the largest |Δ| of any class that was
 * not stimulated directly (and above 1 µV). Which windows: the config's `experiment`
 * section (stored in the network's provenance).
 */
import type { SimulationOutput, StateTrace } from '../engines/types.js';
import type { NetworkIR } from '../ir/types.js';
import type { NeuronInfo } from '../connectome/index.js';

export interface ExperimentWindows {
  baseline: [number, number];
  window: [number, number];
  threshold: number;
}

export interface ClassResponse {
  cls: string;
  category: string;
  members: number;
  /** Mean ΔV over the class (mV). */
  delta: number;
  stimulated: boolean;
  responds: boolean;
}

export function experimentWindows(ir: NetworkIR): ExperimentWindows | undefined {
  return ir.provenance?.experiment as ExperimentWindows | undefined;
}

function windowMean(tr: StateTrace, k: number, [a, b]: [number, number]): number {
  const n = tr.indices.length;
  const samples = tr.data.length / n;
  const s0 = Math.max(0, Math.ceil((a - tr.tStart) / tr.samplingPeriod - 1e-9));
  const s1 = Math.min(samples, Math.ceil((b - tr.tStart) / tr.samplingPeriod - 1e-9));
  let sum = 0;
  for (let s = s0; s < s1; s++) sum += tr.data[s * n + k]!;
  return s1 > s0 ? sum / (s1 - s0) : NaN;
}

/** Class responses from the `v` trace of `population`; classes sorted by |Δ|, largest first. */
export function classResponses(ir: NetworkIR, output: SimulationOutput, population: string, table: NeuronInfo[], w: ExperimentWindows): ClassResponse[] {
  const pop = ir.populations.find((p) => p.label === population);
  const tr = output.traces.find((t) => t.population === population && t.variable === 'v');
  if (!pop?.neuronNames || !tr) return [];
  const info = new Map(table.map((n) => [n.name, n]));
  const stimulated = new Set<string>();
  for (const s of ir.stimuli) if (s.population === population) for (const n of s.names ?? []) stimulated.add(n);
  const byClass = new Map<string, { sum: number; n: number; stim: boolean; category: string }>();
  tr.indices.forEach((idx, k) => {
    const name = pop.neuronNames![idx]!;
    const n = info.get(name);
    const cls = n?.cls ?? name;
    const d = windowMean(tr, k, w.window) - windowMean(tr, k, w.baseline);
    const e = byClass.get(cls) ?? { sum: 0, n: 0, stim: false, category: n?.category ?? 'unknown' };
    e.sum += d;
    e.n++;
    e.stim ||= stimulated.has(name);
    byClass.set(cls, e);
  });
  const rows = [...byClass].map(([cls, e]) => ({ cls, category: e.category, members: e.n, delta: e.sum / e.n, stimulated: e.stim, responds: false }));
  const max = Math.max(0, ...rows.filter((r) => !r.stimulated).map((r) => Math.abs(r.delta)));
  for (const r of rows) r.responds = !r.stimulated && Math.abs(r.delta) >= Math.max(1e-3, w.threshold * max);
  return rows.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta));
}

/** The printed summary: stimulated classes, then responding classes by category with their sign. */
export function responseSummary(rows: ClassResponse[], w: ExperimentWindows): string {
  const fmt = (r: ClassResponse) => `${r.cls} ${r.delta >= 0 ? '+' : '−'}${Math.abs(r.delta).toPrecision(2)}`;
  const lines = [
    `  response: mean ΔV per neuron class, window ${w.window[0] / 1000}–${w.window[1] / 1000} s vs baseline ${w.baseline[0] / 1000}–${w.baseline[1] / 1000} s (mV; responds: |ΔV| ≥ ${w.threshold * 100}% of the largest)`,
    `    stimulated: ${rows.filter((r) => r.stimulated).map(fmt).join(', ') || '(none)'}`,
  ];
  for (const cat of ['sensory', 'inter', 'motor', 'pharyngeal']) {
    const rs = rows.filter((r) => r.responds && r.category === cat);
    if (rs.length) lines.push(`    ${cat.padEnd(10)} ${rs.map(fmt).join(', ')}`);
  }
  const up = rows.filter((r) => r.responds && r.delta > 0).length;
  const down = rows.filter((r) => r.responds && r.delta < 0).length;
  lines.push(`    ${up} classes depolarised (+), ${down} hyperpolarised (−), ${rows.filter((r) => !r.responds && !r.stimulated).length} below the threshold`);
  return lines.join('\n');
}
