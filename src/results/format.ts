/**
 * The results file schema (Neo-like: file → segment → spike trains + analog signals).
 *
 * The file is one msgpack map `{ format, formatVersion, metadata, body }`. `metadata`
 * may differ between otherwise identical runs (wall times, dates); `body` is the
 * msgpack encoding of a `ResultsBody` and is byte-identical for identical output.
 * Typed arrays are stored as msgpackr typed-array extensions and read back as the
 * same class (Float64Array, Uint32Array).
 */
import { Packr } from 'msgpackr';
import type { DelayRounding } from '../engines/types.js';

export const RESULTS_FORMAT = 'nematode-results' as const;
export const RESULTS_FORMAT_VERSION = 1 as const;

/** The codec for both the outer map and the body; `moreTypes` keeps typed-array classes. */
export const packr = new Packr({ useRecords: false, moreTypes: true });

export interface ResultsMetadata {
  nematodeVersion: string;
  /** ISO 8601 date of the run. */
  createdAt: string;
  seed: number;
  engine: string;
  threads: number;
  /** ms */
  dt: number;
  /** ms; also the body's segment `tStop`. */
  duration: number;
  wall: { buildMs: number; simMs: number; totalMs: number };
  /** The config / IR summary the user ran, plain JSON-able. */
  config: unknown;
  irHash: string;
  synapticEvents: number;
  /** Free-form remarks, e.g. delay rounding reports, sign rules. */
  notes: string[];
}

export interface SpikeTrainRecord {
  population: string;
  units: 'ms';
  recorded: Uint32Array;
  indices: Uint32Array;
  times: Float64Array;
  /** Spikes in this train (recorded neurons only). */
  spikeCount: number;
}

export interface AnalogSignalRecord {
  population: string;
  variable: string;
  units: string;
  indices: Uint32Array;
  tStart: number;
  samplingPeriod: number;
  samplingPeriodUnits: 'ms';
  /** Row-major: data[s * nNeurons + k] is neuron indices[k] at sample s. */
  data: Float64Array;
  /** [nSamples, nNeurons] */
  shape: [number, number];
}

export interface RateRecord {
  population: string;
  /** Bin width, ms. */
  bin: number;
  units: 'Hz';
  rate: Float64Array;
}

export interface Segment {
  name: 'run';
  tStart: 0;
  /** ms */
  tStop: number;
  spiketrains: SpikeTrainRecord[];
  analogsignals: AnalogSignalRecord[];
  rates: RateRecord[];
  delayRounding: DelayRounding[];
  /** Per-population spike counts over all neurons, keys sorted. */
  spikeCounts: Record<string, number>;
}

export interface ResultsBody {
  segments: Segment[];
}

/** What the reader returns. */
export interface ResultsFile {
  format: typeof RESULTS_FORMAT;
  formatVersion: number;
  metadata: ResultsMetadata;
  body: ResultsBody;
  /** The body exactly as stored, e.g. for hashing or comparing runs. */
  bodyBytes: Uint8Array;
  /** Set when the file read was a plain JSON spikes file (spikes-json.ts) rather than a results file. */
  spikesFile?: { formatVersion: number; producer: string; network: string; steps: number };
}
