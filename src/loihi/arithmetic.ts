/**
 * Loihi 2 / Lava bit-accurate arithmetic: the fixed-point LIF step of Lava's CPU
 * `fixed_pt` model and the weight pipeline of its Dense, Sparse, DelayDense and
 * DelaySparse connection processes, as small pure functions.
 *
 * The specification is ../shared/reference/loihi-lava.md (checked against Lava 0.11 by
 * running both on the same networks); section numbers below (§1.3, §2.1 …) refer to it.
 * The compatibility target is Lava's CPU `fixed_pt` models, not Loihi silicon (§1.4).
 *
 * All values are integers held in JavaScript numbers (doubles represent every integer
 * up to 2^53 exactly, and every intermediate here stays far below that). Where Lava
 * computes in 32-bit integers the functions wrap with `toInt32` exactly as NumPy's
 * int32 arithmetic does. The clock engine's `loihi_lif` kernel (src/models/loihi-lif.ts)
 * performs the same operations inline; the quantiser and exporters reuse these.
 */

// ---------------------------------------------------------------- constants (§1.3)

/** Decays are multiplications by (2^12 − d) followed by a shift by 12 bits. */
export const DECAY_SHIFT = 12;
export const DECAY_UNITY = 1 << DECAY_SHIFT; // 4096
/** Added to du (Lava's ds_offset): the effective current decay is du + 1. */
export const DS_OFFSET = 1;
/** Added to dv (Lava's dm_offset). */
export const DM_OFFSET = 0;
/** Input enters u as a << 6. */
export const ACT_SHIFT = 6;
/** The effective threshold is vth << 6. */
export const VTH_SHIFT = 6;
/** 2^23: u wraps once above it (or at/below its negative); v saturates at ±(2^23 − 1). */
export const UV_MAX = 2 ** 23;
export const V_LIMIT = UV_MAX - 1;

/** Ranges of Lava's documented register widths (§1.3, §6). Lava's CPU model does not enforce them. */
export const DU_RANGE = [-1, 4095] as const; // 12 bits; −1 is accepted and makes u a perfect integrator
export const DV_RANGE = [0, 4095] as const;
export const VTH_RANGE = [0, 131071] as const; // 17 bits
export const BIAS_MANT_RANGE = [-4096, 4095] as const; // 13 bits signed
export const BIAS_EXP_RANGE = [0, 7] as const; // 3 bits
/** Initial u may be any value the single wrap can produce: (−2^23, 2^23]. */
export const U_RANGE = [-(UV_MAX - 1), UV_MAX] as const;
export const V_RANGE = [-V_LIMIT, V_LIMIT] as const;

/** Synapse weights are 8-bit magnitudes (§2.1, §6). */
export const WEIGHT_BITS = 8;
/** DelayDense/DelaySparse: Lava raises above 63; netx clamps to 62, so 0..62 is safe (§2.3). */
export const MAX_DELAY = 62;
/**
 * Lava does not range-check weight_exp (§2.2). Shifts of a 32-bit integer are only
 * defined for 0..31 bits, so nematode accepts −31..31.
 */
export const WEIGHT_EXP_RANGE = [-31, 31] as const;

// ---------------------------------------------------------------- integer helpers

/** Two's-complement wrap to 32 bits (NumPy int32 overflow). Exact for any integer below 2^53. */
export function toInt32(x: number): number {
  return x | 0;
}

/** Two's-complement wrap to 16 bits (§1.3: bias_mant is stored as int16: 40000 → −25536). */
export function toInt16(x: number): number {
  return (x << 16) >> 16;
}

function requireInteger(x: number, what: string): void {
  if (!Number.isSafeInteger(x)) throw new RangeError(`${what} must be an integer, got ${x}`);
}

/** The shift `x << s` for s ≥ 0 and the arithmetic (floor) shift `x >> −s` for s < 0, on int32. */
function shift32(x: number, s: number): number {
  if (!Number.isInteger(s) || s < -31 || s > 31) throw new RangeError(`shift must be an integer in −31..31, got ${s}`);
  return s >= 0 ? toInt32(x) << s : toInt32(x) >> -s;
}

// ---------------------------------------------------------------- LIF (§1.3)

/** Multiplier of the current decay: 4096 − (du + 1), i.e. 4095 − du (4096 for du = −1, 0 for du = 4095). */
export function currentDecayFactor(du: number): number {
  return DECAY_UNITY - (du + DS_OFFSET);
}

/** Multiplier of the voltage decay: 4096 − dv. */
export function voltageDecayFactor(dv: number): number {
  return DECAY_UNITY - (dv + DM_OFFSET);
}

/**
 * One decay: p = x·factor (64-bit in Lava), then sign(p)·(|p| >> 12), i.e. p/4096
 * truncated toward zero, not floored: −6400·4095 = −26208000 → −6398, not −6399.
 * Exact: |p| < 2^31·2^13 is far below 2^53, and the division by 4096 is exact.
 */
export function decay(x: number, factor: number): number {
  return Math.trunc((x * factor) / DECAY_UNITY) + 0; // + 0 turns −0 into 0
}

/** The single, asymmetric wrap of u (§1.3): once down by 2^24 above 2^23, once up at or below −2^23; +2^23 itself is kept. Not a modulo. */
export function wrapCurrent(u: number): number {
  if (u > UV_MAX) return u - 2 * UV_MAX;
  if (u <= -UV_MAX) return u + 2 * UV_MAX;
  return u;
}

/** Saturation of v to ±(2^23 − 1) (§1.3): clipped, not wrapped. */
export function saturateVoltage(v: number): number {
  return v > V_LIMIT ? V_LIMIT : v < -V_LIMIT ? -V_LIMIT : v;
}

/**
 * bias_mant << bias_exp, or bias_mant >> −bias_exp (arithmetic) for a negative exponent
 * (§1.3), with bias_mant first stored as int16 as Lava does. The shift is done in 32
 * bits (Lava promotes the mantissa before shifting).
 */
export function effectiveBias(biasMant: number, biasExp: number): number {
  requireInteger(biasMant, 'bias_mant');
  return shift32(toInt16(biasMant), biasExp);
}

/** The threshold compared against v: vth << 6 (§1.3; Lava latches it on the first step). */
export function effectiveThreshold(vth: number): number {
  requireInteger(vth, 'vth');
  return shift32(vth, VTH_SHIFT);
}

/**
 * The new u from the old one and this step's summed input a (§1.3):
 * u' = wrap(int32(trunc(u·(4095 − du)/4096) + int32(a << 6))).
 */
export function currentStep(u: number, du: number, a: number): number {
  return wrapCurrent(toInt32(decay(u, currentDecayFactor(du)) + (toInt32(a) << ACT_SHIFT)));
}

/**
 * The new v from the old one, the new u and the effective bias (§1.3):
 * v' = saturate(trunc(v·(4096 − dv)/4096) + u' + bias_eff). The sum is taken in 32
 * bits like Lava's int32 state; it can only wrap when |u| is far outside 24 bits.
 */
export function voltageStep(v: number, dv: number, u: number, biasEff: number): number {
  return saturateVoltage(toInt32(decay(v, voltageDecayFactor(dv)) + u + biasEff));
}

/** Strict comparison with the effective threshold (§1.3): v = vth<<6 does not fire. */
export function fires(v: number, vthEff: number): boolean {
  return v > vthEff;
}

export interface LifParams {
  du: number;
  dv: number;
  /** From effectiveBias(bias_mant, bias_exp). */
  biasEff: number;
  /** From effectiveThreshold(vth). */
  vthEff: number;
}

export interface LifState {
  u: number;
  v: number;
}

/**
 * One step of Lava's bit-accurate LIF (§1.3) for one neuron: current, then voltage,
 * then the strict threshold; a spike resets v to 0 and leaves u alone. `a` is the sum
 * of everything arriving on a_in this step (int32, no 16-bit clip).
 */
export function lifStep(s: LifState, p: LifParams, a: number): LifState & { spike: boolean } {
  const u = currentStep(s.u, p.du, a);
  const v = voltageStep(s.v, p.dv, u, p.biasEff);
  const spike = fires(v, p.vthEff);
  return { u, v: spike ? 0 : v, spike };
}

// ---------------------------------------------------------------- weights (§2.1)

/** Lava's sign modes (weightutils.SignMode): also the receptors of `loihi_lif`. */
export type SignMode = 'excitatory' | 'inhibitory' | 'mixed';
export const SIGN_MODES: readonly SignMode[] = ['excitatory', 'inhibitory', 'mixed'];

/**
 * The sign mode Lava infers when none is given: from the whole matrix, implicit
 * zeros included: min ≥ 0 → excitatory, max ≤ 0 → inhibitory, else mixed. (Zeros never
 * change the outcome, so the explicit entries suffice; an all-zero matrix is excitatory.)
 */
export function inferSignMode(weights: ArrayLike<number>): SignMode {
  let min = 0;
  let max = 0;
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k]!;
    if (w < min) min = w;
    if (w > max) max = w;
  }
  if (min >= 0) return 'excitatory';
  if (max <= 0) return 'inhibitory';
  return 'mixed';
}

/** The range weights are clipped to before LSBs are dropped: [0, 255], [−255, 0] or [−256, 255]. */
export function weightClipRange(mode: SignMode): readonly [number, number] {
  const top = 2 ** WEIGHT_BITS - 1;
  return mode === 'excitatory' ? [0, top] : mode === 'inhibitory' ? [-top, 0] : [-(top + 1), top];
}

/** Clipping of one weight (§2.1). */
export function clipWeight(w: number, mode: SignMode): number {
  const [lo, hi] = weightClipRange(mode);
  return w < lo ? lo : w > hi ? hi : w;
}

/** Bits dropped from each weight: 8 − num_weight_bits, one more in mixed mode (the sign takes a bit). */
export function droppedLsbs(mode: SignMode, numWeightBits: number): number {
  if (!Number.isInteger(numWeightBits) || numWeightBits < 1 || numWeightBits > WEIGHT_BITS) {
    throw new RangeError(`num_weight_bits must be an integer in 1..${WEIGHT_BITS}, got ${numWeightBits}`);
  }
  return WEIGHT_BITS - numWeightBits + (mode === 'mixed' ? 1 : 0);
}

/**
 * Drops the k low bits of a clipped weight (§2.1) by an arithmetic shift right and
 * back, which floors: in mixed mode −5 → −6 and 5 → 4 (k = 1). Inhibitory weights are
 * shifted as magnitudes: −5 → −4 (k = 1).
 */
export function truncateWeightLsbs(w: number, mode: SignMode, numWeightBits: number): number {
  const k = droppedLsbs(mode, numWeightBits);
  const mag = mode === 'inhibitory' ? -w : w;
  const kept = Math.floor(mag / 2 ** k) * 2 ** k;
  return (mode === 'inhibitory' ? -kept : kept) + 0;
}

/**
 * The effective integer weight Lava's fixed-point Dense/Sparse use (§2.1): clip by sign
 * mode, then drop LSBs by num_weight_bits (default 8). The weight must be an integer
 * (round the float weights first; how is the quantiser's choice). The values stay on
 * the 8-bit scale; weight_exp is applied later, to the summed input.
 */
export function effectiveWeight(w: number, mode: SignMode, numWeightBits = WEIGHT_BITS): number {
  requireInteger(w, 'weight');
  return truncateWeightLsbs(clipWeight(w, mode), mode, numWeightBits);
}

/**
 * The pipeline over a whole matrix (its explicit entries; for Sparse, duplicate
 * entries must have been summed first, as scipy does). The sign mode is the given
 * one or the inferred one.
 */
export function effectiveWeights(
  weights: ArrayLike<number>,
  options: { signMode?: SignMode; numWeightBits?: number } = {},
): { signMode: SignMode; numWeightBits: number; weights: Float64Array } {
  const signMode = options.signMode ?? inferSignMode(weights);
  const numWeightBits = options.numWeightBits ?? WEIGHT_BITS;
  return { signMode, numWeightBits, weights: Float64Array.from(weights, (w) => effectiveWeight(w, signMode, numWeightBits)) };
}

/** Whether Lava leaves w unchanged (it is on the grid of the sign mode and bit count). */
export function isEffectiveWeight(w: number, mode: SignMode, numWeightBits = WEIGHT_BITS): boolean {
  return Number.isSafeInteger(w) && effectiveWeight(w, mode, numWeightBits) === w;
}

// ---------------------------------------------------------------- per step (§2.2, §2.3)

/**
 * A connection's output for one step and one postsynaptic neuron (§2.2): the int32 sum
 * of the weights of the active synapses, shifted by weight_exp: acc << weight_exp, or
 * acc >> −weight_exp, which floors. The shift acts on the SUM: with weight_exp = −1,
 * weights 3 and 3 give floor(6/2) = 3, not 1 + 1. For DelayDense/DelaySparse the sum is
 * taken per delay value (§2.3).
 */
export function shiftedInput(acc: number, weightExp: number): number {
  return shift32(acc, weightExp);
}

/** The Lava step at which a spike of step t is integrated into u, over a delay d (0 for Dense/Sparse): t + 1 + d (§2.3, §2.4). */
export function arrivalStep(t: number, d = 0): number {
  return t + 1 + d;
}

/**
 * A Lava delay d as the clock engine's delay in steps: 1 + d. The engine delivers a spike
 * of step n with delay D into step n + D, and `loihi_lif` integrates a step's arrivals
 * before its update; Lava's one step of synaptic latency is the 1.
 */
export function engineDelaySteps(d: number): number {
  if (!Number.isInteger(d) || d < 0 || d > MAX_DELAY) throw new RangeError(`Loihi delay must be an integer in 0..${MAX_DELAY}, got ${d}`);
  return 1 + d;
}

/** The raster column a Lava RingBuffer of T_buf columns sends at step t ≥ 1: (t − 1) mod T_buf (§2.4). */
export function ringBufferColumn(t: number, bufferSteps: number): number {
  return (((t - 1) % bufferSteps) + bufferSteps) % bufferSteps;
}

/**
 * Time axis: Lava step t (1-based) is the clock engine's step t − 1, over
 * [(t − 1)·dt, t·dt]; its spikes are reported at t·dt and monitors' values after it are
 * the trace samples at t·dt. Raster column c is sent at Lava step c + 1, so it is the
 * spike time (c + 1)·dt of a spike_source_array.
 */
export function rasterColumnTime(c: number, dt: number): number {
  return (c + 1) * dt;
}
