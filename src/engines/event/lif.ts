/**
 * Exact subthreshold dynamics of iaf_psc_exp for the event engine, and the search
 * for the first threshold crossing of the free (input-free) trajectory.
 *
 * With u = v − V∞ (V∞ = v_rest + (i_offset + I_stim)·tau_m/cm), a = isyn_exc/cm,
 * b = isyn_inh/cm at the start of a free interval, and λ = 1/tau:
 *
 *   u(t) = D·e^{−λm t} + a·E(t) + b·I(t),   E(t) = e^{−λm t}·φ(δe, t),  φ(δ, t) = (1 − e^{−δt})/δ,
 *
 * δx = λx − λm. E is `propagator21`·cm (src/models/iaf-psc-exp.ts): the same
 * expm1 form, stable for tau_syn → tau_m (φ → t), written as (e^{−λm t} − e^{−λx t})/δ
 * when |δt| ≥ 0.5, where that difference loses no precision (and the two
 * exponentials are already at hand).
 *
 * Crossing search for f(t) = u(t) + V∞ − θ on [0, H]: f'(t) = e^{−λm t}·g(t) with
 * g'(t) = −a·λe·e^{−δe t} − b·λi·e^{−δi t}, whose single possible zero is analytic.
 * So g is monotone on at most two pieces, each holding at most one zero of f'
 * (found by safeguarded Newton); between the (≤ 2) extrema of f, f is monotone and
 * the first piece whose right end has f ≥ 0 brackets the first crossing, which
 * safeguarded Halley/Newton iteration then pins to 1e-14 relative (of the absolute
 * time). No crossing is missed and none is invented, up to rounding in f itself.
 *
 * With one synaptic exponential (tau_syn_E = tau_syn_I, currents merged, or one
 * current zero) the extremum of f is analytic, and so is its height
 * f_max = A + (a/λm)·e^{−λs t_max}: most near misses are ruled out with one log1p
 * pair and one exponential, and the common sign patterns with none.
 */

/** e^{−λm t}·φ(δ, t) with em = e^{−λm t}, es = e^{−λs t} (δ = λs − λm). */
export function pscResponse(delta: number, t: number, em: number, es: number): number {
  const x = delta * t;
  if (x > 0.5 || x < -0.5) return (em - es) / delta;
  if (Math.abs(x) < 1e-14) return em * t;
  return (em * -Math.expm1(-x)) / delta;
}

/**
 * Upper bound (never below) on max_t≥0 of the voltage response to a unit current
 * that starts at 0 and decays with tau_s, i.e. max of propagator21(t, tau_m, tau_s, cm).
 */
export function psc21Max(tauM: number, tauS: number, cm: number): number {
  const lm = 1 / tauM;
  const ls = 1 / tauS;
  const d = ls - lm;
  const tStar = Math.abs(d) < 1e-12 * lm ? tauM : Math.log1p(d / lm) / d;
  const v = pscResponse(d, tStar, Math.exp(-lm * tStar), Math.exp(-ls * tStar)) / cm;
  return v * (1 + 1e-9) + 1e-300;
}

// Coefficients of the function under search, the evaluation point, the last
// evaluation and the searches' arguments and results, all in one typed array: the
// search boxes no doubles even where V8 does not inline a call.
const C_A = 0;
const C_D = 1;
const C_a = 2;
const C_b = 3;
const C_lm = 4;
const C_le = 5;
const C_li = 6;
const C_dE = 7;
const C_dI = 8;
const E_T = 9; // evaluation point
const R_F = 10; // f, f', f'' there
const R_FP = 11;
const R_FPP = 12;
const S_LO = 13; // bracket and values for the searches
const S_HI = 14;
const S_FLO = 15;
const S_FHI = 16;
const S_T0 = 17; // absolute time of t = 0 (tolerance)
const S_OUT = 18;
const S_FPLO = 19; // f' and f'' at the left end when known (it is 0), else NaN
const S_FPPLO = 20;
const S_HIMAX = 21; // 1 when the right end is a maximum of f (f' = 0 there)
const K = new Float64Array(22);
/**
 * NaN as a module constant: TurboFan (Node 20) embeds the global `NaN` as a boxed
 * number, so a double merged with it (`c ? x : NaN`) stays boxed and allocates a
 * HeapNumber per evaluation; merged with a module constant it stays a raw double.
 */
const NAN = NaN;

/** f, f', f'' at K[E_T] into K[R_F], K[R_FP], K[R_FPP]. */
function evalAt(): void {
  const t = K[E_T]!;
  const lm = K[C_lm]!;
  const le = K[C_le]!;
  const a = K[C_a]!;
  const b = K[C_b]!;
  const em = Math.exp(-lm * t);
  const ee = Math.exp(-le * t);
  let u = K[C_D]! * em + a * pscResponse(K[C_dE]!, t, em, ee);
  let drive = a * ee;
  let dd = a * le * ee;
  if (b !== 0) {
    const li = K[C_li]!;
    const ei = Math.exp(-li * t);
    u += b * pscResponse(K[C_dI]!, t, em, ei);
    drive += b * ei;
    dd += b * li * ei;
  }
  const fp = -lm * u + drive;
  K[R_F] = K[C_A]! + u;
  K[R_FP] = fp;
  K[R_FPP] = -lm * fp - dd;
}

function at(t: number): void {
  K[E_T] = t;
  evalAt();
}

const REL_TOL = 1e-14;
const NEWTON_ITERS = 40;
const MAX_ITERS = 160;

/**
 * Zero of f' in (K[S_LO], K[S_HI]), where f' has the sign of K[S_FLO] at the left
 * end and the opposite sign at the right end; result in K[S_OUT].
 */
function zeroOfDerivative(): void {
  let lo = K[S_LO]!;
  let hi = K[S_HI]!;
  const upLo = K[S_FLO]! > 0;
  const tAbs = K[S_T0]!;
  let x = 0.5 * (lo + hi);
  for (let it = 0; it < MAX_ITERS; it++) {
    at(x);
    const fp = K[R_FP]!;
    const fpp = K[R_FPP]!;
    if (fp === 0) {
      lo = hi = x;
      break;
    }
    if (fp > 0 === upLo) lo = x;
    else hi = x;
    const tol = REL_TOL * Math.max(1, tAbs + hi);
    if (hi - lo <= tol) break;
    let xn = it < NEWTON_ITERS && fpp !== 0 ? x - fp / fpp : NAN;
    if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
    else if (Math.abs(xn - x) < tol) {
      // Step past the root by a little so that the bracket closes from the other side.
      xn = xn > x ? Math.min(xn + 0.5 * tol, 0.5 * (xn + hi)) : Math.max(xn - 0.5 * tol, 0.5 * (xn + lo));
    }
    x = xn;
  }
  K[S_OUT] = 0.5 * (lo + hi);
}

/**
 * First t in (K[S_LO], K[S_HI]] with f(t) ≥ 0, where f is increasing there and
 * f(lo) = K[S_FLO] < 0 ≤ f(hi) = K[S_FHI]; result (a point where f ≥ 0 was
 * evaluated, within ~1e-15 relative of the crossing) in K[S_OUT].
 */
function rootOfF(): void {
  let lo = K[S_LO]!;
  let hi = K[S_HI]!;
  const flo = K[S_FLO]!;
  const fhi = K[S_FHI]!;
  const tAbs = K[S_T0]!;
  // Start from Newton's step off the left end when its slope is known (f is
  // mostly concave while it rises), else from the secant point; then safeguarded
  // Halley/Newton.
  const fplo = K[S_FPLO]!;
  const fpplo = K[S_FPPLO]!;
  // Root of the quadratic Taylor model f(lo) + f'(lo)·x + f''(lo)·x²/2 when it has one
  // (written −2f/(f' + √disc) to keep its digits), else Newton's step.
  const disc = fplo * fplo - 2 * fpplo * flo;
  let x = fplo > 0 ? lo - (disc >= 0 ? (2 * flo) / (fplo + Math.sqrt(disc)) : flo / fplo) : NAN;
  // Below a maximum, the parabola with its vertex there through (lo, f(lo)) does better.
  if (K[S_HIMAX] === 1 && fhi > 0) x = hi - (hi - lo) * Math.sqrt(fhi / (fhi - flo));
  if (!(x > lo && x < hi)) x = fhi > flo ? lo + ((hi - lo) * -flo) / (fhi - flo) : 0.5 * (lo + hi);
  if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
  for (let it = 0; it < MAX_ITERS; it++) {
    at(x);
    const f = K[R_F]!;
    const fp = K[R_FP]!;
    if (f >= 0) hi = x;
    else lo = x;
    const tol = REL_TOL * Math.max(1, tAbs + hi);
    if (hi - lo <= tol) break;
    // Halley's step (cubic convergence; f'' comes with the evaluation), Newton's as fallback.
    const fpp = K[R_FPP]!;
    const den = 2 * fp * fp - f * fpp;
    const step = it < NEWTON_ITERS && fp > 0 ? (den > 0 ? (2 * f * fp) / den : f / fp) : NAN;
    // Converged onto a point with f ≥ 0: the crossing lies within tol below it.
    if (f >= 0 && step <= tol) break;
    let xn = x - step;
    if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
    else if (-step <= 0.5 * tol) {
      // Converged from below: step just past the crossing to land on f ≥ 0.
      xn = Math.min(xn + 0.5 * tol, 0.5 * (xn + hi));
    }
    x = xn;
  }
  K[S_OUT] = hi;
}

/**
 * Arguments and result of `firstCrossing`, passed in a typed array so that calls
 * box no doubles: set the ARG_* slots, call, read CROSSING[OUT_T].
 */
export const CROSSING = new Float64Array(11);
/** V∞ − θ */
export const ARG_A = 0;
/** v0 − V∞ */
export const ARG_D = 1;
/** isyn_exc/cm (or the summed current/cm when tau_syn_E = tau_syn_I) */
export const ARG_a = 2;
/** isyn_inh/cm (0 when merged into ARG_a) */
export const ARG_b = 3;
/** 1/tau_m, 1/tau_syn_E, 1/tau_syn_I */
export const ARG_LM = 4;
export const ARG_LE = 5;
export const ARG_LI = 6;
/** Horizon H (> 0 or nothing is searched). */
export const ARG_H = 7;
/** A time beyond which every exponential is negligible (≈ 50·max tau). */
export const ARG_HCAP = 8;
/** Absolute time of t = 0 (for the relative tolerance). */
export const ARG_T0 = 9;
/** Result: offset t ∈ [0, H] of the first crossing, or −1. */
export const OUT_T = 10;

/**
 * Offset t ∈ [0, H] of the first time the free trajectory reaches the threshold,
 * or −1 if it does not before H; arguments and result in CROSSING (see ARG_*).
 */
export function firstCrossing(): void {
  const X = CROSSING;
  const A = X[ARG_A]!;
  const D = X[ARG_D]!;
  if (A + D >= 0) {
    X[OUT_T] = 0;
    return;
  }
  const H = X[ARG_H]!;
  if (!(H > 0)) {
    X[OUT_T] = -1;
    return;
  }
  const a = X[ARG_a]!;
  const b = X[ARG_b]!;
  const lm = X[ARG_LM]!;
  const le = X[ARG_LE]!;
  const li = X[ARG_LI]!;
  const hCap = X[ARG_HCAP]!;
  K[C_A] = A;
  K[C_D] = D;
  K[C_a] = a;
  K[C_b] = b;
  K[C_lm] = lm;
  K[C_le] = le;
  K[C_li] = li;
  K[C_dE] = le - lm;
  K[C_dI] = li - lm;
  K[S_T0] = X[ARG_T0]!;
  const Hc = H < hCap ? H : hCap;
  // g = f'·e^{λm t} is monotone on [0, tg] and [tg, Hc]; tg is the zero of g' if inside.
  let tg = -1;
  // With a single synaptic exponential (b = 0) the zero of f' itself is analytic:
  // e^{−δt} = λm(Dδ + a)/(a·λs), i.e. t = (log1p(δ/λm) − log1p(Dδ/a))/δ (→ 1/λm − D/a as δ → 0).
  let tz = -1;
  if (b === 0) {
    // f'(0) = a − λm·D, and g' = −a·λs·e^{−δt} has the sign of −a.
    if (a <= 0 && A < 0) {
      // f' changes sign at most from − to +, after which f rises towards A < 0.
      X[OUT_T] = -1;
      return;
    }
    if (a > 0 && a - lm * D <= 0) {
      // f' < 0 for all t > 0.
      X[OUT_T] = -1;
      return;
    }
    if (a !== 0) {
      const d = le - lm;
      const r = (D * d) / a;
      if (r > -1) {
        const z = d === 0 ? 1 / lm - D / a : (Math.log1p(d / lm) - Math.log1p(r)) / d;
        if (z > 0 && z < Hc) tz = z;
      }
    }
  } else if (a !== 0 && li !== le) {
    const r = -(b * li) / (a * le);
    if (r > 0) {
      const z = Math.log(r) / (li - le);
      if (z > 0 && z < Hc) tg = z;
    }
  }
  let last = 0;
  let fLast = A + D;
  if (b === 0) {
    // Pieces [0, tz] and [tz, Hc], f monotone on each.
    if (tz > 0) {
      if (a > 0) {
        // tz is the maximum, where D·e^{−λm t} + a·E = (a/λm)·e^{−λs t}: one exponential
        // rules most near misses out before f itself is evaluated.
        if (A + (a / lm) * Math.exp(-le * tz) < -1e-12 * Math.abs(A)) {
          X[OUT_T] = -1;
          return;
        }
      }
      at(tz);
      const fz = K[R_F]!;
      if (fz >= 0) {
        K[S_HIMAX] = a > 0 ? 1 : 0;
        X[OUT_T] = solve(0, tz, fLast, fz);
        K[S_HIMAX] = 0;
        return;
      }
      last = tz;
      fLast = fz;
    }
    at(Hc);
    const fq = K[R_F]!;
    if (fq >= 0) {
      X[OUT_T] = solve(last, Hc, fLast, fq);
      return;
    }
  } else {
    at(0);
    let fpPrev = K[R_FP]!;
    let p = 0;
    for (let piece = 0; piece < 2; piece++) {
      const q = piece === 0 && tg > 0 ? tg : Hc;
      at(q);
      const fpq = K[R_FP]!;
      const fq = K[R_F]!;
      if ((fpPrev < 0 && fpq > 0) || (fpPrev > 0 && fpq < 0)) {
        K[S_LO] = p;
        K[S_HI] = q;
        K[S_FLO] = fpPrev;
        zeroOfDerivative();
        const z = K[S_OUT]!;
        at(z);
        const fz = K[R_F]!;
        if (fz >= 0) {
          X[OUT_T] = solve(last, z, fLast, fz);
          return;
        }
        last = z;
        fLast = fz;
      }
      if (fq >= 0) {
        X[OUT_T] = solve(last, q, fLast, fq);
        return;
      }
      last = q;
      fLast = fq;
      p = q;
      fpPrev = fpq;
      if (q === Hc) break;
    }
  }
  // Beyond hCap every exponential has decayed by e^−50: f ≈ A, monotone in practice.
  if (Hc < H && A > 0) {
    at(H);
    const fH = K[R_F]!;
    if (fH >= 0) {
      X[OUT_T] = solve(Hc, H, fLast, fH);
      return;
    }
  }
  X[OUT_T] = -1;
}

function solve(lo: number, hi: number, flo: number, fhi: number): number {
  if (lo === 0) {
    // At t = 0 the derivatives need no exponentials.
    const a = K[C_a]!;
    const b = K[C_b]!;
    const lm = K[C_lm]!;
    const fp0 = a + b - lm * K[C_D]!;
    K[S_FPLO] = fp0;
    K[S_FPPLO] = -lm * fp0 - a * K[C_le]! - b * K[C_li]!;
  } else {
    K[S_FPLO] = NAN;
    K[S_FPPLO] = NAN;
  }
  K[S_LO] = lo;
  K[S_HI] = hi;
  K[S_FLO] = flo;
  K[S_FHI] = fhi;
  rootOfF();
  return K[S_OUT]!;
}
