/**
 * The event engine's simulation: exact, event-driven integration of iaf_psc_exp
 * networks with spike sources and stimuli.
 *
 * Layout: every iaf_psc_exp neuron of every population has a global index g into
 * flat typed arrays (parameters, derived constants, state at its last update time
 * tl[g]). Spike sources have their own global index space.
 *
 * Event queues (all keyed by exact time):
 *   - Poisson stimulus streams: one heap entry per (stimulus, target), keyed by the
 *     stream's next input time (drawn exactly as the clock engine draws it);
 *   - predicted spikes: heap of (time, neuron, version); a new input bumps the
 *     neuron's version, which lazily invalidates its pending prediction;
 *   - spike sources: one heap entry per source neuron;
 *   - deliveries: one FIFO per projection with a single delay (arrivals come out in
 *     time order); for per-synapse delays the rows are sorted by delay and each
 *     spike walks its row through one heap entry;
 *   - DC/step current changes and spike_times stimuli: sorted lists;
 *   - ticks: trace samples (taken before any event at the same time) and progress.
 * Ties across queues are broken in the fixed order tick, spike, current change,
 * spike_times, source, FIFOs (projection order), per-synapse deliveries, Poisson
 * stimuli; within a heap by (time, id). Everything is deterministic.
 *
 * After each change of a neuron's state the engine asks whether its free
 * trajectory reaches threshold before the end of the run: first a cheap bound
 * (max(v, V∞) + positive currents × peak PSP < θ ⇒ never), then the exact search
 * of lif.ts. Stimulus inputs, which dominate sparse low-rate networks, are run in
 * a tight inner loop until the earliest event of any other queue.
 */
import { UnsupportedError } from '../../errors.js';
import { resolveTargets, valueAt, type ResolvedNetwork } from '../../ir/validate.js';
import { INTERNAL_UNIT } from '../../units.js';
import type { PopulationRate, SimulationOutput, SpikeTrains, StateTrace } from '../types.js';
import { TimeFifo, TimeHeap } from './heap.js';
import { firstCrossing, psc21Max, pscResponse } from './lif.js';
import { StreamSet } from './streams.js';

class F64List {
  data = new Float64Array(256);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }
}

class U32List {
  data = new Uint32Array(256);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const d = new Uint32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }
}

interface PopInfo {
  label: string;
  size: number;
  kind: 'neuron' | 'poisson' | 'array';
  offset: number;
  out: number[];
  mask?: Uint8Array;
  recT: F64List;
  recI: U32List;
  count: number;
  rateBin?: number;
  rateCounts: Float64Array;
}

interface ProjInfo {
  label: string;
  pre: number;
  postOffset: number;
  rec: number;
  rowPtr: Uint32Array;
  targets: Uint32Array;
  w: number;
  W: Float64Array | null;
  /** Uniform delay, or NaN with per-synapse delays in D (rows sorted by delay). */
  delay: number;
  D: Float64Array | null;
  fifo: TimeFifo | null;
}

interface TraceInfo {
  pop: number;
  offset: number;
  indices: Uint32Array;
  vars: number[];
  outs: StateTrace[];
  iv: number;
  nSamples: number;
  s: number;
}

export interface EventRunResult {
  output: Omit<SimulationOutput, 'stats'>;
  stats: { spikes: number; synapticEvents: number; spikeCounts: Record<string, number>; steps: number };
  /** Wall time of setting up (ms) and of the event loop (ms). */
  setupMs: number;
  loopMs: number;
}

/** Receptor code: 0 adds to isyn_exc, 1 to isyn_inh. */
function receptorCode(net: ResolvedNetwork, population: string, receptor: string): number {
  const m = net.byLabel.get(population)!.model;
  if (m.kind !== 'neuron') throw new UnsupportedError(`engine "event": population "${population}" cannot receive input; use engine "clock".`);
  const variable = m.receptors[receptor]!.variable;
  if (variable === 'isyn_exc') return 0;
  if (variable === 'isyn_inh') return 1;
  throw new UnsupportedError(`engine "event" cannot deliver to receptor "${receptor}" of ${m.name}; use engine "clock".`, { fix: '--engine clock' });
}

export function runEventSimulation(net: ResolvedNetwork, onProgress?: (fraction: number) => void): EventRunResult {
  const tSetup = performance.now();
  const { dt, duration, seed } = net.ir.run;
  const T = duration;
  const steps = Math.round(duration / dt);
  const popIndex = new Map(net.populations.map((p, i) => [p.label, i]));

  // ------------------------------------------------------------ populations
  let N = 0;
  let S = 0;
  const pops: PopInfo[] = net.populations.map((rp) => {
    const kind: PopInfo['kind'] = rp.model.kind === 'neuron' ? 'neuron' : rp.model.name === 'spike_source_poisson' ? 'poisson' : 'array';
    const offset = kind === 'neuron' ? N : S;
    if (kind === 'neuron') N += rp.size;
    else S += rp.size;
    return { label: rp.label, size: rp.size, kind, offset, out: [], recT: new F64List(), recI: new U32List(), count: 0, rateCounts: new Float64Array(0) };
  });

  const lm = new Float64Array(N);
  const le = new Float64Array(N);
  const li = new Float64Array(N);
  const dE = new Float64Array(N);
  const dI = new Float64Array(N);
  const same = new Uint8Array(N);
  const R = new Float64Array(N);
  const invCm = new Float64Array(N);
  const vInfBase = new Float64Array(N);
  const vReset = new Float64Array(N);
  const vTh = new Float64Array(N);
  const tRef = new Float64Array(N);
  const pmaxE = new Float64Array(N);
  const pmaxI = new Float64Array(N);
  const hCap = new Float64Array(N);
  const v = new Float64Array(N);
  const ie = new Float64Array(N);
  const ii = new Float64Array(N);
  const tl = new Float64Array(N);
  const refEnd = new Float64Array(N).fill(-Infinity);
  const istim = new Float64Array(N);
  const ver = new Int32Array(N);
  const pred = new Float64Array(N).fill(Infinity);
  const popOfNeuron = new Int32Array(N);
  const popOfSource = new Int32Array(S);

  // Sources: Poisson streams and spike-time arrays.
  const srcRng = new StreamSet(S);
  const srcIsPoisson = new Uint8Array(S);
  const srcMean = new Float64Array(S);
  const srcStop = new Float64Array(S);
  const srcTimes: (Float64Array | null)[] = new Array<Float64Array | null>(S).fill(null);
  const srcCursor = new Int32Array(S);
  const src = new TimeHeap(Math.max(4, S));

  net.populations.forEach((rp, p) => {
    const info = pops[p]!;
    if (info.kind === 'neuron') {
      const P = rp.params;
      const I0 = rp.initial;
      for (let i = 0; i < rp.size; i++) {
        const g = info.offset + i;
        popOfNeuron[g] = p;
        const cm = valueAt(P.cm!, i);
        const tauM = valueAt(P.tau_m!, i);
        const tauE = valueAt(P.tau_syn_E!, i);
        const tauI = valueAt(P.tau_syn_I!, i);
        lm[g] = 1 / tauM;
        le[g] = 1 / tauE;
        li[g] = 1 / tauI;
        dE[g] = le[g]! - lm[g]!;
        dI[g] = li[g]! - lm[g]!;
        same[g] = tauE === tauI ? 1 : 0;
        R[g] = tauM / cm;
        invCm[g] = 1 / cm;
        vInfBase[g] = valueAt(P.v_rest!, i) + valueAt(P.i_offset!, i) * R[g]!;
        vReset[g] = valueAt(P.v_reset!, i);
        vTh[g] = valueAt(P.v_thresh!, i);
        tRef[g] = valueAt(P.tau_refrac!, i);
        pmaxE[g] = psc21Max(tauM, tauE, cm);
        pmaxI[g] = psc21Max(tauM, tauI, cm);
        hCap[g] = 50 * Math.max(tauM, tauE, tauI);
        v[g] = valueAt(I0.v!, i);
        ie[g] = valueAt(I0.isyn_exc!, i);
        ii[g] = valueAt(I0.isyn_inh!, i);
      }
    } else if (info.kind === 'poisson') {
      for (let j = 0; j < rp.size; j++) {
        const sid = info.offset + j;
        popOfSource[sid] = p;
        const rate = valueAt(rp.params.rate!, j);
        const start = valueAt(rp.params.start!, j);
        const stop = valueAt(rp.params.stop!, j);
        srcRng.seed(sid, seed, 'poisson-source', rp.label, j);
        srcIsPoisson[sid] = 1;
        const mean = rate > 0 ? 1000 / rate : Infinity;
        const t = mean === Infinity ? Infinity : start + srcRng.exponential(sid, mean);
        srcMean[sid] = mean;
        srcStop[sid] = stop;
        if (t < stop && t < T) src.push(t, sid);
      }
    } else {
      const times = rp.ir.spikeTimes!;
      for (let j = 0; j < rp.size; j++) {
        const sid = info.offset + j;
        popOfSource[sid] = p;
        srcTimes[sid] = times[j]!;
        if (times[j]!.length > 0 && times[j]![0]! < T) src.push(times[j]![0]!, sid);
      }
    }
  });

  // ------------------------------------------------------------ projections
  const projs: ProjInfo[] = net.ir.projections.map((proj, k) => {
    const pre = popIndex.get(proj.pre)!;
    const post = popIndex.get(proj.post)!;
    pops[pre]!.out.push(k);
    let delay = NaN;
    let D: Float64Array | null = null;
    let targets = proj.targets;
    let W = typeof proj.weight === 'number' ? null : proj.weight;
    const d0 = proj.delay;
    if (typeof d0 === 'number') delay = d0;
    else if (d0.length === 0) delay = 1;
    else if (d0.every((d) => d === d0[0])) delay = d0[0]!;
    else {
      // Rows sorted by delay (stable), so a spike visits its synapses in arrival order.
      const n = d0.length;
      D = new Float64Array(n);
      const t2 = new Uint32Array(n);
      const w2 = W ? new Float64Array(n) : null;
      const rp = proj.rowPtr;
      for (let i = 0; i + 1 < rp.length; i++) {
        const a = rp[i]!;
        const b = rp[i + 1]!;
        const order = Array.from({ length: b - a }, (_, x) => a + x).sort((x, y) => d0[x]! - d0[y]! || x - y);
        order.forEach((from, x) => {
          D![a + x] = d0[from]!;
          t2[a + x] = targets[from]!;
          if (w2) w2[a + x] = W![from]!;
        });
      }
      targets = t2;
      W = w2;
    }
    return {
      label: proj.label,
      pre,
      postOffset: pops[post]!.offset,
      rec: receptorCode(net, proj.post, proj.receptor),
      rowPtr: proj.rowPtr,
      targets,
      w: typeof proj.weight === 'number' ? proj.weight : 0,
      W,
      delay,
      D,
      fifo: D ? null : new TimeFifo(64),
    };
  });
  const fifoProjs = projs.filter((pj) => pj.fifo !== null);
  const fifos = fifoProjs.map((pj) => pj.fifo!);
  const nFifo = fifos.length;

  // Per-synapse-delay traversals: slot pool (projection, next synapse, row end, spike time).
  let slotProj = new Int32Array(64);
  let slotK = new Int32Array(64);
  let slotEnd = new Int32Array(64);
  let slotT = new Float64Array(64);
  let freeSlots = new Int32Array(64);
  let nFree = 0;
  let nSlots = 0;
  const syn = new TimeHeap(64);
  function allocSlot(): number {
    if (nFree > 0) return freeSlots[--nFree]!;
    if (nSlots === slotProj.length) {
      const c = nSlots * 2;
      const a = new Int32Array(c);
      a.set(slotProj);
      slotProj = a;
      const b = new Int32Array(c);
      b.set(slotK);
      slotK = b;
      const e = new Int32Array(c);
      e.set(slotEnd);
      slotEnd = e;
      const t = new Float64Array(c);
      t.set(slotT);
      slotT = t;
      const f = new Int32Array(c);
      f.set(freeSlots);
      freeSlots = f;
    }
    return nSlots++;
  }

  // ------------------------------------------------------------ stimuli
  interface CC {
    t: number;
    k: number;
    delta: number;
    order: number;
  }
  const ccList: CC[] = [];
  const ccTargets: Int32Array[] = [];
  const stList: { t: number; k: number; order: number }[] = [];
  const stTargets: Int32Array[] = [];
  const stW: number[] = [];
  const stRec: number[] = [];
  // Poisson stimulus streams.
  const qTargetL: number[] = [];
  const qStimL: number[] = [];
  const streamSeeds: { label: string; index: number }[] = [];
  const sW: number[] = [];
  const sRec: number[] = [];
  const sMean: number[] = [];
  const sStop: number[] = [];
  const sStart: number[] = [];
  for (const s of net.ir.stimuli) {
    const rp = net.byLabel.get(s.population)!;
    const offset = pops[popIndex.get(s.population)!]!.offset;
    const idx = resolveTargets(s, rp, `stimulus "${s.label}"`);
    const global = Int32Array.from(idx, (i) => offset + i);
    if (s.kind === 'dc' || s.kind === 'step') {
      const k = ccTargets.length;
      ccTargets.push(global);
      if (s.kind === 'dc') {
        ccList.push({ t: s.start, k, delta: s.amplitude, order: ccList.length });
        ccList.push({ t: s.stop, k, delta: -s.amplitude, order: ccList.length });
      } else {
        s.times.forEach((t, j) => ccList.push({ t, k, delta: s.amplitudes[j]! - (j > 0 ? s.amplitudes[j - 1]! : 0), order: ccList.length }));
      }
    } else if (s.kind === 'spike_times') {
      const k = stTargets.length;
      stTargets.push(global);
      stW.push(s.weight);
      stRec.push(receptorCode(net, s.population, s.receptor));
      for (const t of s.times) stList.push({ t, k, order: stList.length });
    } else {
      const k = sW.length;
      sW.push(s.weight);
      sRec.push(receptorCode(net, s.population, s.receptor));
      const mean = s.rate > 0 ? 1000 / s.rate : Infinity;
      sMean.push(mean);
      sStop.push(s.stop);
      sStart.push(s.start);
      if (mean === Infinity) continue;
      for (let x = 0; x < idx.length; x++) {
        // Same stream and draws as the clock engine (loop.ts): first start + Exp(mean).
        qTargetL.push(global[x]!);
        qStimL.push(k);
        streamSeeds.push({ label: s.label, index: idx[x]! });
      }
    }
  }
  const byTime = (a: { t: number; order: number }, b: { t: number; order: number }) => a.t - b.t || a.order - b.order;
  ccList.sort(byTime);
  stList.sort(byTime);
  const ccKeep = ccList.filter((c) => c.t < T);
  const ccTime = Float64Array.from(ccKeep, (c) => c.t);
  const ccStim = Int32Array.from(ccKeep, (c) => c.k);
  const ccDelta = Float64Array.from(ccKeep, (c) => c.delta);
  const ccN = ccKeep.length;
  let ccPos = 0;
  const stKeep = stList.filter((c) => c.t < T);
  const stTime = Float64Array.from(stKeep, (c) => c.t);
  const stStim = Int32Array.from(stKeep, (c) => c.k);
  const stN = stKeep.length;
  let stPos = 0;
  const qTarget = Int32Array.from(qTargetL);
  const qStim = Int32Array.from(qStimL);
  const stimW = Float64Array.from(sW);
  const stimRec = Int32Array.from(sRec);
  const stimMean = Float64Array.from(sMean);
  const stimStop = Float64Array.from(sStop);
  const stimStart = Float64Array.from(sStart);
  const rngs = new StreamSet(qTarget.length);
  const stim = new TimeHeap(Math.max(4, qTarget.length));
  for (let q = 0; q < qTarget.length; q++) {
    rngs.seed(q, seed, 'poisson-stimulus', streamSeeds[q]!.label, streamSeeds[q]!.index);
    const s = qStim[q]!;
    const t = stimStart[s]! + rngs.exponential(q, stimMean[s]!);
    if (t < stimStop[s]! && t < T) stim.push(t, q);
  }

  // ------------------------------------------------------------ recordings
  const traces: TraceInfo[] = [];
  const traceOut: StateTrace[] = [];
  const VAR_CODE: Record<string, number> = { v: 0, isyn_exc: 1, isyn_inh: 2 };
  net.populations.forEach((rp, p) => {
    const info = pops[p]!;
    for (const r of net.ir.recordings) {
      if (r.population !== rp.label) continue;
      const object = `population "${rp.label}"`;
      if (r.kind === 'spikes') {
        info.mask ??= new Uint8Array(rp.size);
        for (const i of resolveTargets(r, rp, object)) info.mask[i] = 1;
      } else if (r.kind === 'rate') {
        info.rateBin = r.bin;
      } else {
        const indices = resolveTargets(r, rp, object);
        const iv = Math.max(1, Math.round(r.interval / dt));
        const nSamples = Math.ceil(steps / iv);
        const outs: StateTrace[] = [];
        const vars: number[] = [];
        for (const variable of r.variables) {
          const code = VAR_CODE[variable];
          if (code === undefined) throw new UnsupportedError(`engine "event" cannot record "${variable}" of population "${rp.label}"; use engine "clock".`, { fix: '--engine clock' });
          vars.push(code);
          const tr: StateTrace = {
            population: rp.label,
            variable,
            units: INTERNAL_UNIT[rp.model.state[variable]!.dim],
            indices,
            tStart: 0,
            samplingPeriod: iv * dt,
            data: new Float64Array(nSamples * indices.length),
          };
          outs.push(tr);
          traceOut.push(tr);
        }
        if (nSamples > 0 && indices.length > 0 && vars.length > 0) traces.push({ pop: p, offset: info.offset, indices, vars, outs, iv, nSamples, s: 0 });
      }
    }
    if (info.rateBin !== undefined) info.rateCounts = new Float64Array(Math.max(1, Math.ceil((steps * dt) / info.rateBin - 1e-9)));
  });

  // ------------------------------------------------------------ neuron dynamics
  const spk = new TimeHeap(256);
  // Scratch for evolve(): v, isyn_exc, isyn_inh (a typed array: no boxed doubles).
  const sc = new Float64Array(3);

  /** State of neuron g at time t ≥ tl[g] (no input in between) into sc. */
  function evolve(g: number, t: number): void {
    const t0 = tl[g]!;
    let h = t - t0;
    let e = ie[g]!;
    let i = ii[g]!;
    let u = v[g]!;
    const re = refEnd[g]!;
    if (re > t0) {
      // Refractory: v is held at v_reset, the currents decay.
      const hr = t <= re ? h : re - t0;
      const ee = Math.exp(-hr * le[g]!);
      e *= ee;
      i *= same[g] === 1 ? ee : Math.exp(-hr * li[g]!);
      u = vReset[g]!;
      if (t <= re) {
        sc[0] = u;
        sc[1] = e;
        sc[2] = i;
        return;
      }
      h = t - re;
    }
    if (h > 0) {
      const lmg = lm[g]!;
      const em = Math.exp(-h * lmg);
      const ee = Math.exp(-h * le[g]!);
      const E = pscResponse(dE[g]!, h, em, ee);
      const vinf = vInfBase[g]! + istim[g]! * R[g]!;
      if (same[g] === 1) {
        u = vinf + (u - vinf) * em + (e + i) * E * invCm[g]!;
        e *= ee;
        i *= ee;
      } else {
        const ei = Math.exp(-h * li[g]!);
        const I = pscResponse(dI[g]!, h, em, ei);
        u = vinf + (u - vinf) * em + (e * E + i * I) * invCm[g]!;
        e *= ee;
        i *= ei;
      }
    }
    sc[0] = u;
    sc[1] = e;
    sc[2] = i;
  }

  function advance(g: number, t: number): void {
    if (t > tl[g]!) {
      evolve(g, t);
      v[g] = sc[0]!;
      ie[g] = sc[1]!;
      ii[g] = sc[2]!;
      tl[g] = t;
    }
  }

  /**
   * Predicts neuron g's next spike from its state at t0 (= tl[g]) assuming no
   * further input, schedules it (current version) and returns its time, or Infinity.
   */
  function predict(g: number, t0: number): number {
    const re = refEnd[g]!;
    const refr = re > t0;
    const vs = refr ? vReset[g]! : v[g]!;
    const vinf = vInfBase[g]! + istim[g]! * R[g]!;
    const th = vTh[g]!;
    let e = ie[g]!;
    let i = ii[g]!;
    const sm = same[g] === 1;
    let ub = vs > vinf ? vs : vinf;
    if (sm) {
      const c = e + i;
      if (c > 0) ub += c * pmaxE[g]!;
    } else {
      if (e > 0) ub += e * pmaxE[g]!;
      if (i > 0) ub += i * pmaxI[g]!;
    }
    if (ub < th) {
      pred[g] = Infinity;
      return Infinity;
    }
    let s0 = t0;
    if (refr) {
      s0 = re;
      const h = re - t0;
      const ee = Math.exp(-h * le[g]!);
      e *= ee;
      i *= sm ? ee : Math.exp(-h * li[g]!);
    }
    const H = T - s0;
    const c = invCm[g]!;
    const x = H > 0 ? firstCrossing(vinf - th, vs - vinf, sm ? (e + i) * c : e * c, sm ? 0 : i * c, lm[g]!, le[g]!, li[g]!, H, hCap[g]!, s0) : -1;
    const ts = s0 + x;
    if (x < 0 || !(ts < T)) {
      pred[g] = Infinity;
      return Infinity;
    }
    spk.push(ts, g, ver[g]!);
    pred[g] = ts;
    return ts;
  }

  /** Input of weight w to receptor rec of neuron g at time t; returns the new prediction. */
  function input(g: number, t: number, w: number, rec: number): number {
    advance(g, t);
    if (rec === 0) ie[g] = ie[g]! + w;
    else {
      ii[g] = ii[g]! + w;
      // A non-positive current only lowers the free trajectory: no prediction, still none.
      if (w <= 0 && pred[g] === Infinity) return Infinity;
    }
    ver[g] = ver[g]! + 1;
    return predict(g, t);
  }

  // ------------------------------------------------------------ spikes out
  let synEvents = 0;
  let stimEvents = 0;

  function emit(p: number, j: number, t: number): void {
    const info = pops[p]!;
    info.count++;
    if (info.mask !== undefined && info.mask[j] === 1) {
      info.recT.push(t);
      info.recI.push(j);
    }
    if (info.rateBin !== undefined) {
      const rc = info.rateCounts;
      let b = Math.floor(t / info.rateBin);
      if (b > rc.length - 1) b = rc.length - 1;
      rc[b] = rc[b]! + 1;
    }
    const out = info.out;
    for (let o = 0; o < out.length; o++) {
      const pj = projs[out[o]!]!;
      const a = pj.rowPtr[j]!;
      const e = pj.rowPtr[j + 1]!;
      if (a === e) continue;
      synEvents += e - a;
      if (pj.fifo !== null) pj.fifo.push(t + pj.delay, j);
      else {
        const slot = allocSlot();
        slotProj[slot] = out[o]!;
        slotK[slot] = a;
        slotEnd[slot] = e;
        slotT[slot] = t;
        syn.push(t + pj.D![a]!, slot);
      }
    }
  }

  // ------------------------------------------------------------ ticks (samples, progress)
  const progressStep = T > 0 ? T / 100 : Infinity;
  let nextProgress = progressStep;
  function nextTick(): number {
    let t = T;
    if (onProgress && nextProgress < t) t = nextProgress;
    for (let r = 0; r < traces.length; r++) {
      const tr = traces[r]!;
      if (tr.s < tr.nSamples) {
        const ts = tr.s * tr.iv * dt;
        if (ts < t) t = ts;
      }
    }
    return t;
  }
  function doTick(t: number): void {
    for (let r = 0; r < traces.length; r++) {
      const tr = traces[r]!;
      if (tr.s >= tr.nSamples || tr.s * tr.iv * dt !== t) continue;
      const n = tr.indices.length;
      const base = tr.s * n;
      for (let k = 0; k < n; k++) {
        const g = tr.offset + tr.indices[k]!;
        evolve(g, t > tl[g]! ? t : tl[g]!);
        for (let x = 0; x < tr.vars.length; x++) {
          const code = tr.vars[x]!;
          tr.outs[x]!.data[base + k] = sc[code]!;
        }
      }
      tr.s++;
    }
    if (onProgress && t >= nextProgress) {
      onProgress(Math.min(1, t / T));
      while (nextProgress <= t) nextProgress += progressStep;
    }
  }

  // ------------------------------------------------------------ main loop
  const tLoop = performance.now();
  for (let g = 0; g < N; g++) predict(g, 0);
  let tick = nextTick();
  for (;;) {
    while (spk.size > 0 && spk.aux[0] !== ver[spk.val[0]!]) spk.pop();
    let best = tick;
    let which = 0;
    let sel = 0;
    let x = spk.size > 0 ? spk.key[0]! : Infinity;
    if (x < best) {
      best = x;
      which = 1;
    }
    x = ccPos < ccN ? ccTime[ccPos]! : Infinity;
    if (x < best) {
      best = x;
      which = 2;
    }
    x = stPos < stN ? stTime[stPos]! : Infinity;
    if (x < best) {
      best = x;
      which = 3;
    }
    x = src.size > 0 ? src.key[0]! : Infinity;
    if (x < best) {
      best = x;
      which = 4;
    }
    for (let f = 0; f < nFifo; f++) {
      const fi = fifos[f]!;
      x = fi.count > 0 ? fi.time[fi.head]! : Infinity;
      if (x < best) {
        best = x;
        which = 5;
        sel = f;
      }
    }
    x = syn.size > 0 ? syn.key[0]! : Infinity;
    if (x < best) {
      best = x;
      which = 6;
    }
    // Poisson stimulus inputs, in a tight loop up to the earliest other event.
    if (stim.size > 0 && stim.key[0]! < best) {
      let limit = best;
      do {
        const t = stim.key[0]!;
        const q = stim.val[0]!;
        const s = qStim[q]!;
        const ts = input(qTarget[q]!, t, stimW[s]!, stimRec[s]!);
        if (ts < limit) limit = ts;
        stimEvents++;
        const nt = t + rngs.exponential(q, stimMean[s]!);
        if (nt >= stimStop[s]! || nt >= T) stim.pop();
        else stim.replaceTop(nt, q);
      } while (stim.size > 0 && stim.key[0]! < limit);
      continue;
    }
    switch (which) {
      case 0: {
        if (best >= T) break;
        doTick(best);
        tick = nextTick();
        continue;
      }
      case 1: {
        const g = spk.val[0]!;
        spk.pop();
        advance(g, best);
        v[g] = vReset[g]!;
        refEnd[g] = best + tRef[g]!;
        ver[g] = ver[g]! + 1;
        pred[g] = Infinity;
        const p = popOfNeuron[g]!;
        emit(p, g - pops[p]!.offset, best);
        predict(g, best);
        continue;
      }
      case 2: {
        const k = ccStim[ccPos]!;
        const delta = ccDelta[ccPos]!;
        ccPos++;
        const tg = ccTargets[k]!;
        for (let y = 0; y < tg.length; y++) {
          const g = tg[y]!;
          advance(g, best);
          istim[g] = istim[g]! + delta;
          if (delta <= 0 && pred[g] === Infinity) continue;
          ver[g] = ver[g]! + 1;
          predict(g, best);
        }
        continue;
      }
      case 3: {
        const k = stStim[stPos]!;
        stPos++;
        const tg = stTargets[k]!;
        const w = stW[k]!;
        const rec = stRec[k]!;
        for (let y = 0; y < tg.length; y++) input(tg[y]!, best, w, rec);
        stimEvents += tg.length;
        continue;
      }
      case 4: {
        const sid = src.val[0]!;
        const p = popOfSource[sid]!;
        emit(p, sid - pops[p]!.offset, best);
        let nt: number;
        if (srcIsPoisson[sid] === 1) {
          nt = best + srcRng.exponential(sid, srcMean[sid]!);
          if (nt >= srcStop[sid]!) nt = Infinity;
        } else {
          const c = ++srcCursor[sid]!;
          const times = srcTimes[sid]!;
          nt = c < times.length ? times[c]! : Infinity;
        }
        if (nt < T) src.replaceTop(nt, sid);
        else src.pop();
        continue;
      }
      case 5: {
        const fi = fifos[sel]!;
        const j = fi.idx[fi.head]!;
        fi.shift();
        const pj = fifoProjs[sel]!;
        const a = pj.rowPtr[j]!;
        const e = pj.rowPtr[j + 1]!;
        const tg = pj.targets;
        const off = pj.postOffset;
        const rec = pj.rec;
        const W = pj.W;
        if (W === null) {
          const w = pj.w;
          for (let k = a; k < e; k++) input(off + tg[k]!, best, w, rec);
        } else {
          for (let k = a; k < e; k++) input(off + tg[k]!, best, W[k]!, rec);
        }
        continue;
      }
      case 6: {
        const slot = syn.val[0]!;
        const pj = projs[slotProj[slot]!]!;
        const D = pj.D!;
        const e = slotEnd[slot]!;
        const tsp = slotT[slot]!;
        let k = slotK[slot]!;
        do {
          input(pj.postOffset + pj.targets[k]!, best, pj.W === null ? pj.w : pj.W[k]!, pj.rec);
          k++;
        } while (k < e && tsp + D[k]! === best);
        if (k < e) {
          slotK[slot] = k;
          syn.replaceTop(tsp + D[k]!, slot);
        } else {
          syn.pop();
          freeSlots[nFree++] = slot;
        }
        continue;
      }
    }
    break;
  }
  onProgress?.(1);
  const loopMs = performance.now() - tLoop;

  // ------------------------------------------------------------ results
  const spikes: SpikeTrains[] = [];
  const rates: PopulationRate[] = [];
  const spikeCounts: Record<string, number> = {};
  let total = 0;
  for (const info of pops) {
    spikeCounts[info.label] = info.count;
    total += info.count;
    if (info.mask) {
      const n = info.recT.length;
      let times = info.recT.data.slice(0, n);
      let indices = info.recI.data.slice(0, n);
      let sorted = true;
      for (let k = 1; k < n && sorted; k++) if (times[k - 1]! > times[k]! || (times[k - 1] === times[k] && indices[k - 1]! > indices[k]!)) sorted = false;
      if (!sorted) {
        const order = Uint32Array.from({ length: n }, (_, k) => k).sort((a, b) => times[a]! - times[b]! || indices[a]! - indices[b]!);
        times = Float64Array.from(order, (k) => times[k]!);
        indices = Uint32Array.from(order, (k) => indices[k]!);
      }
      const recorded: number[] = [];
      info.mask.forEach((m, i) => m && recorded.push(i));
      spikes.push({ population: info.label, indices, times, recorded: Uint32Array.from(recorded) });
    }
    if (info.rateBin !== undefined) {
      const binS = info.rateBin / 1000;
      rates.push({ population: info.label, bin: info.rateBin, rate: info.rateCounts.map((c) => c / (info.size * binS)) });
    }
  }
  return {
    output: { spikes, traces: traceOut, rates, delayRounding: [] },
    stats: { spikes: total, synapticEvents: synEvents + stimEvents, spikeCounts, steps },
    setupMs: tLoop - tSetup,
    loopMs,
  };
}
