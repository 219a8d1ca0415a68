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
 * safeguarded Newton then pins to ~1e-15 relative. No crossing is missed and none
 * is invented, up to rounding in f itself.
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

// Coefficients of the function under search and the last evaluation (module
// scratch: the search allocates nothing).
let cA = 0;
let cD = 0;
let ca = 0;
let cb = 0;
let clm = 0;
let cle = 0;
let cli = 0;
let cdE = 0;
let cdI = 0;
let F = 0;
let FP = 0;
let FPP = 0;

/** f, f', f'' at t into F, FP, FPP. */
function evalAt(t: number): void {
  const em = Math.exp(-clm * t);
  const ee = Math.exp(-cle * t);
  let u = cD * em + ca * pscResponse(cdE, t, em, ee);
  let drive = ca * ee;
  let dd = ca * cle * ee;
  if (cb !== 0) {
    const ei = Math.exp(-cli * t);
    u += cb * pscResponse(cdI, t, em, ei);
    drive += cb * ei;
    dd += cb * cli * ei;
  }
  F = cA + u;
  FP = -clm * u + drive;
  FPP = -clm * FP - dd;
}

const REL_TOL = 2e-15;
const NEWTON_ITERS = 40;
const MAX_ITERS = 160;

/** Zero of f' in (lo, hi), where f' has sign `sLo` at lo and the opposite sign at hi. */
function zeroOfDerivative(lo: number, hi: number, sLo: number, tAbs: number): number {
  let x = 0.5 * (lo + hi);
  for (let it = 0; it < MAX_ITERS; it++) {
    evalAt(x);
    if (FP === 0) return x;
    if (FP > 0 === sLo > 0) lo = x;
    else hi = x;
    const tol = REL_TOL * Math.max(1, tAbs + hi);
    if (hi - lo <= tol) break;
    let xn = it < NEWTON_ITERS && FPP !== 0 ? x - FP / FPP : NaN;
    if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
    else if (Math.abs(xn - x) < tol) {
      // Step past the root by a little so that the bracket closes from the other side.
      xn = xn > x ? Math.min(xn + 0.5 * tol, 0.5 * (xn + hi)) : Math.max(xn - 0.5 * tol, 0.5 * (xn + lo));
    }
    x = xn;
  }
  return 0.5 * (lo + hi);
}

/** First t in (lo, hi] with f(t) ≥ 0, where f is increasing there, f(lo) < 0 ≤ f(hi). */
function rootOfF(lo: number, hi: number, tAbs: number): number {
  let x = hi;
  for (let it = 0; it < MAX_ITERS; it++) {
    evalAt(x);
    if (F >= 0) hi = x;
    else lo = x;
    const tol = REL_TOL * Math.max(1, tAbs + hi);
    if (hi - lo <= tol) break;
    let xn = it < NEWTON_ITERS && FP > 0 ? x - F / FP : NaN;
    if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
    else if (Math.abs(xn - x) < tol) {
      xn = xn > x ? Math.min(xn + 0.5 * tol, 0.5 * (xn + hi)) : Math.max(xn - 0.5 * tol, 0.5 * (xn + lo));
    }
    x = xn;
  }
  return hi;
}

/**
 * Offset t ∈ [0, H] of the first time the free trajectory reaches the threshold,
 * or −1 if it does not before H.
 *   A = V∞ − θ, D = v0 − V∞, a = isyn_exc/cm, b = isyn_inh/cm (pass b = 0 and a
 *   summed current when tau_syn_E = tau_syn_I), lm, le, li = 1/tau,
 *   hCap: a time beyond which every exponential is negligible (≈ 50·max tau),
 *   tAbs: absolute time of t = 0 (for the relative tolerance).
 */
export function firstCrossing(A: number, D: number, a: number, b: number, lm: number, le: number, li: number, H: number, hCap: number, tAbs: number): number {
  if (A + D >= 0) return 0;
  if (!(H > 0)) return -1;
  cA = A;
  cD = D;
  ca = a;
  cb = b;
  clm = lm;
  cle = le;
  cli = li;
  cdE = le - lm;
  cdI = li - lm;
  const Hc = H < hCap ? H : hCap;
  // Breakpoints of g's monotonicity: the zero of g' (when inside) and the horizon.
  let tg = -1;
  if (a !== 0 && b !== 0 && li !== le) {
    const r = -(b * li) / (a * le);
    if (r > 0) {
      const z = Math.log(r) / (li - le);
      if (z > 0 && z < Hc) tg = z;
    }
  }
  evalAt(0);
  let fpPrev = FP;
  let p = 0;
  let last = 0;
  for (let piece = 0; piece < 2; piece++) {
    const q = piece === 0 && tg > 0 ? tg : Hc;
    evalAt(q);
    const fpq = FP;
    const fq = F;
    if ((fpPrev < 0 && fpq > 0) || (fpPrev > 0 && fpq < 0)) {
      const z = zeroOfDerivative(p, q, fpPrev, tAbs);
      evalAt(z);
      if (F >= 0) return rootOfF(last, z, tAbs);
      last = z;
    }
    if (fq >= 0) return rootOfF(last, q, tAbs);
    last = q;
    p = q;
    fpPrev = fpq;
    if (q === Hc) break;
  }
  // Beyond hCap every exponential has decayed by e^−50: f ≈ A, monotone in practice.
  if (Hc < H && A > 0) {
    evalAt(H);
    if (F >= 0) return rootOfF(Hc, H, tAbs);
  }
  return -1;
}
