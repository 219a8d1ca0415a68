import { describe, expect, it } from 'vitest';
import { cvPerNeuron, isiPerNeuron, populationRate, spikeStats } from '../src/analysis/spikes.js';
import { ValidationError } from '../src/errors.js';
import { Rng } from '../src/util/rng.js';

/** Independent Poisson trains (exponential ISIs), merged in time order like an engine's output. */
function poissonTrains(neurons: number, rateHz: number, duration: number, seed: number): { indices: number[]; times: number[] } {
  const spikes: Array<[number, number]> = [];
  for (let i = 0; i < neurons; i++) {
    const rng = Rng.stream(seed, 'test poisson', 'trains', i);
    for (let t = rng.exponential(1000 / rateHz); t < duration; t += rng.exponential(1000 / rateHz)) spikes.push([t, i]);
  }
  spikes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { indices: spikes.map((s) => s[1]), times: spikes.map((s) => s[0]) };
}

describe('spike statistics', () => {
  it('rates are exact on constructed trains', () => {
    // Neuron i fires i + 1 spikes in 2 s: 1 + 2 + 3 + 4 = 10 spikes over 4 neurons × 2 s = 1.25 Hz.
    const indices: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < 4; i++) for (let k = 0; k <= i; k++) (indices.push(i), times.push(100 + 400 * k + i));
    const s = spikeStats(indices, times, 4, 2000);
    expect(s.spikes).toBe(10);
    expect(s.neurons).toBe(4);
    expect(s.rate).toBeCloseTo(10 / 4 / 2, 12);
    // Window [500, 2000): spikes at 500+ are k ≥ 1 (k = 1: 3, k = 2: 2, k = 3: 1) = 6 spikes in 1.5 s.
    expect(spikeStats(indices, times, 4, 2000, { tStart: 500 }).rate).toBeCloseTo(6 / 4 / 1.5, 12);
  });

  it('populationRate counts each bin exactly, in Hz per neuron, the short last bin by its own width', () => {
    // 2 neurons; bins of 10 ms over 25 ms, closed on the right as spikes are stamped with the end
    // of their step: (0,10] 4 spikes (one at exactly 0 counts in the first bin), (10,20] 1, (20,25] 2.
    const indices = [0, 1, 0, 1, 0, 1, 0];
    const times = [0, 5, 9.999, 10, 20, 24.9, 25];
    const r = populationRate(indices, times, 2, 25, 10);
    expect(Array.from(r)).toEqual([4 / 2 / 0.01, 1 / 2 / 0.01, 2 / 2 / 0.005]);
  });

  it('a regular spike train has CV 0, and ISIs are per neuron in time order whatever the input order', () => {
    const times = [30, 10, 20, 40, 5, 17];
    const indices = [0, 0, 0, 0, 1, 1];
    const isis = isiPerNeuron(indices, times, 3);
    expect(Array.from(isis[0]!)).toEqual([10, 10, 10]);
    expect(Array.from(isis[1]!)).toEqual([12]);
    expect(isis[2]!.length).toBe(0);
    const cv = cvPerNeuron(indices, times, 3);
    expect(cv[0]).toBe(0);
    expect(cv[1]).toBeNaN(); // 2 spikes < 3
    expect(cv[2]).toBeNaN();
    expect(spikeStats(indices, times, 3, 100).cvIsi).toBe(0);
  });

  it('CV of two alternating intervals a, b is |a − b| / (a + b)', () => {
    const times = [0, 2, 8, 10, 16, 18, 24];
    const cv = cvPerNeuron(new Array(times.length).fill(0), times, 1);
    expect(cv[0]).toBeCloseTo((6 - 2) / (6 + 2), 12);
  });

  it('a long Poisson train has CV ≈ 1 (±0.03 with ~20000 intervals, ~3 standard errors)', () => {
    const { indices, times } = poissonTrains(2, 20, 500_000, 11);
    const cv = cvPerNeuron(indices, times, 2);
    for (const c of cv) expect(Math.abs(c - 1)).toBeLessThan(0.03);
    const s = spikeStats(indices, times, 2, 500_000);
    expect(Math.abs(s.rate - 20)).toBeLessThan(20 * 0.03);
  });

  it('fully synchronous trains have χ = 1', () => {
    const rng = Rng.stream(3, 'test', 'sync');
    const indices: number[] = [];
    const times: number[] = [];
    for (let t = rng.exponential(50); t < 20_000; t += rng.exponential(50)) for (let i = 0; i < 50; i++) (indices.push(i), times.push(t));
    expect(spikeStats(indices, times, 50, 20_000).synchrony).toBeCloseTo(1, 9);
  });

  it('independent Poisson trains have χ ≈ 1/√N (within 10 %)', () => {
    const n = 100;
    const { indices, times } = poissonTrains(n, 20, 100_000, 5);
    const chi = spikeStats(indices, times, n, 100_000, { bin: 5 }).synchrony;
    expect(Math.abs(chi * Math.sqrt(n) - 1)).toBeLessThan(0.1);
  });

  it('undefined statistics are NaN, not errors', () => {
    const s = spikeStats([], [], 10, 1000);
    expect(s.rate).toBe(0);
    expect(s.cvIsi).toBeNaN();
    expect(s.synchrony).toBeNaN();
  });

  it('bad input is a ValidationError', () => {
    expect(() => spikeStats([0, 1], [1], 2, 100)).toThrow(ValidationError);
    expect(() => spikeStats([5], [1], 2, 100)).toThrow(ValidationError);
    expect(() => spikeStats([0], [1], 2, 100, { tStart: 100 })).toThrow(ValidationError);
    expect(() => populationRate([0], [1], 2, 100, 0)).toThrow(ValidationError);
  });
});
