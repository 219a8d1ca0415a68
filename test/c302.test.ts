/**
 * c302 levels A and B (src/models/c302.ts: c302_iaf, c302_iaf_activity) on the clock
 * engine, against analytic solutions and against c302's own regression values.
 *
 * Step semantics (src/engines/clock/codegen.ts): step n integrates [t_n, t_{n+1}],
 * then adds the inputs arriving at t_{n+1}, then tests `v > v_thresh` and resets; a
 * spike of step n is reported at t_{n+1}; trace sample k is the state at t_k = k·dt.
 * With DC current and no synaptic input the exponential-Euler V update is exact, so a
 * threshold crossing at analytic time T after a (re)start is seen after ceil(T/dt)
 * steps: every grid time lies in [T, T + dt).
 *
 * The OMV regression (last block) rebuilds c302's pharyngeal test network
 * (examples/.test.pharA.jnml.omt, .test.pharB.jnml.omt, openworm/c302) with addWorm
 * and detects spikes as OMV does: the time t[i] of the last sample below −31 mV before
 * a sample at or above it (osb-model-validation omv/analyzers/utils/timeseries.py).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import type { SimulationOutput } from '../src/engines/types.js';
import { run, trace } from './helpers.js';
import { getModel } from '../src/models/index.js';
import { expTwoNormalisation, expTwoPeakTime } from '../src/models/c302.js';
import { parseRecords } from '../src/connectome/csv.js';
import { addWorm } from '../src/worm/build.js';

const MODELS = ['c302_iaf', 'c302_iaf_activity'] as const;
/** c302 level A/B cell: C 3 pF, g_L 0.1 nS, E_L −50 mV, V_th −30 mV, V_reset −50 mV (internal units nF, µS, mV). */
const LEVEL_A = { cm: 0.003, g_leak: 1e-4, e_leak: -50, v_thresh: -30, v_reset: -50 };


/** Step counts at which a crossing at analytic time x (ms) may be seen: ceil(x/dt), or either neighbour when x/dt is within 1e-6 of a whole number. */
function crossingSteps(x: number, dt: number): number[] {
  const s = x / dt;
  const r = Math.round(s);
  if (Math.abs(s - r) < 1e-6) return [r, r + 1];
  return [Math.ceil(s)];
}

// ------------------------------------------------------------------ declarations

describe('c302 model declarations', () => {
  it('are registered under their names and the level aliases, with the reference doc §1.3 defaults', () => {
    expect(getModel('c302_A').name).toBe('c302_iaf');
    expect(getModel('c302_B').name).toBe('c302_iaf_activity');
    for (const name of MODELS) {
      const m = getModel(name);
      if (m.kind !== 'neuron') throw new Error('not a neuron model');
      const d = Object.fromEntries(Object.entries(m.params).map(([k, p]) => [k, p.default]));
      expect(d).toMatchObject({ ...LEVEL_A, tau_refrac: 0, e_exc: 0, e_inh: -80, tau_rise_exc: 3, tau_decay_exc: 10, tau_rise_inh: 3, tau_decay_inh: 10 });
      expect(m.voltage).toBe('v');
      expect(m.state.v!.initial).toEqual({ param: 'e_leak' });
      expect(m.references.join(' ')).toMatch(/Gleeson.*2018.*373:20170379/);
    }
    const b = getModel('c302_iaf_activity');
    expect(b.params.tau1!.default).toBe(50);
  });

  it('expTwoSynapse normalisation: tp = τrτd/(τd−τr)·ln(τd/τr) is where the double exponential peaks, and f makes that peak 1', () => {
    for (const [tr, td] of [
      [3, 10],
      [1, 5],
      [2, 40],
      [0.5, 0.6],
    ] as const) {
      const tp = expTwoPeakTime(tr, td);
      const f = expTwoNormalisation(tr, td);
      const shape = (t: number) => f * (Math.exp(-t / td) - Math.exp(-t / tr));
      expect(Math.abs(shape(tp) - 1)).toBeLessThan(1e-14);
      // Stationary: the derivative e^{−t/τr}/τr − e^{−t/τd}/τd vanishes at tp.
      expect(Math.abs(Math.exp(-tp / tr) / tr - Math.exp(-tp / td) / td)).toBeLessThan(1e-15);
      for (const e of [1e-3, 1e-2, 0.3]) {
        expect(shape(tp - e)).toBeLessThan(1);
        expect(shape(tp + e)).toBeLessThan(1);
      }
    }
  });
});

describe('c302 constraints and the optional refractory period', () => {
  it('rejects v_reset ≥ v_thresh and τ_rise ≥ τ_decay (the expTwo normalisation needs τ_rise < τ_decay)', () => {
    for (const model of MODELS) {
      const net = new Network({ dt: 0.1 });
      expect(() => net.population('a', 1, model, { v_reset: -30 })).toThrow(/v_reset must be below v_thresh/);
      expect(() => net.population('b', 1, model, { tau_rise_exc: 10 })).toThrow(/tau_rise_exc must be below tau_decay_exc/);
      expect(() => net.population('c', 1, model, { tau_rise_inh: 12, tau_decay_inh: 11 })).toThrow(/tau_rise_inh must be below tau_decay_inh/);
    }
  });

  it('tau_refrac > 0 (not c302, optional): V is held at v_reset for round(tau_refrac/dt) steps, so every ISI is (R + ceil(T/dt))·dt', async () => {
    for (const model of MODELS) {
      const dt = 0.1;
      const net = new Network({ dt, seed: 1 });
      const pop = net.population('N', 1, model, { tau_refrac: 2, i_offset: 0.004 });
      net.record(pop, 'spikes');
      net.record(pop, ['v']);
      const out = await run(net, 300);
      const times = out.spikes[0]!.times;
      const T = 30 * Math.log(40 / 20); // V∞ = −10 mV: ln((V∞ − V_reset)/(V∞ − V_th))
      expect(times.length).toBeGreaterThan(5);
      for (let s = 1; s < times.length; s++) expect(crossingSteps(T, dt).map((k) => 20 + k)).toContain(Math.round((times[s]! - times[s - 1]!) / dt));
      const v = trace(out, 'v');
      const k = Math.round(times[1]! / dt);
      for (let j = 0; j <= 20; j++) expect(v[k + j]).toBe(-50);
      expect(v[k + 21]!).toBeGreaterThan(-50);
    }
  });
});

// ------------------------------------------------------------------ 1. DC current

interface DcCase {
  params: Record<string, number>;
  I: number; // nA
  viaDc: boolean;
  start: number; // ms, DC onset (0 for i_offset)
  dt: number;
}

describe('IaF under constant current: first spike and ISI equal the analytic IaF times within one dt (no refractory period)', () => {
  const cases: DcCase[] = [
    // The OMV pulse amplitude on the level A cell: V∞ = −50 + 2.2 pA/0.1 nS = −28 mV.
    { params: {}, I: 0.0022, viaDc: true, start: 0, dt: 0.01 },
    { params: {}, I: 0.0022, viaDc: true, start: 50, dt: 0.01 },
    { params: {}, I: 0.005, viaDc: false, start: 0, dt: 0.1 },
    // Reset above rest, so the first interval (from E_L) differs from the ISI (from V_reset).
    { params: { cm: 0.005, g_leak: 2e-4, e_leak: -60, v_reset: -45, v_thresh: -35 }, I: 0.0061, viaDc: true, start: 0, dt: 0.01 },
    { params: { cm: 0.005, g_leak: 2e-4, e_leak: -60, v_reset: -45, v_thresh: -35 }, I: 0.0061, viaDc: false, start: 0, dt: 0.05 },
  ];
  for (const model of MODELS) {
    cases.forEach((c, n) => {
      it(`${model} case ${n}: I = ${c.I * 1000} pA, dt = ${c.dt} ms`, async () => {
        const p = { ...LEVEL_A, ...c.params };
        const tau = p.cm / p.g_leak;
        const vInf = p.e_leak + c.I / p.g_leak;
        expect(vInf).toBeGreaterThan(p.v_thresh);
        const tFirst = tau * Math.log((vInf - p.e_leak) / (vInf - p.v_thresh));
        const tIsi = tau * Math.log((vInf - p.v_reset) / (vInf - p.v_thresh));
        const net = new Network({ dt: c.dt, seed: 1 });
        const pop = net.population('N', 1, model, { ...c.params, ...(c.viaDc ? {} : { i_offset: c.I }) });
        if (c.viaDc) net.stimulate(pop, { kind: 'dc', amplitude: c.I, start: c.start });
        net.record(pop, 'spikes');
        net.record(pop, ['v']);
        const duration = c.start + tFirst + 6 * tIsi + 1;
        const out = await run(net, duration);
        const times = out.spikes[0]!.times;
        expect(times.length).toBeGreaterThanOrEqual(6);
        const startStep = Math.round(c.start / c.dt);
        expect(crossingSteps(tFirst, c.dt).map((k) => startStep + k)).toContain(Math.round(times[0]! / c.dt));
        expect(times[0]! - c.start).toBeGreaterThanOrEqual(tFirst - 1e-9);
        expect(times[0]! - c.start).toBeLessThanOrEqual(tFirst + c.dt + 1e-9);
        for (let s = 1; s < times.length; s++) {
          const isi = times[s]! - times[s - 1]!;
          expect(crossingSteps(tIsi, c.dt)).toContain(Math.round(isi / c.dt));
          expect(isi).toBeGreaterThanOrEqual(tIsi - 1e-9);
          expect(isi).toBeLessThanOrEqual(tIsi + c.dt + 1e-9);
        }
        // Below threshold, before the first spike, V is the exact exponential relaxation.
        const v = trace(out, 'v');
        const kFirst = Math.round(times[0]! / c.dt);
        for (let k = 0; k < kFirst; k++) {
          const s = Math.max(0, (k - startStep) * c.dt);
          const exact = vInf + (p.e_leak - vInf) * Math.exp(-s / tau);
          expect(Math.abs(v[k]! - exact)).toBeLessThan(1e-9);
        }
        // The sample after each spike is the reset value (no refractory hold, no clamp).
        expect(v[kFirst]).toBe(p.v_reset);
      });
    });
  }

  it('the 2.2 pA OMV pulse from 50 to 250 ms gives two spikes, at 50 + T and 50 + 2T (T = 30·ln 11 ms), and none after the pulse', async () => {
    const T = 30 * Math.log(11);
    const net = new Network({ dt: 0.01, seed: 1 });
    const pop = net.population('N', 1, 'c302_A');
    net.stimulate(pop, { kind: 'dc', amplitude: '2.2 pA', start: '50 ms', stop: '250 ms' });
    net.record(pop, 'spikes');
    const out = await run(net, 500);
    const times = Array.from(out.spikes[0]!.times);
    expect(times).toHaveLength(2);
    expect(times[0]! - (50 + T)).toBeGreaterThanOrEqual(-1e-9);
    expect(times[0]! - (50 + T)).toBeLessThan(0.01 + 1e-9);
    expect(times[1]! - (50 + 2 * T)).toBeGreaterThanOrEqual(-1e-9);
    expect(times[1]! - (50 + 2 * T)).toBeLessThan(0.02 + 1e-9);
  });
});

// ------------------------------------------------------------------ 2. expTwoSynapse

interface SynCase {
  receptor: 'excitatory' | 'inhibitory';
  tauRise: number;
  tauDecay: number;
  /** Weights and spike times (whole steps) of the presynaptic train. */
  spikes: { step: number; w: number }[];
  delaySteps: number;
  dt: number;
}

/** NeuroML's expTwoSynapse, written independently: A and B jump by w·f, g = B − A = Σ w f (e^{−s/τd} − e^{−s/τr}). */
function neuroMlConductance(c: SynCase, t: number): number {
  const tp = ((c.tauRise * c.tauDecay) / (c.tauDecay - c.tauRise)) * Math.log(c.tauDecay / c.tauRise);
  const f = 1 / (Math.exp(-tp / c.tauDecay) - Math.exp(-tp / c.tauRise));
  let A = 0;
  let B = 0;
  for (const s of c.spikes) {
    const age = t - (s.step + c.delaySteps) * c.dt;
    if (age < -1e-9) continue;
    A += s.w * f * Math.exp(-Math.max(age, 0) / c.tauRise);
    B += s.w * f * Math.exp(-Math.max(age, 0) / c.tauDecay);
  }
  return B - A;
}

describe('expTwoSynapse as (x, g): equals NeuroML’s normalised double exponential at every grid point', () => {
  const cases: SynCase[] = [];
  for (const receptor of ['excitatory', 'inhibitory'] as const) {
    cases.push(
      { receptor, tauRise: 3, tauDecay: 10, spikes: [{ step: 50, w: 1.3e-4 }], delaySteps: 10, dt: 0.1 },
      { receptor, tauRise: 1, tauDecay: 5, spikes: [{ step: 7, w: 1e-3 }], delaySteps: 1, dt: 0.1 },
      { receptor, tauRise: 2, tauDecay: 40, spikes: [{ step: 3, w: 2e-5 }], delaySteps: 25, dt: 0.05 },
      // A train: the second and third spikes arrive while the first response is rising / decaying.
      { receptor, tauRise: 3, tauDecay: 10, spikes: [{ step: 10, w: 1e-4 }, { step: 30, w: 3e-4 }, { step: 150, w: 5e-5 }], delaySteps: 4, dt: 0.1 },
    );
  }
  for (const model of MODELS) {
    cases.forEach((c, n) => {
      it(`${model}, ${c.receptor}, τr ${c.tauRise} / τd ${c.tauDecay} ms, ${c.spikes.length} spike(s): |g − g_NeuroML| ≤ 1e-12 · Σw; the other receptor stays 0; V moves towards E`, async () => {
        const net = new Network({ dt: c.dt, seed: 2 });
        const r = c.receptor === 'excitatory' ? 'exc' : 'inh';
        const other = r === 'exc' ? 'inh' : 'exc';
        const src = net.spikeSource('S', c.spikes.length, { times: c.spikes.map((s) => [s.step * c.dt]) });
        const post = net.population('N', 1, model, { [`tau_rise_${r}`]: c.tauRise, [`tau_decay_${r}`]: c.tauDecay, v_thresh: 1e6 });
        net.connect(src, post, { rule: 'from_list', connections: c.spikes.map((s, i): [number, number, number] => [i, 0, s.w]) }, { receptor: c.receptor, weight: 0, delay: c.delaySteps * c.dt });
        net.record(post, ['v', `g_${r}`, `x_${r}`, `g_${other}`, `x_${other}`]);
        const tEnd = (c.spikes[c.spikes.length - 1]!.step + c.delaySteps) * c.dt + 8 * c.tauDecay;
        const out = await run(net, tEnd);
        const g = trace(out, `g_${r}`);
        const x = trace(out, `x_${r}`);
        const wSum = c.spikes.reduce((s, e) => s + e.w, 0);
        const k0 = c.spikes[0]!.step + c.delaySteps;
        let maxErr = 0;
        for (let k = 0; k < g.length; k++) {
          const t = k * c.dt;
          const exact = neuroMlConductance(c, t);
          maxErr = Math.max(maxErr, Math.abs(g[k]! - exact));
          if (k < k0) {
            expect(g[k]).toBe(0);
            expect(x[k]).toBe(0);
          }
        }
        expect(maxErr).toBeLessThanOrEqual(1e-12 * wSum);
        // The rise trace is Σ w e^{−s/τr} (NeuroML's A divided by f).
        for (let k = k0; k < x.length; k += 7) {
          let xs = 0;
          for (const s of c.spikes) {
            const age = (k - s.step - c.delaySteps) * c.dt;
            if (age >= -1e-9) xs += s.w * Math.exp(-Math.max(age, 0) / c.tauRise);
          }
          expect(Math.abs(x[k]! - xs)).toBeLessThanOrEqual(1e-12 * wSum);
        }
        expect(trace(out, `g_${other}`).every((y) => y === 0)).toBe(true);
        expect(trace(out, `x_${other}`).every((y) => y === 0)).toBe(true);
        const v = trace(out, 'v');
        const vExtreme = r === 'exc' ? Math.max(...v) : Math.min(...v);
        if (r === 'exc') expect(vExtreme).toBeGreaterThan(-50 + 1e-6);
        else expect(vExtreme).toBeLessThan(-50 - 1e-6);
      });
    });

    for (const receptor of ['excitatory', 'inhibitory'] as const) {
      it(`${model}, ${receptor}, dt = 0.01 ms: one spike of weight w peaks at w, at s = tp = τrτd/(τd−τr)·ln(τd/τr) (grid peak within dt of tp, within ½|g''|dt² below w)`, async () => {
        const c: SynCase = { receptor, tauRise: 3, tauDecay: 10, spikes: [{ step: 200, w: 7e-5 }], delaySteps: 100, dt: 0.01 };
        const net = new Network({ dt: c.dt, seed: 3 });
        const r = receptor === 'excitatory' ? 'exc' : 'inh';
        const src = net.spikeSource('S', 1, { times: [[c.spikes[0]!.step * c.dt]] });
        const post = net.population('N', 1, model, { v_thresh: 1e6 });
        net.connect(src, post, { rule: 'all_to_all' }, { receptor, weight: '0.07 nS', delay: c.delaySteps * c.dt });
        net.record(post, [`g_${r}`]);
        const out = await run(net, 40);
        const g = trace(out, `g_${r}`);
        const w = 7e-5;
        const tp = (30 / 7) * Math.log(10 / 3);
        let kStar = 0;
        for (let k = 1; k < g.length; k++) if (g[k]! > g[kStar]!) kStar = k;
        const k0 = c.spikes[0]!.step + c.delaySteps;
        expect(Math.abs((kStar - k0) * c.dt - tp)).toBeLessThanOrEqual(c.dt);
        const f = 1 / (Math.exp(-tp / 10) - Math.exp(-tp / 3));
        const g2 = Math.abs(w * f * (Math.exp(-tp / 10) / 100 - Math.exp(-tp / 3) / 9));
        expect(g[kStar]!).toBeLessThanOrEqual(w * (1 + 1e-12));
        expect(g[kStar]!).toBeGreaterThanOrEqual(w - 0.5 * g2 * c.dt ** 2 * 1.01);
      });
    }
  }
});

// ------------------------------------------------------------------ 3. gap junctions

/** Steady state of two leaky cells coupled by g, current I into cell `into` (Cramer's rule on the 2×2 system). */
function coupledSteadyState(gL: number, eL: number, g: number, I: number, into: 0 | 1): [number, number] {
  const a = gL + g;
  const b0 = gL * eL + (into === 0 ? I : 0);
  const b1 = gL * eL + (into === 1 ? I : 0);
  const det = a * a - g * g;
  return [(a * b0 + g * b1) / det, (g * b0 + a * b1) / det];
}

async function gapPair(model: string, g: number | string, I: number, into: 0 | 1, dt: number, duration: number) {
  const net = new Network({ dt, seed: 4 });
  const pop = net.population('P', 2, model);
  net.connect(pop, pop, { rule: 'from_list', connections: [[0, 1]] }, { transmission: 'gap', weight: g });
  net.stimulate(pop, { kind: 'dc', amplitude: I, indices: [into] });
  net.record(pop, 'spikes');
  net.record(pop, model === 'c302_iaf_activity' ? ['v', 'act'] : ['v']);
  const out = await run(net, duration);
  return out;
}

describe('gap junctions on c302 cells (linear conductance, transmission "gap")', () => {
  for (const model of MODELS) {
    for (const [gLabel, g] of [
      ['0.01 nS (c302 level B, one junction)', 1e-5],
      ['0.05 nS', 5e-5],
      ['1 nS (stiff: 10 g_L)', 1e-3],
    ] as const) {
      it(`${model}, g = ${gLabel}: sub-threshold steady state equals the 2×2 linear solution (1e-9 mV) and is mirrored when the other cell is driven`, async () => {
        const I = 0.0015; // 1.5 pA: V0 ≤ −35 mV, below threshold for every g here
        const dt = 0.1;
        const [e0, e1] = coupledSteadyState(1e-4, -50, g, I, 0);
        expect(e0).toBeLessThan(-30);
        expect(e1).toBeGreaterThan(-50); // coupling carries current to the undriven cell
        const a = await gapPair(model, g, I, 0, dt, 1500);
        const b = await gapPair(model, g, I, 1, dt, 1500);
        expect(a.stats.spikeCounts.P).toBe(0);
        expect(b.stats.spikeCounts.P).toBe(0);
        const va = trace(a, 'v');
        const vb = trace(b, 'v');
        const n = va.length / 2;
        // Traces are sample-major: [v0(t0), v1(t0), v0(t1), …].
        const last = (v: Float64Array, i: number) => v[2 * (n - 1) + i]!;
        expect(Math.abs(last(va, 0) - e0)).toBeLessThan(1e-9);
        expect(Math.abs(last(va, 1) - e1)).toBeLessThan(1e-9);
        // Symmetric coupling: the whole trajectory is mirrored, not only the end point.
        for (let k = 0; k < n; k++) {
          expect(Math.abs(va[2 * k]! - vb[2 * k + 1]!)).toBeLessThan(1e-12);
          expect(Math.abs(va[2 * k + 1]! - vb[2 * k]!)).toBeLessThan(1e-12);
        }
        if (model === 'c302_iaf_activity') {
          const act = trace(a, 'act');
          expect(Math.abs(act[2 * (n - 1)]! - (e0 + 50) / 20)).toBeLessThan(1e-9);
          expect(Math.abs(act[2 * (n - 1) + 1]! - (e1 + 50) / 20)).toBeLessThan(1e-9);
        }
      });
    }
  }

  it('a spiking cell drives its neighbour through the junction: V1 rises above rest and drops at each reset of cell 0; a zero-conductance junction transmits nothing', async () => {
    const dt = 0.01;
    const coupled = await gapPair('c302_B', '0.5 nS', 0.02, 0, dt, 400);
    const zero = await gapPair('c302_B', 0, 0.02, 0, dt, 400);
    const cell0 = (o: SimulationOutput) => Array.from(o.spikes[0]!.times).filter((_, k) => o.spikes[0]!.indices[k] === 0);
    const spikes = cell0(coupled);
    expect(spikes.length).toBeGreaterThan(5);
    expect(cell0(zero).length).toBeGreaterThan(5);
    const v = trace(coupled, 'v');
    const v1 = (k: number) => v[2 * k + 1]!;
    for (const t of spikes.slice(1)) {
      const k = Math.round(t / dt); // sample k holds cell 0 at its reset value
      expect(v[2 * k]).toBe(-50);
      expect(v1(k + 1)).toBeLessThan(v1(k));
      expect(v1(k)).toBeGreaterThan(-50);
    }
    // Without conductance cell 1 never leaves rest.
    expect(trace(zero, 'v').filter((_, k) => k % 2 === 1).every((x) => x === -50)).toBe(true);
  });
});

// ------------------------------------------------------------------ 4. activity

describe('c302 level B activity: τ₁ d(act)/dt = (V − V_reset)/(V_thresh − V_reset) − act, act ≥ 0', () => {
  const cases = [
    { vHold: -40, act0: 0, label: 'V = −40 mV: act → 0.5' },
    { vHold: -31, act0: 0, label: 'V = −31 mV: act → 0.95' },
    { vHold: -45, act0: 0.9, label: 'from act = 0.9 down to 0.25' },
    { vHold: -55, act0: 0, label: 'V below V_reset: target −0.25, act stays clamped at 0' },
    { vHold: -60, act0: 0.8, label: 'from act = 0.8 with target −0.5: decays, then clamped at 0 where it would cross' },
  ];
  for (const c of cases) {
    it(`${c.label} (held V: initial V = V∞ of a constant current; trajectory to 1e-12, steady state after 40 τ₁)`, async () => {
      const dt = 0.1;
      const I = (c.vHold + 50) * 1e-4; // nA: V∞ = E_L + I/g_L = vHold
      const net = new Network({ dt, seed: 5 });
      const pop = net.population('N', 1, 'c302_B', { i_offset: I }, { v: c.vHold, act: c.act0 });
      net.record(pop, ['v', 'act']);
      const out = await run(net, 2000);
      const v = trace(out, 'v');
      const act = trace(out, 'act');
      const a = (c.vHold + 50) / 20;
      for (let k = 0; k < v.length; k++) {
        expect(Math.abs(v[k]! - c.vHold)).toBeLessThan(1e-10);
        const exact = Math.max(0, a + (c.act0 - a) * Math.exp((-k * dt) / 50));
        expect(Math.abs(act[k]! - exact)).toBeLessThan(1e-12);
        expect(act[k]!).toBeGreaterThanOrEqual(0);
      }
      expect(Math.abs(act[act.length - 1]! - Math.max(0, a))).toBeLessThan(1e-12);
    });
  }

  it('while spiking, act stays within [0, 1] and its mean over the last period equals the mean normalised V (the low-pass keeps the average)', async () => {
    const dt = 0.01;
    const net = new Network({ dt, seed: 6 });
    const pop = net.population('N', 1, 'c302_B');
    net.stimulate(pop, { kind: 'dc', amplitude: '3 pA' });
    net.record(pop, ['v', 'act']);
    net.record(pop, 'spikes');
    const out = await run(net, 2000);
    const times = out.spikes[0]!.times;
    expect(times.length).toBeGreaterThan(10);
    const v = trace(out, 'v');
    const act = trace(out, 'act');
    for (const y of act) {
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(1);
    }
    // Over one period of the periodic regime, τ₁·Δact = ∫(target − act) dt and Δact ≈ 0.
    const k1 = Math.round(times[times.length - 2]! / dt);
    const k2 = Math.round(times[times.length - 1]! / dt);
    let mTarget = 0;
    let mAct = 0;
    for (let k = k1; k < k2; k++) {
      mTarget += (v[k]! + 50) / 20;
      mAct += act[k]!;
    }
    mTarget /= k2 - k1;
    mAct /= k2 - k1;
    expect(Math.abs(act[k2]! - act[k1]!)).toBeLessThan(1e-3);
    expect(Math.abs(mAct - mTarget)).toBeLessThan(2e-3);
  });
});

// ------------------------------------------------------------------ 5. OMV regression

const DATA = path.resolve('..', 'shared', 'connectomes');
const STIMULATED = ['M1', 'M3R', 'M4', 'M5', 'I1L', 'I4', 'I5', 'I6', 'MCL', 'MCR'];

/** OMV's threshold detector: times t[i] with v[i] < θ ≤ v[i+1]. */
function omvSpikes(v: Float64Array, dt: number, threshold: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < v.length; i++) if (v[i]! < threshold && v[i + 1]! >= threshold) out.push(i * dt);
  return out;
}

/** numpy.allclose(observed, expected, rtol), OMV's comparison (atol 1e-8). */
function omvClose(observed: number[], expected: number[], rtol: number): boolean {
  return observed.length === expected.length && observed.every((x, i) => Math.abs(x - expected[i]!) <= 1e-8 + rtol * Math.abs(expected[i]!));
}

async function pharyngeal(level: 'A' | 'B') {
  const dt = 0.01;
  const net = new Network({ dt, seed: 1 });
  const w = addWorm(net, {
    dataset: 'openworm',
    dataDir: DATA,
    neurons: ['pharyngeal'],
    model: level === 'A' ? 'c302_A' : 'c302_B',
    signs: { base: 'spreadsheet' },
    // Level A has no real gap junctions (c302 uses an ExpTwo "GJ" with g = 0).
    synapse: { excitatory: '0.01 nS', inhibitory: '0.01 nS', gap: level === 'A' ? 0 : '0.01 nS' },
  });
  return { net, w, dt };
}

describe('c302 OMV regression: pharyngeal network, 2.2 pA from 50 to 250 ms into 10 cells, I5 spike times at −31 mV', () => {
  it('the network is c302’s: 20 pharyngeal neurons, all chemical edges excitatory (no "GABA" label), I5’s inputs as in c302_A_Pharyngeal.net.nml', async () => {
    const { w } = await pharyngeal('A');
    expect(w.neurons.map((n) => n.name)).toEqual(['I1L', 'I1R', 'I2L', 'I2R', 'I3', 'I4', 'I5', 'I6', 'M1', 'M2L', 'M2R', 'M3L', 'M3R', 'M4', 'M5', 'MCL', 'MCR', 'MI', 'NSML', 'NSMR']);
    expect(w.signs.every((s) => s.sign === 'excitatory')).toBe(true);
    const intoI5 = w.connectome.chemical.filter((e) => e.post === 'I5' && w.neurons.some((n) => n.name === e.pre)).map((e) => `${e.pre}:${e.count}`);
    expect(intoI5.sort()).toEqual(['I4:2', 'M3L:3', 'M3R:3', 'M4:13', 'M5:3', 'NSML:2', 'NSMR:2']);
  });

  it('level A (c302_iaf, no gap junctions): the 8 expected I5 spikes, each within OMV’s tolerance (rtol 7.23e-4) and within 0.1 ms', async () => {
    const expected = [109.79, 129.21, 138.14, 159.34, 193.57, 203.09, 215.35, 240.39];
    const { net, w, dt } = await pharyngeal('A');
    net.stimulate(w.population, { kind: 'dc', amplitude: '2.2 pA', start: '50 ms', stop: '250 ms', names: STIMULATED });
    net.record(w.population, ['v'], { names: ['I5'] });
    net.record(w.population, 'spikes');
    const out = await run(net, 500);
    const v = trace(out, 'v');
    const observed = omvSpikes(v, dt, -31);
    expect(observed).toHaveLength(expected.length);
    expect(omvClose(observed, expected, 0.0007232525701297452)).toBe(true);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(observed[i]! - expected[i]!)).toBeLessThan(0.1);
    // Every −31 mV crossing is followed by a reset (an IaF spike event) before the next crossing.
    const i5 = w.neurons.findIndex((n) => n.name === 'I5');
    const resets = Array.from(out.spikes[0]!.times).filter((_, k) => out.spikes[0]!.indices[k] === i5);
    expect(resets).toHaveLength(expected.length);
    for (let i = 0; i < expected.length; i++) {
      expect(resets[i]!).toBeGreaterThan(observed[i]!);
      if (i + 1 < expected.length) expect(resets[i]!).toBeLessThan(observed[i + 1]!);
    }
  });

  it('level B (c302_iaf_activity, gap junctions 0.01 nS): with c302’s effective coupling g·(n_ab + n_ba), the 2 expected I5 spikes within OMV’s tolerance (rtol 2.2e-4)', async () => {
    const expected = [136.22, 202.95];
    const { net, w, dt } = await pharyngeal('B');
    // c302 turns every GapJunction row into a NeuroML electricalProjection that couples both
    // cells, and the spreadsheet lists most pairs in both directions (sometimes with different
    // counts): the effective conductance of a pair is g·(n_ab + n_ba). The loader keeps one
    // count per pair (the larger), so rebuild the weights from the directed rows.
    const { records } = parseRecords(readFileSync(path.join(DATA, 'celegans', 'neuron_tables_connectome.csv'), 'utf8'));
    const directed = new Map<string, number>();
    for (const r of records) if (r.Type === 'GapJunction') directed.set(`${r.Origin}>${r.Target}`, (directed.get(`${r.Origin}>${r.Target}`) ?? 0) + Number(r['Number of Connections']));
    const names = w.neurons.map((n) => n.name);
    const gap = net.toIR().projections.find((p) => p.transmission === 'gap')!;
    const weights = gap.weight as Float64Array;
    let pairs = 0;
    for (let i = 0; i + 1 < gap.rowPtr.length; i++) {
      for (let k = gap.rowPtr[i]!; k < gap.rowPtr[i + 1]!; k++) {
        const [a, b] = [names[i]!, names[gap.targets[k]!]!];
        const nab = directed.get(`${a}>${b}`) ?? 0;
        const nba = directed.get(`${b}>${a}`) ?? 0;
        expect(weights[k]).toBeCloseTo(1e-5 * Math.max(nab, nba), 18); // what addWorm built
        weights[k] = 1e-5 * (nab + nba);
        pairs++;
      }
    }
    expect(pairs).toBe(34);
    net.stimulate(w.population, { kind: 'dc', amplitude: '2.2 pA', start: '50 ms', stop: '250 ms', names: STIMULATED });
    net.record(w.population, ['v', 'act'], { names: ['I5'] });
    const out = await run(net, 500);
    const observed = omvSpikes(trace(out, 'v'), dt, -31);
    expect(observed).toHaveLength(expected.length);
    expect(omvClose(observed, expected, 0.00022023197768316794)).toBe(true);
    const act = trace(out, 'act');
    expect(Math.min(...act)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...act)).toBeGreaterThan(0.5);
  });
});
