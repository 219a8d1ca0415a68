import { describe, expect, it } from 'vitest';
import { fiCurve, lifRate } from '../src/analysis/fi.js';
import { ValidationError } from '../src/errors.js';

// IF_curr_exp with R = tau_m / cm = 20 MΩ: rheobase (v_thresh − v_rest) / R = 15 mV / 20 MΩ = 0.75 nA.
const params = { tau_m: 20, cm: 1, tau_refrac: 2, v_rest: -65, v_reset: -65, v_thresh: -50 };
const currents = [0, 0.5, 0.74, 0.8, 1, 1.5, 2, 3];

/**
 * Run length: fiCurve measures the rate from inter-spike intervals, and under constant
 * current every interval after the first spike is the same (same reset state), so a run
 * needs only a few intervals at the lowest rate: 1 s gives ≥ 10 intervals at 0.8 nA
 * (17.4 Hz). The remaining error is the time grid: a spike is detected at the end of the
 * step in which v crosses threshold, so an interval is a whole number of steps, at most one
 * step (dt) longer than the analytic one; |error| ≤ dt / ISI ≤ 0.1 / 7.75 ≈ 1.3 % at the
 * highest rate here (3 nA, 129 Hz) for dt = 0.1 ms, and ten times less at dt = 0.01 ms.
 */
describe('f–I curve of IF_curr_exp', () => {
  for (const dt of [0.01, 0.1]) {
    it(`matches the analytic LIF curve within 2 % above rheobase and is 0 below, at dt ${dt} ms`, async () => {
      const points = await fiCurve('IF_curr_exp', params, currents, { duration: 1000, dt });
      expect(points.map((p) => p.current)).toEqual(currents);
      for (const p of points) {
        const expected = lifRate(params, p.current);
        if (expected === 0) expect(p.rate, `I = ${p.current} nA`).toBe(0);
        else expect(Math.abs(p.rate - expected) / expected, `I = ${p.current} nA: ${p.rate} vs ${expected} Hz`).toBeLessThan(dt === 0.01 ? 0.002 : 0.02);
      }
      // The rate rises with the current above rheobase.
      const above = points.filter((p) => p.current > 0.75).map((p) => p.rate);
      for (let k = 1; k < above.length; k++) expect(above[k]!).toBeGreaterThan(above[k - 1]!);
    });
  }

  it('the event engine (exact spike times) matches the analytic curve to 1e-6', async () => {
    const points = await fiCurve('IF_curr_exp', params, currents, { duration: 1000, engine: 'event' });
    for (const p of points) {
      const expected = lifRate(params, p.current);
      if (expected === 0) expect(p.rate).toBe(0);
      else expect(Math.abs(p.rate - expected) / expected, `I = ${p.current} nA`).toBeLessThan(1e-6);
    }
  });

  it('lifRate is the textbook formula 1 / (t_ref + τ ln(RI / (RI − (θ − V_reset)))) when v_reset = v_rest', () => {
    const RI = 20 * 2;
    expect(lifRate(params, 2)).toBeCloseTo(1000 / (2 + 20 * Math.log(RI / (RI - 15))), 10);
    expect(lifRate(params, 0.75)).toBe(0);
  });

  it('refuses an empty or non-finite list of currents', async () => {
    await expect(fiCurve('IF_curr_exp', params, [])).rejects.toThrow(ValidationError);
    await expect(fiCurve('IF_curr_exp', params, [NaN])).rejects.toThrow(ValidationError);
  });
});
