/**
 * Benchmark networks, as defined in the project's benchmarks reference
 * (Brette et al. 2007 benchmarks 1 and 2; the fixed-fan-in scaling series) and
 * the sparse event-driven benchmark of `nematode bench sparse`.
 *
 * Deviations forced by the simulator's rules, and stated in every bench output:
 * - synaptic delay = dt (0.1 ms), the smallest allowed; the reference scripts
 *   deliver a spike's conductance jump in the step it is fired (no delay);
 * - threshold v ≥ V_th (PyNN/NEST) instead of v > V_th;
 * - refractoriness in NEST's convention: v is held for the 50 steps after the
 *   spike step (Brian2 integrates again in the 50th).
 */
import { Network, type PopulationHandle } from '../api/network.js';
import type { NetworkIR } from '../ir/types.js';

export interface BenchOptions {
  size?: number;
  duration?: number;
  dt?: number;
  seed?: number;
  threads?: number;
  /** Record spikes of every neuron (off by default, as in the reference timings). */
  recordSpikes?: boolean;
}

export const BENCH_DEVIATIONS = [
  'synaptic delay = dt (the reference delivers in the spike step; nematode delays are ≥ 1 step)',
  'threshold v ≥ V_th (reference: v > V_th)',
  'refractory: v held for round(5 ms/dt) steps after the spike step (Brian2: one step fewer)',
];

/** Connection probability: 2 % at 4000 neurons, else a mean fan-in of 80 (64 E + 16 I). */
function probability(n: number): number {
  return n === 4000 ? 0.02 : 80 / n;
}

/**
 * COBA (Brette et al. 2007 benchmark 1, after Vogels & Abbott 2005): LIF with
 * conductance synapses, forward Euler, self-sustained activity from random initial
 * conditions. Conductances are in µS: g_L = 10 nS so cm = 0.2 nF, Δg_e = 6 nS, Δg_i = 67 nS.
 */
export function cobaNetwork(o: BenchOptions = {}): NetworkIR {
  const n = o.size ?? 4000;
  const nE = Math.round(n * 0.8);
  const net = new Network({ name: `COBA-${n}`, dt: o.dt ?? 0.1, duration: o.duration ?? 1000, seed: o.seed ?? 1, threads: o.threads ?? 0 });
  const params = { cm: 0.2, tau_m: 20, v_rest: -60, v_reset: -60, v_thresh: -50, tau_refrac: 5, tau_syn_E: 5, tau_syn_I: 10, e_rev_E: 0, e_rev_I: -80, i_offset: 0 };
  // Initial state: v ~ N(−65, 5) mV, g_e ~ N(4, 1.5)·g_L, g_i ~ N(20, 12)·g_L, not clipped.
  const initial = { v: { normal: [-65, 5] as [number, number] }, g_exc: { normal: [0.04, 0.015] as [number, number] }, g_inh: { normal: [0.2, 0.12] as [number, number] } };
  const E = net.population('E', nE, 'IF_cond_exp', params, initial, { method: 'euler' });
  const I = net.population('I', n - nE, 'IF_cond_exp', params, initial, { method: 'euler' });
  wire(net, E, I, probability(n), 0.006, 0.067, o);
  return net.toIR();
}

/**
 * CUBA (Brette et al. 2007 benchmark 2): LIF with exponential current synapses,
 * exact integration, E_L = −49 mV above threshold. Brian's CUBA jumps g by 1.62 mV
 * and −9 mV in τ_m dv/dt units; as currents on cm = 0.2 nF, τ_m = 20 ms (g_L = 10 nS)
 * these are 1.62 mV · 10 nS = 0.0162 nA and −0.09 nA.
 */
export function cubaNetwork(o: BenchOptions = {}): NetworkIR {
  const n = o.size ?? 4000;
  const nE = Math.round(n * 0.8);
  const net = new Network({ name: `CUBA-${n}`, dt: o.dt ?? 0.1, duration: o.duration ?? 1000, seed: o.seed ?? 1, threads: o.threads ?? 0 });
  const params = { cm: 0.2, tau_m: 20, v_rest: -49, v_reset: -60, v_thresh: -50, tau_refrac: 5, tau_syn_E: 5, tau_syn_I: 10, i_offset: 0 };
  const initial = { v: { uniform: [-60, -50] as [number, number] } };
  const E = net.population('E', nE, 'IF_curr_exp', params, initial);
  const I = net.population('I', n - nE, 'IF_curr_exp', params, initial);
  wire(net, E, I, probability(n), 0.0162, -0.09, o);
  return net.toIR();
}

function wire(net: Network, E: PopulationHandle, I: PopulationHandle, p: number, wE: number, wI: number, o: BenchOptions): void {
  const dt = o.dt ?? 0.1;
  for (const post of [E, I]) {
    net.connect(E, post, { rule: 'fixed_probability', p }, { receptor: 'excitatory', weight: wE, delay: dt, label: `${E.label}→${post.label}` });
    net.connect(I, post, { rule: 'fixed_probability', p }, { receptor: 'inhibitory', weight: wI, delay: dt, label: `${I.label}→${post.label}` });
  }
  if (o.recordSpikes) {
    net.record(E, 'spikes');
    net.record(I, 'spikes');
  }
}

/**
 * The sparse event-driven benchmark: 10,000 IF_curr_exp neurons (80 % E, 20 % I),
 * fan-in 10 (fixed in-degree, 8 E + 2 I), delays 1–5 ms, each neuron driven by its
 * own Poisson train; mean rate below 2 Hz. Here the event engine touches a neuron
 * only when an input reaches it, while the clock engine updates all 10,000 every step.
 */
export function sparseNetwork(o: BenchOptions & { engine?: 'clock' | 'event' } = {}): NetworkIR {
  const n = o.size ?? 10000;
  const nE = Math.round(n * 0.8);
  const net = new Network({ name: `sparse-${n}`, dt: o.dt ?? 0.1, duration: o.duration ?? 1000, seed: o.seed ?? 1, threads: o.threads ?? 0, engine: o.engine ?? 'event' });
  const params = { cm: 0.25, tau_m: 20, v_rest: -65, v_reset: -65, v_thresh: -50, tau_refrac: 2, tau_syn_E: 5, tau_syn_I: 5, i_offset: 0 };
  const E = net.population('E', nE, 'IF_curr_exp', params, { v: { uniform: [-65, -55] } });
  const I = net.population('I', n - nE, 'IF_curr_exp', params, { v: { uniform: [-65, -55] } });
  for (const post of [E, I]) {
    net.connect(E, post, { rule: 'fixed_indegree', n: 8 }, { receptor: 'excitatory', weight: 0.3, delay: { uniform: [1, 5] }, label: `${E.label}→${post.label}` });
    net.connect(I, post, { rule: 'fixed_indegree', n: 2 }, { receptor: 'inhibitory', weight: -0.6, delay: { uniform: [1, 5] }, label: `${I.label}→${post.label}` });
    net.stimulate(post, { kind: 'poisson', rate: 10, weight: 0.65, label: `drive→${post.label}` });
  }
  if (o.recordSpikes) {
    net.record(E, 'spikes');
    net.record(I, 'spikes');
  }
  return net.toIR();
}

/**
 * The worm benchmark: the 302 neurons of the OpenWorm spreadsheet connectome (299 with
 * synapses plus CANL, CANR, VC6) as graded Kunert neurons with graded synapses and gap
 * junctions, input-dependent threshold, a 10 pA touch into PLML/PLMR for the middle third
 * of the run (so the threshold is re-solved twice), v of every neuron recorded each ms.
 */
export async function wormNetwork(o: BenchOptions & { dataDir?: string } = {}): Promise<NetworkIR> {
  const { addWorm } = await import('../worm/build.js');
  const duration = o.duration ?? 10_000;
  const net = new Network({ name: 'worm-302-graded', dt: o.dt ?? 0.1, duration, seed: o.seed ?? 1, threads: 1 });
  addWorm(net, { dataset: 'openworm', neurons: ['all'], dataDir: o.dataDir });
  net.stimulate('worm', { kind: 'dc', names: ['PLML', 'PLMR'], amplitude: 0.01, start: duration / 3, stop: (2 * duration) / 3 });
  net.record('worm', ['v'], { interval: 1 });
  return net.toIR();
}
