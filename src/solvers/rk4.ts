/**
 * Classical Runge–Kutta, order 4 (Kutta 1901). Four RHS evaluations per step:
 *   k1 = f(t, y), k2 = f(t + h/2, y + h/2·k1), k3 = f(t + h/2, y + h/2·k2), k4 = f(t + h, y + h·k3),
 *   y_{k+1} = y + h/6·(k1 + 2k2 + 2k3 + k4).
 */
import { checkAdvance, checkOption, nonFiniteError, type Rhs, type SolverStats, type Stepper } from './types.js';

export function createRk4(n: number, h: number): Stepper {
  checkOption('rk4', 'h', h, 'positive');
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const yt = new Float64Array(n);
  const stats: SolverStats = { steps: 0, rejected: 0, rhsEvaluations: 0 };
  return {
    name: 'rk4',
    stats,
    reset() {},
    advance(t0: number, t1: number, y: Float64Array, rhs: Rhs) {
      checkAdvance('rk4', n, t0, t1, y);
      const m = Math.ceil((t1 - t0) / h - 1e-9);
      if (m <= 0) return;
      const hs = (t1 - t0) / m;
      const half = hs / 2;
      for (let s = 0; s < m; s++) {
        const t = t0 + s * hs;
        const tEnd = s + 1 === m ? t1 : t0 + (s + 1) * hs;
        rhs(t, y, k1);
        for (let i = 0; i < n; i++) yt[i] = y[i]! + half * k1[i]!;
        rhs(t + half, yt, k2);
        for (let i = 0; i < n; i++) yt[i] = y[i]! + half * k2[i]!;
        rhs(t + half, yt, k3);
        for (let i = 0; i < n; i++) yt[i] = y[i]! + hs * k3[i]!;
        rhs(tEnd, yt, k4);
        stats.rhsEvaluations += 4;
        let nan = 0; // stays 0 unless some component is NaN or ±Infinity
        for (let i = 0; i < n; i++) {
          const v = y[i]! + (hs / 6) * (k1[i]! + 2 * (k2[i]! + k3[i]!) + k4[i]!);
          y[i] = v;
          nan += v * 0;
        }
        stats.steps++;
        if (nan !== 0) throw nonFiniteError('rk4', 'the state', tEnd);
      }
    },
  };
}
