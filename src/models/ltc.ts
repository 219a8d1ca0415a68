/**
 * ltc: the liquid time-constant neuron in its biophysical (ncps / Neural Circuit
 * Policies) form, with sigmoid synapses (w, mu, slope, E) and gap junctions:
 *
 *   cm dv_i/dt = g_leak (v_leak − v_i) + Σ_j w_ji σ(slope_ji (v_j − mu_ji)) (E_ji − v_i) + Σ_j g_ij (v_j − v_i) + I
 *
 * (Hasani et al. 2021, AAAI; Lechner et al. 2020, Nat Mach Intell; reference
 * liquid-models.md §1.1(b)). Synapses are graded projections reading the presynaptic
 * `v` through a per-synapse sigmoid transfer; E_ji is the receptor's reversal
 * (excitatory/inhibitory, from the sign table). Units are physical (mV, nF, µS), so the
 * same neuron runs on connectome wiring as the liquid model of non-spiking worm
 * neurons; ncps' dimensionless values carry over with mV read as "units".
 *
 * The `fused` method is ncps' semi-implicit step (liquid-models.md §1.2): explicit in
 * the presynaptic sigmoids, implicit in the leak and driving-force terms,
 *   v ← (cm/Δ·v + g_leak v_leak + Σ a E + IG_gap + I) / (cm/Δ + g_leak + Σ a + G_gap),
 * with Δ = dt: one engine step is one ncps "unfold" (L unfolds per input sample ⇔
 * dt = sample period / L). The new v is a convex combination of v, v_leak, the
 * reversals and the neighbours' potentials, so the step is stable for any dt.
 */
import type { NeuronModel } from './types.js';

export const ltc: NeuronModel = {
  kind: 'neuron',
  name: 'ltc',
  aliases: ['LTC', 'liquid_time_constant'],
  summary: 'Liquid time-constant neuron (ncps form): sigmoid graded synapses, gap junctions, fused semi-implicit solver.',
  description: [
    'cm dv/dt = g_leak (v_leak − v) + g_exc (e_exc − v) + g_inh (e_inh − v) + Σ g_gap (V_j − v) + I_stim',
    'g_exc, g_inh: Σ_j w_ji / (1 + exp(−slope_ji (v_j − mu_ji))) over graded projections with a sigmoid transfer.',
    'fused: v ← (cm/dt·v + g_leak v_leak + g_exc e_exc + g_inh e_inh + IG_gap + I_stim) / (cm/dt + g_leak + g_exc + g_inh + G_gap).',
  ].join('\n'),
  references: [
    'Hasani R, Lechner M, Amini A, Rus D, Grosu R (2021) AAAI 35:7657',
    'Lechner M, Hasani R et al. (2020) Nat Mach Intell 2:642 (Neural Circuit Policies)',
  ],
  params: {
    cm: { dim: 'capacitance', default: 0.001, min: 0, minExclusive: true, symbol: 'C_m', doc: 'Membrane capacitance.' },
    g_leak: { dim: 'conductance', default: 1e-5, min: 0, symbol: 'g_leak', doc: 'Leak conductance.' },
    v_leak: { dim: 'voltage', default: -35, symbol: 'v_leak', doc: 'Leak reversal.' },
    e_exc: { dim: 'voltage', default: 0, symbol: 'E_exc', doc: 'Reversal of excitatory synapses.' },
    e_inh: { dim: 'voltage', default: -48, symbol: 'E_inh', doc: 'Reversal of inhibitory synapses.' },
  },
  state: {
    v: { dim: 'voltage', initial: { param: 'v_leak' }, doc: 'Membrane potential.' },
    g_exc: { dim: 'conductance', initial: 0, doc: 'Summed excitatory synaptic conductance this step.' },
    g_inh: { dim: 'conductance', initial: 0, doc: 'Summed inhibitory synaptic conductance this step.' },
  },
  receptors: {
    excitatory: { variable: 'g_exc', weightDim: 'conductance', sign: 'nonnegative', mode: 'graded', doc: 'Graded: g_exc = Σ w σ(slope (v_pre − mu)) (µS).' },
    inhibitory: { variable: 'g_inh', weightDim: 'conductance', sign: 'nonnegative', mode: 'graded', doc: 'Graded: g_inh = Σ w σ(slope (v_pre − mu)) (µS).' },
  },
  constraints: [],
  methods: ['fused', 'exp_euler'],
  methodDocs: {
    fused: 'ncps fused semi-implicit step (one unfold per engine step): implicit in v, explicit in the presynaptic sigmoids; unconditionally stable. First order in dt.',
    exp_euler: 'Exponential Euler with the synaptic and gap conductances frozen over the step. First order in dt.',
  },
  derivedNames: ['inv_cm', 'cm_dt'],
  derived: (p, dt) => ({ inv_cm: 1 / p.cm!, cm_dt: p.cm! / dt }),
  spiking: false,
  voltage: 'v',
  gapInput: 'conductance',
  gradedOutputs: ['v'],
  code: (method) => ({
    update:
      method === 'exp_euler'
        ? '{ const G = g_leak + g_exc + g_inh + G_gap;\n' +
          '  const vinf = (g_leak * v_leak + g_exc * e_exc + g_inh * e_inh + IG_gap + I_stim) / G;\n' +
          '  v = vinf + (v - vinf) * Math.exp(-G * inv_cm * dt); }'
        : 'v = (cm_dt * v + g_leak * v_leak + g_exc * e_exc + g_inh * e_inh + IG_gap + I_stim) / (cm_dt + g_leak + g_exc + g_inh + G_gap);',
    threshold: 'false',
    reset: '',
  }),
  ode: {
    state: ['v'],
    rhs: 'd_v = (g_leak * (v_leak - v) + g_exc * (e_exc - v) + g_inh * (e_inh - v) + IG_gap - G_gap * v + I_stim) * inv_cm;',
  },
  engines: ['clock', 'gpu'],
};
