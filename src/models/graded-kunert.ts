/**
 * graded_kunert: the non-spiking graded neuron of Kunert, Shlizerman & Kutz 2014
 * (Phys Rev E 89:052805), the whole-somatic C. elegans model, with its synaptic
 * activation variable and its input-dependent threshold.
 *
 *   C dV_i/dt = G_c (E_c − V_i) + Σ_j g_gap n^g_ij (V_j − V_i) + Σ_j g_syn n^s_ij s_j (E_j − V_i) + I_i
 *   ds_i/dt   = a_r φ_i (1 − s_i) − a_d s_i,   φ_i = 1 / (1 + exp(−β (V_i − V_th,i)))
 *
 * s_i belongs to the presynaptic neuron and is shared by all its synapses (graded
 * projections read `s`); E_j is the receptor's reversal (excitatory or inhibitory, chosen
 * per edge by the sign table). V_th,i is the network equilibrium with every s at
 * s_eq = a_r / (a_r + 2 a_d) (where φ = ½), including the current input: the engine
 * solves that linear system and re-solves it whenever the DC/step stimulus changes.
 * `vth_input_dependent = 0` keeps V_th at the input-free equilibrium instead (chemical
 * synapses then carry steady-state signals). Parameters: reference doc §5.1 (pS, pF,
 * per-second rates converted to µS, nF, 1/ms).
 */
import type { NeuronModel } from './types.js';

/** The fraction of open synapses at the equilibrium, where φ = ½. */
const sEq = (p: Record<string, number>) => p.a_r! / (p.a_r! + 2 * p.a_d!);

export const gradedKunert: NeuronModel = {
  kind: 'neuron',
  name: 'graded_kunert',
  aliases: ['kunert2014'],
  summary: 'Non-spiking graded neuron with graded synapses and gap junctions (Kunert et al. 2014), input-dependent threshold.',
  description: [
    'cm dv/dt = g_leak (e_leak − v) + g_exc (e_exc − v) + g_inh (e_inh − v) + Σ g_gap (V_j − v) + I_stim',
    'ds/dt = a_r φ (1 − s) − a_d s,  φ = 1 / (1 + exp(−beta (v − v_th)))',
    'g_exc, g_inh: Σ_j w_ij s_j over graded projections (w = g_syn × synapse count).',
    'v_th: network equilibrium with s_j = a_r/(a_r + 2 a_d), including the stimulus current when vth_input_dependent = 1',
    '(re-solved when the DC/step stimulus changes), else the input-free equilibrium. Starts at v = v_th, s = s_eq.',
  ].join('\n'),
  references: ['Kunert J, Shlizerman E, Kutz JN (2014) Phys Rev E 89:052805', 'Wicks SR, Roehrig CJ, Rankin CH (1996) J Neurosci 16:4017'],
  params: {
    cm: { dim: 'capacitance', default: 0.001, min: 0, minExclusive: true, symbol: 'C', doc: 'Membrane capacitance (1 pF; 1.5 pF in Neural Interactome / modWorm).' },
    g_leak: { dim: 'conductance', default: 1e-5, min: 0, minExclusive: true, symbol: 'G_c', doc: 'Leak conductance (10 pS).' },
    e_leak: { dim: 'voltage', default: -35, symbol: 'E_c', doc: 'Leak reversal (Wicks 1996).' },
    e_exc: { dim: 'voltage', default: 0, symbol: 'E_exc', doc: 'Reversal of excitatory graded synapses.' },
    e_inh: { dim: 'voltage', default: -48, symbol: 'E_inh', doc: 'Reversal of inhibitory graded synapses (−48 mV modWorm; −45 mV Wicks 1996).' },
    a_r: { dim: 'dimensionless', unitLabel: '1/ms', default: 0.001, min: 0, minExclusive: true, symbol: 'a_r', doc: 'Synaptic activation rate (1 /s).' },
    a_d: { dim: 'dimensionless', unitLabel: '1/ms', default: 0.005, min: 0, minExclusive: true, symbol: 'a_d', doc: 'Synaptic deactivation rate (5 /s).' },
    beta: { dim: 'dimensionless', unitLabel: '1/mV', default: 0.125, min: 0, minExclusive: true, symbol: 'β', doc: 'Slope of the presynaptic sigmoid.' },
    vth_input_dependent: { dim: 'dimensionless', default: 1, min: 0, max: 1, doc: '1: V_th follows the stimulus current (Kunert); 0: fixed at the input-free equilibrium.' },
  },
  state: {
    v: { dim: 'voltage', initial: 'equilibrium', doc: 'Membrane potential.' },
    s: { dim: 'dimensionless', initial: 'equilibrium', doc: 'Synaptic activation of this neuron’s outgoing synapses.' },
    v_th: { dim: 'voltage', initial: 'equilibrium', doc: 'Threshold of the synaptic sigmoid (network equilibrium; set by the engine).' },
    g_exc: { dim: 'conductance', initial: 0, doc: 'Summed excitatory graded conductance this step.' },
    g_inh: { dim: 'conductance', initial: 0, doc: 'Summed inhibitory graded conductance this step.' },
  },
  receptors: {
    excitatory: { variable: 'g_exc', weightDim: 'conductance', sign: 'nonnegative', mode: 'graded', doc: 'Graded: g_exc = Σ w s_pre (µS).' },
    inhibitory: { variable: 'g_inh', weightDim: 'conductance', sign: 'nonnegative', mode: 'graded', doc: 'Graded: g_inh = Σ w s_pre (µS).' },
  },
  constraints: [{ params: ['vth_input_dependent'], holds: (p) => p.vth_input_dependent === 0 || p.vth_input_dependent === 1, message: 'vth_input_dependent must be 0 or 1' }],
  methods: ['exp_euler'],
  methodDocs: {
    exp_euler:
      'Exponential Euler: over each step v and s follow their exact solutions with conductances, gap-junction neighbours and φ frozen at the start of the step; stable for any gap-junction stiffness. First order in dt. Use run.solver rk45 for a tolerance-controlled reference.',
  },
  derivedNames: ['inv_cm'],
  derived: (p) => ({ inv_cm: 1 / p.cm! }),
  spiking: false,
  voltage: 'v',
  gapInput: 'conductance',
  gradedOutputs: ['s'],
  equilibrium: {
    target: 'v_th',
    leak: { g: 'g_leak', e: 'e_leak' },
    reversal: { excitatory: 'e_exc', inhibitory: 'e_inh' },
    outputs: { s: sEq },
    inputDependent: (p) => p.vth_input_dependent === 1,
  },
  code: () => ({
    update:
      '{ const G = g_leak + g_exc + g_inh + G_gap;\n' +
      '  const vinf = (g_leak * e_leak + g_exc * e_exc + g_inh * e_inh + IG_gap + I_stim) / G;\n' +
      '  const phi = 1 / (1 + Math.exp(-beta * (v - v_th)));\n' +
      '  v = vinf + (v - vinf) * Math.exp(-G * inv_cm * dt);\n' +
      '  const k = a_r * phi + a_d;\n' +
      '  const sinf = a_r * phi / k;\n' +
      '  const x = k * dt;\n' +
      // exp(−x) by its Taylor series where the remainder (< x⁵/120 < 1e-17) is below double rounding.
      '  const decay = x < 1e-3 ? 1 - x * (1 - x * 0.5 * (1 - x * (1 / 3) * (1 - x * 0.25))) : Math.exp(-x);\n' +
      '  s = sinf + (s - sinf) * decay; }',
    threshold: 'false',
    reset: '',
  }),
  ode: {
    state: ['v', 's'],
    rhs:
      'd_v = (g_leak * (e_leak - v) + g_exc * (e_exc - v) + g_inh * (e_inh - v) + IG_gap - G_gap * v + I_stim) * inv_cm;\n' +
      'd_s = a_r / (1 + Math.exp(-beta * (v - v_th))) * (1 - s) - a_d * s;',
  },
  engines: ['clock', 'gpu'],
};
