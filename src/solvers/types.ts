/**
 * Generic ODE solvers: the shared types, and the few checks every stepper makes.
 * The solvers integrate y' = f(t, y) for a state vector y stored in a Float64Array.
 */
import { SimulationError, ValidationError } from '../errors.js';

/** Writes dy/dt at (t, y) into out. Must not keep references to y or out. */
export type Rhs = (t: number, y: Float64Array, out: Float64Array) => void;

export type SolverName = 'euler' | 'rk4' | 'rk45';

export interface SolverOptions {
  /** Absolute tolerance, > 0 (rk45 only; default 1e-6). */
  atol?: number;
  /** Relative tolerance, ≥ 0 (rk45 only; default 1e-6). */
  rtol?: number;
  /** First step size, > 0 (rk45 only; default: the Hairer–Nørsett–Wanner heuristic). */
  hInitial?: number;
  /** Largest step size, > 0, may be Infinity (rk45 only; default: the `h` given to createStepper). */
  hMax?: number;
  /** Smallest step size before the run fails, ≥ 0 (rk45 only; default 0, the floor is always ≥ 1e-12·|t|). */
  hMin?: number;
  /** Most attempted steps in one advance() call, a positive integer (rk45 only; default 100 000). */
  maxSteps?: number;
}

/** Cumulative since the stepper was created. */
export interface SolverStats {
  /** Accepted steps. */
  steps: number;
  /** Rejected step attempts (always 0 for fixed-step solvers). */
  rejected: number;
  /** Calls of the right-hand side. */
  rhsEvaluations: number;
}

/**
 * A stepper is created once per run; it owns its scratch arrays (allocated once, no allocation per
 * step). advance(t0, t1, y, rhs) integrates y in place from t0 to t1 and lands exactly on t1.
 * reset() tells it the RHS changed discontinuously (rk45 then recomputes its FSAL derivative).
 */
export interface Stepper {
  readonly name: SolverName;
  advance(t0: number, t1: number, y: Float64Array, rhs: Rhs): void;
  reset(): void;
  readonly stats: SolverStats;
}

/** Throws a ValidationError unless `value` is a number in the given range. */
export function checkOption(
  solver: SolverName,
  parameter: string,
  value: number,
  kind: 'positive' | 'positiveOrInfinite' | 'nonnegative' | 'positiveInteger',
): void {
  const ok =
    kind === 'positive' ? Number.isFinite(value) && value > 0
    : kind === 'positiveOrInfinite' ? value > 0
    : kind === 'nonnegative' ? Number.isFinite(value) && value >= 0
    : Number.isInteger(value) && value > 0;
  if (ok) return;
  const expected = {
    positive: 'a finite number > 0',
    positiveOrInfinite: 'a number > 0 (Infinity allowed)',
    nonnegative: 'a finite number ≥ 0',
    positiveInteger: 'an integer ≥ 1',
  }[kind];
  throw new ValidationError(`solver "${solver}": ${parameter} must be ${expected}, got ${value}.`, {
    object: `solver "${solver}"`,
    parameter,
    expected,
  });
}

/** Checks the arguments of advance(). */
export function checkAdvance(solver: SolverName, n: number, t0: number, t1: number, y: Float64Array): void {
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 < t0) {
    throw new ValidationError(`solver "${solver}": advance() needs finite t0 ≤ t1, got t0 = ${t0}, t1 = ${t1}.`, {
      object: `solver "${solver}"`,
      parameter: 't1',
      expected: `finite, ≥ t0`,
    });
  }
  if (y.length !== n) {
    throw new ValidationError(`solver "${solver}": the state has ${y.length} components, the stepper was made for ${n}.`, {
      object: `solver "${solver}"`,
      parameter: 'y',
      expected: `length ${n}`,
    });
  }
}

/** The error for a state or derivative that became NaN or ±Infinity. */
export function nonFiniteError(solver: SolverName, what: string, t: number): SimulationError {
  return new SimulationError(
    `solver "${solver}": ${what} became non-finite (NaN or Infinity) at t = ${t}. ` +
      `The solution may blow up there, or the step is too large for the model: check the model and its parameters, or use a smaller step or rk45.`,
    { object: `solver "${solver}"`, parameter: 'y', fix: 'check the model; lower the step size or use rk45' },
  );
}
