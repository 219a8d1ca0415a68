/**
 * One unit system inside the simulator: ms, mV, nA, nF, µS, Hz (PyNN's). Numbers
 * are taken as already in these units; strings such as "20 ms", "0.5 nA",
 * "250 pF", "6 nS" or "1 s" are parsed at the edges (API, config, CLI) and
 * converted. A wrong dimension is a UnitError naming what was expected.
 */
import { UnitError } from './errors.js';

/** The dimensions a parameter can have, each with its internal unit. */
export type Dimension = 'time' | 'voltage' | 'current' | 'capacitance' | 'conductance' | 'rate' | 'dimensionless';

export const INTERNAL_UNIT: Record<Dimension, string> = {
  time: 'ms',
  voltage: 'mV',
  current: 'nA',
  capacitance: 'nF',
  conductance: 'uS',
  rate: 'Hz',
  dimensionless: '1',
};

interface UnitDef {
  dim: Dimension;
  /** Multiply a value in this unit by `factor` to get the internal unit. */
  factor: number;
}

const SI_PREFIX: Record<string, number> = { G: 1e9, M: 1e6, k: 1e3, '': 1, m: 1e-3, u: 1e-6, 'µ': 1e-6, 'μ': 1e-6, n: 1e-9, p: 1e-12, f: 1e-15 };
/** Internal unit of each dimension, as a power of ten of the SI base unit. */
const BASE: Record<Exclude<Dimension, 'dimensionless'>, { symbol: string; internal: number }> = {
  time: { symbol: 's', internal: 1e-3 },
  voltage: { symbol: 'V', internal: 1e-3 },
  current: { symbol: 'A', internal: 1e-9 },
  capacitance: { symbol: 'F', internal: 1e-9 },
  conductance: { symbol: 'S', internal: 1e-6 },
  rate: { symbol: 'Hz', internal: 1 },
};

const UNITS = new Map<string, UnitDef>();
for (const [dim, { symbol, internal }] of Object.entries(BASE) as [Dimension, { symbol: string; internal: number }][]) {
  for (const [prefix, scale] of Object.entries(SI_PREFIX)) {
    UNITS.set(prefix + symbol, { dim, factor: scale / internal });
  }
}
UNITS.set('min', { dim: 'time', factor: 60_000 });
UNITS.set('h', { dim: 'time', factor: 3_600_000 });
UNITS.set('', { dim: 'dimensionless', factor: 1 });
UNITS.set('1', { dim: 'dimensionless', factor: 1 });

/** The dimension of a unit symbol, or undefined if unknown. */
export function unitDimension(symbol: string): Dimension | undefined {
  return UNITS.get(normaliseSymbol(symbol))?.dim;
}

function normaliseSymbol(s: string): string {
  return s.trim().replace(/^μ|^µ/, 'u');
}

const QUANTITY = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµμ]*)\s*$/;

/** Parses "20 ms" into { value: 20, dim: 'time' } in internal units. */
export function parseQuantity(text: string): { value: number; dim: Dimension } {
  const m = QUANTITY.exec(text);
  if (!m) {
    throw new UnitError(`cannot read "${text}" as a quantity: write a number and a unit, e.g. "20 ms", "0.5 nA", "250 pF".`, {
      expected: 'a number followed by a unit',
    });
  }
  const def = UNITS.get(normaliseSymbol(m[2]!));
  if (!def) {
    throw new UnitError(`unknown unit "${m[2]}" in "${text}". Known units: s/ms/us, V/mV, A/nA/pA, F/nF/pF, S/uS/nS, Hz/kHz.`, {
      expected: 'one of s, ms, mV, nA, pA, nF, pF, uS, nS, Hz',
    });
  }
  return { value: Number(m[1]) * def.factor, dim: def.dim };
}

/** A time typed on a command line or given as an option: a bare number is in ms, anything else a quantity ("2 s"). */
export function timeFromText(text: string | number, where: { object?: string; parameter?: string } = {}): number {
  const bare = typeof text === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text.trim());
  return toInternal(bare ? Number(text) : text, 'time', where);
}

/**
 * Converts a number (already internal units) or a unit string into internal units,
 * checking the dimension. `where` names the object and parameter for the error.
 */
export function toInternal(value: unknown, dim: Dimension, where: { object?: string; parameter?: string } = {}): number {
  const label = [where.object, where.parameter].filter(Boolean).join(' ');
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    let q: { value: number; dim: Dimension };
    try {
      q = parseQuantity(value);
    } catch (e) {
      if (e instanceof UnitError) throw new UnitError(`${label ? label + ': ' : ''}${e.message}`, { ...where, expected: INTERNAL_UNIT[dim] });
      throw e;
    }
    if (q.dim !== dim && !(dim === 'dimensionless' && q.dim === 'dimensionless')) {
      throw new UnitError(
        `${label ? label + ': ' : ''}"${value}" is a ${q.dim}, but a ${dim} (in ${INTERNAL_UNIT[dim]}) was expected.`,
        { ...where, expected: `a ${dim} such as "1 ${INTERNAL_UNIT[dim]}"` },
      );
    }
    return q.value;
  }
  throw new UnitError(`${label ? label + ': ' : ''}expected a number in ${INTERNAL_UNIT[dim]} or a string with a unit, got ${describe(value)}.`, {
    ...where,
    expected: `a number (${INTERNAL_UNIT[dim]}) or a string like "1 ${INTERNAL_UNIT[dim]}"`,
  });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** Formats an internal value with its unit for messages: 20 → "20 ms". */
export function formatQuantity(value: number, dim: Dimension): string {
  const u = INTERNAL_UNIT[dim];
  return u === '1' ? `${value}` : `${value} ${u}`;
}
