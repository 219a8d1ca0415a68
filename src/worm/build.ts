/**
 * Builds a C. elegans network from a connectome dataset into a Network: one
 * population of neurons (named, e.g. "AVAL"), chemical synapses split by sign into an
 * excitatory and an inhibitory projection, gap junctions once per pair, and optionally
 * the 95 body-wall muscles as readout units driven through the NMJs.
 *
 * Weight of an edge = (conductance per synapse of its type) × count^countPower
 * (countPower 1: weight by synapse count; 0: every connection weight 1, as c302's
 * C0/D1 levels). Defaults are Kunert et al. 2014's 100 pS per chemical synapse and per
 * gap junction. The dataset, selection, ablations, sign rule, override tables and the
 * per-edge sign table are written into the network's provenance and so into results.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UnknownNameError, ValidationError } from '../errors.js';
import type { Network } from '../api/network.js';
import type { ValueSpec } from '../api/values.js';
import { getModel, type NeuronModel } from '../models/index.js';
import type { ProjectionIR } from '../ir/types.js';
import { toInternal } from '../units.js';
import { BODY_WALL_MUSCLES, loadConnectome, loadNeuronTable, type Connectome, type DatasetId, type NeuronInfo } from '../connectome/index.js';
import { assignSigns, baseSign, BASE_SIGN_RULES, readSignTable, type BaseSignRule, type EdgeSign, type SignTable } from './signs.js';

export const NEURON_CATEGORIES = ['sensory', 'inter', 'motor', 'pharyngeal', 'unknown'] as const;

export interface WormSpec {
  /** Connectome dataset; `varshney2011` (the Kunert model's wiring) when omitted. */
  dataset?: DatasetId;
  dataDir?: string;
  /** Population label; `worm` when omitted. */
  label?: string;
  /** Neuron model; `graded_kunert` when omitted. */
  model?: string;
  method?: string;
  params?: Record<string, ValueSpec>;
  /**
   * Which neurons: names, classes (AVA), categories (sensory, inter, motor, pharyngeal)
   * or `all` (all 302, unconnected ones included). Default: every neuron with a chemical
   * synapse or gap junction in the dataset (Varshney: 279).
   */
  neurons?: string[];
  /** Neurons or classes removed with all their synapses. */
  ablate?: string[];
  signs?: {
    /** Base rule; `gaba` when omitted. */
    base?: BaseSignRule;
    /** Override tables: file paths (relative to `baseDir`) or built-in names such as `tap-withdrawal`. */
    overrides?: string[];
  };
  synapse?: {
    /** Conductance per chemical synapse (default 100 pS), per gap junction (100 pS), per NMJ (100 pS). */
    excitatory?: ValueSpec;
    inhibitory?: ValueSpec;
    gap?: ValueSpec;
    nmj?: ValueSpec;
    /** count^countPower scales each edge (default 1). */
    countPower?: number;
    /** Sigmoid centre and slope for models whose synapses read the presynaptic voltage (ltc). */
    mu?: ValueSpec;
    slope?: number;
    /** Delay of spike-transmitting synapses (spiking models; default dt). */
    delay?: ValueSpec;
  };
  /** Add the 95 body-wall muscles as readout units (same model) through the NMJs. */
  muscles?: boolean;
}

export interface WormBuild {
  population: string;
  neurons: NeuronInfo[];
  muscles?: string;
  signs: EdgeSign[];
  warnings: string[];
  connectome: Connectome;
}

/** Folder of the built-in sign tables (connectomes/signs in the package). */
export function builtinSignTableDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'connectomes', 'signs');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve('connectomes', 'signs');
}

function resolveSignTable(ref: string, baseDir: string): SignTable {
  if (/\.(ya?ml|json)$/i.test(ref)) return readSignTable(path.resolve(baseDir, ref));
  const file = path.join(builtinSignTableDir(), `${ref}.yaml`);
  if (!existsSync(file)) throw new ValidationError(`sign table "${ref}" is neither a file (.yaml/.json) nor a built-in table (tap-withdrawal).`, { object: 'worm signs', parameter: 'overrides' });
  return readSignTable(file);
}

/** Names of the neurons in `table` matched by names, classes, categories or `all`. */
export function selectNeurons(selectors: string[], table: NeuronInfo[], object: string): Set<string> {
  const out = new Set<string>();
  const classes = new Set(table.map((n) => n.cls));
  const valid = ['all', ...NEURON_CATEGORIES, ...classes, ...table.map((n) => n.name)];
  for (const s of selectors) {
    if (s === 'all') table.forEach((n) => out.add(n.name));
    else if ((NEURON_CATEGORIES as readonly string[]).includes(s)) table.filter((n) => n.category === s).forEach((n) => out.add(n.name));
    else if (classes.has(s)) table.filter((n) => n.cls === s).forEach((n) => out.add(n.name));
    else if (table.some((n) => n.name === s)) out.add(s);
    else throw new UnknownNameError('neuron, class or category', s, valid, { object, parameter: 'neurons' });
  }
  return out;
}

/** CSR from (pre, post, weight) triples, rows sorted by target. */
function csr(nPre: number, edges: [number, number, number][]) {
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const rowPtr = new Uint32Array(nPre + 1);
  for (const [i] of edges) rowPtr[i + 1]++;
  for (let i = 0; i < nPre; i++) rowPtr[i + 1] += rowPtr[i]!;
  return { rowPtr, targets: Uint32Array.from(edges, (e) => e[1]), weight: Float64Array.from(edges, (e) => e[2]) };
}

export function addWorm(net: Network, spec: WormSpec = {}, baseDir = process.cwd()): WormBuild {
  const object = 'worm network';
  const dataset = spec.dataset ?? 'varshney2011';
  const connectome = loadConnectome(dataset, { dataDir: spec.dataDir });
  const table = loadNeuronTable({ dataDir: spec.dataDir });
  const label = spec.label ?? 'worm';
  const modelName = spec.model ?? 'graded_kunert';
  const model = getModel(modelName, `population "${label}"`);
  if (model.kind !== 'neuron') throw new ValidationError(`${object}: model ${modelName} is a spike source, not a neuron model.`, { object, parameter: 'model' });

  // Default: every neuron with a chemical synapse or gap junction to another neuron.
  const wired = new Set<string>();
  for (const e of connectome.chemical) wired.add(e.pre).add(e.post);
  for (const g of connectome.gap) wired.add(g.a).add(g.b);
  const selected = spec.neurons ? selectNeurons(spec.neurons, table, object) : wired;
  const ablated = selectNeurons(spec.ablate ?? [], table, `${object} ablations`);
  const byName = new Map(table.map((n) => [n.name, n]));
  const neurons = [...selected].filter((n) => !ablated.has(n) && byName.has(n)).sort();
  const index = new Map(neurons.map((n, i) => [n, i]));
  if (neurons.length === 0) throw new ValidationError(`${object}: no neurons left after selection and ablation.`, { object, parameter: 'neurons' });

  const q = (v: ValueSpec | undefined, fallback: number, parameter: string) =>
    v === undefined ? fallback : toInternal(v as string | number, 'conductance', { object, parameter: `synapse.${parameter}` });
  const syn = spec.synapse ?? {};
  const gExc = q(syn.excitatory, 1e-4, 'excitatory');
  const gInh = q(syn.inhibitory, 1e-4, 'inhibitory');
  const gGap = q(syn.gap, 1e-4, 'gap');
  const gNmj = q(syn.nmj, 1e-4, 'nmj');
  const power = syn.countPower ?? 1;
  if (!Number.isFinite(power) || power < 0) throw new ValidationError(`${object}: synapse.countPower = ${power} must be ≥ 0.`, { object, parameter: 'synapse.countPower' });
  const scale = (count: number) => Math.pow(count, power);

  const base = spec.signs?.base ?? 'gaba';
  if (!BASE_SIGN_RULES.includes(base)) throw new UnknownNameError('sign rule', base, BASE_SIGN_RULES, { object, parameter: 'signs.base' });
  const tables = (spec.signs?.overrides ?? []).map((ref) => resolveSignTable(ref, baseDir));
  const chem = connectome.chemical.filter((e) => index.has(e.pre) && index.has(e.post));
  const { signs, warnings } = assignSigns(chem, base, tables, table);

  net.population(label, neurons.length, model.name, spec.params ?? {}, {}, { neuronNames: neurons, ...(spec.method ? { method: spec.method } : {}) });
  const nm = model as NeuronModel;
  const exc: [number, number, number][] = [];
  const inh: [number, number, number][] = [];
  chem.forEach((e, k) => {
    const inhibitory = signs[k]!.sign === 'inhibitory';
    (inhibitory ? inh : exc).push([index.get(e.pre)!, index.get(e.post)!, (inhibitory ? gInh : gExc) * scale(e.count)]);
  });
  const connectEdges = (name: string, post: string, nPre: number, edges: [number, number, number][], receptor: string) => {
    if (edges.length === 0) return;
    const c = csr(nPre, edges);
    addProjection(net, nm, { label: name, pre: label, post, receptor, ...c }, syn);
  };
  connectEdges(`${label}:excitatory`, label, neurons.length, exc, 'excitatory');
  connectEdges(`${label}:inhibitory`, label, neurons.length, inh, 'inhibitory');
  const gaps: [number, number, number][] = [];
  for (const g of connectome.gap) {
    if (g.a === g.b || !index.has(g.a) || !index.has(g.b)) continue;
    gaps.push([index.get(g.a)!, index.get(g.b)!, gGap * scale(g.count)]);
  }
  if (gaps.length > 0) {
    const c = csr(neurons.length, gaps);
    net.addProjection({ label: `${label}:gap`, pre: label, post: label, transmission: 'gap', receptor: 'gap', ...c, delay: 0 });
  }

  let musclePop: string | undefined;
  let nmjSource: string | null = null;
  if (spec.muscles) {
    musclePop = `${label}_muscles`;
    net.population(musclePop, BODY_WALL_MUSCLES.length, model.name, spec.params ?? {}, {}, { neuronNames: [...BODY_WALL_MUSCLES] });
    const mIndex = new Map(BODY_WALL_MUSCLES.map((m, i) => [m, i]));
    const mExc: [number, number, number][] = [];
    const mInh: [number, number, number][] = [];
    // Varshney names no muscle (its NMJ rows end at a pseudo-node): take the OpenWorm spreadsheet's NMJ table then.
    nmjSource = connectome.nmj.length > 0 ? dataset : 'openworm';
    const nmj = connectome.nmj.length > 0 ? connectome.nmj : loadConnectome('openworm', { dataDir: spec.dataDir }).nmj;
    for (const e of nmj) {
      if (!index.has(e.pre) || !mIndex.has(e.muscle)) continue;
      // NMJ signs follow the base rule only (override tables name neurons).
      const inhibitory = baseSign(base, byName.get(e.pre)) === 'inhibitory';
      (inhibitory ? mInh : mExc).push([index.get(e.pre)!, mIndex.get(e.muscle)!, gNmj * scale(e.count)]);
    }
    connectEdges(`${label}:nmj_excitatory`, musclePop, neurons.length, mExc, 'excitatory');
    connectEdges(`${label}:nmj_inhibitory`, musclePop, neurons.length, mInh, 'inhibitory');
  }

  const ir = net.toIR();
  ir.provenance = {
    ...(ir.provenance ?? {}),
    worm: {
      dataset,
      citation: connectome.citation,
      weightUnit: connectome.weightUnit,
      population: label,
      neurons: neurons.length,
      ablated: [...ablated].sort(),
      muscles: musclePop ?? null,
      nmjSource,
      synapse: { excitatory: gExc, inhibitory: gInh, gap: gGap, nmj: gNmj, countPower: power, unit: 'uS' },
      signRule: base,
      signTables: tables.map((t) => ({ name: t.name, source: t.source, file: t.file, rules: t.rules.length })),
      signWarnings: warnings,
      signTable: { pre: signs.map((s) => s.pre), post: signs.map((s) => s.post), sign: signs.map((s) => s.sign), source: signs.map((s) => s.source) },
    },
  };
  return { population: label, neurons: neurons.map((n) => byName.get(n)!), muscles: musclePop, signs, warnings, connectome };
}

/** Adds a chemical projection in the form the model takes (graded or spiking). */
function addProjection(
  net: Network,
  model: NeuronModel,
  p: { label: string; pre: string; post: string; receptor: string; rowPtr: Uint32Array; targets: Uint32Array; weight: Float64Array },
  syn: NonNullable<WormSpec['synapse']>,
): void {
  const proj: ProjectionIR = { ...p, delay: 0 };
  if ((model.receptors[p.receptor]?.mode ?? 'event') === 'graded') {
    const variable = model.gradedOutputs?.[0] ?? 'v';
    proj.transmission = 'graded';
    // Models whose graded output is the voltage (ltc) read it through a sigmoid.
    proj.graded =
      variable === model.voltage
        ? { variable, transfer: { kind: 'sigmoid', mu: syn.mu === undefined ? -35 : toInternal(syn.mu as string | number, 'voltage', { object: p.label, parameter: 'synapse.mu' }), slope: syn.slope ?? 0.125 } }
        : { variable };
  } else {
    proj.delay = syn.delay === undefined ? net.toIR().run.dt : toInternal(syn.delay as string | number, 'time', { object: p.label, parameter: 'synapse.delay' });
  }
  net.addProjection(proj);
}
