/**
 * Quantisation of float LIF networks onto loihi_lif (targets/loihi/quantize.ts; issue 5,
 * "Quantisation"; docs/targets/loihi.md, "Quantisation"). Spec: ../shared/reference/loihi-lava.md.
 *
 * Unit tests check the registers, scales and weights on a hand-computed example, the
 * timing (a quantised membrane trace follows the float one), every refusal (one error
 * naming every offender), approximate mode, the report's counts and core mapping, and
 * that an already-loihi_lif network comes back unchanged. The fast-check property runs
 * random E/I networks with Poisson input in both forms on the clock engine and compares
 * per-population rates: within 5 %, or within the bound the report predicts when that is
 * larger (docs: 12-bit decays limit τ_m to ±0.5/dv, which at dt = 0.1 ms and τ_m ≳ 25 ms
 * moves rates by more than 5 %).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { clockEngine } from '../src/engines/clock/index.js';
import { UnknownNameError, UnsupportedError } from '../src/errors.js';
import { quantize as publicQuantize, loihi } from '../src/index.js';
import type { NetworkIR } from '../src/ir/types.js';
import { validateNetwork } from '../src/ir/validate.js';
import {
  currentDecayRegister,
  effectiveTau,
  encodeBias,
  formatQuantizationReport,
  LoihiQuantizationError,
  loihiCoreMapping,
  quantize,
  quantizeForLoihi,
  voltageDecayRegister,
} from '../targets/loihi/quantize.js';
import { expectError } from './helpers.js';

const LIF = { tau_refrac: 0, v_rest: -65, v_reset: -65, v_thresh: -50, tau_m: 20, tau_syn_E: 5, tau_syn_I: 5, cm: 1 };

async function runIR(ir: NetworkIR) {
  return clockEngine.run({ ...ir, run: { ...ir.run, threads: 1 } });
}

function caught(fn: () => unknown): LoihiQuantizationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LoihiQuantizationError);
    expect(e).toBeInstanceOf(UnsupportedError);
    return e as LoihiQuantizationError;
  }
  throw new Error('expected a LoihiQuantizationError');
}

// ================================================================== registers and scales

describe('decay registers (§1.3): the fraction lost per step is 1 − e^{−dt/τ}', () => {
  it('dv = round(4096·(1 − e^{−dt/τ_m})), du = round(4096·(1 − e^{−dt/τ_syn})) − 1, clamped', () => {
    // dt 1, τ_m 20: 4096·(1 − e^{−0.05}) = 199.764 → 200.  τ_syn 5: 4096·(1 − e^{−0.2}) = 742.479 → 742, du = 741.
    expect(voltageDecayRegister(1, 20)).toBe(200);
    expect(currentDecayRegister(1, 5)).toBe(741);
    // dt 0.1, τ_m 20: 20.4289 → 20; the effective τ is −0.1/ln(1 − 20/4096) = 20.43 ms (+2.1 %).
    expect(voltageDecayRegister(0.1, 20)).toBe(20);
    expect(effectiveTau(0.1, (4096 - 20) / 4096)).toBeCloseTo(20.42996, 4);
    // τ ≪ dt: everything decays in one step: du = 4095 (u is this step's input only), dv = 4095 (the largest).
    expect(currentDecayRegister(1, 0.01)).toBe(4095);
    expect(voltageDecayRegister(1, 0.01)).toBe(4095);
    // τ > 8192·dt: rounds to no decay (du = −1, dv = 0), which quantisation refuses (see below).
    expect(currentDecayRegister(0.1, 1e4)).toBe(-1);
    expect(voltageDecayRegister(0.1, 1e4)).toBe(0);
    expect(effectiveTau(1, 1)).toBeNull();
    expect(effectiveTau(1, 0)).toBe(0);
  });

  it('biases use the smallest bias_exp whose 13-bit mantissa holds them', () => {
    expect(encodeBias(0)).toEqual({ mant: 0, exp: 0 });
    expect(encodeBias(4095)).toEqual({ mant: 4095, exp: 0 });
    expect(encodeBias(4096)).toEqual({ mant: 2048, exp: 1 });
    expect(encodeBias(-4096)).toEqual({ mant: -4096, exp: 0 });
    expect(encodeBias(100001)).toEqual({ mant: 3125, exp: 5 }); // 100001/32 = 3125.03
    expect(encodeBias(4095 * 128)).toEqual({ mant: 4095, exp: 7 });
    expect(encodeBias(4096 * 128)).toBeNull();
  });

  it('maps a hand-computed neuron and synapse: du, dv, vth, scale, weight, weight_exp, delay, bias, initial v', () => {
    const net = new Network({ dt: 1, seed: 1, name: 'hand' });
    const S = net.spikeSource('S', 1, { times: [[5]] });
    const N = net.population('N', 1, 'IF_curr_exp', { ...LIF, i_offset: 0.5 }, { v: -60 });
    net.connect(S, N, { rule: 'all_to_all' }, { weight: 10, delay: 2 });
    const { network, report } = quantizeForLoihi(net.toIR());
    const pop = network.populations.find((p) => p.label === 'N')!;
    const r = report.populations.find((p) => p.population === 'N')!;
    expect(pop.model).toBe('loihi_lif');
    expect(pop.params.du).toBe(741);
    expect(pop.params.dv).toBe(200);
    const vth = pop.params.vth as number;
    expect(vth).toBeGreaterThanOrEqual(2 ** 15);
    expect(vth).toBeLessThan(2 ** 16);
    // Effective τ: −1/ln(3896/4096) = 19.9758 ms, −1/ln(3354/4096) = 5.00357 ms.
    expect(r.tauM!.tauEffective).toBeCloseTo(19.97583, 4);
    expect(r.tauSyn!.tauEffective).toBeCloseTo(5.00357, 4);
    // Scale per nA: σ·P21·gain with σ = vth/15 mV,
    // P21 = e^{−1/20}·(1 − e^{−0.15})/0.15 = 0.883324 mV/nA,
    // gain = [(1 − 3354/4096)/(1 − e^{−0.2})]·[(1 − 3896/4096)/(1 − e^{−0.05})] = 1.000534.
    const scale = (vth / 15) * 0.8833244761515474 * 1.0005343290075395;
    expect(report.projections[0]!.scale.min).toBeCloseTo(scale, 6);
    // 10 nA → x = 10·scale ≈ 0.589·vth threshold units: weight_exp = ceil(log2(x / 255.5)), weight within one step.
    const x = 10 * scale;
    const proj = network.projections[0]!;
    const e = Math.ceil(Math.log2(x / 255.5));
    expect(proj.loihi).toEqual({ weightExp: e, numWeightBits: 8 });
    expect(proj.receptor).toBe('excitatory');
    expect(Math.abs((proj.weight as number) * 2 ** e - x)).toBeLessThanOrEqual(2 ** e);
    // A float delay of 2 steps is Lava's d = 2 (engine delay (1 + d)·dt = 3 ms): Lava's v
    // takes this step's u, the float V the start-of-step current (one step later).
    expect(proj.delay).toBe(3);
    expect(report.projections[0]!.delay).toEqual({ min: 2, max: 2 });
    // Bias: i_offset·τ_m/c_m = 10 mV at rest, per step ·(1 − r_v) = 10·200/4096 mV, ×64σ raw.
    const raw = ((64 * vth) / 15) * ((10 * 200) / 4096);
    const bias = loihi.effectiveBias(pop.params.bias_mant as number, pop.params.bias_exp as number);
    expect(Math.abs(bias - raw)).toBeLessThanOrEqual(2 ** ((pop.params.bias_exp as number) - 1));
    expect(pop.params.bias_exp).toBe(encodeBias(raw)!.exp);
    // Initial v = −60 mV: 5 mV above rest = 64·vth/3 raw.
    expect(pop.initial.v).toBe(Math.round((64 * vth) / 3));
    expect(pop.initial.u).toBe(0);
  });

  it('the quantised membrane follows the float one: same spikes, v within 0.02 mV (dt 0.5 ms)', async () => {
    const dt = 0.5;
    const net = new Network({ dt, seed: 1 });
    const S = net.spikeSource('S', 1, { times: [[2, 3, 10, 10.5, 11]] });
    const N = net.population('N', 1, 'IF_curr_exp', { ...LIF, i_offset: 0.2 }, { v: -60, isyn_exc: 0.3 });
    net.connect(S, N, { rule: 'all_to_all' }, { weight: 2, delay: 1.5 });
    net.record(N, ['v']);
    net.record(N, 'spikes');
    net.setRun({ duration: 40 });
    const float = await runIR(net.toIR());
    const { network, report } = quantizeForLoihi(net.toIR());
    const q = await runIR(network);
    const vth = report.populations.find((p) => p.population === 'N')!.vth!;
    const fv = float.traces[0]!.data;
    const qv = q.traces[0]!.data;
    expect(qv.length).toBe(fv.length);
    for (let k = 0; k < fv.length; k++) expect(Math.abs(-65 + (qv[k]! / (64 * vth)) * 15 - fv[k]!)).toBeLessThan(0.02);
    expect(Array.from(q.spikes[0]!.times)).toEqual(Array.from(float.spikes[0]!.times));
    expect(float.spikes[0]!.times.length).toBeGreaterThan(0);
  });
});

// ================================================================== refusals

describe('refusals: one error listing every offender', () => {
  function offending(): Network {
    const net = new Network({ dt: 1, seed: 1, name: 'bad' });
    const S = net.spikeSource('S', 3, { rate: 10 });
    const E = net.population('E', 4, 'IF_curr_exp', { ...LIF, tau_refrac: 2, v_reset: -70 });
    const G = net.population('G', 2, 'IF_curr_exp', { ...LIF, tau_syn_I: 10 });
    net.population('C', 2, 'IF_cond_exp');
    net.population('Z', 2, 'izhikevich');
    const W = net.population('W', 2, 'graded_kunert');
    net.connect(S, E, { rule: 'all_to_all' }, { weight: 0.1, delay: 100, label: 'far' });
    net.connect(S, G, { rule: 'all_to_all' }, { weight: 0.1, delay: 1, label: 'SG' });
    net.connect(E, G, { rule: 'all_to_all' }, { receptor: 'inhibitory', weight: -0.1, delay: 1, label: 'EG' });
    net.connect(E, E, { rule: 'one_to_one' }, { transmission: 'gap', weight: 0.01, label: 'gap' });
    net.connect(W, W, { rule: 'from_list', connections: [[0, 1]] }, { transmission: 'graded', graded: { variable: 's' }, receptor: 'excitatory', weight: 1e-4, label: 'graded' });
    net.stimulate(E, { kind: 'step', times: [0, 10], amplitudes: [0.1, 0.2], label: 'steps' });
    net.stimulate(G, { kind: 'poisson', rate: 100, weight: 0.1, label: 'noise' });
    return net;
  }

  it('names every population, projection and stimulus Lava’s LIF cannot express', () => {
    const err = caught(() => quantizeForLoihi(offending().toIR()));
    const objects = err.offenders.map((o) => o.object);
    expect(new Set(objects)).toEqual(
      new Set([
        'population "C"', // conductance synapses
        'population "Z"', // another model
        'population "W"', // a graded model
        'population "E"', // refractory period; v_reset ≠ v_rest
        'population "G"', // tau_syn_E ≠ tau_syn_I, both in use
        'projection "far"', // 100 steps > 62
        'projection "gap"',
        'projection "graded"',
        'stimulus "steps"',
        'stimulus "noise"',
      ]),
    );
    expect(objects.filter((o) => o === 'population "E"')).toHaveLength(2);
    for (const o of objects) expect(err.message).toContain(o);
    expect(err.message).toMatch(/conductance/);
    expect(err.message).toMatch(/refractory/);
    expect(err.message).toMatch(/v_reset/);
    expect(err.message).toMatch(/62/);
    expect(err.message).toMatch(/gap junctions/);
    expect(err.message).toMatch(/graded/);
    // Which of them approximate mode can map:
    const approximable = err.offenders.filter((o) => o.approximation).map((o) => o.object);
    expect(new Set(approximable)).toEqual(new Set(['population "E"', 'population "G"', 'projection "far"', 'stimulus "noise"']));
    expect(err.fix).toBe('approximate: true');
  });

  it('approximate mode still refuses what cannot be approximated, listing only those', () => {
    const err = caught(() => quantizeForLoihi(offending().toIR(), { approximate: true }));
    expect(new Set(err.offenders.map((o) => o.object))).toEqual(
      new Set(['population "C"', 'population "Z"', 'population "W"', 'projection "gap"', 'projection "graded"', 'stimulus "steps"']),
    );
  });

  it('refuses a threshold at or below rest, decays that round to none, and time-limited dc', () => {
    const net = new Network({ dt: 0.1, seed: 1 });
    net.population('A', 1, 'IF_curr_exp', { ...LIF, v_thresh: -65, v_reset: -66, v_rest: -65 });
    const B = net.population('B', 1, 'IF_curr_exp', { ...LIF, tau_m: 1e4, tau_syn_E: 1e4, tau_syn_I: 1e4 });
    net.stimulate(B, { kind: 'dc', amplitude: 0.1, start: 5, stop: 10, label: 'pulse' });
    const err = caught(() => quantizeForLoihi(net.toIR()));
    const problems = err.offenders.map((o) => `${o.object}: ${o.problem}`).join('\n');
    expect(problems).toMatch(/population "A": v_thresh is not above v_rest/);
    expect(problems).toMatch(/population "B": tau_m = 10000 ms is over 8192 steps/);
    expect(problems).toMatch(/population "B": tau_syn = 10000 ms is over 8192 steps/);
    expect(problems).toMatch(/stimulus "pulse": a dc current from 5 to 10 ms/);
  });

  it('the default tau_refrac of 0.1 ms is one step at dt 0.1 ms (refused) and none at dt 0.25 ms', () => {
    const net = new Network({ dt: 0.1, seed: 1 });
    net.population('P', 1, 'IF_curr_exp');
    expect(caught(() => quantizeForLoihi(net.toIR())).offenders[0]!.problem).toMatch(/refractory period of 1 step/);
    expect(() => quantizeForLoihi(net.toIR(), { dt: 0.25 })).not.toThrow();
  });
});

describe('approximate mode lists each approximation', () => {
  it('drops refractoriness, resets to v_rest, clips delays, shares one τ_syn, and turns Poisson stimuli into sources', async () => {
    const net = new Network({ dt: 1, seed: 2, name: 'approx' });
    const S = net.spikeSource('S', 20, { rate: 20 });
    const E = net.population('E', 10, 'IF_curr_exp', { ...LIF, tau_refrac: 2, v_reset: -70, tau_m: [10, 20, 10, 20, 10, 20, 10, 20, 10, 20] });
    const G = net.population('G', 5, 'IF_curr_exp', { ...LIF, tau_syn_I: 10 });
    net.connect(S, E, { rule: 'fixed_probability', p: 0.5 }, { weight: 0.5, delay: { uniform: [1, 70] }, label: 'far' });
    net.connect(S, G, { rule: 'all_to_all' }, { weight: 0.2, delay: 2, label: 'SG' });
    net.connect(E, G, { rule: 'all_to_all' }, { receptor: 'inhibitory', weight: -0.3, delay: 1, label: 'EG' });
    net.stimulate(G, { kind: 'poisson', rate: 100, weight: 0.2, label: 'noise' });
    net.record(E, 'spikes');
    net.record(G, ['v', 'isyn_exc', 'isyn_inh']);
    const { network, report } = quantizeForLoihi(net.toIR(), { approximate: true });
    const whats = report.approximations.map((a) => `${a.object}: ${a.what}`).join('\n');
    expect(whats).toMatch(/population "E": .*refractory.*dropped/);
    expect(whats).toMatch(/population "E": v_reset ≠ v_rest.*reset to v_rest/);
    expect(whats).toMatch(/population "E": tau_m differs.*geometric mean 14\.14 ms/);
    expect(whats).toMatch(/projection "far": \d+ synapses with delays up to \d\d steps.*clipped to 62/);
    expect(whats).toMatch(/population "G": synaptic time constants differ \(tau_syn_E 5 ms, tau_syn_I 10 ms\).*geometric mean 7\.071 ms/);
    expect(whats).toMatch(/stimulus "noise": .*spike_source_poisson population "noise"/);
    expect(report.approximations).toHaveLength(6);
    expect(report.projections.find((p) => p.projection === 'far')!.delaysClipped).toBeGreaterThan(0);
    expect(report.projections.find((p) => p.projection === 'far')!.delay.max).toBe(62);
    // The Poisson stimulus became a source with a one-to-one projection, d = 0.
    const src = network.populations.find((p) => p.label === 'noise')!;
    expect(src).toMatchObject({ model: 'spike_source_poisson', size: 5, params: { rate: 100 } });
    const stim = network.projections.find((p) => p.pre === 'noise')!;
    expect(stim.delay).toBe(1);
    expect(Array.from(stim.targets)).toEqual([0, 1, 2, 3, 4]);
    expect(network.stimuli).toEqual([]);
    // State recordings: v stays v, the currents become u.
    expect(network.recordings.find((r) => r.kind === 'state')).toMatchObject({ variables: ['v', 'u'] });
    expect(() => validateNetwork(network)).not.toThrow();
    const out = await runIR({ ...network, run: { ...network.run, duration: 200 } });
    expect(out.stats.spikes).toBeGreaterThan(0);
  });
});

// ================================================================== exact conversions and report

describe('exact conversions', () => {
  it('spike-time stimuli become sources with d = 0 and keep their timing; a whole-run dc becomes the bias', async () => {
    const dt = 0.5;
    const build = (asStimulus: boolean) => {
      const net = new Network({ dt, seed: 1 });
      const N = net.population('N', 2, 'IF_curr_exp', LIF);
      net.stimulate(N, { kind: 'spike_times', times: [2, 2.5, 6, 20], weight: 3, label: 'kick', indices: [1] });
      if (asStimulus) net.stimulate(N, { kind: 'dc', amplitude: 0.7, label: 'dc' });
      else net.toIR().populations[0]!.params.i_offset = 0.7;
      net.record(N, ['v']);
      net.setRun({ duration: 30 });
      return net.toIR();
    };
    const float = await runIR(build(true));
    const { network, report } = quantizeForLoihi(build(true));
    expect(report.conversions.join('\n')).toMatch(/stimulus "kick": spike times into "N" → spike_source_array "kick"/);
    expect(report.conversions.join('\n')).toMatch(/stimulus "dc": a dc current over the whole run, added to the bias of "N"/);
    expect(network.projections).toHaveLength(1);
    expect(network.projections[0]!.delay).toBe(dt); // d = 0
    // Same as i_offset: the same parameters.
    const viaOffset = quantizeForLoihi(build(false)).network.populations.find((p) => p.label === 'N')!;
    expect(network.populations.find((p) => p.label === 'N')!.params).toEqual(viaOffset.params);
    const q = await runIR(network);
    const vth = report.populations.find((p) => p.population === 'N')!.vth!;
    const fv = float.traces[0]!.data;
    const qv = q.traces[0]!.data;
    for (let k = 0; k < fv.length; k++) expect(Math.abs(-65 + (qv[k]! / (64 * vth)) * 15 - fv[k]!)).toBeLessThan(0.02);
  });

  it('duplicate synapses are merged; pairs with several delays are split into a second projection', async () => {
    const net = new Network({ dt: 1, seed: 1 });
    const S = net.spikeSource('S', 2, { rate: 50 });
    const N = net.population('N', 2, 'IF_curr_exp', LIF);
    net.connect(S, N, { rule: 'from_list', connections: [[0, 0, 0.1, 2], [0, 0, 0.2, 2], [0, 1, 0.1, 2], [0, 1, 0.1, 5], [1, 0, 0.3, 1]] }, { weight: 0, label: 'dup' });
    const { network, report } = quantizeForLoihi(net.toIR());
    expect(network.projections.map((p) => p.label)).toEqual(['dup', 'dup#2']);
    expect(network.projections.map((p) => p.targets.length)).toEqual([3, 1]);
    expect(report.conversions.join('\n')).toMatch(/1 duplicate .* merged.*split into "dup", "dup#2"/);
    expect(() => validateNetwork(network)).not.toThrow();
  });

  it('quantize(network, { target: "loihi2" }) takes a Network or an IR; other targets are unknown names', () => {
    const net = new Network({ dt: 1, seed: 1 });
    net.population('N', 3, 'IF_curr_exp', { ...LIF, i_offset: 1 });
    expect(quantize(net, { target: 'loihi2' }).network.populations[0]!.model).toBe('loihi_lif');
    expect(publicQuantize(net.toIR(), { target: 'loihi2', dt: 0.5 }).report.dt).toBe(0.5);
    expectError(() => quantize(net, { target: 'spinnaker' as never }), UnknownNameError, 'spinnaker', 'loihi2');
  });
});

describe('the report', () => {
  it('counts clipped and zeroed synapses and the largest relative weight error, consistently with the weights', () => {
    // 20 000 synapses of 0.01 nA, one outlier of 100 nA and one of 1e−7 nA onto one neuron.
    // Fitting the outlier into 8 bits would zero all the small ones; clipping it loses less.
    const n = 20002;
    const net = new Network({ dt: 1, seed: 1 });
    const S = net.spikeSource('S', n, { rate: 1 });
    const N = net.population('N', 1, 'IF_curr_exp', LIF);
    const weights = new Float64Array(n).fill(0.01);
    weights[7] = 100;
    weights[9] = 1e-7;
    net.connect(S, N, { rule: 'all_to_all' }, { weight: Array.from(weights), label: 'P' });
    const { network, report } = quantizeForLoihi(net.toIR());
    const r = report.projections[0]!;
    const w = network.projections[0]!.weight as Float64Array;
    const e = r.weightExp;
    let clipped = 0;
    let zeroed = 0;
    let maxRel = 0;
    for (let s = 0; s < n; s++) {
      const x = weights[s]! * r.scale.min;
      if (Math.round(x / 2 ** e) > 255) clipped++;
      if (w[s] === 0) zeroed++;
      maxRel = Math.max(maxRel, Math.abs(w[s]! * 2 ** e - x) / x);
    }
    expect(clipped).toBe(1);
    expect(w[7]).toBe(255);
    expect(w[9]).toBe(0);
    expect(r.clipped).toBe(clipped);
    expect(r.zeroed).toBe(zeroed);
    expect(zeroed).toBeGreaterThanOrEqual(1);
    expect(r.maxRelativeError).toBeCloseTo(maxRel, 9);
    expect(r.maxRelativeError).toBe(1); // the zeroed synapse
    expect(r.numWeightBits).toBe(8);
  });

  it('error diffusion keeps each neuron’s and the population’s mean input unbiased', () => {
    // Five projections of one small weight each: no vth makes all five whole numbers of
    // threshold units, so individual synapses are off by up to a unit; their sums are not.
    const net = new Network({ dt: 0.1, seed: 1 });
    const N = net.population('N', 50, 'IF_curr_exp', { ...LIF, tau_m: 37, tau_syn_E: 7.3 });
    for (const [k, w] of [0.0123, 0.0171, 0.0297, 0.0411, 0.0533].entries()) {
      const S = net.spikeSource(`S${k}`, 100, { rate: 10 });
      net.connect(S, N, { rule: 'fixed_indegree', n: 20 }, { weight: w });
    }
    const r = quantizeForLoihi(net.toIR()).report.projections;
    expect(Math.max(...r.map((p) => p.maxRelativeError))).toBeGreaterThan(0.01);
    for (const p of r) {
      expect(Math.abs(p.driveRelativeError)).toBeLessThan(1e-3);
      expect(p.neuronDriveRelativeError).toBeLessThan(0.1);
    }
  });

  it('maps 20 000 neurons onto 3 cores of one chip, and counts chips and synapse-bound cores', () => {
    const net = new Network({ dt: 1, seed: 1 });
    net.population('Big', 20000, 'IF_curr_exp', { ...LIF, i_offset: 0.8 });
    const { report } = quantizeForLoihi(net.toIR());
    expect(report.cores.populations).toEqual([expect.objectContaining({ population: 'Big', neurons: 20000, coresForNeurons: 3, cores: 3 })]);
    expect(report.cores.cores).toBe(3);
    expect(report.cores.chips).toBe(1);
    // 130 populations of 8192: 130 cores → 2 chips of 120; 8193 neurons take 2 cores.
    const many = loihiCoreMapping(Array.from({ length: 130 }, (_, i) => ({ population: `P${i}`, neurons: 8192, synapses: 0, bitsPerSynapse: 0 })));
    expect([many.cores, many.chips]).toEqual([130, 2]);
    expect(loihiCoreMapping([{ population: 'A', neurons: 8193, synapses: 0, bitsPerSynapse: 0 }]).cores).toBe(2);
    // Synapse memory: 10 neurons with 200 000 synapses of 22 bits = 4.4 Mbit → 5 cores of 1 Mbit.
    const dense = loihiCoreMapping([{ population: 'D', neurons: 10, synapses: 200000, bitsPerSynapse: 22 }]);
    expect(dense.populations[0]).toMatchObject({ coresForNeurons: 1, coresForSynapses: 5, cores: 5 });
  });

  it('is plain JSON and prints as text', () => {
    const net = new Network({ dt: 0.1, seed: 1, name: 'json' });
    const S = net.spikeSource('S', 10, { rate: 10 });
    const E = net.population('E', 8, 'IF_curr_exp', LIF);
    net.connect(S, E, { rule: 'all_to_all' }, { weight: 0.5, delay: 1 });
    net.connect(E, E, { rule: 'all_to_all' }, { receptor: 'inhibitory', weight: -0.2, delay: 1 });
    const { report } = quantizeForLoihi(net.toIR());
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const text = formatQuantizationReport(report);
    for (const s of ['Loihi 2 quantisation of "json" at dt 0.1 ms', 'E', 'S→E', 'E→E:inhibitory', 'cores: 1', 'chips: 1', 'loihi_lif', 'source']) expect(text).toContain(s);
    expect(report.populations.find((p) => p.population === 'E')).toMatchObject({ du: 80, dv: 20 });
  });
});

describe('a network that is already loihi_lif', () => {
  it('comes back unchanged (the identity), and quantising twice is quantising once', async () => {
    const net = new Network({ dt: 1, seed: 3, name: 'lava' });
    const In = net.spikeSource('In', 2, { times: [[1, 2, 3], [2]] });
    const N = net.population('N', 4, 'loihi_lif', { du: 410, dv: 205, vth: 100 });
    net.connect(In, N, { rule: 'from_list', connections: [[0, 0], [0, 1], [1, 2], [1, 3]] }, { receptor: 'mixed', weight: [4, -6, 254, 2], delay: 1, loihi: { weightExp: 1 } });
    net.record(N, 'spikes');
    const ir = net.toIR();
    const { network, report } = quantizeForLoihi(ir);
    expect(report.unchanged).toBe(true);
    expect(network).toEqual(ir);
    expect(network).not.toBe(ir);
    expect(report.populations.find((p) => p.population === 'N')).toMatchObject({ mapping: 'unchanged', du: 410, dv: 205, vth: 100 });
    const float = new Network({ dt: 1, seed: 1 });
    float.population('F', 2, 'IF_curr_exp', { ...LIF, i_offset: 2 });
    const once = quantizeForLoihi(float.toIR()).network;
    const twice = quantizeForLoihi(once);
    expect(twice.report.unchanged).toBe(true);
    expect(twice.network).toEqual(once);
  });
});

// ================================================================== the property

interface EiParams {
  dt: number;
  seed: number;
  tauM: number;
  tauSyn: number;
  cm: number;
  theta: number;
  delayMs: number;
  p: number;
  g: number;
  psp: number;
  mu: number;
  rateX: number;
  pX: number;
}

const N_E = 200;
const N_I = 50;
const N_X = 100;
const DURATION = 4000;

/** Peak of the PSP of 1 nA of weight (mV): (τmτs/(cm(τm − τs)))·(e^{−t_p/τm} − e^{−t_p/τs}) at t_p = ln(τm/τs)·τmτs/(τm − τs). */
function pspPeak(cm: number, tm: number, ts: number): number {
  const t = (Math.log(tm / ts) * tm * ts) / (tm - ts);
  return ((tm * ts) / (cm * (tm - ts))) * (Math.exp(-t / tm) - Math.exp(-t / ts));
}

/** An E/I network (4:1) with Poisson input whose mean drive is mu·θ and recurrent PSPs of psp·θ, inhibition g times stronger. */
function eiNetwork(q: EiParams): NetworkIR {
  const net = new Network({ dt: q.dt, seed: q.seed, name: 'ei' });
  const params = { ...LIF, cm: q.cm, tau_m: q.tauM, tau_syn_E: q.tauSyn, tau_syn_I: q.tauSyn, v_thresh: -65 + q.theta };
  const E = net.population('E', N_E, 'IF_curr_exp', params, { v: { uniform: [-65, -65 + q.theta] } });
  const I = net.population('I', N_I, 'IF_curr_exp', params, { v: { uniform: [-65, -65 + q.theta] } });
  const X = net.spikeSource('X', N_X, { rate: q.rateX });
  const unit = pspPeak(q.cm, q.tauM, q.tauSyn);
  const wE = (q.psp * q.theta) / unit;
  // Mean input current K·ν·w·τ_s gives a mean depolarisation of that times τ_m/c_m.
  const wX = (q.mu * q.theta * q.cm) / (q.tauM * N_X * q.pX * (q.rateX / 1000) * q.tauSyn);
  const delay = q.dt * Math.max(1, Math.round(q.delayMs / q.dt));
  for (const post of [E, I]) {
    net.connect(X, post, { rule: 'fixed_probability', p: q.pX }, { weight: wX, delay });
    net.connect(E, post, { rule: 'fixed_probability', p: q.p }, { weight: wE, delay });
    net.connect(I, post, { rule: 'fixed_probability', p: q.p }, { receptor: 'inhibitory', weight: -q.g * wE, delay });
  }
  net.record(E, 'spikes');
  net.record(I, 'spikes');
  net.setRun({ duration: DURATION, threads: 1 });
  return net.toIR();
}

async function rates(ir: NetworkIR): Promise<Record<string, number>> {
  const out = await runIR(ir);
  const sizes = new Map(ir.populations.map((p) => [p.label, p.size]));
  return Object.fromEntries(out.spikes.map((s) => [s.population, s.times.length / (sizes.get(s.population)! * (ir.run.duration / 1000))]));
}

const measured: { dt: number; tauM: number; pop: string; float: number; quantised: number; error: number; predicted: number }[] = [];

describe('property: quantised E/I networks fire at the float network’s rates', () => {
  afterAll(() => {
    if (measured.length === 0) return;
    const worst = measured.reduce((a, b) => (Math.abs(b.error) > Math.abs(a.error) ? b : a));
    const predictedOver5 = measured.filter((m) => m.predicted > 0.05).length;
    const over5 = measured.filter((m) => Math.abs(m.error) > 0.05).length;
    console.log(
      `loihi quantisation, ${measured.length / 2} networks: |rate error| mean ${((measured.reduce((s, m) => s + Math.abs(m.error), 0) / measured.length) * 100).toFixed(2)} %, ` +
        `max ${(Math.abs(worst.error) * 100).toFixed(2)} % (dt ${worst.dt} ms, τ_m ${worst.tauM.toFixed(1)} ms, predicted ${(worst.predicted * 100).toFixed(2)} %); ` +
        `${over5} of ${measured.length} populations beyond 5 %, ${predictedOver5} with a predicted bound above 5 %`,
    );
  });

  it('per-population rates within 5 %, or within the report’s predicted bound when that is larger (rates 5–50 Hz)', async () => {
    const params = fc.record({
      dt: fc.constantFrom(0.1, 0.25, 0.5, 1),
      seed: fc.integer({ min: 1, max: 1000 }),
      tauM: fc.double({ min: 10, max: 60, noNaN: true }),
      tauSyn: fc.double({ min: 2, max: 8, noNaN: true }),
      cm: fc.double({ min: 0.25, max: 1, noNaN: true }),
      theta: fc.double({ min: 12, max: 20, noNaN: true }),
      delayMs: fc.double({ min: 1, max: 3, noNaN: true }),
      p: fc.double({ min: 0.05, max: 0.15, noNaN: true }),
      g: fc.double({ min: 3.5, max: 6, noNaN: true }),
      psp: fc.double({ min: 0.005, max: 0.025, noNaN: true }),
      mu: fc.double({ min: 0.8, max: 1.15, noNaN: true }),
      rateX: fc.double({ min: 5, max: 20, noNaN: true }),
      pX: fc.double({ min: 0.1, max: 0.3, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(params, async (q) => {
        const ir = eiNetwork(q);
        const float = await rates(ir);
        fc.pre(Object.values(float).every((r) => r >= 5 && r <= 50));
        const { network, report } = quantizeForLoihi(ir);
        const quantised = await rates(network);
        for (const pop of ['E', 'I']) {
          const error = (quantised[pop]! - float[pop]!) / float[pop]!;
          const predicted = report.predictedRateError[pop]!;
          measured.push({ dt: q.dt, tauM: q.tauM, pop, float: float[pop]!, quantised: quantised[pop]!, error, predicted });
          expect(Math.abs(error), `${pop}: ${float[pop]!.toFixed(2)} → ${quantised[pop]!.toFixed(2)} Hz, predicted ≤ ${(predicted * 100).toFixed(2)} %`).toBeLessThanOrEqual(Math.max(0.05, predicted));
        }
      }),
      { numRuns: 20, seed: 1, endOnFailure: true },
    );
  });
});
