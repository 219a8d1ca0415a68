/** CSV export of a results file: one file per spike train, trace and rate. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileFormatError } from '../errors.js';
import { writeFileAtomicAsync } from '../util/atomic.js';
import type { ResultsFile } from './format.js';

/**
 * Times are computed (index · step), so they carry float noise such as
 * 0.30000000000000004; 12 significant digits removes it and keeps ≪ 1 ns.
 */
function time(t: number): string {
  return String(Number(t.toPrecision(12)));
}

/** A file-name-safe stem; labels may contain anything. */
function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Writes `<pop>_spikes.csv` (index,time_ms), `<pop>_<variable>.csv` (time_ms, n<i>…)
 * and `<pop>_rate.csv` (t_start_ms,rate_hz) for the first segment into `outDir`
 * (created if needed), each atomically. A name used twice gets a `_2`, `_3` … suffix.
 * Returns the written paths.
 */
export async function exportCsv(results: ResultsFile, outDir: string): Promise<string[]> {
  const segment = results.body.segments[0]!;
  const files: Array<[stem: string, text: string]> = [];

  for (const s of segment.spiketrains) {
    const lines = ['index,time_ms'];
    for (let k = 0; k < s.indices.length; k++) lines.push(`${s.indices[k]},${time(s.times[k]!)}`);
    files.push([`${s.population}_spikes`, lines.join('\n') + '\n']);
  }
  for (const a of segment.analogsignals) {
    const [nSamples, nNeurons] = a.shape;
    const lines = [['time_ms', ...Array.from(a.indices, (i) => `n${i}`)].join(',')];
    for (let s = 0; s < nSamples; s++) {
      const row = [time(a.tStart + s * a.samplingPeriod)];
      for (let k = 0; k < nNeurons; k++) row.push(String(a.data[s * nNeurons + k]));
      lines.push(row.join(','));
    }
    files.push([`${a.population}_${a.variable}`, lines.join('\n') + '\n']);
  }
  for (const r of segment.rates) {
    const lines = ['t_start_ms,rate_hz'];
    for (let b = 0; b < r.rate.length; b++) lines.push(`${time(b * r.bin)},${r.rate[b]}`);
    files.push([`${r.population}_rate`, lines.join('\n') + '\n']);
  }

  const used = new Set<string>();
  const paths: string[] = [];
  try {
    await mkdir(outDir, { recursive: true });
    for (const [stem, text] of files) {
      let name = safe(stem);
      for (let n = 2; used.has(name); n++) name = `${safe(stem)}_${n}`;
      used.add(name);
      const path = join(outDir, `${name}.csv`);
      await writeFileAtomicAsync(path, text);
      paths.push(path);
    }
  } catch (err) {
    throw new FileFormatError(`cannot write CSV files to "${outDir}": ${(err as Error).message}`, {
      object: `directory "${outDir}"`,
    });
  }
  return paths;
}
