/**
 * Quantisation of a float LIF network (iaf_psc_exp / IF_curr_exp populations, spike
 * sources) onto Lava's bit-accurate LIF (`loihi_lif`), with a report of every rounding.
 * Spec: ../shared/reference/loihi-lava.md (§1.3 LIF, §2 connections, §6 limits); user
 * docs: docs/targets/loihi.md, section "Quantisation".
 *
 * The mapping is exact up to rounding. With V = v − v_rest in mV and one scale σ_i per
 * neuron (threshold units per mV, σ_i = vth / (v_thresh_i − v_rest_i)), Lava's LIF in its
 * float-equivalent form (§1.3: every fixed state divided by 64)
 *     u_k = r_u·u_{k−1} + a_k,   v_k = r_v·v_{k−1} + u_k + b,   r_u = (4095 − du)/4096, r_v = (4096 − dv)/4096
 * is the iaf_psc_exp exact-propagator step
 *     V_k = P22·V_{k−1} + P21·I_k + P20·i_offset,   I_{k+1} = P11·I_k + (arrivals of step k)
 * (I_k the synaptic current at the start of step k) when
 *   - r_u = P11 = e^{−dt/τ_syn}:  du = round(4096·(1 − e^{−dt/τ_syn})) − 1, clamped to −1..4095;
 *   - r_v = P22 = e^{−dt/τ_m}:    dv = round(4096·(1 − e^{−dt/τ_m})), clamped to 0..4095;
 *   - u_k = σ·P21·I_k, i.e. a float weight w (nA) becomes the input a = w·σ·P21 threshold units;
 *   - every synaptic path is one step longer in Lava than in the engine's float model: Lava's
 *     v integrates this step's u, the float V the current at the start of the step. A float
 *     delay of D steps therefore becomes the DelaySparse delay d = D (engine delay (1 + d)·dt),
 *     and a stimulus delivered straight into the neurons (delay 0) becomes d = 0.
 * Rounding du and dv changes r_u and r_v. The weights and biases are then corrected so that
 * the DC gain (the steady response to a constant input) is still exact:
 *     a = w·σ·P21·[(1 − r_u)/(1 − P11)]·[(1 − r_v)/(1 − P22)],   b = i_offset·(τ_m/c_m)·(1 − r_v)·σ.
 * The mean drive of every input is then exact, and only the filtering uses the rounded τ.
 *
 * Weights are integers in the sign mode of their receptor (excitatory 0..255, inhibitory
 * −255..0, 8 bits) times 2^weight_exp, weight_exp ≥ 0 chosen per projection. a_in is an
 * integer number of threshold units per step, and a negative weight_exp floors the sum,
 * so it never makes a single spike more precise. Precision comes from a large vth instead:
 * vth is searched in 2^15..2^16 − 1 (v saturates at −2 to −4 thresholds below rest) for the
 * value whose rounded weights and biases have the smallest systematic error. Weights are
 * rounded with error diffusion per postsynaptic neuron, so that each neuron's total input
 * (and the population's mean input) stays unbiased even when every weight is the same.
 */
import { UnknownNameError, UnsupportedError, ValidationError } from '../../src/errors.js';
import type { NetworkIR, PerElement, PopulationIR, ProjectionIR, RecordingIR } from '../../src/ir/types.js';
import { resolveTargets, validateNetwork, valueAt, type ResolvedNetwork, type ResolvedPopulation } from '../../src/ir/validate.js';
import * as L from '../../src/loihi/arithmetic.js';
import { propagator21 } from '../../src/models/iaf-psc-exp.js';

// ================================================================== options and report

export interface LoihiQuantizeOptions {
  /** Time step (ms) of the quantised network; the network's own dt when omitted. */
  dt?: number;
  /**
   * Map what Loihi's LIF can only approximate (refractory periods dropped, delays clipped to
   * 62 steps, reset moved to v_rest, one current time constant per population, Poisson
   * stimuli as Poisson sources) and list each approximation in the report.
   */
  approximate?: boolean;
}

/** Loihi 2 limits used by the core mapping (spec §6). */
export const LOIHI2_LIMITS = {
  /** At most 8192 neurons (compartments) per neurocore. */
  neuronsPerCore: 8192,
  /** Lava's mapper assumes 120 virtual cores per Loihi 2 chip (128 physical). */
  usableCoresPerChip: 120,
  /**
   * Synapse memory per core, bits. Intel publishes no Loihi 2 figure; this is Loihi 1's
   * MAX_SYNAPSE_BITS (128 KiB, nengo-loihi), the same size as Loihi 2's ~128 KB per-core SRAM,
   * which Loihi 2 shares with neuron state and routing. An estimate.
   */
  synapseBitsPerCore: 1_048_576,
  /** DelaySparse delays: Lava raises above 63, netx clamps to 62. */
  maxDelay: L.MAX_DELAY,
} as const;

/** The time constant behind one decay register. */
export interface LoihiTimeConstantReport {
  /** The float τ (ms); the geometric mean when it differed between neurons or receptors. */
  tau: number;
  /** `du` or `dv`. */
  register: 'du' | 'dv';
  value: number;
  /** Fraction of the state kept per step: Loihi (4095 − du)/4096 or (4096 − dv)/4096, and float e^{−dt/τ}. */
  keptLoihi: number;
  keptFloat: number;
  /** τ implied by the register at dt: −dt/ln(kept). null when nothing decays (τ infinite). */
  tauEffective: number | null;
  /** (τ_effective − τ)/τ; null when τ_effective is infinite. */
  relativeError: number | null;
}

export interface Range {
  min: number;
  max: number;
}

export interface LoihiPopulationReport {
  population: string;
  /** The model it had. */
  model: string;
  size: number;
  /** `loihi_lif`: quantised; `source`: a spike source, kept; `unchanged`: already loihi_lif. */
  mapping: 'loihi_lif' | 'source' | 'unchanged';
  /** The loihi_lif registers (uniform per population, as Lava's LIF has them). */
  du?: number;
  dv?: number;
  vth?: number;
  biasMant?: Range;
  biasExp?: Range;
  /** Largest |bias_eff − ideal|/|ideal| over neurons with a bias. */
  biasMaxRelativeError?: number;
  /** Threshold units per mV (σ = vth/(v_thresh − v_rest)); one per neuron, so a range. */
  thresholdUnitsPerMV?: Range;
  /** v saturates at −(2^23 − 1): the lowest membrane potential Loihi can hold (mV, the highest over neurons). */
  vFloorMV?: number;
  /** The membrane time constant and the current time constant (one u, one du, for all receptors). */
  tauM?: LoihiTimeConstantReport;
  tauSyn?: LoihiTimeConstantReport & {
    /** Each receptor in use: its float τ and the relative error of the effective τ against it. */
    perReceptor: Record<string, { tau: number; relativeError: number | null }>;
  };
  /** Largest relative systematic drive error of an incoming projection (see LoihiProjectionReport). */
  driveRelativeError?: number;
}

export interface LoihiProjectionReport {
  /** Label in the quantised network. */
  projection: string;
  /** What it came from: a projection label, or `stimulus "<label>"`. */
  from: string;
  pre: string;
  post: string;
  synapses: number;
  /** Lava sign mode (the loihi_lif receptor). */
  signMode: L.SignMode;
  /**
   * Threshold units of input per unit of float weight (per nA), before rounding:
   * the ideal a_in of one spike is w·scale. One value per postsynaptic neuron, so a range.
   */
  scale: Range;
  weightExp: number;
  numWeightBits: number;
  /** Lava delays d (engine delay (1 + d)·dt). */
  delay: Range;
  /** Synapses whose integer weight was clipped to the 8-bit range. */
  clipped: number;
  /** Synapses with a nonzero float weight that became 0. */
  zeroed: number;
  /**
   * Largest |w_loihi − w_ideal|/|w_ideal| over synapses with a nonzero float weight (1 for a
   * zeroed one). Can exceed 1: error diffusion rounds a weight below one step up now and
   * then, to keep the sum of such weights.
   */
  maxRelativeError: number;
  /** Σ |w_loihi − w_ideal| / Σ |w_ideal|: the typical relative error of a synapse, weighted by weight. */
  meanRelativeError: number;
  /** Systematic error of the projection's total drive: (Σ w_loihi − Σ w_ideal)/Σ |w_ideal|. */
  driveRelativeError: number;
  /** The same for each postsynaptic neuron's input from this projection: the largest |error| over neurons. */
  neuronDriveRelativeError: number;
  /** Approximate mode: synapses whose delay was clipped to 62. */
  delaysClipped?: number;
}

export interface LoihiCorePopulation {
  population: string;
  neurons: number;
  /** Synapses into the population (they live on its cores). */
  synapses: number;
  /** Estimated synapse memory: bits per synapse (weight, delay, target index) × synapses. */
  synapseBits: number;
  coresForNeurons: number;
  coresForSynapses: number;
  cores: number;
}

export interface LoihiCoreMapping {
  neuronsPerCore: number;
  usableCoresPerChip: number;
  synapseBitsPerCore: number;
  /** loihi_lif populations, each on cores of its own. */
  populations: LoihiCorePopulation[];
  cores: number;
  chips: number;
  /** Spike sources: inputs from the host or the embedded CPUs, on no neurocore. */
  inputNeurons: number;
  assumptions: string[];
}

export interface LoihiApproximation {
  /** `population "E"`, `projection "EE"`, `stimulus "s"`. */
  object: string;
  what: string;
}

export interface LoihiQuantizationReport {
  target: 'loihi2';
  network: string;
  dt: number;
  approximate: boolean;
  /** True when every neuron population was already loihi_lif: the network is returned unchanged. */
  unchanged: boolean;
  populations: LoihiPopulationReport[];
  projections: LoihiProjectionReport[];
  cores: LoihiCoreMapping;
  /** What approximate mode changed (empty without it). */
  approximations: LoihiApproximation[];
  /** Exact rewrites: stimuli turned into sources or biases, merged duplicate synapses, engine set to clock. */
  conversions: string[];
  /**
   * Predicted systematic change of each population's firing rate (relative) from the float
   * network to the quantised one, for populations firing at 5–50 Hz: the time-constant and
   * drive errors times an LIF neuron's sensitivity to them (predictRateError; derived in
   * docs/targets/loihi.md, "Quantisation"). Recurrent amplification and finite runs add
   * about 1–2 %, so expect agreement within max(5 %, this); the property test checks that.
   * null for sources; 0 for unchanged loihi_lif populations.
   */
  predictedRateError: Record<string, number | null>;
}

/** One thing Loihi's LIF cannot do, found while quantising. */
export interface LoihiOffender {
  object: string;
  problem: string;
  /** What approximate mode does about it; absent when it cannot be approximated. */
  approximation?: string;
}

/** The one error quantisation throws for everything Loihi's LIF cannot do; `offenders` lists them all. */
export class LoihiQuantizationError extends UnsupportedError {
  readonly offenders: readonly LoihiOffender[];
  constructor(network: string, offenders: LoihiOffender[], approximate: boolean) {
    const lines = offenders.map((o) => `  - ${o.object}: ${o.problem}${o.approximation && !approximate ? ` [--approximate: ${o.approximation}]` : ''}`);
    const approximable = offenders.filter((o) => o.approximation).length;
    const hint = approximate
      ? 'These cannot be approximated.'
      : approximable === offenders.length
        ? 'Pass approximate: true (CLI --approximate) to map them as marked.'
        : approximable > 0
          ? `Pass approximate: true (CLI --approximate) to map the ${approximable} marked ones; the others cannot be mapped.`
          : 'None of these can be approximated.';
    super(`network "${network}" cannot be quantised for Loihi 2 (Lava LIF): ${offenders.length} problem${offenders.length === 1 ? '' : 's'}:\n${lines.join('\n')}\n${hint}`, {
      object: offenders.map((o) => o.object).join(', '),
      expected: 'iaf_psc_exp (IF_curr_exp) populations, spike sources and spike projections Lava’s LIF can express',
      fix: approximable > 0 && !approximate ? 'approximate: true' : undefined,
    });
    this.offenders = offenders;
  }
}

// ================================================================== decay registers (§1.3)

/** du for a current time constant: the fraction lost per step, (du + 1)/4096, is 1 − e^{−dt/τ}, rounded; clamped to −1..4095. */
export function currentDecayRegister(dt: number, tau: number): number {
  return clamp(Math.round(-L.DECAY_UNITY * Math.expm1(-dt / tau)) - L.DS_OFFSET, L.DU_RANGE[0], L.DU_RANGE[1]);
}

/** dv for a membrane time constant: dv/4096 = 1 − e^{−dt/τ}, rounded; clamped to 0..4095. */
export function voltageDecayRegister(dt: number, tau: number): number {
  return clamp(Math.round(-L.DECAY_UNITY * Math.expm1(-dt / tau)), L.DV_RANGE[0], L.DV_RANGE[1]);
}

/** The τ a kept fraction implies at dt: −dt/ln(kept); 0 when nothing is kept, null (infinite) when all is. */
export function effectiveTau(dt: number, kept: number): number | null {
  if (kept <= 0) return 0;
  if (kept >= 1) return null;
  return -dt / Math.log(kept);
}

function timeConstantReport(dt: number, tau: number, register: 'du' | 'dv', value: number): LoihiTimeConstantReport {
  const keptLoihi = register === 'du' ? L.currentDecayFactor(value) / L.DECAY_UNITY : L.voltageDecayFactor(value) / L.DECAY_UNITY;
  const tauEffective = effectiveTau(dt, keptLoihi);
  return { tau, register, value, keptLoihi, keptFloat: Math.exp(-dt / tau), tauEffective, relativeError: tauEffective === null ? null : (tauEffective - tau) / tau };
}

/** bias_mant·2^bias_exp nearest to `raw` with the smallest exponent (most precision); null when |raw| needs more than 13 + 7 bits. */
export function encodeBias(raw: number): { mant: number; exp: number } | null {
  for (let exp = L.BIAS_EXP_RANGE[0]; exp <= L.BIAS_EXP_RANGE[1]; exp++) {
    const mant = roundHalfAway(raw / 2 ** exp);
    if (mant >= L.BIAS_MANT_RANGE[0] && mant <= L.BIAS_MANT_RANGE[1]) return { mant: mant + 0, exp };
  }
  return null;
}

// ================================================================== core mapping (§6)

/**
 * Cores and chips for loihi_lif populations of the given sizes and incoming synapses.
 * Each population gets cores of its own (a Lava process is placed on whole cores): enough
 * for its neurons (8192 per core) and for its synapses' estimated memory.
 */
export function loihiCoreMapping(
  populations: { population: string; neurons: number; synapses: number; bitsPerSynapse: number }[],
  inputNeurons = 0,
): LoihiCoreMapping {
  const { neuronsPerCore, usableCoresPerChip, synapseBitsPerCore } = LOIHI2_LIMITS;
  const pops = populations.map((p) => {
    const synapseBits = p.synapses * p.bitsPerSynapse;
    const coresForNeurons = Math.ceil(p.neurons / neuronsPerCore);
    const coresForSynapses = Math.ceil(synapseBits / synapseBitsPerCore);
    return { population: p.population, neurons: p.neurons, synapses: p.synapses, synapseBits, coresForNeurons, coresForSynapses, cores: Math.max(coresForNeurons, coresForSynapses) };
  });
  const cores = pops.reduce((s, p) => s + p.cores, 0);
  return {
    neuronsPerCore,
    usableCoresPerChip,
    synapseBitsPerCore,
    populations: pops,
    cores,
    chips: Math.ceil(cores / usableCoresPerChip),
    inputNeurons,
    assumptions: [
      `at most ${neuronsPerCore} neurons per core and ${usableCoresPerChip} usable cores per chip (Lava's mapper for Loihi 2)`,
      'each population on cores of its own',
      `synapse memory is an estimate: ${synapseBitsPerCore} bits per core (Loihi 1's figure; Intel publishes none for Loihi 2), each synapse taking its weight bits (+1 in mixed sign mode), 6 delay bits when delayed, and a target index of ceil(log2(neurons per core)) bits`,
      'spike sources feed the chip from the host or the embedded CPUs and take no neurocore',
    ],
  };
}

function bitsPerSynapse(postNeuronsPerCore: number, numWeightBits: number, mixed: boolean, delayed: boolean): number {
  return numWeightBits + (mixed ? 1 : 0) + (delayed ? 6 : 0) + Math.max(1, Math.ceil(Math.log2(Math.max(2, postNeuronsPerCore))));
}

// ================================================================== the public entry point

/** `quantize(network, { target: 'loihi2', dt, approximate })`: the issue's API; `network` is an IR or a Network. */
export function quantize(
  network: NetworkIR | { toIR(): NetworkIR },
  options: LoihiQuantizeOptions & { target: 'loihi2' | 'loihi' },
): { network: NetworkIR; report: LoihiQuantizationReport } {
  const targets = ['loihi2', 'loihi'];
  if (!targets.includes(options.target)) throw new UnknownNameError('quantisation target', String(options.target), targets, { object: 'quantize', parameter: 'target' });
  const ir = 'toIR' in network ? network.toIR() : network;
  return quantizeForLoihi(ir, { dt: options.dt, approximate: options.approximate });
}

/** Largest vth tried and smallest, before a large bias lowers them (see the module comment). */
const VTH_HI = 2 ** 16 - 1;
const VTH_LO = 2 ** 15;
/** Work budget of the vth search: candidates × distinct weight values × exponents tried. */
const SEARCH_BUDGET = 2e7;
/** Exponents tried below the one that fits the largest weight (trading clipped outliers for resolution). */
const EXP_TRIES = 8;
/** Fractional part of the golden ratio: offsets of the error diffusion. */
const GOLDEN = 0.6180339887498949;
/** Relative tolerance for "the same time constant". */
const SAME = 1e-9;

interface FloatProjection {
  label: string;
  from: string;
  pre: string;
  post: string;
  receptor: string;
  rowPtr: Uint32Array;
  targets: Uint32Array;
  weight: Float64Array;
  /** Lava delay d per synapse. */
  d: Int32Array;
  delaysClipped: number;
}

interface LifPlan {
  pop: ResolvedPopulation;
  du: number;
  dv: number;
  tauU: number;
  tauM: number;
  perReceptorTau: Record<string, number>;
  /** Per neuron: threshold fractions of input per nA of weight, per receptor. */
  k: Record<string, Float64Array>;
  /** Per neuron: bias in threshold fractions per step (before ×vth). */
  beta: Float64Array;
  theta: Float64Array;
}

/**
 * Maps a float LIF network onto loihi_lif (see the module comment for the formulas).
 * Throws one LoihiQuantizationError (an UnsupportedError) listing everything Loihi's LIF
 * cannot express; with `approximate` the approximable ones are mapped and reported. A
 * network whose neuron populations are all loihi_lif already is returned unchanged.
 */
export function quantizeForLoihi(ir: NetworkIR, options: LoihiQuantizeOptions = {}): { network: NetworkIR; report: LoihiQuantizationReport } {
  const net = validateNetwork(ir);
  const dt = options.dt ?? ir.run.dt;
  if (!Number.isFinite(dt) || dt <= 0) throw new ValidationError(`quantize: dt = ${dt} ms must be a positive time.`, { object: 'quantize', parameter: 'dt', expected: '> 0 ms' });
  const approximate = options.approximate === true;
  const offenders: LoihiOffender[] = [];
  const approximations: LoihiApproximation[] = [];
  const conversions: string[] = [];
  const offend = (object: string, problem: string, approximation?: string) => {
    offenders.push({ object, problem, ...(approximation ? { approximation } : {}) });
    if (approximation && approximate) approximations.push({ object, what: `${problem}: ${approximation}` });
  };

  // ---------------------------------------------------------------- populations
  const lifs = new Map<string, ResolvedPopulation>();
  for (const p of net.populations) {
    const object = `population "${p.label}"`;
    if (p.model.kind === 'source' || p.model.name === 'loihi_lif') continue;
    if (p.model.name === 'iaf_psc_exp') lifs.set(p.label, p);
    else if (p.model.name === 'iaf_cond_exp') offend(object, "conductance synapses (iaf_cond_exp / IF_cond_exp): Lava's LIF has current synapses only");
    else offend(object, `model ${p.model.name} has no equivalent in Lava's LIF (only iaf_psc_exp / IF_curr_exp is mapped)`);
  }
  const allLoihi = net.populations.every((p) => p.model.kind === 'source' || p.model.name === 'loihi_lif');
  if (allLoihi) return unchanged(net, dt, approximate);

  // ---------------------------------------------------------------- projections and stimuli
  const floatProjections: FloatProjection[] = [];
  const keptProjections: ProjectionIR[] = [];
  const newSources: PopulationIR[] = [];
  const takenLabels = new Set(net.populations.map((p) => p.label));
  const takenProjLabels = new Set(ir.projections.map((p) => p.label));
  for (const proj of ir.projections) {
    const object = `projection "${proj.label}"`;
    const t = proj.transmission ?? 'spike';
    if (t === 'gap') {
      offend(object, "gap junctions: Lava's LIF exchanges spikes only");
      continue;
    }
    if (t === 'graded') {
      offend(object, "graded synapses: Lava's LIF takes binary spikes (graded payloads need num_message_bits > 0, which loihi_lif does not model)");
      continue;
    }
    const post = net.byLabel.get(proj.post)!;
    if (post.model.name === 'loihi_lif') {
      keptProjections.push(rescaleLoihiDelays(proj, ir.run.dt, dt));
      continue;
    }
    if (!lifs.has(proj.post)) continue; // its post population is already an offender
    const n = proj.targets.length;
    const d = new Int32Array(n);
    let over = 0;
    let maxSteps = 0;
    for (let s = 0; s < n; s++) {
      const steps = Math.max(1, Math.round(valueAt(proj.delay, s) / dt));
      if (steps > L.MAX_DELAY) {
        over++;
        maxSteps = Math.max(maxSteps, steps);
      }
      d[s] = Math.min(steps, L.MAX_DELAY);
    }
    if (over > 0) {
      offend(
        object,
        `${over} synapse${over === 1 ? '' : 's'} with delays up to ${maxSteps} steps (${fmt(maxSteps * dt)} ms at dt ${fmt(dt)} ms); Lava's delays reach ${L.MAX_DELAY} steps`,
        `delays clipped to ${L.MAX_DELAY} steps (${fmt(L.MAX_DELAY * dt)} ms)`,
      );
    }
    floatProjections.push({
      label: proj.label,
      from: `projection "${proj.label}"`,
      pre: proj.pre,
      post: proj.post,
      receptor: proj.receptor,
      rowPtr: proj.rowPtr,
      targets: proj.targets,
      weight: Float64Array.from({ length: n }, (_, s) => valueAt(proj.weight, s)),
      d,
      delaysClipped: over,
    });
  }

  const steps = Math.round(ir.run.duration / dt);
  const dcCurrent = new Map<string, Float64Array>();
  for (const s of ir.stimuli) {
    const object = `stimulus "${s.label}"`;
    const pop = net.byLabel.get(s.population)!;
    if (!lifs.has(pop.label)) continue; // an offender already (and loihi_lif refuses stimuli at validation)
    const indices = resolveTargets(s, pop, object);
    if (s.kind === 'dc') {
      if (Math.round(s.start / dt) === 0 && Math.round(Math.min(s.stop, Number.MAX_VALUE) / dt) >= steps) {
        const add = dcCurrent.get(pop.label) ?? new Float64Array(pop.size);
        for (const i of indices) add[i] += s.amplitude;
        dcCurrent.set(pop.label, add);
        conversions.push(`${object}: a dc current over the whole run, added to the bias of "${pop.label}"`);
      } else {
        offend(object, `a dc current from ${fmt(s.start)} to ${fmt(s.stop)} ms: Lava's LIF has a constant bias but no time-varying current input`);
      }
    } else if (s.kind === 'step') {
      offend(object, "a step current: Lava's LIF has a constant bias but no time-varying current input");
    } else {
      // Spike inputs delivered straight into the neurons: a source population and a
      // one-to-one projection with Lava delay d = 0 (engine delay dt) arrive in the same step.
      const label = freshLabel(`${s.label}`, takenLabels);
      const size = indices.length;
      let source: PopulationIR;
      if (s.kind === 'spike_times') {
        const times = Float64Array.from(s.times);
        source = { label, model: 'spike_source_array', size, params: {}, initial: {}, spikeTimes: Array.from({ length: size }, () => times.slice()) };
        conversions.push(`${object}: spike times into "${pop.label}" → spike_source_array "${label}" and a one-to-one projection (d = 0)`);
      } else {
        offend(
          object,
          `a Poisson stimulus injected straight into "${pop.label}": Lava's LIF takes input only through connection processes`,
          `a spike_source_poisson population "${label}" of the same rate and a one-to-one projection (d = 0): same statistics, different random draws`,
        );
        source = { label, model: 'spike_source_poisson', size, params: { rate: s.rate, start: s.start, stop: s.stop }, initial: {} };
      }
      newSources.push(source);
      const projLabel = freshLabel(s.label, takenProjLabels);
      floatProjections.push({
        label: projLabel,
        from: object,
        pre: label,
        post: pop.label,
        receptor: s.receptor,
        rowPtr: Uint32Array.from({ length: size + 1 }, (_, i) => i),
        targets: Uint32Array.from(indices),
        weight: new Float64Array(size).fill(s.weight),
        d: new Int32Array(size),
        delaysClipped: 0,
      });
    }
  }

  // ---------------------------------------------------------------- per-population parameters
  const plans = new Map<string, LifPlan>();
  for (const pop of lifs.values()) {
    const plan = planPopulation(pop, dt, floatProjections, dcCurrent.get(pop.label), offend);
    if (plan) plans.set(pop.label, plan);
  }

  // Populations, then projections, then stimuli (a stable sort keeps the order within each).
  const rank = (o: { object: string }) => ['population', 'projection', 'stimulus'].findIndex((k) => o.object.startsWith(k));
  offenders.sort((a, b) => rank(a) - rank(b));
  approximations.sort((a, b) => rank(a) - rank(b));
  if (offenders.length > 0 && (!approximate || offenders.some((o) => !o.approximation))) {
    throw new LoihiQuantizationError(ir.name, approximate ? offenders.filter((o) => !o.approximation) : offenders, approximate);
  }

  // ---------------------------------------------------------------- merge duplicate synapses
  const merged: FloatProjection[] = [];
  for (const fp of floatProjections) {
    const parts = mergeDuplicates(fp, takenProjLabels);
    if (parts.length > 1 || parts[0]!.targets.length !== fp.targets.length) {
      conversions.push(
        `${fp.from}: ${fp.targets.length - parts.reduce((s, p) => s + p.targets.length, 0)} duplicate (pre, post, delay) synapses merged (Lava's Sparse would sum them before clipping)` +
          (parts.length > 1 ? `; pairs with several delays split into ${parts.map((p) => `"${p.label}"`).join(', ')}` : ''),
      );
    }
    merged.push(...parts);
  }

  // ---------------------------------------------------------------- quantise
  const populations: PopulationIR[] = [];
  const popReports: LoihiPopulationReport[] = [];
  const projReports: LoihiProjectionReport[] = [];
  const outProjections: ProjectionIR[] = [];
  const predicted: Record<string, number | null> = {};
  for (const pop of net.populations) {
    const plan = plans.get(pop.label);
    if (!plan) {
      populations.push(structuredClone(pop.ir));
      popReports.push({ population: pop.label, model: pop.model.name, size: pop.size, mapping: pop.model.kind === 'source' ? 'source' : 'unchanged' });
      predicted[pop.label] = pop.model.kind === 'source' ? null : 0;
      continue;
    }
    const incoming = merged.filter((p) => p.post === pop.label);
    const q = quantizePopulation(plan, incoming, dt);
    populations.push(q.population);
    popReports.push(q.report);
    projReports.push(...q.projectionReports);
    outProjections.push(...q.projections);
    predicted[pop.label] = q.predictedRateError;
  }
  populations.push(...newSources);
  for (const s of newSources) {
    popReports.push({ population: s.label, model: s.model, size: s.size, mapping: 'source' });
    predicted[s.label] = null;
  }
  // Projections in the original order (kept loihi ones first where they were).
  const order = new Map(ir.projections.map((p, i) => [p.label, i]));
  const all = [...keptProjections, ...outProjections];
  all.sort((a, b) => (order.get(a.label) ?? Infinity) - (order.get(b.label) ?? Infinity));

  const recordings: RecordingIR[] = [];
  for (const r of ir.recordings) {
    if (r.kind === 'state') {
      // iaf_psc_exp's v is loihi_lif's v (64·vth per threshold, 0 at v_rest); its currents are u.
      const vars = plans.has(r.population) ? [...new Set(r.variables.map((v) => (v === 'v' ? 'v' : 'u')))] : r.variables;
      recordings.push({ ...structuredClone(r), variables: vars, interval: Math.max(r.interval, dt) });
    } else recordings.push(structuredClone(r));
  }
  const run = { ...ir.run, dt, engine: 'clock' as const, solver: 'auto' as const };
  if (ir.run.engine !== 'clock') conversions.push(`engine "${ir.run.engine}" → "clock" (loihi_lif runs on the clock engine)`);
  if (dt !== ir.run.dt) conversions.push(`dt ${fmt(ir.run.dt)} ms → ${fmt(dt)} ms`);
  const out: NetworkIR = {
    irVersion: ir.irVersion,
    name: ir.name,
    populations,
    projections: all,
    stimuli: [],
    recordings,
    run,
    provenance: { ...(ir.provenance ?? {}), quantizedFor: 'loihi2', quantizedFromDt: ir.run.dt },
  };
  validateNetwork(out);
  const report: LoihiQuantizationReport = {
    target: 'loihi2',
    network: ir.name,
    dt,
    approximate,
    unchanged: false,
    populations: popReports,
    projections: projReports,
    cores: coresOf(out),
    approximations,
    conversions,
    predictedRateError: predicted,
  };
  return { network: out, report };
}

// ================================================================== per population

function planPopulation(
  pop: ResolvedPopulation,
  dt: number,
  projections: FloatProjection[],
  dc: Float64Array | undefined,
  offend: (object: string, problem: string, approximation?: string) => void,
): LifPlan | undefined {
  const object = `population "${pop.label}"`;
  const n = pop.size;
  const at = (name: string, i: number) => valueAt(pop.params[name]!, i);
  let ok = true;

  // Threshold above rest; reset at rest; no refractory period.
  let badTheta = 0;
  let resetOff = 0;
  let refrSteps = 0;
  for (let i = 0; i < n; i++) {
    if (!(at('v_thresh', i) - at('v_rest', i) > 0)) badTheta++;
    if (at('v_reset', i) !== at('v_rest', i)) resetOff++;
    refrSteps = Math.max(refrSteps, Math.round(at('tau_refrac', i) / dt));
  }
  if (badTheta > 0) {
    offend(object, `v_thresh is not above v_rest for ${badTheta} neuron${badTheta === 1 ? '' : 's'}: Lava's LIF rests at 0 and needs a threshold vth ≥ 0 above it`);
    ok = false;
  }
  if (resetOff > 0) {
    offend(
      object,
      `v_reset ≠ v_rest for ${resetOff} neuron${resetOff === 1 ? '' : 's'}: Lava's LIF resets v to 0, which is v_rest once voltages are shifted`,
      'reset to v_rest instead of v_reset',
    );
  }
  if (refrSteps > 0) {
    offend(
      object,
      `a refractory period of ${refrSteps} step${refrSteps === 1 ? '' : 's'} (tau_refrac up to ${fmt(maxOf(range(n).map((i) => at('tau_refrac', i))))} ms at dt ${fmt(dt)} ms): Lava's refractory LIF has no fixed-point model`,
      'refractory period dropped',
    );
  }

  // Membrane time constant: one dv per population.
  const tauMs = range(n).map((i) => at('tau_m', i));
  let tauM = tauMs[0]!;
  if (!allSame(tauMs)) {
    tauM = geomean(tauMs);
    offend(object, `tau_m differs between neurons (${fmt(-maxOf(tauMs.map((t) => -t)))}..${fmt(maxOf(tauMs))} ms): Lava's LIF has one dv per population`, `one dv from the geometric mean ${fmt(tauM)} ms; each neuron's DC gain kept exact`);
  }
  let dv = voltageDecayRegister(dt, tauM);
  if (dv === 0) {
    offend(object, `tau_m = ${fmt(tauM)} ms is over 8192 steps: dv rounds to 0 (no leak)`, 'dv = 1, the slowest leak');
    dv = 1;
  }

  // Current time constant: one u and one du for every receptor in use.
  const used = new Set<string>();
  for (const p of projections) if (p.post === pop.label) used.add(p.receptor);
  const receptorTau = (r: string) => (r === 'inhibitory' ? 'tau_syn_I' : 'tau_syn_E');
  const perReceptorTau: Record<string, number> = {};
  let allTaus: number[] = [];
  for (const r of used.size > 0 ? [...used].sort() : ['excitatory']) {
    const ts = range(n).map((i) => at(receptorTau(r), i));
    perReceptorTau[r] = allSame(ts) ? ts[0]! : geomean(ts);
    allTaus = allTaus.concat(ts);
  }
  let tauU = allTaus[0]!;
  if (!allSame(allTaus)) {
    tauU = geomean(allTaus);
    const which = Object.entries(perReceptorTau)
      .map(([r, t]) => `${receptorTau(r)} ${fmt(t)} ms`)
      .join(', ');
    offend(
      object,
      `synaptic time constants differ (${which}${Object.keys(perReceptorTau).length === 1 ? ', between neurons' : ''}): Lava's LIF has one current u and one du per population`,
      `one du from the geometric mean ${fmt(tauU)} ms; each input's DC gain kept exact`,
    );
  }
  let du = currentDecayRegister(dt, tauU);
  if (du === -1) {
    offend(object, `tau_syn = ${fmt(tauU)} ms is over 8192 steps: du rounds to −1 (no decay)`, 'du = 0, the slowest decay');
    du = 0;
  }
  if (!ok) return undefined;

  const ru = L.currentDecayFactor(du) / L.DECAY_UNITY;
  const rv = L.voltageDecayFactor(dv) / L.DECAY_UNITY;
  const theta = Float64Array.from({ length: n }, (_, i) => at('v_thresh', i) - at('v_rest', i));
  const k: Record<string, Float64Array> = {};
  for (const r of ['excitatory', 'inhibitory']) {
    const arr = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const tm = at('tau_m', i);
      const ts = at(receptorTau(r), i);
      const p21 = propagator21(dt, tm, ts, at('cm', i));
      // DC gain correction for the rounded decays (module comment).
      const gain = ((1 - ru) / -Math.expm1(-dt / ts)) * ((1 - rv) / -Math.expm1(-dt / tm));
      arr[i] = (p21 * gain) / theta[i]!;
    }
    k[r] = arr;
  }
  const dcAdd = dc ?? new Float64Array(n);
  const beta = Float64Array.from({ length: n }, (_, i) => ((at('i_offset', i) + dcAdd[i]!) * (at('tau_m', i) / at('cm', i)) * (1 - rv)) / theta[i]!);
  return { pop, du, dv, tauU, tauM, perReceptorTau, k, beta, theta };
}

interface Compressed {
  values: Float64Array;
  counts: Float64Array;
}

function compress(xs: ArrayLike<number>): Compressed {
  const m = new Map<number, number>();
  for (let s = 0; s < xs.length; s++) m.set(xs[s]! + 0, (m.get(xs[s]! + 0) ?? 0) + 1);
  return { values: Float64Array.from(m.keys()), counts: Float64Array.from(m.values()) };
}

/** Integer weight, clipping and the single-spike input it gives, for one ideal input x at exponent e ≥ 0. */
function weightAt(x: number, e: number, mode: L.SignMode): { w: number; input: number; clipped: boolean } {
  const raw = roundHalfAway(x / 2 ** e);
  const w = L.clipWeight(raw, mode) + 0;
  return { w, input: w * 2 ** e, clipped: w !== raw };
}

/**
 * The weight_exp of a projection at a given vth: from the one that fits its largest
 * weight into 8 bits (none clipped) down by up to 8, the one with the smallest total
 * |error| (ties: the larger), which clips outliers when that helps the rest. Never
 * negative (module comment), except when every weight would round to 0 at 0: then the
 * largest fills 8 bits, so that coincident spikes still add up before Lava's floor.
 */
function chooseExp(c: Compressed, vth: number, mode: L.SignMode): number {
  let m = 0;
  for (const y of c.values) m = Math.max(m, Math.abs(y) * vth);
  if (m === 0) return 0;
  const fit = Math.ceil(Math.log2(m / 255.5));
  if (fit < 0) return roundHalfAway(m) === 0 ? Math.max(fit, L.WEIGHT_EXP_RANGE[0]) : 0;
  let best = Math.min(fit, L.WEIGHT_EXP_RANGE[1]);
  let bestErr = Infinity;
  for (let e = best; e >= Math.max(0, fit - EXP_TRIES); e--) {
    let err = 0;
    for (let j = 0; j < c.values.length; j++) {
      const x = c.values[j]! * vth;
      err += c.counts[j]! * Math.abs(weightAt(x, e, mode).input - x);
    }
    if (err < bestErr) {
      bestErr = err;
      best = e;
    }
  }
  return best;
}

/** Single-spike input of an integer weight w at exponent e (Lava floors the shifted sum). */
function inputOf(w: number, e: number): number {
  return e >= 0 ? w * 2 ** e : Math.floor(w / 2 ** -e);
}

function projectionError(c: Compressed, vth: number, e: number, mode: L.SignMode): { systematic: number; absolute: number } {
  let sum = 0;
  let abs = 0;
  let ideal = 0;
  for (let j = 0; j < c.values.length; j++) {
    const x = c.values[j]! * vth;
    const w = L.clipWeight(roundHalfAway(x / 2 ** e), mode);
    const err = inputOf(w, e) - x;
    sum += c.counts[j]! * err;
    abs += c.counts[j]! * Math.abs(err);
    ideal += c.counts[j]! * Math.abs(x);
  }
  return ideal === 0 ? { systematic: 0, absolute: 0 } : { systematic: sum / ideal, absolute: abs / ideal };
}

function biasError(c: Compressed, vth: number): number {
  let worst = 0;
  for (const b of c.values) {
    if (b === 0) continue;
    const raw = 64 * vth * b;
    const enc = encodeBias(raw);
    if (!enc) return Infinity;
    worst = Math.max(worst, Math.abs(enc.mant * 2 ** enc.exp - raw) / Math.abs(raw));
  }
  return worst;
}

const modeOf = (receptor: string): L.SignMode => (receptor === 'inhibitory' ? 'inhibitory' : 'excitatory');

function quantizePopulation(plan: LifPlan, incoming: FloatProjection[], dt: number) {
  const { pop, du, dv, k, beta, theta } = plan;
  const n = pop.size;
  // Ideal inputs in threshold fractions per step, per projection (x = y·vth).
  const ys = incoming.map((p) => {
    const kr = k[p.receptor === 'inhibitory' ? 'inhibitory' : 'excitatory']!;
    const y = new Float64Array(p.targets.length);
    for (let s = 0; s < y.length; s++) y[s] = p.weight[s]! * kr[p.targets[s]!]!;
    return y;
  });
  const compressed = ys.map(compress);
  const biasC = compress(beta);

  // vth search (module comment). Score: the systematic drive error that error diffusion
  // leaves (plain rounding's, spread over the mean in-degree), the bias error, and a little
  // of the per-synapse error, so that of two equally good values the finer one wins.
  let hi = VTH_HI;
  let maxBeta = 0;
  for (const b of biasC.values) maxBeta = Math.max(maxBeta, Math.abs(b));
  if (maxBeta > 0) hi = Math.min(hi, Math.floor((L.BIAS_MANT_RANGE[1] * 2 ** L.BIAS_EXP_RANGE[1]) / (64 * maxBeta)));
  hi = Math.max(1, hi);
  const lo = Math.min(VTH_LO, hi);
  const indegree = incoming.map((p) => {
    const hit = new Set<number>();
    for (const t of p.targets) hit.add(t);
    return Math.max(1, p.targets.length / Math.max(1, hit.size));
  });
  const distinct = compressed.reduce((s, c) => s + c.values.length, 0) + biasC.values.length;
  const nCand = Math.max(1, Math.min(hi - lo + 1, Math.floor(SEARCH_BUDGET / ((EXP_TRIES + 2) * Math.max(1, distinct)))));
  let vth = hi;
  let bestScore = Infinity;
  for (let c = 0; c < nCand; c++) {
    const cand = nCand === 1 ? hi : Math.round(hi - (c * (hi - lo)) / (nCand - 1));
    let systematic = biasError(biasC, cand);
    let absolute = 0;
    compressed.forEach((cp, j) => {
      const mode = modeOf(incoming[j]!.receptor);
      const err = projectionError(cp, cand, chooseExp(cp, cand, mode), mode);
      systematic = Math.max(systematic, Math.abs(err.systematic) / indegree[j]!);
      absolute = Math.max(absolute, err.absolute);
    });
    const score = systematic + 0.01 * absolute;
    if (score < bestScore) {
      bestScore = score;
      vth = cand;
    }
  }

  // Bias and initial state.
  const biasMant = new Float64Array(n);
  const biasExp = new Float64Array(n);
  let biasRel = 0;
  for (let i = 0; i < n; i++) {
    const raw = 64 * vth * beta[i]!;
    const enc = encodeBias(raw)!;
    biasMant[i] = enc.mant;
    biasExp[i] = enc.exp;
    if (raw !== 0) biasRel = Math.max(biasRel, Math.abs(enc.mant * 2 ** enc.exp - raw) / Math.abs(raw));
  }
  const ru = L.currentDecayFactor(du) / L.DECAY_UNITY;
  const rv = L.voltageDecayFactor(dv) / L.DECAY_UNITY;
  const v0 = new Float64Array(n);
  const u0 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const V = valueAt(pop.initial.v!, i) - valueAt(pop.params.v_rest!, i);
    v0[i] = clamp(roundHalfAway((64 * vth * V) / theta[i]!), L.V_RANGE[0], L.V_RANGE[1]);
    // u after step 0 must be the float current at the start of step 0 (scaled); Lava decays u first.
    const target = 64 * vth * (valueAt(pop.initial.isyn_exc!, i) * k.excitatory![i]! + valueAt(pop.initial.isyn_inh!, i) * k.inhibitory![i]!);
    if (target !== 0) {
      if (ru > 0) u0[i] = clamp(roundHalfAway(target / ru), L.U_RANGE[0] + 1, L.U_RANGE[1] - 1);
      else v0[i] = clamp(roundHalfAway(v0[i]! + target / Math.max(rv, 1 / 4096)), L.V_RANGE[0], L.V_RANGE[1]);
    }
  }
  const population: PopulationIR = {
    label: pop.label,
    model: 'loihi_lif',
    size: n,
    params: { du, dv, vth, bias_mant: uniformOrArray(biasMant), bias_exp: uniformOrArray(biasExp) },
    initial: { u: uniformOrArray(u0), v: uniformOrArray(v0) },
  };
  if (pop.ir.neuronNames) population.neuronNames = [...pop.ir.neuronNames];
  if (pop.ir.positions) population.positions = pop.ir.positions.slice();

  // Projections.
  const projections: ProjectionIR[] = [];
  const projectionReports: LoihiProjectionReport[] = [];
  let worstDrive = 0;
  incoming.forEach((fp, j) => {
    const mode = modeOf(fp.receptor);
    const e = chooseExp(compressed[j]!, vth, mode);
    const y = ys[j]!;
    const m = y.length;
    const weight = new Float64Array(m);
    let clipped = 0;
    let zeroed = 0;
    let maxRel = 0;
    let sumErr = 0;
    let sumAbsErr = 0;
    let sumIdeal = 0;
    // Error diffusion per postsynaptic neuron: each synapse is rounded together with the
    // rounding error its neuron's earlier synapses (of this projection) left, so a neuron's
    // total input weight stays within a step of the ideal one. Each neuron's error starts at
    // a different offset in [−½, ½) (golden-ratio sequence), so that identical weights do
    // not all round the same way and the population's mean input is unbiased. A weight the
    // 8-bit range clips passes nothing on.
    const carry = Float64Array.from({ length: n }, (_, t) => (((t + 0.5) * GOLDEN) % 1) - 0.5);
    const neuronErr = new Float64Array(n);
    const neuronIdeal = new Float64Array(n);
    const q = 2 ** e;
    for (let s = 0; s < m; s++) {
      const t = fp.targets[s]!;
      const x = y[s]! * vth;
      const plain = roundHalfAway(x / q);
      const diffuse = e >= 0 && x !== 0;
      const w = L.clipWeight(diffuse ? roundHalfAway(x / q + carry[t]!) : plain, mode) + 0;
      weight[s] = w;
      if (L.clipWeight(plain, mode) !== plain) clipped++;
      else if (diffuse) carry[t] += x / q - w;
      const input = inputOf(w, e);
      if (x !== 0) {
        if (input === 0) zeroed++;
        maxRel = Math.max(maxRel, Math.abs(input - x) / Math.abs(x));
      }
      sumErr += input - x;
      sumAbsErr += Math.abs(input - x);
      sumIdeal += Math.abs(x);
      neuronErr[t] += input - x;
      neuronIdeal[t] += Math.abs(x);
    }
    let neuronDrive = 0;
    for (let i = 0; i < n; i++) if (neuronIdeal[i]! > 0) neuronDrive = Math.max(neuronDrive, Math.abs(neuronErr[i]!) / neuronIdeal[i]!);
    const drive = sumIdeal === 0 ? 0 : sumErr / sumIdeal;
    worstDrive = Math.max(worstDrive, Math.abs(drive));
    let dMin = Infinity;
    let dMax = -Infinity;
    for (const d of fp.d) {
      dMin = Math.min(dMin, d);
      dMax = Math.max(dMax, d);
    }
    const delay = m === 0 ? (1 + 0) * dt : dMin === dMax ? (1 + dMin) * dt : Float64Array.from(fp.d, (d) => (1 + d) * dt);
    const proj: ProjectionIR = {
      label: fp.label,
      pre: fp.pre,
      post: fp.post,
      receptor: mode,
      rowPtr: fp.rowPtr.slice(),
      targets: fp.targets.slice(),
      weight: uniformOrArray(weight),
      delay,
      loihi: { weightExp: e, numWeightBits: L.WEIGHT_BITS },
    };
    projections.push(proj);
    let sMin = Infinity;
    let sMax = -Infinity;
    const kr = k[mode === 'inhibitory' ? 'inhibitory' : 'excitatory']!;
    for (let i = 0; i < n; i++) {
      sMin = Math.min(sMin, kr[i]! * vth);
      sMax = Math.max(sMax, kr[i]! * vth);
    }
    projectionReports.push({
      projection: fp.label,
      from: fp.from,
      pre: fp.pre,
      post: fp.post,
      synapses: m,
      signMode: mode,
      scale: { min: sMin, max: sMax },
      weightExp: e,
      numWeightBits: L.WEIGHT_BITS,
      delay: { min: m === 0 ? 0 : dMin, max: m === 0 ? 0 : dMax },
      clipped,
      zeroed,
      maxRelativeError: maxRel,
      meanRelativeError: sumIdeal === 0 ? 0 : sumAbsErr / sumIdeal,
      driveRelativeError: drive,
      neuronDriveRelativeError: neuronDrive,
      ...(fp.delaysClipped > 0 ? { delaysClipped: fp.delaysClipped } : {}),
    });
  });

  const tauM = timeConstantReport(dt, plan.tauM, 'dv', dv);
  const tauSynBase = timeConstantReport(dt, plan.tauU, 'du', du);
  const perReceptor: Record<string, { tau: number; relativeError: number | null }> = {};
  for (const [r, t] of Object.entries(plan.perReceptorTau)) {
    perReceptor[r] = { tau: t, relativeError: tauSynBase.tauEffective === null ? null : (tauSynBase.tauEffective - t) / t };
  }
  let sigmaMin = Infinity;
  let sigmaMax = -Infinity;
  let floor = -Infinity;
  for (let i = 0; i < n; i++) {
    const sigma = vth / theta[i]!;
    sigmaMin = Math.min(sigmaMin, sigma);
    sigmaMax = Math.max(sigmaMax, sigma);
    floor = Math.max(floor, valueAt(pop.params.v_rest!, i) - L.V_LIMIT / (64 * sigma));
  }
  const report: LoihiPopulationReport = {
    population: pop.label,
    model: pop.model.name,
    size: n,
    mapping: 'loihi_lif',
    du,
    dv,
    vth,
    biasMant: rangeOf(biasMant),
    biasExp: rangeOf(biasExp),
    biasMaxRelativeError: biasRel,
    thresholdUnitsPerMV: { min: sigmaMin, max: sigmaMax },
    vFloorMV: floor,
    tauM,
    tauSyn: { ...tauSynBase, perReceptor },
    driveRelativeError: worstDrive,
  };
  const abs = (e: number | null) => (e === null ? 1 : Math.abs(e));
  const predictedRateError = predictRateError(worstDrive, biasRel, abs(tauM.relativeError), maxOf(Object.values(perReceptor).map((p) => abs(p.relativeError))));
  return { population, report, projections, projectionReports, predictedRateError };
}

/**
 * The predicted bound on a population's relative rate change from the float network to
 * the quantised one (docs/targets/loihi.md, "Quantisation", derives it). The DC gains are
 * exact, so three errors remain, each times the sensitivity of an LIF neuron's rate to it
 * for firing at 5–50 Hz:
 * - the membrane time constant: d ln ν / d ln τ_m ≤ 2 (1 from the interval scaling with
 *   τ_m, up to 1 more from the smaller voltage fluctuations of a longer τ_m at equal DC gain);
 * - the current time constant: d ln ν / d ln τ_syn ≤ 1.5 (fluctuation size and colour);
 * - the systematic drive (weights and bias): d ln ν / d ln μ ≤ 20.
 */
export function predictRateError(drive: number, bias: number, tauM: number, tauSyn: number): number {
  return SENS_TAU_M * tauM + SENS_TAU_SYN * tauSyn + SENS_DRIVE * (drive + bias);
}
const SENS_TAU_M = 2;
const SENS_TAU_SYN = 1.5;
const SENS_DRIVE = 20;

// ================================================================== helpers

/** Merges synapses with the same (pre, post, d) (weights add); pairs with several delays go into extra projections. */
function mergeDuplicates(fp: FloatProjection, taken: Set<string>): FloatProjection[] {
  const nPre = fp.rowPtr.length - 1;
  let dup = false;
  for (let i = 0; i < nPre && !dup; i++) {
    for (let s = fp.rowPtr[i]! + 1; s < fp.rowPtr[i + 1]!; s++) {
      if (fp.targets[s]! <= fp.targets[s - 1]!) {
        const seen = new Set<number>();
        for (let q = fp.rowPtr[i]!; q < fp.rowPtr[i + 1]!; q++) {
          if (seen.has(fp.targets[q]!)) dup = true;
          seen.add(fp.targets[q]!);
        }
        break;
      }
    }
  }
  if (!dup) return [fp];
  const layers: { pre: number; post: number; d: number; w: number }[][] = [];
  for (let i = 0; i < nPre; i++) {
    const byPost = new Map<number, Map<number, number>>();
    for (let s = fp.rowPtr[i]!; s < fp.rowPtr[i + 1]!; s++) {
      const t = fp.targets[s]!;
      const m = byPost.get(t) ?? new Map<number, number>();
      m.set(fp.d[s]!, (m.get(fp.d[s]!) ?? 0) + fp.weight[s]!);
      byPost.set(t, m);
    }
    for (const t of [...byPost.keys()].sort((a, b) => a - b)) {
      [...byPost.get(t)!.entries()]
        .sort((a, b) => a[0] - b[0])
        .forEach(([d, w], layer) => {
          (layers[layer] ??= []).push({ pre: i, post: t, d, w });
        });
    }
  }
  return layers.map((entries, layer) => {
    const rowPtr = new Uint32Array(nPre + 1);
    for (const e of entries) rowPtr[e.pre + 1]!++;
    for (let i = 0; i < nPre; i++) rowPtr[i + 1]! += rowPtr[i]!;
    return {
      ...fp,
      label: layer === 0 ? fp.label : freshLabel(`${fp.label}#${layer + 1}`, taken),
      rowPtr,
      targets: Uint32Array.from(entries, (e) => e.post),
      weight: Float64Array.from(entries, (e) => e.w),
      d: Int32Array.from(entries, (e) => e.d),
    };
  });
}

/** A network of loihi_lif populations (and sources) is returned as it is, re-expressed at dt. */
function unchanged(net: ResolvedNetwork, dt: number, approximate: boolean): { network: NetworkIR; report: LoihiQuantizationReport } {
  const ir = net.ir;
  const out: NetworkIR = structuredClone(ir);
  out.run = { ...out.run, dt };
  out.projections = ir.projections.map((p) => rescaleLoihiDelays(structuredClone(p), ir.run.dt, dt));
  validateNetwork(out);
  const uniform = (x: PerElement | undefined) => (typeof x === 'number' ? x : undefined);
  const populations: LoihiPopulationReport[] = net.populations.map((p) =>
    p.model.kind === 'source'
      ? { population: p.label, model: p.model.name, size: p.size, mapping: 'source' }
      : { population: p.label, model: p.model.name, size: p.size, mapping: 'unchanged', du: uniform(p.params.du), dv: uniform(p.params.dv), vth: uniform(p.params.vth) },
  );
  const projections: LoihiProjectionReport[] = out.projections.map((p) => {
    const n = p.targets.length;
    let dMin = Infinity;
    let dMax = -Infinity;
    for (let s = 0; s < n; s++) {
      const d = Math.round(valueAt(p.delay, s) / dt) - 1;
      dMin = Math.min(dMin, d);
      dMax = Math.max(dMax, d);
    }
    return {
      projection: p.label,
      from: `projection "${p.label}"`,
      pre: p.pre,
      post: p.post,
      synapses: n,
      signMode: p.receptor as L.SignMode,
      scale: { min: 1, max: 1 },
      weightExp: p.loihi?.weightExp ?? 0,
      numWeightBits: p.loihi?.numWeightBits ?? L.WEIGHT_BITS,
      delay: { min: n ? dMin : 0, max: n ? dMax : 0 },
      clipped: 0,
      zeroed: 0,
      maxRelativeError: 0,
      meanRelativeError: 0,
      driveRelativeError: 0,
      neuronDriveRelativeError: 0,
    };
  });
  const report: LoihiQuantizationReport = {
    target: 'loihi2',
    network: ir.name,
    dt,
    approximate,
    unchanged: true,
    populations,
    projections,
    cores: coresOf(out),
    approximations: [],
    conversions: dt !== ir.run.dt ? [`dt ${fmt(ir.run.dt)} ms → ${fmt(dt)} ms (delays keep their steps)`] : [],
    predictedRateError: Object.fromEntries(net.populations.map((p) => [p.label, p.model.kind === 'source' ? null : 0])),
  };
  return { network: out, report };
}

/** A projection into loihi_lif keeps its Lava delays d when dt changes. */
function rescaleLoihiDelays(proj: ProjectionIR, fromDt: number, toDt: number): ProjectionIR {
  if (fromDt === toDt) return structuredClone(proj);
  const d = proj.delay;
  const re = (x: number) => Math.round(x / fromDt) * toDt;
  return { ...structuredClone(proj), delay: typeof d === 'number' ? re(d) : Float64Array.from(d, re) };
}

function coresOf(out: NetworkIR): LoihiCoreMapping {
  const pops = out.populations.filter((p) => p.model === 'loihi_lif');
  let inputs = 0;
  for (const p of out.populations) if (p.model !== 'loihi_lif') inputs += p.size;
  return loihiCoreMapping(
    pops.map((p) => {
      const into = out.projections.filter((q) => q.post === p.label);
      const perCore = Math.min(p.size, LOIHI2_LIMITS.neuronsPerCore);
      let synapses = 0;
      let bits = 0;
      for (const q of into) {
        const n = q.targets.length;
        const delayed = typeof q.delay === 'number' ? q.delay > out.run.dt * 1.5 : q.delay.some((x) => x > out.run.dt * 1.5);
        synapses += n;
        bits += n * bitsPerSynapse(perCore, q.loihi?.numWeightBits ?? L.WEIGHT_BITS, q.receptor === 'mixed', delayed);
      }
      return { population: p.label, neurons: p.size, synapses, bitsPerSynapse: synapses ? bits / synapses : 0 };
    }),
    inputs,
  );
}

function freshLabel(base: string, taken: Set<string>): string {
  let label = base;
  for (let k = 2; taken.has(label); k++) label = `${base}#${k}`;
  taken.add(label);
  return label;
}

function uniformOrArray(a: Float64Array): PerElement {
  if (a.length === 0) return 0;
  for (let i = 1; i < a.length; i++) if (a[i] !== a[0]) return a;
  return a[0]!;
}

function rangeOf(a: Float64Array): Range {
  let min = Infinity;
  let max = -Infinity;
  for (const x of a) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return { min, max };
}

/** The largest element (0 for none); a loop, since spreading a million arguments overflows the stack. */
function maxOf(xs: ArrayLike<number>): number {
  let m = xs.length > 0 ? -Infinity : 0;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > m) m = xs[i]!;
  return m;
}

function allSame(xs: number[]): boolean {
  return xs.every((x) => Math.abs(x - xs[0]!) <= SAME * Math.abs(xs[0]!));
}

function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Rounds half away from zero, so that excitatory and inhibitory weights round alike. */
function roundHalfAway(x: number): number {
  return (Math.sign(x) * Math.round(Math.abs(x))) + 0;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}

// ================================================================== printing

function pct(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  const s = (x * 100).toFixed(Math.abs(x) < 0.001 ? 3 : 2);
  return `${/^-0\.0+$/.test(s) ? s.slice(1) : s}%`;
}

function rng(r: Range | undefined, digits = 0): string {
  if (!r) return '—';
  const f = (x: number) => (digits ? x.toPrecision(digits) : String(x));
  return r.min === r.max ? f(r.min) : `${f(r.min)}..${f(r.max)}`;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => '  ' + r.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
  return [line(head), ...rows.map(line)];
}

/** The report as text, for the terminal. */
export function formatQuantizationReport(report: LoihiQuantizationReport): string {
  const out: string[] = [];
  out.push(`Loihi 2 quantisation of "${report.network}" at dt ${fmt(report.dt)} ms${report.approximate ? ' (approximate)' : ''}${report.unchanged ? ': already loihi_lif, unchanged' : ''}`);
  out.push('');
  out.push('populations');
  out.push(
    ...table(
      ['population', 'neurons', 'mapping', 'du', 'dv', 'vth', 'bias_mant', 'bias_exp', 'tau_syn→eff (ms)', 'err', 'tau_m→eff (ms)', 'err', 'pred. rate err'],
      report.populations.map((p) => [
        p.population,
        String(p.size),
        p.mapping,
        p.du === undefined ? '—' : String(p.du),
        p.dv === undefined ? '—' : String(p.dv),
        p.vth === undefined ? '—' : String(p.vth),
        rng(p.biasMant),
        rng(p.biasExp),
        p.tauSyn ? `${fmt(p.tauSyn.tau)}→${p.tauSyn.tauEffective === null ? '∞' : fmt(p.tauSyn.tauEffective)}` : '—',
        pct(p.tauSyn?.relativeError),
        p.tauM ? `${fmt(p.tauM.tau)}→${p.tauM.tauEffective === null ? '∞' : fmt(p.tauM.tauEffective)}` : '—',
        pct(p.tauM?.relativeError),
        pct(report.predictedRateError[p.population]),
      ]),
    ),
  );
  if (report.projections.length > 0) {
    out.push('');
    out.push('projections');
    out.push(
      ...table(
        ['projection', 'synapses', 'sign', 'scale (/nA)', 'weight_exp', 'bits', 'delay d', 'clipped', 'zeroed', 'max err', 'mean err', 'drive err'],
        report.projections.map((p) => [
          p.projection,
          String(p.synapses),
          p.signMode,
          rng(p.scale, 4),
          String(p.weightExp),
          String(p.numWeightBits),
          rng(p.delay),
          String(p.clipped),
          String(p.zeroed),
          pct(p.maxRelativeError),
          pct(p.meanRelativeError),
          pct(p.driveRelativeError),
        ]),
      ),
    );
  }
  const c = report.cores;
  out.push('');
  out.push(`cores: ${c.cores} (≤ ${c.neuronsPerCore} neurons per core), chips: ${c.chips} (${c.usableCoresPerChip} usable cores each); ${c.inputNeurons} input neurons off-core`);
  for (const p of c.populations) {
    out.push(`  ${p.population}: ${p.neurons} neurons → ${p.coresForNeurons} core${p.coresForNeurons === 1 ? '' : 's'}; ${p.synapses} synapses ≈ ${p.synapseBits} bits → ${p.coresForSynapses}`);
  }
  if (report.approximations.length > 0) {
    out.push('');
    out.push('approximations');
    for (const a of report.approximations) out.push(`  - ${a.object}: ${a.what}`);
  }
  if (report.conversions.length > 0) {
    out.push('');
    out.push('conversions (exact)');
    for (const s of report.conversions) out.push(`  - ${s}`);
  }
  return out.join('\n');
}
