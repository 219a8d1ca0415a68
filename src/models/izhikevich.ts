/**
 * izhikevich (PyNN Izhikevich; Izhikevich 2003, IEEE Trans Neural Netw 14:1569).
 *
 *   dv/dt = 0.04 v² + 5 v + 140 − u + I,   du/dt = a (b v − u),
 *   I = 1000 · (i_offset + I_stim)  (currents in nA on a 1 pF membrane, as PyNN/NEST map i_offset to I_e in pA),
 *   spike when v ≥ 30 mV: v ← c, u ← u + d.
 *
 * Synapses are delta synapses (NEST izhikevich): an arriving spike adds w (mV) to v.
 * Integration: forward Euler from the start-of-step values (NEST's "consistent
 * integration"); first order in dt.
 */
import type { NeuronModel } from './types.js';

export const izhikevich: NeuronModel = {
  kind: 'neuron',
  name: 'izhikevich',
  aliases: ['Izhikevich'],
  summary: 'Izhikevich (2003) two-variable spiking neuron, delta synapses, forward Euler.',
  description: [
    'dv/dt = 0.04 v² + 5 v + 140 − u + 1000 (i_offset + I_stim); du/dt = a (b v − u)',
    'Spike when v ≥ 30 mV: v = c, u = u + d. An arriving spike adds w (mV) to v.',
  ].join('\n'),
  references: ['Izhikevich EM (2003) IEEE Trans Neural Netw 14:1569–1572', 'PyNN Izhikevich; NEST izhikevich'],
  params: {
    a: { dim: 'dimensionless', unitLabel: '1/ms', default: 0.02, min: 0, minExclusive: true, doc: 'Time scale of the recovery variable u.' },
    b: { dim: 'dimensionless', unitLabel: '1/ms', default: 0.2, doc: 'Sensitivity of u to v.' },
    c: { dim: 'voltage', default: -65.0, doc: 'After-spike reset value of v.' },
    d: { dim: 'dimensionless', unitLabel: 'mV/ms', default: 2.0, doc: 'After-spike increment of u.' },
    i_offset: { dim: 'current', default: 0.0, symbol: 'I_e', doc: 'Constant injected current (1 nA ↦ I = 1000).' },
  },
  state: {
    v: { dim: 'voltage', initial: -70.0, doc: 'Membrane potential.' },
    u: { dim: 'dimensionless', initial: -14.0, doc: 'Recovery variable (mV/ms).' },
  },
  receptors: {
    excitatory: { variable: 'v', weightDim: 'voltage', sign: 'nonnegative', doc: 'Adds w (mV) to v.' },
    inhibitory: { variable: 'v', weightDim: 'voltage', sign: 'nonpositive', doc: 'Adds w (mV, negative) to v.' },
  },
  constraints: [{ params: ['c'], holds: (p) => p.c! < 30, message: 'c (the reset) must be below the 30 mV spike cut-off' }],
  methods: ['euler'],
  methodDocs: { euler: 'Forward Euler from start-of-step values (NEST consistent integration). First order in dt.' },
  derivedNames: [],
  derived: () => ({}),
  code: () => ({
    update:
      '{ const v0 = v;\n' +
      '  v += dt * (0.04 * v0 * v0 + 5 * v0 + 140 - u + 1000 * (i_offset + I_stim));\n' +
      '  u += dt * a * (b * v0 - u); }',
    threshold: 'v >= 30',
    reset: 'v = c; u += d;',
  }),
  engines: ['clock', 'gpu'],
  voltage: 'v',
};
