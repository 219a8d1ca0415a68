import { describe, expect, it } from 'vitest';
import { SimulationError, UnknownNameError, ValidationError } from '../src/errors.js';
import { createStepper, SOLVERS, type Rhs, type SolverName, type SolverOptions } from '../src/solvers/index.js';

/** A test problem with a closed-form solution. */
interface Problem {
  name: string;
  rhs: Rhs;
  y0: number[];
  T: number;
  exact: (t: number) => number[];
}

const k = 3;
const decay: Problem = { name: "y' = -k y", rhs: (_t, y, o) => { o[0] = -k * y[0]!; }, y0: [1], T: 2, exact: (t) => [Math.exp(-k * t)] };
const oscillator: Problem = {
  name: 'harmonic oscillator',
  rhs: (_t, y, o) => { o[0] = y[1]!; o[1] = -y[0]!; },
  y0: [1, 0],
  T: 10,
  exact: (t) => [Math.cos(t), -Math.sin(t)],
};
const r = 2, K = 10;
const logistic: Problem = {
  name: 'logistic',
  rhs: (_t, y, o) => { o[0] = r * y[0]! * (1 - y[0]! / K); },
  y0: [0.5],
  T: 6,
  exact: (t) => [K / (1 + (K / 0.5 - 1) * Math.exp(-r * t))],
};
const ty2: Problem = { name: "y' = -2 t y²", rhs: (t, y, o) => { o[0] = -2 * t * y[0]! * y[0]!; }, y0: [1], T: 2, exact: (t) => [1 / (1 + t * t)] };
const cosine: Problem = { name: "y' = cos t", rhs: (t, _y, o) => { o[0] = Math.cos(t); }, y0: [0], T: 3, exact: (t) => [Math.sin(t)] };
const PROBLEMS = [decay, oscillator, logistic, ty2, cosine];

/** Integrates p over [0, p.T] in one advance() call; returns the max-norm error and the stepper. */
function solve(p: Problem, name: SolverName, h: number, opts?: SolverOptions, T = p.T) {
  const stepper = createStepper(name, p.y0.length, h, opts);
  const y = Float64Array.from(p.y0);
  stepper.advance(0, T, y, p.rhs);
  const ex = p.exact(T);
  return { error: Math.max(...ex.map((e, i) => Math.abs(y[i]! - e))), y, stepper };
}

/** Observed orders log2(e(h)/e(h/2)) for h, h/2, h/4, h/8. */
function observedOrders(p: Problem, name: SolverName, h: number, opts?: (h: number) => SolverOptions): number[] {
  const errors = [1, 2, 4, 8].map((d) => solve(p, name, h / d, opts?.(h / d)).error);
  return errors.slice(1).map((e, i) => Math.log2(errors[i]! / e));
}

describe('catalogue', () => {
  it('lists euler, rk4 and rk45 with their orders', () => {
    expect(SOLVERS.map((s) => [s.name, s.order, s.adaptive])).toEqual([
      ['euler', 1, false],
      ['rk4', 4, false],
      ['rk45', 5, true],
    ]);
    for (const s of SOLVERS) expect(createStepper(s.name, 2, 0.1).name).toBe(s.name);
  });
});

describe('known solutions', () => {
  // Step or tolerance per solver, and the error each must reach on every problem.
  const setups: [SolverName, number, SolverOptions, number][] = [
    ['euler', 1e-4, {}, 2e-3],
    ['rk4', 1e-2, {}, 1e-7],
    ['rk45', 1, { atol: 1e-9, rtol: 1e-9 }, 1e-8],
  ];
  for (const [name, h, opts, bound] of setups) {
    for (const p of PROBLEMS) {
      it(`${name} solves ${p.name}`, () => {
        expect(solve(p, name, h, opts).error).toBeLessThan(bound);
      });
    }
  }

  it('euler and rk4 on the oscillator match their exact amplification (energy and phase)', () => {
    // One step multiplies z = y0 − i·y1 by R(ih): Euler R = 1 + ih, RK4 R = 1 − h²/2 + h⁴/24 + i(h − h³/6).
    const h = 0.01;
    const N = 10_000;
    const cases: [SolverName, number, number][] = [
      ['euler', 1, h],
      ['rk4', 1 - (h * h) / 2 + h ** 4 / 24, h - h ** 3 / 6],
    ];
    for (const [name, re, im] of cases) {
      const { y } = solve(oscillator, name, h, {}, N * h);
      const energy = y[0]! ** 2 + y[1]! ** 2;
      const phase = Math.atan2(-y[1]!, y[0]!);
      const wantPhase = Math.atan2(Math.sin(N * Math.atan2(im, re)), Math.cos(N * Math.atan2(im, re)));
      expect(energy / (re * re + im * im) ** N).toBeCloseTo(1, 9);
      expect(phase).toBeCloseTo(wantPhase, 9);
    }
    // RK4 at h = 0.01 keeps energy and phase to ~1e-10 over 100 time units; Euler gains ~10% energy at h = 0.001.
    const rk4 = solve(oscillator, 'rk4', 0.01, {}, 100).y;
    expect(Math.abs(rk4[0]! ** 2 + rk4[1]! ** 2 - 1)).toBeLessThan(1e-9);
    expect(Math.abs(Math.atan2(-rk4[1]!, rk4[0]!) - Math.atan2(Math.sin(100), Math.cos(100)))).toBeLessThan(1e-7);
    const eu = solve(oscillator, 'euler', 0.001, {}, 100).y;
    expect(eu[0]! ** 2 + eu[1]! ** 2 - 1).toBeCloseTo(Math.expm1(1e5 * Math.log1p(1e-6)), 6);
  });

  it('rk45 keeps the oscillator energy and phase to the tolerance', () => {
    const { y } = solve(oscillator, 'rk45', 10, { atol: 1e-9, rtol: 1e-9 });
    expect(Math.abs(y[0]! ** 2 + y[1]! ** 2 - 1)).toBeLessThan(1e-8);
    expect(Math.abs(Math.atan2(-y[1]!, y[0]!) - Math.atan2(Math.sin(10), Math.cos(10)))).toBeLessThan(1e-8);
  });
});

describe('measured convergence order', () => {
  const euler: [Problem, number][] = [[decay, 0.02], [oscillator, 0.01], [logistic, 0.02], [ty2, 0.02], [cosine, 0.05]];
  for (const [p, h] of euler) {
    it(`euler is order 1 on ${p.name}`, () => {
      for (const q of observedOrders(p, 'euler', h)) expect(Math.abs(q - 1)).toBeLessThan(0.15);
    });
  }
  const rk4: [Problem, number][] = [[decay, 0.05], [oscillator, 0.1], [logistic, 0.1], [ty2, 0.1], [cosine, 0.2]];
  for (const [p, h] of rk4) {
    it(`rk4 is order 4 on ${p.name}`, () => {
      for (const q of observedOrders(p, 'rk4', h)) expect(Math.abs(q - 4)).toBeLessThan(0.15);
    });
  }

  it('the Dormand–Prince tableau is order 5 (rk45 held at a fixed step)', () => {
    // A huge atol accepts every step; hMax = hInitial = h pins the step size.
    const fixed = (h: number): SolverOptions => ({ atol: 1e10, hInitial: h, hMax: h });
    for (const [p, h] of [[oscillator, 0.4], [cosine, 0.5]] as const) {
      for (const q of observedOrders(p, 'rk45', h, fixed)) expect(Math.abs(q - 5), p.name).toBeLessThan(0.15);
    }
    // The nonlinear problems approach 5 from above and reach round-off soon after: check the finest ratio.
    for (const [p, h] of [[logistic, 0.15], [ty2, 0.1], [decay, 0.1]] as const) {
      expect(Math.abs(observedOrders(p, 'rk45', h, fixed)[2]! - 5), p.name).toBeLessThan(0.2);
    }
  });

  it('rk45 adaptive: 1000× tighter tolerance costs ~1000^(1/5) more steps for ~1000× less error (order ~5)', () => {
    const loose = solve(oscillator, 'rk45', 10, { atol: 1e-6, rtol: 1e-6 });
    const tight = solve(oscillator, 'rk45', 10, { atol: 1e-9, rtol: 1e-9 });
    const stepRatio = tight.stepper.stats.steps / loose.stepper.stats.steps;
    const errorRatio = loose.error / tight.error;
    expect(stepRatio).toBeGreaterThan(3); // 1000^(1/5) ≈ 3.98
    expect(stepRatio).toBeLessThan(5.5);
    expect(errorRatio).toBeGreaterThan(200);
    expect(errorRatio).toBeLessThan(5000);
    expect(Math.abs(Math.log(errorRatio) / Math.log(stepRatio) - 5)).toBeLessThan(0.5);
  });
});

describe('rk45', () => {
  it('the global error is a small multiple of the tolerance and shrinks with it', () => {
    for (const [p, factor] of [[oscillator, 10], [logistic, 5], [ty2, 5], [decay, 5]] as const) {
      let previous = Infinity;
      for (const tol of [1e-4, 1e-6, 1e-8, 1e-10]) {
        const { error } = solve(p, 'rk45', 10, { atol: tol, rtol: tol });
        expect(error, `${p.name} at ${tol}`).toBeLessThan(factor * tol);
        expect(error).toBeLessThan(previous);
        previous = error;
      }
    }
  });

  it('takes fewer steps than a fixed-step RK4 of equal accuracy', () => {
    const e = 0.9; // Kepler orbit, eccentricity 0.9: fast near the centre, slow far out; exact after one period.
    const kepler: Problem = {
      name: 'Kepler orbit',
      rhs: (_t, y, o) => {
        const r3 = Math.pow(y[0]! * y[0]! + y[1]! * y[1]!, 1.5);
        o[0] = y[2]!; o[1] = y[3]!; o[2] = -y[0]! / r3; o[3] = -y[1]! / r3;
      },
      y0: [1 - e, 0, 0, Math.sqrt((1 + e) / (1 - e))],
      T: 2 * Math.PI,
      exact: () => [1 - e, 0, 0, Math.sqrt((1 + e) / (1 - e))],
    };
    for (const [p, tol] of [[oscillator, 1e-8], [kepler, 1e-6], [kepler, 1e-8]] as const) {
      const adaptive = solve(p, 'rk45', 10, { atol: tol, rtol: tol });
      let m = 10; // the fewest RK4 steps (to within 10%) that reach the same error
      while (solve(p, 'rk4', p.T / m).error > adaptive.error) m = Math.ceil(m * 1.1);
      expect(adaptive.stepper.stats.steps, `${p.name} at ${tol}`).toBeLessThan(m / 3);
    }
  });

  it('on a stiff-ish problem it is stability-limited: rejects steps, meets the tolerance, and looser tolerances barely help', () => {
    const lambda = 1000; // y' = −λ (y − cos t), y(0) = 0
    const stiff: Problem = {
      name: 'stiff',
      rhs: (t, y, o) => { o[0] = -lambda * (y[0]! - Math.cos(t)); },
      y0: [0],
      T: 5,
      exact: (t) => {
        const d = lambda * lambda + 1;
        return [(lambda * (lambda * Math.cos(t) + Math.sin(t))) / d - ((lambda * lambda) / d) * Math.exp(-lambda * t)];
      },
    };
    const tight = solve(stiff, 'rk45', 1, { atol: 1e-6, rtol: 1e-6 });
    const loose = solve(stiff, 'rk45', 1, { atol: 1e-3, rtol: 1e-3 });
    for (const [run, tol] of [[tight, 1e-6], [loose, 1e-3]] as const) {
      expect(run.stepper.stats.rejected).toBeGreaterThan(0);
      expect(run.error).toBeLessThan(tol);
      expect(run.stepper.stats.steps).toBeGreaterThan((lambda * stiff.T) / 4); // h stays near the stability bound 3.3/λ
    }
    expect(tight.stepper.stats.steps / loose.stepper.stats.steps).toBeLessThan(1.5);
  });

  it('stepping across a jump in the RHS rejects steps and stays near the tolerance', () => {
    // y' = u(t) − y with u = 1 before t = 1 and 0 after, integrated straight across the jump.
    const jump: Problem = {
      name: 'jump',
      rhs: (t, y, o) => { o[0] = (t < 1 ? 1 : 0) - y[0]!; },
      y0: [0],
      T: 3,
      exact: (t) => [t < 1 ? 1 - Math.exp(-t) : (1 - Math.exp(-1)) * Math.exp(-(t - 1))],
    };
    for (const tol of [1e-4, 1e-6, 1e-8]) {
      const { error, stepper } = solve(jump, 'rk45', 1, { atol: tol, rtol: tol });
      expect(stepper.stats.rejected).toBeGreaterThanOrEqual(5);
      expect(error).toBeLessThan(25 * tol); // the error estimate is weak across a jump: stop there and reset() (next test)
    }
  });

  it('reset() after a discontinuous change of the RHS gives the right answer', () => {
    let u = 0;
    const relax: Rhs = (_t, y, o) => { o[0] = u - y[0]!; };
    const exact = 1 + (Math.exp(-1) - 1) * Math.exp(-1); // y(0) = 1, u = 0 on [0, 1), u = 1 on [1, 2]
    const run = (reset: boolean) => {
      u = 0;
      const s = createStepper('rk45', 1, 10, { atol: 1e-8, rtol: 1e-8 });
      const y = Float64Array.of(1);
      s.advance(0, 1, y, relax);
      const evals = s.stats.rhsEvaluations;
      u = 1;
      if (reset) s.reset();
      const attempts = s.stats.steps + s.stats.rejected;
      s.advance(1, 2, y, relax);
      const newEvals = s.stats.rhsEvaluations - evals - 6 * (s.stats.steps + s.stats.rejected - attempts);
      return { error: Math.abs(y[0]! - exact), newEvals };
    };
    const withReset = run(true);
    const without = run(false);
    expect(withReset.error).toBeLessThan(1e-8);
    expect(withReset.newEvals).toBe(1); // f(1, y) recomputed once
    expect(without.newEvals).toBe(0); // the stale FSAL derivative was reused ...
    expect(without.error).toBeGreaterThan(30 * withReset.error); // ... and the answer is wrong
  });

  it('advance() lands exactly on t1 across many consecutive calls and keeps its step size', () => {
    let tMax = -Infinity;
    const rhs: Rhs = (t, _y, o) => { tMax = Math.max(tMax, t); o[0] = Math.cos(t); };
    const s = createStepper('rk45', 1, 10, { atol: 1e-9, rtol: 1e-9 });
    const y = new Float64Array(1);
    const dt = 0.7;
    for (let i = 0; i < 1000; i++) {
      const t0 = i * dt;
      const t1 = (i + 1) * dt;
      tMax = -Infinity;
      s.advance(t0, t1, y, rhs);
      expect(tMax).toBe(t1); // the last stage is f(t1, y(t1)): never past t1, and exactly at it
      expect(Math.abs(y[0]! - Math.sin(t1))).toBeLessThan(1e-8);
    }
    // One first-step estimate, then FSAL across calls: 1 + 1 + 6 per attempt.
    expect(s.stats.rhsEvaluations).toBe(2 + 6 * (s.stats.steps + s.stats.rejected));
    // The step size carries over: about as many steps as one call over the whole interval, plus at most one per call.
    const single = solve(cosine, 'rk45', 10, { atol: 1e-9, rtol: 1e-9 }, 1000 * dt).stepper.stats.steps;
    expect(s.stats.steps).toBeLessThan(single + 1000);
  });

  it('counts RHS evaluations: 1 + (1 for the first-step estimate) + 6 per attempted step (FSAL)', () => {
    for (const opts of [{ atol: 1e-8, rtol: 1e-8, hInitial: 0.5 }, { atol: 1e-8, rtol: 1e-8 }]) {
      const s = solve(logistic, 'rk45', 10, opts).stepper;
      expect(s.stats.rejected).toBeGreaterThan(0);
      const first = opts.hInitial === undefined ? 2 : 1;
      expect(s.stats.rhsEvaluations).toBe(first + 6 * (s.stats.steps + s.stats.rejected));
    }
    // A caller that changes y between calls gets a fresh derivative (no reset() needed for that).
    const s = createStepper('rk45', 1, 1, { hInitial: 0.1 });
    const y = Float64Array.of(1);
    s.advance(0, 1, y, decay.rhs);
    const before = s.stats.rhsEvaluations;
    const attempts = s.stats.steps + s.stats.rejected;
    y[0] = 2;
    s.advance(1, 2, y, decay.rhs);
    expect(s.stats.rhsEvaluations - before).toBe(1 + 6 * (s.stats.steps + s.stats.rejected - attempts));
    expect(y[0]).toBeCloseTo(2 * Math.exp(-k), 5);
  });

  it('honours hMax', () => {
    const { stepper } = solve(cosine, 'rk45', 0.25, { atol: 1, rtol: 1, hInitial: 1 });
    expect(stepper.stats.steps).toBe(12); // 3 / 0.25
  });
});

describe('fixed-step solvers', () => {
  it('take ceil((t1 − t0)/h − 1e-9) equal steps per advance() and count RHS evaluations', () => {
    for (const [name, perStep] of [['euler', 1], ['rk4', 4]] as const) {
      const times: number[] = [];
      const s = createStepper(name, 1, 0.1);
      const y = Float64Array.of(0);
      const rhs: Rhs = (t, _y, o) => { times.push(t); o[0] = 1; };
      s.advance(0, 0.3, y, rhs); // 0.3/0.1 = 2.9999999999999996 → 3 steps
      expect(s.stats.steps).toBe(3);
      s.advance(0.3, 0.65, y, rhs); // 3.5 → 4 steps of 0.0875
      expect(s.stats.steps).toBe(7);
      s.advance(0.65, 0.65, y, rhs); // nothing
      expect(s.stats).toEqual({ steps: 7, rejected: 0, rhsEvaluations: 7 * perStep });
      expect(y[0]).toBeCloseTo(0.65, 14);
      expect(Math.max(...times)).toBeLessThanOrEqual(0.65);
      if (name === 'euler') expect(times.slice(3)).toEqual([0.3, 0.3 + 0.0875, 0.3 + 2 * 0.0875, 0.3 + 3 * 0.0875].map((t) => expect.closeTo(t, 14)));
    }
  });
});

describe('errors', () => {
  it('bad options are ValidationErrors naming the option', () => {
    const bad: [SolverName, number, number, SolverOptions, string][] = [
      ['rk45', 1, 0.1, { atol: 0 }, 'atol'],
      ['rk45', 1, 0.1, { atol: -1e-6 }, 'atol'],
      ['rk45', 1, 0.1, { atol: NaN }, 'atol'],
      ['rk45', 1, 0.1, { rtol: -1 }, 'rtol'],
      ['rk45', 1, 0.1, { rtol: NaN }, 'rtol'],
      ['rk45', 1, 0.1, { hInitial: 0 }, 'hInitial'],
      ['rk45', 1, 0.1, { hMax: -1 }, 'hMax'],
      ['rk45', 1, 0.1, { hMin: -1 }, 'hMin'],
      ['rk45', 1, 0.1, { hMin: 1, hMax: 0.5 }, 'hMin'],
      ['rk45', 1, 0.1, { maxSteps: 0 }, 'maxSteps'],
      ['rk45', 1, 0.1, { maxSteps: 2.5 }, 'maxSteps'],
      ['euler', 1, 0.1, { atol: 0 }, 'atol'],
      ...(['euler', 'rk4', 'rk45'] as const).flatMap((name): [SolverName, number, number, SolverOptions, string][] => [
        [name, 1, 0, {}, 'h'],
        [name, 1, -0.1, {}, 'h'],
        [name, 1, NaN, {}, 'h'],
        [name, 1, Infinity, {}, 'h'],
        [name, 0, 0.1, {}, 'n (state size)'],
      ]),
    ];
    for (const [name, n, h, opts, parameter] of bad) {
      let caught: unknown;
      try {
        createStepper(name, n, h, opts);
      } catch (e) {
        caught = e;
      }
      expect(caught, `${name} ${JSON.stringify(opts)} h=${h}`).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).parameter).toBe(parameter);
      expect((caught as ValidationError).expected).toBeTruthy();
    }
    expect(() => createStepper('rk5' as SolverName, 1, 0.1)).toThrow(UnknownNameError);
  });

  it('bad advance() arguments are ValidationErrors', () => {
    for (const { name } of SOLVERS) {
      const s = createStepper(name, 2, 0.1);
      expect(() => s.advance(1, 0, new Float64Array(2), oscillator.rhs)).toThrow(ValidationError);
      expect(() => s.advance(0, NaN, new Float64Array(2), oscillator.rhs)).toThrow(ValidationError);
      expect(() => s.advance(0, 1, new Float64Array(3), oscillator.rhs)).toThrow(ValidationError);
    }
  });

  it('a state that blows up is a SimulationError saying where', () => {
    const square: Rhs = (_t, y, o) => { o[0] = y[0]! * y[0]!; }; // y = 1/(1 − t): infinite at t = 1
    for (const { name } of SOLVERS) {
      let caught: unknown;
      try {
        createStepper(name, 1, 0.5).advance(0, 20, Float64Array.of(1), square);
      } catch (e) {
        caught = e;
      }
      expect(caught, name).toBeInstanceOf(SimulationError);
      expect((caught as Error).message).toMatch(/at t = \d/);
    }
    expect(() => createStepper('rk45', 1, 0.5).advance(0, 2, Float64Array.of(1), square)).toThrow(/t = 1\.0000/);
  });

  it('a non-finite RHS or initial state is a SimulationError', () => {
    const nanAfter: Rhs = (t, _y, o) => { o[0] = t > 0.5 ? NaN : 1; };
    for (const { name } of SOLVERS) {
      expect(() => createStepper(name, 1, 0.1).advance(0, 2, Float64Array.of(1), nanAfter)).toThrow(SimulationError);
      expect(() => createStepper(name, 1, 0.1).advance(0, 2, Float64Array.of(NaN), decay.rhs)).toThrow(SimulationError);
    }
  });

  it('rk45 past maxSteps is a SimulationError', () => {
    const s = createStepper('rk45', 2, 100, { atol: 1e-10, rtol: 1e-10, maxSteps: 50 });
    expect(() => s.advance(0, 100, Float64Array.of(1, 0), oscillator.rhs)).toThrow(SimulationError);
    expect(() => s.advance(0, 100, Float64Array.of(1, 0), oscillator.rhs)).toThrow(/maxSteps/);
  });
});
