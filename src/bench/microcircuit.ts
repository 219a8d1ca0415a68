/**
 * The Potjans & Diesmann (2014) cortical microcircuit ("PD14"), as defined in the
 * project's benchmark reference (shared/reference/benchmarks.md §4, after the PyNEST
 * example in nest/nest-simulator and INM-6/microcircuit-PD14-model):
 *
 * - 8 populations L23E … L6I of `iaf_psc_exp` neurons, 77,169 at full scale;
 * - per projection a fixed total number of synapses Q_yx = ln(1 − C_yx) / ln(1 − 1/(N_x N_y)),
 *   sources and targets drawn uniformly and independently (multapses and autapses allowed),
 *   298,880,968 synapses at full scale;
 * - weights: PSP → PSC conversion, normal with 10 % SD, redrawn on the wrong sign; g = −4;
 *   L4E → L23E doubled;
 * - delays: normal, mean 1.5 ms (excitatory source) / 0.75 ms (inhibitory), SD 50 %, redrawn
 *   below dt/2, then rounded to the dt grid (as NEST does);
 * - background: an independent Poisson train per neuron at 8 Hz × K_ext, or the equivalent DC;
 * - the down-scaled variant (N_scaling, K_scaling) with NEST's weight and DC compensation.
 *
 * Projections are built directly as CSR typed arrays (rows by presynaptic neuron, each row
 * sorted by target): memory is the IR's 4 B target + 8 B weight + 8 B delay per synapse plus
 * one transient 4 B per synapse of the projection being built; no per-synapse JS objects.
 * Every projection draws from its own seeded streams (connectivity, weights, delays), so the
 * network depends only on the seed, never on threads or build order.
 *
 * Deviations from NEST, beyond its own RNG streams: the Poisson input arrives in the step it is
 * drawn for (NEST: 1.5 ms delay; no effect on a stationary input); excitatory and inhibitory
 * inputs go to two current variables with the same τ_syn (equivalent to NEST's one sum).
 */
import { Network } from '../api/network.js';
import type { NetworkIR, ProjectionIR } from '../ir/types.js';
import { ValidationError } from '../errors.js';
import { Rng } from '../util/rng.js';

/** Population labels in the reference order (target rows and source columns of every matrix). */
export const MC_POPULATIONS = ['L23E', 'L23I', 'L4E', 'L4I', 'L5E', 'L5I', 'L6E', 'L6I'] as const;
export type McPopulation = (typeof MC_POPULATIONS)[number];

/** Full-scale population sizes (§4.1). */
export const MC_FULL_SIZES = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948] as const;

/** External in-degrees K_ext (§4.1). */
export const MC_K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100] as const;

/** Connection probabilities C[target][source] (§4.2). */
export const MC_CONN_PROBS: readonly (readonly number[])[] = [
  [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
  [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
  [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
  [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
  [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
  [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
  [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
  [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
];

/** Mean rates of one full-scale NEST run (`full_mean_rates`, spikes/s): the DC compensation's input and the bench's expected rates (§4.10). */
export const MC_FULL_MEAN_RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829] as const;

/** Initial membrane potential, "optimized" V0 (mV): mean and SD per population (§4.1). */
export const MC_V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43] as const;
export const MC_V0_SD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48] as const;

/** Neuron parameters (§4.4), internal units (nF, ms, mV). */
export const MC_NEURON = { cm: 0.25, tau_m: 10, tau_syn: 0.5, tau_refrac: 2, v_rest: -65, v_reset: -65, v_thresh: -50 } as const;

/** Mean EPSP (mV), relative inhibition g, background rate per input (Hz), relative SDs and mean delays (ms) (§4.5–4.7). */
export const MC_PSP_EXC = 0.15;
export const MC_G = -4;
export const MC_BG_RATE = 8;
export const MC_WEIGHT_REL_SD = 0.1;
export const MC_DELAY_EXC = 1.5;
export const MC_DELAY_INH = 0.75;
export const MC_DELAY_REL_SD = 0.5;

export interface MicrocircuitOptions {
  /** N_scaling = K_scaling (default 1: full scale, 77,169 neurons, ≈ 2.99·10⁸ synapses). */
  scale?: number;
  /** Scale neuron numbers and in-degrees separately (each defaults to `scale`). */
  nScaling?: number;
  kScaling?: number;
  /** Background input: independent Poisson trains (default, the NEST example) or the equivalent DC. */
  background?: 'poisson' | 'dc';
  /** Initial V: per-population normals ("optimized", default) or N(−58, 10) mV for all ("original"). */
  v0?: 'optimized' | 'original';
  /** Fraction of each population whose spikes are recorded (default 1: all; 0: none). */
  recordFraction?: number;
  /** Bin of the recorded population rates (ms, default 1; 0: no rate recording). */
  rateBin?: number;
  duration?: number;
  dt?: number;
  seed?: number;
  threads?: number;
  engine?: NetworkIR['run']['engine'];
  /** Called with the fraction of synapses built (projections are most of the build time). */
  onProgress?: (fraction: number) => void;
}

/** Every derived quantity of one (scaled) microcircuit, in internal units (nA, ms, Hz). */
export interface MicrocircuitParams {
  nScaling: number;
  kScaling: number;
  background: 'poisson' | 'dc';
  sizes: number[];
  /** Full-scale synapse numbers Q[target][source] before rounding. */
  fullSynapses: number[][];
  /** Synapses per projection [target][source]: round(Q · N_scaling · K_scaling). */
  synapses: number[][];
  /** Scaled external in-degrees round(K_ext · K_scaling). */
  kExt: number[];
  /** PSC per PSP (nA/mV). */
  pscPerPsp: number;
  /** Mean weight per projection [target][source] (nA), after ÷√K_scaling. */
  weightMean: number[][];
  /** External weight (nA), after ÷√K_scaling. */
  weightExt: number;
  /** Mean delay by source population (ms). */
  delayMean: number[];
  /** Poisson rate per neuron of each population (Hz): 8 Hz × scaled K_ext; 0 with DC background. */
  poissonRate: number[];
  /** DC per population (nA): the background DC and/or the K_scaling compensation. */
  dc: number[];
}

/** Peak PSP per unit PSC amplitude inverted: PSC (nA) per PSP (mV) for an exponential PSC on a LIF membrane (§4.5). */
export function pscPerPsp(cm: number, tauM: number, tauS: number): number {
  const tMax = ((tauM * tauS) / (tauM - tauS)) * Math.log(tauM / tauS);
  const jUnit = ((tauM * tauS) / (cm * (tauM - tauS))) * (Math.exp(-tMax / tauM) - Math.exp(-tMax / tauS));
  return 1 / jUnit;
}

/**
 * Full-scale synapse numbers Q[target][source], unrounded: ln(1 − C) / ln((N_x N_y − 1)/(N_x N_y)),
 * written as the reference example computes it (so rounding reproduces its 298,880,968).
 */
export function fullSynapseCounts(): number[][] {
  return MC_CONN_PROBS.map((row, y) =>
    row.map((c, x) => {
      if (c === 0) return 0;
      const prod = MC_FULL_SIZES[x]! * MC_FULL_SIZES[y]!;
      return Math.log(1 - c) / Math.log((prod - 1) / prod);
    }),
  );
}

/** numpy's round(): halves to even (e.g. 1065 · 0.1 = 106.5 → 106). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const isExc = (p: number) => p % 2 === 0;

function checkScale(name: string, v: number): number {
  if (typeof v !== 'number' || !(v > 0) || v > 1) {
    throw new ValidationError(`microcircuit: ${name} = ${v} is out of range; allowed: 0 < ${name} ≤ 1.`, { object: 'microcircuit', parameter: name, expected: '0 < x ≤ 1' });
  }
  return v;
}

/** Derived parameters of the (scaled) microcircuit (§4.1–4.7, §4.12). */
export function microcircuitParams(o: Pick<MicrocircuitOptions, 'scale' | 'nScaling' | 'kScaling' | 'background'> = {}): MicrocircuitParams {
  const scale = o.scale ?? 1;
  const nScaling = checkScale('nScaling', o.nScaling ?? scale);
  const kScaling = checkScale('kScaling', o.kScaling ?? scale);
  const background = o.background ?? 'poisson';
  if (background !== 'poisson' && background !== 'dc') {
    throw new ValidationError(`microcircuit: background "${String(background)}" is unknown; valid: poisson, dc.`, { object: 'microcircuit', parameter: 'background', expected: 'poisson, dc' });
  }
  const { cm, tau_m, tau_syn } = MC_NEURON;
  const k = pscPerPsp(cm, tau_m, tau_syn);
  const full = fullSynapseCounts();
  const sizes = MC_FULL_SIZES.map((n) => roundHalfEven(n * nScaling));
  const synapses = full.map((row) => row.map((q) => roundHalfEven(q * nScaling * kScaling)));
  const kExt = MC_K_EXT.map((x) => roundHalfEven(x * kScaling));
  // Full-scale mean PSCs: g for inhibitory sources, L4E → L23E doubled.
  const fullWeight = MC_POPULATIONS.map((_, y) => MC_POPULATIONS.map((_, x) => k * MC_PSP_EXC * (isExc(x) ? (y === 0 && x === 2 ? 2 : 1) : MC_G)));
  const wExtFull = k * MC_PSP_EXC;
  const sq = Math.sqrt(kScaling);
  // Background DC at full scale (DC input only): 8 Hz × K_ext × w_ext × τ_syn.
  const dc = MC_K_EXT.map((kx) => (background === 'dc' ? 1e-3 * tau_syn * MC_BG_RATE * kx * wExtFull : 0));
  if (kScaling !== 1) {
    // Compensation of the mean input lost by scaling in-degrees (full-scale in-degrees and rates);
    // with Poisson input also the external input's lost mean.
    for (let y = 0; y < 8; y++) {
      let rec = 0;
      for (let x = 0; x < 8; x++) rec += fullWeight[y]![x]! * (full[y]![x]! / MC_FULL_SIZES[y]!) * MC_FULL_MEAN_RATES[x]!;
      const ext = background === 'poisson' ? wExtFull * MC_K_EXT[y]! * MC_BG_RATE : 0;
      dc[y] = dc[y]! + 1e-3 * tau_syn * (1 - sq) * (rec + ext);
    }
  }
  return {
    nScaling,
    kScaling,
    background,
    sizes,
    fullSynapses: full,
    synapses,
    kExt,
    pscPerPsp: k,
    weightMean: fullWeight.map((row) => row.map((w) => w / sq)),
    weightExt: wExtFull / sq,
    delayMean: MC_POPULATIONS.map((_, x) => (isExc(x) ? MC_DELAY_EXC : MC_DELAY_INH)),
    poissonRate: kExt.map((kx) => (background === 'poisson' ? MC_BG_RATE * kx : 0)),
    dc,
  };
}

/** The microcircuit as a NetworkIR (see the module comment). */
export function microcircuitNetwork(o: MicrocircuitOptions = {}): NetworkIR {
  const p = microcircuitParams(o);
  const dt = o.dt ?? 0.1;
  const seed = o.seed ?? 55;
  const total = p.sizes.reduce((a, b) => a + b, 0);
  const name = p.nScaling === 1 && p.kScaling === 1 ? 'microcircuit' : `microcircuit-${p.nScaling === p.kScaling ? p.nScaling : `${p.nScaling}x${p.kScaling}`}`;
  const net = new Network({ name, dt, duration: o.duration ?? 1000, seed, threads: o.threads ?? 0, ...(o.engine ? { engine: o.engine } : {}) });
  const recordFraction = o.recordFraction ?? 1;
  if (!(recordFraction >= 0 && recordFraction <= 1)) {
    throw new ValidationError(`microcircuit: recordFraction = ${recordFraction} is out of range; allowed: 0 … 1.`, { object: 'microcircuit', parameter: 'recordFraction' });
  }
  const rateBin = o.rateBin ?? 1;
  const { cm, tau_m, tau_syn, tau_refrac, v_rest, v_reset, v_thresh } = MC_NEURON;
  MC_POPULATIONS.forEach((label, y) => {
    const params = { cm, tau_m, tau_refrac, tau_syn_E: tau_syn, tau_syn_I: tau_syn, v_rest, v_reset, v_thresh, i_offset: p.dc[y]! };
    const v0: [number, number] = (o.v0 ?? 'optimized') === 'optimized' ? [MC_V0_MEAN[y]!, MC_V0_SD[y]!] : [-58, 10];
    net.population(label, p.sizes[y]!, 'iaf_psc_exp', params, { v: { normal: v0 } });
  });
  const totalSynapses = p.synapses.flat().reduce((a, b) => a + b, 0);
  let built = 0;
  MC_POPULATIONS.forEach((target, y) => {
    MC_POPULATIONS.forEach((source, x) => {
      const n = p.synapses[y]![x]!;
      if (n === 0) return;
      const label = `${source}→${target}`;
      net.addProjection(buildProjection(label, source, target, p.sizes[x]!, p.sizes[y]!, n, p.weightMean[y]![x]!, p.delayMean[x]!, dt, seed));
      built += n;
      o.onProgress?.(built / totalSynapses);
    });
  });
  MC_POPULATIONS.forEach((label, y) => {
    if (p.poissonRate[y]! > 0) net.stimulate(label, { kind: 'poisson', rate: p.poissonRate[y]!, weight: p.weightExt, receptor: 'excitatory', label: `background→${label}` });
    const m = Math.round(recordFraction * p.sizes[y]!);
    if (m === p.sizes[y]!) net.record(label, 'spikes');
    else if (m > 0) net.record(label, 'spikes', { indices: Array.from({ length: m }, (_, i) => i) });
    if (rateBin > 0) net.record(label, 'rate', { bin: rateBin });
  });
  const ir = net.toIR();
  ir.provenance = {
    benchmark: 'Potjans & Diesmann 2014 cortical microcircuit (shared/reference/benchmarks.md §4)',
    nScaling: p.nScaling,
    kScaling: p.kScaling,
    background: p.background,
    v0: o.v0 ?? 'optimized',
    neurons: total,
    synapses: totalSynapses,
    connector: 'fixed_total_number (sources and targets uniform, multapses and autapses allowed)',
    kExt: p.kExt,
    dc: p.dc,
  };
  return ir;
}

/**
 * One projection with exactly n synapses, each (source, target) pair drawn uniformly and
 * independently (NEST `fixed_total_number`), as CSR with rows sorted by target. Drawn as:
 * every synapse's target (only the in-degree counts are kept), then, target by target, every
 * synapse's source; a counting sort by source then lays the rows out in ascending target
 * order. Weights and delays are drawn per synapse in CSR order (they are independent of the
 * pair, so the order does not change their distribution).
 */
function buildProjection(label: string, pre: string, post: string, nPre: number, nPost: number, n: number, wMean: number, dMean: number, dt: number, seed: number): ProjectionIR {
  const conn = Rng.stream(seed, 'microcircuit-connect', label);
  const inCount = new Uint32Array(nPost);
  for (let k = 0; k < n; k++) inCount[Math.floor(conn.uniform() * nPost)]!++;
  const sources = new Uint32Array(n);
  const rowPtr = new Uint32Array(nPre + 1);
  for (let k = 0; k < n; k++) {
    const s = Math.floor(conn.uniform() * nPre);
    sources[k] = s;
    rowPtr[s + 1]!++;
  }
  for (let i = 0; i < nPre; i++) rowPtr[i + 1]! += rowPtr[i]!;
  const cursor = rowPtr.slice(0, nPre);
  const targets = new Uint32Array(n);
  let k = 0;
  for (let t = 0; t < nPost; t++) {
    for (let c = inCount[t]!; c > 0; c--) targets[cursor[sources[k++]!]!++] = t;
  }

  // Weights: normal(mean, 10 % |mean|), redrawn when the sign flips.
  const weight = new Float64Array(n);
  const wr = Rng.stream(seed, 'microcircuit-weight', label);
  const wSd = MC_WEIGHT_REL_SD * Math.abs(wMean);
  if (wMean >= 0) {
    for (let j = 0; j < n; j++) {
      let w: number;
      do w = wMean + wSd * wr.normal();
      while (w < 0);
      weight[j] = w;
    }
  } else {
    for (let j = 0; j < n; j++) {
      let w: number;
      do w = wMean + wSd * wr.normal();
      while (w > 0);
      weight[j] = w;
    }
  }
  // Delays: normal(mean, 50 % mean), redrawn below dt/2, rounded to the dt grid (≥ 1 step).
  const delay = new Float64Array(n);
  const dr = Rng.stream(seed, 'microcircuit-delay', label);
  const dSd = MC_DELAY_REL_SD * dMean;
  const dMin = 0.5 * dt;
  for (let j = 0; j < n; j++) {
    let d: number;
    do d = dMean + dSd * dr.normal();
    while (d < dMin);
    delay[j] = Math.max(1, Math.round(d / dt)) * dt;
  }
  return { label, pre, post, receptor: wMean >= 0 ? 'excitatory' : 'inhibitory', rowPtr, targets, weight, delay };
}
