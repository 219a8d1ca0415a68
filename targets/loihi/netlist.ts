/**
 * The Loihi netlist (`netlist.json`, format "nematode-loihi-netlist"): a `loihi_lif`
 * network as Lava's integers, for the generated Lava script (script.ts) and for anyone
 * else who builds the network in Lava. Plain JSON, so that Python reads it with the
 * standard library and a person can read it too.
 *
 *   format, formatVersion, name, producer, dt (ms; the time axis only), steps, seed
 *   populations: in the network's order, each
 *     { label, kind: "lif", size, du, dv, vth, bias_mant, bias_exp, u, v }
 *         Lava LIF arguments; du, dv, vth one per population (Lava has one), the others
 *         one number for all neurons or a list with one per neuron; u and v raw 24-bit
 *     { label, kind: "input", size, source, copies, neuron: [...], column: [...] }
 *         a RingBuffer raster as (neuron, column) pairs, one per spike: column c is sent
 *         in Lava step c + 1; a pair repeats when the neuron fires several times in one
 *         step, and `copies` (the most it repeats) is the number of RingBuffer rows per
 *         neuron, since a Lava spike is one bit: copy m (row m·size + neuron) fires on
 *         the (m + 1)-th spike, and the neuron's synapses are repeated for every copy;
 *         `source` is the nematode model the raster was made from
 *   projections: each
 *     { label, pre, post, process: "Sparse" | "DelaySparse", sign_mode, weight_exp,
 *       num_weight_bits, max_delay, pre_index: [...], post_index: [...], weight: [...],
 *       delay: [...] }
 *         COO synapses: weight[k] from neuron pre_index[k] of `pre` to post_index[k] of
 *         `post`, Lava's effective integer weights (already on the grid of the sign
 *         mode and num_weight_bits), delay[k] the DelaySparse delay d (0..62: a spike of
 *         step t arrives at t + 1 + d); the weight matrix is (post size, pre size)
 *
 * Building the netlist is where the exporter's checks live: anything Lava's LIF and
 * Sparse/DelaySparse cannot express is refused with one UnsupportedError that lists every
 * problem. The netlist also reads back into an IR (`netlistToIR`) that runs on the clock
 * engine with exactly the spikes of the network it came from.
 */
import { FileFormatError, UnsupportedError, ValidationError } from '../../src/errors.js';
import type { NetworkIR, PerElement, PopulationIR, ProjectionIR } from '../../src/ir/types.js';
import { IR_VERSION } from '../../src/ir/types.js';
import { validateNetwork, valueAt, type ResolvedPopulation } from '../../src/ir/validate.js';
import * as L from '../../src/loihi/arithmetic.js';
import { VERSION } from '../../src/version.js';
import { sourceRaster } from './raster.js';

export const NETLIST_FORMAT = 'nematode-loihi-netlist' as const;
export const NETLIST_FORMAT_VERSION = 1 as const;
export const NETLIST_FILE = 'netlist.json';

/** Neurons per Loihi 2 core and usable cores per chip (spec §6). */
export const NEURONS_PER_CORE = 8192;
export const CORES_PER_CHIP = 120;

export type PerNeuron = number | number[];

export interface NetlistLif {
  label: string;
  kind: 'lif';
  size: number;
  du: number;
  dv: number;
  vth: number;
  bias_mant: PerNeuron;
  bias_exp: PerNeuron;
  u: PerNeuron;
  v: PerNeuron;
}

export interface NetlistInput {
  label: string;
  kind: 'input';
  size: number;
  /** The nematode model the raster was made from. */
  source: 'spike_source_array' | 'spike_source_poisson';
  /** RingBuffer rows per neuron: the most spikes one neuron fires in one step (a Lava spike is one bit). */
  copies: number;
  /** Spike k: neuron[k] in column[k]; a pair repeats once per spike of that neuron in that step. */
  neuron: number[];
  column: number[];
}

export type NetlistPopulation = NetlistLif | NetlistInput;

export interface NetlistProjection {
  label: string;
  pre: string;
  post: string;
  process: 'Sparse' | 'DelaySparse';
  sign_mode: L.SignMode;
  weight_exp: number;
  num_weight_bits: number;
  max_delay: number;
  pre_index: number[];
  post_index: number[];
  weight: number[];
  delay: number[];
}

export interface LoihiNetlist {
  format: typeof NETLIST_FORMAT;
  formatVersion: number;
  name: string;
  producer: string;
  /** ms per step; sets the time axis only. */
  dt: number;
  steps: number;
  seed: number;
  populations: NetlistPopulation[];
  projections: NetlistProjection[];
}

const SOURCE_MODELS = ['spike_source_array', 'spike_source_poisson'] as const;

/** Whether a (resolved) model name is one the exporter takes as it is. */
export function isLoihiNative(model: string): boolean {
  return model === 'loihi_lif' || (SOURCE_MODELS as readonly string[]).includes(model);
}

/** One number when all are equal (or the value is one already), else a plain list. */
function compact(x: PerElement, size: number): PerNeuron {
  if (typeof x === 'number') return x;
  const first = x[0]!;
  for (let i = 1; i < size; i++) if (x[i] !== first) return Array.from(x);
  return first;
}

export interface BuildOptions {
  /** Steps to export (default round(duration / dt)). */
  steps?: number;
}

/**
 * The netlist of a `loihi_lif` network (with spike_source_array / spike_source_poisson
 * inputs). Validates the IR first (typed errors), then refuses, in one
 * UnsupportedError listing all of them, what Lava cannot run as exported; `notes` are
 * lines for the user (rasters made from Poisson sources, copies, spikes after the run).
 */
export function buildNetlist(ir: NetworkIR, options: BuildOptions = {}): { netlist: LoihiNetlist; notes: string[] } {
  const net = validateNetwork(ir);
  const { dt, duration, seed } = ir.run;
  const steps = options.steps ?? Math.round(duration / dt);
  if (!Number.isSafeInteger(steps) || steps < 1) {
    throw new ValidationError(`network "${ir.name}": ${steps} steps cannot be exported; the run must have at least one step of dt (${dt} ms).`, {
      object: `network "${ir.name}"`,
      parameter: 'steps',
      expected: 'a whole number ≥ 1',
    });
  }
  const problems: string[] = [];
  const notes: string[] = [];
  const populations: NetlistPopulation[] = [];
  for (const pop of net.populations) {
    const name = pop.model.name;
    if (name === 'loihi_lif') {
      const lif = lifPopulation(pop, problems);
      if (lif) populations.push(lif);
    } else if ((SOURCE_MODELS as readonly string[]).includes(name)) {
      const r = sourceRaster(pop, dt, steps, seed);
      if (name === 'spike_source_poisson') {
        notes.push(`population "${pop.label}": Poisson trains fixed as an input raster of ${r.neuron.length} spikes, drawn with seed ${seed} exactly as the clock engine draws them.`);
      }
      if (r.copies > 1) {
        notes.push(`population "${pop.label}": up to ${r.copies} spikes of one neuron in one step; a Lava spike is one bit, so its RingBuffer gets ${r.copies} rows per neuron, each with the neuron's synapses.`);
      }
      if (r.beyond > 0) notes.push(`population "${pop.label}": ${r.beyond} spike time${r.beyond === 1 ? '' : 's'} after the ${steps} exported steps left out.`);
      populations.push({ label: pop.label, kind: 'input', size: pop.size, source: name as NetlistInput['source'], copies: r.copies, neuron: r.neuron, column: r.column });
    } else {
      problems.push(`population "${pop.label}" is ${name}, not loihi_lif or a spike source (quantise the network for Loihi first)`);
    }
  }
  const projections: NetlistProjection[] = [];
  for (const proj of ir.projections) {
    const c = coo(proj, net.byLabel.get(proj.pre)!, net.byLabel.get(proj.post)!, dt, problems);
    if (c) projections.push(c);
  }
  if (problems.length > 0) {
    throw new UnsupportedError(`network "${ir.name}" cannot be exported to Loihi (Lava) as it is:\n  - ${problems.join('\n  - ')}`, {
      object: `network "${ir.name}"`,
      fix: problems.length === 1 ? undefined : 'fix each item listed',
    });
  }
  return {
    netlist: { format: NETLIST_FORMAT, formatVersion: NETLIST_FORMAT_VERSION, name: ir.name, producer: `nematode ${VERSION}`, dt, steps, seed, populations, projections },
    notes,
  };
}

/**
 * A one-line Loihi 2 core mapping: each LIF population on whole cores of ≤ 8192 neurons,
 * 120 cores per chip (§6). (A quantised network gets the quantiser's fuller mapping, with
 * its synapse-memory estimate, in its report instead.)
 */
export function coreMapping(populations: NetlistPopulation[]): string {
  let cores = 0;
  let neurons = 0;
  for (const p of populations) {
    if (p.kind !== 'lif') continue;
    cores += Math.ceil(p.size / NEURONS_PER_CORE);
    neurons += p.size;
  }
  const chips = Math.ceil(cores / CORES_PER_CHIP);
  return `Loihi 2 mapping: ${neurons} LIF neurons on ${cores} core${cores === 1 ? '' : 's'} (≤ ${NEURONS_PER_CORE} neurons per core, one population per core), ${chips} chip${chips === 1 ? '' : 's'} (${CORES_PER_CHIP} cores each); synapse memory per core is not checked.`;
}

function lifPopulation(pop: ResolvedPopulation, problems: string[]): NetlistLif | undefined {
  const shared: Record<'du' | 'dv' | 'vth', number> = { du: 0, dv: 0, vth: 0 };
  let ok = true;
  for (const k of ['du', 'dv', 'vth'] as const) {
    const v = compact(pop.params[k]!, pop.size);
    if (typeof v !== 'number') {
      problems.push(`population "${pop.label}": ${k} differs between neurons (${Math.min(...v)}..${Math.max(...v)}), but Lava's LIF has one ${k} per population (split the population)`);
      ok = false;
    } else shared[k] = v;
  }
  if (!ok) return undefined;
  return {
    label: pop.label,
    kind: 'lif',
    size: pop.size,
    ...shared,
    bias_mant: compact(pop.params.bias_mant!, pop.size),
    bias_exp: compact(pop.params.bias_exp!, pop.size),
    u: compact(pop.initial.u!, pop.size),
    v: compact(pop.initial.v!, pop.size),
  };
}

/** A projection as COO with Lava delays d (validation has checked weights and delays). */
function coo(proj: ProjectionIR, pre: ResolvedPopulation, post: ResolvedPopulation, dt: number, problems: string[]): NetlistProjection | undefined {
  const t = proj.transmission ?? 'spike';
  if (t !== 'spike') {
    problems.push(`projection "${proj.label}": ${t === 'gap' ? 'gap junctions' : 'graded synapses'} have no Lava LIF equivalent`);
    return undefined;
  }
  if (post.model.name !== 'loihi_lif') return undefined; // reported with the population
  if (!isLoihiNative(pre.model.name)) return undefined; // reported with the population
  const n = proj.targets.length;
  const preIndex = new Array<number>(n);
  const postIndex = new Array<number>(n);
  const weight = new Array<number>(n);
  const delay = new Array<number>(n);
  let maxDelay = 0;
  for (let i = 0; i < pre.size; i++) {
    for (let s = proj.rowPtr[i]!; s < proj.rowPtr[i + 1]!; s++) {
      preIndex[s] = i;
      postIndex[s] = proj.targets[s]!;
      weight[s] = valueAt(proj.weight, s) + 0;
      const d = Math.round(valueAt(proj.delay, s) / dt) - 1;
      delay[s] = d;
      if (d > maxDelay) maxDelay = d;
    }
  }
  return {
    label: proj.label,
    pre: proj.pre,
    post: proj.post,
    process: maxDelay > 0 ? 'DelaySparse' : 'Sparse',
    sign_mode: proj.receptor as L.SignMode,
    weight_exp: proj.loihi?.weightExp ?? 0,
    num_weight_bits: proj.loihi?.numWeightBits ?? L.WEIGHT_BITS,
    max_delay: maxDelay,
    pre_index: preIndex,
    post_index: postIndex,
    weight,
    delay,
  };
}

// ---------------------------------------------------------------- text

/**
 * The netlist as JSON text: objects indented, lists of numbers on one line, so that the
 * file reads like a table and stays small.
 */
export function encodeNetlist(netlist: LoihiNetlist): string {
  return pretty(netlist, '') + '\n';
}

function pretty(x: unknown, indent: string): string {
  if (Array.isArray(x)) {
    if (x.every((e) => typeof e !== 'object' || e === null)) return JSON.stringify(x);
    const inner = indent + '  ';
    return `[\n${x.map((e) => inner + pretty(e, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof x === 'object' && x !== null) {
    const inner = indent + '  ';
    const entries = Object.entries(x).filter(([, v]) => v !== undefined);
    // Small objects of plain values (a population's parameters) stay on one line.
    if (entries.every(([, v]) => typeof v !== 'object' || v === null) && entries.length <= 12) return JSON.stringify(x);
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(x);
}

/** Parses and checks netlist text (structure, lengths, index and register ranges); `source` names it in errors. */
export function parseNetlist(text: string, source = 'netlist'): LoihiNetlist {
  const ctx = { object: source, expected: `a Loihi netlist (format "${NETLIST_FORMAT}", formatVersion ≤ ${NETLIST_FORMAT_VERSION})` };
  const bad = (what: string) => new FileFormatError(`${source}: ${what}`, ctx);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(`${source}: not valid JSON (truncated or corrupt?): ${(e as Error).message}`, ctx);
  }
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(data)) throw bad('the top level must be an object');
  if (data.format !== NETLIST_FORMAT) throw bad(`not a Loihi netlist (format ${JSON.stringify(data.format)})`);
  const version = data.formatVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw bad(`invalid format version ${JSON.stringify(version)}`);
  if (version > NETLIST_FORMAT_VERSION) {
    throw new FileFormatError(`${source}: netlist format version ${version} is newer than this nematode (reads ${NETLIST_FORMAT_VERSION})`, { ...ctx, fix: 'upgrade nematode to read this file' });
  }
  const int = (x: unknown, lo: number, hi: number, what: string): number => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < lo || x > hi) throw bad(`${what} = ${JSON.stringify(x)} is not an integer in ${lo}..${hi}`);
    return x;
  };
  const ints = (x: unknown, lo: number, hi: number, what: string, length?: number): number[] => {
    if (!Array.isArray(x)) throw bad(`${what} must be a list`);
    if (length !== undefined && x.length !== length) throw bad(`${what} has ${x.length} entries, expected ${length}`);
    x.forEach((e, k) => int(e, lo, hi, `${what}[${k}]`));
    return x as number[];
  };
  const perNeuron = (x: unknown, lo: number, hi: number, size: number, what: string): PerNeuron => (Array.isArray(x) ? ints(x, lo, hi, what, size) : int(x, lo, hi, what));
  if (typeof data.name !== 'string') throw bad('"name" must be a string');
  if (typeof data.dt !== 'number' || !(data.dt > 0) || !Number.isFinite(data.dt)) throw bad('"dt" must be a positive number of ms');
  const steps = int(data.steps, 1, Number.MAX_SAFE_INTEGER, 'steps');
  const seed = int(data.seed, -(2 ** 53) + 1, 2 ** 53 - 1, 'seed');
  if (!Array.isArray(data.populations) || !Array.isArray(data.projections)) throw bad('"populations" and "projections" must be lists');
  const sizes = new Map<string, { size: number; kind: string }>();
  const populations = data.populations.map((p: unknown, i): NetlistPopulation => {
    if (!isObj(p) || typeof p.label !== 'string') throw bad(`population ${i} must be an object with a string label`);
    const what = `population "${p.label}"`;
    if (sizes.has(p.label)) throw bad(`${what} appears twice`);
    const size = int(p.size, 1, 2 ** 31, `${what}: size`);
    if (p.kind === 'lif') {
      sizes.set(p.label, { size, kind: 'lif' });
      return {
        label: p.label,
        kind: 'lif',
        size,
        du: int(p.du, ...L.DU_RANGE, `${what}: du`),
        dv: int(p.dv, ...L.DV_RANGE, `${what}: dv`),
        vth: int(p.vth, ...L.VTH_RANGE, `${what}: vth`),
        bias_mant: perNeuron(p.bias_mant, ...L.BIAS_MANT_RANGE, size, `${what}: bias_mant`),
        bias_exp: perNeuron(p.bias_exp, ...L.BIAS_EXP_RANGE, size, `${what}: bias_exp`),
        u: perNeuron(p.u, ...L.U_RANGE, size, `${what}: u`),
        v: perNeuron(p.v, ...L.V_RANGE, size, `${what}: v`),
      };
    }
    if (p.kind === 'input') {
      sizes.set(p.label, { size, kind: 'input' });
      if (p.source !== 'spike_source_array' && p.source !== 'spike_source_poisson') throw bad(`${what}: unknown source ${JSON.stringify(p.source)}`);
      const neuron = ints(p.neuron, 0, size - 1, `${what}: neuron`);
      const column = ints(p.column, 0, steps - 1, `${what}: column`, neuron.length);
      const copies = int(p.copies, 1, 2 ** 16, `${what}: copies`);
      const seen = new Map<number, number>();
      for (let k = 0; k < neuron.length; k++) {
        const key = column[k]! * size + neuron[k]!;
        const count = (seen.get(key) ?? 0) + 1;
        if (count > copies) throw bad(`${what}: neuron ${neuron[k]} spikes ${count} times in column ${column[k]}, more than its ${copies} copies`);
        seen.set(key, count);
      }
      return { label: p.label, kind: 'input', size, source: p.source, copies, neuron, column };
    }
    throw bad(`${what}: kind must be "lif" or "input", got ${JSON.stringify(p.kind)}`);
  });
  const projections = data.projections.map((c: unknown, i): NetlistProjection => {
    if (!isObj(c) || typeof c.label !== 'string') throw bad(`projection ${i} must be an object with a string label`);
    const what = `projection "${c.label}"`;
    const pre = sizes.get(String(c.pre));
    const post = sizes.get(String(c.post));
    if (!pre || !post) throw bad(`${what}: pre ${JSON.stringify(c.pre)} or post ${JSON.stringify(c.post)} is not a population`);
    if (post.kind !== 'lif') throw bad(`${what}: post "${c.post}" is not a LIF population`);
    if (c.process !== 'Sparse' && c.process !== 'DelaySparse') throw bad(`${what}: process must be "Sparse" or "DelaySparse"`);
    if (!L.SIGN_MODES.includes(c.sign_mode as L.SignMode)) throw bad(`${what}: sign_mode must be one of ${L.SIGN_MODES.join(', ')}`);
    const preIndex = ints(c.pre_index, 0, pre.size - 1, `${what}: pre_index`);
    const n = preIndex.length;
    const postIndex = ints(c.post_index, 0, post.size - 1, `${what}: post_index`, n);
    const weight = ints(c.weight, -256, 255, `${what}: weight`, n);
    const delay = ints(c.delay, 0, L.MAX_DELAY, `${what}: delay`, n);
    const maxDelay = int(c.max_delay, 0, L.MAX_DELAY, `${what}: max_delay`);
    if (maxDelay !== delay.reduce((m, d) => Math.max(m, d), 0)) throw bad(`${what}: max_delay ${maxDelay} is not the largest delay`);
    if ((c.process === 'DelaySparse') !== maxDelay > 0) throw bad(`${what}: process ${c.process} does not match its delays (DelaySparse exactly when a delay is > 0)`);
    return {
      label: c.label,
      pre: String(c.pre),
      post: String(c.post),
      process: c.process,
      sign_mode: c.sign_mode as L.SignMode,
      weight_exp: int(c.weight_exp, ...L.WEIGHT_EXP_RANGE, `${what}: weight_exp`),
      num_weight_bits: int(c.num_weight_bits, 1, L.WEIGHT_BITS, `${what}: num_weight_bits`),
      max_delay: maxDelay,
      pre_index: preIndex,
      post_index: postIndex,
      weight,
      delay,
    };
  });
  return {
    format: NETLIST_FORMAT,
    formatVersion: version,
    name: data.name,
    producer: typeof data.producer === 'string' ? data.producer : 'unknown',
    dt: data.dt,
    steps,
    seed,
    populations,
    projections,
  };
}

// ---------------------------------------------------------------- back into the IR

const perElement = (x: PerNeuron): PerElement => (typeof x === 'number' ? x : Float64Array.from(x));

/**
 * The netlist as a nematode network: `loihi_lif` populations with the netlist's
 * integers, each input raster a spike_source_array (column c → time (c + 1)·dt),
 * each projection with receptor = sign mode, delay (1 + d)·dt and its loihi settings,
 * spikes recorded for every population, run for `steps` steps on the clock engine.
 * Validated (typed errors) before it is returned.
 */
export function netlistToIR(netlist: LoihiNetlist, options: { threads?: number } = {}): NetworkIR {
  const { dt, steps } = netlist;
  const sizes = new Map(netlist.populations.map((p) => [p.label, p.size]));
  const populations = netlist.populations.map((p): PopulationIR => {
    if (p.kind === 'lif') {
      return {
        label: p.label,
        model: 'loihi_lif',
        size: p.size,
        params: { du: p.du, dv: p.dv, vth: p.vth, bias_mant: perElement(p.bias_mant), bias_exp: perElement(p.bias_exp) },
        initial: { u: perElement(p.u), v: perElement(p.v) },
      };
    }
    const times: number[][] = Array.from({ length: p.size }, () => []);
    p.neuron.forEach((j, k) => times[j]!.push(L.rasterColumnTime(p.column[k]!, dt)));
    return {
      label: p.label,
      model: 'spike_source_array',
      size: p.size,
      params: {},
      initial: {},
      spikeTimes: times.map((ts) => Float64Array.from(ts.sort((a, b) => a - b))),
    };
  });
  const projections: ProjectionIR[] = netlist.projections.map((c) => {
    const preSize = sizes.get(c.pre)!;
    // CSR by presynaptic neuron; synapses of one neuron keep their netlist order.
    const order = c.pre_index.map((_, k) => k).sort((a, b) => c.pre_index[a]! - c.pre_index[b]! || a - b);
    const rowPtr = new Uint32Array(preSize + 1);
    for (const j of c.pre_index) rowPtr[j + 1]!++;
    for (let j = 0; j < preSize; j++) rowPtr[j + 1]! += rowPtr[j]!;
    return {
      label: c.label,
      pre: c.pre,
      post: c.post,
      receptor: c.sign_mode,
      rowPtr,
      targets: Uint32Array.from(order, (k) => c.post_index[k]!),
      weight: Float64Array.from(order, (k) => c.weight[k]!),
      delay: Float64Array.from(order, (k) => L.engineDelaySteps(c.delay[k]!) * dt),
      loihi: { weightExp: c.weight_exp, numWeightBits: c.num_weight_bits },
    };
  });
  const ir: NetworkIR = {
    irVersion: IR_VERSION,
    name: netlist.name,
    populations,
    projections,
    stimuli: [],
    recordings: netlist.populations.map((p) => ({ kind: 'spikes' as const, population: p.label })),
    run: { duration: steps * dt, dt, engine: 'clock', seed: netlist.seed, threads: options.threads ?? 1 },
    provenance: { loihiNetlist: { producer: netlist.producer, steps } },
  };
  validateNetwork(ir);
  return ir;
}

/** Counts for messages: populations, neurons, projections, synapses, input spikes. */
export function netlistCounts(n: LoihiNetlist): { populations: number; lif: number; inputs: number; neurons: number; projections: number; synapses: number; inputSpikes: number } {
  let lif = 0;
  let inputs = 0;
  let neurons = 0;
  let inputSpikes = 0;
  for (const p of n.populations) {
    neurons += p.size;
    if (p.kind === 'lif') lif++;
    else {
      inputs++;
      inputSpikes += p.neuron.length;
    }
  }
  const synapses = n.projections.reduce((s, c) => s + c.weight.length, 0);
  return { populations: n.populations.length, lif, inputs, neurons, projections: n.projections.length, synapses, inputSpikes };
}
