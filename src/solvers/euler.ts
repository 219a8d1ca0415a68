/**
 * Explicit (forward) Euler, order 1: y_{k+1} = y_k + h·f(t_k, y_k). One RHS evaluation per step.
 */
import { checkAdvance, checkOption, nonFiniteError, type Rhs, type SolverStats, type Stepper } from './types.js';

export function createEuler(n: number, h: number): Stepper {
  checkOption('euler', 'h', h, 'positive');
  const k = new Float64Array(n);
  const stats: SolverStats = { steps: 0, rejected: 0, rhsEvaluations: 0 };
  return {
    name: 'euler',
    stats,
    reset() {},
    advance(t0: number, t1: number, y: Float64Array, rhs: Rhs) {
      checkAdvance('euler', n, t0, t1, y);
      const m = Math.ceil((t1 - t0) / h - 1e-9);
      if (m <= 0) return;
      const hs = (t1 - t0) / m;
      for (let s = 0; s < m; s++) {
        const t = t0 + s * hs;
        rhs(t, y, k);
        stats.rhsEvaluations++;
        let nan = 0; // stays 0 unless some component is NaN or ±Infinity
        for (let i = 0; i < n; i++) {
          const v = y[i]! + hs * k[i]!;
          y[i] = v;
          nan += v * 0;
        }
        stats.steps++;
        if (nan !== 0) throw nonFiniteError('euler', 'the state', s + 1 === m ? t1 : t + hs);
      }
    },
  };
}
