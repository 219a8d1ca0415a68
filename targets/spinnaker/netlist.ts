/**
 * The SpiNNaker machine netlist (`netlist.json` + `netlist.msgpack`, format
 * "nematode-spinnaker-netlist"): a network as sPyNNaker would lay it out on a SpiNN-5 or
 * SpiNN-3 board (spec ../shared/reference/spinnaker-pynn.md §2, §3; fields in
 * docs/targets/spinnaker.md, "Machine netlist").
 *
 * Steps: capability check (one UnsupportedError listing every problem, or approximations
 * under `approximate`), partition into cores, per-post-population synaptic word layout
 * (index, type and delay bits) and ring-buffer shifts, delay extensions, placement, keys,
 * synaptic matrices (32-bit fixed words), master population tables, routing tables with
 * compression, and the limits (cores, SDRAM, router entries, row lengths, key bits).
 */
import { UnsupportedError, ValidationError } from '../../src/errors.js';
import type { NetworkIR, PerElement, ProjectionIR } from '../../src/ir/types.js';
import { validateNetwork, valueAt, type ResolvedPopulation } from '../../src/ir/validate.js';
import { VERSION } from '../../src/version.js';
import { makeBoard, MachineCapacityError, place, ROUTER_ENTRIES, SDRAM_PER_CHIP, type Board, type BoardName, type Placement } from './machine.js';
import { buildTables, decodeRoute, keyZones, machineKey, machineMask, N_COLOUR_BITS, type ChipTable, type KeyZones, type Partition } from './routing.js';

export const NETLIST_FORMAT = 'nematode-spinnaker-netlist' as const;
export const NETLIST_FORMAT_VERSION = 1 as const;
export const NETLIST_FILE = 'netlist.json';
export const SIDE_FILE = 'netlist.msgpack';

/** Fixed-word and row constants (§2.1–§2.5). */
export const MAX_RING_BUFFER_BITS = 14;
export const ROW_HEADER_WORDS = 3;
export const MAX_ROW_LENGTH = 256;
export const MAX_DELAY_STAGES = 8;
export const MAX_NEURONS_PER_CORE = 256;
export const DEFAULT_SPIKES_PER_SECOND = 30;
export const RING_BUFFER_SIGMA = 5;
export const POP_TABLE_MAX_START = 2 ** 13;
export const CONDUCTANCE_WEIGHT_SCALE = 1024;
const RECEPTORS = ['excitatory', 'inhibitory'] as const;

/** sPyNNaker names of the models the netlist takes as they are. */
const PYNN_MODELS: Record<string, string> = {
  iaf_psc_exp: 'IF_curr_exp',
  iaf_cond_exp: 'IF_cond_exp',
  spike_source_array: 'SpikeSourceArray',
  spike_source_poisson: 'SpikeSourcePoisson',
  // the fixed-point models (docs/targets/spinnaker.md, "Fixed-point model"): the same PyNN
  // models; their ring_shift_E / ring_shift_I (when ≥ 0) fix the shifts
  spinnaker_IF_curr_exp: 'IF_curr_exp',
  spinnaker_IF_cond_exp: 'IF_cond_exp',
};
const CONDUCTANCE_MODELS = ['iaf_cond_exp', 'spinnaker_IF_cond_exp'];
const SHIFT_PARAMS = ['ring_shift_E', 'ring_shift_I'];
/** Default neurons per core (§3.1): neuron models 256, Poisson 500, arrays the whole population. */
function defaultAtoms(model: string, size: number): number {
  if (model === 'spike_source_poisson') return 500;
  if (model === 'spike_source_array') return size;
  return MAX_NEURONS_PER_CORE;
}

export interface SpinnakerOptions {
  board?: BoardName;
  /** Neurons per core: one number for every population, or per population label (key "*": the rest). */
  neuronsPerCore?: number | Record<string, number>;
  /** Cap on the delay bits D of the synaptic word (default 14 − N − T, sPyNNaker 7; 4 gives sPyNNaker ≤ 6's 16 ticks). */
  delayBits?: number;
  approximate?: boolean;
}

// ---------------------------------------------------------------- netlist types

export interface SideRef {
  file: typeof SIDE_FILE;
  /** Key of the array in the msgpack map. */
  key: string;
}

export interface NetlistPopulation {
  id: string;
  /** sPyNNaker model name. */
  model: string;
  /** The nematode model it came from. */
  nematodeModel: string;
  size: number;
  /** PyNN names and units; one number, or a list with one per neuron. */
  params: Record<string, number | number[]>;
  initial: Record<string, number | number[]>;
  /** Synapse-type index = position. */
  receptors: string[];
  globalWeightScale: number;
  maxAtomsPerCore: number;
  /** Per synapse type (neuron models only). */
  ringBufferShifts?: number[];
  weightScales?: number[];
  /** The expected per-tick maximum the shift was chosen for (weight units × global scale). */
  expectedMaxPerTick?: number[];
  synapticWord?: { indexBits: number; typeBits: number; delayBits: number };
  maxOnCoreDelayTicks?: number;
  spikeTimes?: SideRef;
  approximation?: string;
  cores: string[];
}

export interface NetlistDelayExtension {
  id: string;
  source: string;
  delayPerStage: number;
  stages: number;
  cores: string[];
}

export interface NetlistProjection {
  id: string;
  pre: string;
  post: string;
  receptor: string;
  typeIndex: number;
  synapse: 'static';
  connector?: string;
  synapses: number;
  /** Per synapse in IR order: [pre, post, weight (IR units), delay ticks] columns. */
  connections: SideRef;
}

export interface NetlistMatrix {
  id: string;
  projection: string;
  sourceCore: string;
  delayed: boolean;
  nRows: number;
  rowLengthWords: number;
  synapses: number;
  /** Offset in the core's synaptic-matrix region, in 16-byte units. */
  address: number;
  bytes: number;
  /** nRows × (3 + rowLengthWords) little-endian-independent uint32 words (a Uint32Array in the side file). */
  words: SideRef;
}

export interface NetlistPopTableEntry {
  key: string;
  mask: string;
  coreMask: string;
  maskShift: number;
  nColourBits: number;
  nNeuronsPerSourceCore: number;
  source: string;
  start: number;
  count: number;
  blocks: string[];
}

export interface NetlistCore {
  id: string;
  index: number;
  vertex: string;
  kind: 'neuron' | 'spike_source_array' | 'spike_source_poisson' | 'delay_extension';
  slice: [number, number];
  placement: Placement;
  key: string;
  mask: string;
  nKeys: number;
  /** Whether the core sends multicast packets (false: nothing receives its spikes, so it has no routing partition). */
  sends: boolean;
  keyRule: string;
  ringBuffer?: { entries: number; bytes: number };
  masterPopTable?: NetlistPopTableEntry[];
  addressList?: { address: number; rowLengthMinusOne: number; matrix: string }[];
  synapticMatrices?: NetlistMatrix[];
  sdramBytes: number;
}

export interface NetlistTable {
  x: number;
  y: number;
  entriesBeforeCompression: number;
  defaultRouted: number;
  nEntries: number;
  entries: { key: string; mask: string; route: string; links: number[]; cores: number[] }[];
}

export interface SpinnakerNetlist {
  format: typeof NETLIST_FORMAT;
  formatVersion: number;
  name: string;
  producer: string;
  sideFile: typeof SIDE_FILE;
  simulation: {
    timestepMs: number;
    durationMs: number;
    timeScaleFactor: number;
    nColourBits: number;
    numberFormats: { real: 's16.15'; decay: 'u0.32'; weightBits: 16 };
    ringBufferSigma: number;
    spikesPerSecond: number;
  };
  machine: {
    board: BoardName;
    chips: { x: number; y: number; appCores: number }[];
    coresPerChip: number;
    routerEntries: number;
    sdramPerChipBytes: number;
  };
  keyZones: KeyZones & { colourBits: number };
  populations: NetlistPopulation[];
  delayExtensions: NetlistDelayExtension[];
  projections: NetlistProjection[];
  cores: NetlistCore[];
  routing: {
    partitions: { source: string; key: string; mask: string; targets: string[] }[];
    tables: NetlistTable[];
  };
  /** What the network has that the netlist does not carry (stimuli), one line each. */
  notCarried: string[];
}

export interface ProjectionReport {
  projection: string;
  pre: string;
  post: string;
  receptor: string;
  typeIndex: number;
  synapses: number;
  shift: number;
  weightScale: number;
  /** Weights above the 16-bit range, stored as 0xFFFF. */
  clipped: number;
  /** Non-zero weights stored as 0. */
  zeroed: number;
  maxRelativeWeightError: number;
  maxAbsoluteWeightError: number;
  /** Synapses whose delay is not a whole number of ticks (or below one tick). */
  delaysRounded: number;
  maxDelayRoundingMs: number;
  delayTicks: [number, number];
  viaDelayExtension: number;
}

export interface SpinnakerReport {
  board: BoardName;
  approximations: string[];
  projections: ProjectionReport[];
}

export interface BuiltNetlist {
  netlist: SpinnakerNetlist;
  /** The side file's arrays by key. */
  arrays: Record<string, Uint32Array | Float64Array>;
  report: SpinnakerReport;
}

// ---------------------------------------------------------------- helpers

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

/** get_n_bits: ceil(log2 n) with n = 1 → 1 (0 for 0). */
export function nBits(n: number): number {
  if (n <= 0) return 0;
  if (n === 1) return 1;
  return Math.ceil(Math.log2(n) - 1e-12);
}

/** Round half to even (numpy rint). */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function compact(x: PerElement, size: number): number | number[] {
  if (typeof x === 'number') return x;
  for (let i = 1; i < size; i++) if (x[i] !== x[0]) return Array.from(x);
  return x[0]!;
}

/** Decoded weight of a fixed word (magnitude, in the IR's units). */
export function decodeWeight(weight16: number, shift: number, globalWeightScale: number): number {
  return (weight16 * 2 ** shift) / 2 ** 15 / globalWeightScale;
}

// ---------------------------------------------------------------- capability check

interface Checked {
  pops: ResolvedPopulation[];
  projections: ProjectionIR[];
  approximations: string[];
  notCarried: string[];
}

function capabilityCheck(ir: NetworkIR, approximate: boolean): Checked {
  const net = validateNetwork(ir);
  const problems: string[] = [];
  const approximations: string[] = [];
  for (const p of net.populations) {
    const m = p.model.name;
    if (m in PYNN_MODELS) continue;
    if (m === 'izhikevich') {
      const why = 'sPyNNaker\'s Izhikevich has exponential current synapses (nA, tau_syn 5 ms) where nematode\'s has voltage jumps (mV), and 1 nA ≙ 1 mV/ms';
      if (approximate) approximations.push(`population "${p.ir.label}": izhikevich exported as sPyNNaker Izhikevich; ${why}; weights are written as nA unchanged.`);
      else problems.push(`population "${p.ir.label}": izhikevich only approximately (${why}); --approximate maps it to sPyNNaker's Izhikevich`);
      continue;
    }
    problems.push(`population "${p.ir.label}": model ${m} has no sPyNNaker counterpart (IF_curr_exp, IF_cond_exp, Izhikevich, SpikeSourceArray, SpikeSourcePoisson), not even approximately`);
  }
  const projections: ProjectionIR[] = [];
  for (const pr of ir.projections) {
    const tx = pr.transmission ?? 'spike';
    const n = pr.targets.length;
    if (tx !== 'spike') {
      const what = tx === 'gap' ? 'gap junctions (SpiNNaker has no electrical synapses)' : 'graded synapses (SpiNNaker transmits spikes only)';
      if (approximate) approximations.push(`projection "${pr.label}": ${what}: left out (${n} synapses).`);
      else problems.push(`projection "${pr.label}": ${what}; --approximate leaves it out`);
      continue;
    }
    if (!(RECEPTORS as readonly string[]).includes(pr.receptor)) {
      problems.push(`projection "${pr.label}": receptor "${pr.receptor}"; sPyNNaker has excitatory and inhibitory only`);
      continue;
    }
    projections.push(pr);
  }
  if (problems.length > 0) {
    throw new UnsupportedError(`network "${ir.name}" cannot be exported for SpiNNaker:\n  - ${problems.join('\n  - ')}`, { object: 'nematode export', parameter: 'target' });
  }
  const notCarried = ir.stimuli.map((s) => `stimulus "${s.label}" (${s.kind}) on ${s.population}: not part of the machine netlist (the PyNN script carries it, ${s.kind === 'dc' || s.kind === 'step' ? 'as a current source' : 'as a spike array'})`);
  return { pops: net.populations, projections, approximations, notCarried };
}

// ---------------------------------------------------------------- build

interface Vertex {
  label: string;
  /** Core indices (into cores[]). */
  cores: number[];
}

interface CoreBuild {
  id: string;
  vertex: number;
  machineIndex: number;
  kind: NetlistCore['kind'];
  lo: number;
  hi: number;
  nKeys: number;
  /** Population index (neuron / source cores) or source population index (delay cores). */
  pop: number;
  /** For delay cores: its source slice's neuron core. */
  sourceCore?: number;
}

interface Syn {
  pre: number;
  post: number;
  w16: number;
  ticks: number;
}

/** Builds the netlist; throws a typed error listing every problem before returning anything. */
export function buildNetlist(ir: NetworkIR, options: SpinnakerOptions = {}): BuiltNetlist {
  const approximate = options.approximate ?? false;
  const boardName = options.board ?? 'spinn-5';
  const board: Board = makeBoard(boardName);
  const { pops, projections, approximations, notCarried } = capabilityCheck(ir, approximate);
  const dt = ir.run.dt;
  const labels = pops.map((p) => p.ir.label);
  const popIndex = new Map(labels.map((l, i) => [l, i]));
  const isNeuron = pops.map((p) => p.model.kind === 'neuron');

  // Neurons per core.
  const perCore = options.neuronsPerCore;
  if (perCore !== undefined && typeof perCore === 'object') {
    for (const l of Object.keys(perCore)) {
      if (l !== '*' && !popIndex.has(l)) throw new ValidationError(`--neurons-per-core names population "${l}", which the network does not have (${labels.join(', ')}).`, { object: 'nematode export', parameter: 'neurons-per-core' });
    }
  }
  const atoms = pops.map((p, i) => {
    const given = typeof perCore === 'number' ? perCore : (perCore?.[p.ir.label] ?? perCore?.['*']);
    const n = given ?? Math.min(defaultAtoms(p.model.name, p.ir.size), isNeuron[i] ? MAX_NEURONS_PER_CORE : Infinity);
    const cap = isNeuron[i] ? MAX_NEURONS_PER_CORE : 2 ** 16;
    if (!Number.isSafeInteger(n) || n < 1 || n > cap) {
      throw new ValidationError(`population "${p.ir.label}": ${n} neurons per core; allowed 1..${cap}${isNeuron[i] ? ' (sPyNNaker\'s maximum row length)' : ''}.`, { object: 'nematode export', parameter: 'neurons-per-core', expected: `integer 1..${cap}` });
    }
    return Math.min(n, p.ir.size);
  });

  // Delay ticks per synapse and delay bits per post population (§2.4).
  const ticksOf = projections.map((pr) => {
    const t = new Uint32Array(pr.targets.length);
    for (let k = 0; k < t.length; k++) t[k] = Math.max(1, rint(valueAt(pr.delay, k) / dt));
    return t;
  });
  const T = nBits(RECEPTORS.length);
  const N = pops.map((_, i) => nBits(atoms[i]!));
  const maxNeeded = pops.map(() => 1);
  projections.forEach((pr, j) => {
    const q = popIndex.get(pr.post)!;
    for (const t of ticksOf[j]!) if (t > maxNeeded[q]!) maxNeeded[q] = t;
  });
  const D = pops.map((_, q) => {
    let d = Math.min(nBits(maxNeeded[q]!), MAX_RING_BUFFER_BITS - N[q]! - T);
    if (options.delayBits !== undefined) d = Math.min(d, options.delayBits);
    return Math.max(1, d);
  });
  const onCoreMax = D.map((d) => 2 ** d);

  // Delay extensions: per source population, delay per stage = the smallest on-core maximum
  // of the posts that need one; stage s (1-based) = floor((d − 1) / dps), residual d − s·dps.
  const dps = pops.map(() => 0);
  projections.forEach((pr, j) => {
    const p = popIndex.get(pr.pre)!;
    const q = popIndex.get(pr.post)!;
    for (const t of ticksOf[j]!) if (t > onCoreMax[q]!) dps[p] = dps[p] === 0 ? onCoreMax[q]! : Math.min(dps[p]!, onCoreMax[q]!);
  });
  const tooLong: string[] = [];
  const stageOf = (p: number, q: number, t: number): number => (t <= onCoreMax[q]! ? 0 : Math.floor((t - 1) / dps[p]!));
  const stages = pops.map(() => 0);
  projections.forEach((pr, j) => {
    const p = popIndex.get(pr.pre)!;
    const q = popIndex.get(pr.post)!;
    const ticks = ticksOf[j]!;
    let over = 0;
    let worst = 0;
    for (let k = 0; k < ticks.length; k++) {
      let s = stageOf(p, q, ticks[k]!);
      if (s > MAX_DELAY_STAGES) {
        over++;
        worst = Math.max(worst, ticks[k]!);
        if (approximate) {
          ticks[k] = (MAX_DELAY_STAGES + 1) * dps[p]!;
          s = MAX_DELAY_STAGES;
        }
      }
      if (s > stages[p]!) stages[p] = s;
    }
    if (over > 0) {
      const max = (MAX_DELAY_STAGES + 1) * dps[p]!;
      if (approximate) approximations.push(`projection "${pr.label}": ${over} delays above ${max} ticks (up to ${worst}) clipped to ${max} ticks.`);
      else tooLong.push(`projection "${pr.label}": ${over} delays up to ${worst} ticks, above the ${max}-tick maximum (${MAX_DELAY_STAGES} delay-extension stages of ${dps[p]} ticks after the ${onCoreMax[q]}-tick on-core maximum); --approximate clips them`);
    }
  });
  if (tooLong.length > 0) throw new UnsupportedError(`network "${ir.name}" cannot be exported for SpiNNaker:\n  - ${tooLong.join('\n  - ')}`, { object: 'nematode export', parameter: 'delay' });

  // Application vertices and cores (partitioning, §3.1).
  const vertices: Vertex[] = [];
  const cores: CoreBuild[] = [];
  pops.forEach((p, i) => {
    const v: Vertex = { label: p.ir.label, cores: [] };
    const kind: NetlistCore['kind'] = isNeuron[i] ? 'neuron' : (p.model.name as 'spike_source_array' | 'spike_source_poisson');
    for (let lo = 0, m = 0; lo < p.ir.size; lo += atoms[i]!, m++) {
      const hi = Math.min(lo + atoms[i]!, p.ir.size) - 1;
      v.cores.push(cores.length);
      cores.push({ id: `${p.ir.label}[${lo}:${hi}]`, vertex: vertices.length, machineIndex: m, kind, lo, hi, nKeys: (hi - lo + 1) * 2 ** N_COLOUR_BITS, pop: i });
    }
    vertices.push(v);
  });
  const delayVertex = pops.map(() => -1);
  pops.forEach((p, i) => {
    if (stages[i] === 0) return;
    const v: Vertex = { label: `${p.ir.label}.delay`, cores: [] };
    delayVertex[i] = vertices.length;
    vertices[i]!.cores.forEach((c, m) => {
      const src = cores[c]!;
      v.cores.push(cores.length);
      cores.push({ id: `${p.ir.label}.delay[${src.lo}:${src.hi}]`, vertex: vertices.length, machineIndex: m, kind: 'delay_extension', lo: src.lo, hi: src.hi, nKeys: stages[i]! * (src.hi - src.lo + 1) * 2 ** N_COLOUR_BITS, pop: i, sourceCore: c });
    });
    vertices.push(v);
  });
  const coreOfNeuron = (p: number, n: number): number => vertices[p]!.cores[Math.floor(n / atoms[p]!)]!;

  // Placement (§3.3) and keys (§3.4).
  const placed = place(board, vertices.map((v) => v.cores.length), vertices.map((v) => v.label));
  const placements: Placement[] = new Array(cores.length);
  vertices.forEach((v, a) => v.cores.forEach((c, m) => (placements[c] = placed[a]![m]!)));
  const zones = keyZones(vertices.map((v) => v.cores.map((c) => cores[c]!.nKeys)));
  const keyOf = cores.map((c) => machineKey(zones, c.vertex, c.machineIndex));
  const mask = machineMask(zones);

  // Ring-buffer shifts per post population and synapse type (§2.2).
  const globalScale = pops.map((p) => (CONDUCTANCE_MODELS.includes(p.model.name) ? CONDUCTANCE_WEIGHT_SCALE : 1));
  const ticksPerSecond = 1000 / dt;
  const rateOf = (p: number): number => {
    const pop = pops[p]!;
    if (pop.model.name === 'spike_source_poisson') {
      const r = pop.params.rate!;
      return typeof r === 'number' ? r : Math.max(...r);
    }
    if (pop.model.name === 'spike_source_array') {
      const dur = Math.max(ir.run.duration, dt) / 1000;
      return Math.max(0, ...(pop.ir.spikeTimes ?? []).map((t) => t.length / dur));
    }
    return DEFAULT_SPIKES_PER_SECOND;
  };
  const shifts = pops.map(() => [0, 0]);
  const expectedMax = pops.map(() => [0, 0]);
  pops.forEach((_, q) => {
    if (!isNeuron[q]) return;
    for (let s = 0; s < RECEPTORS.length; s++) {
      const incoming = projections.map((pr, j) => ({ pr, j })).filter(({ pr }) => pr.post === labels[q] && pr.receptor === RECEPTORS[s]);
      if (incoming.length === 0) continue;
      let total = 0;
      let biggest = 0;
      let lambdaMean = 0;
      let lambdaSecond = 0;
      const delays = new Set<number>();
      for (const { pr, j } of incoming) {
        const n = pr.targets.length;
        if (n === 0) continue;
        const indeg = new Uint32Array(pops[q]!.ir.size);
        let sum = 0;
        let sum2 = 0;
        let wmax = 0;
        for (let k = 0; k < n; k++) {
          indeg[pr.targets[k]!]!++;
          const w = Math.abs(valueAt(pr.weight, k)) * globalScale[q]!;
          sum += w;
          sum2 += w * w;
          if (w > wmax) wmax = w;
          delays.add(ticksOf[j]![k]!);
        }
        const nConns = Math.max(...indeg);
        const rate = rateOf(popIndex.get(pr.pre)!);
        const mean = sum / n;
        const spikesPerTick = Math.max(1, rate / ticksPerSecond);
        total += spikesPerTick * wmax * nConns;
        biggest = Math.max(biggest, wmax);
        const lambda = (nConns * rate) / ticksPerSecond;
        lambdaMean += lambda * mean;
        lambdaSecond += lambda * (sum2 / n);
      }
      let W: number;
      if (delays.size <= 1) W = Math.max(total, biggest);
      else W = Math.max(Math.min(lambdaMean + RING_BUFFER_SIGMA * Math.sqrt(lambdaSecond), total), biggest);
      let shift = W <= 1 ? 0 : Math.ceil(Math.log2(W));
      if (W > 1 && 2 ** shift <= W) shift++;
      shifts[q]![s] = Math.min(15, Math.max(0, shift));
      expectedMax[q]![s] = W;
    }
    // a fixed-point model's own shifts, when it gives them
    for (let s = 0; s < RECEPTORS.length; s++) {
      const given = pops[q]!.params[SHIFT_PARAMS[s]!];
      if (given === undefined) continue;
      const values = typeof given === 'number' ? [given] : Array.from(given);
      if (values.every((v) => v === values[0]) && values[0]! >= 0) shifts[q]![s] = values[0]!;
    }
  });
  const weightScale = (q: number, s: number): number => 2 ** (15 - shifts[q]![s]!) * globalScale[q]!;

  // Synapses → matrices, per (projection, source core, post core); report.
  const arrays: Record<string, Uint32Array | Float64Array> = {};
  const reports: ProjectionReport[] = [];
  const netProjections: NetlistProjection[] = [];
  interface MatrixBuild {
    proj: number;
    source: number;
    post: number;
    delayed: boolean;
    nRows: number;
    rows: Syn[][];
  }
  const matrices = new Map<string, MatrixBuild>();
  const rowProblems: string[] = [];
  projections.forEach((pr, j) => {
    const p = popIndex.get(pr.pre)!;
    const q = popIndex.get(pr.post)!;
    const s = RECEPTORS.indexOf(pr.receptor as (typeof RECEPTORS)[number]);
    const scale = weightScale(q, s);
    const ticks = ticksOf[j]!;
    const rep: ProjectionReport = {
      projection: pr.label, pre: pr.pre, post: pr.post, receptor: pr.receptor, typeIndex: s, synapses: pr.targets.length,
      shift: shifts[q]![s]!, weightScale: scale, clipped: 0, zeroed: 0, maxRelativeWeightError: 0, maxAbsoluteWeightError: 0,
      delaysRounded: 0, maxDelayRoundingMs: 0, delayTicks: [Infinity, 0], viaDelayExtension: 0,
    };
    const conn = new Float64Array(pr.targets.length * 4);
    for (let i = 0; i < pops[p]!.ir.size; i++) {
      const srcCore = coreOfNeuron(p, i);
      for (let k = pr.rowPtr[i]!; k < pr.rowPtr[i + 1]!; k++) {
        const target = pr.targets[k]!;
        const w = valueAt(pr.weight, k);
        let w16 = rint(Math.abs(w) * scale);
        if (w16 > 0xffff) {
          w16 = 0xffff;
          rep.clipped++;
        }
        if (w16 === 0 && w !== 0) rep.zeroed++;
        const decoded = w16 / scale;
        const err = Math.abs(decoded - Math.abs(w));
        rep.maxAbsoluteWeightError = Math.max(rep.maxAbsoluteWeightError, err);
        if (w !== 0) rep.maxRelativeWeightError = Math.max(rep.maxRelativeWeightError, err / Math.abs(w));
        const t = ticks[k]!;
        const dms = valueAt(pr.delay, k);
        const dErr = Math.abs(t * dt - dms);
        if (dErr > 1e-9 * Math.max(1, dms)) {
          rep.delaysRounded++;
          rep.maxDelayRoundingMs = Math.max(rep.maxDelayRoundingMs, dErr);
        }
        rep.delayTicks[0] = Math.min(rep.delayTicks[0], t);
        rep.delayTicks[1] = Math.max(rep.delayTicks[1], t);
        conn.set([i, target, w, t], k * 4);
        const stage = stageOf(p, q, t);
        const postCore = coreOfNeuron(q, target);
        const src = cores[srcCore]!;
        const n = src.hi - src.lo + 1;
        const local = i - src.lo;
        let source = srcCore;
        let row = local;
        let residual = t;
        if (stage > 0) {
          rep.viaDelayExtension++;
          source = vertices[delayVertex[p]!]!.cores[src.machineIndex]!;
          row = (stage - 1) * n + local;
          residual = t - stage * dps[p]!;
        }
        const mk = `${j}/${source}/${postCore}`;
        let m = matrices.get(mk);
        if (!m) {
          const nRows = stage > 0 ? stages[p]! * n : n;
          matrices.set(mk, (m = { proj: j, source, post: postCore, delayed: stage > 0, nRows, rows: Array.from({ length: nRows }, () => []) }));
        }
        m.rows[row]!.push({ pre: i, post: target - cores[postCore]!.lo, w16, ticks: residual });
      }
    }
    if (rep.delayTicks[0] === Infinity) rep.delayTicks[0] = 0;
    reports.push(rep);
    const key = `connections/${pr.label}`;
    arrays[key] = conn;
    netProjections.push({
      id: pr.label, pre: pr.pre, post: pr.post, receptor: pr.receptor, typeIndex: s, synapse: 'static',
      ...(pr.connector ? { connector: pr.connector.rule } : {}), synapses: pr.targets.length, connections: { file: SIDE_FILE, key },
    });
  });

  // Matrices per post core: layout, words, master population table.
  const perPost = new Map<number, MatrixBuild[]>();
  for (const m of matrices.values()) {
    let l = perPost.get(m.post);
    if (!l) perPost.set(m.post, (l = []));
    l.push(m);
  }
  const coreOut: NetlistCore[] = cores.map((c, idx) => ({
    id: c.id, index: idx, vertex: vertices[c.vertex]!.label, kind: c.kind, slice: [c.lo, c.hi], placement: placements[idx]!,
    key: hex(keyOf[idx]!), mask: hex(mask), nKeys: c.nKeys, sends: false,
    keyRule: c.kind === 'delay_extension'
      ? `key + (((stage − 1) · ${c.hi - c.lo + 1} + localIndex) << ${N_COLOUR_BITS}) | (tick & ${2 ** N_COLOUR_BITS - 1}), stage 1..${stages[c.pop]}`
      : `key + (localIndex << ${N_COLOUR_BITS}) | (tick & ${2 ** N_COLOUR_BITS - 1})`,
    sdramBytes: 0,
  }));
  const targetsOf = cores.map(() => new Set<number>());
  let matrixCount = 0;
  for (const [postCore, list] of perPost) {
    const q = cores[postCore]!.pop;
    const nb = N[q]!;
    const db = D[q]!;
    const out = coreOut[postCore]!;
    list.sort((a, b) => keyOf[a.source]! - keyOf[b.source]! || a.proj - b.proj);
    let offset = 0;
    out.synapticMatrices = [];
    out.addressList = [];
    out.masterPopTable = [];
    for (const m of list) {
      targetsOf[m.source]!.add(postCore);
      const pr = projections[m.proj]!;
      const s = RECEPTORS.indexOf(pr.receptor as (typeof RECEPTORS)[number]);
      const rowLength = Math.max(1, ...m.rows.map((r) => r.length));
      const id = `m${matrixCount++}`;
      if (rowLength > MAX_ROW_LENGTH) rowProblems.push(`projection "${pr.label}": ${rowLength} synapses from one neuron of ${cores[m.source]!.id} onto ${cores[postCore]!.id}, above the ${MAX_ROW_LENGTH}-word row maximum`);
      const stride = ROW_HEADER_WORDS + rowLength;
      const words = new Uint32Array(m.nRows * stride);
      let count = 0;
      m.rows.forEach((row, r) => {
        const base = r * stride;
        words[base] = 0;
        words[base + 1] = row.length;
        words[base + 2] = 0;
        row.forEach((syn, k) => {
          const delayField = syn.ticks & (2 ** db - 1);
          words[base + ROW_HEADER_WORDS + k] = ((syn.w16 << 16) | (delayField << (nb + T)) | (s << nb) | syn.post) >>> 0;
          count++;
        });
      });
      const bytes = words.length * 4;
      const key = `matrices/${id}`;
      arrays[key] = words;
      const address = offset / 16;
      offset += Math.ceil(bytes / 16) * 16;
      out.synapticMatrices.push({ id, projection: pr.label, sourceCore: cores[m.source]!.id, delayed: m.delayed, nRows: m.nRows, rowLengthWords: rowLength, synapses: count, address, bytes, words: { file: SIDE_FILE, key } });
      const start = out.addressList.length;
      out.addressList.push({ address, rowLengthMinusOne: rowLength - 1, matrix: id });
      const last = out.masterPopTable[out.masterPopTable.length - 1];
      const src = cores[m.source]!;
      if (last && last.source === src.id) {
        last.count++;
        last.blocks.push(id);
      } else {
        out.masterPopTable.push({
          key: hex(keyOf[m.source]!), mask: hex(mask), coreMask: hex(0), maskShift: 0, nColourBits: N_COLOUR_BITS,
          nNeuronsPerSourceCore: src.hi - src.lo + 1, source: src.id, start, count: 1, blocks: [id],
        });
      }
    }
    if (out.addressList.length > POP_TABLE_MAX_START) rowProblems.push(`core ${out.id}: ${out.addressList.length} address-list entries, above ${POP_TABLE_MAX_START}`);
    out.sdramBytes = offset;
    out.ringBuffer = { entries: 2 ** (db + T + nb), bytes: 2 * 2 ** (db + T + nb) };
  }
  for (const [i, c] of cores.entries()) {
    if (isNeuron[c.pop] && c.kind === 'neuron' && !coreOut[i]!.ringBuffer) {
      const e = 2 ** (D[c.pop]! + T + N[c.pop]!);
      coreOut[i]!.ringBuffer = { entries: e, bytes: 2 * e };
    }
  }
  if (rowProblems.length > 0) throw new UnsupportedError(`network "${ir.name}" does not fit sPyNNaker's synaptic matrices:\n  - ${rowProblems.join('\n  - ')}`, { object: 'nematode export', parameter: 'neurons-per-core' });

  // SDRAM per chip.
  const sdram = new Map<string, number>();
  coreOut.forEach((c) => sdram.set(`${c.placement.x},${c.placement.y}`, (sdram.get(`${c.placement.x},${c.placement.y}`) ?? 0) + c.sdramBytes));
  for (const [chip, bytes] of sdram) {
    if (bytes > SDRAM_PER_CHIP) throw new MachineCapacityError(`chip (${chip}) needs ${bytes} bytes of synaptic matrices, above its ${SDRAM_PER_CHIP} bytes of SDRAM.`, { object: 'nematode export', parameter: 'board' });
  }

  // Partitions: a neuron/source core sends to the cores holding its undelayed rows and to its
  // delay-extension core; a delay core to the cores holding its delayed rows.
  cores.forEach((c, i) => {
    if (c.kind !== 'delay_extension' && delayVertex[c.pop]! >= 0) targetsOf[i]!.add(vertices[delayVertex[c.pop]!]!.cores[c.machineIndex]!);
  });
  const partitions: Partition[] = [];
  cores.forEach((_, i) => {
    const t = [...targetsOf[i]!].sort((a, b) => a - b);
    if (t.length > 0) partitions.push({ source: i, key: keyOf[i]!, mask, targets: t });
  });
  for (const c of coreOut) c.sends = false;
  for (const p of partitions) coreOut[p.source]!.sends = true;
  const tables: ChipTable[] = buildTables(board, placements, partitions);
  const over = tables.filter((t) => t.entries.length > ROUTER_ENTRIES);
  if (over.length > 0) {
    throw new MachineCapacityError(`routing tables above ${ROUTER_ENTRIES} entries after compression: ${over.map((t) => `(${t.x}, ${t.y}) ${t.entries.length}`).join(', ')}.`, { object: 'nematode export', parameter: 'board' });
  }

  const netPops: NetlistPopulation[] = pops.map((p, i) => {
    const params: Record<string, number | number[]> = {};
    for (const [k, v] of Object.entries(p.params)) if (!SHIFT_PARAMS.includes(k)) params[k] = compact(v, p.ir.size);
    const initial: Record<string, number | number[]> = {};
    for (const [k, v] of Object.entries(p.ir.initial ?? {})) initial[k] = compact(v, p.ir.size);
    const out: NetlistPopulation = {
      id: p.ir.label, model: PYNN_MODELS[p.model.name] ?? 'Izhikevich', nematodeModel: p.model.name, size: p.ir.size, params, initial,
      receptors: isNeuron[i] ? [...RECEPTORS] : [], globalWeightScale: globalScale[i]!, maxAtomsPerCore: atoms[i]!,
      cores: vertices[i]!.cores.map((c) => cores[c]!.id),
    };
    if (isNeuron[i]) {
      out.ringBufferShifts = shifts[i]!;
      out.weightScales = [0, 1].map((s) => weightScale(i, s));
      out.expectedMaxPerTick = expectedMax[i]!;
      out.synapticWord = { indexBits: N[i]!, typeBits: T, delayBits: D[i]! };
      out.maxOnCoreDelayTicks = onCoreMax[i]!;
    }
    if (p.model.name === 'izhikevich') out.approximation = 'exponential current synapses on SpiNNaker (voltage jumps in nematode)';
    if (p.ir.spikeTimes) {
      const key = `spikeTimes/${p.ir.label}`;
      const flat: number[] = [];
      for (const t of p.ir.spikeTimes) flat.push(t.length);
      for (const t of p.ir.spikeTimes) flat.push(...t);
      arrays[key] = Float64Array.from(flat);
      out.spikeTimes = { file: SIDE_FILE, key };
    }
    return out;
  });

  const netlist: SpinnakerNetlist = {
    format: NETLIST_FORMAT,
    formatVersion: NETLIST_FORMAT_VERSION,
    name: ir.name,
    producer: `nematode ${VERSION}`,
    sideFile: SIDE_FILE,
    simulation: {
      timestepMs: dt, durationMs: ir.run.duration, timeScaleFactor: Math.max(1, Math.ceil(1 / dt - 1e-9)), nColourBits: N_COLOUR_BITS,
      numberFormats: { real: 's16.15', decay: 'u0.32', weightBits: 16 }, ringBufferSigma: RING_BUFFER_SIGMA, spikesPerSecond: DEFAULT_SPIKES_PER_SECOND,
    },
    machine: {
      board: boardName, chips: board.chips.map((c) => ({ x: c.x, y: c.y, appCores: c.appCores.length })), coresPerChip: 18,
      routerEntries: ROUTER_ENTRIES, sdramPerChipBytes: SDRAM_PER_CHIP,
    },
    keyZones: { ...zones, colourBits: N_COLOUR_BITS },
    populations: netPops,
    delayExtensions: pops.flatMap((p, i) => (delayVertex[i]! < 0 ? [] : [{
      id: `${p.ir.label}.delay`, source: p.ir.label, delayPerStage: dps[i]!, stages: stages[i]!, cores: vertices[delayVertex[i]!]!.cores.map((c) => cores[c]!.id),
    }])),
    projections: netProjections,
    cores: coreOut,
    routing: {
      partitions: partitions.map((p) => ({ source: cores[p.source]!.id, key: hex(p.key), mask: hex(p.mask), targets: p.targets.map((t) => cores[t]!.id) })),
      tables: tables.map((t) => ({
        x: t.x, y: t.y, entriesBeforeCompression: t.uncompressed.length, defaultRouted: t.defaultRouted.length, nEntries: t.entries.length,
        entries: t.entries.map((e) => ({ key: hex(e.key), mask: hex(e.mask), route: hex(e.route), ...decodeRoute(e.route) })),
      })),
    },
    notCarried,
  };
  return { netlist, arrays, report: { board: boardName, approximations, projections: reports } };
}

/** The report as lines for the terminal. */
export function formatReport(b: BuiltNetlist): string {
  const n = b.netlist;
  const lines: string[] = [];
  const chipsUsed = new Set(n.cores.map((c) => `${c.placement.x},${c.placement.y}`)).size;
  const maxEntries = Math.max(0, ...n.routing.tables.map((t) => t.nEntries));
  const before = n.routing.tables.reduce((a, t) => a + t.entriesBeforeCompression, 0);
  const after = n.routing.tables.reduce((a, t) => a + t.nEntries, 0);
  lines.push(`machine: ${n.cores.length} cores on ${chipsUsed} of ${n.machine.chips.length} chips (${n.machine.board}); ${n.delayExtensions.reduce((a, d) => a + d.cores.length, 0)} delay-extension cores`);
  lines.push(`routing: ${n.routing.tables.length} tables, ${before} entries → ${after} after compression; largest ${maxEntries} of ${ROUTER_ENTRIES}`);
  lines.push('quantisation (per projection: shift, weight scale, clipped, zeroed, largest relative weight error, delays rounded, via delay extension):');
  for (const r of b.report.projections) {
    lines.push(`  ${r.projection} (${r.pre}→${r.post}, ${r.receptor}): shift ${r.shift}, scale ${r.weightScale}, clipped ${r.clipped}, zeroed ${r.zeroed}, rel. error ${r.maxRelativeWeightError.toExponential(2)}, delays rounded ${r.delaysRounded} (max ${r.maxDelayRoundingMs.toPrecision(3)} ms), ticks ${r.delayTicks[0]}..${r.delayTicks[1]}, via delay extension ${r.viaDelayExtension}`);
  }
  for (const a of b.report.approximations) lines.push(`approximated: ${a}`);
  for (const a of n.notCarried) lines.push(`not carried: ${a}`);
  return lines.join('\n');
}
