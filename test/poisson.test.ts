/**
 * Poisson processes: spike_source_poisson populations, the `poisson` stimulus, and
 * the Rng's Poisson / normal / exponential draws, tested with seeded statistical
 * tests. Every test states its significance level; seeds are fixed, so each
 * outcome is deterministic (a failure means a real change in the numbers).
 *
 * Quantiles: z_{1−α/2} for α = 0.01 is 2.5758, for α = 0.001 it is 3.2905;
 * chi-square quantiles use the Wilson–Hilferty approximation (< 0.1 % error at the
 * 1999 degrees of freedom of the dispersion tests; at the 0.999 level it errs on
 * the conservative side by ≤ 10 % for the ≥ 4 degrees of freedom of the pmf fits).
 */
import { describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { clockEngine } from '../src/engines/clock/index.js';
import type { SimulationOutput } from '../src/engines/types.js';
import { Rng } from '../src/util/rng.js';

const Z_01 = 2.5758293035489; // two-sided α = 0.01
const Z_001 = 3.2905267314919; // two-sided α = 0.001

/** χ²_k quantile for the standard-normal quantile z (Wilson–Hilferty). */
function chi2Quantile(k: number, z: number): number {
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

async function run(net: Network, duration: number): Promise<SimulationOutput> {
  net.setRun({ duration, threads: 1 });
  return clockEngine.run(net.toIR());
}

function countsOf(indices: Uint32Array, n: number): Float64Array {
  const c = new Float64Array(n);
  for (const i of indices) c[i]!++;
  return c;
}

function meanVar(x: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  const mean = s / x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i]! - mean) ** 2;
  return { mean, variance: ss / (x.length - 1) };
}

/**
 * Index-of-dispersion test of Poisson counts at α = 0.01 (two-sided):
 * D = Σ(x − x̄)²/x̄ ~ χ²_{N−1}, i.e. variance/mean within [χ²_{0.005}, χ²_{0.995}]/(N−1).
 */
function expectPoissonDispersion(counts: Float64Array): void {
  const { mean, variance } = meanVar(counts);
  const k = counts.length - 1;
  const D = (variance * k) / mean;
  expect(D).toBeGreaterThanOrEqual(chi2Quantile(k, -Z_01));
  expect(D).toBeLessThanOrEqual(chi2Quantile(k, Z_01));
}

/** z-test at α = 0.01 of a Poisson total against its expectation. */
function expectPoissonTotal(total: number, expected: number): void {
  expect(Math.abs(total - expected)).toBeLessThanOrEqual(Z_01 * Math.sqrt(expected));
}

describe('spike_source_poisson', () => {
  it('2000 neurons × 10 Hz × 1 s: per-neuron counts pass the dispersion test and the total the z-test (α = 0.01)', async () => {
    const N = 2000;
    const net = new Network({ dt: 0.1, seed: 2024 });
    const P = net.spikeSource('P', N, { rate: '10 Hz' });
    net.record(P, 'spikes');
    const out = await run(net, 1000);
    const { indices, times } = out.spikes[0]!;
    expect(out.stats.spikeCounts.P).toBe(indices.length);
    expectPoissonTotal(indices.length, N * 10 * 1);
    const counts = countsOf(indices, N);
    expectPoissonDispersion(counts);
    // Times on the grid, inside (0, duration], sorted by time.
    let bad = 0;
    for (let s = 0; s < times.length; s++) {
      const t = times[s]!;
      if (!(t > 0 && t <= 1000 + 1e-9 && Math.abs(t / 0.1 - Math.round(t / 0.1)) < 1e-6 && (s === 0 || t >= times[s - 1]!))) bad++;
    }
    expect(bad).toBe(0);
  });

  it('start/stop are respected: every spike lies in [start, stop] on the grid (exact times in [start, stop) are reported at ceil(t/dt)·dt) and the count fits N·rate·(stop − start)', async () => {
    const N = 1000;
    const net = new Network({ dt: 0.1, seed: 77 });
    const P = net.spikeSource('P', N, { rate: 20, start: '200 ms', stop: '0.6 s' });
    net.record(P, 'spikes');
    const out = await run(net, 1000);
    const { times } = out.spikes[0]!;
    expect(times.filter((t) => t < 200 - 1e-9 || t > 600 + 1e-9).length).toBe(0);
    // The window is not shrunk either: spikes near both edges.
    expect(Math.min(...times)).toBeLessThan(201);
    expect(Math.max(...times)).toBeGreaterThan(599);
    expectPoissonTotal(times.length, N * 20 * 0.4);
    expectPoissonDispersion(countsOf(out.spikes[0]!.indices, N));
  });

  it('per-neuron rate/start/stop: each neuron fires only inside its own window, at its own rate', async () => {
    const N = 400;
    const start = Float64Array.from({ length: N }, (_, i) => 10 * (i % 20));
    const stop = Float64Array.from({ length: N }, (_, i) => start[i]! + 300 + 5 * (i % 7));
    const rate = Float64Array.from({ length: N }, (_, i) => (i < N / 2 ? 5 : 40));
    const net = new Network({ dt: 0.1, seed: 5 });
    const P = net.population('P', N, 'spike_source_poisson', { rate, start, stop });
    net.record(P, 'spikes');
    const out = await run(net, 600);
    const { indices, times } = out.spikes[0]!;
    let expectedSlow = 0;
    let expectedFast = 0;
    for (let i = 0; i < N; i++) (i < N / 2 ? (expectedSlow += 5 * (stop[i]! - start[i]!) / 1000) : (expectedFast += 40 * (stop[i]! - start[i]!) / 1000));
    let slow = 0;
    let fast = 0;
    let outside = 0;
    for (let s = 0; s < indices.length; s++) {
      const i = indices[s]!;
      if (times[s]! < start[i]! - 1e-9 || times[s]! > stop[i]! + 1e-9) outside++;
      if (i < N / 2) slow++;
      else fast++;
    }
    expect(outside).toBe(0);
    expectPoissonTotal(slow, expectedSlow);
    expectPoissonTotal(fast, expectedFast);
  });

  it('rate 0 and start = stop give no spikes', async () => {
    const net = new Network({ dt: 0.1, seed: 1 });
    const A = net.spikeSource('A', 50, { rate: 0 });
    const B = net.spikeSource('B', 50, { rate: 100, start: 300, stop: 300 });
    net.record(A, 'spikes');
    net.record(B, 'spikes');
    const out = await run(net, 500);
    expect(out.stats.spikes).toBe(0);
  });
});

describe('poisson stimulus', () => {
  it('1000 targets × 50 Hz × 1 s: stats.synapticEvents is Poisson with mean N·rate·T (z-test, α = 0.01)', async () => {
    const N = 1000;
    const net = new Network({ dt: 0.1, seed: 31 });
    const E = net.population('E', N, 'IF_curr_exp', { v_thresh: 1e6 });
    net.stimulate(E, { kind: 'poisson', rate: '50 Hz', weight: '10 pA' });
    const out = await run(net, 1000);
    expectPoissonTotal(out.stats.synapticEvents, N * 50);
  });

  it('the isyn jumps of each target are whole multiples of w; their sum equals stats.synapticEvents exactly, all inside [start, stop], and counts pass the dispersion test (α = 0.01)', async () => {
    const N = 50;
    const dt = 0.1;
    const w = 1; // nA
    const tauS = 5;
    const net = new Network({ dt, seed: 8 });
    const E = net.population('E', N, 'IF_curr_exp', { tau_syn_E: tauS, v_thresh: 1e6 });
    // stop < duration, so the last step holds no events (its input is after the last sample).
    net.stimulate(E, { kind: 'poisson', rate: 400, weight: w, start: 100, stop: 900 });
    net.record(E, ['isyn_exc']);
    const out = await run(net, 1000);
    const data = out.traces[0]!.data;
    const nSamples = data.length / N;
    expect(nSamples).toBe(10000);
    const P11 = Math.exp(-dt / tauS);
    const perNeuron = new Float64Array(N);
    let total = 0;
    let maxResidual = 0;
    let misplaced = 0;
    for (let k = 0; k + 1 < nSamples; k++) {
      for (let i = 0; i < N; i++) {
        const jump = (data[(k + 1) * N + i]! - data[k * N + i]! * P11) / w;
        const m = Math.round(jump);
        maxResidual = Math.max(maxResidual, Math.abs(jump - m));
        if (m !== 0) {
          const t = (k + 1) * dt; // sample time at which the events are visible
          if (t < 100 - 1e-9 || t > 900 + 1e-9 || m < 0) misplaced++;
        }
        perNeuron[i]! += m;
        total += m;
      }
    }
    expect(maxResidual).toBeLessThan(1e-6);
    expect(misplaced).toBe(0);
    expect(total).toBe(out.stats.synapticEvents);
    expectPoissonTotal(total, N * 400 * 0.8);
    expectPoissonDispersion(perNeuron);
  });

  it('targets selected by indices: only they receive events', async () => {
    const net = new Network({ dt: 0.1, seed: 3 });
    const E = net.population('E', 10, 'IF_curr_exp', { v_thresh: 1e6 });
    net.stimulate(E, { kind: 'poisson', rate: 1000, weight: 0.5, indices: [2, 7] });
    net.record(E, ['isyn_exc']);
    const out = await run(net, 200);
    const data = out.traces[0]!.data;
    let leaked = 0;
    for (let k = 0; k < data.length / 10; k++) {
      for (let i = 0; i < 10; i++) if (i !== 2 && i !== 7 && data[k * 10 + i] !== 0) leaked++;
    }
    expect(leaked).toBe(0);
    expect(Math.max(...data)).toBeGreaterThan(0);
    expectPoissonTotal(out.stats.synapticEvents, 2 * 1000 * 0.2);
  });
});

describe('Rng', () => {
  const n = 100_000;

  /** Pearson χ² goodness of fit to Poisson(λ) (bins merged until each expects ≥ 5), α = 0.001. */
  function expectPoissonFit(samples: Int32Array, lambda: number): void {
    const maxK = Math.max(...samples) + 1;
    // pmf by recursion from e^{−λ}, independent of the generator's logFactorial.
    const pmf: number[] = [Math.exp(-lambda)];
    for (let k = 1; k <= Math.max(maxK, lambda * 3 + 50); k++) pmf.push((pmf[k - 1]! * lambda) / k);
    const observed = new Float64Array(pmf.length);
    for (const x of samples) observed[x]!++;
    const bins: { o: number; e: number }[] = [];
    let cur = { o: 0, e: 0 };
    let cdf = 0;
    for (let k = 0; k < pmf.length; k++) {
      cur.o += observed[k]!;
      cur.e += n * pmf[k]!;
      cdf += pmf[k]!;
      if (cur.e >= 5 && n * (1 - cdf) >= 5) {
        bins.push(cur);
        cur = { o: 0, e: 0 };
      }
    }
    // Tail bin: everything above the last closed bin (expects ≥ 5 by construction).
    const closedE = bins.reduce((s, b) => s + b.e, 0);
    const closedO = bins.reduce((s, b) => s + b.o, 0);
    bins.push({ o: n - closedO, e: n - closedE });
    const chi2 = bins.reduce((s, b) => s + (b.o - b.e) ** 2 / b.e, 0);
    const df = bins.length - 1;
    expect(df).toBeGreaterThanOrEqual(4);
    expect(chi2).toBeLessThanOrEqual(chi2Quantile(df, Z_001));
  }

  for (const lambda of [0.5, 5, 11.9, 12, 50, 500]) {
    it(`poisson(${lambda}): mean within ±${Z_001.toFixed(2)}·√(λ/n), variance within ±${Z_001.toFixed(2)}·√((λ+2λ²)/n) (α = 0.001, n = ${n}), χ² fit to the pmf`, () => {
      const rng = Rng.stream(99, 'test', 'poisson', Math.round(lambda * 10));
      const x = new Int32Array(n);
      let bad = 0;
      for (let i = 0; i < n; i++) {
        const k = rng.poisson(lambda);
        if (!(Number.isInteger(k) && k >= 0)) bad++;
        x[i] = k;
      }
      expect(bad).toBe(0);
      const { mean, variance } = meanVar(x);
      expect(Math.abs(mean - lambda)).toBeLessThanOrEqual(Z_001 * Math.sqrt(lambda / n));
      expect(Math.abs(variance - lambda)).toBeLessThanOrEqual(Z_001 * Math.sqrt((lambda + 2 * lambda * lambda) / n));
      expectPoissonFit(x, lambda);
    });
  }

  it('poisson(λ ≤ 0) is 0', () => {
    const rng = new Rng(1);
    expect(rng.poisson(0)).toBe(0);
    expect(rng.poisson(-3)).toBe(0);
  });

  it(`normal(): mean within ±${Z_001.toFixed(2)}/√n, variance within ±${Z_001.toFixed(2)}·√(2/n), lag-1 correlation within ±${Z_001.toFixed(2)}/√n (α = 0.001, n = 2e5)`, () => {
    const m = 200_000;
    const rng = Rng.stream(4, 'test', 'normal');
    const x = new Float64Array(m);
    for (let i = 0; i < m; i++) x[i] = rng.normal();
    const { mean, variance } = meanVar(x);
    expect(Math.abs(mean)).toBeLessThanOrEqual(Z_001 / Math.sqrt(m));
    expect(Math.abs(variance - 1)).toBeLessThanOrEqual(Z_001 * Math.sqrt(2 / m));
    // The polar method returns pairs; consecutive values must still be uncorrelated.
    let c = 0;
    for (let i = 1; i < m; i++) c += (x[i]! - mean) * (x[i - 1]! - mean);
    const r = c / ((m - 1) * variance);
    expect(Math.abs(r)).toBeLessThanOrEqual(Z_001 / Math.sqrt(m));
    // Tail mass beyond ±1.96 is 5 % (binomial z-test, α = 0.001).
    const tail = x.reduce((s, v) => s + (Math.abs(v) > 1.959963984540054 ? 1 : 0), 0) / m;
    expect(Math.abs(tail - 0.05)).toBeLessThanOrEqual(Z_001 * Math.sqrt((0.05 * 0.95) / m));
  });

  it(`exponential(μ): mean within ±${Z_001.toFixed(2)}·μ/√n, P(X > μ) = e^{−1} (α = 0.001)`, () => {
    const mu = 100;
    const rng = Rng.stream(4, 'test', 'exponential');
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = rng.exponential(mu);
    const { mean } = meanVar(x);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
    expect(Math.abs(mean - mu)).toBeLessThanOrEqual((Z_001 * mu) / Math.sqrt(n));
    const p = x.reduce((s, v) => s + (v > mu ? 1 : 0), 0) / n;
    expect(Math.abs(p - Math.exp(-1))).toBeLessThanOrEqual(Z_001 * Math.sqrt((Math.exp(-1) * (1 - Math.exp(-1))) / n));
  });
});
