/**
 * spinnaker_IF_curr_exp / spinnaker_IF_cond_exp: sPyNNaker's IF_curr_exp and IF_cond_exp
 * as the SpiNNaker-1 ARM cores compute them, in s16.15 fixed point with u0.32 synaptic
 * decays, sPyNNaker's per-tick order, refractoriness in whole ticks and 16-bit
 * ring-buffer inputs with per-synapse-type left shifts. Spec:
 * ../shared/reference/spinnaker-pynn.md §1.1–§1.5, §2.2–§2.3; arithmetic as pure functions:
 * src/spinnaker/fixed.ts; user docs: docs/targets/spinnaker.md ("Fixed-point model").
 *
 * State is kept in PyNN units (mV, nA, µS) but always holds exact s16.15 values
 * (synaptic conductances: s16.15 values of µS·1024, so multiples of 2^-25 µS); the
 * kernel converts to raw bits, does integer arithmetic and converts back (exact).
 *
 * Per tick (clock engine, `inputTiming: 'before-update'`: a_exc / a_inh hold this tick's
 * ring-buffer slot, the sum of the arriving 16-bit weights):
 *   transfer  I_s += ((min(a_s, 0xFFFF) << shift_s) · init_s) >> 32        (u0.32 multiply)
 *   [cond]    g_s = I_s >> 10; Iexc = g_e·(E_e − V0) >> 15; Iinh = −g_i·(E_i − V0) >> 15
 *   if refract_timer ≤ 0:
 *     I_tot = Iexc − Iinh + I_offset + I_stim
 *     a = rmul(I_tot, R) + V_rest;  V = a − rmul(exp_TC, a − V)           (rmul: (x·y + 2^14) >> 15)
 *   else refract_timer −= 1
 *   decay     I_s = (I_s · decay_s) >> 32
 *   threshold V ≥ V_thresh → V = V_reset, refract_timer = T_refract
 * The decay runs before the threshold (sPyNNaker: after it); the two touch disjoint state,
 * so the result is the same. A spike in step n over a projection of delay d·dt is in the
 * ring slot of step n + d, as on SpiNNaker (spike at tick t reaches the membrane in tick t + d).
 */
import {
  CONDUCTANCE_WEIGHT_SCALE,
  fromS1615,
  membraneDecay,
  membraneResistance,
  refractoryTicks,
  synapseDecay,
  synapseInit,
  timeStepBits,
  toS1615,
} from '../spinnaker/fixed.js';
import type { NeuronModel, ParamDecl } from './types.js';

const shiftParam = (which: string): ParamDecl => ({
  dim: 'dimensionless',
  default: -1,
  min: -1,
  max: 15,
  integer: true,
  symbol: `shift_${which}`,
  doc: `Ring-buffer left shift of the ${which === 'E' ? 'excitatory' : 'inhibitory'} synapse type (0..15; one weight LSB = 2^(shift − 15) nA, or µS/1024); −1: chosen from the incoming projections as sPyNNaker's host does. One value per population.`,
});

const lifParams: Record<string, ParamDecl> = {
  cm: { dim: 'capacitance', default: 1.0, min: 0, minExclusive: true, symbol: 'C_m', doc: 'Membrane capacitance (R = tau_m/cm in s16.15).' },
  tau_m: { dim: 'time', default: 20.0, min: 0, minExclusive: true, symbol: 'τ_m', doc: 'Membrane time constant (exp_TC = e^(−dt/τ_m) in s16.15).' },
  tau_refrac: { dim: 'time', default: 0.1, min: 0, symbol: 't_ref', doc: 'Refractory period: ceil(tau_refrac/dt) whole ticks (0.1 ms is one full tick at dt = 1 ms).' },
  tau_syn_E: { dim: 'time', default: 5.0, min: 0, minExclusive: true, symbol: 'τ_syn,E', doc: 'Excitatory synaptic time constant (u0.32 decay and init).' },
  tau_syn_I: { dim: 'time', default: 5.0, min: 0, minExclusive: true, symbol: 'τ_syn,I', doc: 'Inhibitory synaptic time constant (u0.32 decay and init).' },
  v_rest: { dim: 'voltage', default: -65.0, symbol: 'E_L', doc: 'Resting potential.' },
  v_reset: { dim: 'voltage', default: -65.0, symbol: 'V_reset', doc: 'Reset potential after a spike.' },
  v_thresh: { dim: 'voltage', default: -50.0, symbol: 'V_th', doc: 'Spike threshold (compared on the s16.15 bits).' },
  i_offset: { dim: 'current', default: 0.0, symbol: 'I_e', doc: 'Constant injected current.' },
};

/** Host + load-time constants (spec §1.2), raw bits; u0.32 and R split in 16-bit halves for exact products. */
function lifConstants(p: Record<string, number>, dt: number, condScale: number): Record<string, number> {
  const ts = timeStepBits(dt);
  const R = membraneResistance(p.tau_m!, p.cm!);
  const split = (x: number, name: string) => {
    const h = Math.floor(x / 65536);
    return { [`${name}_h`]: h, [`${name}_l`]: x - h * 65536 };
  };
  const decE = synapseDecay(ts, p.tau_syn_E!);
  const decI = synapseDecay(ts, p.tau_syn_I!);
  return {
    vrest_b: toS1615(p.v_rest!),
    vreset_q: fromS1615(toS1615(p.v_reset!)),
    vthresh_q: fromS1615(toS1615(p.v_thresh!)),
    ioff_b: toS1615(p.i_offset!),
    expTC: membraneDecay(ts, p.tau_m!),
    ...split(R, 'R'),
    ...split(decE, 'decE'),
    ...split(decI, 'decI'),
    ...split(synapseInit(ts, p.tau_syn_E!, decE), 'initE'),
    ...split(synapseInit(ts, p.tau_syn_I!, decI), 'initI'),
    T_ref: refractoryTicks(ts, p.tau_refrac!),
    syn_unit: 32768 * condScale,
  };
}

const LIF_DERIVED = ['vrest_b', 'vreset_q', 'vthresh_q', 'ioff_b', 'expTC', 'R_h', 'R_l', 'decE_h', 'decE_l', 'decI_h', 'decI_l', 'initE_h', 'initE_l', 'initI_h', 'initI_l', 'T_ref', 'syn_unit'];

/** (x · d) >> 32 for int32 x and a u0.32 d given as halves d_h, d_l: exact in doubles. */
const mulDecay = (x: string, d: string) => `Math.floor((${x} * ${d}_h + Math.floor(${x} * ${d}_l / 65536)) / 65536)`;

/** The tick in JavaScript; `currents` computes Iexc, Iinh (raw s16.15) from Se, Si and V0. */
function tickCode(se: string, si: string, currents: string): string {
  return [
    `let Se = Math.round(${se} * syn_unit), Si = Math.round(${si} * syn_unit);`,
    `if (a_exc > 0) Se = (Se + ${mulDecay(`(Math.min(a_exc, 65535) * ${2}**ring_shift_E)`, 'initE')}) | 0;`,
    `if (a_inh > 0) Si = (Si + ${mulDecay(`(Math.min(a_inh, 65535) * ${2}**ring_shift_I)`, 'initI')}) | 0;`,
    'if (refract_timer <= 0) {',
    '  const V0 = Math.round(v * 32768);',
    `  ${currents}`,
    '  const Itot = (Iexc - Iinh + ioff_b + Math.round(I_stim * 32768)) | 0;',
    '  const a = (2 * Itot * R_h + Math.floor((Itot * R_l + 16384) / 32768) + vrest_b) | 0;',
    '  v = ((a - Math.floor((expTC * ((a - V0) | 0) + 16384) / 32768)) | 0) / 32768;',
    '} else refract_timer -= 1;',
    `${se} = ${mulDecay('Se', 'decE')} / syn_unit;`,
    `${si} = ${mulDecay('Si', 'decI')} / syn_unit;`,
  ].join('\n');
}

const ringReceptors = (weightDim: 'current' | 'conductance', unit: string, inhSign: 'nonpositive' | 'nonnegative') => ({
  excitatory: { variable: 'a_exc', weightDim, sign: 'nonnegative' as const, doc: `Weight (${unit}) quantised to 16 bits with ring_shift_E; the tick's slot sum is transferred to the excitatory synapse.` },
  inhibitory: {
    variable: 'a_inh',
    weightDim,
    sign: inhSign,
    doc: `Weight (${unit}${inhSign === 'nonpositive' ? ', negative as in PyNN' : ''}) quantised as |w| to 16 bits with ring_shift_I; the tick's slot sum is transferred to the inhibitory synapse.`,
  },
});

const ringState = {
  refract_timer: { dim: 'dimensionless' as const, initial: 0, min: 0, integer: true, doc: 'Refractory ticks left (the membrane is frozen while > 0).' },
  a_exc: { dim: 'dimensionless' as const, initial: 0, min: 0, max: 0, integer: true, doc: "This tick's excitatory ring-buffer slot (sum of 16-bit weights); set by the engine." },
  a_inh: { dim: 'dimensionless' as const, initial: 0, min: 0, max: 0, integer: true, doc: "This tick's inhibitory ring-buffer slot (sum of 16-bit weights); set by the engine." },
};

const common = {
  kind: 'neuron' as const,
  constraints: [{ params: ['v_reset', 'v_thresh'], holds: (p: Record<string, number>) => p.v_reset! < p.v_thresh!, message: 'v_reset must be below v_thresh' }],
  methods: ['fixed_point'],
  methodDocs: { fixed_point: "sPyNNaker's s16.15 / u0.32 tick (spec §1.3): piecewise-constant synaptic input per tick, membrane step exact for it; the on-chip expk/expulr are modelled by round-to-nearest." },
  derivedNames: LIF_DERIVED,
  engines: ['clock'],
  voltage: 'v',
  inputTiming: 'before-update' as const,
};

export const spinnakerIfCurrExp: NeuronModel = {
  ...common,
  name: 'spinnaker_IF_curr_exp',
  aliases: ['spinnaker_iaf_psc_exp'],
  summary: "sPyNNaker's IF_curr_exp in SpiNNaker fixed point (s16.15 state, u0.32 decays, 16-bit ring buffers).",
  description: [
    'Per tick, in s16.15 (raw bits; rmul(x, y) = (x·y + 2^14) >> 15, u0.32 products (x·d) >> 32):',
    'I_s += (min(slot_s, 0xFFFF) << shift_s)·init_s, init_s = (τ_s/dt)(1 − decay_s), decay_s = e^(−dt/τ_s) (u0.32)',
    'if not refractory: a = rmul(I_exc − I_inh + i_offset + I_stim, R) + v_rest; v = a − rmul(exp_TC, a − v), R = τ_m/cm, exp_TC = e^(−dt/τ_m) (s16.15)',
    'else refract_timer −= 1; then I_s = I_s·decay_s; spike when v ≥ v_thresh: v = v_reset, refract_timer = ceil(τ_refrac/dt).',
    'Weights: nA, quantised per synapse to rint(|w|·2^(15 − shift)) (16 bit); isyn_inh holds the positive magnitude, as on the chip.',
    'Delay d·dt: a spike in step n reaches the membrane in step n + d.',
  ].join('\n'),
  references: ['sPyNNaker 7.1 neuron_model_lif_impl, synapse_types_exponential_impl, neuron_impl_standard (spec ../shared/reference/spinnaker-pynn.md §1–§2)', 'PyNN IF_curr_exp'],
  params: { ...lifParams, ring_shift_E: shiftParam('E'), ring_shift_I: shiftParam('I') },
  state: {
    v: { dim: 'voltage', initial: { param: 'v_rest' }, doc: 'Membrane potential (an s16.15 value).' },
    isyn_exc: { dim: 'current', initial: 0, doc: 'Excitatory synaptic current (s16.15), after this tick’s decay.' },
    isyn_inh: { dim: 'current', initial: 0, min: 0, doc: 'Inhibitory synaptic current magnitude (s16.15, ≥ 0), after this tick’s decay.' },
    ...ringState,
  },
  receptors: ringReceptors('current', 'nA', 'nonpositive'),
  derived: (p, dt) => lifConstants(p, dt, 1),
  decaysToZero: [],
  code: () => ({
    update: tickCode('isyn_exc', 'isyn_inh', 'const Iexc = Se, Iinh = Si;'),
    threshold: 'v >= vthresh_q',
    reset: 'v = vreset_q; refract_timer = T_ref;',
  }),
  spinnaker: { shiftParams: { excitatory: 'ring_shift_E', inhibitory: 'ring_shift_I' }, globalWeightScale: 1 },
};

export const spinnakerIfCondExp: NeuronModel = {
  ...common,
  name: 'spinnaker_IF_cond_exp',
  aliases: ['spinnaker_iaf_cond_exp'],
  summary: "sPyNNaker's IF_cond_exp in SpiNNaker fixed point (s16.15 state, conductances ×1024, u0.32 decays, 16-bit ring buffers).",
  description: [
    'As spinnaker_IF_curr_exp, with the conductance input type: the synaptic values are µS·1024 (s16.15); per tick',
    'g_s = value_s >> 10, I_exc = (g_e·(e_rev_E − v0)) >> 15, I_inh = −(g_i·(e_rev_I − v0)) >> 15 with v0 the start-of-tick v,',
    'and the membrane uses I_exc − I_inh. Weights: µS, quantised per synapse to rint(w·1024·2^(15 − shift)) (16 bit).',
  ].join('\n'),
  references: ['sPyNNaker 7.1 input_type_conductance, neuron_model_lif_impl (spec ../shared/reference/spinnaker-pynn.md §1.5)', 'PyNN IF_cond_exp'],
  params: {
    ...lifParams,
    e_rev_E: { dim: 'voltage', default: 0.0, symbol: 'E_ex', doc: 'Excitatory reversal potential.' },
    e_rev_I: { dim: 'voltage', default: -70.0, symbol: 'E_in', doc: 'Inhibitory reversal potential.' },
    ring_shift_E: shiftParam('E'),
    ring_shift_I: shiftParam('I'),
  },
  state: {
    v: { dim: 'voltage', initial: { param: 'v_rest' }, doc: 'Membrane potential (an s16.15 value).' },
    g_exc: { dim: 'conductance', initial: 0, min: 0, doc: 'Excitatory conductance (an s16.15 value of µS·1024, stored in µS), after this tick’s decay.' },
    g_inh: { dim: 'conductance', initial: 0, min: 0, doc: 'Inhibitory conductance (as g_exc), after this tick’s decay.' },
    ...ringState,
  },
  receptors: ringReceptors('conductance', 'µS', 'nonnegative'),
  derivedNames: [...LIF_DERIVED, 'erevE_b', 'erevI_b'],
  derived: (p, dt) => ({ ...lifConstants(p, dt, CONDUCTANCE_WEIGHT_SCALE), erevE_b: toS1615(p.e_rev_E!), erevI_b: toS1615(p.e_rev_I!) }),
  decaysToZero: [],
  code: () => ({
    update: tickCode(
      'g_exc',
      'g_inh',
      'const ge = Math.floor(Se / 1024), gi = Math.floor(Si / 1024);\n' +
        '  const Iexc = Math.floor((ge * ((erevE_b - V0) | 0)) / 32768) | 0, Iinh = -Math.floor((gi * ((erevI_b - V0) | 0)) / 32768) | 0;',
    ),
    threshold: 'v >= vthresh_q',
    reset: 'v = vreset_q; refract_timer = T_ref;',
  }),
  spinnaker: { shiftParams: { excitatory: 'ring_shift_E', inhibitory: 'ring_shift_I' }, globalWeightScale: CONDUCTANCE_WEIGHT_SCALE },
};
