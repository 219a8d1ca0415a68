/**
 * Model semantics on the clock engine: IF_cond_exp integration methods, the
 * Izhikevich model against a hand-written forward-Euler loop, delta synapses, and
 * the refractory period of IF_curr_exp.
 *
 * Step semantics (src/engines/clock/codegen.ts): step n runs the model update over
 * [t_n, t_{n+1}], then adds the inputs arriving at t_{n+1}, then tests the threshold
 * (skipped while refractory) and resets; trace sample k is the state at t_k = k·dt
 * (before step k); a spike of step n is reported at t_{n+1}.
 */
import { describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { run, trace } from './helpers.js';


// ------------------------------------------------------------------ IF_cond_exp

const COND = { cm: 0.2, tau_m: 20, v_rest: -65, v_reset: -65, tau_refrac: 2, tau_syn_E: 5, tau_syn_I: 10, e_rev_E: 0, e_rev_I: -80 };

async function condRun(method: 'euler' | 'exp_euler', dt: number, vThresh: number, duration: number) {
  const net = new Network({ dt, seed: 1 });
  const pop = net.population('N', 1, 'IF_cond_exp', { ...COND, v_thresh: vThresh, i_offset: 0.18 }, { g_exc: 0.006, g_inh: 0.002 }, { method });
  net.record(pop, 'spikes');
  net.record(pop, ['v']);
  const out = await run(net, duration);
  return { times: out.spikes[0]!.times, v: trace(out, 'v') };
}

/**
 * Sub-step estimate of the first threshold crossing: the spike is seen at the end of
 * step n, so the crossing lies in (t_n, t_{n+1}]; extrapolate linearly from the
 * samples at t_{n−1}, t_n (O(dt²) error, common to both methods to leading order).
 */
function crossingTime(times: Float64Array, v: Float64Array, dt: number, vThresh: number): number {
  const n = Math.round(times[0]! / dt) - 1;
  expect(n).toBeGreaterThanOrEqual(1);
  return n * dt + ((vThresh - v[n]!) * dt) / (v[n]! - v[n - 1]!);
}

describe('IF_cond_exp: euler vs exp_euler', () => {
  const dts = [0.1, 0.05, 0.025, 0.0125];

  it('subthreshold trajectories converge to each other at first order: max |v_euler − v_exp_euler| halves with dt (ratio 2 ± 0.3)', async () => {
    const diffs: number[] = [];
    for (const dt of dts) {
      const a = await condRun('euler', dt, 1e6, 60);
      const b = await condRun('exp_euler', dt, 1e6, 60);
      const stride = Math.round(0.1 / dt);
      let m = 0;
      for (let k = 0; k < a.v.length; k += stride) m = Math.max(m, Math.abs(a.v[k]! - b.v[k]!));
      diffs.push(m);
    }
    expect(diffs[0]!).toBeGreaterThan(1e-3); // the methods really differ at dt = 0.1 ms
    for (let k = 1; k < diffs.length; k++) {
      const ratio = diffs[k - 1]! / diffs[k]!;
      expect(ratio).toBeGreaterThan(1.7);
      expect(ratio).toBeLessThan(2.3);
    }
  });

  it('first spike times converge at first order: the (sub-step) spike-time difference halves with dt (ratio within [1.5, 2.5]); grid spike times agree within 2 steps', async () => {
    const vThresh = -50;
    const diffs: number[] = [];
    for (const dt of dts) {
      const a = await condRun('euler', dt, vThresh, 40);
      const b = await condRun('exp_euler', dt, vThresh, 40);
      expect(a.times.length).toBeGreaterThan(0);
      expect(b.times.length).toBeGreaterThan(0);
      expect(Math.abs(a.times[0]! - b.times[0]!)).toBeLessThanOrEqual(2 * dt + 1e-9);
      diffs.push(Math.abs(crossingTime(a.times, a.v, dt, vThresh) - crossingTime(b.times, b.v, dt, vThresh)));
    }
    expect(diffs[0]!).toBeGreaterThan(1e-4);
    for (let k = 1; k < diffs.length; k++) {
      const ratio = diffs[k - 1]! / diffs[k]!;
      expect(ratio).toBeGreaterThan(1.5);
      expect(ratio).toBeLessThan(2.5);
    }
  });

  async function jumpRun(method: 'euler' | 'exp_euler', dt: number, receptor: 'excitatory' | 'inhibitory', w: number) {
    const net = new Network({ dt, seed: 1 });
    const src = net.spikeSource('S', 1, { times: [[1]] });
    const pop = net.population('N', 1, 'IF_cond_exp', { ...COND, v_thresh: -50 }, {}, { method });
    net.connect(src, pop, { rule: 'all_to_all' }, { receptor, weight: w, delay: 0.5 });
    net.record(pop, ['v', 'g_exc', 'g_inh']);
    const out = await run(net, 5);
    const k0 = Math.round(1.5 / dt); // arrival sample: spike time + delay
    return { v: trace(out, 'v'), g: trace(out, receptor === 'excitatory' ? 'g_exc' : 'g_inh'), k0 };
  }

  for (const [receptor, eRev, w] of [
    ['excitatory', COND.e_rev_E, 0.01],
    ['inhibitory', COND.e_rev_I, 0.02],
  ] as const) {
    it(`${receptor} conductance jump w at rest: initial dv/dt = w·(e_rev − v)/cm (euler exactly; exp_euler × (1 − e^{−B·dt})/(B·dt))`, async () => {
      const slope = (w * (eRev - COND.v_rest)) / COND.cm; // mV/ms
      for (const dt of [0.1, 0.01]) {
        const e = await jumpRun('euler', dt, receptor, w);
        expect(e.g[e.k0 - 1]).toBe(0);
        expect(e.g[e.k0]).toBe(w);
        expect(e.v[e.k0]).toBe(COND.v_rest);
        const se = (e.v[e.k0 + 1]! - e.v[e.k0]!) / dt;
        expect(Math.abs(se - slope)).toBeLessThanOrEqual(1e-9 * Math.abs(slope));
        // euler decays g linearly per step: g_k = w·(1 − dt/τ)^k
        const tau = receptor === 'excitatory' ? COND.tau_syn_E : COND.tau_syn_I;
        expect(Math.abs(e.g[e.k0 + 10]! - w * (1 - dt / tau) ** 10)).toBeLessThanOrEqual(1e-12 * w);

        const x = await jumpRun('exp_euler', dt, receptor, w);
        expect(x.v[x.k0]).toBe(COND.v_rest);
        const B = 1 / COND.tau_m + w / COND.cm;
        const sx = (x.v[x.k0 + 1]! - x.v[x.k0]!) / dt;
        expect(Math.abs(sx - (slope * -Math.expm1(-B * dt)) / (B * dt))).toBeLessThanOrEqual(1e-9 * Math.abs(slope));
        // …which is the continuous slope to within B·dt/2 (relative).
        expect(Math.abs(sx - slope)).toBeLessThanOrEqual(((B * dt) / 2) * Math.abs(slope));
        expect(Math.abs(x.g[x.k0 + 10]! - w * Math.exp((-10 * dt) / tau))).toBeLessThanOrEqual(1e-12 * w);
      }
    });
  }
});

// ------------------------------------------------------------------ Izhikevich

interface IzhParams {
  a: number;
  b: number;
  c: number;
  d: number;
  i_offset: number;
}

/**
 * Hand-written reference of the documented Izhikevich semantics: forward Euler from
 * the start-of-step values, I = 1000·(i_offset + I_stim), then delta inputs, then
 * the v ≥ 30 test and reset. `stim(n)` gives the I_stim change applied before step n
 * (as the engine accumulates DC/step stimuli), `input(n)` the delta input of step n.
 */
function izhReference(p: IzhParams, dt: number, steps: number, v0: number, u0: number, stim: (n: number) => number, input: (n: number) => number) {
  let v = v0;
  let u = u0;
  let I_stim = 0;
  const vs = new Float64Array(steps);
  const us = new Float64Array(steps);
  const spikes: number[] = [];
  for (let n = 0; n < steps; n++) {
    vs[n] = v;
    us[n] = u;
    const delta = stim(n);
    if (delta !== 0) I_stim += delta;
    const vOld = v;
    v += dt * (0.04 * vOld * vOld + 5 * vOld + 140 - u + 1000 * (p.i_offset + I_stim));
    u += dt * p.a * (p.b * vOld - u);
    v += input(n);
    if (v >= 30) {
      v = p.c;
      u += p.d;
      spikes.push((n + 1) * dt);
    }
  }
  return { vs, us, spikes };
}

const RS: IzhParams = { a: 0.02, b: 0.2, c: -65, d: 8, i_offset: 0.01 };

describe('Izhikevich', () => {
  it('regular spiking (a=0.02, b=0.2, c=−65, d=8), i_offset = 0.01 nA (I = 10): tonic firing, steady rate 10–40 Hz, ISIs constant after adaptation', async () => {
    const net = new Network({ dt: 0.1, seed: 1 });
    const pop = net.population('RS', 1, 'Izhikevich', { ...RS });
    net.record(pop, 'spikes');
    const out = await run(net, 2000);
    const t = out.spikes[0]!.times;
    expect(t.length).toBeGreaterThan(20);
    const isis = Array.from(t.slice(1), (x, k) => x - t[k]!);
    // Spike-frequency adaptation: the first ISI is the shortest…
    expect(isis[0]!).toBeLessThan(isis[isis.length - 1]!);
    // …then tonic: the last 10 ISIs agree within one step.
    const tail = isis.slice(-10);
    expect(Math.max(...tail) - Math.min(...tail)).toBeLessThanOrEqual(0.1 + 1e-9);
    const rate = 1000 / (tail.reduce((s, x) => s + x, 0) / tail.length);
    expect(rate).toBeGreaterThan(10);
    expect(rate).toBeLessThan(40);
  });

  for (const dt of [0.1, 0.25]) {
    it(`matches a hand-written forward-Euler loop exactly (dt = ${dt} ms; v, u traces and spike times bit-for-bit)`, async () => {
      const duration = 1000;
      const steps = Math.round(duration / dt);
      const net = new Network({ dt, seed: 1 });
      const pop = net.population('RS', 1, 'Izhikevich', { ...RS });
      net.record(pop, 'spikes');
      net.record(pop, ['v', 'u']);
      const out = await run(net, duration);
      const ref = izhReference(RS, dt, steps, -70, -14, () => 0, () => 0);
      expect(ref.spikes.length).toBeGreaterThan(10);
      expect(Array.from(out.spikes[0]!.times)).toEqual(ref.spikes);
      expect(trace(out, 'v')).toEqual(ref.vs);
      expect(trace(out, 'u')).toEqual(ref.us);
    });
  }

  it('matches the reference with a step-current stimulus and delta-synapse inputs (both signs), bit-for-bit', async () => {
    const dt = 0.1;
    const duration = 600;
    const steps = Math.round(duration / dt);
    const p: IzhParams = { ...RS, i_offset: 0 };
    const net = new Network({ dt, seed: 1 });
    const inTimes = [50, 120.3, 250, 250.05, 400];
    const src = net.spikeSource('S', 1, { times: [inTimes] });
    const pop = net.population('RS', 1, 'Izhikevich', { ...p });
    net.connect(src, pop, { rule: 'all_to_all' }, { weight: 6, delay: 1, label: 'exc' });
    net.connect(src, pop, { rule: 'all_to_all' }, { receptor: 'inhibitory', weight: -2.5, delay: 3, label: 'inh' });
    net.stimulate(pop, { kind: 'step', times: [100, 300], amplitudes: [0.012, 0.004] });
    net.record(pop, 'spikes');
    net.record(pop, ['v', 'u']);
    const out = await run(net, duration);
    // Emission steps of the source (spike at t lands on ceil(t/dt)·dt), arrival = emission step + delay steps.
    const emit = inTimes.map((t) => Math.max(0, Math.ceil(t / dt - 1e-9) - 1));
    const input = (n: number) => {
      let x = 0;
      for (const e of emit) {
        if (e + 10 === n) x += 6;
      }
      let y = 0;
      for (const e of emit) {
        if (e + 30 === n) y += -2.5;
      }
      return x + y;
    };
    const stim = (n: number) => (n === 1000 ? 0.012 : n === 3000 ? 0.004 - 0.012 : 0);
    const ref = izhReference(p, dt, steps, -70, -14, stim, input);
    expect(ref.spikes.length).toBeGreaterThan(3);
    expect(Array.from(out.spikes[0]!.times)).toEqual(ref.spikes);
    expect(trace(out, 'v')).toEqual(ref.vs);
    expect(trace(out, 'u')).toEqual(ref.us);
  });

  it('a delta synapse adds exactly w to v at the arrival step (excitatory +w, inhibitory −w)', async () => {
    const dt = 0.1;
    const p: IzhParams = { a: 0.02, b: 0.2, c: -65, d: 8, i_offset: 0 };
    const net = new Network({ dt, seed: 1 });
    // Neuron 0 gets the inputs, neuron 1 is the control (same dynamics, no input).
    const src = net.spikeSource('S', 2, { times: [[2], []] });
    const pop = net.population('N', 2, 'Izhikevich', { a: p.a, b: p.b, c: p.c, d: p.d });
    net.connect(src, pop, { rule: 'one_to_one' }, { weight: 4.5, delay: 1 });
    net.connect(src, pop, { rule: 'one_to_one' }, { receptor: 'inhibitory', weight: -3.25, delay: 2 });
    net.record(pop, ['v']);
    const out = await run(net, 6);
    const v = trace(out, 'v');
    const at = (k: number, i: number) => v[k * 2 + i]!;
    // Spike at 2 ms (emitted in step 19), delay 1 ms → added in step 29, visible at sample 30;
    // the inhibitory one (delay 2 ms) at sample 40.
    for (let k = 0; k < 30; k++) expect(at(k, 0)).toBe(at(k, 1));
    expect(Math.abs(at(30, 0) - at(30, 1) - 4.5)).toBeLessThanOrEqual(1e-12);
    const free = izhReference(p, dt, 60, -70, -14, () => 0, () => 0);
    const excOnly = izhReference(p, dt, 60, -70, -14, () => 0, (n) => (n === 29 ? 4.5 : 0));
    const both = izhReference(p, dt, 60, -70, -14, () => 0, (n) => (n === 29 ? 4.5 : n === 39 ? -3.25 : 0));
    expect(Math.abs(at(40, 0) - excOnly.vs[40]! - -3.25)).toBeLessThanOrEqual(1e-12);
    for (let k = 0; k < 60; k++) {
      expect(at(k, 0)).toBe(both.vs[k]);
      expect(at(k, 1)).toBe(free.vs[k]);
    }
  });
});

// ------------------------------------------------------------------ refractoriness

describe('IF_curr_exp refractory period', () => {
  for (const tauRef of [0, 0.1, 2, 2.04, 2.06, 5]) {
    it(`tau_refrac = ${tauRef} ms at dt = 0.1: v = v_reset at the spike sample and for exactly R = round(tau_refrac/dt) = ${Math.round(tauRef / 0.1)} further samples, then moves`, async () => {
      const dt = 0.1;
      const R = Math.round(tauRef / dt);
      const net = new Network({ dt, seed: 1 });
      // A strong input arriving inside the first refractory period must not shorten it.
      const src = net.spikeSource('S', 1, { times: [[1, 5, 9, 13, 17, 21]] });
      const pop = net.population('N', 1, 'IF_curr_exp', { tau_m: 10, cm: 0.25, v_rest: -65, v_reset: -70, v_thresh: -55, tau_refrac: tauRef, i_offset: 1.2 });
      net.connect(src, pop, { rule: 'all_to_all' }, { weight: 5, delay: 0.1 });
      net.record(pop, 'spikes');
      net.record(pop, ['v', 'isyn_exc']);
      const out = await run(net, 100);
      const v = trace(out, 'v');
      const isyn = trace(out, 'isyn_exc');
      const spikeSamples = Array.from(out.spikes[0]!.times, (t) => Math.round(t / dt));
      expect(spikeSamples.length).toBeGreaterThan(5);
      const isSpike = new Set(spikeSamples);
      let checked = 0;
      for (const s of spikeSamples) {
        if (s + R + 1 >= v.length) continue;
        for (let k = s; k <= s + R; k++) expect(v[k]).toBe(-70);
        // The first free step moves v (i_offset drives it up), unless it spiked again and was reset.
        if (isSpike.has(s + R + 1)) continue;
        expect(v[s + R + 1]!).toBeGreaterThan(-70);
        checked++;
      }
      expect(checked).toBeGreaterThan(5);
      // No spike inside a refractory period: consecutive spikes are ≥ R + 1 steps apart.
      for (let k = 1; k < spikeSamples.length; k++) expect(spikeSamples[k]! - spikeSamples[k - 1]!).toBeGreaterThanOrEqual(R + 1);
      // The synaptic current keeps decaying (and receiving inputs) while v is held.
      if (R >= 5) {
        const s = spikeSamples[0]!;
        expect(isyn[s + 1]!).not.toBe(isyn[s]!);
      }
    });
  }

  it('an input arriving during the refractory period is added to isyn but does not move v or trigger a spike', async () => {
    const dt = 0.1;
    const net = new Network({ dt, seed: 1 });
    // First input makes the neuron spike at once; the second arrives 1 ms later, inside tau_refrac = 5 ms.
    const src = net.spikeSource('S', 1, { times: [[1, 2]] });
    const pop = net.population('N', 1, 'IF_curr_exp', { tau_m: 10, cm: 0.25, v_rest: -65, v_reset: -70, v_thresh: -55, tau_refrac: 5, tau_syn_E: 2 });
    net.connect(src, pop, { rule: 'all_to_all' }, { weight: 100, delay: 0.1 });
    net.record(pop, 'spikes');
    net.record(pop, ['v', 'isyn_exc']);
    const out = await run(net, 20);
    const v = trace(out, 'v');
    const isyn = trace(out, 'isyn_exc');
    const t = out.spikes[0]!.times;
    // Input 1 arrives at 1.1 ms (sample 11); v crosses during the next step → spike at 1.2 ms.
    expect(t[0]).toBeCloseTo(1.2, 9);
    // Input 2 arrives at 2.1 ms (sample 21) inside [1.2, 6.2]: isyn jumps by 100, v stays at v_reset.
    const P11 = Math.exp(-dt / 2);
    expect(Math.abs(isyn[21]! - (isyn[20]! * P11 + 100))).toBeLessThanOrEqual(1e-9);
    for (let k = 12; k <= 62; k++) expect(v[k]).toBe(-70);
    // No second spike before the refractory period ends at 6.2 ms.
    expect(t.length).toBeGreaterThanOrEqual(1);
    if (t.length > 1) expect(t[1]!).toBeGreaterThan(6.2 + 1e-9);
  });
});
