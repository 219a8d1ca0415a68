/**
 * c302 levels A and B (OpenWorm; Gleeson et al. 2018, Phil Trans R Soc B 373:20170379):
 * integrate-and-fire cells with double-exponential (NeuroML expTwoSynapse) conductance
 * synapses; level B adds c302's "activity" variable and real gap junctions.
 * Reference worm-models.md §1.2 (equations) and §1.3 (parameter values).
 *
 *   C dV/dt = g_L (E_L − V) + g_exc (E_exc − V) + g_inh (E_inh − V) + i_offset + I_stim (+ Σ g_gap (V_j − V))
 *   V > V_thresh → V = V_reset, spike (no refractory period in c302; tau_refrac = 0).
 *
 * expTwoSynapse: per presynaptic spike of weight w (= g_base·n, µS) NeuroML jumps two
 * traces A and B by w·f, with dA/dt = −A/τr, dB/dt = −B/τd and g = B − A; the factor
 * f = 1/(e^{−tp/τd} − e^{−tp/τr}), tp = τrτd/(τd − τr)·ln(τd/τr), makes the peak of a
 * single spike's conductance exactly w. The engine adds an arriving weight to one
 * variable only, so the model carries the equivalent pair (a linear change of variables,
 * exact for any spike train):
 *   x = A/f (jumps by w),  g = B − A (continuous),
 *   dx/dt = −x/τr,  dg/dt = −g/τd + f (1/τr − 1/τd) x.
 * Exact propagators over a step h: x ← x e^{−h/τr};
 * g ← g e^{−h/τd} + f (e^{−h/τd} − e^{−h/τr}) x.
 *
 * V uses exponential Euler (conductances, and for gap junctions the neighbours'
 * potentials, frozen over the step), as iaf_cond_exp: exact for DC input.
 *
 * Level B: τ₁ d(act)/dt = (V − V_reset)/(V_thresh − V_reset) − act, act clamped at ≥ 0
 * after every step; integrated exactly for V varying linearly over the step
 * (between its start and end-of-step values, before any reset).
 *
 * Checked against c302's OMV regression values (test/c302.test.ts): the pharyngeal
 * network's I5 spike times agree within OMV's tolerances for level A (8 spikes, within
 * 0.1 ms) and level B (2 spikes, within 0.01 ms, with c302's gap coupling g·(n_ab + n_ba)).
 */
import type { NeuronModel, ParamDecl } from './types.js';

const C302_REFS = [
  'Gleeson P, Lung D, Grosu R, Hasani R, Larson SD (2018) c302: a multiscale framework for modelling the nervous system of Caenorhabditis elegans. Phil Trans R Soc B 373:20170379',
  'OpenWorm c302 (github.com/openworm/c302), parameters_A.py / parameters_B.py',
  'NeuroML2 core types iafCell, expTwoSynapse, gapJunction',
];

/** Peak time of e^{−t/τd} − e^{−t/τr}. */
export function expTwoPeakTime(tauRise: number, tauDecay: number): number {
  return ((tauRise * tauDecay) / (tauDecay - tauRise)) * Math.log(tauDecay / tauRise);
}

/** NeuroML's waveformFactor: 1 / (e^{−tp/τd} − e^{−tp/τr}), so a single spike's conductance peaks at w. */
export function expTwoNormalisation(tauRise: number, tauDecay: number): number {
  const tp = expTwoPeakTime(tauRise, tauDecay);
  return 1 / (Math.exp(-tp / tauDecay) - Math.exp(-tp / tauRise));
}

const PARAMS: Record<string, ParamDecl> = {
  cm: { dim: 'capacitance', default: 0.003, min: 0, minExclusive: true, symbol: 'C', doc: 'Membrane capacitance (3 pF, c302 A/B neuron_iaf_C).' },
  g_leak: { dim: 'conductance', default: 1e-4, min: 0, minExclusive: true, symbol: 'g_L', doc: 'Leak conductance (0.1 nS; τ = C/g_L = 30 ms).' },
  e_leak: { dim: 'voltage', default: -50, symbol: 'E_L', doc: 'Leak reversal; also the initial V (NeuroML iafCell starts at leakReversal).' },
  v_thresh: { dim: 'voltage', default: -30, symbol: 'V_thresh', doc: 'Spike when V > V_thresh (strict, as NeuroML iafCell).' },
  v_reset: { dim: 'voltage', default: -50, symbol: 'V_reset', doc: 'Reset potential after a spike.' },
  tau_refrac: { dim: 'time', default: 0, min: 0, symbol: 't_ref', doc: 'Absolute refractory period (0 in c302: none; V held, synapses keep decaying).' },
  i_offset: { dim: 'current', default: 0, symbol: 'I_e', doc: 'Constant injected current.' },
  e_exc: { dim: 'voltage', default: 0, symbol: 'E_exc', doc: 'Excitatory reversal (chem_exc_syn_erev).' },
  e_inh: { dim: 'voltage', default: -80, symbol: 'E_inh', doc: 'Inhibitory reversal (chem_inh_syn_erev).' },
  tau_rise_exc: { dim: 'time', default: 3, min: 0, minExclusive: true, symbol: 'τ_rise,E', doc: 'Excitatory rise time constant.' },
  tau_decay_exc: { dim: 'time', default: 10, min: 0, minExclusive: true, symbol: 'τ_decay,E', doc: 'Excitatory decay time constant.' },
  tau_rise_inh: { dim: 'time', default: 3, min: 0, minExclusive: true, symbol: 'τ_rise,I', doc: 'Inhibitory rise time constant.' },
  tau_decay_inh: { dim: 'time', default: 10, min: 0, minExclusive: true, symbol: 'τ_decay,I', doc: 'Inhibitory decay time constant.' },
};

const SYN_STATE = {
  x_exc: { dim: 'conductance', initial: 0, doc: 'Excitatory rise trace (NeuroML A/f): jumps by w, decays with τ_rise,E.' },
  g_exc: { dim: 'conductance', initial: 0, doc: 'Excitatory conductance g = B − A.' },
  x_inh: { dim: 'conductance', initial: 0, doc: 'Inhibitory rise trace (NeuroML A/f): jumps by w, decays with τ_rise,I.' },
  g_inh: { dim: 'conductance', initial: 0, doc: 'Inhibitory conductance g = B − A.' },
} as const;

const RECEPTORS: NeuronModel['receptors'] = {
  excitatory: {
    variable: 'x_exc',
    weightDim: 'conductance',
    sign: 'nonnegative',
    doc: 'expTwoSynapse: adds w (µS, = g_base × contacts) to x_exc; g_exc then follows w (e^{−s/τd} − e^{−s/τr}) / (e^{−tp/τd} − e^{−tp/τr}), peak w.',
  },
  inhibitory: {
    variable: 'x_inh',
    weightDim: 'conductance',
    sign: 'nonnegative',
    doc: 'expTwoSynapse: adds w (µS) to x_inh; g_inh follows the same normalised double exponential, peak w.',
  },
};

const CONSTRAINTS: NeuronModel['constraints'] = [
  { params: ['v_reset', 'v_thresh'], holds: (p) => p.v_reset! < p.v_thresh!, message: 'v_reset must be below v_thresh' },
  { params: ['tau_rise_exc', 'tau_decay_exc'], holds: (p) => p.tau_rise_exc! < p.tau_decay_exc!, message: 'tau_rise_exc must be below tau_decay_exc' },
  { params: ['tau_rise_inh', 'tau_decay_inh'], holds: (p) => p.tau_rise_inh! < p.tau_decay_inh!, message: 'tau_rise_inh must be below tau_decay_inh' },
];

function synapseConstants(p: Record<string, number>, h: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of ['exc', 'inh']) {
    const tr = p[`tau_rise_${r}`]!;
    const td = p[`tau_decay_${r}`]!;
    const Pr = Math.exp(-h / tr);
    const Pd = Math.exp(-h / td);
    out[`Pr_${r}`] = Pr;
    out[`Pd_${r}`] = Pd;
    // f·(e^{−h/τd} − e^{−h/τr}), the x → g element of the exact propagator.
    out[`Pgx_${r}`] = expTwoNormalisation(tr, td) * (Pd - Pr);
  }
  return out;
}

const SYN_NAMES = ['Pr_exc', 'Pd_exc', 'Pgx_exc', 'Pr_inh', 'Pd_inh', 'Pgx_inh'];

const V_UPDATE =
  '{ const G = g_leak + g_exc + g_inh + G_gap;\n' +
  '  const vinf = (g_leak * e_leak + g_exc * e_exc + g_inh * e_inh + i_offset + I_stim + IG_gap) / G;\n' +
  '  v = vinf + (v - vinf) * Math.exp(-G * inv_cm * dt); }';

const SYN_UPDATE = 'g_exc = g_exc * Pd_exc + x_exc * Pgx_exc; x_exc *= Pr_exc;\n' + 'g_inh = g_inh * Pd_inh + x_inh * Pgx_inh; x_inh *= Pr_inh;';

const DESCRIPTION_A = [
  'C dV/dt = g_leak (e_leak − V) + g_exc (e_exc − V) + g_inh (e_inh − V) + i_offset + I_stim + Σ_j g_gap,j (V_j − V)',
  'Spike when V > v_thresh; then V = v_reset (c302 has no refractory period: tau_refrac = 0).',
  'expTwoSynapse per receptor (NeuroML: A, B jump by w·f on a spike, dA/dt = −A/τr, dB/dt = −B/τd, g = B − A),',
  'carried as x = A/f (the receptor variable, jumps by w) and g = B − A:',
  '  dx/dt = −x/τ_rise,  dg/dt = −g/τ_decay + f (1/τ_rise − 1/τ_decay) x,',
  '  f = 1/(e^{−tp/τ_decay} − e^{−tp/τ_rise}),  tp = τ_rise τ_decay/(τ_decay − τ_rise) · ln(τ_decay/τ_rise),',
  'so one spike of weight w (µS, = g_base × number of contacts) gives g(s) = w f (e^{−s/τ_decay} − e^{−s/τ_rise}), peak w at s = tp.',
  'Gap junctions (transmission "gap", w = g × junctions): I = Σ_j w (V_j − V). c302 level A has none (g = 0).',
  'Defaults: c302 level A (Gleeson et al. 2018; reference worm-models.md §1.3): C 3 pF, g_L 0.1 nS, E_L −50 mV,',
  'V_thresh −30 mV, V_reset −50 mV; synapses 0.01 nS per contact (the weight), E 0 / −80 mV, τ_rise 3 ms, τ_decay 10 ms.',
].join('\n');

const DESCRIPTION_B = [
  DESCRIPTION_A.replace(
    'Gap junctions (transmission "gap", w = g × junctions): I = Σ_j w (V_j − V). c302 level A has none (g = 0).',
    'Gap junctions (transmission "gap", w = g × junctions): I = Σ_j w (V_j − V); c302 level B: g = 0.01 nS per junction and per\n' +
      'listed direction (c302 couples both cells for every spreadsheet row, so a pair listed both ways has w = g·(n_ab + n_ba)).',
  ).replace('Defaults: c302 level A', 'Defaults: c302 levels A and B'),
  'Activity (c302 level B): tau1 d(act)/dt = (V − v_reset)/(v_thresh − v_reset) − act, act clamped at ≥ 0 (tau1 50 ms).',
].join('\n');

const METHOD_DOC =
  'Exponential Euler for V: exact for DC input, conductances and gap-junction neighbours frozen over the step (first order in dt); the synaptic traces use exact exponential propagators.';

export const c302Iaf: NeuronModel = {
  kind: 'neuron',
  name: 'c302_iaf',
  aliases: ['c302_A'],
  summary: 'c302 level A: integrate-and-fire cell with double-exponential (expTwoSynapse) conductance synapses.',
  description: DESCRIPTION_A,
  references: C302_REFS,
  params: { ...PARAMS },
  state: {
    v: { dim: 'voltage', initial: { param: 'e_leak' }, doc: 'Membrane potential.' },
    ...SYN_STATE,
  },
  receptors: RECEPTORS,
  constraints: CONSTRAINTS,
  methods: ['exp_euler'],
  methodDocs: { exp_euler: METHOD_DOC },
  derivedNames: ['inv_cm', ...SYN_NAMES],
  derived: (p, h) => ({ inv_cm: 1 / p.cm!, ...synapseConstants(p, h) }),
  refractoryParam: 'tau_refrac',
  decaysToZero: ['x_exc', 'g_exc', 'x_inh', 'g_inh'],
  code: () => ({
    update: V_UPDATE + '\n' + SYN_UPDATE,
    updateRefractory: SYN_UPDATE,
    threshold: 'v > v_thresh',
    reset: 'v = v_reset;',
  }),
  engines: ['clock', 'gpu'],
  voltage: 'v',
  gapInput: 'conductance',
};

export const c302IafActivity: NeuronModel = {
  kind: 'neuron',
  name: 'c302_iaf_activity',
  aliases: ['c302_B'],
  summary: 'c302 level B: level A cell plus the activity variable (low-pass of the normalised V); use with gap junctions.',
  description: DESCRIPTION_B,
  references: C302_REFS,
  params: {
    ...PARAMS,
    tau1: { dim: 'time', default: 50, min: 0, minExclusive: true, symbol: 'τ₁', doc: 'Time constant of the activity variable (neuron_iaf_tau1).' },
  },
  state: {
    v: { dim: 'voltage', initial: { param: 'e_leak' }, doc: 'Membrane potential.' },
    act: { dim: 'dimensionless', initial: 0, doc: 'Activity: low-pass of (V − v_reset)/(v_thresh − v_reset), ≥ 0.' },
    ...SYN_STATE,
  },
  receptors: RECEPTORS,
  constraints: CONSTRAINTS,
  methods: ['exp_euler'],
  methodDocs: {
    exp_euler: METHOD_DOC + ' act is exact for V linear over the step, then clamped at 0.',
  },
  derivedNames: ['inv_cm', 'inv_span', 'Pa', 'Qa', ...SYN_NAMES],
  derived: (p, h) => {
    const Pa = Math.exp(-h / p.tau1!);
    return {
      inv_cm: 1 / p.cm!,
      inv_span: 1 / (p.v_thresh! - p.v_reset!),
      Pa,
      // (τ₁/h)(1 − e^{−h/τ₁}): weight of the within-step slope of the target.
      Qa: (-p.tau1! / h) * Math.expm1(-h / p.tau1!),
      ...synapseConstants(p, h),
    };
  },
  refractoryParam: 'tau_refrac',
  decaysToZero: ['x_exc', 'g_exc', 'x_inh', 'g_inh'],
  code: () => ({
    update:
      '{ const a0 = (v - v_reset) * inv_span;\n' +
      V_UPDATE +
      '\n' +
      '  const a1 = (v - v_reset) * inv_span;\n' +
      '  act = a1 + (act - a0) * Pa - (a1 - a0) * Qa;\n' +
      '  if (act < 0) act = 0; }\n' +
      SYN_UPDATE,
    updateRefractory:
      '{ const a = (v - v_reset) * inv_span;\n' + '  act = a + (act - a) * Pa;\n' + '  if (act < 0) act = 0; }\n' + SYN_UPDATE,
    threshold: 'v > v_thresh',
    reset: 'v = v_reset;',
  }),
  engines: ['clock', 'gpu'],
  voltage: 'v',
  gapInput: 'conductance',
};
