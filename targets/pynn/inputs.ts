/**
 * Every random or timed input of a network as explicit spike arrays on the dt grid, so that
 * an exported PyNN script feeds each backend (sPyNNaker, brian2, NEURON, NEST) exactly the
 * spikes nematode's clock engine draws (spec ../shared/reference/spinnaker-pynn.md §5.4:
 * "use SpikeSourceArray with explicit, dt-aligned spike times, never SpikeSourcePoisson").
 *
 * The conversion returns a new IR in which
 *   - `spike_source_poisson` and `spike_source_array` populations are spike arrays whose
 *     times are grid points (the clock engine's streams `poisson-source`/<label>/<j>);
 *   - each `poisson` and `spike_times` stimulus is a new spike-array population, one source
 *     per target (stream `poisson-stimulus`/<label>/<target>), wired one to one with the
 *     stimulus weight and a one-step delay: an input the engine adds in step n comes from a
 *     source spike emitted in step n − 1 (only inputs of step 0 cannot, and arrive one step
 *     late; they are counted in the notes);
 *   - a source that spikes k > 1 times in one step (the engine delivers each) gets k − 1
 *     overflow sources with copies of its synapses, because PyNN's spike sources (brian2's
 *     SpikeGeneratorGroup in particular) take one spike per source and step.
 * The clock engine runs the converted network to the same spikes (test/spinnaker-pynn.test.ts).
 */
import type { NetworkIR, PopulationIR, ProjectionIR, StimulusIR } from '../../src/ir/types.js';
import { resolveTargets, validateNetwork } from '../../src/ir/validate.js';
import { emissionStep } from '../../src/engines/clock/plan.js';
import { Rng } from '../../src/util/rng.js';

export interface ConvertedInputs {
  ir: NetworkIR;
  /** Labels of the spike-array populations made from stimuli, by stimulus label. */
  stimulusPopulations: Record<string, string>;
  /** Overflow populations (k-th spike of a step) by the population they copy. */
  overflow: Record<string, string>;
  notes: string[];
}

/**
 * The step in which the engine delivers a Poisson event at time t: the first n with
 * t ≤ (n + 1)·dt, computed as the engine compares (floating point, tEnd = (n + 1)·dt).
 */
export function poissonEventStep(t: number, dt: number): number {
  let n = Math.max(0, Math.ceil(t / dt) - 1);
  while (n > 0 && t <= n * dt) n--;
  while (t > (n + 1) * dt) n++;
  return n;
}

/** Steps (ascending, repeated for several events in one step) of one Poisson stream in [start, stop). */
export function poissonSteps(rng: Rng, rate: number, start: number, stop: number, dt: number, steps: number): number[] {
  const out: number[] = [];
  if (!(rate > 0)) return out;
  const mean = 1000 / rate;
  const tLast = steps * dt;
  let t = start + rng.exponential(mean);
  if (t >= stop) return out;
  while (t <= tLast) {
    const n = poissonEventStep(t, dt);
    if (n >= steps) break;
    out.push(n);
    t += rng.exponential(mean);
    if (t >= stop) break;
  }
  return out;
}

/**
 * Splits per-source step lists into layers: layer 0 has each step once, layer k the (k+1)-th
 * spike of a step. `first[j]` is source j's layer 0 (empty without spikes); `extra` holds the
 * other layers' (source, steps), layer by layer, one overflow source each.
 */
function splitLayers(stepsPerSource: number[][]): { first: number[][]; extra: { source: number; steps: number[] }[] } {
  const out: { source: number; steps: number[] }[][] = [];
  stepsPerSource.forEach((steps, source) => {
    let k = 0;
    for (let i = 0; i < steps.length; i++) {
      k = i > 0 && steps[i] === steps[i - 1] ? k + 1 : 0;
      while (out.length <= k) out.push([]);
      const layer = out[k]!;
      const last = layer[layer.length - 1];
      if (last?.source === source) last.steps.push(steps[i]!);
      else layer.push({ source, steps: [steps[i]!] });
    }
  });
  const first: number[][] = stepsPerSource.map(() => []);
  for (const e of out[0] ?? []) first[e.source] = e.steps;
  return { first, extra: out.slice(1).flat() };
}

/** `base`, or `base_2`, `base_3`, … : the first not in `taken`, which then holds it. */
export function uniqueLabel(taken: Set<string>, base: string): string {
  let label = base;
  for (let i = 2; taken.has(label); i++) label = `${base}_${i}`;
  taken.add(label);
  return label;
}

/** Times that the engine emits in `step` (the grid point ending it). */
const gridTime = (step: number, dt: number): number => (step + 1) * dt;

function sourcePopulation(label: string, steps: number[][], dt: number): PopulationIR {
  return { label, model: 'spike_source_array', size: steps.length, params: {}, initial: {}, spikeTimes: steps.map((s) => Float64Array.from(s, (n) => gridTime(n, dt))) };
}

/** A projection whose presynaptic neuron i has the synapses `rows[i]` (post index, weight, delay). */
function projectionFromRows(label: string, pre: string, post: string, receptor: string, rows: { post: number; weight: number; delay: number }[][]): ProjectionIR {
  const rowPtr = new Uint32Array(rows.length + 1);
  rows.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i]! + r.length));
  const n = rowPtr[rows.length]!;
  const targets = new Uint32Array(n);
  const weight = new Float64Array(n);
  const delay = new Float64Array(n);
  let k = 0;
  for (const r of rows) for (const s of r) (targets[k] = s.post), (weight[k] = s.weight), (delay[k] = s.delay), k++;
  return { label, pre, post, receptor, rowPtr, targets, weight, delay, connector: { rule: 'from_list', connections: [] } };
}

/** Every spike source and spike stimulus of `ir` as spike arrays on the dt grid (see the file comment). */
export function inputsAsSpikeArrays(ir: NetworkIR): ConvertedInputs {
  const net = validateNetwork(ir);
  const { dt, duration, seed } = ir.run;
  const steps = Math.round(duration / dt);
  const taken = new Set(ir.populations.map((p) => p.label));
  const populations: PopulationIR[] = [];
  const projections: ProjectionIR[] = [...ir.projections];
  const projectionLabels = new Set(ir.projections.map((q) => q.label));
  const stimuli: StimulusIR[] = [];
  const stimulusPopulations: Record<string, string> = {};
  const overflow: Record<string, string> = {};
  const notes: string[] = [];

  for (const p of net.populations) {
    const name = p.model.name;
    if (name !== 'spike_source_poisson' && name !== 'spike_source_array') {
      populations.push(p.ir);
      continue;
    }
    const perSource: number[][] = [];
    for (let j = 0; j < p.ir.size; j++) {
      if (name === 'spike_source_array') {
        perSource.push(Array.from(p.ir.spikeTimes![j]!, (t) => emissionStep(t, dt)).filter((n) => n < steps));
      } else {
        const at = (x: number | Float64Array): number => (typeof x === 'number' ? x : x[j]!);
        perSource.push(poissonSteps(Rng.stream(seed, 'poisson-source', p.ir.label, j), at(p.params.rate!), at(p.params.start!), at(p.params.stop!), dt, steps));
      }
    }
    const { first, extra } = splitLayers(perSource);
    populations.push({ ...sourcePopulation(p.ir.label, first, dt), ...(p.ir.neuronNames ? { neuronNames: p.ir.neuronNames } : {}) });
    if (extra.length === 0) continue;
    // Overflow sources: one per (source, layer), with copies of the source's outgoing synapses.
    const label = uniqueLabel(taken, `${p.ir.label}_overflow`);
    overflow[p.ir.label] = label;
    populations.push(sourcePopulation(label, extra.map((e) => e.steps), dt));
    notes.push(`population "${p.ir.label}": ${extra.length} sources spike more than once in a step; population "${label}" carries the extra spikes with copies of their synapses.`);
    for (const pr of ir.projections.filter((q) => q.pre === p.ir.label)) {
      const rows = extra.map((e) => {
        const r: { post: number; weight: number; delay: number }[] = [];
        for (let s = pr.rowPtr[e.source]!; s < pr.rowPtr[e.source + 1]!; s++) {
          r.push({ post: pr.targets[s]!, weight: typeof pr.weight === 'number' ? pr.weight : pr.weight[s]!, delay: typeof pr.delay === 'number' ? pr.delay : pr.delay[s]! });
        }
        return r;
      });
      projections.push({ ...projectionFromRows(uniqueLabel(projectionLabels, `${pr.label}_overflow`), label, pr.post, pr.receptor, rows), ...(pr.transmission ? { transmission: pr.transmission } : {}) });
    }
  }

  for (const s of ir.stimuli) {
    if (s.kind !== 'poisson' && s.kind !== 'spike_times') {
      stimuli.push(s);
      continue;
    }
    const post = net.byLabel.get(s.population)!;
    const targets = resolveTargets(s, post, `stimulus "${s.label}"`);
    const perTarget: number[][] = [];
    let stepZero = 0;
    for (const i of targets) {
      let ns: number[];
      if (s.kind === 'poisson') ns = poissonSteps(Rng.stream(seed, 'poisson-stimulus', s.label, i), s.rate, s.start, s.stop, dt, steps);
      else ns = s.times.map((t) => emissionStep(t, dt)).filter((n) => n < steps).sort((a, b) => a - b);
      // Added in step n ⇔ emitted in step n − 1 with a one-step delay.
      perTarget.push(ns.map((n) => (n === 0 ? (stepZero++, 0) : n - 1)));
    }
    if (stepZero > 0) notes.push(`stimulus "${s.label}": ${stepZero} inputs of the first step arrive one step late (a spike source needs one step of delay).`);
    const label = uniqueLabel(taken, `${s.label}_input`);
    stimulusPopulations[s.label] = label;
    // Layer 0 first: one source per target, in target order, even without spikes; then the overflow sources.
    const { first, extra } = splitLayers(perTarget);
    const sources = first.map((steps, source) => ({ source, steps })).concat(extra);
    populations.push(sourcePopulation(label, sources.map((e) => e.steps), dt));
    const rows = sources.map((e) => [{ post: targets[e.source]!, weight: s.weight, delay: dt }]);
    projections.push(projectionFromRows(uniqueLabel(projectionLabels, label), label, s.population, s.receptor, rows));
  }

  return { ir: { ...ir, populations, projections, stimuli }, stimulusPopulations, overflow, notes };
}
