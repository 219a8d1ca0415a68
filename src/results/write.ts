/** Writing results files: encode fully in memory, then replace the target atomically. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SimulationOutput } from '../engines/types.js';
import { FileFormatError, ValidationError } from '../errors.js';
import { writeFileAtomicAsync } from '../util/atomic.js';
import {
  packr,
  RESULTS_FORMAT,
  RESULTS_FORMAT_VERSION,
  type ResultsBody,
  type ResultsMetadata,
  type Segment,
} from './format.js';

/**
 * The body for `output`. Every object is built with a fixed key order and record
 * keys are sorted, so identical output (and duration) gives identical bytes.
 */
function buildBody(output: SimulationOutput, duration: number): ResultsBody {
  const segment: Segment = {
    name: 'run',
    tStart: 0,
    tStop: duration,
    spiketrains: output.spikes.map((s) => ({
      population: s.population,
      units: 'ms',
      recorded: s.recorded,
      indices: s.indices,
      times: s.times,
      spikeCount: s.indices.length,
    })),
    analogsignals: output.traces.map((t) => {
      const nNeurons = t.indices.length;
      const nSamples = nNeurons === 0 ? 0 : t.data.length / nNeurons;
      if (!Number.isInteger(nSamples)) {
        throw new ValidationError(
          `trace ${t.population}.${t.variable}: ${t.data.length} values is not a whole number of samples of ${nNeurons} neurons`,
          { object: `population "${t.population}"`, parameter: t.variable },
        );
      }
      return {
        population: t.population,
        variable: t.variable,
        units: t.units,
        indices: t.indices,
        tStart: t.tStart,
        samplingPeriod: t.samplingPeriod,
        samplingPeriodUnits: 'ms',
        data: t.data,
        shape: [nSamples, nNeurons],
      };
    }),
    rates: output.rates.map((r) => ({ population: r.population, bin: r.bin, units: 'Hz', rate: r.rate })),
    delayRounding: output.delayRounding.map((d) => ({
      projection: d.projection,
      rounded: d.rounded,
      maxError: d.maxError,
      minSteps: d.minSteps,
      maxSteps: d.maxSteps,
    })),
    spikeCounts: Object.fromEntries(
      Object.keys(output.stats.spikeCounts)
        .sort()
        .map((k) => [k, output.stats.spikeCounts[k]!]),
    ),
  };
  return { segments: [segment] };
}

/** The complete file as bytes. Throws FileFormatError when something cannot be encoded. */
export function encodeResults(output: SimulationOutput, metadata: ResultsMetadata): Uint8Array {
  const body = buildBody(output, metadata.duration);
  try {
    const bodyBytes = packr.pack(body);
    return packr.pack({
      format: RESULTS_FORMAT,
      formatVersion: RESULTS_FORMAT_VERSION,
      metadata,
      // A plain Uint8Array view (not a Buffer), stored as msgpack bin.
      body: new Uint8Array(bodyBytes.buffer, bodyBytes.byteOffset, bodyBytes.byteLength),
    });
  } catch (err) {
    throw new FileFormatError(`cannot encode results: ${(err as Error).message}`, {
      fix: 'metadata.config and notes must be plain JSON-able values',
    });
  }
}

/**
 * Writes a results file. Never leaves a partial file at `path`: a failure leaves
 * whatever was there before. Creates the directory if needed.
 */
export async function writeResults(path: string, output: SimulationOutput, metadata: ResultsMetadata): Promise<void> {
  const bytes = encodeResults(output, metadata);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomicAsync(path, bytes);
  } catch (err) {
    throw new FileFormatError(`cannot write results file "${path}": ${(err as Error).message}`, {
      object: `file "${path}"`,
    });
  }
}
