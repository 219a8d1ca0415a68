/**
 * Parameter paths of a sweep, resolved against a parsed config (src/config/load.ts):
 *
 *   populations.E.tau_m        → populations.E.params.tau_m (a model parameter)
 *   populations.E.v            → populations.E.initial.v    (a state variable's initial value)
 *   populations.E.size         → populations.E.size
 *   projections.EE.weight      → projections.EE.weight      (also delay)
 *   projections.EE.p           → projections.EE.connector.p (a connector option)
 *   stimuli.0.rate             → stimuli[0].rate            (index, or the stimulus label)
 *   run.dt, run.duration, …    → run settings
 *
 * The explicit forms (populations.E.params.tau_m, projections.EE.connector.p) are
 * accepted too, and so is any other path to a number or string that exists in the
 * config (e.g. experiment.threshold). Each parameter is stored under one canonical
 * name, so the short and the explicit form make the same point.
 */
import { UnknownNameError, ValidationError } from '../errors.js';
import { getModel, type Model } from '../models/index.js';
import type { Dimension } from '../units.js';
import { toInternal } from '../units.js';
import type { ParamSpec, ParamValue } from './params.js';

type Obj = Record<string, unknown>;

export interface ResolvedParam {
  /** Canonical name, the key of the parameter in stored points. */
  name: string;
  /** Where the value goes in the config: keys and list indices. */
  segments: (string | number)[];
  /** The field's dimension where it is known (values are checked against it). */
  dim?: Dimension;
}

const RUN_FIELDS: Record<string, Dimension | undefined> = { duration: 'time', dt: 'time', engine: undefined, solver: undefined, atol: 'dimensionless', rtol: 'dimensionless', backend: undefined };
const CONNECTOR_OPTIONS: Record<string, string[]> = {
  all_to_all: ['allowSelfConnections'],
  one_to_one: [],
  fixed_probability: ['p', 'allowSelfConnections'],
  fixed_indegree: ['n', 'withReplacement', 'allowSelfConnections'],
  fixed_outdegree: ['n', 'withReplacement', 'allowSelfConnections'],
  from_list: [],
  distance_probability: ['pMax', 'lambda', 'maxDistance'],
};
const STIMULUS_FIELDS: Record<string, Record<string, Dimension | 'weight'>> = {
  dc: { amplitude: 'current', start: 'time', stop: 'time' },
  step: {},
  poisson: { rate: 'rate', weight: 'weight', start: 'time', stop: 'time' },
  spike_times: { weight: 'weight' },
};

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Labelled entries of a mapping or a list (as the config loader reads them), with their key in the config. */
function labelled(x: unknown, what: string): { label: string; key: string | number; spec: Obj }[] {
  if (Array.isArray(x)) return x.map((e, i) => ({ label: String((e as Obj)?.label ?? `${what}${i}`), key: i, spec: (e ?? {}) as Obj }));
  if (isObj(x)) return Object.entries(x).map(([k, v]) => ({ label: k, key: k, spec: (v ?? {}) as Obj }));
  return [];
}

function modelOf(spec: Obj): Model | undefined {
  try {
    return typeof spec.model === 'string' ? getModel(spec.model) : undefined;
  } catch {
    return undefined;
  }
}

/** Population of a label (config populations; a worm population has no entry here). */
function populationSpec(cfg: Obj, label: string): Obj | undefined {
  return labelled(cfg.populations, 'populations').find((e) => e.label === label)?.spec;
}

/** Dimension of a projection's weight: the receptor's weight dimension in the post model. */
function weightDim(cfg: Obj, pre: Obj): Dimension | undefined {
  if (pre.transmission === 'gap') return 'conductance';
  const post = populationSpec(cfg, String(pre.post));
  const m = post && modelOf(post);
  if (!m) return undefined;
  if (m.kind !== 'neuron') return 'current';
  return m.receptors[String(pre.receptor ?? 'excitatory')]?.weightDim ?? 'current';
}

/** Every short path a config offers, for "did you mean" and the list of valid ones. */
export function sweepablePaths(cfg: Obj): string[] {
  const out: string[] = Object.keys(RUN_FIELDS).map((k) => `run.${k}`);
  for (const { label, spec } of labelled(cfg.populations, 'populations')) {
    out.push(`populations.${label}.size`);
    const m = modelOf(spec);
    if (m) {
      for (const p of Object.keys(m.params)) out.push(`populations.${label}.${p}`);
      for (const s of Object.keys(m.state)) if (!(s in m.params)) out.push(`populations.${label}.${s}`);
    }
  }
  for (const { label, spec } of labelled(cfg.projections, 'projections')) {
    out.push(`projections.${label}.weight`, `projections.${label}.delay`);
    const rule = isObj(spec.connector) ? String(spec.connector.rule) : '';
    for (const o of CONNECTOR_OPTIONS[rule] ?? []) out.push(`projections.${label}.connector.${o}`);
  }
  labelled(cfg.stimuli, 'stimuli').forEach(({ spec }, i) => {
    for (const f of Object.keys(STIMULUS_FIELDS[String(spec.kind)] ?? {})) out.push(`stimuli.${i}.${f}`);
  });
  return out;
}

function unknown(cfg: Obj, path: string, configName: string): never {
  throw new UnknownNameError('sweep parameter', path, sweepablePaths(cfg), {
    object: configName,
    parameter: '--param',
    fix: 'name a field of the config, e.g. populations.<label>.<model parameter>, projections.<label>.weight, run.dt or stimuli.<index>.rate',
  });
}

/** The value at a path of existing keys, or undefined. */
function at(cfg: unknown, segments: (string | number)[]): unknown {
  let x = cfg;
  for (const s of segments) {
    if (Array.isArray(x) && typeof s === 'number') x = x[s];
    else if (isObj(x) && typeof s === 'string') x = x[s];
    else return undefined;
  }
  return x;
}

/** Resolves a path written by the user to its canonical name and place in the config. */
export function resolveParamPath(cfg: Obj, path: string, configName = 'config'): ResolvedParam {
  const parts = path.split('.');
  const [head, label, ...rest] = parts;
  if (head === 'run' && parts.length === 2) {
    const k = parts[1]!;
    if (k === 'seed') throw new ValidationError(`${configName}: run.seed is not a sweep parameter: every point is run with each seed of --seeds.`, { object: configName, parameter: '--param', fix: 'use --seeds K (and --seed S for the first seed) instead of --param run.seed=…' });
    if (k === 'threads') throw new ValidationError(`${configName}: run.threads is not a sweep parameter: each point runs on one thread, and --jobs sets how many run at once.`, { object: configName, parameter: '--param', fix: 'use --jobs J' });
    if (!(k in RUN_FIELDS)) unknown(cfg, path, configName);
    const dim = RUN_FIELDS[k];
    return { name: path, segments: ['run', k], ...(dim ? { dim } : {}) };
  }
  if (head === 'populations' && label !== undefined && rest.length >= 1) {
    const entry = labelled(cfg.populations, 'populations').find((e) => e.label === label);
    if (!entry) unknown(cfg, path, configName);
    const m = modelOf(entry.spec);
    const base: (string | number)[] = ['populations', entry.key];
    if (rest.length === 1) {
      const k = rest[0]!;
      if (k === 'size') return { name: path, segments: [...base, 'size'] };
      if (m && k in m.params) return { name: `populations.${label}.${k}`, segments: [...base, 'params', k], dim: m.params[k]!.dim };
      if (m && k in m.state) return { name: `populations.${label}.${k}`, segments: [...base, 'initial', k], dim: m.state[k]!.dim };
    } else if (rest.length === 2 && (rest[0] === 'params' || rest[0] === 'initial') && m) {
      const decls = rest[0] === 'params' ? m.params : m.state;
      const k = rest[1]!;
      if (k in decls) {
        // Short name unless a parameter and a state variable share it.
        const short = rest[0] === 'params' || !(k in m.params);
        return { name: short ? `populations.${label}.${k}` : path, segments: [...base, rest[0]!, k], dim: decls[k]!.dim };
      }
      unknown(cfg, path, configName);
    }
  }
  if (head === 'projections' && label !== undefined && rest.length >= 1) {
    const entry = labelled(cfg.projections, 'projections').find((e) => e.label === label);
    if (!entry) unknown(cfg, path, configName);
    const base: (string | number)[] = ['projections', entry.key];
    const rule = isObj(entry.spec.connector) ? String(entry.spec.connector.rule) : '';
    const options = CONNECTOR_OPTIONS[rule] ?? [];
    if (rest.length === 1) {
      const k = rest[0]!;
      if (k === 'weight') {
        const dim = weightDim(cfg, entry.spec);
        return { name: `projections.${label}.weight`, segments: [...base, 'weight'], ...(dim ? { dim } : {}) };
      }
      if (k === 'delay') return { name: `projections.${label}.delay`, segments: [...base, 'delay'], dim: 'time' };
      if (options.includes(k)) return { name: `projections.${label}.connector.${k}`, segments: [...base, 'connector', k] };
    } else if (rest.length === 2 && rest[0] === 'connector' && options.includes(rest[1]!)) {
      return { name: path, segments: [...base, 'connector', rest[1]!] };
    }
  }
  if (head === 'stimuli' && label !== undefined && rest.length === 1) {
    const list = labelled(cfg.stimuli, 'stimuli');
    const i = /^\d+$/.test(label) ? Number(label) : list.findIndex((e) => e.label === label);
    const entry = list[i];
    if (!entry) unknown(cfg, path, configName);
    const fields = STIMULUS_FIELDS[String(entry.spec.kind)] ?? {};
    const k = rest[0]!;
    if (k in fields) {
      let dim = fields[k];
      if (dim === 'weight') {
        const pop = populationSpec(cfg, String(entry.spec.population));
        const m = pop && modelOf(pop);
        dim = m?.kind === 'neuron' ? (m.receptors[String(entry.spec.receptor ?? 'excitatory')]?.weightDim ?? 'current') : 'current';
      }
      return { name: `stimuli.${i}.${k}`, segments: ['stimuli', entry.key, k], ...(dim ? { dim } : {}) };
    }
  }
  // Any other existing scalar field, written out in full.
  const segments = parts.map((p, i) => (/^\d+$/.test(p) && Array.isArray(at(cfg, parts.slice(0, i).map((q) => (/^\d+$/.test(q) ? Number(q) : q)))) ? Number(p) : p));
  const v = at(cfg, segments);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return { name: path, segments };
  unknown(cfg, path, configName);
}

/** Checks that every value of a spec fits its field's dimension (values with units, bounds with units). */
export function checkValues(spec: ParamSpec, resolved: ResolvedParam, configName = 'config'): void {
  const where = { object: `${configName}: --param ${spec.path}`, parameter: resolved.name };
  if (spec.dim && resolved.dim && spec.dim !== resolved.dim) {
    throw new ValidationError(`${where.object}: the range is a ${spec.dim}, but ${resolved.name} is a ${resolved.dim}.`, { ...where, expected: `a ${resolved.dim}` });
  }
  if (spec.dim && !resolved.dim) {
    throw new ValidationError(`${where.object}: the unit of ${resolved.name} is not known, so range bounds must be bare numbers in the field's own unit.`, { ...where, fix: `write --param '${spec.path}=a:b:step' without units` });
  }
  if (resolved.dim) for (const v of spec.values) if (typeof v === 'string') toInternal(v, resolved.dim, where);
}

/** A copy of the config with the assignment applied (`params`/`initial`/`connector` created as needed). */
export function applyAssignment(cfg: Obj, assignment: { segments: (string | number)[]; value: ParamValue }[]): Obj {
  const out = structuredClone(cfg);
  for (const { segments, value } of assignment) {
    let x: Obj | unknown[] = out;
    for (let i = 0; i < segments.length - 1; i++) {
      const s = segments[i]!;
      const next: unknown = (x as Record<string | number, unknown>)[s];
      if (next === undefined || next === null) (x as Record<string | number, unknown>)[s] = {};
      x = (x as Record<string | number, unknown>)[s] as Obj;
    }
    // Booleans (allowSelfConnections, withReplacement) travel as the strings "true"/"false".
    (x as Record<string | number, unknown>)[segments[segments.length - 1]!] = value === 'true' ? true : value === 'false' ? false : value;
  }
  return out;
}
