/**
 * Spike sources: populations that emit spikes and have no membrane.
 *
 * - spike_source_array (PyNN SpikeSourceArray): each neuron fires at its listed times.
 * - spike_source_poisson (PyNN SpikeSourcePoisson): each neuron fires as an
 *   independent homogeneous Poisson process of `rate` in [start, stop), drawn from
 *   its own seeded stream (so the trains do not depend on the number of threads).
 *
 * In the clock engine a spike at time t is emitted on the next grid point,
 * ceil(t/dt)·dt (a source may emit several spikes in one step; each is delivered);
 * the event engine uses the exact times.
 */
import type { SourceModel } from './types.js';

export const spikeSourceArray: SourceModel = {
  kind: 'source',
  name: 'spike_source_array',
  aliases: ['SpikeSourceArray'],
  summary: 'Emits spikes at given times (one ascending array per neuron).',
  description: 'Times in ms, given in the population’s `spikeTimes`.',
  references: ['PyNN SpikeSourceArray; NEST spike_generator'],
  params: {},
  state: {},
  constraints: [],
  engines: ['clock', 'event', 'gpu'],
};

export const spikeSourcePoisson: SourceModel = {
  kind: 'source',
  name: 'spike_source_poisson',
  aliases: ['SpikeSourcePoisson'],
  summary: 'Independent Poisson spike trains of a given rate in [start, stop).',
  description: 'Inter-spike intervals are exponential with mean 1000/rate ms, drawn from a per-neuron stream.',
  references: ['PyNN SpikeSourcePoisson; NEST poisson_generator (parrot semantics: one train per source neuron)'],
  params: {
    rate: { dim: 'rate', default: 1.0, min: 0, doc: 'Firing rate.' },
    start: { dim: 'time', default: 0, min: 0, doc: 'Start of firing.' },
    stop: { dim: 'time', default: 1e12, min: 0, doc: 'End of firing (exclusive).' },
  },
  state: {},
  constraints: [{ params: ['start', 'stop'], holds: (p) => p.start! <= p.stop!, message: 'start must not be after stop' }],
  engines: ['clock', 'event', 'gpu'],
};
