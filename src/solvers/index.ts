/**
 * Generic ODE solvers for nonlinear models: explicit Euler, classical RK4 and adaptive
 * Dormand–Prince RK5(4). See docs/solvers.md.
 */
import { UnknownNameError } from '../errors.js';
import { createEuler } from './euler.js';
import { createRk4 } from './rk4.js';
import { createRk45 } from './rk45.js';
import { checkOption, type SolverName, type SolverOptions, type Stepper } from './types.js';

export type { Rhs, SolverName, SolverOptions, SolverStats, Stepper } from './types.js';
export { createEuler } from './euler.js';
export { createRk4 } from './rk4.js';
export { createRk45 } from './rk45.js';

export const SOLVERS: readonly { name: SolverName; order: number; adaptive: boolean; doc: string }[] = [
  { name: 'euler', order: 1, adaptive: false, doc: 'Explicit (forward) Euler, fixed step; 1 RHS evaluation per step. Cheap, least accurate.' },
  { name: 'rk4', order: 4, adaptive: false, doc: 'Classical Runge–Kutta, fixed step; 4 RHS evaluations per step.' },
  {
    name: 'rk45',
    order: 5,
    adaptive: true,
    doc: 'Dormand–Prince 5(4), adaptive step with atol/rtol, FSAL; 6 RHS evaluations per step attempt. For accuracy references.',
  },
];

/**
 * Creates a stepper for a state of n components. `h` is the fixed step of euler/rk4 (each
 * advance() takes ceil((t1 − t0)/h − 1e-9) equal steps) and, for rk45, the default hMax.
 */
export function createStepper(name: SolverName, n: number, h: number, opts: SolverOptions = {}): Stepper {
  if (!SOLVERS.some((s) => s.name === name)) {
    throw new UnknownNameError('solver', String(name), SOLVERS.map((s) => s.name), { parameter: 'solver' });
  }
  checkOption(name, 'n (state size)', n, 'positiveInteger');
  checkOption(name, 'h', h, 'positive');
  // Options only rk45 reads are still checked for every solver, so a bad value never passes silently.
  if (opts.atol !== undefined) checkOption(name, 'atol', opts.atol, 'positive');
  if (opts.rtol !== undefined) checkOption(name, 'rtol', opts.rtol, 'nonnegative');
  if (opts.hInitial !== undefined) checkOption(name, 'hInitial', opts.hInitial, 'positive');
  if (opts.hMax !== undefined) checkOption(name, 'hMax', opts.hMax, 'positiveOrInfinite');
  if (opts.hMin !== undefined) checkOption(name, 'hMin', opts.hMin, 'nonnegative');
  if (opts.maxSteps !== undefined) checkOption(name, 'maxSteps', opts.maxSteps, 'positiveInteger');
  switch (name) {
    case 'euler':
      return createEuler(n, h);
    case 'rk4':
      return createRk4(n, h);
    case 'rk45':
      return createRk45(n, h, opts);
  }
}
