/**
 * The built-in default of `nematode run` until the worm experiment exists: a small
 * balanced E/I network of IF_curr_exp neurons (after Brunel 2000, scaled down),
 * driven by independent Poisson input, recording spikes, a few membrane traces and
 * population rates.
 */
import { Network } from './api/network.js';
import type { NetworkIR } from './ir/types.js';

export function defaultNetwork(): NetworkIR {
  const net = new Network({ name: 'balanced-ei-1000', duration: '1 s', dt: '0.1 ms', seed: 1 });
  const params = { cm: '250 pF', tau_m: '10 ms', tau_refrac: '2 ms', tau_syn_E: '0.5 ms', tau_syn_I: '0.5 ms', v_rest: '-65 mV', v_reset: '-65 mV', v_thresh: '-50 mV' };
  const initial = { v: { normal: ['-65 mV', '5 mV'] as [string, string], max: '-50.1 mV' } };
  const E = net.population('E', 800, 'IF_curr_exp', params, initial);
  const I = net.population('I', 200, 'IF_curr_exp', params, initial);
  for (const post of [E, I]) {
    net.connect(E, post, { rule: 'fixed_indegree', n: 80 }, { receptor: 'excitatory', weight: '87.8 pA', delay: { normal: ['1.5 ms', '0.75 ms'], min: '0.1 ms' } });
    net.connect(I, post, { rule: 'fixed_indegree', n: 20 }, { receptor: 'inhibitory', weight: '-439 pA', delay: { normal: ['0.8 ms', '0.4 ms'], min: '0.1 ms' } });
    net.stimulate(post, { kind: 'poisson', rate: '9 kHz', weight: '87.8 pA', label: `background→${post.label}` });
  }
  for (const p of [E, I]) {
    net.record(p, 'spikes');
    net.record(p, 'rate', { bin: '5 ms' });
    net.record(p, ['v'], { indices: [0, 1, 2], interval: '0.5 ms' });
  }
  return net.toIR();
}
