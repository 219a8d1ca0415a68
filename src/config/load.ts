/**
 * Config files (JSON or YAML) that map onto the same builder API, and so onto the
 * same IR. Quantities may carry units ("20 ms"). Layout:
 *
 *   name: demo
 *   run: { duration: 1 s, dt: 0.1 ms, engine: clock, seed: 1, threads: 0 }
 *   populations:
 *     E: { model: IF_curr_exp, size: 800, params: { tau_m: 20 ms }, initial: { v: { uniform: [-65 mV, -50 mV] } } }
 *     P: { model: SpikeSourcePoisson, size: 100, params: { rate: 10 Hz } }
 *   projections:
 *     EE: { pre: E, post: E, connector: { rule: fixed_probability, p: 0.1 }, receptor: excitatory, weight: 0.1 nA, delay: 1.5 ms }
 *   stimuli:
 *     - { kind: dc, population: E, amplitude: 1 nA, start: 0 ms, stop: 1 s }
 *   recordings:
 *     - { kind: spikes, population: E }
 *     - { kind: state, population: E, variables: [v], indices: [0, 1], interval: 1 ms }
 *     - { kind: rate, population: E, bin: 5 ms }
 *
 * A `worm` section adds a C. elegans network built from a connectome (src/worm/build.ts);
 * stimuli and recordings on it may select neurons by `names` or `classes` (AVA, VB, ...).
 * An `experiment` section sets the windows of the response summary (src/worm/experiment.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FileFormatError, UnknownNameError, ValidationError } from '../errors.js';
import { Network, type RunOptions, type StimulusSpec, type SynapseSpec } from '../api/network.js';
import type { ValueSpec } from '../api/values.js';
import type { ConnectorSpec, NetworkIR } from '../ir/types.js';
import { toInternal } from '../units.js';
import { addWorm, type WormSpec } from '../worm/build.js';

const TOP_KEYS = ['name', 'run', 'worm', 'populations', 'projections', 'stimuli', 'recordings', 'experiment'];
const RUN_KEYS = ['duration', 'dt', 'engine', 'seed', 'threads', 'solver', 'atol', 'rtol', 'backend'];
const WORM_KEYS = ['dataset', 'dataDir', 'label', 'model', 'method', 'params', 'neurons', 'ablate', 'signs', 'synapse', 'muscles'];

type Obj = Record<string, unknown>;

export function readConfigFile(file: string): Obj {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileFormatError(`cannot read config "${file}": ${(e as Error).message}`, { object: `config "${file}"` });
  }
  try {
    const data = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('the top level must be a mapping');
    return data as Obj;
  } catch (e) {
    throw new FileFormatError(`config "${file}" is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`, {
      object: `config "${file}"`,
      fix: 'check the syntax near the position given',
    });
  }
}

/** Entries of a mapping {label: spec} or a list [{label, ...spec}]. */
function entries(x: unknown, what: string): [string, Obj][] {
  if (x === undefined) return [];
  if (Array.isArray(x)) return x.map((e, i) => [String((e as Obj).label ?? `${what}${i}`), e as Obj]);
  if (typeof x === 'object' && x !== null) return Object.entries(x as Obj).map(([k, v]) => [k, v as Obj]);
  throw new ValidationError(`config: "${what}" must be a mapping or a list.`, { object: 'config', parameter: what });
}

function checkKeys(o: Obj, valid: string[], object: string): void {
  for (const k of Object.keys(o)) if (!valid.includes(k)) throw new UnknownNameError('key', k, valid, { object });
}

export interface ConfigOptions {
  /** Folder that relative paths in the config (sign tables) are read from. */
  baseDir?: string;
  /** Connectome data directory (CLI --data-dir), used unless the config's worm section names one. */
  dataDir?: string;
}

/** Builds a network from a parsed config; `overrides` (CLI flags) win over the file's run settings. */
export function networkFromConfig(cfg: Obj, overrides: RunOptions = {}, options: ConfigOptions = {}): Network {
  checkKeys(cfg, TOP_KEYS, 'config');
  const run = (cfg.run ?? {}) as Obj;
  checkKeys(run, RUN_KEYS, 'config run settings');
  // dt and seed first: connectors and random initial values use them.
  const net = new Network({ ...(run as RunOptions), ...(cfg.name ? { name: String(cfg.name) } : {}), ...definedOnly(overrides) });
  const classNames = new Map<string, Map<string, string[]>>();
  if (cfg.worm !== undefined) {
    const w = cfg.worm as Obj;
    checkKeys(w, WORM_KEYS, 'config worm section');
    const spec = { ...(w as WormSpec), ...(w.dataDir === undefined && options.dataDir ? { dataDir: options.dataDir } : {}) };
    const built = addWorm(net, spec, options.baseDir);
    const byClass = new Map<string, string[]>();
    for (const n of built.neurons) byClass.set(n.cls, [...(byClass.get(n.cls) ?? []), n.name]);
    classNames.set(built.population, byClass);
  }
  if (cfg.experiment !== undefined) {
    const e = cfg.experiment as Obj;
    checkKeys(e, ['baseline', 'window', 'threshold'], 'config experiment section');
    const win = (x: unknown, k: string) => {
      if (!Array.isArray(x) || x.length !== 2) throw new ValidationError(`config experiment: ${k} must be [start, stop], e.g. [0.5 s, 1 s].`, { object: 'config experiment', parameter: k });
      return x.map((q) => toInternal(q as string | number, 'time', { object: 'config experiment', parameter: k })) as [number, number];
    };
    const ir = net.toIR();
    ir.provenance = {
      ...(ir.provenance ?? {}),
      experiment: { baseline: win(e.baseline, 'baseline'), window: win(e.window, 'window'), threshold: e.threshold === undefined ? 0.05 : Number(e.threshold) },
    };
  }
  /** Expands `classes` into neuron names of a worm population. */
  const select = (o: Obj, object: string): { names?: string[] } => {
    if (o.classes === undefined) return o.names === undefined ? {} : { names: o.names as string[] };
    const byClass = classNames.get(String(o.population));
    if (!byClass) throw new ValidationError(`${object}: "classes" selects neurons of a worm population; "${o.population}" is not one.`, { object, parameter: 'classes' });
    const names = new Set((o.names as string[] | undefined) ?? []);
    for (const c of o.classes as string[]) {
      const members = byClass.get(c);
      if (!members) throw new UnknownNameError(`neuron class of population "${o.population}"`, c, [...byClass.keys()], { object, parameter: 'classes' });
      members.forEach((m) => names.add(m));
    }
    return { names: [...names] };
  };
  for (const [label, p] of entries(cfg.populations, 'populations')) {
    checkKeys(p, ['label', 'model', 'size', 'params', 'initial', 'method', 'neuronNames', 'positions', 'spikeTimes'], `population "${label}"`);
    net.population(label, Number(p.size), String(p.model), (p.params ?? {}) as Record<string, ValueSpec>, (p.initial ?? {}) as Record<string, ValueSpec>, {
      method: p.method as string | undefined,
      neuronNames: p.neuronNames as string[] | undefined,
      positions: p.positions as number[] | undefined,
      spikeTimes: p.spikeTimes as number[][] | undefined,
    });
  }
  for (const [label, p] of entries(cfg.projections, 'projections')) {
    checkKeys(p, ['label', 'pre', 'post', 'connector', 'transmission', 'graded', 'receptor', 'weight', 'delay', 'loihi'], `projection "${label}"`);
    const connector = p.connector as ConnectorSpec;
    if (!connector || typeof connector !== 'object') throw new ValidationError(`projection "${label}": a connector is required, e.g. { rule: fixed_probability, p: 0.1 }.`, { object: `projection "${label}"`, parameter: 'connector' });
    net.connect(String(p.pre), String(p.post), connector, {
      label,
      receptor: p.receptor as string | undefined,
      transmission: p.transmission as SynapseSpec['transmission'],
      graded: p.graded as SynapseSpec['graded'],
      weight: p.weight as ValueSpec,
      delay: p.delay as ValueSpec | undefined,
      ...(p.loihi !== undefined ? { loihi: p.loihi as SynapseSpec['loihi'] } : {}),
    });
  }
  for (const [, s] of entries(cfg.stimuli, 'stimuli')) {
    const { population, classes: _classes, ...spec } = s;
    void _classes;
    net.stimulate(String(population), { ...spec, ...select(s, `stimulus of "${population}"`) } as unknown as StimulusSpec);
  }
  for (const [, r] of entries(cfg.recordings, 'recordings')) {
    const object = `recording of "${r.population}"`;
    checkKeys(r, ['kind', 'population', 'variables', 'indices', 'names', 'classes', 'interval', 'bin'], object);
    const sel = { indices: r.indices as number[] | undefined, ...select(r, object) };
    if (r.kind === 'spikes' || r.kind === 'rate') net.record(String(r.population), r.kind, { ...sel, bin: r.bin as string | number | undefined });
    else if (r.kind === 'state') net.record(String(r.population), r.variables as string[], { ...sel, interval: r.interval as string | number | undefined });
    else throw new UnknownNameError('recording kind', String(r.kind), ['spikes', 'state', 'rate'], { object, parameter: 'kind' });
  }
  return net;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function loadConfig(file: string, overrides: RunOptions = {}, options: Omit<ConfigOptions, 'baseDir'> = {}): NetworkIR {
  const cfg = readConfigFile(file);
  return networkFromConfig(cfg, overrides, { ...options, baseDir: path.dirname(path.resolve(file)) }).toIR();
}
