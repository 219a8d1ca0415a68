/**
 * iaf_cond_exp (PyNN IF_cond_exp): leaky integrate-and-fire neuron with
 * exponentially decaying conductance synapses.
 *
 *   cm dv/dt = cm (v_rest − v)/tau_m + g_exc (e_rev_E − v) + g_inh (e_rev_I − v) + i_offset + I_stim
 *   d g_x/dt = −g_x / tau_syn_x, jump of w (µS) on each arriving spike.
 *
 * The system is nonlinear in (v, g), so there is no exact propagator. Methods:
 * - `exp_euler` (default): conductances decay exactly; v follows the exact solution
 *   of the linear ODE with the conductances frozen at their start-of-step values.
 * - `euler`: forward Euler on v and g from the start-of-step values (Brian2's
 *   `method='euler'`, as in the Brette et al. 2007 COBA reference script).
 */
import type { NeuronModel } from './types.js';

export const iafCondExp: NeuronModel = {
  kind: 'neuron',
  name: 'iaf_cond_exp',
  aliases: ['IF_cond_exp'],
  summary: 'Leaky integrate-and-fire, exponential conductance synapses.',
  description: [
    'cm dv/dt = cm (v_rest − v)/tau_m + g_exc (e_rev_E − v) + g_inh (e_rev_I − v) + i_offset + I_stim',
    'd g_exc/dt = −g_exc/tau_syn_E; d g_inh/dt = −g_inh/tau_syn_I',
    'Spike when v ≥ v_thresh; then v = v_reset, held for round(tau_refrac/dt) steps while g keeps decaying.',
  ].join('\n'),
  references: ['PyNN IF_cond_exp; NEST iaf_cond_exp', 'Brette R et al. (2007) J Comput Neurosci 23:349–398'],
  params: {
    cm: { dim: 'capacitance', default: 1.0, min: 0, minExclusive: true, symbol: 'C_m', doc: 'Membrane capacitance.' },
    tau_m: { dim: 'time', default: 20.0, min: 0, minExclusive: true, symbol: 'τ_m', doc: 'Membrane time constant.' },
    tau_refrac: { dim: 'time', default: 0.1, min: 0, symbol: 't_ref', doc: 'Absolute refractory period.' },
    tau_syn_E: { dim: 'time', default: 5.0, min: 0, minExclusive: true, symbol: 'τ_syn,E', doc: 'Excitatory conductance time constant.' },
    tau_syn_I: { dim: 'time', default: 5.0, min: 0, minExclusive: true, symbol: 'τ_syn,I', doc: 'Inhibitory conductance time constant.' },
    e_rev_E: { dim: 'voltage', default: 0.0, symbol: 'E_ex', doc: 'Excitatory reversal potential.' },
    e_rev_I: { dim: 'voltage', default: -70.0, symbol: 'E_in', doc: 'Inhibitory reversal potential.' },
    v_rest: { dim: 'voltage', default: -65.0, symbol: 'E_L', doc: 'Resting potential.' },
    v_reset: { dim: 'voltage', default: -65.0, symbol: 'V_reset', doc: 'Reset potential after a spike.' },
    v_thresh: { dim: 'voltage', default: -50.0, symbol: 'V_th', doc: 'Spike threshold.' },
    i_offset: { dim: 'current', default: 0.0, symbol: 'I_e', doc: 'Constant injected current.' },
  },
  state: {
    v: { dim: 'voltage', initial: { param: 'v_rest' }, doc: 'Membrane potential.' },
    g_exc: { dim: 'conductance', initial: 0, doc: 'Excitatory conductance.' },
    g_inh: { dim: 'conductance', initial: 0, doc: 'Inhibitory conductance.' },
  },
  receptors: {
    excitatory: { variable: 'g_exc', weightDim: 'conductance', sign: 'nonnegative', doc: 'Adds w (µS) to g_exc.' },
    inhibitory: { variable: 'g_inh', weightDim: 'conductance', sign: 'nonnegative', doc: 'Adds w (µS) to g_inh.' },
  },
  constraints: [
    { params: ['v_reset', 'v_thresh'], holds: (p) => p.v_reset! < p.v_thresh!, message: 'v_reset must be below v_thresh' },
  ],
  methods: ['exp_euler', 'euler'],
  methodDocs: {
    exp_euler: 'Exponential Euler: g decays exactly, v is exact for conductances frozen over the step. First order in dt.',
    euler: 'Forward Euler on v and g from start-of-step values (Brian2 method "euler"). First order in dt.',
  },
  derivedNames: ['Pe', 'Pi', 'inv_tau_m', 'inv_cm', 'dt_tau_m', 'dt_cm'],
  derived: (p, h, method) => ({
    Pe: method === 'euler' ? 1 - h / p.tau_syn_E! : Math.exp(-h / p.tau_syn_E!),
    Pi: method === 'euler' ? 1 - h / p.tau_syn_I! : Math.exp(-h / p.tau_syn_I!),
    inv_tau_m: 1 / p.tau_m!,
    inv_cm: 1 / p.cm!,
    dt_tau_m: h / p.tau_m!,
    dt_cm: h / p.cm!,
  }),
  refractoryParam: 'tau_refrac',
  decaysToZero: ['g_exc', 'g_inh'],
  code: (method) =>
    method === 'euler'
      ? {
          update:
            'v += (v_rest - v) * dt_tau_m + (g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset + I_stim) * dt_cm;\n' +
            'g_exc *= Pe; g_inh *= Pi;',
          updateRefractory: 'g_exc *= Pe; g_inh *= Pi;',
          threshold: 'v >= v_thresh',
          reset: 'v = v_reset;',
        }
      : {
          update:
            '{ const B = inv_tau_m + (g_exc + g_inh) * inv_cm;\n' +
            '  const vinf = (v_rest * inv_tau_m + (g_exc * e_rev_E + g_inh * e_rev_I + i_offset + I_stim) * inv_cm) / B;\n' +
            '  v = vinf + (v - vinf) * Math.exp(-B * dt); }\n' +
            'g_exc *= Pe; g_inh *= Pi;',
          updateRefractory: 'g_exc *= Pe; g_inh *= Pi;',
          threshold: 'v >= v_thresh',
          reset: 'v = v_reset;',
        },
  engines: ['clock', 'gpu'],
  voltage: 'v',
};
