/**
 * The clock engine with a whole-network ODE solver (run.solver euler, rk4 or rk45):
 * every continuous state variable of every population forms one vector y, and the
 * right-hand side is assembled from the models' declared `ode.rhs` snippets (one
 * generated kernel per population) plus the graded synapses and gap junctions, which are
 * recomputed at every stage from the current y. The solver advances from one
 * breakpoint to the next: recording times and stimulus changes, where the DC/step
 * current (and with it an input-dependent equilibrium) jumps; rk45 restarts its FSAL
 * derivative there. Only continuous (non-spiking) models run here.
 */
import { UnsupportedError } from '../../errors.js';
import type { NeuronModel } from '../../models/types.js';
import type { ResolvedNetwork } from '../../ir/validate.js';
import { createStepper, type SolverName } from '../../solvers/index.js';
import { instantiate, literal } from './codegen.js';
import type { WorkerResult } from './loop.js';
import { applyEquilibrium, type ClockPlan, type PopulationPlan } from './plan.js';

type RhsKernel = (y: Float64Array, dy: Float64Array) => void;

/** Refuses what the ODE path cannot run, naming the population and the alternative. */
export function checkOdeNetwork(net: ResolvedNetwork, solver: string): void {
  for (const p of net.populations) {
    const m = p.model;
    const ok = m.kind === 'neuron' && m.ode !== undefined && m.spiking === false;
    if (!ok) {
      throw new UnsupportedError(
        `run.solver "${solver}" integrates continuous (non-spiking) models as one ODE system; population "${p.label}" (${m.name}) ${m.kind === 'neuron' && m.spiking !== false ? 'spikes' : 'declares no right-hand side'}. Use solver "auto" (each model's own method).`,
        { object: `population "${p.label}"`, parameter: 'solver', expected: 'auto', fix: 'set run.solver to auto' },
      );
    }
  }
}

/** Source of `(A) => (y, dy) => void` evaluating one population's right-hand side. */
function rhsSource(pp: PopulationPlan, model: NeuronModel, offsets: Record<string, number>, gap: boolean, graded: string[]): string {
  const ode = model.ode!;
  const lines = ['"use strict";'];
  const stateNames = Object.keys(model.state);
  for (const s of stateNames) if (!(s in offsets)) lines.push(`const s_${s} = A.s_${s};`);
  for (const [name, c] of Object.entries(pp.constants!)) if (c === 'array') lines.push(`const c_${name} = A.c_${name};`);
  for (const r of graded) lines.push(`const gin_${r} = A.gin_${r};`);
  if (gap) lines.push('const gin_gap = A.gin_gap, c_G_gap = A.c_G_gap;');
  const hasStim = pp.arrays.istim !== undefined;
  if (hasStim) lines.push('const istim = A.istim;');
  lines.push(`const dt = ${literal(pp.constants!.__dt as number)};`);
  lines.push('return function rhs(y, dy) {');
  lines.push(`  for (let i = 0; i < ${pp.size}; i++) {`);
  for (const [name, c] of Object.entries(pp.constants!)) {
    if (name.startsWith('__')) continue;
    lines.push(c === 'array' ? `    const ${name} = c_${name}[i];` : `    const ${name} = ${literal(c)};`);
  }
  for (const s of stateNames) lines.push(s in offsets ? `    const ${s} = y[${offsets[s]} + i];` : `    let ${s} = s_${s}[i];`);
  for (const r of graded) lines.push(`    ${model.receptors[r]!.variable} = gin_${r}[i]; s_${model.receptors[r]!.variable}[i] = ${model.receptors[r]!.variable};`);
  lines.push(gap ? '    const G_gap = c_G_gap[i], IG_gap = gin_gap[i];' : '    const G_gap = 0, IG_gap = 0;');
  const gapCurrent = gap && (model.gapInput ?? 'current') === 'current' ? ` + (IG_gap - G_gap * ${model.voltage})` : '';
  lines.push(`    const I_stim = ${hasStim ? 'istim[i]' : '0'}${gapCurrent};`);
  for (const s of ode.state) lines.push(`    let d_${s} = 0;`);
  lines.push(ode.rhs.split('\n').map((l) => '    ' + l).join('\n'));
  for (const s of ode.state) lines.push(`    dy[${offsets[s]} + i] = d_${s};`);
  lines.push('  }');
  lines.push('};');
  return lines.join('\n');
}

export function runOde(plan: ClockPlan, net: ResolvedNetwork, solver: SolverName, tol: { atol?: number; rtol?: number }, onProgress?: (f: number) => void): WorkerResult {
  const { dt, steps } = plan;
  // Layout of y: per population, per integrated variable, one block of `size` values.
  const offsets: Record<string, number>[] = [];
  let n = 0;
  plan.populations.forEach((pp, p) => {
    const model = net.populations[p]!.model as NeuronModel;
    const o: Record<string, number> = {};
    for (const s of model.ode!.state) {
      o[s] = n;
      n += pp.size;
    }
    offsets.push(o);
  });
  const y = new Float64Array(n);
  const load = () =>
    plan.populations.forEach((pp, p) => {
      for (const [s, o] of Object.entries(offsets[p]!)) y.set(pp.arrays[`s_${s}`] as Float64Array, o);
    });
  const store = () =>
    plan.populations.forEach((pp, p) => {
      for (const [s, o] of Object.entries(offsets[p]!)) (pp.arrays[`s_${s}`] as Float64Array).set(y.subarray(o, o + pp.size));
    });

  const kernels = plan.populations.map((pp, p) => {
    const model = net.populations[p]!.model as NeuronModel;
    const graded = pp.continuousInputs.filter((r) => r !== 'gap');
    const src = rhsSource(pp, model, offsets[p]!, pp.continuousInputs.includes('gap'), graded);
    return instantiate<RhsKernel>(src, pp.arrays);
  });
  // Coupling: each delivery reads the presynaptic variable from y (integrated) or from its array.
  const couplings = plan.graded.map((g) => {
    const pre = plan.populations[g.pre]!;
    const o = offsets[g.pre]![g.variable];
    const fixed = pre.arrays[`s_${g.variable}`] as Float64Array;
    const off = o ?? 0;
    const gin = plan.populations[g.post]!.arrays[g.input] as Float64Array;
    const W = g.arrays.W;
    const MU = g.arrays.MU;
    const SL = g.arrays.SL;
    const w0 = g.scalars.W ?? 0;
    const mu0 = g.scalars.MU ?? 0;
    const sl0 = g.scalars.SL ?? 0;
    const sigmoid = g.sigmoid;
    const { cols, colPtr, sources, assign } = g;
    return (state: Float64Array) => {
      const arr = o !== undefined ? state : fixed;
      for (let c = 0; c + 1 < colPtr.length; c++) {
        const i = cols[c]!;
        // Same summation order as the clock kernels (two accumulators, even and odd entries).
        const acc = [0, 0];
        for (let k = colPtr[c]!; k < colPtr[c + 1]!; k++) {
          const w = W ? W[k]! : w0;
          const x = arr[off + sources[k]!]!;
          acc[(k - colPtr[c]!) & 1] += sigmoid ? w / (1 + Math.exp(-(SL ? SL[k]! : sl0) * (x - (MU ? MU[k]! : mu0)))) : w * x;
        }
        gin[i] = assign ? acc[0]! + acc[1]! : gin[i]! + acc[0]! + acc[1]!;
      }
    };
  });
  const rhs = (_t: number, state: Float64Array, dy: Float64Array) => {
    for (const c of couplings) c(state);
    for (const k of kernels) k(state, dy);
  };
  const stage = new Float64Array(n);
  const stepper = createStepper(solver, n, solver === 'rk45' ? Math.max(dt, plan.steps * dt) : dt, { ...tol });

  // Breakpoints: recording steps and stimulus-change steps.
  const recordSteps = new Set<number>();
  for (const pp of plan.populations) for (const tr of pp.traces) for (let s = 0; s < steps; s += tr.intervalSteps) recordSteps.add(s);
  const eventSteps = new Set<number>();
  for (const pp of plan.populations) for (const ev of pp.currentEvents) if (ev.step < steps) eventSteps.add(ev.step);
  const stops = [...new Set([0, ...recordSteps, ...eventSteps, steps])].sort((a, b) => a - b);
  const cursor = plan.populations.map(() => 0);

  load();
  for (let b = 0; b + 1 < stops.length; b++) {
    const s = stops[b]!;
    let changed = false;
    plan.populations.forEach((pp, p) => {
      const istim = pp.arrays.istim as Float64Array | undefined;
      while (cursor[p]! < pp.currentEvents.length && pp.currentEvents[cursor[p]!]!.step <= s) {
        const ev = pp.currentEvents[cursor[p]!++]!;
        for (const i of ev.indices) istim![i] += ev.delta;
        changed = true;
      }
    });
    if (changed) {
      if (plan.equilibrium) applyEquilibrium(plan);
      stepper.reset();
    }
    if (recordSteps.has(s)) {
      store();
      rhs(s * dt, y, stage); // refreshes the graded-input variables for recording
      for (const pp of plan.populations) {
        for (const tr of pp.traces) {
          if (s % tr.intervalSteps !== 0) continue;
          const st = pp.arrays[`s_${tr.variable}`] as Float64Array;
          const base = (s / tr.intervalSteps) * tr.indices.length;
          for (let k = 0; k < tr.indices.length; k++) tr.data[base + k] = st[tr.indices[k]!]!;
        }
      }
    }
    stepper.advance(s * dt, stops[b + 1]! * dt, y, rhs);
    onProgress?.(stops[b + 1]! / steps);
  }
  store();
  return {
    spikeSteps: plan.populations.map(() => new Uint32Array(0)),
    spikeIndices: plan.populations.map(() => new Uint32Array(0)),
    counts: plan.populations.map(() => 0),
    rateCounts: plan.populations.map((pp) => new Float64Array(pp.rateBin !== undefined ? Math.max(1, Math.ceil((steps * dt) / pp.rateBin - 1e-9)) : 0)),
    events: 0,
  };
}
