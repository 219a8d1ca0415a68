/**
 * loihi_lif: Lava's LIF neuron in its bit-accurate fixed-point form (PyLifModelBitAcc,
 * `Loihi2SimCfg(select_tag="fixed_pt")`), with the connection semantics of Lava's
 * Dense, Sparse and DelaySparse processes. Spec: ../shared/reference/loihi-lava.md §1–§2;
 * the arithmetic as pure functions: src/loihi/arithmetic.ts; user docs: docs/targets/loihi.md.
 *
 * Per step, for each neuron (all integers):
 *   a  = int32 sum of this step's arrivals                      (a_in, set before the update)
 *   u  = wrap(int32(trunc(u·(4095 − du)/4096) + (a << 6)))      (single wrap at ±2^23)
 *   v  = clip(int32(trunc(v·(4096 − dv)/4096) + u + bias_eff), ±(2^23 − 1))
 *   spike when v > vth << 6 (strict); then v = 0 (u is not reset)
 * bias_eff = int16(bias_mant) << bias_exp.
 *
 * Timing on the clock engine: the model declares `inputTiming: 'before-update'`, so what
 * arrives in step n enters u in step n. A projection's delay is (1 + d)·dt for Lava delay
 * d (d = 0: Dense/Sparse): a spike of step n then reaches u in step n + 1 + d, Lava's one
 * step of synaptic latency plus the delay (§2.3–§2.4). Per-projection weight_exp is
 * applied by the engine to each projection's per-step sum (plan.ts, shift channels).
 *
 * The snippet below does inline what lifStep() in src/loihi/arithmetic.ts does (kernels
 * cannot call module functions); test/loihi-arithmetic.test.ts checks them against each
 * other and against an independent BigInt reference.
 */
import {
  BIAS_EXP_RANGE,
  BIAS_MANT_RANGE,
  currentDecayFactor,
  DU_RANGE,
  DV_RANGE,
  effectiveBias,
  effectiveThreshold,
  U_RANGE,
  UV_MAX,
  V_LIMIT,
  V_RANGE,
  voltageDecayFactor,
  VTH_RANGE,
} from '../loihi/arithmetic.js';
import type { NeuronModel } from './types.js';

const int = (lo: number, hi: number) => ({ dim: 'dimensionless' as const, min: lo, max: hi, integer: true });

export const loihiLif: NeuronModel = {
  kind: 'neuron',
  name: 'loihi_lif',
  aliases: ['lava_lif'],
  summary: "Loihi 2 LIF, bit-accurate to Lava's fixed_pt model (24-bit integer u and v); Dense/Sparse/DelaySparse connections.",
  description: [
    'Integer state and parameters (Lava LIF, PyLifModelBitAcc); per step, with a = the int32 sum of the step’s input:',
    'u = wrap(trunc(u·(4095 − du)/4096) + a·64)      wrap once: −2^24 above 2^23, +2^24 at or below −2^23',
    'v = clip(trunc(v·(4096 − dv)/4096) + u + bias_mant·2^bias_exp, ±(2^23 − 1))',
    'spike when v > vth·64 (strict); then v = 0, u unchanged. trunc rounds toward zero.',
    'Receptors are Lava sign modes; weights are effective integer weights (8-bit grid, see docs/targets/loihi.md);',
    'projection option loihi.weightExp shifts each projection’s per-step sum (floor for negative).',
    'Delay (1 + d)·dt for a DelaySparse delay d in 0..62 (dt for Dense/Sparse): a spike of Lava step t enters u at t + 1 + d.',
    'No stimuli: input comes through projections (e.g. from a spike_source_array raster; column c = spike time (c + 1)·dt).',
  ].join('\n'),
  references: [
    'Lava 0.11 lava.proc.lif (PyLifModelBitAcc), lava.proc.dense / lava.proc.sparse fixed-point models',
    'Davies M et al. (2018) IEEE Micro 38:82–99 (Loihi)',
  ],
  params: {
    du: { ...int(...DU_RANGE), default: 0, symbol: 'du', doc: 'Current decay (12 bit): u keeps (4095 − du)/4096 per step; −1 = no decay, 4095 = only this step’s input.' },
    dv: { ...int(...DV_RANGE), default: 0, symbol: 'dv', doc: 'Voltage decay (12 bit): v keeps (4096 − dv)/4096 per step; 0 = perfect integrator.' },
    vth: { ...int(...VTH_RANGE), default: 10, symbol: 'vth', doc: 'Threshold mantissa (17 bit); v must exceed vth·64.' },
    bias_mant: { ...int(...BIAS_MANT_RANGE), default: 0, symbol: 'bias_mant', doc: 'Bias mantissa (13 bit signed), added to v every step as bias_mant·2^bias_exp (v units: 64 per weight unit).' },
    bias_exp: { ...int(...BIAS_EXP_RANGE), default: 0, symbol: 'bias_exp', doc: 'Bias exponent (3 bit).' },
  },
  state: {
    u: { dim: 'dimensionless', initial: 0, min: U_RANGE[0], max: U_RANGE[1], integer: true, doc: 'Synaptic current, 24-bit (64 = one weight unit).' },
    v: { dim: 'dimensionless', initial: 0, min: V_RANGE[0], max: V_RANGE[1], integer: true, doc: 'Membrane voltage, 24-bit (64 = one threshold unit).' },
    a_in: { dim: 'dimensionless', initial: 0, min: 0, max: 0, integer: true, doc: 'This step’s summed input (int32, after weight_exp); set by the engine each step.' },
  },
  receptors: {
    excitatory: { variable: 'a_in', weightDim: 'dimensionless', sign: 'nonnegative', doc: 'Lava sign mode EXCITATORY: integer weights 0..255 (fewer bits: multiples of 2^(8 − numWeightBits)).' },
    inhibitory: { variable: 'a_in', weightDim: 'dimensionless', sign: 'nonpositive', doc: 'Lava sign mode INHIBITORY: integer weights −255..0 (fewer bits: multiples of 2^(8 − numWeightBits)).' },
    mixed: { variable: 'a_in', weightDim: 'dimensionless', sign: 'any', doc: 'Lava sign mode MIXED: even integer weights −256..254 (fewer bits: multiples of 2^(9 − numWeightBits)).' },
  },
  constraints: [],
  methods: ['fixed_pt'],
  methodDocs: { fixed_pt: "Lava's bit-accurate integer step (Loihi2SimCfg select_tag fixed_pt); identical bits, any dt (dt only sets the time axis)." },
  derivedNames: ['u_decay', 'v_decay', 'bias_eff', 'vth_eff'],
  derived: (p) => ({
    u_decay: currentDecayFactor(p.du!),
    v_decay: voltageDecayFactor(p.dv!),
    bias_eff: effectiveBias(p.bias_mant!, p.bias_exp!),
    vth_eff: effectiveThreshold(p.vth!),
  }),
  code: () => ({
    // Math.trunc(x·f / 4096) is Lava's sign(p)·(|p| >> 12): exact, since |x·f| < 2^44.
    // `| 0` is int32 arithmetic; `a_in << 6` wraps as Lava's int32 shift does.
    update: [
      'a_in = a_in | 0;',
      'u = (Math.trunc(u * u_decay / 4096) + (a_in << 6)) | 0;',
      `if (u > ${UV_MAX}) u -= ${2 * UV_MAX}; else if (u <= ${-UV_MAX}) u += ${2 * UV_MAX};`,
      'v = (Math.trunc(v * v_decay / 4096) + u + bias_eff) | 0;',
      `if (v > ${V_LIMIT}) v = ${V_LIMIT}; else if (v < ${-V_LIMIT}) v = ${-V_LIMIT};`,
    ].join('\n'),
    threshold: 'v > vth_eff',
    reset: 'v = 0;',
  }),
  engines: ['clock'],
  inputTiming: 'before-update',
  connection: 'loihi',
};
