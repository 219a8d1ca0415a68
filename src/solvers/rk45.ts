/**
 * Adaptive Runge–Kutta 5(4) of Dormand & Prince, with FSAL ("first same as last") and step-size
 * control, as in DOPRI5.
 *
 * Coefficients: J. R. Dormand and P. J. Prince, "A family of embedded Runge–Kutta formulae",
 * J. Comput. Appl. Math. 6 (1980) 19–26, Table 2 (RK5(4)7M). Step-size control, the error norm and
 * the starting step: E. Hairer, S. P. Nørsett and G. Wanner, Solving Ordinary Differential
 * Equations I, 2nd ed., Springer 1993, §II.4 (eq. 4.11–4.13, and the algorithm for the starting
 * step size on p. 169).
 *
 * One step advances the 5th-order solution (local extrapolation); the difference to the embedded
 * 4th-order solution estimates the local error. Its 7th stage is f at the new point, which is the
 * first stage of the next step, so an accepted step costs 6 new RHS evaluations.
 */
import { SimulationError, ValidationError } from '../errors.js';
import {
  checkAdvance,
  checkOption,
  nonFiniteError,
  type Rhs,
  type SolverOptions,
  type SolverStats,
  type Stepper,
} from './types.js';

// Butcher tableau (Dormand & Prince 1980).
const C2 = 1 / 5, C3 = 3 / 10, C4 = 4 / 5, C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40, A32 = 9 / 40;
const A41 = 44 / 45, A42 = -56 / 15, A43 = 32 / 9;
const A51 = 19372 / 6561, A52 = -25360 / 2187, A53 = 64448 / 6561, A54 = -212 / 729;
const A61 = 9017 / 3168, A62 = -355 / 33, A63 = 46732 / 5247, A64 = 49 / 176, A65 = -5103 / 18656;
// 5th-order weights (= the 7th row of A; b2 = 0, b7 = 0).
const B1 = 35 / 384, B3 = 500 / 1113, B4 = 125 / 192, B5 = -2187 / 6784, B6 = 11 / 84;
// E = b − b̂, b̂ being the embedded 4th-order weights
// (5179/57600, 0, 7571/16695, 393/640, −92097/339200, 187/2100, 1/40).
const E1 = 71 / 57600, E3 = -71 / 16695, E4 = 71 / 1920, E5 = -17253 / 339200, E6 = 22 / 525, E7 = -1 / 40;

// Step-size controller (HNW §II.4): h_new = h · clamp(SAFETY · err^(−1/5), FAC_MIN, FAC_MAX).
const SAFETY = 0.9;
const FAC_MIN = 0.2;
const FAC_MAX = 5;
/** The step-size floor is at least this times |t|, so that t + h ≠ t. */
const REL_FLOOR = 1e-12;

export function createRk45(n: number, h: number, opts: SolverOptions = {}): Stepper {
  checkOption('rk45', 'h', h, 'positive');
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-6;
  const hMax = opts.hMax ?? h;
  const hMin = opts.hMin ?? 0;
  const maxSteps = opts.maxSteps ?? 100_000;
  checkOption('rk45', 'atol', atol, 'positive');
  checkOption('rk45', 'rtol', rtol, 'nonnegative');
  checkOption('rk45', 'hMax', hMax, 'positiveOrInfinite');
  checkOption('rk45', 'hMin', hMin, 'nonnegative');
  checkOption('rk45', 'maxSteps', maxSteps, 'positiveInteger');
  if (opts.hInitial !== undefined) checkOption('rk45', 'hInitial', opts.hInitial, 'positive');
  if (hMin > hMax) {
    throw new ValidationError(`solver "rk45": hMin (${hMin}) must not exceed hMax (${hMax}).`, {
      object: 'solver "rk45"',
      parameter: 'hMin',
      expected: `≤ hMax = ${hMax}`,
    });
  }

  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n);
  const k5 = new Float64Array(n), k6 = new Float64Array(n);
  const k7 = new Float64Array(n);
  const yt = new Float64Array(n); // stage arguments
  const yNew = new Float64Array(n);
  const yLast = new Float64Array(n); // the state after the last advance(), to tell whether k1 is still f(t, y)
  const stats: SolverStats = { steps: 0, rejected: 0, rhsEvaluations: 0 };

  let fsal = false; // k1 holds f(tLast, yLast)
  let tLast = NaN;
  let hNext = 0; // the step size the controller wants next; 0 until the first step

  /** RMS norm of v scaled by atol + rtol·|y| (HNW eq. 4.11 with the weights of p. 169). */
  function scaledNorm(v: Float64Array, y: Float64Array): number {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const q = v[i]! / (atol + rtol * Math.abs(y[i]!));
      s += q * q;
    }
    return Math.sqrt(s / n);
  }

  /** Starting step size (HNW p. 169); needs k1 = f(t, y). Uses k2, k3 as scratch; one RHS evaluation. */
  function initialStep(t: number, y: Float64Array, rhs: Rhs): number {
    const d0 = scaledNorm(y, y);
    const d1 = scaledNorm(k1, y);
    const h0 = Math.min(d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1), hMax);
    for (let i = 0; i < n; i++) k2[i] = y[i]! + h0 * k1[i]!;
    rhs(t + h0, k2, k3);
    stats.rhsEvaluations++;
    for (let i = 0; i < n; i++) k3[i] = k3[i]! - k1[i]!;
    const d2 = scaledNorm(k3, y) / h0;
    const dm = Math.max(d1, d2);
    const h1 = dm <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / dm, 1 / 5);
    const h = Math.min(100 * h0, h1, hMax);
    return Number.isFinite(h) && h > 0 ? h : h0;
  }

  function derivative(t: number, y: Float64Array, rhs: Rhs): void {
    rhs(t, y, k1);
    stats.rhsEvaluations++;
    for (let i = 0; i < n; i++) if (!Number.isFinite(k1[i]!) || !Number.isFinite(y[i]!)) {
      throw nonFiniteError('rk45', Number.isFinite(y[i]!) ? 'the derivative' : 'the state', t);
    }
    fsal = true;
  }

  function sameAsLast(t: number, y: Float64Array): boolean {
    if (!fsal || t !== tLast) return false;
    for (let i = 0; i < n; i++) if (y[i] !== yLast[i]) return false;
    return true;
  }

  return {
    name: 'rk45',
    stats,
    reset() {
      fsal = false;
    },
    advance(t0: number, t1: number, y: Float64Array, rhs: Rhs) {
      checkAdvance('rk45', n, t0, t1, y);
      if (t1 === t0) return;
      if (!sameAsLast(t0, y)) derivative(t0, y, rhs);
      if (hNext === 0) hNext = opts.hInitial !== undefined ? Math.min(opts.hInitial, hMax) : initialStep(t0, y, rhs);

      let t = t0;
      let attempts = 0;
      let rejectedBefore = false;
      while (t < t1) {
        if (++attempts > maxSteps) {
          throw new SimulationError(
            `solver "rk45": more than ${maxSteps} step attempts between t = ${t0} and t = ${t1} (stuck at t = ${t}, h = ${hNext}). ` +
              `Loosen atol/rtol, raise maxSteps, or check the model for stiffness or a singularity.`,
            { object: 'solver "rk45"', parameter: 'maxSteps', fix: 'loosen atol/rtol, raise maxSteps, or check the model' },
          );
        }
        let hs = Math.min(hNext, hMax);
        // Stretch the step by up to 1% (not beyond hMax) rather than leave a sliver before t1 (as DOPRI5 does).
        const last = t + Math.min(1.01 * hs, hMax) >= t1;
        if (last) hs = t1 - t;
        const tNew = last ? t1 : t + hs;

        for (let i = 0; i < n; i++) yt[i] = y[i]! + hs * (A21 * k1[i]!);
        rhs(t + C2 * hs, yt, k2);
        for (let i = 0; i < n; i++) yt[i] = y[i]! + hs * (A31 * k1[i]! + A32 * k2[i]!);
        rhs(t + C3 * hs, yt, k3);
        for (let i = 0; i < n; i++) yt[i] = y[i]! + hs * (A41 * k1[i]! + A42 * k2[i]! + A43 * k3[i]!);
        rhs(t + C4 * hs, yt, k4);
        for (let i = 0; i < n; i++) yt[i] = y[i]! + hs * (A51 * k1[i]! + A52 * k2[i]! + A53 * k3[i]! + A54 * k4[i]!);
        rhs(t + C5 * hs, yt, k5);
        for (let i = 0; i < n; i++) {
          yt[i] = y[i]! + hs * (A61 * k1[i]! + A62 * k2[i]! + A63 * k3[i]! + A64 * k4[i]! + A65 * k5[i]!);
        }
        rhs(tNew, yt, k6);
        for (let i = 0; i < n; i++) {
          yNew[i] = y[i]! + hs * (B1 * k1[i]! + B3 * k3[i]! + B4 * k4[i]! + B5 * k5[i]! + B6 * k6[i]!);
        }
        rhs(tNew, yNew, k7);
        stats.rhsEvaluations += 6;

        // Error norm (HNW eq. 4.11): RMS of err_i / (atol + rtol·max(|y_i|, |y_new_i|)).
        let s = 0;
        let nan = 0; // stays 0 unless y_new or f(t_new, y_new) has a NaN or ±Infinity
        for (let i = 0; i < n; i++) {
          const e = hs * (E1 * k1[i]! + E3 * k3[i]! + E4 * k4[i]! + E5 * k5[i]! + E6 * k6[i]! + E7 * k7[i]!);
          const q = e / (atol + rtol * Math.max(Math.abs(y[i]!), Math.abs(yNew[i]!)));
          s += q * q;
          nan += yNew[i]! * 0 + k7[i]! * 0;
        }
        const err = nan === 0 ? Math.sqrt(s / n) : NaN; // a non-finite trial step is rejected below

        if (err <= 1) {
          let fac = err === 0 ? FAC_MAX : Math.min(FAC_MAX, Math.max(FAC_MIN, SAFETY * Math.pow(err, -1 / 5)));
          if (rejectedBefore) fac = Math.min(fac, 1); // no growth right after a rejection (HNW p. 168)
          // A step shortened to land on t1 should not shrink the step size kept for the next call.
          hNext = Math.min(hMax, last ? Math.max(hs * fac, hNext) : hs * fac);
          y.set(yNew);
          k1.set(k7); // FSAL: the last stage of this step is the first of the next
          t = tNew;
          stats.steps++;
          rejectedBefore = false;
        } else {
          const fac = Number.isFinite(err) ? Math.max(FAC_MIN, SAFETY * Math.pow(err, -1 / 5)) : FAC_MIN;
          hNext = hs * fac;
          stats.rejected++;
          rejectedBefore = true;
          const floor = Math.max(hMin, REL_FLOOR * Math.max(Math.abs(t), Math.abs(t1)));
          if (hNext < floor) {
            throw new SimulationError(
              `solver "rk45": step size underflow at t = ${t} (h = ${hNext} < ${floor}` +
                `${Number.isFinite(err) ? '' : '; the trial steps went non-finite'}). ` +
                `The solution may blow up or be discontinuous there: check the model, or loosen atol/rtol or lower hMin.`,
              { object: 'solver "rk45"', parameter: 'hMin', fix: 'check the model; loosen atol/rtol or lower hMin' },
            );
          }
        }
      }
      yLast.set(y);
      tLast = t1;
    },
  };
}
