/**
 * IF_curr_exp (iaf_psc_exp) on the clock engine against analytic solutions.
 *
 * Step semantics used below (src/engines/clock/codegen.ts, plan.ts `emissionStep`):
 * - step n integrates [t_n, t_{n+1}], t_n = n·dt; the threshold is tested on the
 *   state at t_{n+1} (after that step's inputs were added), and a spike is reported
 *   at t_{n+1}. A trace sample k is the state at t_k (before step k runs).
 * - after a spike v = v_reset and the next R = round(tau_refrac/dt) steps are
 *   refractory (v held, synaptic currents keep decaying); the first free step
 *   starts at t_spike + R·dt from v_reset.
 * - a presynaptic spike reported at t_s with delay d (d/dt whole) is added to the
 *   receptor variable at t_s + d, i.e. it is visible from trace sample (t_s + d)/dt on.
 *
 * Consequence for constant current I (V∞ = v_rest + R_m·I, R_m = tau_m/cm): with
 * T_free = tau_m·ln((v_reset − V∞)/(v_thresh − V∞)) the free run after the
 * refractory hold needs k = ceil(T_free/dt) steps (the crossing is seen at the end
 * of the step in which it happens), so every grid ISI is exactly
 *     ISI = (R + ceil(T_free/dt))·dt  ∈  [T + δ, T + δ + dt),   δ = R·dt − tau_refrac ∈ [−dt/2, dt/2],
 * with T = tau_refrac + T_free the analytic ISI; when tau_refrac is a whole number
 * of steps δ = 0 and ISI ∈ [T, T + dt).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { clockEngine } from '../src/engines/clock/index.js';
import type { SimulationOutput } from '../src/engines/types.js';

const FC_SEED = 0x5eed_11f;

interface LifParams {
  tau_m: number;
  cm: number;
  tau_refrac: number;
  v_rest: number;
  v_thresh: number;
  v_reset: number;
}

async function run(net: Network, duration: number): Promise<SimulationOutput> {
  net.setRun({ duration, threads: 1 });
  return clockEngine.run(net.toIR());
}

function trace(out: SimulationOutput, variable: string): Float64Array {
  const t = out.traces.find((x) => x.variable === variable);
  if (!t) throw new Error(`no trace ${variable}`);
  return t.data;
}

/** The brief's analytic LIF rate (Hz) for constant current I (nA). */
function analyticRate(p: LifParams, I: number): number {
  const R = p.tau_m / p.cm;
  const T = p.tau_refrac + p.tau_m * Math.log((p.v_reset - p.v_rest - R * I) / (p.v_thresh - p.v_rest - R * I));
  return 1000 / T;
}

/** Free-run time (ms) from v0 to v_thresh under constant current I. */
function freeTime(p: LifParams, I: number, v0: number): number {
  const vInf = p.v_rest + (p.tau_m / p.cm) * I;
  return p.tau_m * Math.log((v0 - vInf) / (p.v_thresh - vInf));
}

/** The current (nA) for which the analytic rate is `rate` Hz. */
function currentForRate(p: LifParams, rate: number): number {
  const Tfree = 1000 / rate - p.tau_refrac;
  const q = Math.exp(Tfree / p.tau_m);
  const vInf = (q * p.v_thresh - p.v_reset) / (q - 1);
  return (vInf - p.v_rest) / (p.tau_m / p.cm);
}

/** Possible step counts for a crossing at analytic time x (ms): ceil(x/dt), or either neighbour when x/dt is within 1e-6 of a whole number. */
function crossingSteps(x: number, dt: number): number[] {
  const s = x / dt;
  const r = Math.round(s);
  if (Math.abs(s - r) < 1e-6) return [r, r + 1];
  return [Math.ceil(s)];
}

const lifParams = fc
  .record({
    tau_m: fc.double({ min: 5, max: 50, noNaN: true }),
    cm: fc.double({ min: 0.1, max: 1, noNaN: true }),
    tau_refrac: fc.double({ min: 0, max: 5, noNaN: true }),
    v_rest: fc.double({ min: -80, max: -60, noNaN: true }),
    gap: fc.double({ min: 5, max: 25, noNaN: true }),
    resetFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ tau_m, cm, tau_refrac, v_rest, gap, resetFrac }): LifParams => {
    const v_thresh = v_rest + gap;
    const lo = v_rest - 5;
    const hi = v_thresh - 1;
    return { tau_m, cm, tau_refrac, v_rest, v_thresh, v_reset: lo + resetFrac * (hi - lo) };
  });

/**
 * A target analytic rate in 5–100 Hz, drawn log-uniformly. Rates that need the free
 * run to last more than 8·tau_m are excluded: there V∞ − v_thresh < (v_thresh −
 * v_reset)·e^{−8} and, towards 40·tau_m (5 Hz at tau_m = 5 ms), V∞ lies within one
 * ulp of v_thresh, so the analytic rate is not representable in doubles.
 */
function rateFor(p: LifParams, u: number): number {
  const rMin = Math.max(5, 1000 / (p.tau_refrac + 8 * p.tau_m));
  return rMin * Math.pow(100 / rMin, u);
}
const drive = fc.record({ u: fc.double({ min: 0, max: 1, noNaN: true }), viaDc: fc.boolean() });

/** One neuron under constant current, given as i_offset or as a dc stimulus. */
async function fiRun(p: LifParams, I: number, viaDc: boolean, dt: number, duration: number, recordV = false) {
  const net = new Network({ dt, seed: 7, threads: 1 });
  const pop = net.population('N', 1, 'IF_curr_exp', { ...p, ...(viaDc ? {} : { i_offset: I }) });
  if (viaDc) net.stimulate(pop, { kind: 'dc', amplitude: I });
  net.record(pop, 'spikes');
  if (recordV) net.record(pop, ['v']);
  const out = await run(net, duration);
  return { times: out.spikes[0]!.times, out };
}

describe('IF_curr_exp f–I curve', () => {
  it('dt = 0.01 ms: rate from first-to-last ISIs matches the analytic LIF rate within 1 %', async () => {
    const dt = 0.01;
    await fc.assert(
      fc.asyncProperty(lifParams, drive, async (p, { u, viaDc }) => {
        const rate = rateFor(p, u);
        const I = currentForRate(p, rate);
        const r = analyticRate(p, I);
        // The inversion itself is exact to rounding.
        expect(Math.abs(r - rate) / rate).toBeLessThan(1e-9);
        const T = 1000 / r;
        const first = freeTime(p, I, p.v_rest);
        const duration = Math.ceil(first + 22 * (T + 2 * dt) + 1);
        const { times } = await fiRun(p, I, viaDc, dt, duration);
        expect(times.length).toBeGreaterThanOrEqual(21); // ≥ 20 ISIs
        const measured = ((times.length - 1) / (times[times.length - 1]! - times[0]!)) * 1000;
        expect(Math.abs(measured - r) / r).toBeLessThan(0.01);
      }),
      { seed: FC_SEED, numRuns: 25 },
    );
  });

  it('dt = 0.1 ms: every grid ISI equals (round(tau_refrac/dt) + ceil(T_free/dt))·dt, inside [T + δ, T + δ + dt)', async () => {
    const dt = 0.1;
    await fc.assert(
      fc.asyncProperty(lifParams, drive, async (p, { u, viaDc }) => {
        const rate = rateFor(p, u);
        const I = currentForRate(p, rate);
        const T = 1000 / analyticRate(p, I);
        const Tfree = freeTime(p, I, p.v_reset);
        const R = Math.round(p.tau_refrac / dt);
        const delta = R * dt - p.tau_refrac;
        const first = freeTime(p, I, p.v_rest);
        const duration = Math.ceil(first + 22 * (T + 2 * dt) + 1);
        const { times } = await fiRun(p, I, viaDc, dt, duration);
        expect(times.length).toBeGreaterThanOrEqual(21);
        // First spike: a free run from v_rest at t = 0, no refractory hold.
        expect(crossingSteps(first, dt)).toContain(Math.round(times[0]! / dt));
        const allowed = crossingSteps(Tfree, dt).map((k) => R + k);
        for (let s = 1; s < times.length; s++) {
          const isiSteps = Math.round((times[s]! - times[s - 1]!) / dt);
          expect(allowed).toContain(isiSteps);
          const isi = isiSteps * dt;
          // The documented bound, with 1e-9 ms slack for rounding of the analytic T.
          expect(isi).toBeGreaterThanOrEqual(T + delta - 1e-9);
          expect(isi).toBeLessThanOrEqual(T + delta + dt + 1e-9);
        }
      }),
      { seed: FC_SEED + 1, numRuns: 25 },
    );
  });

  it('dt = 0.1 ms, tau_refrac on the grid: the period lies in [T, T + dt]', async () => {
    const dt = 0.1;
    await fc.assert(
      fc.asyncProperty(lifParams, drive, fc.integer({ min: 0, max: 50 }), async (p0, { u, viaDc }, refSteps) => {
        const p = { ...p0, tau_refrac: refSteps * dt };
        const rate = rateFor(p, u);
        const I = currentForRate(p, rate);
        const T = 1000 / analyticRate(p, I);
        const duration = Math.ceil(freeTime(p, I, p.v_rest) + 22 * (T + 2 * dt) + 1);
        const { times } = await fiRun(p, I, viaDc, dt, duration);
        expect(times.length).toBeGreaterThanOrEqual(21);
        const period = (times[times.length - 1]! - times[0]!) / (times.length - 1);
        expect(period).toBeGreaterThanOrEqual(T - 1e-9);
        expect(period).toBeLessThanOrEqual(T + dt + 1e-9);
      }),
      { seed: FC_SEED + 2, numRuns: 20 },
    );
  });

  it('subthreshold current (R·I < v_thresh − v_rest) never spikes, and v follows V∞ + (v_rest − V∞)e^{−t/τm} to 1e-9 mV', async () => {
    const dt = 0.1;
    await fc.assert(
      fc.asyncProperty(lifParams, fc.double({ min: 0, max: 0.999, noNaN: true }), fc.boolean(), async (p, frac, viaDc) => {
        const I = (frac * (p.v_thresh - p.v_rest)) / (p.tau_m / p.cm);
        const duration = Math.ceil(10 * p.tau_m);
        const { times, out } = await fiRun(p, I, viaDc, dt, duration, true);
        expect(times.length).toBe(0);
        expect(out.stats.spikeCounts.N).toBe(0);
        const v = trace(out, 'v');
        const vInf = p.v_rest + (p.tau_m / p.cm) * I;
        for (let k = 0; k < v.length; k++) {
          const exact = vInf + (p.v_rest - vInf) * Math.exp((-k * dt) / p.tau_m);
          expect(Math.abs(v[k]! - exact)).toBeLessThan(1e-9);
          expect(v[k]!).toBeLessThan(p.v_thresh);
        }
      }),
      { seed: FC_SEED + 3, numRuns: 30 },
    );
  });
});

// ------------------------------------------------------------------ PSC / PSP

interface PspCase {
  tau_m: number;
  tau_s: number;
  cm: number;
  w: number;
  /** Presynaptic spike time and delay, whole numbers of steps. */
  spikeStep: number;
  delaySteps: number;
  dt: number;
  receptor: 'excitatory' | 'inhibitory';
}

async function pspRun(c: PspCase, extraSteps: number) {
  const { dt } = c;
  const net = new Network({ dt, seed: 3, threads: 1 });
  const src = net.spikeSource('S', 1, { times: [[c.spikeStep * dt]] });
  const tauName = c.receptor === 'excitatory' ? 'tau_syn_E' : 'tau_syn_I';
  const other = c.receptor === 'excitatory' ? 'tau_syn_I' : 'tau_syn_E';
  const post = net.population('N', 1, 'IF_curr_exp', {
    tau_m: c.tau_m,
    cm: c.cm,
    [tauName]: c.tau_s,
    [other]: 3,
    v_rest: -65,
    v_reset: -70,
    v_thresh: 1e6, // never spikes: the pure PSP
    tau_refrac: 2,
  });
  net.connect(src, post, { rule: 'all_to_all' }, { receptor: c.receptor, weight: c.w, delay: c.delaySteps * dt });
  const isynName = c.receptor === 'excitatory' ? 'isyn_exc' : 'isyn_inh';
  net.record(post, ['v', isynName]);
  net.record(src, 'spikes');
  const k0 = c.spikeStep + c.delaySteps; // arrival sample: t0 = spike time + delay
  const out = await run(net, (k0 + extraSteps) * dt);
  return { out, k0, v: trace(out, 'v'), isyn: trace(out, isynName) };
}

/** v − v_rest of the closed form (τs ≠ τm), s = time since arrival. */
function pspClosed(c: PspCase, s: number): number {
  const { tau_m: tm, tau_s: ts } = c;
  return ((c.w / c.cm) * ((tm * ts) / (tm - ts))) * (Math.exp(-s / tm) - Math.exp(-s / ts));
}

function checkPsp(c: PspCase, r: Awaited<ReturnType<typeof pspRun>>, closed: (s: number) => number, peak: number): void {
  const { v, isyn, k0, out } = r;
  const { dt } = c;
  // The source spike is reported at its grid time; the PSC starts exactly at t0 = spike time + delay.
  expect(out.spikes[0]!.times[0]).toBeCloseTo(c.spikeStep * dt, 12);
  for (let k = 0; k < k0; k++) {
    expect(isyn[k]).toBe(0);
    expect(v[k]).toBe(-65);
  }
  const scale = Math.abs(peak);
  for (let k = k0; k < v.length; k++) {
    const s = (k - k0) * dt;
    const iExact = c.w * Math.exp(-s / c.tau_s);
    expect(Math.abs(isyn[k]! - iExact)).toBeLessThanOrEqual(1e-9 * Math.abs(c.w));
    expect(Math.abs(v[k]! + 65 - closed(s))).toBeLessThanOrEqual(1e-9 * scale);
  }
}

const pspCases = fc
  .record({
    tau_m: fc.double({ min: 5, max: 40, noNaN: true }),
    ratio: fc.oneof(fc.double({ min: 0.05, max: 0.9, noNaN: true }), fc.double({ min: 1.1, max: 3, noNaN: true })),
    cm: fc.double({ min: 0.1, max: 1, noNaN: true }),
    w: fc.double({ min: 0.01, max: 2, noNaN: true }),
    spikeStep: fc.integer({ min: 1, max: 50 }),
    delaySteps: fc.integer({ min: 1, max: 40 }),
    receptor: fc.constantFrom('excitatory' as const, 'inhibitory' as const),
  })
  .map(({ ratio, receptor, w, ...rest }): PspCase => ({
    ...rest,
    tau_s: rest.tau_m * ratio,
    w: receptor === 'inhibitory' ? -w : w,
    receptor,
    dt: 0.1,
  }));

describe('IF_curr_exp PSC and PSP of a single input spike', () => {
  it('isyn = w·e^{−s/τs} and v − v_rest = w/cm·τmτs/(τm−τs)·(e^{−s/τm} − e^{−s/τs}) at every step, 1e-9 relative to the peak (random τ, cm, w, delay; both receptors)', async () => {
    await fc.assert(
      fc.asyncProperty(pspCases, async (c) => {
        const tmax = ((c.tau_m * c.tau_s) / (c.tau_m - c.tau_s)) * Math.log(c.tau_m / c.tau_s);
        const r = await pspRun(c, Math.ceil((tmax + 5 * Math.max(c.tau_m, c.tau_s)) / c.dt));
        checkPsp(c, r, (s) => pspClosed(c, s), pspClosed(c, tmax));
      }),
      { seed: FC_SEED + 4, numRuns: 30 },
    );
  });

  for (const receptor of ['excitatory', 'inhibitory'] as const) {
    it(`${receptor}: peak time τmτs/(τm−τs)·ln(τm/τs) and peak value w/cm·τs·(τs/τm)^{τs/(τm−τs)} (dt = 0.01 ms; grid peak within one step and ½|u''|dt² below)`, async () => {
      const c: PspCase = { tau_m: 10, tau_s: 2, cm: 0.25, w: receptor === 'excitatory' ? 0.5 : -0.5, spikeStep: 500, delaySteps: 150, dt: 0.01, receptor };
      const tm = c.tau_m;
      const ts = c.tau_s;
      const tmax = ((tm * ts) / (tm - ts)) * Math.log(tm / ts);
      const peak = (c.w / c.cm) * ts * Math.pow(ts / tm, ts / (tm - ts));
      // The two closed forms agree (independent expressions of the same peak).
      expect(Math.abs(pspClosed(c, tmax) - peak)).toBeLessThan(1e-12 * Math.abs(peak));
      const r = await pspRun(c, Math.ceil(60 / c.dt));
      checkPsp(c, r, (s) => pspClosed(c, s), peak);
      const u = Array.from(r.v, (x) => (x + 65) * Math.sign(c.w)); // |PSP|
      let kStar = 0;
      for (let k = 1; k < u.length; k++) if (u[k]! > u[kStar]!) kStar = k;
      const sStar = (kStar - r.k0) * c.dt;
      expect(Math.abs(sStar - tmax)).toBeLessThanOrEqual(c.dt);
      // u'' at the peak: A(e^{−t/τm}/τm² − e^{−t/τs}/τs²)
      const A = (Math.abs(c.w) / c.cm) * ((tm * ts) / (tm - ts));
      const u2 = Math.abs(A * (Math.exp(-tmax / tm) / tm ** 2 - Math.exp(-tmax / ts) / ts ** 2));
      expect(u[kStar]!).toBeLessThanOrEqual(Math.abs(peak) * (1 + 1e-12));
      expect(u[kStar]!).toBeGreaterThanOrEqual(Math.abs(peak) - 0.5 * u2 * c.dt ** 2 * 1.5);
    });
  }

  for (const receptor of ['excitatory', 'inhibitory'] as const) {
    it(`${receptor}, τs = τm: v − v_rest = w/cm·s·e^{−s/τ}, peak w·τ/(cm·e) at s = τ`, async () => {
      const tau = 8;
      const c: PspCase = { tau_m: tau, tau_s: tau, cm: 0.5, w: receptor === 'excitatory' ? 0.8 : -0.8, spikeStep: 10, delaySteps: 7, dt: 0.1, receptor };
      const closed = (s: number) => (c.w / c.cm) * s * Math.exp(-s / tau);
      const peak = (c.w * tau) / (c.cm * Math.E);
      const r = await pspRun(c, Math.ceil(80 / c.dt));
      checkPsp(c, r, closed, peak);
      // s = τ is on the grid here (80 steps): the sample there is the peak.
      const kPeak = r.k0 + Math.round(tau / c.dt);
      expect(Math.abs(r.v[kPeak]! + 65 - peak)).toBeLessThanOrEqual(1e-9 * Math.abs(peak));
      const u = Array.from(r.v, (x) => (x + 65) * Math.sign(c.w));
      expect(u.indexOf(Math.max(...u))).toBe(kPeak);
    });
  }

  it('τs = τm·(1 + 1e-8) is numerically stable: matches the stable form w/cm·e^{−s/τm}·(1 − e^{−sκ})/κ, κ = 1/τs − 1/τm, to 1e-9', async () => {
    const tau = 10;
    const c: PspCase = { tau_m: tau, tau_s: tau * (1 + 1e-8), cm: 0.3, w: 0.4, spikeStep: 5, delaySteps: 3, dt: 0.1, receptor: 'excitatory' };
    const kappa = 1 / c.tau_s - 1 / c.tau_m;
    const closed = (s: number) => (c.w / c.cm) * Math.exp(-s / c.tau_m) * (-Math.expm1(-s * kappa) / kappa);
    const r = await pspRun(c, Math.ceil(80 / c.dt));
    checkPsp(c, r, closed, (c.w * tau) / (c.cm * Math.E));
  });
});
