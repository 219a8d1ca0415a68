/**
 * The webgpu backend's device layout of a network, as plain data and pure functions (no
 * device here, so everything is testable without a GPU): the integer weights shared with
 * the host backends, global neuron ids and ring channels, the merged CSR split into
 * segments that fit a storage binding, every buffer with its initial contents, every WGSL
 * kernel (kernels/wgsl/), the per-step fields of the step block, and the batch plan
 * (how many steps run between two read-backs and how large the record buffers are).
 *
 * Global ids: populations in IR order, gid = gid0(p) + index. Ring channels: for every
 * (population, receptor) with incoming spike projections, n consecutive channels. The
 * ring is slots × channels i32 with slots = the longest delay + 1 over the network; slot
 * (step + delay) mod slots. Only the slot index differs from the host backends' rings,
 * not the integers summed in it.
 */
import { SimulationError, UnsupportedError } from '../../errors.js';
import type { ResolvedNetwork } from '../../ir/validate.js';
import { valueAt } from '../../ir/validate.js';
import type { NeuronModel } from '../../models/types.js';
import { emissionStep, type ClockPlan, type GradedPlan } from '../clock/plan.js';
import { fixedPointScale } from '../../../kernels/deliver.js';
import { poissonP0, poissonSourceKey, poissonStimulusKey } from '../../../kernels/poisson.js';
import {
  NONE,
  arraySourceKernel,
  counterLayout,
  deliverKernel,
  dispatchSize,
  gatherKernel,
  neuronUpdateKernel,
  poissonSourceKernel,
  stateRows,
  traceKernel,
  type CounterLayout,
  type DrainReceptor,
  type WgslKernel,
} from '../../../kernels/wgsl/index.js';

// ───────────────────────────────────── fixed point ─────────────────────────────────────

/** A spike projection prepared for fixed-point delivery (weights still as floats; units = round(w · scale)). */
export interface FixedPointProjectionPlan {
  pre: number;
  post: number;
  receptor: string;
  scale: number;
  rowPtr: Uint32Array;
  targets: Uint32Array;
  weights: Float64Array | number;
  /** Delay in steps per synapse, or one value. */
  delays: Uint16Array | Uint32Array | number;
}

/** Integer units of a weight: the same rounding on every backend. */
export function weightUnits(w: number, scale: number): number {
  return Math.round(w * scale);
}

/**
 * Fixed-point scale per (population, receptor) from the largest Σ|w| into one neuron
 * (kernels/deliver.ts fixedPointScale), and the spike projections with their scales:
 * what the host backends and the webgpu backend both deliver, so their integer sums agree.
 */
export function fixedPointPlan(net: ResolvedNetwork, plan: ClockPlan): { scales: Record<string, number>[]; projections: FixedPointProjectionPlan[] } {
  const irProjections = net.ir.projections.filter((p) => (p.transmission ?? 'spike') === 'spike');
  if (plan.projections.length !== irProjections.length || plan.projections.some((pj) => pj.channel !== undefined)) {
    throw new UnsupportedError('gpu engine: projections with weight shifts (Loihi weight_exp) run in engine "clock" only', { object: 'network', parameter: 'engine', fix: '--engine clock' });
  }
  const absIn = plan.populations.map((pp) => Object.fromEntries(Object.keys(pp.ringSlots).map((r) => [r, new Float64Array(pp.size)])));
  plan.projections.forEach((pj, k) => {
    const uniform = irProjections[k]!.weight;
    const acc = absIn[pj.post]![pj.receptor]!;
    for (let s = 0; s < pj.targets.length; s++) acc[pj.targets[s]!] += Math.abs(pj.weights ? pj.weights[s]! : (uniform as number));
  });
  const scales = plan.populations.map((pp, p) => {
    const out: Record<string, number> = {};
    for (const r of Object.keys(pp.ringSlots)) out[r] = fixedPointScale(absIn[p]![r]!.reduce((m, x) => (x > m ? x : m), 0));
    return out;
  });
  const projections = plan.projections.map((pj, k): FixedPointProjectionPlan => ({
    pre: pj.pre,
    post: pj.post,
    receptor: pj.receptor,
    scale: scales[pj.post]![pj.receptor]!,
    rowPtr: pj.rowPtr,
    targets: pj.targets,
    weights: pj.weights ?? (irProjections[k]!.weight as number),
    delays: pj.delays ?? plan.delayRounding[k]!.maxSteps,
  }));
  return { scales, projections };
}

// ───────────────────────────────────── batch plan ──────────────────────────────────────

/** Sources of recorded spikes, for bounding what a batch of K steps can record. */
export type Recorder =
  /** Neurons that spike at most once per refractorySteps + 1 steps (a hard bound). */
  | { kind: 'refractory'; neurons: number; refractorySteps: number }
  /** Poisson sources: mean records per step (bounded at 8 σ above the mean). */
  | { kind: 'poisson'; meanPerStep: number }
  /** A known schedule: records per step, for the largest window of K steps. */
  | { kind: 'schedule'; steps: Int32Array; counts: Uint32Array };

/** The most records K consecutive steps can produce. */
export function recordBound(recorders: Recorder[], K: number): number {
  let total = 0;
  for (const r of recorders) {
    if (r.kind === 'refractory') total += r.neurons * Math.ceil(K / (r.refractorySteps + 1));
    else if (r.kind === 'poisson') {
      const mu = r.meanPerStep * K;
      if (mu > 0) total += Math.ceil(mu + 8 * Math.sqrt(mu) + 16);
    } else total += maxInWindow(r.steps, r.counts, K);
  }
  return total;
}

/** Largest Σ counts over steps in any window [s, s + K) of an ascending step list. */
export function maxInWindow(steps: Int32Array, counts: Uint32Array, K: number): number {
  let best = 0;
  let sum = 0;
  let lo = 0;
  for (let hi = 0; hi < steps.length; hi++) {
    sum += counts[hi]!;
    while (steps[hi]! - steps[lo]! >= K) sum -= counts[lo++]!;
    if (sum > best) best = sum;
  }
  return best;
}

export interface BatchPlanInput {
  steps: number;
  /** Most steps between two read-backs (default 1000). */
  maxBatch?: number;
  /** Fewest steps a batch is shrunk to in order to make recording loss-free (default 100). */
  minBatch?: number;
  recorders: Recorder[];
  /** Record entries (8 bytes each) the record buffer may hold. */
  recordBudget: number;
  traces: { count: number; interval: number }[];
  /** Floats the trace buffer may hold. */
  traceBudget: number;
}

export interface BatchPlan {
  /** Steps per batch (the last batch may be shorter). */
  K: number;
  recordCapacity: number;
  /** True when no batch of K steps can record more than the capacity (a hard bound). */
  guaranteed: boolean;
  /** Slots per trace: samples one batch can hold. */
  traceSlots: number[];
}

export function traceSlots(K: number, interval: number): number {
  return Math.ceil(K / interval) + 1;
}

/**
 * Steps per batch and buffer capacities: at most maxBatch steps; fewer when the traces of
 * a batch would not fit their budget; fewer (down to minBatch) when that makes a record
 * overflow impossible. Otherwise the record buffer gets the whole budget, the batch size
 * adapts after each batch (nextBatchSize), and an overflow is an error (checkRecords).
 */
export function planBatches(input: BatchPlanInput): BatchPlan {
  const maxBatch = Math.max(1, Math.min(input.maxBatch ?? 1000, input.steps));
  const minBatch = Math.max(1, Math.min(input.minBatch ?? 100, maxBatch));
  const traceFloats = (K: number) => input.traces.reduce((s, t) => s + t.count * traceSlots(K, t.interval), 0);
  let K = maxBatch;
  while (K > 1 && traceFloats(K) > input.traceBudget) K = Math.max(1, Math.floor(K / 2));
  if (traceFloats(K) > input.traceBudget) {
    throw new SimulationError(`gpu engine (webgpu): the traces need ${traceFloats(K)} floats per batch of one step, more than the device buffer holds (${input.traceBudget}); record fewer neurons or variables, or at a longer interval.`, { object: 'recordings' });
  }
  const slots = (k: number) => input.traces.map((t) => traceSlots(k, t.interval));
  const need = recordBound(input.recorders, K);
  if (need <= input.recordBudget) return { K, recordCapacity: Math.max(1, need), guaranteed: true, traceSlots: slots(K) };
  // The largest K ≥ minBatch whose bound fits (the bound grows with K).
  let lo = minBatch;
  let hi = K;
  if (recordBound(input.recorders, lo) <= input.recordBudget) {
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (recordBound(input.recorders, mid) <= input.recordBudget) lo = mid;
      else hi = mid - 1;
    }
    return { K: lo, recordCapacity: Math.max(1, recordBound(input.recorders, lo)), guaranteed: true, traceSlots: slots(K) };
  }
  return { K, recordCapacity: Math.max(1, input.recordBudget), guaranteed: false, traceSlots: slots(K) };
}

/** An overflowing record buffer is an error, never a silent loss. */
export function checkRecords(count: number, capacity: number, steps: { from: number; to: number }): void {
  if (count > capacity) {
    throw new SimulationError(
      `gpu engine (webgpu): ${count} spikes were recorded in steps ${steps.from}–${steps.to - 1}, more than the device's record buffer holds (${capacity}); record fewer neurons (record: spikes with indices), or run a shorter dt-window per read-back is not possible here: use --backend webasm for this network.`,
      { object: 'recordings' },
    );
  }
}

/** After a batch that recorded `count` of `capacity`: halve K when more than half was used (no hard bound). */
export function nextBatchSize(K: number, count: number, capacity: number, guaranteed: boolean): number {
  if (guaranteed || count <= capacity / 2) return K;
  return Math.max(1, Math.floor(K / 2));
}

// ───────────────────────────────────── segments ────────────────────────────────────────

export interface Segment {
  gidFrom: number;
  gidTo: number;
  synapses: number;
}

/** Splits rows (by global id) into segments of whole rows with at most maxSynapses each. */
export function splitSegments(rowLength: (gid: number) => number, gids: number, maxSynapses: number): Segment[] {
  const out: Segment[] = [];
  let from = 0;
  let syn = 0;
  for (let g = 0; g < gids; g++) {
    const len = rowLength(g);
    if (len > maxSynapses) throw new UnsupportedError(`gpu engine (webgpu): neuron ${g} has ${len} outgoing synapses, more than one storage binding holds (${maxSynapses})`, { object: 'network' });
    if (syn + len > maxSynapses) {
      out.push({ gidFrom: from, gidTo: g, synapses: syn });
      from = g;
      syn = 0;
    }
    syn += len;
  }
  out.push({ gidFrom: from, gidTo: gids, synapses: syn });
  return out;
}

/** Bits for ring channels, and whether delays fit above them in one u32. */
export function synapseEncoding(channels: number, maxDelay: number, uniformDelay: number | undefined): { kind: 'uniform'; steps: number } | { kind: 'packed'; channelBits: number } | { kind: 'array' } {
  if (uniformDelay !== undefined) return { kind: 'uniform', steps: uniformDelay };
  const channelBits = Math.max(1, Math.ceil(Math.log2(Math.max(2, channels))));
  if (channelBits < 32 && maxDelay < 2 ** (32 - channelBits)) return { kind: 'packed', channelBits };
  return { kind: 'array' };
}

// ───────────────────────────────────── the layout ──────────────────────────────────────

export interface BufferSpec {
  id: string;
  /** Bytes (a multiple of 4, at least 16). */
  bytes: number;
  /**
   * Fills the buffer at creation; zero when absent. Inits may run in any order, and every
   * buffer stays mapped until all of them have run (a segment's arrays are filled together).
   */
  init?: (data: ArrayBuffer) => void;
  /** Read back (COPY_SRC). */
  readback?: boolean;
  /** Written by the host during the run (COPY_DST). */
  hostWrites?: boolean;
}

export interface PopLayout {
  label: string;
  kind: 'neuron' | 'poisson' | 'array';
  n: number;
  gid0: number;
  /** Kernel index of neuron.update / poisson.counts / sources.array (neurons: on the group's first population only). */
  kernel?: number;
  groups?: [number, number];
  /** neuron: the group's buffer key (its first population), this population's first thread, the group's threads. */
  group?: number;
  offset?: number;
  width?: number;
  /** neuron, first of a group: the group's populations. */
  members?: number[];
  /** neuron: rows of the state buffer. */
  rows?: string[];
  /** neuron: element offset of this population's istim row in C. */
  istimAt?: number;
  /** array source: step-block fields of its range, and entries per step. */
  arrayExtras?: [number, number];
  arraySteps?: Map<number, [number, number]>;
  /** Traces sampled before this population's update: indices into WebGpuNetwork.traces. */
  traces: number[];
}

export interface TraceLayout {
  pop: number;
  kernel: number;
  groups: [number, number];
  interval: number;
  count: number;
  regionAt: number;
  slots: number;
}

export interface LayoutOptions {
  /** Largest buffer one binding may hold (min of maxStorageBufferBindingSize and maxBufferSize). */
  maxBindingBytes: number;
  maxBatch?: number;
  minBatch?: number;
  recordBudgetBytes?: number;
  traceBudgetBytes?: number;
  /** Workgroups of one spikes.deliver dispatch (they stride over the spike list). */
  deliverGroups?: number;
  /** Largest synapse segment in bytes (default: maxBindingBytes; smaller in tests, to get several). */
  segmentBytes?: number;
  /** Store delays and weights per synapse even where a packed or uniform form fits (tests). */
  perSynapseArrays?: boolean;
  /** Run consecutive populations of one model in one neuron.update (default true). */
  groupPopulations?: boolean;
}

export interface WebGpuNetwork {
  kernels: WgslKernel[];
  buffers: BufferSpec[];
  counters: CounterLayout;
  stepExtras: number;
  ring?: { slots: number; channels: number };
  /** Ring channel of neuron 0 per population and receptor (receptors with incoming projections). */
  channelBase: Record<string, number>[];
  pops: PopLayout[];
  traces: TraceLayout[];
  deliveries: { kernel: number; groups: [number, number] }[];
  gathers: { kernel: number; groups: [number, number] }[];
  batch: BatchPlan;
  maxBatch: number;
  listCapacity: number;
  totalGids: number;
  /** Step-block extras of step n (timed inputs' entries, array sources' ranges). */
  extrasAt(n: number): Uint32Array | undefined;
  /** Stimulus events of step n known on the host (timed inputs). */
  hostEventsAt(n: number): number;
  /** Synapses in all segments, and how delays and weights are stored. */
  synapses: number;
  encoding: { delays: string; weights: string; segments: number };
}

function rowsOf(parts: { at: number; data: ArrayLike<number> }[], size: number): (data: ArrayBuffer) => void {
  return (buf) => {
    const f = new Float32Array(buf, 0, size);
    for (const p of parts) for (let i = 0; i < p.data.length; i++) f[p.at + i] = p.data[i]!;
  };
}

const bytesOf = (elements: number, bytesPer = 4) => Math.max(16, Math.ceil((elements * bytesPer) / 4) * 4);

/** Builds the device layout of a planned network. */
export function buildLayout(net: ResolvedNetwork, plan: ClockPlan, opts: LayoutOptions): WebGpuNetwork {
  const { dt, steps } = plan;
  const P = plan.populations.length;
  const maxBinding = opts.maxBindingBytes;
  const fp = fixedPointPlan(net, plan);
  const buffers: BufferSpec[] = [];
  const kernels: WgslKernel[] = [];
  const addBuffer = (b: BufferSpec) => {
    if (b.bytes > maxBinding) throw new UnsupportedError(`gpu engine (webgpu): buffer "${b.id}" needs ${b.bytes} bytes, more than one storage binding holds on this device (${maxBinding})`, { object: 'network' });
    buffers.push(b);
  };

  // Global ids.
  const gid0: number[] = [];
  let totalGids = 0;
  for (const pp of plan.populations) {
    gid0.push(totalGids);
    totalGids += pp.size;
  }
  const outgoing = plan.populations.map((_, p) => fp.projections.filter((pj) => pj.pre === p));
  const projects = outgoing.map((o) => o.some((pj) => pj.targets.length > 0));

  // Neuron groups: consecutive populations of one model and method with the same receptors
  // and continuous inputs run in one neuron.update dispatch (thread = gid − gid0 of the first).
  const groupOf = new Int32Array(P).fill(-1);
  const groups: number[][] = [];
  const signature = (p: number) => {
    const pp = plan.populations[p]!;
    const pop = net.populations[p]!;
    return JSON.stringify([pop.model.name, pop.method, Object.keys(pp.ringSlots), pp.continuousInputs]);
  };
  plan.populations.forEach((pp, p) => {
    if (pp.kind !== 'neuron') return;
    const last = groups[groups.length - 1];
    if (opts.groupPopulations !== false && last && last[last.length - 1] === p - 1 && signature(p) === signature(last[0]!)) last.push(p);
    else groups.push([p]);
    groupOf[p] = groups.length - 1;
  });
  const width = (g: number[]) => g.reduce((s, p) => s + plan.populations[p]!.size, 0);
  const offsetIn = new Int32Array(P);
  for (const g of groups) {
    let o = 0;
    for (const p of g) {
      offsetIn[p] = o;
      o += plan.populations[p]!.size;
    }
  }
  const listCapacity = Math.max(
    1,
    groups.reduce((s, g) => s + (g.some((p) => projects[p]) ? width(g) : 0), 0) + plan.populations.reduce((s, pp, p) => s + (pp.kind !== 'neuron' && projects[p] ? pp.size : 0), 0),
  );

  // Ring channels: per group and receptor with incoming projections, one channel per thread.
  const chanBase: Record<string, number>[] = plan.populations.map(() => ({}));
  let channels = 0;
  let slots = 1;
  for (const g of groups) {
    for (const r of Object.keys(plan.populations[g[0]!]!.ringSlots)) {
      if (!fp.projections.some((pj) => g.includes(pj.post) && pj.receptor === r)) continue;
      for (const p of g) {
        chanBase[p]![r] = channels + offsetIn[p]!;
        slots = Math.max(slots, plan.populations[p]!.ringSlots[r]!);
      }
      channels += width(g);
    }
  }
  const ring = channels > 0 ? { slots, channels } : undefined;

  // Step-block extras.
  let stepExtras = 0;
  const timedAt: { extra: number; entries: Map<number, number>; hostEvents: Map<number, number> }[] = [];
  const arrayAt: { extra: number; ranges: Map<number, [number, number]> }[] = [];

  // Batch plan inputs.
  const recorders: Recorder[] = [];
  const traceSpecs: { pop: number; count: number; interval: number }[] = [];
  plan.populations.forEach((pp, p) => {
    for (const tr of pp.traces) traceSpecs.push({ pop: p, count: tr.indices.length, interval: tr.intervalSteps });
    const rec = pp.recordSpikes;
    if (!rec) return;
    let nrec = 0;
    for (let i = 0; i < pp.size; i++) nrec += rec[i]!;
    if (nrec === 0) return;
    if (pp.kind === 'neuron') {
      const pop = net.populations[p]!;
      const model = pop.model as NeuronModel;
      if (model.spiking === false) return;
      const r = model.refractoryParam ? pop.params[model.refractoryParam]! : 0;
      let minRefr = typeof r === 'number' ? Math.round(r / dt) : Infinity;
      if (typeof r !== 'number') for (let i = 0; i < r.length; i++) minRefr = Math.min(minRefr, Math.round(r[i]! / dt));
      recorders.push({ kind: 'refractory', neurons: nrec, refractorySteps: Math.max(0, minRefr) });
    } else if (pp.kind === 'poisson') {
      const sp = pp.sourceParams!;
      let mean = 0;
      for (let j = 0; j < pp.size; j++) if (rec[j]) mean += (valueAt(sp.rate, j) * dt) / 1000;
      recorders.push({ kind: 'poisson', meanPerStep: mean });
    } else {
      const perStep = new Map<number, number>();
      pp.spikeTimes!.forEach((times, j) => {
        if (!rec[j]) return;
        for (const t of times) {
          const s = emissionStep(t, dt);
          perStep.set(s, (perStep.get(s) ?? 0) + 1);
        }
      });
      const keys = [...perStep.keys()].sort((a, b) => a - b);
      recorders.push({ kind: 'schedule', steps: Int32Array.from(keys), counts: Uint32Array.from(keys, (k) => perStep.get(k)!) });
    }
  });
  const maxBatch = Math.max(1, Math.min(opts.maxBatch ?? 1000, steps));
  const recordBudget = Math.floor(Math.min(opts.recordBudgetBytes ?? 128 * 2 ** 20, maxBinding) / 8);
  const traceBudget = Math.floor(Math.min(opts.traceBudgetBytes ?? 256 * 2 ** 20, maxBinding) / 4);
  const batch = planBatches({ steps, maxBatch, minBatch: opts.minBatch, recorders, recordBudget, traces: traceSpecs, traceBudget });
  const counters = counterLayout(maxBatch, P);
  const anyRecord = plan.populations.some((pp) => pp.recordSpikes?.some((x) => x === 1));

  // Extras are allocated before kernels are generated (every kernel declares the same step block).
  plan.populations.forEach((pp) => {
    if (pp.kind === 'neuron') {
      for (const ti of pp.timedInputs) {
        const entries = new Map<number, number>();
        const hostEvents = new Map<number, number>();
        ti.steps.forEach((s, c) => {
          entries.set(s, c);
          hostEvents.set(s, ti.indices.length * ti.counts[c]!);
        });
        timedAt.push({ extra: stepExtras++, entries, hostEvents });
      }
    } else if (pp.kind === 'array') {
      arrayAt.push({ extra: stepExtras, ranges: new Map() });
      stepExtras += 2;
    }
  });

  /** One neuron.update kernel for a group of consecutive populations (see neuron.ts), its buffers, and the first member's layout. */
  const neuronGroup = (members: number[], base: PopLayout): PopLayout => {
    const key = members[0]!;
    const first = plan.populations[key]!;
    const pop0 = net.populations[key]!;
    const model = pop0.model as NeuronModel;
    const N = width(members);
    const span = (p: number) => ({ off: offsetIn[p]!, n: plan.populations[p]!.size });
    // C: constant rows, then istim, G_gap, refractory steps, scales, masks, timed weights.
    const parts: { at: number; data: ArrayLike<number> }[] = [];
    let cSize = 0;
    const row = (data: ArrayLike<number>) => {
      const at = cSize;
      parts.push({ at, data });
      cSize += data.length;
      return at;
    };
    /** A value per member (a number or one per neuron): a literal when all members share one number, else a row. */
    const perMember = (value: (p: number) => number | ArrayLike<number>): number | { row: number } => {
      const vals = members.map(value);
      if (vals.every((v) => typeof v === 'number' && v === vals[0])) return vals[0] as number;
      const data = new Float64Array(N);
      members.forEach((p, k) => {
        const { off, n } = span(p);
        const v = vals[k]!;
        if (typeof v === 'number') data.fill(v, off, off + n);
        else for (let i = 0; i < n; i++) data[off + i] = v[i]!;
      });
      return { row: row(data) };
    };
    const constants: Record<string, number | { row: number }> = {};
    for (const name of Object.keys(first.constants!)) {
      if (name.startsWith('__')) continue;
      constants[name] = perMember((p) => {
        const c = plan.populations[p]!.constants![name]!;
        return c === 'array' ? (plan.populations[p]!.arrays[`c_${name}`] as Float64Array) : c;
      });
    }
    const istimAt = members.some((p) => plan.populations[p]!.currentEvents.length > 0) ? row(new Float64Array(N)) : undefined;
    const gapRow = first.continuousInputs.includes('gap') ? (perMember((p) => plan.populations[p]!.arrays.c_G_gap as Float64Array) as { row: number }).row : undefined;
    const refractory = perMember((p) => {
      const r = model.refractoryParam ? net.populations[p]!.params[model.refractoryParam]! : 0;
      return typeof r === 'number' ? Math.round(r / dt) : Array.from(r, (x) => Math.round(x / dt));
    });
    const rows = stateRows(model, refractory !== 0);
    const recorded = members.map((p) => plan.populations[p]!.recordSpikes);
    const nrec = recorded.map((r) => (r ? r.reduce((a, x) => a + x, 0) : 0));
    const record: 'none' | 'all' | { row: number } = nrec.every((x) => x === 0)
      ? 'none'
      : members.every((p, k) => nrec[k] === plan.populations[p]!.size)
        ? 'all'
        : (perMember((p) => plan.populations[p]!.recordSpikes ?? 0) as { row: number });
    const receptors: DrainReceptor[] = Object.keys(first.ringSlots).map((r) => ({
      receptor: r,
      ...(chanBase[key]![r] !== undefined ? { channel: chanBase[key]![r]!, invScale: perMember((p) => 1 / fp.scales[p]![r]!) } : {}),
      timed: [],
      poisson: [],
    }));
    for (const p of members) {
      const pp = plan.populations[p]!;
      const { off, n } = span(p);
      for (const ti of pp.timedInputs) {
        const mask = new Float32Array(N);
        for (const i of ti.indices) mask[off + i]! += 1;
        const t = timedAt[timedIndex++]!;
        receptors.find((x) => x.receptor === ti.receptor)!.timed.push({ extra: t.extra, weights: row(ti.weights), mask: row(mask) });
      }
      for (const st of pp.poissonStims) {
        if (!(st.rate > 0)) continue;
        let from = 0;
        while (from < steps && from * dt < st.start - 1e-9) from++;
        let to = from;
        while (to < steps && to * dt < st.stop - 1e-9) to++;
        if (to <= from) continue;
        const lambda = Math.fround((st.rate * dt) / 1000);
        let mask: number | undefined;
        if (st.indices.length !== n) {
          const m = new Float32Array(N);
          for (const i of st.indices) m[off + i] = 1;
          mask = row(m);
        }
        receptors.find((x) => x.receptor === st.receptor)!.poisson.push({
          key: poissonStimulusKey(plan.seed, st.label),
          lambda,
          p0: poissonP0(lambda),
          from,
          to,
          weight: st.weight,
          first: off,
          count: n,
          checkRange: members.length > 1,
          ...(mask !== undefined ? { mask } : {}),
        });
      }
    }
    const ginRows = first.continuousInputs;
    const graded = ginRows.filter((r) => r !== 'gap').map((r) => ({ receptor: r, ginRow: ginRows.indexOf(r) }));
    const gap = gapRow !== undefined ? { gRow: gapRow, ginRow: ginRows.indexOf('gap') } : undefined;
    const layout = neuronUpdateKernel({
      model,
      method: pop0.method,
      members: members.map((p) => ({ pop: p, label: plan.populations[p]!.label, offset: offsetIn[p]!, n: plan.populations[p]!.size })),
      n: N,
      gid0: gid0[key]!,
      key,
      stepExtras,
      counters,
      list: members.some((p) => projects[p]),
      listCapacity,
      recordCapacity: batch.recordCapacity,
      dt,
      constants,
      ...(istimAt !== undefined ? { istim: istimAt } : {}),
      graded,
      ...(gap ? { gap } : {}),
      refractory,
      receptors,
      ringChannels: channels,
      record,
    });
    const init: { at: number; data: ArrayLike<number> }[] = [];
    rows.forEach((r, k) => {
      if (r === 'refr' || r === 'spike') return;
      for (const p of members) init.push({ at: k * N + offsetIn[p]!, data: plan.populations[p]!.arrays[`s_${r}`] as Float64Array });
    });
    addBuffer({ id: `state:${key}`, bytes: bytesOf(rows.length * N), init: rowsOf(init, rows.length * N), hostWrites: true, readback: true });
    if (layout.kernel.bindings.some((b) => b.buffer === `const:${key}`)) addBuffer({ id: `const:${key}`, bytes: bytesOf(cSize), init: rowsOf(parts, cSize), hostWrites: true });
    if (ginRows.length > 0) addBuffer({ id: `gin:${key}`, bytes: bytesOf(ginRows.length * N) });
    kernels.push(layout.kernel);
    return {
      ...base,
      kernel: kernels.length - 1,
      groups: dispatchSize(N, layout.kernel.workgroupSize),
      group: key,
      offset: 0,
      width: N,
      members,
      rows,
      ...(istimAt !== undefined ? { istimAt } : {}),
    };
  };

  let timedIndex = 0;
  let arrayIndex = 0;
  const pops: PopLayout[] = [];
  plan.populations.forEach((pp, p) => {
    const base: PopLayout = { label: pp.label, kind: pp.kind, n: pp.size, gid0: gid0[p]!, traces: [] };
    const rec = pp.recordSpikes;
    const nrec = rec ? rec.reduce((s, x) => s + x, 0) : 0;
    const recordMode: 'none' | 'all' | 'mask' = nrec === 0 ? 'none' : nrec === pp.size ? 'all' : 'mask';
    const common = { pop: p, n: pp.size, gid0: gid0[p]!, stepExtras, counters, list: projects[p]!, listCapacity, recordCapacity: batch.recordCapacity };
    if (pp.kind === 'neuron') {
      const members = groups[groupOf[p]!]!;
      const key = members[0]!;
      const N = width(members);
      const offset = offsetIn[p]!;
      if (key !== p) {
        const first = pops[key]!;
        pops.push({ ...base, group: key, offset, width: N, rows: first.rows!, ...(first.istimAt !== undefined ? { istimAt: first.istimAt + offset } : {}) });
        return;
      }
      pops.push(neuronGroup(members, base));
      return;
    }
    if (pp.kind === 'poisson') {
      const sp = pp.sourceParams!;
      const n = pp.size;
      const lambda = new Float32Array(n);
      const p0 = new Float32Array(n);
      const start = new Uint32Array(n);
      const stop = new Uint32Array(n);
      for (let j = 0; j < n; j++) {
        lambda[j] = (valueAt(sp.rate, j) * dt) / 1000;
        p0[j] = poissonP0(lambda[j]!);
        start[j] = Math.max(0, Math.round(valueAt(sp.start, j) / dt));
        stop[j] = Math.max(0, Math.min(steps, Math.round(valueAt(sp.stop, j) / dt)));
      }
      const uniform = (a: ArrayLike<number>) => {
        for (let j = 1; j < a.length; j++) if (a[j] !== a[0]) return false;
        return a.length > 0;
      };
      const words: Uint32Array[] = [];
      let size = 0;
      const field = (a: Float32Array | Uint32Array, isFloat: boolean): number | { row: number } => {
        if (uniform(a)) return a[0]!;
        const u = isFloat ? new Uint32Array(a.buffer, a.byteOffset, a.length) : (a as Uint32Array);
        words.push(u);
        const at = size;
        size += n;
        return { row: at };
      };
      const fLambda = field(lambda, true);
      const fP0 = field(p0, true);
      const fStart = field(start, false);
      const fStop = field(stop, false);
      let record: 'none' | 'all' | { row: number } = recordMode === 'none' ? 'none' : 'all';
      if (recordMode === 'mask') {
        words.push(Uint32Array.from(rec!));
        record = { row: size };
        size += n;
      }
      const kernel = poissonSourceKernel({ label: pp.label, ...common, key: poissonSourceKey(plan.seed, pp.label), lambda: fLambda, p0: fP0, start: fStart, stop: fStop, record });
      if (kernel.bindings.some((b) => b.buffer === `srcparam:${p}`)) {
        addBuffer({
          id: `srcparam:${p}`,
          bytes: bytesOf(size),
          init: (buf) => {
            const u = new Uint32Array(buf, 0, size);
            words.forEach((w, k) => u.set(w, k * n));
          },
        });
      }
      kernels.push(kernel);
      pops.push({ ...base, kernel: kernels.length - 1, groups: dispatchSize(n, kernel.workgroupSize) });
      return;
    }
    // Spike array source: (step, index) pairs merged into multiplicities, sorted by step then index.
    const pairs: [number, number][] = [];
    pp.spikeTimes!.forEach((times, j) => times.forEach((t) => pairs.push([emissionStep(t, dt), j])));
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const entries: number[] = [];
    const ranges = arrayAt[arrayIndex++]!;
    let k = 0;
    while (k < pairs.length) {
      const s = pairs[k]![0];
      const from = entries.length / 2;
      while (k < pairs.length && pairs[k]![0] === s) {
        const j = pairs[k]![1];
        let m = 0;
        while (k < pairs.length && pairs[k]![0] === s && pairs[k]![1] === j) {
          m++;
          k++;
        }
        entries.push(j, (m | ((rec?.[j] ?? 0) ? 0x80000000 : 0)) >>> 0);
      }
      if (s < steps) ranges.ranges.set(s, [from, entries.length / 2]);
    }
    const kernel = arraySourceKernel({ label: pp.label, ...common, extraFrom: ranges.extra, extraTo: ranges.extra + 1, record: recordMode !== 'none' });
    addBuffer({ id: `sched:${p}`, bytes: bytesOf(entries.length), init: (buf) => new Uint32Array(buf, 0, entries.length).set(entries) });
    kernels.push(kernel);
    pops.push({ ...base, kernel: kernels.length - 1, arrayExtras: [ranges.extra, ranges.extra + 1], arraySteps: ranges.ranges });
  });

  // Traces.
  const traces: TraceLayout[] = [];
  let tidx = 0;
  let tregion = 0;
  const tidxParts: { at: number; data: Uint32Array }[] = [];
  let traceNo = 0;
  plan.populations.forEach((pp, p) => {
    pp.traces.forEach((tr) => {
      const slots = batch.traceSlots[traceNo++]!;
      const pl = pops[p]!;
      const kernel = traceKernel({ label: `${pp.label}.${tr.variable}`, index: traces.length, pop: pl.group!, width: pl.width!, offset: pl.offset!, row: pl.rows!.indexOf(tr.variable), indicesAt: tidx, count: tr.indices.length, interval: tr.intervalSteps, regionAt: tregion, slots, stepExtras });
      kernels.push(kernel);
      pops[p]!.traces.push(traces.length);
      traces.push({ pop: p, kernel: kernels.length - 1, groups: dispatchSize(tr.indices.length, kernel.workgroupSize), interval: tr.intervalSteps, count: tr.indices.length, regionAt: tregion, slots });
      tidxParts.push({ at: tidx, data: tr.indices });
      tidx += tr.indices.length;
      tregion += slots * tr.indices.length;
    });
  });
  if (traces.length > 0) {
    addBuffer({ id: 'tidx', bytes: bytesOf(tidx), init: (buf) => tidxParts.forEach((x) => new Uint32Array(buf, 0, tidx).set(x.data, x.at)) });
    addBuffer({ id: 'trace', bytes: bytesOf(tregion), readback: true });
  }

  // Spike delivery: the merged CSR in segments.
  const deliveries: { kernel: number; groups: [number, number] }[] = [];
  let synapses = 0;
  let encoding = { delays: 'none', weights: 'none', segments: 0 };
  if (ring && fp.projections.some((pj) => pj.targets.length > 0)) {
    const popOf = new Int32Array(totalGids);
    plan.populations.forEach((pp, p) => popOf.fill(p, gid0[p]!, gid0[p]! + pp.size));
    const rowLength = (g: number) => {
      const p = popOf[g]!;
      const j = g - gid0[p]!;
      let len = 0;
      for (const pj of outgoing[p]!) len += pj.rowPtr[j + 1]! - pj.rowPtr[j]!;
      return len;
    };
    let maxDelay = 1;
    const delayValues = new Set<number>();
    const weightValues = new Set<number>();
    for (const pj of fp.projections) {
      if (typeof pj.delays === 'number') {
        delayValues.add(pj.delays);
        maxDelay = Math.max(maxDelay, pj.delays);
      } else {
        for (let s = 0; s < pj.delays.length; s++) {
          maxDelay = Math.max(maxDelay, pj.delays[s]!);
          if (delayValues.size < 2) delayValues.add(pj.delays[s]!);
        }
      }
      if (typeof pj.weights === 'number') weightValues.add(weightUnits(pj.weights, pj.scale));
      else weightValues.add(NaN);
    }
    if (maxDelay >= slots) throw new SimulationError(`gpu engine (webgpu): a delay of ${maxDelay} steps does not fit the ring of ${slots} slots`, { object: 'network' });
    const delays = opts.perSynapseArrays ? ({ kind: 'array' } as const) : synapseEncoding(channels, maxDelay, delayValues.size === 1 ? [...delayValues][0] : undefined);
    const uniformWeight = weightValues.size === 1 && !weightValues.has(NaN) && !opts.perSynapseArrays ? [...weightValues][0]! : undefined;
    const weights = uniformWeight !== undefined ? { kind: 'uniform' as const, units: uniformWeight } : { kind: 'array' as const };
    const maxSynapses = Math.floor(Math.min(maxBinding, opts.segmentBytes ?? maxBinding) / 4);
    const segments = splitSegments(rowLength, totalGids, maxSynapses);
    // Threads per spike from the mean row length of neurons that project.
    synapses = segments.reduce((s, g) => s + g.synapses, 0);
    const mean = synapses / listCapacity;
    const wg = mean <= 48 ? 32 : mean <= 160 ? 64 : mean <= 640 ? 128 : 256;
    const groups = Math.max(1, Math.min(opts.deliverGroups ?? 1024, listCapacity, 65535));
    encoding = { delays: delays.kind, weights: weights.kind, segments: segments.length };
    segments.forEach((seg, s) => {
      const fill = (rowPtr: Uint32Array, syn: Uint32Array, w?: Int32Array, d?: Uint32Array) => {
        let q = 0;
        for (let g = seg.gidFrom; g < seg.gidTo; g++) {
          rowPtr[g - seg.gidFrom] = q;
          const p = popOf[g]!;
          const j = g - gid0[p]!;
          for (const pj of outgoing[p]!) {
            const base = chanBase[pj.post]![pj.receptor]!;
            const a = pj.rowPtr[j]!;
            const b = pj.rowPtr[j + 1]!;
            const uw = typeof pj.weights === 'number' ? weightUnits(pj.weights, pj.scale) : 0;
            for (let k = a; k < b; k++) {
              const dl = typeof pj.delays === 'number' ? pj.delays : pj.delays[k]!;
              syn[q] = delays.kind === 'packed' ? (base + pj.targets[k]! + dl * 2 ** delays.channelBits) >>> 0 : base + pj.targets[k]!;
              if (w) w[q] = typeof pj.weights === 'number' ? uw : weightUnits(pj.weights[k]!, pj.scale);
              if (d) d[q] = dl;
              q++;
            }
          }
        }
        rowPtr[seg.gidTo - seg.gidFrom] = q;
      };
      // Filled once, when the engine creates the buffers: each init fills its own array.
      const rowsN = seg.gidTo - seg.gidFrom + 1;
      let pending: { rowPtr?: Uint32Array; syn?: Uint32Array; w?: Int32Array; d?: Uint32Array } = {};
      const tryFill = () => {
        if (pending.rowPtr && pending.syn && (weights.kind === 'uniform' || pending.w) && (delays.kind !== 'array' || pending.d)) {
          fill(pending.rowPtr, pending.syn, pending.w, pending.d);
          pending = {};
        }
      };
      addBuffer({ id: `rowptr:${s}`, bytes: bytesOf(rowsN), init: (buf) => ((pending.rowPtr = new Uint32Array(buf, 0, rowsN)), tryFill()) });
      addBuffer({ id: `syn:${s}`, bytes: bytesOf(seg.synapses), init: (buf) => ((pending.syn = new Uint32Array(buf, 0, seg.synapses)), tryFill()) });
      if (weights.kind === 'array') addBuffer({ id: `weight:${s}`, bytes: bytesOf(seg.synapses), init: (buf) => ((pending.w = new Int32Array(buf, 0, seg.synapses)), tryFill()) });
      if (delays.kind === 'array') addBuffer({ id: `delay:${s}`, bytes: bytesOf(seg.synapses), init: (buf) => ((pending.d = new Uint32Array(buf, 0, seg.synapses)), tryFill()) });
      kernels.push(deliverKernel({ segment: s, gidFrom: seg.gidFrom, gidTo: seg.gidTo, ringSlots: slots, ringChannels: channels, delays, weights, stepExtras, counters, listCapacity, workgroupSize: wg }));
      deliveries.push({ kernel: kernels.length - 1, groups: [groups, 1] });
    });
  }

  // Graded synapses and gap junctions.
  const gathers: { kernel: number; groups: [number, number] }[] = [];
  plan.graded.forEach((g, k) => {
    const post = plan.populations[g.post]!;
    const full = expandColumns(g, post.size);
    const nnz = full.sources.length;
    const gfParts: { at: number; data: Float64Array }[] = [];
    let gfSize = 0;
    const val = (key: string): number | { row: number } => {
      if (g.arrays[key]) {
        gfParts.push({ at: gfSize, data: g.arrays[key]! });
        gfSize += nnz;
        return { row: gfSize - nnz };
      }
      return g.scalars[key]!;
    };
    const weight = val('W');
    const sigmoid = g.sigmoid ? { mu: val('MU'), slope: val('SL') } : undefined;
    const pre = pops[g.pre]!;
    const postL = pops[g.post]!;
    const kernel = gatherKernel({
      label: g.label,
      index: k,
      pre: pre.group!,
      post: postL.group!,
      nPre: plan.populations[g.pre]!.size,
      nPost: post.size,
      widthPre: pre.width!,
      widthPost: postL.width!,
      offsetPre: pre.offset!,
      offsetPost: postL.offset!,
      preRow: pre.rows!.indexOf(g.variable),
      ginRow: post.continuousInputs.indexOf(g.input.slice(4)),
      assign: g.assign,
      weight,
      ...(sigmoid ? { sigmoid } : {}),
      sourcesAt: post.size + 1,
      stepExtras,
    });
    const idxSize = post.size + 1 + nnz;
    addBuffer({
      id: `gidx:${k}`,
      bytes: bytesOf(idxSize),
      init: (buf) => {
        const u = new Uint32Array(buf, 0, idxSize);
        u.set(full.colPtr);
        u.set(full.sources, post.size + 1);
      },
    });
    if (gfSize > 0) addBuffer({ id: `gf:${k}`, bytes: bytesOf(gfSize), init: rowsOf(gfParts, gfSize) });
    kernels.push(kernel);
    gathers.push({ kernel: kernels.length - 1, groups: dispatchSize(post.size, kernel.workgroupSize) });
  });

  // Shared buffers.
  if (ring) addBuffer({ id: 'ring', bytes: bytesOf(ring.slots * ring.channels) });
  if (kernels.some((k) => k.bindings.some((b) => b.buffer === 'list'))) addBuffer({ id: 'list', bytes: bytesOf(listCapacity * 2) });
  addBuffer({ id: 'cnt', bytes: bytesOf(counters.words), readback: true });
  if (anyRecord) addBuffer({ id: 'rec', bytes: bytesOf(batch.recordCapacity * 2), readback: true });

  const extrasAt = (n: number): Uint32Array | undefined => {
    if (stepExtras === 0) return undefined;
    const x = new Uint32Array(stepExtras);
    for (const t of timedAt) x[t.extra] = t.entries.get(n) ?? NONE;
    for (const a of arrayAt) {
      const r = a.ranges.get(n);
      x[a.extra] = r ? r[0] : 0;
      x[a.extra + 1] = r ? r[1] : 0;
    }
    return x;
  };
  const hostEventsAt = (n: number) => timedAt.reduce((s, t) => s + (t.hostEvents.get(n) ?? 0), 0);
  return { kernels, buffers, counters, stepExtras, ...(ring ? { ring } : {}), channelBase: chanBase, pops, traces, deliveries, gathers, batch, maxBatch, listCapacity, totalGids, extrasAt, hostEventsAt, synapses, encoding };
}

/** The full CSC (one column per postsynaptic neuron) of a gather whose empty columns were dropped. */
export function expandColumns(g: GradedPlan, nPost: number): { colPtr: Int32Array; sources: Int32Array } {
  const colPtr = new Int32Array(nPost + 1);
  for (let c = 0; c < g.cols.length; c++) colPtr[g.cols[c]! + 1] = g.colPtr[c + 1]! - g.colPtr[c]!;
  for (let i = 0; i < nPost; i++) colPtr[i + 1] += colPtr[i]!;
  return { colPtr, sources: Int32Array.from(g.sources) };
}
