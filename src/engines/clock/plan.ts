/**
 * Turns a validated network into the clock engine's plan: every array the step
 * loop touches, laid out as structure-of-arrays in shared memory, plus the
 * generated kernel sources. The plan is plain data that can be posted to worker
 * threads; each worker builds its own kernels from it.
 */
import { SimulationError } from '../../errors.js';
import type { NeuronModel } from '../../models/types.js';
import { resolveTargets, valueAt, type ResolvedNetwork, type ResolvedPopulation } from '../../ir/validate.js';
import type { PerElement, ProjectionIR } from '../../ir/types.js';
import { INTERNAL_UNIT } from '../../units.js';
import { sharedArray, toShared } from '../../util/shared.js';
import type { DelayRounding } from '../types.js';
import { neuronKernelSource, projectionKernelSource, withAdditiveZeros, type NeuronKernelSpec } from './codegen.js';
import { buildEquilibrium, solveEquilibrium, type Equilibrium } from './equilibrium.js';
import { gatherKernelSource, isContinuous, layoutGraded, toGathers, type GradedGather, type GradedLayout } from './graded.js';
import { WasmArena, gatherModuleBytes, type WasmGatherSpec } from './wasm-gather.js';
import { placeKernels, type KernelWasm } from './wasm-place.js';
import { weightToFixed } from '../../spinnaker/fixed.js';
import { ringShifts } from '../../spinnaker/shifts.js';

export interface CurrentEvent {
  step: number;
  indices: Uint32Array;
  delta: number;
}

export interface PoissonStimPlan {
  label: string;
  indices: Uint32Array;
  rate: number;
  start: number;
  stop: number;
  weight: number;
  receptor: string;
}

export interface TimedInputPlan {
  indices: Uint32Array;
  receptor: string;
  /** Emission steps (ascending), the summed weight delivered at each, and how many input spikes that sum holds. */
  steps: Int32Array;
  weights: Float64Array;
  counts: Int32Array;
}

export interface TracePlan {
  variable: string;
  units: string;
  indices: Uint32Array;
  intervalSteps: number;
  nSamples: number;
  data: Float64Array;
}

export interface PopulationPlan {
  label: string;
  size: number;
  kind: 'neuron' | 'poisson' | 'array';
  /** Worker w owns neurons bounds[w] .. bounds[w+1]−1. */
  bounds: number[];
  kernelSource?: string;
  /** State variables flushed to 0 below 1e-200 (see loop.ts). */
  decaysToZero?: string[];
  arrays: Record<string, Float64Array | Int32Array | Uint32Array>;
  /** Ring-buffer slots per receptor with input. */
  ringSlots: Record<string, number>;
  currentEvents: CurrentEvent[];
  poissonStims: PoissonStimPlan[];
  timedInputs: TimedInputPlan[];
  /** Source parameters (Poisson: rate, start, stop; array: spike times). */
  sourceParams?: { rate: PerElement; start: PerElement; stop: PerElement };
  spikeTimes?: Float64Array[];
  /** Capacity of one worker's spike list per step. */
  spikeCapacity: number[];
  recordSpikes?: Uint8Array;
  traces: TracePlan[];
  rateBin?: number;
  /** Variables the kernel publishes each step for graded synapses and gap junctions (`out_<var>`, 2·size). */
  outputs: string[];
  /** Graded receptors with input (`gin_<receptor>`), plus `gap` when gap junctions reach the population. */
  continuousInputs: string[];
  /** Parameters and derived constants: a number, or 'array' (in `c_<name>`). Neuron populations only. */
  constants?: NeuronKernelSpec['constants'];
  /** Shift channels into this population: Int32 rings `in_<name>` of ringSlots[receptor] slots (see shiftChannels). */
  channels?: ShiftChannel[];
  /** Export of ClockPlan.kernelWasm with this population's kernel, which the worker's tickNeurons calls (its arrays then live in that memory). */
  wasmKernel?: string;
}

/**
 * A ring of its own for the input of one projection (or of one delay value of it) whose
 * per-step sum is shifted by `shift` bits (left when > 0, right with floor when < 0)
 * before it joins the receptor's variable: Lava's weight_exp (ProjectionIR.loihi).
 * The ring is an Int32Array, so the sum wraps at 32 bits as Lava's int32 accumulator.
 */
export interface ShiftChannel {
  name: string;
  receptor: string;
  shift: number;
}

/** A graded or gap-junction delivery (see graded.ts). */
export interface GradedPlan {
  label: string;
  pre: number;
  post: number;
  variable: string;
  input: string;
  kernelSource: string;
  /** CSC by postsynaptic neuron: the neuron of each column, and the column pointers. */
  cols: Uint32Array;
  colPtr: Uint32Array;
  sources: Uint32Array;
  /** The first gather into an input assigns, later ones add. */
  assign: boolean;
  /** Per-synapse W (weight), MU, SL (sigmoid centre and slope) when not uniform... */
  arrays: Record<string, Float64Array>;
  /** ...and their uniform values otherwise. */
  scalars: Record<string, number>;
  sigmoid: boolean;
  /** Name of its WebAssembly export when the gather runs in WebAssembly (see wasm-gather.ts). */
  wasmExport?: string;
}

export interface ProjectionPlan {
  label: string;
  pre: number;
  post: number;
  receptor: string;
  /** The ring it delivers into, `in_<channel>`, when not the receptor's own (a shift channel, see shiftChannels). */
  channel?: string;
  kernelSource: string;
  rowPtr: Uint32Array;
  targets: Uint32Array;
  weights?: Float64Array;
  delays?: Uint16Array | Uint32Array;
  /** The one weight of every synapse, when there is no `weights` array. */
  uniformWeight?: number;
  /** The one delay in steps of every synapse, when there is no `delays` array. */
  uniformDelay?: number;
  /** Export of ClockPlan.kernelWasm that delivers its spikes, called by the worker's tickDeliver (its arrays then live in that memory). */
  wasmDeliver?: string;
  /** With wasmDeliver and several workers: per worker, its slice of each row (filled by the worker). */
  workerStart?: Uint32Array[];
  workerEnd?: Uint32Array[];
}

export interface ClockPlan {
  dt: number;
  steps: number;
  seed: number;
  threads: number;
  populations: PopulationPlan[];
  projections: ProjectionPlan[];
  graded: GradedPlan[];
  /** One thread: `out_<var>` is the state array itself, read at offset 0 (no parity buffers). */
  outputsInPlace: boolean;
  /** Neuron kernels (wasm-neuron.ts) and spike deliveries (wasm-deliver.ts) in WebAssembly, and the memory holding their arrays (wasm-place.ts). */
  kernelWasm?: KernelWasm;
  /** The WebAssembly gathers: module bytes and the memory holding their arrays (shared when threads > 1). */
  gatherWasm?: { bytes: Uint8Array; memory: WebAssembly.Memory };
  /** Network equilibrium (e.g. the Kunert threshold), re-solved when stimulus currents change. */
  equilibrium?: Equilibrium;
  /** Per population: the state variable holding the equilibrium, when it has one. */
  equilibriumTarget: (string | undefined)[];
  delayRounding: DelayRounding[];
  /** Spike lists: per population, worker, parity. */
  spikeLists: Uint32Array[][][];
  /** counts[(p * threads + w) * 2 + parity] = spikes in that list. */
  spikeCounts: Int32Array;
  /** [0] barrier arrivals, [1] barrier generation, [2] abort flag. */
  control: Int32Array;
}

/** Splits n elements into `threads` contiguous chunks. */
export function partition(n: number, threads: number): number[] {
  const b: number[] = [];
  for (let w = 0; w <= threads; w++) b.push(Math.floor((n * w) / threads));
  return b;
}

export interface PlanOptions {
  /** Run the gathers of graded synapses and gap junctions in WebAssembly (default true; false: JavaScript, same bits). */
  wasmGather?: boolean;
  /** Run neuron kernels (WebAssembly SIMD) and the deliveries into their populations in WebAssembly where the model compiles (default true; false: JavaScript only, same bits). */
  wasmNeurons?: boolean;
}

export function buildPlan(net: ResolvedNetwork, threads: number, options: PlanOptions = {}): ClockPlan {
  const { dt, duration, seed } = net.ir.run;
  const steps = Math.round(duration / dt);
  const popIndex = new Map(net.populations.map((p, i) => [p.label, i]));

  // Ring lengths per (post population, receptor) from the longest delay into it.
  const spiking = net.ir.projections.filter((p) => !isContinuous(p));
  const delayInfo = spiking.map((proj) => roundDelays(proj, dt));
  const ringSlots: Record<string, number>[] = net.populations.map(() => ({}));
  spiking.forEach((proj, k) => {
    const slots = ringSlots[popIndex.get(proj.post)!]!;
    slots[proj.receptor] = Math.max(slots[proj.receptor] ?? 1, delayInfo[k]!.maxSteps + 1);
  });
  for (const s of net.ir.stimuli) {
    if (s.kind === 'poisson' || s.kind === 'spike_times') {
      const slots = ringSlots[popIndex.get(s.population)!]!;
      slots[s.receptor] = Math.max(slots[s.receptor] ?? 1, 1);
    }
  }
  // All receptors of a population share one ring length, so one slot offset serves them all.
  for (const slots of ringSlots) {
    const L = Math.max(1, ...Object.values(slots));
    for (const r of Object.keys(slots)) slots[r] = L;
  }

  const layout = layoutGraded(net);
  const gathers = toGathers(
    layout.deliveries,
    net.populations.map((p) => p.size),
  );
  const share = threads > 1;
  const arena = options.wasmGather !== false && gathers.some((g) => !g.sigmoid) ? new WasmArena(arenaBytes(net, layout, gathers), share) : undefined;
  const continuousArray = arena ? (n: number) => arena.alloc(Float64Array, n) : (n: number) => sharedArray(Float64Array, n);
  // SpiNNaker fixed-point populations: ring-buffer shifts per receptor (spec §2.2).
  const spinnShifts = net.populations.map((pop) => (pop.model.kind === 'neuron' && pop.model.spinnaker ? ringShifts(net, pop.label) : undefined));
  const shifts = shiftChannels(spiking, delayInfo, popIndex, net.populations.length);
  const specs: (NeuronKernelSpec | undefined)[] = [];
  const populations = net.populations.map((pop, p) => planPopulation(net, pop, ringSlots[p]!, threads, steps, layout, p, continuousArray, shifts.byPopulation[p]!, specs, spinnShifts[p]));
  const projections = spiking.flatMap((proj, k) => {
    const pre = popIndex.get(proj.pre)!;
    const post = popIndex.get(proj.post)!;
    const parts = shifts.byProjection[k];
    const rs = spinnShifts[post];
    if (rs) return [planProjection(spinnakerWeights(proj, rs[proj.receptor]!, (net.populations[post]!.model as NeuronModel).spinnaker!.globalWeightScale), pre, post, net, delayInfo[k]!, ringSlots, threads)];
    if (!parts) return [planProjection(proj, pre, post, net, delayInfo[k]!, ringSlots, threads)];
    return parts.map((part) => planProjection(part.proj, pre, post, net, part.delays, ringSlots, threads, part.channel));
  });
  const sh = <T extends Uint32Array | Float64Array>(x: T): T => (share ? (toShared(x) as T) : x);
  const wasmSpecs: WasmGatherSpec[] = [];
  const graded = gathers.map((g, k): GradedPlan => {
    const inWasm = arena !== undefined && !g.sigmoid;
    const place = <T extends Uint32Array | Float64Array>(x: T): T => (inWasm ? arena.copy(x) : sh(x));
    const arrays: Record<string, Float64Array> = {};
    const scalars: Record<string, number> = {};
    const put = (key: string, v: number | Float64Array | undefined) => {
      if (v instanceof Float64Array) arrays[key] = place(v);
      else if (v !== undefined) scalars[key] = v;
    };
    put('W', g.weight);
    put('MU', g.sigmoid?.mu);
    put('SL', g.sigmoid?.slope);
    const cols = place(g.cols);
    const colPtr = place(g.colPtr);
    const sources = place(g.sources);
    let wasmExport: string | undefined;
    if (inWasm) {
      wasmExport = `gather${k}`;
      wasmSpecs.push({
        name: wasmExport,
        cols: cols.byteOffset,
        colPtr: colPtr.byteOffset,
        sources: sources.byteOffset,
        weight: arrays.W ? { offset: arrays.W.byteOffset } : { value: scalars.W! },
        out: populations[g.pre]!.arrays[`out_${g.variable}`]!.byteOffset,
        gin: populations[g.post]!.arrays[g.input]!.byteOffset,
        assign: g.assign,
      });
    }
    return {
      label: g.label,
      pre: g.pre,
      post: g.post,
      variable: g.variable,
      input: g.input,
      kernelSource: gatherKernelSource(g),
      cols,
      colPtr,
      sources,
      arrays,
      scalars,
      sigmoid: g.sigmoid !== undefined,
      assign: g.assign,
      wasmExport,
    };
  });
  const gatherWasm = arena ? { bytes: gatherModuleBytes(wasmSpecs, arena.pages, share), memory: arena.memory } : undefined;
  const equilibrium = buildEquilibrium(net);
  const equilibriumTarget = net.populations.map((p) => (p.model.kind === 'neuron' ? p.model.equilibrium?.target : undefined));
  if (equilibrium) startAtEquilibrium(net, populations, equilibrium);
  // Capacity of spike lists: one spike per neuron per step, more for sources (several spikes in one step).
  const spikeLists = populations.map((pp) =>
    pp.bounds.slice(0, threads).map((_, w) => {
      const cap = pp.spikeCapacity[w]!;
      return [sharedArray(Uint32Array, cap), sharedArray(Uint32Array, cap)];
    }),
  );
  const spikeCounts = sharedArray(Int32Array, populations.length * threads * 2);
  const kernelWasm = options.wasmNeurons !== false ? placeKernels(populations, specs, projections, spikeLists, spikeCounts, threads) : undefined;
  return {
    dt,
    steps,
    seed,
    threads,
    populations,
    projections,
    graded,
    outputsInPlace: threads === 1,
    kernelWasm,
    gatherWasm,
    equilibrium,
    equilibriumTarget,
    delayRounding: spiking.map((proj, k) => ({ projection: proj.label, ...delayInfo[k]!.report })),
    spikeLists,
    spikeCounts: kernelWasm?.spikeCounts ?? spikeCounts,
    control: sharedArray(Int32Array, 4),
  };
}

/** Bytes of the WebAssembly arena: every published output and continuous input, and the CSC of every gather that runs there. */
function arenaBytes(net: ResolvedNetwork, layout: GradedLayout, gathers: GradedGather[]): number {
  let bytes = 0;
  net.populations.forEach((pop, p) => {
    if (pop.model.kind !== 'neuron') return;
    const inputs = layout.gradedInputs[p]!.size + (layout.gapConductance[p] ? 1 : 0);
    bytes += layout.outputs[p]!.size * WasmArena.size(2 * pop.size, 8) + inputs * WasmArena.size(pop.size, 8);
  });
  for (const g of gathers) {
    if (g.sigmoid) continue;
    const nnz = g.sources.length;
    bytes += WasmArena.size(g.cols.length, 4) + WasmArena.size(g.colPtr.length, 4) + WasmArena.size(nnz, 4) + (typeof g.weight === 'number' ? 0 : WasmArena.size(nnz, 8));
  }
  return bytes;
}

interface DelaySteps {
  uniform?: number;
  perSynapse?: Uint16Array | Uint32Array;
  maxSteps: number;
  report: Omit<DelayRounding, 'projection'>;
}

/** Rounds delays to the nearest whole step (validation has already rejected d < dt). */
function roundDelays(proj: ProjectionIR, dt: number): DelaySteps {
  const d = proj.delay;
  const toSteps = (x: number) => Math.max(1, Math.round(x / dt));
  if (typeof d === 'number') {
    const s = toSteps(d);
    const err = Math.abs(s * dt - d);
    return { uniform: s, maxSteps: s, report: { rounded: err > 1e-9 * d ? proj.targets.length : 0, maxError: err, minSteps: s, maxSteps: s } };
  }
  let max = 1;
  let min = Infinity;
  let rounded = 0;
  let maxError = 0;
  for (let k = 0; k < d.length; k++) {
    const s = toSteps(d[k]!);
    const err = Math.abs(s * dt - d[k]!);
    if (err > 1e-9 * d[k]!) rounded++;
    if (err > maxError) maxError = err;
    if (s > max) max = s;
    if (s < min) min = s;
  }
  const perSynapse = max < 65536 ? new Uint16Array(d.length) : new Uint32Array(d.length);
  for (let k = 0; k < d.length; k++) perSynapse[k] = toSteps(d[k]!);
  if (min === max) return { uniform: max, maxSteps: max, report: { rounded, maxError, minSteps: min, maxSteps: max } };
  return { perSynapse, maxSteps: max, report: { rounded, maxError, minSteps: d.length ? min : 0, maxSteps: max } };
}

/**
 * Lava's weight_exp (ProjectionIR.loihi.weightExp ≠ 0) shifts each connection's per-step
 * sum into a neuron, for DelaySparse the sum per delay value (loihi-lava.md §2.2–§2.3).
 * A shift does not distribute over a sum (floor(6/2) ≠ floor(3/2) + floor(3/2)), so each
 * such projection delivers into a ring of its own, a shift channel, which the neuron
 * kernel shifts and adds to the receptor's variable on arrival. A right shift also
 * needs one channel per delay value, because arrivals of one step from different delays
 * were shifted separately in Lava; those projections are split by delay into parts with
 * one uniform delay each. (A left shift is linear in 32-bit arithmetic: one channel.)
 * Projections with weightExp 0 share the receptor's ring as usual.
 */
function shiftChannels(spiking: ProjectionIR[], delayInfo: DelaySteps[], popIndex: Map<string, number>, nPops: number) {
  const byPopulation: ShiftChannel[][] = Array.from({ length: nPops }, () => []);
  const byProjection: ({ proj: ProjectionIR; delays: DelaySteps; channel: string }[] | undefined)[] = [];
  spiking.forEach((proj, k) => {
    const shift = proj.loihi?.weightExp ?? 0;
    if (shift === 0) return;
    const channels = byPopulation[popIndex.get(proj.post)!]!;
    const info = delayInfo[k]!;
    const channel = () => {
      const name = `shift${channels.length}`;
      channels.push({ name, receptor: proj.receptor, shift });
      return name;
    };
    if (shift > 0 || info.perSynapse === undefined) {
      byProjection[k] = [{ proj, delays: info, channel: channel() }];
      return;
    }
    const per = info.perSynapse;
    const values = [...new Set(per)].sort((a, b) => a - b);
    byProjection[k] = values.map((steps) => {
      const rowPtr = new Uint32Array(proj.rowPtr.length);
      const keep: number[] = [];
      for (let i = 0; i + 1 < proj.rowPtr.length; i++) {
        for (let s = proj.rowPtr[i]!; s < proj.rowPtr[i + 1]!; s++) if (per[s] === steps) keep.push(s);
        rowPtr[i + 1] = keep.length;
      }
      const w = proj.weight;
      const part: ProjectionIR = {
        ...proj,
        rowPtr,
        targets: Uint32Array.from(keep, (s) => proj.targets[s]!),
        weight: typeof w === 'number' ? w : Float64Array.from(keep, (s) => w[s]!),
        delay: steps,
      };
      return { proj: part, delays: { uniform: steps, maxSteps: steps, report: info.report }, channel: channel() };
    });
  });
  return { byPopulation, byProjection };
}

/**
 * A projection into a SpiNNaker fixed-point population with every weight replaced by its
 * 16-bit ring-buffer value under the receptor's shift (src/spinnaker/fixed.ts weightToFixed):
 * the rings then sum integers, which the kernel saturates at 0xFFFF and shifts.
 */
function spinnakerWeights(proj: ProjectionIR, shift: number, globalScale: number): ProjectionIR {
  const q = (w: number) => weightToFixed(w, shift, globalScale).bits;
  const w = proj.weight;
  return { ...proj, weight: typeof w === 'number' ? q(w) : Float64Array.from(w, q) };
}

function planProjection(
  proj: ProjectionIR,
  pre: number,
  post: number,
  net: ResolvedNetwork,
  delays: DelaySteps,
  ringSlots: Record<string, number>[],
  threads: number,
  channel?: string,
): ProjectionPlan {
  const postSize = net.populations[post]!.size;
  let { rowPtr, targets } = proj;
  let weights = typeof proj.weight === 'number' ? undefined : proj.weight;
  let delayArr = delays.perSynapse;
  // Rows sorted by target let each worker take one contiguous slice of every row.
  if (!rowsSorted(rowPtr, targets)) {
    const sorted = sortRows(rowPtr, targets, weights, delayArr);
    targets = sorted.targets;
    weights = sorted.weights;
    delayArr = sorted.delays;
  }
  const share = threads > 1;
  const kernelSource = projectionKernelSource({
    weight: typeof proj.weight === 'number' ? proj.weight : 'array',
    delaySteps: delays.uniform ?? 'array',
    ringSlots: ringSlots[post]![proj.receptor]!,
    postSize,
  });
  return {
    label: proj.label,
    pre,
    post,
    receptor: proj.receptor,
    ...(channel ? { channel } : {}),
    kernelSource,
    ...(typeof proj.weight === 'number' ? { uniformWeight: proj.weight } : {}),
    ...(delays.uniform !== undefined ? { uniformDelay: delays.uniform } : {}),
    rowPtr: share ? toShared(rowPtr) : rowPtr,
    targets: share ? toShared(targets) : targets,
    weights: weights && share ? toShared(weights) : weights,
    delays: delayArr && share ? toShared(delayArr) : delayArr,
  };
}

function rowsSorted(rowPtr: Uint32Array, targets: Uint32Array): boolean {
  for (let i = 0; i + 1 < rowPtr.length; i++) {
    for (let k = rowPtr[i]! + 1; k < rowPtr[i + 1]!; k++) if (targets[k - 1]! > targets[k]!) return false;
  }
  return true;
}

/** Stable sort of each row by target, carrying weights and delays along. */
function sortRows(rowPtr: Uint32Array, targets: Uint32Array, weights?: Float64Array, delays?: Uint16Array | Uint32Array) {
  const t2 = new Uint32Array(targets.length);
  const w2 = weights ? new Float64Array(weights.length) : undefined;
  const d2 = delays ? new (delays.constructor as Uint32ArrayConstructor)(delays.length) : undefined;
  for (let i = 0; i + 1 < rowPtr.length; i++) {
    const a = rowPtr[i]!;
    const b = rowPtr[i + 1]!;
    const order = Array.from({ length: b - a }, (_, k) => a + k).sort((x, y) => targets[x]! - targets[y]! || x - y);
    order.forEach((src, k) => {
      t2[a + k] = targets[src]!;
      if (w2) w2[a + k] = weights![src]!;
      if (d2) d2[a + k] = delays![src]!;
    });
  }
  return { targets: t2, weights: w2, delays: d2 };
}

/**
 * Sets the equilibrium variable (e.g. v_th) to the input-free equilibrium and, for
 * state declared to start 'equilibrium' and not given in the IR, the voltage to it and
 * the graded outputs to their equilibrium values: the network starts at rest.
 */
function startAtEquilibrium(net: ResolvedNetwork, populations: PopulationPlan[], eq: Equilibrium): void {
  for (const p of eq.pops) {
    const pop = net.populations[p]!;
    const model = pop.model as NeuronModel;
    const decl = model.equilibrium!;
    const o = eq.offset.get(p)!;
    const arrays = populations[p]!.arrays;
    const given = (v: string) => pop.ir.initial?.[v] !== undefined;
    for (const [name, st] of Object.entries(model.state)) {
      if (st.initial !== 'equilibrium' || given(name)) continue;
      const a = arrays[`s_${name}`] as Float64Array;
      const outputAt = decl.outputs[name];
      for (let i = 0; i < pop.size; i++) {
        if (name === decl.target || name === model.voltage) a[i] = eq.rest[o + i]!;
        else if (outputAt) a[i] = outputAt(Object.fromEntries(Object.entries(pop.params).map(([k, v]) => [k, valueAt(v, i)])));
      }
    }
  }
}

/** Re-solves the equilibrium for the current stimulus and writes it into each population's target variable. */
export function applyEquilibrium(plan: ClockPlan): void {
  const eq = plan.equilibrium!;
  const x = solveEquilibrium(
    eq,
    plan.populations.map((pp) => pp.arrays.istim as Float64Array | undefined),
  );
  for (const p of eq.pops) {
    const pp = plan.populations[p]!;
    const a = pp.arrays[`s_${plan.equilibriumTarget[p]!}`] as Float64Array;
    a.set(x.subarray(eq.offset.get(p)!, eq.offset.get(p)! + pp.size));
  }
}

function planPopulation(
  net: ResolvedNetwork,
  pop: ResolvedPopulation,
  slots: Record<string, number>,
  threads: number,
  steps: number,
  layout: GradedLayout,
  p: number,
  continuousArray: (n: number) => Float64Array,
  channels: ShiftChannel[],
  specs: (NeuronKernelSpec | undefined)[],
  spinnakerShifts?: Record<string, number>,
): PopulationPlan {
  const { dt } = net.ir.run;
  const bounds = partition(pop.size, threads);
  const arrays: PopulationPlan['arrays'] = {};
  const object = `population "${pop.label}"`;
  const stimuli = net.ir.stimuli.filter((s) => s.population === pop.label);
  const currentEvents: CurrentEvent[] = [];
  const poissonStims: PoissonStimPlan[] = [];
  const timedInputs: TimedInputPlan[] = [];
  for (const s of stimuli) {
    const indices = resolveTargets(s, pop, `stimulus "${s.label}"`);
    if (s.kind === 'dc') {
      currentEvents.push({ step: Math.round(s.start / dt), indices, delta: s.amplitude });
      currentEvents.push({ step: Math.round(s.stop / dt), indices, delta: -s.amplitude });
    } else if (s.kind === 'step') {
      s.times.forEach((t, k) => currentEvents.push({ step: Math.round(t / dt), indices, delta: s.amplitudes[k]! - (k > 0 ? s.amplitudes[k - 1]! : 0) }));
    } else if (s.kind === 'poisson') {
      poissonStims.push({ label: s.label, indices, rate: s.rate, start: s.start, stop: s.stop, weight: s.weight, receptor: s.receptor });
    } else {
      const perStep = new Map<number, number>();
      for (const t of s.times) {
        const n = emissionStep(t, dt);
        perStep.set(n, (perStep.get(n) ?? 0) + 1);
      }
      const keys = [...perStep.keys()].sort((a, b) => a - b);
      timedInputs.push({
        indices,
        receptor: s.receptor,
        steps: Int32Array.from(keys),
        weights: Float64Array.from(keys, (k) => perStep.get(k)! * s.weight),
        counts: Int32Array.from(keys, (k) => perStep.get(k)!),
      });
    }
  }
  currentEvents.sort((a, b) => a.step - b.step);

  const traces: TracePlan[] = [];
  let recordSpikes: Uint8Array | undefined;
  let rateBin: number | undefined;
  for (const r of net.ir.recordings.filter((r) => r.population === pop.label)) {
    if (r.kind === 'spikes') {
      recordSpikes ??= new Uint8Array(pop.size);
      for (const i of resolveTargets(r, pop, object)) recordSpikes[i] = 1;
    } else if (r.kind === 'rate') {
      rateBin = r.bin;
    } else {
      const indices = resolveTargets(r, pop, object);
      const intervalSteps = Math.max(1, Math.round(r.interval / dt));
      const nSamples = Math.ceil(steps / intervalSteps);
      for (const variable of r.variables) {
        traces.push({
          variable,
          units: INTERNAL_UNIT[pop.model.state[variable]!.dim],
          indices,
          intervalSteps,
          nSamples,
          data: sharedArray(Float64Array, nSamples * indices.length),
        });
      }
    }
  }

  const outputs = [...layout.outputs[p]!];
  const continuousInputs = [...layout.gradedInputs[p]!, ...(layout.gapConductance[p] ? ['gap'] : [])];
  const base = { label: pop.label, size: pop.size, bounds, arrays, ringSlots: slots, currentEvents, poissonStims, timedInputs, traces, recordSpikes, rateBin, outputs, continuousInputs };
  if (pop.model.kind === 'source') {
    const cap = bounds.slice(0, threads).map((_, w) => 8 * (bounds[w + 1]! - bounds[w]!) + 64);
    if (pop.model.name === 'spike_source_array') return { ...base, kind: 'array', spikeTimes: pop.ir.spikeTimes!, spikeCapacity: cap };
    return {
      ...base,
      kind: 'poisson',
      sourceParams: { rate: pop.params.rate!, start: pop.params.start!, stop: pop.params.stop! },
      spikeCapacity: cap,
    };
  }

  const model = pop.model as NeuronModel;
  // One thread: the gathers run after the whole step and read the state arrays of the
  // published variables directly (no parity copies; the same values, so the same bits).
  const inPlace = threads === 1;
  for (const name of Object.keys(model.state)) {
    const a = inPlace && outputs.includes(name) ? continuousArray(pop.size) : sharedArray(Float64Array, pop.size);
    const init = pop.initial[name]!;
    if (typeof init === 'number') a.fill(init);
    else a.set(init);
    arrays[`s_${name}`] = a;
  }
  const constants: NeuronKernelSpec['constants'] = { __dt: dt };
  const perNeuron = Object.values(pop.params).some((v) => typeof v !== 'number');
  for (const [name, v] of Object.entries(pop.params)) {
    if (typeof v === 'number') constants[name] = v;
    else {
      constants[name] = 'array';
      arrays[`c_${name}`] = toShared(Float64Array.from(v));
    }
  }
  // Derived constants: one value when every parameter is uniform, else one per neuron.
  const paramsAt = (i: number) => Object.fromEntries(Object.entries(pop.params).map(([k, v]) => [k, valueAt(v, i)]));
  if (!perNeuron) Object.assign(constants, model.derived(paramsAt(0), dt, pop.method));
  else {
    const cols: Record<string, Float64Array> = {};
    for (const d of model.derivedNames) cols[d] = sharedArray(Float64Array, pop.size);
    for (let i = 0; i < pop.size; i++) {
      const d = model.derived(paramsAt(i), dt, pop.method);
      for (const k of model.derivedNames) cols[k]![i] = d[k]!;
    }
    for (const k of model.derivedNames) {
      constants[k] = 'array';
      arrays[`c_${k}`] = cols[k]!;
    }
  }
  // The kernel reads the resolved ring-buffer shifts as the shift parameters' values.
  if (spinnakerShifts) for (const [receptor, param] of Object.entries(model.spinnaker!.shiftParams)) constants[param] = spinnakerShifts[receptor]!;
  let refractorySteps: number | 'array' = 0;
  if (model.refractoryParam) {
    const r = pop.params[model.refractoryParam]!;
    if (typeof r === 'number') refractorySteps = Math.round(r / dt);
    else {
      refractorySteps = 'array';
      arrays.refsteps = toShared(Int32Array.from(r, (x) => Math.round(x / dt)));
    }
    if (refractorySteps !== 0) arrays.refr = sharedArray(Int32Array, pop.size);
  }
  for (const [receptor, L] of Object.entries(slots)) arrays[`in_${receptor}`] = sharedArray(Float64Array, L * pop.size);
  for (const ch of channels) arrays[`in_${ch.name}`] = sharedArray(Int32Array, slots[ch.receptor]! * pop.size);
  const hasCurrentStimulus = currentEvents.length > 0;
  if (hasCurrentStimulus) arrays.istim = sharedArray(Float64Array, pop.size);
  for (const r of continuousInputs) arrays[`gin_${r}`] = continuousArray(pop.size);
  const gap = layout.gapConductance[p];
  if (gap) arrays.c_G_gap = toShared(gap);
  for (const v of outputs) arrays[`out_${v}`] = inPlace ? arrays[`s_${v}`]! : continuousArray(2 * pop.size);
  const spec: NeuronKernelSpec = {
    model,
    method: pop.method,
    // Zeros that are only ever added enter the kernels as −0; the plan's own constants keep +0.
    constants: withAdditiveZeros(model, pop.method, constants),
    receptors: Object.keys(slots),
    channels,
    gradedReceptors: [...layout.gradedInputs[p]!],
    gap: gap !== undefined,
    outputs,
    publishOutputs: !inPlace,
    hasCurrentStimulus,
    refractorySteps,
  };
  specs[p] = spec;
  const kernelSource = neuronKernelSource(spec);
  return { ...base, kind: 'neuron', kernelSource, constants, ...(channels.length ? { channels } : {}), decaysToZero: model.decaysToZero ?? [], spikeCapacity: bounds.slice(0, threads).map((_, w) => bounds[w + 1]! - bounds[w]! + 1) };
}

/**
 * The step in which an input or source spike at time t is emitted: the step n
 * with t in (t_n, t_{n+1}], so it lands on the grid point t_{n+1} = ceil(t/dt)·dt
 * (times within 1e-9 steps of a grid point count as on it; t = 0 goes to step 0).
 */
export function emissionStep(t: number, dt: number): number {
  return Math.max(0, Math.ceil(t / dt - 1e-9) - 1);
}

export function assertCapacity(count: number, cap: number, label: string): void {
  if (count > cap) {
    throw new SimulationError(`population "${label}": more spikes in one step than its spike buffer holds (${count} > ${cap}); lower the source rate or dt.`, {
      object: `population "${label}"`,
    });
  }
}
