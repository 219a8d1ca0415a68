/**
 * Loihi 2 / Lava bit-accurate model (issue 5, first part): the pure arithmetic of
 * src/loihi/arithmetic.ts, the `loihi_lif` model on the clock engine, and its
 * connection semantics, against ../shared/reference/loihi-lava.md (§ numbers below).
 *
 * Every edge case the spec lists has a unit test whose expected value is worked out by
 * hand from the spec's formulas in the comments. The properties then compare the clock
 * engine, bit for bit, with an independent per-step reference loop written here in BigInt
 * arithmetic that follows Lava's processes literally (RingBuffer source, DelaySparse
 * ring buffers with per-delay weight_exp-shifted sums, the LIF step).
 *
 * Time axis (docs/targets/loihi.md): Lava step t (1-based) is engine step t − 1; its
 * spikes are reported at t·dt, and the trace sample at t·dt is the state after it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network, type StimulusSpec } from '../src/api/network.js';
import { UnknownNameError, UnsupportedError, ValidationError } from '../src/errors.js';
import type { NetworkIR, ProjectionIR } from '../src/ir/types.js';
import { validateNetwork } from '../src/ir/validate.js';
import * as L from '../src/loihi/arithmetic.js';
import type { SimulationOutput } from '../src/engines/types.js';
import { run, trace } from './helpers.js';
import { expectError } from './helpers.js';

// ================================================================== pure arithmetic

describe('LIF fixed-point step (§1.3)', () => {
  it('current decay by du + 1, truncated toward zero (also for negative products)', () => {
    // du = 0: factor 4096 − (0 + 1) = 4095. 6400·4095 = 26 208 000; /4096 = 6398.4375 → 6398.
    expect(L.currentStep(6400, 0, 0)).toBe(6398);
    // 6398·4095 = 26 199 810; /4096 = 6396.44… → 6396 (spec: 6400 → 6398 → 6396, du = 0 does not freeze u).
    expect(L.currentStep(6398, 0, 0)).toBe(6396);
    // Negative: −6400·4095 = −26 208 000; /4096 = −6398.4375 → −6398 toward zero (a floor would give −6399).
    expect(L.currentStep(-6400, 0, 0)).toBe(-6398);
    expect(L.decay(-6400, 4095)).toBe(-6398);
    // −1·4095 = −4095; /4096 = −0.9997 → 0 (not −1), and 0 not −0.
    expect(Object.is(L.decay(-1, 4095), 0)).toBe(true);
    // du = 410 (the §3 example): −100 000·3685 = −368 500 000; /4096 = −89 965.82 → −89 965.
    expect(L.currentStep(-100000, 410, 0)).toBe(-89965);
  });

  it('du = −1 is a perfect current integrator; du = 4095 keeps only this step’s input; dv = 0 / 4095', () => {
    // du = −1: factor 4096 − 0 = 4096, 6400·4096/4096 = 6400.
    expect(L.currentDecayFactor(-1)).toBe(4096);
    expect(L.currentStep(6400, -1, 0)).toBe(6400);
    expect(L.currentStep(-6400, -1, 2)).toBe(-6400 + 128);
    // du = 4095: factor 0, so u = a << 6 = 5·64 = 320 whatever u was.
    expect(L.currentDecayFactor(4095)).toBe(0);
    expect(L.currentStep(6400, 4095, 5)).toBe(320);
    // dv = 0: v·4096/4096 = v (perfect integrator): 1000 + u 0 + bias 0 = 1000.
    expect(L.voltageStep(1000, 0, 0, 0)).toBe(1000);
    // dv = 4095 leaves 1/4096: 40 960·1/4096 = 10; −40 961/4096 = −10.0002 → −10.
    expect(L.voltageStep(40960, 4095, 0, 0)).toBe(10);
    expect(L.voltageStep(-40961, 4095, 0, 0)).toBe(-10);
  });

  it('input enters u as a << 6; the single, asymmetric wrap of u (not a modulo)', () => {
    // 600 inputs × 255 = 153 000; ·64 = 9 792 000 > 2^23 → 9 792 000 − 2^24 = −6 985 216 (spec, verified in Lava).
    expect(L.currentStep(0, 0, 600 * 255)).toBe(-6985216);
    // a = 2^17: u = 2^23 = 8 388 608 exactly is kept (the test is u > 2^23).
    expect(L.currentStep(0, 0, 131072)).toBe(8388608);
    // a = 2^17 + 1: 8 388 672 > 2^23 → 8 388 672 − 16 777 216 = −8 388 544.
    expect(L.currentStep(0, 0, 131073)).toBe(-8388544);
    // a = −2^17: −8 388 608 ≤ −2^23 → +8 388 608.
    expect(L.currentStep(0, 0, -131072)).toBe(8388608);
    // a = −2^17 + 1: −8 388 544 > −2^23 → kept.
    expect(L.currentStep(0, 0, -131071)).toBe(-8388544);
    // Only one wrap: a = 400 000 → 25 600 000 − 16 777 216 = 8 822 784, still above 2^23.
    expect(L.currentStep(0, 0, 400000)).toBe(8822784);
    expect(L.wrapCurrent(3 * 2 ** 23)).toBe(2 ** 23);
    // No 16-bit input clip: a = 51 000 → 3 264 000.
    expect(L.currentStep(0, 0, 51000)).toBe(3264000);
    // a << 6 is int32: 2^26·64 = 2^32 → 0; (2^25 + 1)·64 = 2^31 + 64 → −2^31 + 64, then + 2^24 (≤ −2^23).
    expect(L.currentStep(0, 0, 2 ** 26)).toBe(0);
    expect(L.currentStep(0, 0, 2 ** 25 + 1)).toBe(-(2 ** 31) + 64 + 2 ** 24);
  });

  it('v saturates at ±(2^23 − 1) instead of wrapping', () => {
    // 8 388 000 + u 1000 = 8 389 000 > 8 388 607 → 8 388 607.
    expect(L.voltageStep(8388000, 0, 1000, 0)).toBe(8388607);
    // −8 388 000 − 1000 = −8 389 000 → −8 388 607 (symmetric: not −2^23).
    expect(L.voltageStep(-8388000, 0, -1000, 0)).toBe(-8388607);
    // The bias adds in v: 100 + 0 + (3 << 2 = 12) = 112.
    expect(L.voltageStep(100, 0, 0, L.effectiveBias(3, 2))).toBe(112);
  });

  it('threshold vth << 6 with a strict comparison; a spike resets v only', () => {
    expect(L.effectiveThreshold(10)).toBe(640);
    expect(L.effectiveThreshold(131071)).toBe(8388544);
    const p = { du: 4095, dv: 0, biasEff: 0, vthEff: 640 };
    // a = 0, du = 4095: u = 0; dv = 0: v = 630 + 0 + 10 (bias) = 640 = vth<<6: not above it, no spike.
    expect(L.lifStep({ u: 0, v: 630 }, { ...p, biasEff: 10 }, 0)).toEqual({ u: 0, v: 640, spike: false });
    // v = 630 + 11 = 641 > 640: spike, v = 0.
    expect(L.lifStep({ u: 0, v: 630 }, { ...p, biasEff: 11 }, 0)).toEqual({ u: 0, v: 0, spike: true });
    // u is not reset: a = 20 → u = 1280 (du = 4095), v = 0 + 1280 > 640 → spike, u stays 1280.
    expect(L.lifStep({ u: 0, v: 0 }, p, 20)).toEqual({ u: 1280, v: 0, spike: true });
  });

  it('bias = bias_mant << bias_exp; bias_mant is stored as int16; a negative exponent floors', () => {
    expect(L.effectiveBias(4095, 7)).toBe(524160); // 4095·128
    expect(L.effectiveBias(-4096, 7)).toBe(-524288);
    expect(L.toInt16(40000)).toBe(-25536); // spec: 40000 → −25536
    expect(L.effectiveBias(40000, 0)).toBe(-25536);
    expect(L.effectiveBias(-5, -1)).toBe(-3); // −5 >> 1 = floor(−2.5)
    expect(L.effectiveBias(5, -1)).toBe(2);
  });
});

describe('weight pipeline (§2.1) and the per-step sum (§2.2)', () => {
  it('sign mode inferred from the whole matrix', () => {
    expect(L.inferSignMode([0, 3, 255])).toBe('excitatory');
    expect(L.inferSignMode([0, -3])).toBe('inhibitory');
    expect(L.inferSignMode([-1, 1])).toBe('mixed');
    expect(L.inferSignMode([0, 0])).toBe('excitatory'); // min ≥ 0 is tested first
    expect(L.inferSignMode([])).toBe('excitatory');
  });

  it('clipping by sign mode', () => {
    expect(L.effectiveWeight(300, 'excitatory')).toBe(255); // clip [0, 255]
    expect(L.effectiveWeight(-3, 'excitatory')).toBe(0);
    expect(L.effectiveWeight(-300, 'inhibitory')).toBe(-255); // clip [−255, 0]
    expect(L.effectiveWeight(7, 'inhibitory')).toBe(0);
    expect(L.effectiveWeight(-300, 'mixed')).toBe(-256); // clip [−256, 255], −256 is even
    expect(L.effectiveWeight(300, 'mixed')).toBe(254); // 255, then LSB dropped
  });

  it('mixed-sign matrices drop one LSB with a floor: 5 → 4, −5 → −6, 255 → 254', () => {
    // k = 8 − 8 + 1 = 1: (5 >> 1) << 1 = 4; (−5 >> 1) << 1 = (−3) << 1 = −6; 255 → 254.
    expect(L.droppedLsbs('mixed', 8)).toBe(1);
    expect(L.effectiveWeight(5, 'mixed')).toBe(4);
    expect(L.effectiveWeight(-5, 'mixed')).toBe(-6);
    expect(L.effectiveWeight(255, 'mixed')).toBe(254);
    expect(L.effectiveWeight(-1, 'mixed')).toBe(-2);
    // One-signed matrices keep 0..255 exactly with 8 bits.
    for (const w of [0, 1, 5, 254, 255]) expect(L.effectiveWeight(w, 'excitatory')).toBe(w);
    const all = L.effectiveWeights([5, -5, 255]);
    expect(all.signMode).toBe('mixed');
    expect(Array.from(all.weights)).toEqual([4, -6, 254]);
  });

  it('num_weight_bits drops 8 − n LSBs (one more when mixed); inhibitory weights as magnitudes', () => {
    // Excitatory, 6 bits: k = 2: 13 → (13 >> 2) << 2 = 12.
    expect(L.effectiveWeight(13, 'excitatory', 6)).toBe(12);
    // Inhibitory, 7 bits: k = 1: |−5| = 5 → 4 → −4 (magnitude, so toward zero, unlike mixed).
    expect(L.effectiveWeight(-5, 'inhibitory', 7)).toBe(-4);
    // Mixed, 6 bits: k = 3: 13 → 8; −13 → floor(−13/8)·8 = −2·8 = −16.
    expect(L.effectiveWeight(13, 'mixed', 6)).toBe(8);
    expect(L.effectiveWeight(-13, 'mixed', 6)).toBe(-16);
    // 1 bit, excitatory: k = 7: only 0 and 128.
    expect(L.effectiveWeight(255, 'excitatory', 1)).toBe(128);
    expect(L.effectiveWeight(127, 'excitatory', 1)).toBe(0);
    expect(() => L.effectiveWeight(3.5, 'excitatory')).toThrow(RangeError);
    expect(() => L.droppedLsbs('mixed', 9)).toThrow(RangeError);
  });

  it('weight_exp acts on the summed input, flooring: floor(Σw/2^k), not Σ floor(w/2^k)', () => {
    // Two synapses of 3, weight_exp = −1: (3 + 3) >> 1 = 3, whereas 3 >> 1 + 3 >> 1 = 1 + 1 = 2.
    expect(L.shiftedInput(3 + 3, -1)).toBe(3);
    expect(L.shiftedInput(3, -1) + L.shiftedInput(3, -1)).toBe(2);
    // Negative sums floor: −5 >> 1 = −3 (not −2); −6 >> 2 = −2 (not −1).
    expect(L.shiftedInput(-5, -1)).toBe(-3);
    expect(L.shiftedInput(-6, -2)).toBe(-2);
    // Positive exponents shift left: 3 << 2 = 12; int32 wraps: 2^30 << 2 = 2^32 → 0.
    expect(L.shiftedInput(3, 2)).toBe(12);
    expect(L.shiftedInput(2 ** 30, 2)).toBe(0);
    expect(() => L.shiftedInput(1, 32)).toThrow(RangeError);
  });

  it('timing helpers (§2.3, §2.4)', () => {
    expect(L.arrivalStep(5)).toBe(6); // Dense/Sparse: t + 1
    expect(L.arrivalStep(5, 62)).toBe(68); // DelaySparse: t + 1 + d
    expect(L.engineDelaySteps(0)).toBe(1);
    expect(L.engineDelaySteps(62)).toBe(63);
    expect(() => L.engineDelaySteps(63)).toThrow(RangeError);
    // RingBuffer of 5 columns: step 1 sends column 0, step 5 column 4, step 6 loops to column 0.
    expect([1, 5, 6, 7].map((t) => L.ringBufferColumn(t, 5))).toEqual([0, 4, 0, 1]);
    expect(L.rasterColumnTime(0, 0.5)).toBe(0.5);
  });
});

// ================================================================== engine, by hand

/** Spike steps (Lava's 1-based t = time/dt) of one neuron. */
function spikeSteps(out: SimulationOutput, population: string, index: number, dt: number): number[] {
  const s = out.spikes.find((x) => x.population === population)!;
  const r: number[] = [];
  for (let k = 0; k < s.indices.length; k++) if (s.indices[k] === index) r.push(Math.round(s.times[k]! / dt));
  return r;
}

/** Samples (after Lava step t = sample index) of a state variable of neuron i in a population of `size`. */
function samples(out: SimulationOutput, variable: string, population: string, size = 1, i = 0): number[] {
  const d = trace(out, variable, population);
  const r: number[] = [];
  for (let k = i; k < d.length; k += size) r.push(d[k]!);
  return r;
}

describe('loihi_lif on the clock engine: timing (§2.3, §2.4)', () => {
  it('input raster column c (spike time (c + 1)·dt) → Dense → LIF is integrated at step c + 2', async () => {
    const dt = 0.5;
    const net = new Network({ dt, seed: 1 });
    // Raster columns 0 and 3 → spike times 1·dt and 4·dt.
    const src = net.spikeSource('S', 1, { times: [[L.rasterColumnTime(0, dt), L.rasterColumnTime(3, dt)]] });
    const n = net.population('N', 1, 'loihi_lif', { du: 4095, dv: 4095, vth: 1000 });
    net.connect(src, n, { rule: 'all_to_all' }, { weight: 7, delay: dt }); // Dense: delay = (1 + 0)·dt
    net.record(n, ['u', 'a_in']);
    const out = await run(net, 8 * dt);
    // du = 4095: u after step t = a_t·64. Column 0 → step 2, column 3 → step 5; 7·64 = 448.
    expect(samples(out, 'u', 'N')).toEqual([0, 0, 448, 0, 0, 448, 0, 0]);
    expect(samples(out, 'a_in', 'N')).toEqual([0, 0, 7, 0, 0, 7, 0, 0]);
  });

  for (const d of [0, 1, 62]) {
    it(`a LIF spike at step t reaches the next LIF's u at t + 1 + d (d = ${d}; delay (1 + d)·dt)`, async () => {
      const dt = 1;
      const net = new Network({ dt, seed: 1 });
      // A starts at v = 641 > 640 = 10 << 6: it fires at step 1 (v = 641 + 0 + 0), then stays at v = 0.
      const a = net.population('A', 1, 'loihi_lif', { dv: 0, vth: 10 }, { v: 641 });
      const b = net.population('B', 1, 'loihi_lif', { du: 4095, vth: 100000 });
      net.connect(a, b, { rule: 'all_to_all' }, { weight: 9, delay: L.engineDelaySteps(d) * dt });
      net.record(a, 'spikes');
      net.record(b, ['u']);
      const out = await run(net, 70);
      expect(spikeSteps(out, 'A', 0, dt)).toEqual([1]);
      const u = samples(out, 'u', 'B');
      const hit = 1 + 1 + d; // arrivalStep(1, d)
      expect(u[hit]).toBe(9 * 64);
      expect(u.filter((x) => x !== 0)).toHaveLength(1);
    });
  }

  it('a spike is integrated into u, and v sees the new u in the same step', async () => {
    const dt = 1;
    const net = new Network({ dt, seed: 1 });
    const src = net.spikeSource('S', 1, { times: [[1]] });
    // du = −1 (u holds), dv = 0 (v integrates): a = 2 at step 2: u = 128, v = 0 + 128 = 128; step 3: u = 128, v = 256 …
    const n = net.population('N', 1, 'loihi_lif', { du: -1, dv: 0, vth: 3 });
    net.connect(src, n, { rule: 'all_to_all' }, { weight: 2, delay: dt });
    net.record(n, ['u', 'v']);
    net.record(n, 'spikes');
    const out = await run(net, 6);
    expect(samples(out, 'u', 'N')).toEqual([0, 0, 128, 128, 128, 128]);
    // vth<<6 = 192: step 3 gives v = 256 > 192 → spike, v = 0; step 4: 128; step 5: 256 → spike.
    expect(samples(out, 'v', 'N')).toEqual([0, 0, 128, 0, 128, 0]);
    expect(spikeSteps(out, 'N', 0, dt)).toEqual([3, 5]);
  });
});

describe('loihi_lif on the clock engine: weight_exp on the sum (§2.2, §2.3)', () => {
  async function aIn(build: (net: Network, src: ReturnType<Network['spikeSource']>, n: ReturnType<Network['population']>) => void, times: number[][]) {
    const net = new Network({ dt: 1, seed: 1 });
    const src = net.spikeSource('S', times.length, { times });
    const n = net.population('N', 1, 'loihi_lif', { du: 4095, vth: 100000 });
    build(net, src, n);
    net.record(n, ['a_in', 'u']);
    const out = await run(net, 6);
    return samples(out, 'a_in', 'N');
  }

  it('one projection: two weights of 3, weight_exp −1 → (3 + 3) >> 1 = 3', async () => {
    const a = await aIn((net, s, n) => net.connect(s, n, { rule: 'all_to_all' }, { weight: 3, delay: 1, loihi: { weightExp: -1 } }), [[1], [1]]);
    expect(a[2]).toBe(3);
  });

  it('two projections: each sum is shifted on its own → (3 >> 1) + (3 >> 1) = 2', async () => {
    const a = await aIn((net, s, n) => {
      net.connect(s, n, { rule: 'from_list', connections: [[0, 0]] }, { label: 'p', weight: 3, delay: 1, loihi: { weightExp: -1 } });
      net.connect(s, n, { rule: 'from_list', connections: [[1, 0]] }, { label: 'q', weight: 3, delay: 1, loihi: { weightExp: -1 } });
    }, [[1], [1]]);
    expect(a[2]).toBe(2);
  });

  it('weight_exp 0 sums plainly; a positive weight_exp shifts left: (3 + 3) << 2 = 24', async () => {
    expect((await aIn((net, s, n) => net.connect(s, n, { rule: 'all_to_all' }, { weight: 3, delay: 1 }), [[1], [1]]))[2]).toBe(6);
    expect((await aIn((net, s, n) => net.connect(s, n, { rule: 'all_to_all' }, { weight: 3, delay: 1, loihi: { weightExp: 2 } }), [[1], [1]]))[2]).toBe(24);
  });

  it('a negative sum floors: mixed weight −6, weight_exp −2 → floor(−6/4) = −2; inhibitory −5, −1 → −3', async () => {
    expect((await aIn((net, s, n) => net.connect(s, n, { rule: 'all_to_all' }, { receptor: 'mixed', weight: -6, delay: 1, loihi: { weightExp: -2 } }), [[1]]))[2]).toBe(-2);
    expect((await aIn((net, s, n) => net.connect(s, n, { rule: 'all_to_all' }, { receptor: 'inhibitory', weight: -5, delay: 1, loihi: { weightExp: -1 } }), [[1]]))[2]).toBe(-3);
  });

  it('DelaySparse shifts per delay value: spikes of different steps and delays arriving together are shifted apart', async () => {
    // Neuron 0 spikes at step 1 over d = 1 and neuron 1 at step 2 over d = 0: both arrive at step 3.
    // Lava adds (3 >> 1) into column 1 at step 1 and (3 >> 1) into column 0 at step 2: a_3 = 1 + 1 = 2.
    const connections: [number, number, number, number][] = [
      [0, 0, 3, 2], // delay (1 + 1)·dt
      [1, 0, 3, 1], // delay (1 + 0)·dt
    ];
    const a = await aIn((net, s, n) => net.connect(s, n, { rule: 'from_list', connections }, { weight: 0, delay: 1, loihi: { weightExp: -1 } }), [[1], [2]]);
    expect(a[3]).toBe(2);
    // With both spikes at step 1 and the same delay they share one sum: (3 + 3) >> 1 = 3 at step 3.
    const b = await aIn((net, s, n) => net.connect(s, n, { rule: 'all_to_all' }, { weight: 3, delay: 2, loihi: { weightExp: -1 } }), [[1], [1]]);
    expect(b[3]).toBe(3);
  });
});

// ================================================================== kernel source

describe('clock-engine kernel of a before-update model', () => {
  it('sets a_in from the receptor rings and the shifted Int32 channels before the update, and clears them', async () => {
    const { neuronKernelSource } = await import('../src/engines/clock/codegen.js');
    const { loihiLif, iafPscExp } = await import('../src/models/index.js');
    const src = neuronKernelSource({
      model: loihiLif,
      method: 'fixed_pt',
      constants: { __dt: 1, du: 0, dv: 0, vth: 10, bias_mant: 0, bias_exp: 0, u_decay: 4095, v_decay: 4096, bias_eff: 0, vth_eff: 640 },
      receptors: ['excitatory', 'mixed'],
      channels: [
        { name: 'shift0', receptor: 'excitatory', shift: -1 },
        { name: 'shift1', receptor: 'inhibitory', shift: 2 },
      ],
      gradedReceptors: [],
      gap: false,
      outputs: [],
      hasCurrentStimulus: false,
      refractorySteps: 0,
    });
    const set = src.indexOf('a_in = in_excitatory[slot + i] + in_mixed[slot + i] + (in_shift0[slot + i] >> 1) + (in_shift1[slot + i] << 2);');
    expect(set).toBeGreaterThan(0);
    expect(src.indexOf('in_shift1[slot + i] = 0;')).toBeGreaterThan(set);
    expect(src.indexOf('u = (Math.trunc(u * u_decay / 4096)')).toBeGreaterThan(set);
    expect(src).not.toMatch(/a_in \+= in_/);
    expect(src).toMatch(/s_a_in\[i\] = a_in;/);
    // Shift channels need the before-update timing.
    expect(() =>
      neuronKernelSource({
        model: iafPscExp,
        method: 'exact',
        constants: { __dt: 0.1 },
        receptors: [],
        channels: [{ name: 'shift0', receptor: 'excitatory', shift: 1 }],
        gradedReceptors: [],
        gap: false,
        outputs: [],
        hasCurrentStimulus: false,
        refractorySteps: 0,
      }),
    ).toThrow(/before-update/);
  });
});

// ================================================================== validation


describe('loihi_lif validation', () => {
  function net2(): Network {
    const net = new Network({ dt: 0.5, duration: 5 });
    net.spikeSource('S', 2, { times: [[0.5], [1]] });
    net.population('N', 2, 'loihi_lif');
    return net;
  }
  const check = (net: Network) => validateNetwork(net.toIR());

  it('parameters and initial state are integers in the register ranges', () => {
    const net = new Network();
    expectError(() => net.population('A', 1, 'loihi_lif', { du: 0.5 }), ValidationError, 'du', 'integer');
    expectError(() => net.population('B', 1, 'loihi_lif', { du: -2 }), ValidationError, 'du');
    expectError(() => net.population('C', 1, 'loihi_lif', { vth: 131072 }), ValidationError, 'vth');
    expectError(() => net.population('D', 1, 'loihi_lif', { bias_exp: 8 }), ValidationError, 'bias_exp');
    expectError(() => net.population('E', 1, 'loihi_lif', {}, { v: 2 ** 23 }), ValidationError, 'initial v');
    expect(() => net.population('F', 1, 'loihi_lif', { du: -1, dv: 4095, vth: 131071, bias_mant: -4096, bias_exp: 7 }, { u: 2 ** 23, v: -(2 ** 23 - 1) })).not.toThrow();
  });

  it('weights must be Lava effective weights for the receptor’s sign mode and numWeightBits', () => {
    const a = net2();
    a.connect('S', 'N', { rule: 'one_to_one' }, { receptor: 'mixed', weight: [4, 5], delay: 0.5 });
    const e = expectError(() => check(a), ValidationError, 'projection', 'weight 5', 'mixed', 'Lava would use 4');
    expect((e as ValidationError).parameter).toBe('weight');
    const b = net2();
    b.connect('S', 'N', { rule: 'one_to_one' }, { weight: [255, 5], delay: 0.5 });
    expect(() => check(b)).not.toThrow();
    const c = net2();
    c.connect('S', 'N', { rule: 'one_to_one' }, { weight: [12, 13], delay: 0.5, loihi: { numWeightBits: 6 } });
    expectError(() => check(c), ValidationError, 'weight 13', 'Lava would use 12');
    const d = net2();
    d.connect('S', 'N', { rule: 'one_to_one' }, { weight: 2.5, delay: 0.5 });
    expectError(() => check(d), ValidationError, 'weight 2.5');
    const e2 = net2();
    e2.connect('S', 'N', { rule: 'one_to_one' }, { receptor: 'inhibitory', weight: 3, delay: 0.5 });
    expectError(() => check(e2), ValidationError, 'weight'); // sign
  });

  it('delays are (1 + d)·dt with d in 0..62', () => {
    for (const [delay, ok] of [
      [0.5, true],
      [63 * 0.5, true],
      [64 * 0.5, false],
      [0.75, false],
      [0, false],
    ] as const) {
      const n = net2();
      n.connect('S', 'N', { rule: 'one_to_one' }, { weight: 1, delay });
      if (ok) expect(() => check(n)).not.toThrow();
      else expect((expectError(() => check(n), ValidationError, 'delay') as ValidationError).parameter).toBe('delay');
    }
  });

  it('loihi settings: weightExp in −31..31, numWeightBits in 1..8, no unknown keys; only into loihi_lif', () => {
    for (const [loihi, parameter] of [
      [{ weightExp: 32 }, 'loihi.weightExp'],
      [{ weightExp: 0.5 }, 'loihi.weightExp'],
      [{ numWeightBits: 0 }, 'loihi.numWeightBits'],
      [{ numWeightBits: 9 }, 'loihi.numWeightBits'],
    ] as const) {
      const n = net2();
      n.connect('S', 'N', { rule: 'one_to_one' }, { weight: 0, delay: 0.5, loihi });
      expect((expectError(() => check(n), ValidationError, 'projection') as ValidationError).parameter).toBe(parameter);
    }
    const u = net2();
    u.connect('S', 'N', { rule: 'one_to_one' }, { weight: 0, delay: 0.5, loihi: { weight_exp: 1 } as never });
    expectError(() => check(u), UnknownNameError, 'weight_exp');
    const f = net2();
    f.population('F', 2, 'IF_curr_exp');
    f.connect('S', 'F', { rule: 'one_to_one' }, { weight: 0.1, delay: 0.5, loihi: { weightExp: 1 } });
    expectError(() => check(f), ValidationError, 'only to projections into Loihi neurons');
  });

  it('a (pre, post) pair may appear only once', () => {
    const n = net2();
    n.connect('S', 'N', { rule: 'from_list', connections: [[0, 1], [1, 0], [0, 1]] }, { weight: 2, delay: 0.5 });
    expectError(() => check(n), ValidationError, 'more than once');
  });

  it('stimuli are refused (Lava’s LIF takes input only through connections); gap junctions too', () => {
    const stimuli: StimulusSpec[] = [
      { kind: 'dc', amplitude: 1 },
      { kind: 'spike_times', times: [1], weight: 1 },
      { kind: 'poisson', rate: 10, weight: 1 },
    ];
    for (const stim of stimuli) {
      const n = net2();
      n.stimulate('N', stim);
      expectError(() => check(n), UnsupportedError, 'only through projections');
    }
    const g = net2();
    g.connect('N', 'N', { rule: 'one_to_one' }, { transmission: 'gap', weight: 1 });
    expectError(() => check(g), UnsupportedError, 'membrane voltage');
  });

  it('engines other than clock are refused', async () => {
    const n = net2();
    n.setRun({ engine: 'event' });
    const { requireEngineSupport } = await import('../src/ir/validate.js');
    expectError(() => requireEngineSupport(validateNetwork(n.toIR()), 'event'), UnsupportedError, 'clock');
  });
});

// ================================================================== bit-exact reference

interface PopSpec {
  size: number;
  du: number;
  dv: number;
  vth: number;
  biasMant: number[];
  biasExp: number[];
  u0: number[];
  v0: number[];
}

interface ProjSpec {
  /** −1: the raster source. */
  pre: number;
  post: number;
  /** Sign mode, or undefined: inferred from the raw weights. */
  mode?: L.SignMode;
  nwb: number;
  wexp: number;
  /** Raw integer weights (before the §2.1 pipeline) and Lava delays d. */
  syn: { j: number; i: number; w: number; d: number }[];
}

interface NetSpec {
  T: number;
  dt: number;
  /** RingBuffer data: (sources × T_buf), 0/1; it loops when the run is longer. */
  raster: number[][];
  pops: PopSpec[];
  projs: ProjSpec[];
}

const I32 = (x: bigint) => BigInt.asIntN(32, x);
const POW23 = 2n ** 23n;
const POW24 = 2n ** 24n;

/** The §2.1 pipeline, written again independently (BigInt shifts floor). */
function referenceWeights(raw: number[], mode: L.SignMode | undefined, nwb: number): { mode: L.SignMode; w: bigint[] } {
  const min = Math.min(0, ...raw);
  const max = Math.max(0, ...raw);
  const m: L.SignMode = mode ?? (min >= 0 ? 'excitatory' : max <= 0 ? 'inhibitory' : 'mixed');
  const k = BigInt(8 - nwb + (m === 'mixed' ? 1 : 0));
  const w = raw.map((x) => {
    const c = m === 'excitatory' ? Math.min(255, Math.max(0, x)) : m === 'inhibitory' ? Math.max(-255, Math.min(0, x)) : Math.min(255, Math.max(-256, x));
    const mag = BigInt(m === 'inhibitory' ? -c : c);
    const kept = (mag >> k) << k;
    return m === 'inhibitory' ? -kept : kept;
  });
  return { mode: m, w };
}

/**
 * Lava's processes step by step (§1.3, §2.2–§2.4), in BigInt: at step t every
 * connection sends column 0 of its buffer, clears it and rolls left; each LIF sums what
 * it receives (int32) and updates; the RingBuffer sends column (t − 1) mod T_buf; every
 * connection then adds, for each delay d, the weight_exp-shifted int32 sum of the active
 * synapses with that delay into column d.
 */
function lavaReference(net: NetSpec) {
  const pops = net.pops.map((p) => ({
    u: p.u0.map(BigInt),
    v: p.v0.map(BigInt),
    bias: p.biasMant.map((m, i) => I32(BigInt.asIntN(16, BigInt(m)) << BigInt(p.biasExp[i]!))),
    vth: BigInt(p.vth) << 6n,
    decU: BigInt(4096 - (p.du + 1)),
    decV: BigInt(4096 - p.dv),
  }));
  const conns = net.projs.map((pr) => {
    const { w } = referenceWeights(
      pr.syn.map((s) => s.w),
      pr.mode,
      pr.nwb,
    );
    const maxD = Math.max(0, ...pr.syn.map((s) => s.d));
    const buf = Array.from({ length: net.pops[pr.post]!.size }, () => new Array<bigint>(maxD + 1).fill(0n));
    return { pr, w, buf };
  });
  const spikes: [number, number][][] = pops.map(() => []);
  const uAfter: bigint[][][] = pops.map(() => []);
  const vAfter: bigint[][][] = pops.map(() => []);
  const truncShift = (p: bigint) => (p < 0n ? -(-p >> 12n) : p >> 12n);
  for (let t = 1; t <= net.T; t++) {
    const a = net.pops.map((p) => new Array<bigint>(p.size).fill(0n));
    for (const c of conns) {
      c.buf.forEach((row, i) => {
        a[c.pr.post]![i] = I32(a[c.pr.post]![i]! + row[0]!);
        row.shift();
        row.push(0n);
      });
    }
    const fired = pops.map((P, p) =>
      P.u.map((_, i) => {
        let u = I32(truncShift(P.u[i]! * P.decU) + I32(a[p]![i]! << 6n));
        if (u > POW23) u -= POW24;
        else if (u <= -POW23) u += POW24;
        let v = I32(truncShift(P.v[i]! * P.decV) + u + P.bias[i]!);
        if (v > POW23 - 1n) v = POW23 - 1n;
        if (v < -(POW23 - 1n)) v = -(POW23 - 1n);
        const s = v > P.vth;
        if (s) {
          v = 0n;
          spikes[p]!.push([t, i]);
        }
        P.u[i] = u;
        P.v[i] = v;
        return s;
      }),
    );
    const source = net.raster.map((row) => row[(t - 1) % row.length] === 1);
    for (const c of conns) {
      const active = c.pr.pre < 0 ? source : fired[c.pr.pre]!;
      const acc = new Map<string, bigint>();
      c.pr.syn.forEach((s, k) => {
        if (!active[s.j]) return;
        const key = `${s.i}:${s.d}`;
        acc.set(key, I32((acc.get(key) ?? 0n) + c.w[k]!));
      });
      for (const [key, sum] of acc) {
        const [i, d] = key.split(':').map(Number) as [number, number];
        const shifted = c.pr.wexp >= 0 ? I32(sum << BigInt(c.pr.wexp)) : sum >> BigInt(-c.pr.wexp);
        c.buf[i]![d] = I32(c.buf[i]![d]! + shifted);
      }
    }
    pops.forEach((P, p) => {
      uAfter[p]!.push([...P.u]);
      vAfter[p]!.push([...P.v]);
    });
  }
  return { spikes, uAfter, vAfter };
}

/** The same network for nematode: weights through effectiveWeights(), delays (1 + d)·dt, the raster as spike times. */
function toNetwork(spec: NetSpec, threads = 1): NetworkIR {
  const { dt, T } = spec;
  const net = new Network({ dt, seed: 1, threads, duration: T * dt });
  const times = spec.raster.map((row) => {
    const ts: number[] = [];
    for (let t = 1; t <= T; t++) if (row[L.ringBufferColumn(t, row.length)] === 1) ts.push(t * dt);
    return ts;
  });
  net.spikeSource('S', spec.raster.length, { times });
  spec.pops.forEach((p, k) => {
    net.population(
      `P${k}`,
      p.size,
      'loihi_lif',
      { du: p.du, dv: p.dv, vth: p.vth, bias_mant: p.biasMant, bias_exp: p.biasExp },
      { u: p.u0, v: p.v0 },
    );
    net.record(`P${k}`, 'spikes');
    net.record(`P${k}`, ['u', 'v']);
  });
  spec.projs.forEach((pr, k) => {
    const preSize = pr.pre < 0 ? spec.raster.length : spec.pops[pr.pre]!.size;
    const eff = L.effectiveWeights(
      pr.syn.map((s) => s.w),
      { ...(pr.mode ? { signMode: pr.mode } : {}), numWeightBits: pr.nwb },
    );
    const order = pr.syn.map((_, s) => s).sort((x, y) => pr.syn[x]!.j - pr.syn[y]!.j);
    const rowPtr = new Uint32Array(preSize + 1);
    for (const s of pr.syn) rowPtr[s.j + 1]!++;
    for (let j = 0; j < preSize; j++) rowPtr[j + 1]! += rowPtr[j]!;
    const proj: ProjectionIR = {
      label: `proj${k}`,
      pre: pr.pre < 0 ? 'S' : `P${pr.pre}`,
      post: `P${pr.post}`,
      receptor: eff.signMode,
      rowPtr,
      targets: Uint32Array.from(order, (s) => pr.syn[s]!.i),
      weight: Float64Array.from(order, (s) => eff.weights[s]!),
      delay: Float64Array.from(order, (s) => L.engineDelaySteps(pr.syn[s]!.d) * dt),
      loihi: { weightExp: pr.wexp, numWeightBits: pr.nwb },
    };
    net.addProjection(proj);
  });
  return net.toIR();
}

function compare(spec: NetSpec, out: SimulationOutput): void {
  const ref = lavaReference(spec);
  spec.pops.forEach((p, k) => {
    const label = `P${k}`;
    const s = out.spikes.find((x) => x.population === label)!;
    const got = Array.from(s.indices, (i, n) => [Math.round(s.times[n]! / spec.dt), i]);
    expect(got, `${label} spikes`).toEqual(ref.spikes[k]);
    for (const [variable, after] of [
      ['u', ref.uAfter[k]!],
      ['v', ref.vAfter[k]!],
    ] as const) {
      const d = trace(out, variable, label);
      // Sample t (1 ≤ t < T) is the state after Lava step t.
      for (let t = 1; t < spec.T; t++) {
        for (let i = 0; i < p.size; i++) {
          if (d[t * p.size + i] !== Number(after[t - 1]![i]!)) {
            throw new Error(`${label}.${variable}[${i}] after step ${t}: engine ${d[t * p.size + i]}, reference ${after[t - 1]![i]}`);
          }
        }
      }
    }
  });
}

const int = (min: number, max: number) => fc.integer({ min, max });
/** Mostly small values, sometimes the register's whole range or its edges. */
const reg = (min: number, max: number, small: [number, number]) => fc.oneof({ arbitrary: int(...small), weight: 3 }, { arbitrary: int(min, max), weight: 1 }, { arbitrary: fc.constantFrom(min, max), weight: 1 });

const popArb = int(1, 5).chain((size) =>
  fc.record({
    size: fc.constant(size),
    du: reg(-1, 4095, [-1, 600]),
    dv: reg(0, 4095, [0, 600]),
    vth: reg(0, 131071, [0, 300]),
    biasMant: fc.array(reg(-4096, 4095, [-40, 200]), { minLength: size, maxLength: size }),
    biasExp: fc.array(int(0, 7), { minLength: size, maxLength: size }),
    u0: fc.array(reg(-(2 ** 23) + 1, 2 ** 23, [-5000, 5000]), { minLength: size, maxLength: size }),
    v0: fc.array(reg(-(2 ** 23) + 1, 2 ** 23 - 1, [-5000, 20000]), { minLength: size, maxLength: size }),
  }),
);

function projArb(nSrc: number, pops: PopSpec[]) {
  return fc
    .record({
      pre: int(-1, pops.length - 1),
      post: int(0, pops.length - 1),
      mode: fc.constantFrom<L.SignMode | undefined>('excitatory', 'inhibitory', 'mixed', undefined),
      nwb: fc.oneof({ arbitrary: fc.constant(8), weight: 2 }, { arbitrary: int(1, 8), weight: 1 }),
      wexp: fc.oneof({ arbitrary: int(-4, 2), weight: 4 }, { arbitrary: int(-8, 7), weight: 1 }),
      uniformDelay: fc.boolean(),
      raw: fc.array(fc.record({ j: int(0, 4), i: int(0, 4), w: reg(-300, 300, [-130, 255]), d: fc.oneof({ arbitrary: int(0, 4), weight: 4 }, { arbitrary: fc.constantFrom(0, 62), weight: 1 }) }), {
        maxLength: 16,
      }),
    })
    .map(({ pre, post, mode, nwb, wexp, uniformDelay, raw }): ProjSpec => {
      const preSize = pre < 0 ? nSrc : pops[pre]!.size;
      const seen = new Set<string>();
      const syn = raw
        .map((s) => ({ ...s, j: s.j % preSize, i: s.i % pops[post]!.size }))
        .filter((s) => !seen.has(`${s.j},${s.i}`) && seen.add(`${s.j},${s.i}`) !== undefined)
        .map((s, _, all) => (uniformDelay ? { ...s, d: all[0]!.d } : s));
      return { pre, post, mode, nwb, wexp, syn };
    });
}

const netArb = fc
  .record({
    T: int(10, 70),
    dt: fc.constantFrom(1, 0.1, 0.25),
    nSrc: int(1, 4),
    tBuf: int(1, 40),
    density: fc.double({ min: 0.05, max: 0.6, noNaN: true }),
    pops: fc.array(popArb, { minLength: 1, maxLength: 3 }),
  })
  .chain(({ T, dt, nSrc, tBuf, density, pops }) =>
    fc.record({
      T: fc.constant(T),
      dt: fc.constant(dt),
      raster: fc.array(
        fc.array(
          fc.double({ min: 0, max: 1, noNaN: true }).map((x) => (x < density ? 1 : 0)),
          { minLength: tBuf, maxLength: tBuf },
        ),
        { minLength: nSrc, maxLength: nSrc },
      ),
      pops: fc.constant(pops),
      projs: fc.array(projArb(nSrc, pops), { maxLength: 6 }),
    }),
  );

describe('loihi_lif networks on the clock engine equal a BigInt reference of Lava’s processes, bit for bit', () => {
  it('property: random networks (raster inputs, recurrent projections, sign modes, num_weight_bits, weight_exp, delays 0..62, biases, edge registers): identical spikes, u and v at every step', async () => {
    let spiking = 0;
    await fc.assert(
      fc.asyncProperty(netArb, async (spec) => {
        const { clockEngine } = await import('../src/engines/clock/index.js');
        const out = await clockEngine.run(toNetwork(spec));
        compare(spec, out);
        if (out.stats.spikes > 0) spiking++;
      }),
      { numRuns: 250 },
    );
    expect(spiking).toBeGreaterThan(50); // the property ran on networks that do spike
  });

  it('property: lifStep() and the weight functions agree with the BigInt formulas on arbitrary register values', () => {
    fc.assert(
      fc.property(
        int(-(2 ** 23) + 1, 2 ** 23),
        int(-(2 ** 23) + 1, 2 ** 23 - 1),
        int(-1, 4095),
        int(0, 4095),
        int(-(2 ** 26), 2 ** 26),
        int(-4096, 4095),
        int(0, 7),
        int(0, 131071),
        (u0, v0, du, dv, a, bm, be, vth) => {
          const s = L.lifStep({ u: u0, v: v0 }, { du, dv, biasEff: L.effectiveBias(bm, be), vthEff: L.effectiveThreshold(vth) }, a);
          const ts = (p: bigint) => (p < 0n ? -(-p >> 12n) : p >> 12n);
          let u = I32(ts(BigInt(u0) * BigInt(4095 - du)) + I32(BigInt(a) << 6n));
          if (u > POW23) u -= POW24;
          else if (u <= -POW23) u += POW24;
          let v = I32(ts(BigInt(v0) * BigInt(4096 - dv)) + u + (BigInt(bm) << BigInt(be)));
          v = v > POW23 - 1n ? POW23 - 1n : v < 1n - POW23 ? 1n - POW23 : v;
          const spike = v > BigInt(vth) << 6n;
          expect(s).toEqual({ u: Number(u), v: spike ? 0 : Number(v), spike });
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(int(-400, 400), { maxLength: 20 }), fc.constantFrom<L.SignMode | undefined>('excitatory', 'inhibitory', 'mixed', undefined), int(1, 8), (raw, mode, nwb) => {
        const eff = L.effectiveWeights(raw, { ...(mode ? { signMode: mode } : {}), numWeightBits: nwb });
        const ref = referenceWeights(raw, mode, nwb);
        expect(eff.signMode).toBe(ref.mode);
        expect(Array.from(eff.weights, (x) => BigInt(x))).toEqual(ref.w);
        // The pipeline is idempotent: effective weights pass validation's isEffectiveWeight.
        for (const w of eff.weights) expect(L.isEffectiveWeight(w, eff.signMode, nwb)).toBe(true);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(int(-(2 ** 31), 2 ** 31 - 1), int(-31, 31), (acc, e) => {
        const ref = e >= 0 ? I32(BigInt(acc) << BigInt(e)) : BigInt(acc) >> BigInt(-e);
        expect(L.shiftedInput(acc, e)).toBe(Number(ref));
      }),
      { numRuns: 1000 },
    );
  });

  it('the same with 2 and 3 worker threads (dist build: the compiled worker), bit for bit', async () => {
    const { clockEngine } = (await import('../dist/src/engines/clock/index.js')) as { clockEngine: { run: (ir: NetworkIR) => Promise<SimulationOutput> } };
    const specs = fc.sample(netArb, { numRuns: 12, seed: 5 }).filter((s) => s.pops.some((p) => p.size >= 3));
    expect(specs.length).toBeGreaterThan(2);
    for (const spec of specs) {
      for (const threads of [2, 3]) compare(spec, await clockEngine.run(toNetwork(spec, threads)));
    }
  });
});
