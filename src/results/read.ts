/** Reading results files, with format/version checks, plus small accessors. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { FileFormatError, UnknownNameError } from '../errors.js';
import {
  packr,
  RESULTS_FORMAT,
  RESULTS_FORMAT_VERSION,
  type AnalogSignalRecord,
  type ResultsBody,
  type ResultsFile,
  type ResultsMetadata,
} from './format.js';
import { decodeSpikesFile, looksLikeJson, spikesFileToResults } from './spikes-json.js';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

/** msgpackr throws plain Errors / RangeErrors on corrupt or truncated input. */
function unpack(bytes: Uint8Array, what: string, source: string): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new FileFormatError(
      `${source}: ${what} is not valid msgpack (truncated or corrupt?): ${(err as Error).message}`,
      { object: source, expected: 'a nematode results file (msgpack)' },
    );
  }
}

/** Decodes and checks a results file; `source` names it in errors. */
export function decodeResults(bytes: Uint8Array, source = 'results data'): ResultsFile {
  const top = unpack(bytes, 'file', source);
  const ctx = { object: source, expected: `format "${RESULTS_FORMAT}", formatVersion ≤ ${RESULTS_FORMAT_VERSION}` };
  if (!isObject(top) || top.format !== RESULTS_FORMAT) {
    throw new FileFormatError(`${source}: not a nematode results file (expected format "${RESULTS_FORMAT}")`, ctx);
  }
  const version = top.formatVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new FileFormatError(`${source}: invalid format version ${String(version)} (expected an integer ≥ 1)`, ctx);
  }
  if (version > RESULTS_FORMAT_VERSION) {
    throw new FileFormatError(
      `${source}: format version ${version} is newer than this nematode (reads ${RESULTS_FORMAT_VERSION})`,
      { ...ctx, fix: 'upgrade nematode to read this file' },
    );
  }
  if (!isObject(top.metadata) || !(top.body instanceof Uint8Array)) {
    throw new FileFormatError(`${source}: results file lacks its metadata or body`, ctx);
  }
  // A plain view, not a Buffer, so it compares equal to what was written.
  const bodyBytes = new Uint8Array(top.body.buffer, top.body.byteOffset, top.body.byteLength);
  const body = unpack(bodyBytes, 'body', source);
  if (!isObject(body) || !Array.isArray(body.segments) || body.segments.length === 0) {
    throw new FileFormatError(`${source}: results body has no segments`, ctx);
  }
  return {
    format: RESULTS_FORMAT,
    formatVersion: version,
    metadata: top.metadata as unknown as ResultsMetadata,
    body: body as unknown as ResultsBody,
    bodyBytes,
  };
}

function readFailed(path: string, err: unknown): FileFormatError {
  return new FileFormatError(`cannot read results file "${path}": ${(err as Error).message}`, {
    object: `file "${path}"`,
  });
}

/**
 * A results file (msgpack), or a plain JSON spikes file (spikes-json.ts, e.g. written by
 * a script that `nematode export` generated) read as a results file with spike trains only.
 */
function decodeAny(bytes: Uint8Array, source: string): ResultsFile {
  if (looksLikeJson(bytes)) return spikesFileToResults(decodeSpikesFile(new TextDecoder().decode(bytes), source), source);
  return decodeResults(bytes, source);
}

export async function readResults(path: string): Promise<ResultsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw readFailed(path, err);
  }
  return decodeAny(bytes, `file "${path}"`);
}

export function readResultsSync(path: string): ResultsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw readFailed(path, err);
  }
  return decodeAny(bytes, `file "${path}"`);
}

/** Spikes of one population (first segment). Throws UnknownNameError listing the recorded ones. */
export function spikeTrainsOf(
  results: ResultsFile,
  population: string,
): { indices: Uint32Array; times: Float64Array } {
  const trains = results.body.segments[0]!.spiketrains;
  const train = trains.find((s) => s.population === population);
  if (!train) {
    throw new UnknownNameError(
      'population with recorded spikes',
      population,
      trains.map((s) => s.population),
    );
  }
  return { indices: train.indices, times: train.times };
}

/** One recorded state variable (first segment). Throws UnknownNameError listing the recorded ones. */
export function traceOf(results: ResultsFile, population: string, variable: string): AnalogSignalRecord {
  const signals = results.body.segments[0]!.analogsignals;
  const signal = signals.find((a) => a.population === population && a.variable === variable);
  if (!signal) {
    throw new UnknownNameError(
      'trace',
      `${population}.${variable}`,
      signals.map((a) => `${a.population}.${a.variable}`),
    );
  }
  return signal;
}
