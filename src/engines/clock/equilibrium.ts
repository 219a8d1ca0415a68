/**
 * Network equilibria for models that declare one (src/models/types.ts
 * EquilibriumDecl), e.g. the Kunert et al. 2014 threshold V_th.
 *
 * Setting dV/dt = 0 with every graded output at its equilibrium value gives, for
 * neuron i,
 *   (g_L,i + Σ_r Σ_j w_ij x̄_j + Σ_j g_ij) V_i − Σ_j g_ij V_j = g_L,i E_L,i + Σ_r E_r,i Σ_j w_ij x̄_j + I_i
 * (r: graded receptors with reversal E_r; x̄_j: the presynaptic output at equilibrium;
 * g_ij: gap junctions). The matrix is strictly diagonally dominant (g_L > 0), so it is
 * nonsingular; it is factorised once (LU, partial pivoting) and each new stimulus
 * current costs one O(N²) solve. Every neuron coupled to an equilibrium population
 * must itself declare the equilibrium, or the system is not closed.
 */
import { UnsupportedError } from '../../errors.js';
import { valueAt, type ResolvedNetwork, type ResolvedPopulation } from '../../ir/validate.js';
import type { NeuronModel } from '../../models/types.js';
import { isContinuous } from './graded.js';

/** Dense solves above this size would take seconds; the limit is stated in the error. */
const MAX_NEURONS = 4000;

export interface Equilibrium {
  /** Populations taking part, and the offset of each in the system. */
  pops: number[];
  offset: Map<number, number>;
  n: number;
  lu: Float64Array;
  pivot: Int32Array;
  b0: Float64Array;
  /** 1 where the neuron's equilibrium follows the stimulus current. */
  inputDependent: Uint8Array;
  /** Input-free solution. */
  rest: Float64Array;
}

function hasEquilibrium(p: ResolvedPopulation): boolean {
  return p.model.kind === 'neuron' && p.model.equilibrium !== undefined;
}

/** Builds and factorises the system; undefined when no population declares an equilibrium. */
export function buildEquilibrium(net: ResolvedNetwork): Equilibrium | undefined {
  const popIndex = new Map(net.populations.map((p, i) => [p.label, i]));
  const pops = net.populations.flatMap((p, i) => (hasEquilibrium(p) ? [i] : []));
  if (pops.length === 0) return undefined;
  const offset = new Map<number, number>();
  let n = 0;
  for (const p of pops) {
    offset.set(p, n);
    n += net.populations[p]!.size;
  }
  if (n > MAX_NEURONS) {
    throw new UnsupportedError(
      `the network equilibrium (threshold of ${pops.map((p) => `"${net.populations[p]!.label}"`).join(', ')}) is a dense solve over ${n} neurons; at most ${MAX_NEURONS} are supported.`,
      { object: `population "${net.populations[pops[0]!]!.label}"`, parameter: 'equilibrium', fix: 'use fewer graded neurons' },
    );
  }
  const M = new Float64Array(n * n);
  const b0 = new Float64Array(n);
  const inputDependent = new Uint8Array(n);
  const paramsAt = (pop: ResolvedPopulation, i: number) => Object.fromEntries(Object.entries(pop.params).map(([k, v]) => [k, valueAt(v, i)]));
  for (const p of pops) {
    const pop = net.populations[p]!;
    const eq = (pop.model as NeuronModel).equilibrium!;
    const o = offset.get(p)!;
    for (let i = 0; i < pop.size; i++) {
      const gL = valueAt(pop.params[eq.leak.g]!, i);
      M[(o + i) * n + o + i] += gL;
      b0[o + i] += gL * valueAt(pop.params[eq.leak.e]!, i);
      inputDependent[o + i] = eq.inputDependent(paramsAt(pop, i)) ? 1 : 0;
    }
  }
  for (const proj of net.ir.projections) {
    const pre = popIndex.get(proj.pre)!;
    const post = popIndex.get(proj.post)!;
    const touches = offset.has(pre) || offset.has(post);
    if (!touches) continue;
    const object = `projection "${proj.label}"`;
    const transmission = proj.transmission ?? 'spike';
    if (!isContinuous(proj)) {
      if (!offset.has(post)) continue;
      throw new UnsupportedError(`${object}: spikes into "${proj.post}" leave its network equilibrium undefined; ${net.populations[post]!.model.name} takes graded synapses and gap junctions.`, {
        object,
        parameter: 'transmission',
      });
    }
    // Graded output of an equilibrium population into another kind does not enter the system.
    if (transmission === 'graded' && !offset.has(post)) continue;
    if (!offset.has(pre) || !offset.has(post)) {
      const outside = offset.has(pre) ? proj.post : proj.pre;
      throw new UnsupportedError(
        `${object}: "${outside}" has no network equilibrium, but is coupled to a population whose threshold is the network equilibrium; couple it to neurons of the same kind, or use a model without an equilibrium threshold.`,
        { object, parameter: outside === proj.pre ? 'pre' : 'post' },
      );
    }
    const oPre = offset.get(pre)!;
    const oPost = offset.get(post)!;
    const prePop = net.populations[pre]!;
    const postPop = net.populations[post]!;
    if (transmission === 'gap') {
      for (let j = 0; j < prePop.size; j++) {
        for (let k = proj.rowPtr[j]!; k < proj.rowPtr[j + 1]!; k++) {
          const a = oPre + j;
          const b = oPost + proj.targets[k]!;
          if (a === b) continue;
          const g = valueAt(proj.weight, k);
          M[a * n + a] += g;
          M[b * n + b] += g;
          M[a * n + b] -= g;
          M[b * n + a] -= g;
        }
      }
      continue;
    }
    if (proj.graded!.transfer) {
      throw new UnsupportedError(`${object}: a sigmoid-transfer synapse has no fixed equilibrium output; the equilibrium threshold needs identity graded synapses.`, { object, parameter: 'graded.transfer' });
    }
    const preEq = (prePop.model as NeuronModel).equilibrium!;
    const outputAt = preEq.outputs[proj.graded!.variable];
    if (!outputAt) {
      throw new UnsupportedError(`${object}: ${prePop.model.name} declares no equilibrium value for "${proj.graded!.variable}".`, { object, parameter: 'graded.variable' });
    }
    const postEq = (postPop.model as NeuronModel).equilibrium!;
    const eParam = postEq.reversal[proj.receptor]!;
    for (let j = 0; j < prePop.size; j++) {
      const xbar = outputAt(paramsAt(prePop, j));
      for (let k = proj.rowPtr[j]!; k < proj.rowPtr[j + 1]!; k++) {
        const i = proj.targets[k]!;
        const c = valueAt(proj.weight, k) * xbar;
        M[(oPost + i) * n + oPost + i] += c;
        b0[oPost + i] += c * valueAt(postPop.params[eParam]!, i);
      }
    }
  }
  const pivot = luFactor(M, n);
  const rest = Float64Array.from(b0);
  luSolve(M, pivot, n, rest);
  return { pops, offset, n, lu: M, pivot, b0, inputDependent, rest };
}

/**
 * Equilibrium with stimulus currents `istim` (per population, by index; undefined =
 * none): neurons whose equilibrium is input-dependent get M⁻¹(b0 + I), the others keep
 * the input-free value.
 */
export function solveEquilibrium(eq: Equilibrium, istim: (Float64Array | undefined)[]): Float64Array {
  const x = Float64Array.from(eq.b0);
  for (const p of eq.pops) {
    const I = istim[p];
    if (!I) continue;
    const o = eq.offset.get(p)!;
    for (let i = 0; i < I.length; i++) x[o + i] += I[i]!;
  }
  luSolve(eq.lu, eq.pivot, eq.n, x);
  for (let i = 0; i < eq.n; i++) if (!eq.inputDependent[i]) x[i] = eq.rest[i]!;
  return x;
}

/** In-place LU with partial pivoting (row-major); returns the pivot rows. */
export function luFactor(a: Float64Array, n: number): Int32Array {
  const piv = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(a[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    piv[k] = p;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[p * n + j]!;
        a[p * n + j] = t;
      }
    }
    const d = a[k * n + k]!;
    if (d === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k]! /= d);
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j] -= f * a[k * n + j]!;
    }
  }
  return piv;
}

export function luSolve(lu: Float64Array, piv: Int32Array, n: number, b: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const p = piv[k]!;
    if (p !== k) {
      const t = b[k]!;
      b[k] = b[p]!;
      b[p] = t;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let j = 0; j < i; j++) s -= lu[i * n + j]! * b[j]!;
    b[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < n; j++) s -= lu[i * n + j]! * b[j]!;
    b[i] = s / lu[i * n + i]!;
  }
}
