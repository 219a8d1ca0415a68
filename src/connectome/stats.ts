/** Summary counts of a loaded connectome (what `nematode connectome info` prints). */
import type { Connectome, NeuronCategory, NeuronInfo } from './types.js';

/** Varshney's NMJ rows name no muscle; their target is this pseudo-node (kept in otherTargets). */
export const UNSPECIFIED_MUSCLE = 'NMJ';

export interface ConnectomeStats {
  dataset: Connectome['dataset'];
  title: string;
  weightUnit: Connectome['weightUnit'];
  /** Neurons with at least one connection of any kind. */
  neurons: number;
  /** Neurons in at least one neuron-neuron chemical synapse or gap junction. */
  neuronsWithSynapses: number;
  /** Neurons per category (only when a neuron table was given). */
  byCategory?: Record<NeuronCategory, number>;
  chemical: { edges: number; total: number };
  /** pairs: unordered pairs incl. self-contacts; total: junctions (sum of counts). */
  gap: { pairs: number; selfPairs: number; total: number };
  /** Neuron -> body-wall muscle, plus Varshney's NMJs onto the unspecified "NMJ" target. */
  nmj: { neurons: number; edges: number; total: number; muscles: number };
  /** Everything else in otherTargets (the "NMJ" pseudo-target excluded, it is counted under nmj). */
  otherTargets: { targets: number; edges: number; total: number };
}

const sum = (xs: readonly { count: number }[]) => xs.reduce((s, e) => s + e.count, 0);

export function connectomeStats(c: Connectome, neurons?: readonly NeuronInfo[]): ConnectomeStats {
  const synaptic = new Set<string>();
  for (const e of c.chemical) synaptic.add(e.pre).add(e.post);
  for (const e of c.gap) synaptic.add(e.a).add(e.b);
  const unspecified = c.otherTargets.filter((e) => e.target === UNSPECIFIED_MUSCLE && e.type === 'chemical');
  const others = c.otherTargets.filter((e) => !unspecified.includes(e));
  const stats: ConnectomeStats = {
    dataset: c.dataset,
    title: c.title,
    weightUnit: c.weightUnit,
    neurons: c.neurons.length,
    neuronsWithSynapses: synaptic.size,
    chemical: { edges: c.chemical.length, total: sum(c.chemical) },
    gap: { pairs: c.gap.length, selfPairs: c.gap.filter((p) => p.a === p.b).length, total: sum(c.gap) },
    nmj: {
      neurons: new Set([...c.nmj, ...unspecified].map((e) => e.pre)).size,
      edges: c.nmj.length + unspecified.length,
      total: sum(c.nmj) + sum(unspecified),
      muscles: new Set(c.nmj.map((e) => e.muscle)).size,
    },
    otherTargets: { targets: new Set(others.map((e) => e.target)).size, edges: others.length, total: sum(others) },
  };
  if (neurons) {
    const category = new Map(neurons.map((n) => [n.name, n.category]));
    const by: Record<NeuronCategory, number> = { sensory: 0, inter: 0, motor: 0, pharyngeal: 0, unknown: 0 };
    for (const n of c.neurons) by[category.get(n) ?? 'unknown']++;
    stats.byCategory = by;
  }
  return stats;
}

/** The statistics as the plain text `nematode connectome info` prints. */
export function formatStats(s: ConnectomeStats, notes: readonly string[] = []): string {
  const unit = s.weightUnit === 'sections' ? 'EM sections' : 'synapses';
  const lines = [
    `${s.dataset}: ${s.title}`,
    `neurons: ${s.neurons} with connections (${s.neuronsWithSynapses} with neuron-neuron synapses)`,
  ];
  if (s.byCategory) lines.push('  by category: ' + Object.entries(s.byCategory).map(([k, v]) => `${k} ${v}`).join(', '));
  lines.push(
    `chemical: ${s.chemical.edges} directed edges, ${s.chemical.total} ${unit}`,
    `gap junctions: ${s.gap.pairs} pairs (${s.gap.selfPairs} self-contacts), ${s.gap.total} junctions${s.weightUnit === 'sections' ? ' (EM sections)' : ''}`,
    `neuromuscular: ${s.nmj.edges} edges from ${s.nmj.neurons} neurons, ${s.nmj.total} ${unit}, onto ${s.nmj.muscles > 0 ? `${s.nmj.muscles} body-wall muscles` : 'unspecified muscles'}`,
    `other targets: ${s.otherTargets.targets} targets, ${s.otherTargets.edges} edges, ${s.otherTargets.total} ${unit}`,
  );
  if (notes.length > 0) lines.push('notes:', ...notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}
