/**
 * f–I curve: the steady firing rate of a neuron model under constant current. One
 * population of `currents.length` neurons, neuron k driven by a DC stimulus of
 * currents[k] nA, simulated with the project's Network API and engines.
 */
import { Network } from '../api/network.js';
import { ValidationError } from '../errors.js';
import type { EngineName } from '../ir/types.js';
import { spikeTimesPerNeuron } from './spikes.js';

export interface FiOptions {
  /** Biological time (ms), default 1000. */
  duration?: number;
  /** Time step (ms), default 0.1. */
  dt?: number;
  /** Default clock. */
  engine?: EngineName;
}

export interface FiPoint {
  /** nA */
  current: number;
  /** Hz */
  rate: number;
}

/**
 * Rate per current. With ≥ 2 spikes the rate is 1000·(n − 1)/(t_n − t_1): the inverse mean
 * inter-spike interval, free of the latency to the first spike (which depends on the
 * initial state, not on the f–I relation); with fewer spikes it is n / duration.
 */
export async function fiCurve(model: string, params: Record<string, number>, currents: number[], options: FiOptions = {}): Promise<FiPoint[]> {
  if (currents.length === 0 || currents.some((c) => !Number.isFinite(c))) {
    throw new ValidationError(`f–I curve of "${model}": currents must be a non-empty list of finite numbers (nA).`, { object: 'f–I curve', parameter: 'currents', expected: 'finite nA values' });
  }
  const duration = options.duration ?? 1000;
  const net = new Network({ name: `fi-${model}`, duration, dt: options.dt ?? 0.1, engine: options.engine ?? 'clock', threads: 1, seed: 1 });
  const pop = net.population('fi', currents.length, model, params);
  currents.forEach((amplitude, k) => net.stimulate(pop, { kind: 'dc', amplitude, indices: [k], label: `I${k}` }));
  net.record(pop, 'spikes');
  const out = await net.simulate();
  const train = out.spikes.find((s) => s.population === pop.label)!;
  const perNeuron = spikeTimesPerNeuron(train.indices, train.times, currents.length);
  return currents.map((current, k) => {
    const t = perNeuron[k]!;
    const rate = t.length >= 2 ? (1000 * (t.length - 1)) / (t[t.length - 1]! - t[0]!) : (1000 * t.length) / duration;
    return { current, rate };
  });
}

/**
 * Analytic f–I curve of a leaky integrate-and-fire neuron with reset (Lapicque; e.g.
 * Gerstner et al. 2014, Neuronal Dynamics §1.3): with R = tau_m/cm,
 * rate = 1 / (tau_ref + tau_m·ln((R·I + v_rest − v_reset) / (R·I + v_rest − v_thresh)))
 * above rheobase R·I > v_thresh − v_rest, else 0. Times in ms, rate in Hz.
 */
export function lifRate(p: { tau_m: number; cm: number; tau_refrac: number; v_rest: number; v_reset: number; v_thresh: number }, current: number): number {
  const drive = (p.tau_m / p.cm) * current;
  if (drive <= p.v_thresh - p.v_rest) return 0;
  return 1000 / (p.tau_refrac + p.tau_m * Math.log((drive + p.v_rest - p.v_reset) / (drive + p.v_rest - p.v_thresh)));
}
