/**
 * Typed errors. Every error names the object (population, projection, stimulus,
 * recording, file) and the parameter it concerns, says what is valid, and where
 * possible how to fix it. Tests assert the class, not the wording.
 */

export interface ErrorContext {
  /** The object the error is about, e.g. `population "E"` or `projection "EE"`. */
  object?: string;
  /** The parameter or field, e.g. `tau_m`. */
  parameter?: string;
  /** What would have been valid, e.g. `> 0 ms` or a list of names. */
  expected?: string;
  /** One line telling the user how to fix it. */
  fix?: string;
}

export class NematodeError extends Error {
  readonly object?: string;
  readonly parameter?: string;
  readonly expected?: string;
  readonly fix?: string;
  constructor(message: string, ctx: ErrorContext = {}) {
    super(message);
    this.name = new.target.name;
    this.object = ctx.object;
    this.parameter = ctx.parameter;
    this.expected = ctx.expected;
    this.fix = ctx.fix;
  }
}

/** A value outside its allowed range, NaN/Infinity, or an inconsistent combination. */
export class ValidationError extends NematodeError {}

/** An unknown name (model, parameter, population, engine …); lists the valid ones. */
export class UnknownNameError extends NematodeError {
  readonly valid: readonly string[];
  constructor(kind: string, name: string, valid: readonly string[], ctx: ErrorContext = {}) {
    const near = closestNames(name, valid);
    const hint = near.length > 0 ? ` Did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
    super(
      `${ctx.object ? ctx.object + ': ' : ''}unknown ${kind} "${name}".${hint} Valid: ${valid.join(', ') || '(none)'}.`,
      { ...ctx, expected: valid.join(', ') },
    );
    this.valid = valid;
  }
}

/** A quantity with the wrong dimension, or an unparseable unit string. */
export class UnitError extends NematodeError {}

/** An engine or target that cannot run a model or feature. Names the one that can. */
export class UnsupportedError extends NematodeError {}

/** Reading or writing a file failed (format, version, I/O). */
export class FileFormatError extends NematodeError {}

/** The run itself failed or was interrupted. */
export class SimulationError extends NematodeError {}

/** Damerau-free Levenshtein distance, small and exact; used for "did you mean". */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

/** Names within a distance of about a third of their length (case-insensitive). */
export function closestNames(name: string, valid: readonly string[]): string[] {
  const lower = name.toLowerCase();
  const scored = valid
    .map((v) => ({ v, d: editDistance(lower, v.toLowerCase()) }))
    .filter(({ v, d }) => d <= Math.max(2, Math.floor(v.length / 3)) || v.toLowerCase().includes(lower));
  scored.sort((x, y) => x.d - y.d);
  return scored.slice(0, 2).map((s) => s.v);
}
