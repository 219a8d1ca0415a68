/**
 * The clock engine's step loop, run by every worker (the main thread is worker 0).
 * Worker w updates its own slice of every population, then, after the one barrier
 * of the step, delivers every population's spikes to the synapses whose targets it
 * owns. Each target therefore receives its inputs in the same order (emission step,
 * projection, presynaptic index) for any number of workers, so results are
 * byte-identical across thread counts. Spike lists are double-buffered by step
 * parity, which makes one barrier per step sufficient (benchmarks.md §5.6).
 */
import { SimulationError } from '../../errors.js';
import { hashString, RngBank } from '../../util/rng.js';
import { instantiate } from './codegen.js';
import { instantiateGathers } from './wasm-gather.js';
import { instantiateKernels, wasmEnd } from './wasm-place.js';
import { TINY, type TickDeliver, type TickFlush, type TickNeurons } from './wasm-tick.js';
import { applyEquilibrium, assertCapacity, emissionStep, type ClockPlan, type PopulationPlan } from './plan.js';

type NeuronStep = (lo: number, hi: number, slot: number, spk: Uint32Array, obase: number, ns0: number, n: number) => number;
type Gather = (obase: number, lo: number, hi: number) => void;
type Deliver = (spikes: Uint32Array, count: number, start: Uint32Array, end: Uint32Array, step: number) => number;

export interface WorkerResult {
  /** Per population: recorded spikes as (step, index) pairs, ordered by step then index. */
  spikeSteps: Uint32Array[];
  spikeIndices: Uint32Array[];
  /** Per population: all spikes of this worker's neurons. */
  counts: number[];
  /** Per population: spikes per rate bin (empty when no rate is recorded). */
  rateCounts: Float64Array[];
  events: number;
}

class GrowList {
  data = new Uint32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  toArray(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

const SPINS_BEFORE_WAIT = 20000;

/** One barrier per step: spin briefly, then block (never a pure spin on a shared VM). */
function makeBarrier(ctl: Int32Array, threads: number): () => void {
  return () => {
    const gen = Atomics.load(ctl, 1);
    if (Atomics.add(ctl, 0, 1) === threads - 1) {
      Atomics.store(ctl, 0, 0);
      Atomics.add(ctl, 1, 1);
      Atomics.notify(ctl, 1);
      return;
    }
    let spins = 0;
    while (Atomics.load(ctl, 1) === gen) {
      if (Atomics.load(ctl, 2) !== 0) throw new SimulationError('another worker failed; run aborted');
      if (++spins > SPINS_BEFORE_WAIT) Atomics.wait(ctl, 1, gen, 20);
    }
  };
}

/** Tells the other workers to stop waiting at the barrier. */
export function abortRun(plan: ClockPlan): void {
  Atomics.store(plan.control, 2, 1);
  Atomics.notify(plan.control, 1);
}

function lowerBound(a: Uint32Array, from: number, to: number, x: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Positions of a sorted index list that fall in [lo, hi). */
function slice(indices: Uint32Array, lo: number, hi: number): [number, number] {
  return [lowerBound(indices, 0, indices.length, lo), lowerBound(indices, 0, indices.length, hi)];
}

interface PopState {
  plan: PopulationPlan;
  lo: number;
  /** Neurons lo..mid−1 run in WebAssembly (tick.neurons), mid..hi−1 in JavaScript. */
  mid: number;
  hi: number;
  /** Element offset of this step's ring slot. */
  slot: number;
  step?: NeuronStep;
  ringLen: number;
  rings: Record<string, Float64Array>;
  nextEvent: number;
  poisson: { plan: PopulationPlan['poissonStims'][number]; from: number; to: number; bank: RngBank; next: Float64Array; ring: Float64Array; mean: number }[];
  timed: { steps: Int32Array; weights: Float64Array; counts: Int32Array; from: number; to: number; indices: Uint32Array; ring: Float64Array; cursor: number }[];
  traces: { data: Float64Array; state: Float64Array; indices: Uint32Array; from: number; to: number; iv: number; nIdx: number }[];
  // Poisson source: per-neuron streams and next spike time; array source: emission steps and cursor.
  srcBank?: RngBank;
  srcNext?: Float64Array;
  srcMean?: Float64Array;
  srcStop?: Float64Array;
  srcSteps?: Int32Array[];
  srcCursor?: Int32Array;
  /** State arrays of the variables that decay towards 0 (flushed below 1e-200). */
  decaying: Float64Array[];
  recSteps: GrowList;
  recIdx: GrowList;
  count: number;
  rateCounts: Float64Array;
}

/**
 * Worker w's part of the run in two phases: preparing (kernel instantiation, WebAssembly
 * compilation, per-population and per-projection set-up, counted as build time) returns
 * the step loop itself (the simulation time, as Brian2's `last_run_time`).
 */
export function prepareWorker(plan: ClockPlan, w: number): (onProgress?: (fraction: number) => void) => WorkerResult {
  const { dt, steps, threads: T, seed } = plan;
  const kernels = plan.kernelWasm ? instantiateKernels(plan.kernelWasm) : {};
  // The WebAssembly kernels of this worker's step, three calls in all (wasm-tick.ts).
  const tick = plan.kernelWasm
    ? { neurons: kernels[`tickNeurons${w}`] as TickNeurons, deliver: kernels[`tickDeliver${w}`] as TickDeliver, flush: kernels[`tickFlush${w}`] as TickFlush }
    : undefined;
  const pops: PopState[] = plan.populations.map((pp) => initPopulation(pp, w, dt, seed, plan.steps));
  const projs = plan.projections.map((pj) => {
    // A projection delivers into its receptor's ring, or its own shift channel (Lava weight_exp, plan.ts).
    const arrays = { targets: pj.targets, ring: plan.populations[pj.post]!.arrays[`in_${pj.channel ?? pj.receptor}`], weights: pj.weights, delays: pj.delays };
    // A WebAssembly projection is delivered by tick.deliver.
    const deliver = pj.wasmDeliver ? undefined : instantiate<Deliver>(pj.kernelSource, arrays);
    const nPre = plan.populations[pj.pre]!.size;
    let start: Uint32Array;
    let end: Uint32Array;
    if (T === 1) {
      start = pj.rowPtr.subarray(0, nPre);
      end = pj.rowPtr.subarray(1);
    } else {
      // This worker's slice of each (target-sorted) row.
      const b = plan.populations[pj.post]!.bounds;
      start = pj.workerStart?.[w] ?? new Uint32Array(nPre);
      end = pj.workerEnd?.[w] ?? new Uint32Array(nPre);
      for (let j = 0; j < nPre; j++) {
        const a = pj.rowPtr[j]!;
        const z = pj.rowPtr[j + 1]!;
        start[j] = lowerBound(pj.targets, a, z, b[w]!);
        end[j] = lowerBound(pj.targets, start[j]!, z, b[w + 1]!);
      }
    }
    return { deliver, pre: pj.pre, start, end };
  });
  const barrier = T > 1 ? makeBarrier(plan.control, T) : () => {};
  const wasm = plan.gatherWasm ? instantiateGathers(plan.gatherWasm.bytes, plan.gatherWasm.memory) : undefined;
  const graded = plan.graded.map((g) => {
    const pre = plan.populations[g.pre]!;
    const post = plan.populations[g.post]!;
    const gather: Gather = g.wasmExport
      ? wasm![g.wasmExport]!
      : instantiate<Gather>(g.kernelSource, { cols: g.cols, colPtr: g.colPtr, sources: g.sources, gin: post.arrays[g.input], out: pre.arrays[`out_${g.variable}`], ...g.arrays });
    // This worker's columns: those of the postsynaptic neurons it owns.
    const [lo, hi] = slice(g.cols, post.bounds[w]!, post.bounds[w + 1]!);
    return { gather, preSize: pre.size, lo, hi };
  });
  const inPlace = plan.outputsInPlace;
  const deliverContinuous = (par: number) => {
    for (const g of graded) g.gather(inPlace ? 0 : par * g.preSize, g.lo, g.hi);
  };
  return loop;

  function loop(onProgress?: (fraction: number) => void): WorkerResult {
    if (graded.length > 0) {
      // The inputs of step 0 come from the initial state, published as if by step −1 (parity 1).
      for (const ps of inPlace ? [] : pops) {
        for (const v of ps.plan.outputs) {
          const out = ps.plan.arrays[`out_${v}`] as Float64Array;
          const st = ps.plan.arrays[`s_${v}`] as Float64Array;
          for (let i = ps.lo; i < ps.hi; i++) out[ps.plan.size + i] = st[i]!;
        }
      }
      barrier();
      deliverContinuous(1);
    }
    const counts = plan.spikeCounts;
    let events = 0;
    let nextReport = 0;

    for (let n = 0; n < steps; n++) {
      const par = n & 1;
      const tEnd = (n + 1) * dt;
      if (plan.equilibrium) {
        // A stimulus change moves the equilibrium (Kunert threshold) of every coupled neuron.
        let changed = false;
        for (const p of plan.equilibrium.pops) if (applyCurrentEvents(pops[p]!, n)) changed = true;
        if (changed) applyEquilibrium(plan);
      }
      // Inputs and traces of every population, then its kernel: each touches only its own
      // population, so running all WebAssembly kernels in one call keeps the results.
      for (const ps of pops) {
        if (ps.plan.kind !== 'neuron') continue;
        ps.slot = ps.ringLen > 0 ? (n % ps.ringLen) * ps.plan.size : 0;
        events += applyInputs(ps, n, ps.slot, tEnd);
        for (const tr of ps.traces) {
          if (n % tr.iv !== 0) continue;
          const base = (n / tr.iv) * tr.nIdx;
          for (let k = tr.from; k < tr.to; k++) tr.data[base + k] = tr.state[tr.indices[k]!]!;
        }
      }
      if (tick) tick.neurons(n, par);
      for (let p = 0; p < pops.length; p++) {
        const ps = pops[p]!;
        const pp = ps.plan;
        const spk = plan.spikeLists[p]![w]![par]!;
        let ns: number;
        if (pp.kind === 'neuron') {
          // Neurons lo..mid−1 ran in WebAssembly (their spikes first in the list), the rest run here.
          ns = ps.mid > ps.lo ? counts[(p * T + w) * 2 + par]! : 0;
          if (ps.mid < ps.hi) ns = ps.step!(ps.mid, ps.hi, ps.slot, spk, par * pp.size, ns, n);
        } else if (pp.kind === 'poisson') {
          ns = 0;
          const next = ps.srcNext!;
          for (let j = ps.lo; j < ps.hi; j++) {
            let t = next[j - ps.lo]!;
            while (t <= tEnd) {
              if (ns < spk.length) spk[ns] = j;
              ns++;
              t += ps.srcBank!.exponential(j - ps.lo, ps.srcMean![j - ps.lo]!);
              if (t >= ps.srcStop![j - ps.lo]!) t = Infinity;
            }
            next[j - ps.lo] = t;
          }
          assertCapacity(ns, spk.length, pp.label);
        } else {
          ns = 0;
          const cur = ps.srcCursor!;
          for (let j = ps.lo; j < ps.hi; j++) {
            const st = ps.srcSteps![j - ps.lo]!;
            let c = cur[j - ps.lo]!;
            while (c < st.length && st[c] === n) {
              if (ns < spk.length) spk[ns] = j;
              ns++;
              c++;
            }
            cur[j - ps.lo] = c;
          }
          assertCapacity(ns, spk.length, pp.label);
        }
        counts[(p * T + w) * 2 + par] = ns;
        ps.count += ns;
        if (ns > 0) recordSpikes(ps, spk, ns, n, tEnd);
      }
      barrier();
      // Projections into different rings: the WebAssembly ones (into compiled populations) and the rest in any order.
      if (tick) events += tick.deliver(n, par);
      for (let k = 0; k < projs.length; k++) {
        const pj = projs[k]!;
        if (!pj.deliver) continue;
        const lists = plan.spikeLists[pj.pre]!;
        for (let u = 0; u < T; u++) {
          const c = counts[(pj.pre * T + u) * 2 + par]!;
          if (c > 0) events += pj.deliver(lists[u]![par]!, c, pj.start, pj.end, n);
        }
      }
      if (graded.length > 0) deliverContinuous(par);
      if ((n & FLUSH_MASK) === FLUSH_MASK) {
        if (tick) tick.flush();
        for (const ps of pops) flushTiny(ps);
      }
      if (onProgress && n >= nextReport) {
        onProgress(n / steps);
        nextReport = n + Math.max(1, Math.floor(steps / 200));
      }
    }
    onProgress?.(1);
    return {
      spikeSteps: pops.map((ps) => ps.recSteps.toArray()),
      spikeIndices: pops.map((ps) => ps.recIdx.toArray()),
      counts: pops.map((ps) => ps.count),
      rateCounts: pops.map((ps) => ps.rateCounts),
      events,
    };
  }
}

/**
 * Every 64 steps, decaying synaptic variables below 1e-200 are set to 0: a silent
 * neuron's currents would otherwise become subnormal after a few thousand steps and
 * slow every operation on them by about 100× (JS has no flush-to-zero mode). 64
 * steps keep a margin of 108 decades for per-step decay factors down to 0.02.
 */
const FLUSH_MASK = 63;

/** Flushes the neurons the JavaScript kernel runs (mid..hi−1); tick.flush does lo..mid−1. */
function flushTiny(ps: PopState): void {
  for (const a of ps.decaying) {
    for (let i = ps.mid; i < ps.hi; i++) {
      const x = a[i]!;
      if (x < TINY && x > -TINY) a[i] = 0;
    }
  }
}

function recordSpikes(ps: PopState, spk: Uint32Array, ns: number, n: number, tEnd: number): void {
  const mask = ps.plan.recordSpikes;
  if (mask) {
    for (let k = 0; k < ns; k++) {
      const j = spk[k]!;
      if (mask[j]) {
        ps.recSteps.push(n);
        ps.recIdx.push(j);
      }
    }
  }
  if (ps.plan.rateBin !== undefined) {
    const b = Math.min(ps.rateCounts.length - 1, Math.floor(tEnd / ps.plan.rateBin + 1e-9));
    ps.rateCounts[b] = ps.rateCounts[b]! + ns;
  }
}

/** DC/step current changes due by step n; true when there were any. */
function applyCurrentEvents(ps: PopState, n: number): boolean {
  const pp = ps.plan;
  const istim = pp.arrays.istim as Float64Array | undefined;
  const before = ps.nextEvent;
  while (ps.nextEvent < pp.currentEvents.length && pp.currentEvents[ps.nextEvent]!.step <= n) {
    const ev = pp.currentEvents[ps.nextEvent++]!;
    const [a, b] = slice(ev.indices, ps.lo, ps.hi);
    for (let k = a; k < b; k++) istim![ev.indices[k]!] += ev.delta;
  }
  return ps.nextEvent > before;
}

/** DC/step currents, Poisson and timed inputs of step n for this worker's neurons. */
function applyInputs(ps: PopState, n: number, slot: number, tEnd: number): number {
  const pp = ps.plan;
  let events = 0;
  applyCurrentEvents(ps, n);
  for (const st of ps.poisson) {
    const { next, bank, ring, mean, from, to } = st;
    const weight = st.plan.weight;
    const stop = st.plan.stop;
    for (let k = from; k < to; k++) {
      let t = next[k - from]!;
      if (t > tEnd) continue;
      const i = st.plan.indices[k]!;
      while (t <= tEnd) {
        ring[slot + i] += weight;
        events++;
        t += bank.exponential(k - from, mean);
        if (t >= stop) t = Infinity;
      }
      next[k - from] = t;
    }
  }
  for (const ti of ps.timed) {
    while (ti.cursor < ti.steps.length && ti.steps[ti.cursor]! < n) ti.cursor++;
    if (ti.cursor < ti.steps.length && ti.steps[ti.cursor] === n) {
      const w = ti.weights[ti.cursor]!;
      for (let k = ti.from; k < ti.to; k++) ti.ring[slot + ti.indices[k]!] += w;
      events += (ti.to - ti.from) * ti.counts[ti.cursor]!;
    }
  }
  return events;
}

function initPopulation(pp: PopulationPlan, w: number, dt: number, seed: number, steps: number): PopState {
  const lo = pp.bounds[w]!;
  const hi = pp.bounds[w + 1]!;
  const rings: Record<string, Float64Array> = {};
  for (const r of Object.keys(pp.ringSlots)) rings[r] = pp.arrays[`in_${r}`] as Float64Array;
  const ringLen = Math.max(0, ...Object.values(pp.ringSlots));
  const ps: PopState = {
    plan: pp,
    lo,
    mid: lo,
    hi,
    slot: 0,
    ringLen,
    rings,
    nextEvent: 0,
    poisson: [],
    timed: [],
    traces: [],
    decaying: (pp.decaysToZero ?? []).map((v) => pp.arrays[`s_${v}`] as Float64Array),
    recSteps: new GrowList(),
    recIdx: new GrowList(),
    count: 0,
    rateCounts: new Float64Array(pp.rateBin !== undefined ? Math.max(1, Math.ceil((steps * dt) / pp.rateBin - 1e-9)) : 0),
  };
  if (pp.kind === 'neuron') {
    const js = instantiate<NeuronStep>(pp.kernelSource!, pp.arrays);
    ps.step = js;
    if (pp.wasmKernel) ps.mid = wasmEnd(lo, hi);
    for (const st of pp.poissonStims) {
      const [from, to] = slice(st.indices, lo, hi);
      const bank = new RngBank(to - from);
      const next = new Float64Array(to - from);
      const mean = st.rate > 0 ? 1000 / st.rate : Infinity;
      const purpose = hashString('poisson-stimulus');
      const label = hashString(st.label);
      for (let k = from; k < to; k++) {
        // One stream per (stimulus, target): independent of which worker owns the target.
        bank.seedHashed(k - from, seed, purpose, label, st.indices[k]!);
        const t = mean === Infinity ? Infinity : st.start + bank.exponential(k - from, mean);
        next[k - from] = t >= st.stop ? Infinity : t;
      }
      ps.poisson.push({ plan: st, from, to, bank, next, ring: rings[st.receptor]!, mean });
    }
    for (const ti of pp.timedInputs) {
      const [from, to] = slice(ti.indices, lo, hi);
      ps.timed.push({ steps: ti.steps, weights: ti.weights, counts: ti.counts, from, to, indices: ti.indices, ring: rings[ti.receptor]!, cursor: 0 });
    }
    for (const tr of pp.traces) {
      const [from, to] = slice(tr.indices, lo, hi);
      ps.traces.push({ data: tr.data, state: pp.arrays[`s_${tr.variable}`] as Float64Array, indices: tr.indices, from, to, iv: tr.intervalSteps, nIdx: tr.indices.length });
    }
  } else if (pp.kind === 'poisson') {
    const sp = pp.sourceParams!;
    const n = hi - lo;
    ps.srcBank = new RngBank(n);
    ps.srcNext = new Float64Array(n);
    ps.srcMean = new Float64Array(n);
    ps.srcStop = new Float64Array(n);
    for (let j = lo; j < hi; j++) {
      const rate = typeof sp.rate === 'number' ? sp.rate : sp.rate[j]!;
      const start = typeof sp.start === 'number' ? sp.start : sp.start[j]!;
      const stop = typeof sp.stop === 'number' ? sp.stop : sp.stop[j]!;
      ps.srcBank.seed(j - lo, seed, 'poisson-source', pp.label, j);
      const mean = rate > 0 ? 1000 / rate : Infinity;
      const t = mean === Infinity ? Infinity : start + ps.srcBank.exponential(j - lo, mean);
      ps.srcMean[j - lo] = mean;
      ps.srcStop[j - lo] = stop;
      ps.srcNext[j - lo] = t >= stop ? Infinity : t;
    }
  } else {
    ps.srcSteps = [];
    ps.srcCursor = new Int32Array(hi - lo);
    for (let j = lo; j < hi; j++) ps.srcSteps.push(Int32Array.from(pp.spikeTimes![j]!, (t) => emissionStep(t, dt)));
  }
  return ps;
}
