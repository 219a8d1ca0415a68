/**
 * The plain spikes file (`nematode-spikes`, JSON): every population's spikes as step
 * numbers, written by programs outside nematode (the generated Lava script of
 * `nematode export --target loihi`) and by nematode itself (`export --simulate`), so the
 * two can be compared with `diff` or `nematode inspect`. JSON, because a Python script
 * writes it with the standard library alone.
 *
 * Layout (one population per line, so that `diff` points at the population that differs):
 *
 *   {"format":"nematode-spikes","formatVersion":1,
 *   "producer":"…",
 *   "network":"loihi-ei","dt":1,"steps":200,"populations":[
 *   {"label":"E","size":16,"neuron":[3,0,…],"step":[2,5,…]},
 *   …
 *   ]}
 *
 * Spike k of a population was fired by neuron `neuron[k]` in step `step[k]` (1-based, as
 * Lava counts: step t covers [(t − 1)·dt, t·dt] and its spikes are reported at t·dt),
 * sorted by step, then neuron. `dt` (ms) only sets the time axis. `producer` says who
 * wrote the file; it is the only line that differs between two files of the same spikes.
 *
 * `nematode inspect` reads this format as well as its own results files (read.ts): the
 * file becomes a results file with one spike train per population and no traces.
 */
import { FileFormatError } from '../errors.js';
import { VERSION } from '../version.js';
import { packr, RESULTS_FORMAT, type ResultsBody, type ResultsFile, type Segment } from './format.js';

export const SPIKES_FORMAT = 'nematode-spikes' as const;
export const SPIKES_FORMAT_VERSION = 1 as const;

export interface SpikesPopulation {
  label: string;
  size: number;
  /** Neuron index of each spike. */
  neuron: number[];
  /** Step (1-based) of each spike; same length as `neuron`. */
  step: number[];
}

export interface SpikesFile {
  format: typeof SPIKES_FORMAT;
  formatVersion: number;
  /** Who wrote it, e.g. "lava fixed_pt (run_lava.py)" or "nematode 0.1.0 export --simulate (clock engine)". */
  producer: string;
  network: string;
  /** ms per step. */
  dt: number;
  /** Steps run. */
  steps: number;
  populations: SpikesPopulation[];
}

/**
 * The file's text in the layout above. Every spike list is sorted here (by step, then
 * neuron), so equal spikes give equal text whatever order they came in.
 */
export function encodeSpikesFile(file: Omit<SpikesFile, 'format' | 'formatVersion'>): string {
  const head = `{"format":${JSON.stringify(SPIKES_FORMAT)},"formatVersion":${SPIKES_FORMAT_VERSION},\n"producer":${JSON.stringify(file.producer)},\n`;
  const meta = `"network":${JSON.stringify(file.network)},"dt":${JSON.stringify(file.dt)},"steps":${JSON.stringify(file.steps)},"populations":[\n`;
  const rows = file.populations.map((p) => {
    const order = sortedOrder(p.step, p.neuron);
    const neuron = order.map((k) => p.neuron[k]!);
    const step = order.map((k) => p.step[k]!);
    return `{"label":${JSON.stringify(p.label)},"size":${p.size},"neuron":${JSON.stringify(neuron)},"step":${JSON.stringify(step)}}`;
  });
  return head + meta + rows.join(',\n') + (rows.length ? '\n' : '') + ']}\n';
}

function sortedOrder(step: ArrayLike<number>, neuron: ArrayLike<number>): number[] {
  const order = Array.from({ length: step.length }, (_, k) => k);
  return order.sort((a, b) => step[a]! - step[b]! || neuron[a]! - neuron[b]!);
}

/** Whether bytes look like a JSON document (a results file is a msgpack map and never starts with "{"). */
export function looksLikeJson(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf) continue; // whitespace, BOM
    return b === 0x7b; // "{"
  }
  return false;
}

const isInt = (x: unknown, min = 0): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;

/** Parses and checks a spikes file; `source` names it in errors. */
export function decodeSpikesFile(text: string, source = 'spikes data'): SpikesFile {
  const ctx = { object: source, expected: `a JSON spikes file (format "${SPIKES_FORMAT}", formatVersion ≤ ${SPIKES_FORMAT_VERSION})` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(`${source}: not valid JSON (truncated or corrupt?): ${(e as Error).message}`, ctx);
  }
  const bad = (what: string) => new FileFormatError(`${source}: ${what}`, ctx);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('the top level must be an object');
  const f = data as Record<string, unknown>;
  if (f.format !== SPIKES_FORMAT) throw bad(`not a spikes file (expected format "${SPIKES_FORMAT}", got ${JSON.stringify(f.format)})`);
  if (!isInt(f.formatVersion, 1)) throw bad(`invalid format version ${JSON.stringify(f.formatVersion)}`);
  if (f.formatVersion > SPIKES_FORMAT_VERSION) {
    throw new FileFormatError(`${source}: spikes format version ${f.formatVersion} is newer than this nematode (reads ${SPIKES_FORMAT_VERSION})`, { ...ctx, fix: 'upgrade nematode to read this file' });
  }
  if (typeof f.producer !== 'string') throw bad('"producer" must be a string');
  if (typeof f.network !== 'string') throw bad('"network" must be a string');
  if (typeof f.dt !== 'number' || !(f.dt > 0) || !Number.isFinite(f.dt)) throw bad(`"dt" must be a positive number of ms, got ${JSON.stringify(f.dt)}`);
  if (!isInt(f.steps)) throw bad(`"steps" must be a whole number ≥ 0, got ${JSON.stringify(f.steps)}`);
  if (!Array.isArray(f.populations)) throw bad('"populations" must be a list');
  const steps = f.steps;
  const labels = new Set<string>();
  const populations = f.populations.map((p: unknown, i): SpikesPopulation => {
    if (typeof p !== 'object' || p === null) throw bad(`population ${i} must be an object`);
    const q = p as Record<string, unknown>;
    if (typeof q.label !== 'string') throw bad(`population ${i}: "label" must be a string`);
    if (labels.has(q.label)) throw bad(`population "${q.label}" appears twice`);
    labels.add(q.label);
    if (!isInt(q.size, 1)) throw bad(`population "${q.label}": "size" must be a whole number ≥ 1`);
    const size = q.size;
    if (!Array.isArray(q.neuron) || !Array.isArray(q.step) || q.neuron.length !== q.step.length) {
      throw bad(`population "${q.label}": "neuron" and "step" must be lists of the same length`);
    }
    for (let k = 0; k < q.neuron.length; k++) {
      if (!isInt(q.neuron[k]) || q.neuron[k] >= size) throw bad(`population "${q.label}": spike ${k}: neuron ${JSON.stringify(q.neuron[k])} is not in 0..${size - 1}`);
      if (!isInt(q.step[k], 1) || q.step[k] > steps) throw bad(`population "${q.label}": spike ${k}: step ${JSON.stringify(q.step[k])} is not in 1..${steps}`);
    }
    return { label: q.label, size, neuron: q.neuron as number[], step: q.step as number[] };
  });
  return { format: SPIKES_FORMAT, formatVersion: f.formatVersion, producer: f.producer, network: f.network, dt: f.dt, steps, populations };
}

/**
 * The spikes file as a results file, for `inspect` (summary, CSV export): one spike
 * train per population with every neuron recorded, spike times t·dt, no traces.
 */
export function spikesFileToResults(file: SpikesFile, source = 'spikes data'): ResultsFile {
  const duration = file.steps * file.dt;
  const segment: Segment = {
    name: 'run',
    tStart: 0,
    tStop: duration,
    spiketrains: file.populations.map((p) => {
      const order = sortedOrder(p.step, p.neuron);
      return {
        population: p.label,
        units: 'ms' as const,
        recorded: Uint32Array.from({ length: p.size }, (_, i) => i),
        indices: Uint32Array.from(order, (k) => p.neuron[k]!),
        times: Float64Array.from(order, (k) => p.step[k]! * file.dt),
        spikeCount: p.neuron.length,
      };
    }),
    analogsignals: [],
    rates: [],
    delayRounding: [],
    spikeCounts: Object.fromEntries(
      file.populations
        .map((p) => [p.label, p.neuron.length] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
  };
  const body: ResultsBody = { segments: [segment] };
  const packed = packr.pack(body);
  return {
    format: RESULTS_FORMAT,
    formatVersion: 1,
    metadata: {
      nematodeVersion: VERSION,
      createdAt: 'n/a',
      seed: 0,
      engine: file.producer,
      threads: 0,
      dt: file.dt,
      duration,
      wall: { buildMs: 0, simMs: 0, totalMs: 0 },
      config: { network: file.network, steps: file.steps },
      irHash: '',
      synapticEvents: 0,
      notes: [`${source} is a spikes file (${SPIKES_FORMAT} v${file.formatVersion}), not a results file: spikes only`],
    },
    body,
    bodyBytes: new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength),
    spikesFile: { formatVersion: file.formatVersion, producer: file.producer, network: file.network, steps: file.steps },
  };
}
