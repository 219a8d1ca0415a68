/**
 * The event engine's simulation: exact, event-driven integration of iaf_psc_exp
 * networks with spike sources and stimuli.
 *
 * Layout (flat typed arrays, no per-event allocation): every iaf_psc_exp neuron of
 * every population has a global index g. Its state (v, currents, time of the
 * stored state, refractory end, V∞, prediction version and time) is one 8-double
 * record (one cache line); its parameters and derived constants are a row shared
 * by the whole population when the parameters are uniform (else one row per
 * neuron). Spike sources have their own index space. In the per-event path
 * doubles do not cross function boundaries as arguments or results (V8 boxes
 * them when a call is not inlined): the event time and weight travel in `reg`,
 * results in typed arrays.
 *
 * Event queues (all keyed by exact time):
 *   - Poisson stimulus streams: a calendar queue of (stimulus, target) streams,
 *     each keyed by its next input time, drawn exactly as the clock engine draws it;
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
 * stimuli; within a queue by (time, id). Everything is deterministic.
 *
 * After each change of a neuron's state the engine asks whether its free
 * trajectory reaches threshold before the end of the run: first a cheap bound
 * (max(v, V∞) + positive currents × peak PSP < θ ⇒ never), then the exact search
 * of lif.ts. Poisson inputs, which dominate sparse low-rate networks, and
 * per-synapse deliveries run merged, in one tight inner loop, up to the earliest
 * event of the other queues.
 */
import { UnsupportedError } from '../../errors.js';
import { hashString } from '../../util/rng.js';
import { resolveTargets, valueAt, type ResolvedNetwork } from '../../ir/validate.js';
import { INTERNAL_UNIT } from '../../units.js';
import type { PopulationRate, SimulationOutput, SpikeTrains, StateTrace } from '../types.js';
import { CalendarQueue, TimeFifo, TimeHeap } from './heap.js';
import { ARG_A, ARG_a, ARG_b, ARG_D, ARG_H, ARG_HCAP, ARG_LE, ARG_LI, ARG_LM, ARG_T0, CROSSING, firstCrossing, OUT_T, psc21Max, pscResponse } from './lif.js';
import { RngBank } from '../../util/rng.js';

/**
 * Infinity as a module constant, for the per-event code. TurboFan (Node 20) embeds
 * the global `Infinity` as a boxed number, so a double merged with it, as in
 * `n > 0 ? key[0] : Infinity`, stays boxed and each evaluation allocates a
 * HeapNumber; merged with a module constant it stays a raw double.
 */
const INF = Infinity;

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

// Neuron state record (NS doubles per neuron, one cache line): all an input
// event writes.
const V = 0; // membrane potential at TL (mV)
const IE = 1; // isyn_exc at TL (nA)
const II = 2; // isyn_inh at TL (nA)
const TL = 3; // time of the stored state (ms)
const REF = 4; // end of the refractory period (ms)
const VINF = 5; // V∞ = v_rest + (i_offset + I_stim)·tau_m/cm
const VER = 6; // version of the pending prediction
const PRED = 7; // predicted spike time, Infinity when none
const NS = 8;
// Parameter row (NP doubles): one row shared by all neurons of a population with
// uniform parameters (so it stays in cache), else one row per neuron.
const LM = 0; // 1/tau_m
const LE = 1; // 1/tau_syn_E
const DE = 2; // 1/tau_syn_E − 1/tau_m
const LI = 3; // 1/tau_syn_I (the very same double as LE when the taus are equal)
const ICM = 4; // 1/cm
const VTH = 5; // v_thresh
const PMAXE = 6; // peak PSP of a unit excitatory current (bound)
const DI = 7; // 1/tau_syn_I − 1/tau_m
const PMAXI = 8;
const VRESET = 9;
const TREF = 10;
const HCAP = 11; // ~50 · max tau: beyond it every exponential is negligible
const VINF0 = 12; // v_rest + i_offset·tau_m/cm
const RM = 13; // tau_m/cm
const NP = 16;

/** Each CSR row's synapses reordered by delay (stable), with their targets and weights. */
function sortRowsByDelay(rowPtr: Uint32Array, d0: Float64Array, targets: Uint32Array, W: Float64Array | null) {
  const n = d0.length;
  const perm = new Uint32Array(n);
  for (let k = 0; k < n; k++) perm[k] = k;
  for (let i = 0; i + 1 < rowPtr.length; i++) {
    const a = rowPtr[i]!;
    const b = rowPtr[i + 1]!;
    if (b - a <= 32) {
      for (let k = a + 1; k < b; k++) {
        const x = perm[k]!;
        const dx = d0[x]!;
        let m = k;
        while (m > a && d0[perm[m - 1]!]! > dx) {
          perm[m] = perm[m - 1]!;
          m--;
        }
        perm[m] = x;
      }
    } else perm.subarray(a, b).sort((x, y) => d0[x]! - d0[y]! || x - y);
  }
  const D = new Float64Array(n);
  const t2 = new Uint32Array(n);
  const w2 = W ? new Float64Array(n) : null;
  for (let k = 0; k < n; k++) {
    const from = perm[k]!;
    D[k] = d0[from]!;
    t2[k] = targets[from]!;
    if (w2) w2[k] = W![from]!;
  }
  return { D, targets: t2, W: w2 };
}

function allEqual(a: Float64Array): boolean {
  const x = a[0];
  for (let k = 1; k < a.length; k++) if (a[k] !== x) return false;
  return true;
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

  // Neuron state: one NS-double record per neuron (one cache line); parameters
  // through pidx into rows of np; the summed DC/step current in istim.
  const ns = new Float64Array(Math.max(1, N * NS));
  const istim = new Float64Array(Math.max(1, N));
  const pidx = new Int32Array(Math.max(1, N));
  let rows = 0;
  for (const rp of net.populations) {
    if (rp.model.kind === 'neuron') rows += Object.values(rp.params).every((x) => typeof x === 'number') ? 1 : rp.size;
  }
  const np = new Float64Array(Math.max(1, rows * NP));
  const popOfNeuron = new Int32Array(N);
  const popOfSource = new Int32Array(S);

  // Sources: Poisson streams and spike-time arrays.
  const srcRng = new RngBank(S);
  const srcIsPoisson = new Uint8Array(S);
  const srcMean = new Float64Array(S);
  const srcStop = new Float64Array(S);
  const srcTimes: (Float64Array | null)[] = new Array<Float64Array | null>(S).fill(null);
  const srcCursor = new Int32Array(S);
  const src = new TimeHeap(Math.max(4, S));

  let nextRow = 0;
  net.populations.forEach((rp, p) => {
    const info = pops[p]!;
    if (info.kind === 'neuron') {
      const P = rp.params;
      const I0 = rp.initial;
      const uniform = Object.values(P).every((x) => typeof x === 'number');
      let row = 0;
      for (let i = 0; i < rp.size; i++) {
        const g = info.offset + i;
        popOfNeuron[g] = p;
        const o = g * NS;
        if (i === 0 || !uniform) {
          const cm = valueAt(P.cm!, i);
          const tauM = valueAt(P.tau_m!, i);
          const tauE = valueAt(P.tau_syn_E!, i);
          const tauI = valueAt(P.tau_syn_I!, i);
          row = nextRow++;
          const r = row * NP;
          const R = tauM / cm;
          np[r + LM] = 1 / tauM;
          np[r + LE] = 1 / tauE;
          np[r + LI] = tauE === tauI ? np[r + LE]! : 1 / tauI;
          np[r + DE] = np[r + LE]! - np[r + LM]!;
          np[r + DI] = np[r + LI]! - np[r + LM]!;
          np[r + RM] = R;
          np[r + ICM] = 1 / cm;
          np[r + VINF0] = valueAt(P.v_rest!, i) + valueAt(P.i_offset!, i) * R;
          np[r + VRESET] = valueAt(P.v_reset!, i);
          np[r + VTH] = valueAt(P.v_thresh!, i);
          np[r + TREF] = valueAt(P.tau_refrac!, i);
          np[r + PMAXE] = psc21Max(tauM, tauE, cm);
          np[r + PMAXI] = psc21Max(tauM, tauI, cm);
          np[r + HCAP] = 50 * Math.max(tauM, tauE, tauI);
        }
        pidx[g] = row;
        ns[o + VINF] = np[row * NP + VINF0]!;
        ns[o + V] = valueAt(I0.v!, i);
        ns[o + IE] = valueAt(I0.isyn_exc!, i);
        ns[o + II] = valueAt(I0.isyn_inh!, i);
        ns[o + TL] = 0;
        ns[o + REF] = -Infinity;
        ns[o + VER] = 0;
        ns[o + PRED] = Infinity;
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
    else if (allEqual(d0)) delay = d0[0]!;
    else {
      // Rows sorted by delay (stable), so a spike visits its synapses in arrival order.
      const sorted = sortRowsByDelay(proj.rowPtr, d0, targets, W);
      D = sorted.D;
      targets = sorted.targets;
      W = sorted.W;
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
  const qIndexL: number[] = [];
  const sLabelHash: number[] = [];
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
      sLabelHash.push(hashString(s.label));
      if (mean === Infinity) continue;
      for (let x = 0; x < idx.length; x++) {
        // Same stream and draws as the clock engine (loop.ts): first start + Exp(mean).
        qTargetL.push(global[x]!);
        qStimL.push(k);
        qIndexL.push(idx[x]!);
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
  const stKeep = stList.filter((c) => c.t < T);
  const stTime = Float64Array.from(stKeep, (c) => c.t);
  const stStim = Int32Array.from(stKeep, (c) => c.k);
  const stN = stKeep.length;
  const qTarget = Int32Array.from(qTargetL);
  const qStim = Int32Array.from(qStimL);
  const stimW = Float64Array.from(sW);
  const stimRec = Int32Array.from(sRec);
  const stimMean = Float64Array.from(sMean);
  const stimStop = Float64Array.from(sStop);
  const stimStart = Float64Array.from(sStart);
  const rngs = new RngBank(qTarget.length);
  const purposeHash = hashString('poisson-stimulus');
  // Calendar queue sized for ~4 inputs per bucket, its ring spanning 8 mean intervals.
  let totalRate = 0;
  let maxMean = 0;
  for (let q = 0; q < qTarget.length; q++) {
    const m = stimMean[qStim[q]!]!;
    totalRate += 1 / m;
    if (m > maxMean) maxMean = m;
  }
  const width = totalRate > 0 ? 4 / totalRate : 1;
  const stim = new CalendarQueue(qTarget.length, width, Math.max(width, Math.min(T, 8 * maxMean)));
  for (let q = 0; q < qTarget.length; q++) {
    const s = qStim[q]!;
    rngs.seedHashed(q, seed, purposeHash, sLabelHash[s]!, qIndexL[q]!);
    const t = stimStart[s]! + rngs.exponential(q, stimMean[s]!);
    if (t < stimStop[s]! && t < T) stim.insert(q, t);
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
  // Per-event doubles cross function boundaries through typed arrays rather than
  // as arguments or return values (V8 boxes those when a call is not inlined):
  //   reg[NOW] the time of the event being processed, reg[WGT] the weight of an
  //   input, reg[LIMIT] the time up to which a batch of deliveries may run,
  //   reg[DRAW] a Poisson interval drawn by rngs.exponentialTo;
  //   sc[0..2] v, isyn_exc, isyn_inh computed by evolve(); the record's PRED the
  //   neuron's predicted spike time.
  const NOW = 0;
  const WGT = 1;
  const LIMIT = 2;
  const DRAW = 3;
  const reg = new Float64Array(4);
  const sc = new Float64Array(3);
  const spk = new TimeHeap(256);
  const spkCompactAt = 4 * N + 1024;
  const isCurrent = (g: number, version: number) => (ns[g * NS + VER]! | 0) === version;
  const X = CROSSING;

  /**
   * State (v, isyn_exc, isyn_inh) of neuron g at time reg[NOW] ≥ its TL, with no
   * input in between, written to out[oo..oo+2] (the record itself, or scratch).
   */
  function evolve(g: number, out: Float64Array, oo: number): void {
    const o = g * NS;
    const pr = pidx[g]! * NP;
    const t = reg[NOW]!;
    const t0 = ns[o + TL]!;
    let h = t - t0;
    let e = ns[o + IE]!;
    let i = ns[o + II]!;
    let u = ns[o + V]!;
    const le = np[pr + LE]!;
    const li = np[pr + LI]!;
    const re = ns[o + REF]!;
    if (re > t0) {
      // Refractory: v is held at v_reset, the currents decay.
      const hr = t <= re ? h : re - t0;
      const ee = Math.exp(-hr * le);
      e *= ee;
      i *= li === le ? ee : Math.exp(-hr * li);
      u = np[pr + VRESET]!;
      h = t <= re ? 0 : t - re;
    }
    if (h > 0) {
      const em = Math.exp(-h * np[pr + LM]!);
      const ee = Math.exp(-h * le);
      const E = pscResponse(np[pr + DE]!, h, em, ee);
      const vinf = ns[o + VINF]!;
      if (li === le) {
        u = vinf + (u - vinf) * em + (e + i) * E * np[pr + ICM]!;
        e *= ee;
        i *= ee;
      } else {
        const ei = Math.exp(-h * li);
        const I = pscResponse(np[pr + DI]!, h, em, ei);
        u = vinf + (u - vinf) * em + (e * E + i * I) * np[pr + ICM]!;
        e *= ee;
        i *= ei;
      }
    }
    // Currents that have decayed away become exactly 0, never subnormal (slow on x86);
    // the model lists them in `decaysToZero`.
    if (e < 1e-200 && e > -1e-200) e = 0;
    if (i < 1e-200 && i > -1e-200) i = 0;
    out[oo] = u;
    out[oo + 1] = e;
    out[oo + 2] = i;
  }

  /** Brings neuron g's stored state to reg[NOW]. */
  function advance(g: number): void {
    const o = g * NS;
    if (reg[NOW]! > ns[o + TL]!) {
      evolve(g, ns, o);
      ns[o + TL] = reg[NOW]!;
    }
  }

  /**
   * Predicts neuron g's next spike from its state at reg[NOW] (= its TL) assuming
   * no further input; schedules it under the current version and sets its PRED
   * (Infinity when there is none before the end of the run).
   */
  function predict(g: number): void {
    const o = g * NS;
    const pr = pidx[g]! * NP;
    const t0 = reg[NOW]!;
    const re = ns[o + REF]!;
    const refr = re > t0;
    const vs = refr ? np[pr + VRESET]! : ns[o + V]!;
    const vinf = ns[o + VINF]!;
    const th = np[pr + VTH]!;
    let e = ns[o + IE]!;
    let i = ns[o + II]!;
    const le = np[pr + LE]!;
    const li = np[pr + LI]!;
    const sm = li === le;
    let ub = vs > vinf ? vs : vinf;
    if (sm) {
      const c = e + i;
      if (c > 0) ub += c * np[pr + PMAXE]!;
    } else {
      if (e > 0) ub += e * np[pr + PMAXE]!;
      if (i > 0) ub += i * np[pr + PMAXI]!;
    }
    if (ub < th) {
      ns[o + PRED] = INF;
      return;
    }
    let s0 = t0;
    if (refr) {
      s0 = re;
      const h = re - t0;
      const ee = Math.exp(-h * le);
      e *= ee;
      i *= sm ? ee : Math.exp(-h * li);
    }
    const H = T - s0;
    if (!(H > 0)) {
      ns[o + PRED] = INF;
      return;
    }
    const c = np[pr + ICM]!;
    X[ARG_A] = vinf - th;
    X[ARG_D] = vs - vinf;
    // One synaptic exponential when the taus are equal or a current is zero
    // (the analytic case of firstCrossing): pass it as the first.
    const onlyI = !sm && e === 0;
    X[ARG_a] = sm ? (e + i) * c : onlyI ? i * c : e * c;
    X[ARG_b] = sm || onlyI ? 0 : i * c;
    X[ARG_LM] = np[pr + LM]!;
    X[ARG_LE] = onlyI ? li : le;
    X[ARG_LI] = li;
    X[ARG_H] = H;
    X[ARG_HCAP] = np[pr + HCAP]!;
    X[ARG_T0] = s0;
    firstCrossing();
    const x = X[OUT_T]!;
    const ts = s0 + x;
    if (x < 0 || !(ts < T)) {
      ns[o + PRED] = INF;
      return;
    }
    spk.push(ts, g, ns[o + VER]! | 0);
    ns[o + PRED] = ts;
    // Invalidated predictions wait in the heap until their time; drop them when
    // they outnumber the neurons (mean-driven networks re-predict on every input).
    if (spk.size > spkCompactAt) spk.compact(isCurrent);
  }

  /** Input of weight reg[WGT] to receptor rec of neuron g at reg[NOW]; updates its PRED. */
  function input(g: number, rec: number): void {
    advance(g);
    const o = g * NS;
    const w = reg[WGT]!;
    if (rec === 0) ns[o + IE] = ns[o + IE]! + w;
    else {
      ns[o + II] = ns[o + II]! + w;
      // A non-positive current only lowers the free trajectory: no prediction, still none.
      if (w <= 0 && ns[o + PRED] === INF) return;
    }
    ns[o + VER] = ns[o + VER]! + 1;
    predict(g);
  }

  // ------------------------------------------------------------ spikes out
  let synEvents = 0;
  let stimEvents = 0;

  /** Spike of neuron j of population p at reg[NOW]: record, count, send. */
  function emit(p: number, j: number): void {
    const t = reg[NOW]!;
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
  // nextProgress lives in a typed array too (a captured, reassigned double would be boxed).
  const prog = new Float64Array([progressStep]);
  function nextTick(): number {
    let t = T;
    if (onProgress && prog[0]! < t) t = prog[0]!;
    for (let r = 0; r < traces.length; r++) {
      const tr = traces[r]!;
      if (tr.s < tr.nSamples) {
        const ts = tr.s * tr.iv * dt;
        if (ts < t) t = ts;
      }
    }
    return t;
  }
  /** Trace samples and progress due at reg[NOW] (before any event at that time). */
  function doTick(): void {
    const t = reg[NOW]!;
    for (let r = 0; r < traces.length; r++) {
      const tr = traces[r]!;
      if (tr.s >= tr.nSamples || tr.s * tr.iv * dt !== t) continue;
      const n = tr.indices.length;
      const base = tr.s * n;
      for (let k = 0; k < n; k++) {
        const g = tr.offset + tr.indices[k]!;
        evolve(g, sc, 0);
        for (let x = 0; x < tr.vars.length; x++) tr.outs[x]!.data[base + k] = sc[tr.vars[x]!]!;
      }
      tr.s++;
    }
    if (onProgress && t >= prog[0]!) {
      onProgress(Math.min(1, t / T));
      while (prog[0]! <= t) prog[0] = prog[0]! + progressStep;
    }
  }

  // ------------------------------------------------------------ main loop
  // The loop picks the earliest event among the queues and hands it to a handler.
  // The handlers of the frequent events (Poisson inputs, deliveries, spikes) are
  // functions of their own rather than parts of one large loop: V8 optimises a
  // function after a number of profiler ticks that grows with its bytecode size,
  // inlines only up to a fixed bytecode budget per optimised function, and
  // recompiles the whole function when a rarely taken path deoptimises it. Small
  // handlers reach optimised code after few events, inline their own hot callees,
  // and a deoptimisation costs the recompilation of one of them only.

  /**
   * Poisson stimulus inputs and per-synapse-delay deliveries, merged in time order,
   * while they come before reg[LIMIT] (the earliest event of the other queues),
   * which shrinks to any spike that an input predicts before it. At equal times
   * the deliveries go first (then in (time, slot) order), and the other queues'
   * events before both. One batch usually spans many inputs of both kinds, so the
   * main loop's selection runs about once per spike rather than once per input.
   */
  function inputBatch(): void {
    let limit = reg[LIMIT]!;
    for (;;) {
      const ts = stim.pos < stim.len || stim.refill() ? stim.batchT[stim.pos]! : INF;
      const t = syn.size > 0 ? syn.key[0]! : INF;
      if (t <= ts) {
        if (!(t < limit)) return;
        // The synapses of the earliest in-flight spike that are due at t.
        reg[NOW] = t;
        const slot = syn.val[0]!;
        const pj = projs[slotProj[slot]!]!;
        const D = pj.D!;
        const e = slotEnd[slot]!;
        const tsp = slotT[slot]!;
        const W = pj.W;
        const off = pj.postOffset;
        const tg = pj.targets;
        const rec = pj.rec;
        let k = slotK[slot]!;
        do {
          reg[WGT] = W === null ? pj.w : W[k]!;
          const g = off + tg[k]!;
          input(g, rec);
          const tp = ns[g * NS + PRED]!;
          if (tp < limit) limit = tp;
          k++;
        } while (k < e && tsp + D[k]! === t);
        if (k < e) {
          // The slot's next synapse: a later key for the same entry, sifted down in place.
          slotK[slot] = k;
          syn.key[0] = tsp + D[k]!;
          syn.siftTop();
        } else {
          syn.pop();
          freeSlots[nFree++] = slot;
        }
      } else {
        if (!(ts < limit)) return;
        const q = stim.batchQ[stim.pos]!;
        stim.pos++;
        const s = qStim[q]!;
        const g = qTarget[q]!;
        reg[NOW] = ts;
        reg[WGT] = stimW[s]!;
        input(g, stimRec[s]!);
        const tp = ns[g * NS + PRED]!;
        if (tp < limit) limit = tp;
        stimEvents++;
        rngs.exponentialTo(q, stimMean[s]!, reg, DRAW);
        const nt = ts + reg[DRAW]!;
        if (nt < stimStop[s]! && nt < T) stim.insert(q, nt);
      }
    }
  }

  /** The predicted spike at the top of `spk`, due at reg[NOW]: reset, emit, predict anew. */
  function spikeEvent(): void {
    const g = spk.val[0]!;
    spk.pop();
    advance(g);
    const o = g * NS;
    const pr = pidx[g]! * NP;
    ns[o + V] = np[pr + VRESET]!;
    ns[o + REF] = reg[NOW]! + np[pr + TREF]!;
    ns[o + VER] = ns[o + VER]! + 1;
    ns[o + PRED] = INF;
    const p = popOfNeuron[g]!;
    emit(p, g - pops[p]!.offset);
    predict(g);
  }

  /** DC/step current change number c, at reg[NOW]. */
  function currentChange(c: number): void {
    const delta = ccDelta[c]!;
    const tg = ccTargets[ccStim[c]!]!;
    for (let y = 0; y < tg.length; y++) {
      const g = tg[y]!;
      advance(g);
      const o = g * NS;
      const pr = pidx[g]! * NP;
      istim[g] = istim[g]! + delta;
      ns[o + VINF] = np[pr + VINF0]! + istim[g]! * np[pr + RM]!;
      if (delta <= 0 && ns[o + PRED] === INF) continue;
      ns[o + VER] = ns[o + VER]! + 1;
      predict(g);
    }
  }

  /** spike_times stimulus event number c, at reg[NOW]. */
  function stimulusSpike(c: number): void {
    const k = stStim[c]!;
    const tg = stTargets[k]!;
    reg[WGT] = stW[k]!;
    const rec = stRec[k]!;
    for (let y = 0; y < tg.length; y++) input(tg[y]!, rec);
    stimEvents += tg.length;
  }

  /** The spike of the source at the top of `src`, at reg[NOW]: emit, schedule its next. */
  function sourceSpike(): void {
    const t = reg[NOW]!;
    const sid = src.val[0]!;
    const p = popOfSource[sid]!;
    emit(p, sid - pops[p]!.offset);
    let nt: number;
    if (srcIsPoisson[sid] === 1) {
      nt = t + srcRng.exponential(sid, srcMean[sid]!);
      if (nt >= srcStop[sid]!) nt = INF;
    } else {
      const c = ++srcCursor[sid]!;
      const times = srcTimes[sid]!;
      nt = c < times.length ? times[c]! : INF;
    }
    if (nt < T) {
      src.key[0] = nt;
      src.siftTop();
    } else src.pop();
  }

  /** The arrival at the head of FIFO f (a spike on a single-delay projection), at reg[NOW]. */
  function fifoDelivery(f: number): void {
    const fi = fifos[f]!;
    const j = fi.idx[fi.head]!;
    fi.shift();
    const pj = fifoProjs[f]!;
    const a = pj.rowPtr[j]!;
    const e = pj.rowPtr[j + 1]!;
    const tg = pj.targets;
    const off = pj.postOffset;
    const rec = pj.rec;
    const W = pj.W;
    if (W === null) {
      reg[WGT] = pj.w;
      for (let k = a; k < e; k++) input(off + tg[k]!, rec);
    } else {
      for (let k = a; k < e; k++) {
        reg[WGT] = W[k]!;
        input(off + tg[k]!, rec);
      }
    }
  }

  function eventLoop(): void {
    let ccPos = 0;
    let stPos = 0;
    reg[NOW] = 0;
    for (let g = 0; g < N; g++) predict(g);
    let tick = nextTick();
    for (;;) {
      while (spk.size > 0 && spk.aux[0] !== (ns[spk.val[0]! * NS + VER]! | 0)) spk.pop();
      let best = tick;
      let which = 0;
      let sel = 0;
      let x = spk.size > 0 ? spk.key[0]! : INF;
      if (x < best) {
        best = x;
        which = 1;
      }
      x = ccPos < ccN ? ccTime[ccPos]! : INF;
      if (x < best) {
        best = x;
        which = 2;
      }
      x = stPos < stN ? stTime[stPos]! : INF;
      if (x < best) {
        best = x;
        which = 3;
      }
      x = src.size > 0 ? src.key[0]! : INF;
      if (x < best) {
        best = x;
        which = 4;
      }
      for (let f = 0; f < nFifo; f++) {
        const fi = fifos[f]!;
        x = fi.count > 0 ? fi.time[fi.head]! : INF;
        if (x < best) {
          best = x;
          which = 5;
          sel = f;
        }
      }
      // Poisson inputs and per-synapse deliveries, in a batch up to the earliest
      // event of the other queues.
      x = stim.pos < stim.len || stim.refill() ? stim.batchT[stim.pos]! : INF;
      if (x < best || (syn.size > 0 && syn.key[0]! < best)) {
        reg[LIMIT] = best;
        inputBatch();
        continue;
      }
      reg[NOW] = best;
      if (which === 1) spikeEvent();
      else if (which === 5) fifoDelivery(sel);
      else if (which === 4) sourceSpike();
      else if (which === 3) stimulusSpike(stPos++);
      else if (which === 2) currentChange(ccPos++);
      else {
        if (best >= T) break;
        doTick();
        tick = nextTick();
      }
    }
  }

  const tLoop = performance.now();
  eventLoop();
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
