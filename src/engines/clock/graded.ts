/**
 * Continuous coupling in the clock engine: graded chemical synapses and gap junctions.
 *
 * Both deliver, every step, a weighted sum of a presynaptic state variable into an
 * input array of the postsynaptic population (`gin_<receptor>`, `gin_gap`). The neuron
 * kernel of step n writes the variables it publishes into a buffer chosen by the step's
 * parity (`out_<var>`, 2·size values); after the step's barrier each worker sums the
 * published values into the inputs of the neurons it owns (a gather over each neuron's
 * incoming synapses, CSC by postsynaptic neuron: no scattered writes, no zeroing), and
 * the kernel of step n+1 reads them at the start of its update. So the coupling uses the values at the start
 * of each step (explicit in the neighbours, like the graded synapses of Kunert et al.
 * 2014 integrated by any one-step method), and is identical for any thread count.
 *
 * A gap junction between a and b (stored once per pair) becomes two directed
 * deliveries of the presynaptic voltage: I_a = IG_gap − G_gap·V_a with IG_gap = Σ g V_b
 * and G_gap = Σ g (a per-neuron constant). Self-contacts carry no current and are dropped.
 */
import { valueAt, type ResolvedNetwork } from '../../ir/validate.js';
import type { PerElement, ProjectionIR } from '../../ir/types.js';
import type { NeuronModel } from '../../models/types.js';
import { literal } from './codegen.js';

/** One directed delivery: Σ_j w_jk f(out_j) into gin[target_k]. */
export interface GradedDelivery {
  label: string;
  pre: number;
  post: number;
  /** Published presynaptic variable read (e.g. `s`, `v`). */
  variable: string;
  /** Input array key on the post population (`gin_excitatory`, `gin_gap`, ...). */
  input: string;
  rowPtr: Uint32Array;
  targets: Uint32Array;
  weight: number | Float64Array;
  sigmoid?: { mu: number | Float64Array; slope: number | Float64Array };
  /** Read the CSR backwards (row = postsynaptic neuron, target = presynaptic): the second direction of a gap junction. */
  reverse?: boolean;
}

export interface GradedLayout {
  deliveries: GradedDelivery[];
  /** Per population: published variables, graded receptors with input, total gap conductance (undefined: no gap junctions). */
  outputs: Set<string>[];
  gradedInputs: Set<string>[];
  gapConductance: (Float64Array | undefined)[];
}

const transmissionOf = (p: ProjectionIR) => p.transmission ?? 'spike';

export function isContinuous(p: ProjectionIR): boolean {
  return transmissionOf(p) !== 'spike';
}

/** Drops the synapses k where keep(k) is false, carrying every per-synapse array along. */
function filterCsr(rowPtr: Uint32Array, targets: Uint32Array, perSynapse: PerElement[], keep: (row: number, k: number) => boolean) {
  const n = rowPtr.length - 1;
  const rp = new Uint32Array(n + 1);
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) if (keep(i, k)) idx.push(k);
    rp[i + 1] = idx.length;
  }
  return {
    rowPtr: rp,
    targets: Uint32Array.from(idx, (k) => targets[k]!),
    arrays: perSynapse.map((a) => (typeof a === 'number' ? a : Float64Array.from(idx, (k) => a[k]!))),
  };
}

export function layoutGraded(net: ResolvedNetwork): GradedLayout {
  const popIndex = new Map(net.populations.map((p, i) => [p.label, i]));
  const outputs = net.populations.map(() => new Set<string>());
  const gradedInputs = net.populations.map(() => new Set<string>());
  const gapConductance: (Float64Array | undefined)[] = net.populations.map(() => undefined);
  const deliveries: GradedDelivery[] = [];
  for (const proj of net.ir.projections) {
    if (!isContinuous(proj)) continue;
    const pre = popIndex.get(proj.pre)!;
    const post = popIndex.get(proj.post)!;
    if (transmissionOf(proj) === 'graded') {
      const tf = proj.graded!.transfer;
      outputs[pre]!.add(proj.graded!.variable);
      gradedInputs[post]!.add(proj.receptor);
      deliveries.push({
        label: proj.label,
        pre,
        post,
        variable: proj.graded!.variable,
        input: `gin_${proj.receptor}`,
        rowPtr: proj.rowPtr,
        targets: proj.targets,
        weight: proj.weight,
        sigmoid: tf ? { mu: tf.mu, slope: tf.slope } : undefined,
      });
      continue;
    }
    // Gap junctions: drop self-contacts, then one delivery each way.
    const same = pre === post;
    const f = filterCsr(proj.rowPtr, proj.targets, [proj.weight], (i, k) => !(same && proj.targets[k] === i));
    const weight = f.arrays[0]!;
    const vPre = (net.populations[pre]!.model as NeuronModel).voltage!;
    const vPost = (net.populations[post]!.model as NeuronModel).voltage!;
    outputs[pre]!.add(vPre);
    outputs[post]!.add(vPost);
    const gPre = (gapConductance[pre] ??= new Float64Array(net.populations[pre]!.size));
    const gPost = (gapConductance[post] ??= new Float64Array(net.populations[post]!.size));
    for (let i = 0; i + 1 < f.rowPtr.length; i++) {
      for (let k = f.rowPtr[i]!; k < f.rowPtr[i + 1]!; k++) {
        const g = valueAt(weight, k);
        gPre[i] = gPre[i]! + g;
        gPost[f.targets[k]!] = gPost[f.targets[k]!]! + g;
      }
    }
    deliveries.push({ label: `${proj.label} (${proj.pre}→${proj.post})`, pre, post, variable: vPre, input: 'gin_gap', rowPtr: f.rowPtr, targets: f.targets, weight });
    deliveries.push({ label: `${proj.label} (${proj.post}→${proj.pre})`, pre: post, post: pre, variable: vPost, input: 'gin_gap', rowPtr: f.rowPtr, targets: f.targets, weight, reverse: true });
  }
  return { deliveries, outputs, gradedInputs, gapConductance };
}

/**
 * One gather: gin[cols[c]] (=|+=) Σ_k w_k f(out[src_k]) over column c of a CSC by
 * postsynaptic neuron. A gather that is the only writer of its input keeps only its
 * non-empty columns (the others stay 0); otherwise cols lists every neuron.
 */
export interface GradedGather {
  label: string;
  pre: number;
  post: number;
  variable: string;
  input: string;
  /** Postsynaptic neuron of each column, ascending. */
  cols: Uint32Array;
  colPtr: Uint32Array;
  sources: Uint32Array;
  weight: number | Float64Array;
  sigmoid?: { mu: number | Float64Array; slope: number | Float64Array };
  /** The first gather into an input assigns, later ones add. */
  assign: boolean;
}

/**
 * Turns the deliveries into gathers: deliveries that share (pre, post, variable, input)
 * and have no sigmoid are merged (e.g. both directions of a population's gap junctions),
 * then each is transposed to CSC by postsynaptic neuron, sources ascending within a column.
 */
export function toGathers(deliveries: GradedDelivery[], sizes: number[]): GradedGather[] {
  const groups = new Map<string, GradedDelivery[]>();
  deliveries.forEach((d, k) => {
    const key = d.sigmoid ? `#${k}` : `${d.pre}|${d.post}|${d.variable}|${d.input}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  });
  const seen = new Set<string>();
  const writers = new Map<string, number>();
  for (const ds of groups.values()) writers.set(`${ds[0]!.post}|${ds[0]!.input}`, (writers.get(`${ds[0]!.post}|${ds[0]!.input}`) ?? 0) + 1);
  const out: GradedGather[] = [];
  for (const ds of groups.values()) {
    const d0 = ds[0]!;
    const nPost = sizes[d0.post]!;
    const colPtr = new Uint32Array(nPost + 1);
    // Entries as (presynaptic, postsynaptic, delivery, synapse); a reversed delivery swaps the two ends.
    const entries: [number, number, GradedDelivery, number][] = [];
    for (const d of ds) {
      for (let r = 0; r + 1 < d.rowPtr.length; r++) {
        for (let k = d.rowPtr[r]!; k < d.rowPtr[r + 1]!; k++) entries.push(d.reverse ? [d.targets[k]!, r, d, k] : [r, d.targets[k]!, d, k]);
      }
    }
    for (const e of entries) colPtr[e[1] + 1]++;
    for (let i = 0; i < nPost; i++) colPtr[i + 1] += colPtr[i]!;
    const nnz = colPtr[nPost]!;
    const fill = colPtr.slice(0, nPost);
    const sources = new Uint32Array(nnz);
    const uniform = (get: (d: GradedDelivery) => number | Float64Array | undefined) => {
      const v = ds.map(get);
      return v.every((x) => typeof x === 'number' && x === v[0]) ? (v[0] as number) : undefined;
    };
    const wU = uniform((d) => d.weight);
    const muU = d0.sigmoid ? uniform((d) => d.sigmoid!.mu) : 0;
    const slU = d0.sigmoid ? uniform((d) => d.sigmoid!.slope) : 0;
    const W = wU === undefined ? new Float64Array(nnz) : undefined;
    const MU = muU === undefined ? new Float64Array(nnz) : undefined;
    const SL = slU === undefined ? new Float64Array(nnz) : undefined;
    // In presynaptic order, so each column's sources come out ascending (deterministic sums).
    entries.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    for (const [j, i, d, k] of entries) {
      const dst = fill[i]!++;
      sources[dst] = j;
      if (W) W[dst] = valueAt(d.weight, k);
      if (MU) MU[dst] = valueAt(d.sigmoid!.mu, k);
      if (SL) SL[dst] = valueAt(d.sigmoid!.slope, k);
    }
    const key = `${d0.post}|${d0.input}`;
    const { cols, ptr } = writers.get(key) === 1 ? nonEmptyColumns(colPtr) : { cols: Uint32Array.from({ length: nPost }, (_, i) => i), ptr: colPtr };
    out.push({
      label: ds.map((d) => d.label).join(' + '),
      pre: d0.pre,
      post: d0.post,
      variable: d0.variable,
      input: d0.input,
      cols,
      colPtr: ptr,
      sources,
      weight: W ?? wU!,
      sigmoid: d0.sigmoid ? { mu: MU ?? muU!, slope: SL ?? slU! } : undefined,
      assign: !seen.has(key),
    });
    seen.add(key);
  }
  return out;
}

/** The non-empty columns of a CSC and its pointers restricted to them. */
function nonEmptyColumns(colPtr: Uint32Array): { cols: Uint32Array; ptr: Uint32Array } {
  const cols: number[] = [];
  for (let i = 0; i + 1 < colPtr.length; i++) if (colPtr[i + 1]! > colPtr[i]!) cols.push(i);
  const ptr = new Uint32Array(cols.length + 1);
  cols.forEach((i, c) => (ptr[c + 1] = colPtr[i + 1]!));
  return { cols: Uint32Array.from(cols), ptr };
}

/**
 * Source of a factory `(A) => gather(obase, lo, hi)`: for every column c in lo..hi−1,
 * gin[cols[c]] = (or +=) Σ_k w_k f(out[obase + S[k]]). Uniform values are inlined.
 */
export function gatherKernelSource(g: GradedGather): string {
  const lines = ['"use strict";', 'const C = A.colPtr, S = A.sources, cols = A.cols, gin = A.gin, out = A.out;'];
  const arr = (name: string, v: number | Float64Array) => {
    if (typeof v === 'number') return literal(v);
    lines.push(`const ${name} = A.${name};`);
    return `${name}[k]`;
  };
  const w = arr('W', g.weight);
  let term = `${w} * out[obase + S[k]]`;
  if (g.sigmoid) {
    const mu = arr('MU', g.sigmoid.mu);
    const sl = arr('SL', g.sigmoid.slope);
    term = `${w} / (1 + Math.exp(-${sl} * (out[obase + S[k]] - ${mu})))`;
  }
  // Two accumulators (even and odd entries of the column): about 20 % faster in V8.
  const at = (k: string) => term.replaceAll('[k]', `[${k}]`);
  lines.push('return function gather(obase, lo, hi) {');
  lines.push('  for (let c = lo; c < hi; c++) {');
  lines.push('    let a0 = 0, a1 = 0;');
  lines.push('    const e = C[c + 1];');
  lines.push('    let k = C[c];');
  lines.push(`    for (; k + 1 < e; k += 2) { a0 += ${at('k')}; a1 += ${at('k + 1')}; }`);
  lines.push(`    if (k < e) a0 += ${at('k')};`);
  lines.push(g.assign ? '    gin[cols[c]] = a0 + a1;' : '    gin[cols[c]] += a0 + a1;');
  lines.push('  }');
  lines.push('};');
  return lines.join('\n');
}
