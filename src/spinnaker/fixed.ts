/**
 * sPyNNaker's fixed-point arithmetic as pure functions (spec: ../shared/reference/spinnaker-pynn.md
 * §1.1–§1.2, §2.2; user docs: docs/targets/spinnaker.md "Fixed-point model").
 *
 * Values are handled as their raw integer bits held in JavaScript numbers:
 * - s16.15 (`REAL`/`accum`): int32, value = bits / 2^15;
 * - u0.32 (`UFRACT`, decay factors): uint32, value = bits / 2^32.
 *
 * The spinnaker_IF_curr_exp / spinnaker_IF_cond_exp kernels (src/models/spinnaker-lif.ts)
 * inline the same operations (kernels cannot call module functions); test/spinnaker-fixed.test.ts
 * checks both against an independent BigInt reference.
 *
 * Every product here is exact: s16.15 × s16.15 products are split when they could exceed
 * 2^53, and u0.32 multiplications split the factor into 16-bit halves.
 */

/** 2^15: one in s16.15. */
export const ONE = 32768;
/** 2^32: one in u0.32 (not representable; the largest u0.32 is 2^32 − 1). */
export const U032_ONE = 4294967296;
export const S1615_MAX = 2147483647;
export const S1615_MIN = -2147483648;
/** Ring-buffer slots and synaptic-row weights are unsigned 16 bit (SYNAPSE_WEIGHT_BITS). */
export const WEIGHT_MAX = 0xffff;
/** sPyNNaker's conductance input type scales µS by 1024 before the 16-bit encoding and shifts right by 10 on chip. */
export const CONDUCTANCE_WEIGHT_SCALE = 1024;
export const CONDUCTANCE_SHIFT = 10;
/** Ring-buffer left shifts range over 0..15 (one LSB = 2^(shift − 15)). */
export const MAX_RING_SHIFT = 15;

/** Two's-complement wrap to int32, as `accum` (non-saturating) arithmetic does. Needs an exact integer. */
export function wrap32(x: number): number {
  return x | 0;
}

/** Clamps an integer to the s16.15 range (saturating conversion). */
export function saturate(bits: number): number {
  return bits > S1615_MAX ? S1615_MAX : bits < S1615_MIN ? S1615_MIN : bits;
}

/** Round half to even (Python's Decimal default, used by the host's DataType encoding). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Host encoding of a float as s16.15 (DataType.S1615): round(x·2^15), saturated to the range. */
export function toS1615(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`toS1615: ${x} is not finite`);
  return saturate(roundHalfEven(x * ONE));
}

export function fromS1615(bits: number): number {
  return bits / ONE;
}

/** A float rounded to the nearest s16.15 value (the value the core holds for a host parameter). */
export function quantizeS1615(x: number): number {
  return fromS1615(toS1615(x));
}

/** Host encoding of a float in [0, 1] as u0.32: round(x·2^32), clipped to 0..2^32 − 1. */
export function toU032(x: number): number {
  const b = roundHalfEven(x * U032_ONE);
  return b < 0 ? 0 : b > U032_ONE - 1 ? U032_ONE - 1 : b;
}

/**
 * floor(a·b / 2^15) exactly for int32 a, b (the 64-bit product then an arithmetic shift:
 * the plain `*` of two accums, truncating toward −∞), wrapped to int32.
 */
export function mulS1615(a: number, b: number): number {
  return wrap32(mulShift(a, b, 0));
}

/**
 * MULT_ROUND_NEAREST_ACCUM: (a·b + 2^14) >> 15 — round to nearest, ties toward +∞
 * (so −0.5 LSB rounds to 0, −1.5 LSB to −1), wrapped to int32.
 */
export function mulRoundS1615(a: number, b: number): number {
  return wrap32(mulShift(a, b, 16384));
}

/** floor((a·b + add) / 2^15) exactly for int32 a, b (b split into 16-bit halves when needed). */
function mulShift(a: number, b: number, add: number): number {
  const p = a * b;
  if (Math.abs(p) < 2 ** 52) return Math.floor((p + add) / ONE);
  const bh = Math.floor(b / 65536);
  const bl = b - bh * 65536;
  // a·b = a·bh·2^16 + a·bl; a·bh·2^16 / 2^15 = 2·a·bh exactly.
  return 2 * a * bh + Math.floor((a * bl + add) / ONE);
}

/**
 * s16.15 × u0.32 → s16.15 (decaying a synaptic value, or a weight times `init`):
 * (int64(x)·uint64(d)) >> 32, an arithmetic shift (floor). Exact for int32 x, uint32 d.
 */
export function mulDecay(x: number, d: number): number {
  const dh = Math.floor(d / 65536);
  const dl = d - dh * 65536;
  // x·d = (x·dh)·2^16 + x·dl; floor(x·d / 2^32) = floor((x·dh + floor(x·dl / 2^16)) / 2^16).
  return Math.floor((x * dh + Math.floor((x * dl) / 65536)) / 65536) | 0;
}

/** kdivk: accum ÷ accum as (a << 15) / b, unsigned 64-bit integer division (a, b ≥ 0 here). */
export function kdivk(a: number, b: number): number {
  if (a < 0 || b <= 0) throw new RangeError(`kdivk(${a}, ${b}): needs a ≥ 0 and b > 0`);
  return Number((BigInt(a) << 15n) / BigInt(b));
}

/** kdivui: accum ÷ unsigned integer, a_bits / n truncated. */
export function kdivui(a: number, n: number): number {
  return Math.trunc(a / n);
}

/**
 * The constants the core derives at load time (sPyNNaker ≥ 7, spec §1.2) from the s16.15
 * parameters. ts = dt / n_steps (one step per tick here). The on-chip expk/expulr are
 * modelled as the exponential of the exact quotient of the s16.15 values ts/τ, rounded to
 * nearest in the result format (spec §6: not bit-exact on chip; the spec's error analysis
 * in §1.2, exp_TC within 2^-16 and u0.32 decays essentially exact, assumes the same).
 */
export function timeStepBits(dtMs: number, nStepsPerTimestep = 1): number {
  return kdivui(toS1615(dtMs), nStepsPerTimestep);
}

/** exp_TC = expk(−ts/tau_m), s16.15 (15 fractional bits only). */
export function membraneDecay(tsBits: number, tauM: number): number {
  return roundHalfEven(Math.exp(-tsBits / toS1615(tauM)) * ONE);
}

/** R_membrane = tau_m / c_m (MΩ), s16.15 via kdivk. */
export function membraneResistance(tauM: number, cm: number): number {
  return kdivk(toS1615(tauM), toS1615(cm));
}

/** Exponential synapse decay = expulr(−ts/tau), u0.32. */
export function synapseDecay(tsBits: number, tau: number): number {
  return toU032(Math.exp(-tsBits / toS1615(tau)));
}

/**
 * Exponential synapse init = (tau/ts)·(1 − decay), u0.32: the s16.15 ratio times the u0.32
 * complement, (x·d) >> 15. Clipped to u0.32 (≥ 1 would not fit; it is < 1 for any tau > 0).
 */
export function synapseInit(tsBits: number, tau: number, decay: number): number {
  const ratio = kdivk(toS1615(tau), tsBits);
  const v = Number((BigInt(ratio) * BigInt(U032_ONE - decay)) >> 15n);
  return Math.min(v, U032_ONE - 1);
}

/** T_refract = ceil(tau_refrac / ts) ticks, the ceiling taken on the s16.15 quotient's bits. */
export function refractoryTicks(tsBits: number, tauRefrac: number): number {
  const q = kdivk(toS1615(tauRefrac), tsBits);
  return Math.floor((q + ONE - 1) / ONE);
}

/**
 * Weight quantisation for the synaptic rows and ring buffers (spec §2.2): the 16-bit weight
 * of a synapse with weight w (nA, or µS for conductance synapses: pass
 * CONDUCTANCE_WEIGHT_SCALE as `globalScale`) into a synapse type with ring-buffer left shift
 * `shift` is rint(|w|·2^(15 − shift)·globalScale). The sign is dropped (the receptor carries
 * it). sPyNNaker masks the value to 16 bits, which its shift choice never needs; here a
 * value above 0xFFFF saturates at 0xFFFF instead (`saturated` tells). On chip one LSB is
 * 2^(shift − 15) nA (µS·1024): fixedToWeight inverts it.
 */
export function weightToFixed(w: number, shift: number, globalScale = 1): { bits: number; saturated: boolean } {
  checkShift(shift);
  const raw = roundHalfEven(Math.abs(w) * 2 ** (MAX_RING_SHIFT - shift) * globalScale);
  return raw > WEIGHT_MAX ? { bits: WEIGHT_MAX, saturated: true } : { bits: raw, saturated: false };
}

/** The weight (nA, or µS with globalScale 1024) that 16-bit weight `bits` stands for under `shift`. */
export function fixedToWeight(bits: number, shift: number, globalScale = 1): number {
  checkShift(shift);
  return (bits * 2 ** (shift - MAX_RING_SHIFT)) / globalScale;
}

function checkShift(shift: number): void {
  if (!Number.isInteger(shift) || shift < 0 || shift > MAX_RING_SHIFT) throw new RangeError(`ring-buffer shift ${shift} must be an integer in 0..${MAX_RING_SHIFT}`);
}

/** Adds 16-bit weights into a ring-buffer slot, saturating at 0xFFFF (the core counts such events). */
export function ringAdd(slot: number, w16: number): number {
  const s = slot + w16;
  return s > WEIGHT_MAX ? WEIGHT_MAX : s;
}

/** A ring slot's value as the s16.15 input it becomes on transfer: w16 << shift. */
export function ringToS1615(w16: number, shift: number): number {
  return Math.min(w16, WEIGHT_MAX) * 2 ** shift;
}

/** Statistics of one incoming projection of one synapse type, in its weight units (× global scale). */
export interface ShiftInput {
  /** Largest |weight|. */
  wMax: number;
  wMean: number;
  wVar: number;
  /** Largest number of its connections onto any one postsynaptic neuron. */
  nConns: number;
  /** Presynaptic rate (Hz): 30 for neurons (spikes_per_second), a source's own maximum rate otherwise. */
  rateHz: number;
  /** Variance of its delays (0: all equal). */
  delayVar: number;
}

/**
 * The largest value a ring slot (one tick, one neuron, one synapse type) is expected to
 * accumulate, W of spec §2.2: with identical delays everything may arrive together
 * (Σ spikes_per_tick·w_max·n_conns, spikes_per_tick ≥ 1); otherwise a mean + sigma·sd
 * bound of the compound-Poisson sum, λ·w_mean + σ·sqrt(λ·(w_mean² + w_var)) (the spec's
 * gamma-function correction for weight spread is replaced by the weight variance), capped
 * by the total; never below the biggest weight.
 */
export function expectedMaxSlotInput(inputs: ShiftInput[], ticksPerSecond: number, sigma = 5): number {
  if (inputs.length === 0) return 0;
  const biggest = Math.max(...inputs.map((s) => s.wMax));
  const total = inputs.reduce((acc, s) => acc + Math.max(1, s.rateHz / ticksPerSecond) * s.wMax * s.nConns, 0);
  if (inputs.every((s) => s.delayVar === 0)) return Math.max(total, biggest);
  let mean = 0;
  let variance = 0;
  for (const s of inputs) {
    const lambda = (s.nConns * s.rateHz) / ticksPerSecond;
    mean += lambda * s.wMean;
    variance += lambda * (s.wMean * s.wMean + s.wVar);
  }
  const upper = mean + sigma * Math.sqrt(variance);
  return Math.max(Math.min(upper, total), biggest);
}

/** shift = ceil(max(0, log2 W)), plus 1 if 2^shift ≤ W (so the slot range [0, 2^(shift+1)) holds W); capped at 15. */
export function ringShift(W: number): number {
  if (!(W > 1)) return W === 1 ? 1 : 0;
  let shift = Math.ceil(Math.log2(W));
  if (2 ** shift <= W) shift += 1;
  return Math.min(shift, MAX_RING_SHIFT);
}
