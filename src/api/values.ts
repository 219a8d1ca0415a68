/**
 * Values as users write them (API and config): numbers in internal units, strings
 * with units, explicit arrays, or random distributions, turned into internal-unit
 * scalars or per-element arrays.
 */
import { ValidationError } from '../errors.js';
import type { PerElement } from '../ir/types.js';
import { toInternal, type Dimension } from '../units.js';
import type { Rng } from '../util/rng.js';

export type Quantity = number | string;
export type Distribution =
  | { normal: [Quantity, Quantity]; min?: Quantity; max?: Quantity }
  | { uniform: [Quantity, Quantity] };
export type ValueSpec = Quantity | Quantity[] | Float64Array | Distribution;

export function isDistribution(v: unknown): v is Distribution {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && ('normal' in v || 'uniform' in v);
}

/**
 * Internal-unit value(s) for `n` elements. Random draws come from `rng()`, created
 * lazily, and are taken in element order. A normal with bounds is redrawn until it
 * falls inside them (NEST's "redraw").
 */
export function resolveValue(spec: ValueSpec, n: number, dim: Dimension, where: { object: string; parameter: string }, rng: () => Rng): PerElement {
  if (typeof spec === 'number' || typeof spec === 'string') return toInternal(spec, dim, where);
  if (spec instanceof Float64Array) return checkLength(spec, n, where);
  if (Array.isArray(spec)) return checkLength(Float64Array.from(spec, (x) => toInternal(x, dim, where)), n, where);
  if (isDistribution(spec)) {
    const out = new Float64Array(n);
    const r = rng();
    if ('normal' in spec) {
      const mean = toInternal(spec.normal[0], dim, where);
      const sd = toInternal(spec.normal[1], dim, where);
      const lo = spec.min === undefined ? -Infinity : toInternal(spec.min, dim, where);
      const hi = spec.max === undefined ? Infinity : toInternal(spec.max, dim, where);
      if (!(sd >= 0) || !(lo < hi)) throw new ValidationError(`${where.object}: ${where.parameter}: normal needs sd ≥ 0 and min < max.`, where);
      for (let i = 0; i < n; i++) {
        let x: number;
        let tries = 0;
        do {
          x = mean + sd * r.normal();
          if (++tries > 1000) throw new ValidationError(`${where.object}: ${where.parameter}: the bounds [${lo}, ${hi}] are too far from the normal's mass to redraw into.`, where);
        } while (x < lo || x > hi);
        out[i] = x;
      }
    } else {
      const lo = toInternal(spec.uniform[0], dim, where);
      const hi = toInternal(spec.uniform[1], dim, where);
      if (!(lo <= hi)) throw new ValidationError(`${where.object}: ${where.parameter}: uniform needs low ≤ high, got [${lo}, ${hi}].`, where);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r.uniform();
    }
    return out;
  }
  throw new ValidationError(`${where.object}: ${where.parameter}: expected a number, a string with a unit, an array, or {normal: [mean, sd]} / {uniform: [low, high]}.`, where);
}

function checkLength(a: Float64Array, n: number, where: { object: string; parameter: string }): Float64Array {
  if (a.length !== n) throw new ValidationError(`${where.object}: ${where.parameter} has ${a.length} values for ${n} elements.`, { ...where, expected: `${n} values` });
  return a;
}
