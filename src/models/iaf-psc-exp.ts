/**
 * iaf_psc_exp (PyNN IF_curr_exp): leaky integrate-and-fire neuron with
 * exponentially decaying current synapses, integrated exactly.
 *
 *   cm dv/dt = cm (v_rest − v)/tau_m + isyn_exc + isyn_inh + i_offset + I_stim
 *   d isyn_x/dt = −isyn_x / tau_syn_x, jump of w on each arriving spike.
 *
 * Exact propagators over a step h (Rotter & Diesmann 1999; NEST iaf_psc_exp):
 *   P22 = e^{−h/τm}, P11x = e^{−h/τx}, P20 = (τm/cm)(1 − P22),
 *   P21x = (1/cm) · e^{−h/τm} · (1 − e^{−hκ})/κ with κ = 1/τx − 1/τm,
 * the last written with expm1 so that τx → τm tends smoothly to h/cm · e^{−h/τm}.
 */
import type { NeuronModel } from './types.js';

export const iafPscExp: NeuronModel = {
  kind: 'neuron',
  name: 'iaf_psc_exp',
  aliases: ['IF_curr_exp'],
  summary: 'Leaky integrate-and-fire, exponential current synapses, exact integration.',
  description: [
    'cm dv/dt = cm (v_rest − v)/tau_m + isyn_exc + isyn_inh + i_offset + I_stim',
    'd isyn_exc/dt = −isyn_exc/tau_syn_E; d isyn_inh/dt = −isyn_inh/tau_syn_I',
    'Spike when v ≥ v_thresh (after inputs of the step are added); then v = v_reset and v is held for',
    'round(tau_refrac/dt) steps while the synaptic currents keep decaying (NEST semantics).',
  ].join('\n'),
  references: ['Rotter S, Diesmann M (1999) Biol Cybern 81:381–402', 'PyNN IF_curr_exp; NEST iaf_psc_exp'],
  params: {
    cm: { dim: 'capacitance', default: 1.0, min: 0, minExclusive: true, symbol: 'C_m', doc: 'Membrane capacitance.' },
    tau_m: { dim: 'time', default: 20.0, min: 0, minExclusive: true, symbol: 'τ_m', doc: 'Membrane time constant.' },
    tau_refrac: { dim: 'time', default: 0.1, min: 0, symbol: 't_ref', doc: 'Absolute refractory period.' },
    tau_syn_E: { dim: 'time', default: 5.0, min: 0, minExclusive: true, symbol: 'τ_syn,E', doc: 'Excitatory synaptic time constant.' },
    tau_syn_I: { dim: 'time', default: 5.0, min: 0, minExclusive: true, symbol: 'τ_syn,I', doc: 'Inhibitory synaptic time constant.' },
    v_rest: { dim: 'voltage', default: -65.0, symbol: 'E_L', doc: 'Resting potential.' },
    v_reset: { dim: 'voltage', default: -65.0, symbol: 'V_reset', doc: 'Reset potential after a spike.' },
    v_thresh: { dim: 'voltage', default: -50.0, symbol: 'V_th', doc: 'Spike threshold.' },
    i_offset: { dim: 'current', default: 0.0, symbol: 'I_e', doc: 'Constant injected current.' },
  },
  state: {
    v: { dim: 'voltage', initial: { param: 'v_rest' }, doc: 'Membrane potential.' },
    isyn_exc: { dim: 'current', initial: 0, doc: 'Excitatory synaptic current.' },
    isyn_inh: { dim: 'current', initial: 0, doc: 'Inhibitory synaptic current.' },
  },
  receptors: {
    excitatory: { variable: 'isyn_exc', weightDim: 'current', sign: 'nonnegative', doc: 'Adds w (nA) to isyn_exc.' },
    inhibitory: { variable: 'isyn_inh', weightDim: 'current', sign: 'nonpositive', doc: 'Adds w (nA, negative) to isyn_inh.' },
  },
  constraints: [
    { params: ['v_reset', 'v_thresh'], holds: (p) => p.v_reset! < p.v_thresh!, message: 'v_reset must be below v_thresh' },
  ],
  methods: ['exact'],
  methodDocs: { exact: 'Exact exponential propagators for the linear subthreshold system; spikes on the grid (clock) or exact (event).' },
  derivedNames: ['P22', 'P20', 'P11e', 'P11i', 'P21e', 'P21i'],
  derived: (p, h) => {
    const { cm, tau_m, tau_syn_E, tau_syn_I } = p as Record<string, number>;
    const P22 = Math.exp(-h / tau_m!);
    return {
      P22,
      P20: (-tau_m! / cm!) * Math.expm1(-h / tau_m!),
      P11e: Math.exp(-h / tau_syn_E!),
      P11i: Math.exp(-h / tau_syn_I!),
      P21e: propagator21(h, tau_m!, tau_syn_E!, cm!),
      P21i: propagator21(h, tau_m!, tau_syn_I!, cm!),
    };
  },
  refractoryParam: 'tau_refrac',
  decaysToZero: ['isyn_exc', 'isyn_inh'],
  code: () => ({
    update:
      'v = v_rest + (v - v_rest) * P22 + isyn_exc * P21e + isyn_inh * P21i + (i_offset + I_stim) * P20;\n' +
      'isyn_exc *= P11e; isyn_inh *= P11i;',
    updateRefractory: 'isyn_exc *= P11e; isyn_inh *= P11i;',
    threshold: 'v >= v_thresh',
    reset: 'v = v_reset;',
  }),
  engines: ['clock', 'event', 'gpu'],
  voltage: 'v',
};

/**
 * Response of v at time h to a unit synaptic current that started at 0 and decays
 * with tau_s, for a membrane (tau_m, cm): (1/cm)·e^{−h/τm}·(1 − e^{−hκ})/κ,
 * κ = 1/τs − 1/τm, with the τs = τm limit h/cm·e^{−h/τm}.
 */
export function propagator21(h: number, tauM: number, tauS: number, cm: number): number {
  const kappa = 1 / tauS - 1 / tauM;
  const factor = Math.abs(kappa * h) < 1e-14 ? h : -Math.expm1(-h * kappa) / kappa;
  return (Math.exp(-h / tauM) * factor) / cm;
}
