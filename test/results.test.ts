import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulationOutput } from '../src/engines/types.js';
import { FileFormatError } from '../src/errors.js';
import {
  decodeResults,
  encodeResults,
  exportCsv,
  readResults,
  readResultsSync,
  spikeTrainsOf,
  summarize,
  traceOf,
  writeResults,
  type ResultsMetadata,
} from '../src/results/index.js';
import { removeIfExists, writeFileAtomic } from '../src/util/atomic.js';

const packr = new Packr({ useRecords: false, moreTypes: true });

function output(): SimulationOutput {
  return {
    spikes: [
      {
        population: 'E',
        indices: Uint32Array.from([0, 2, 0]),
        times: Float64Array.from([0.1 * 3, 1.5, 2.25]),
        recorded: Uint32Array.from([0, 1, 2]),
      },
      { population: 'I', indices: Uint32Array.from([1]), times: Float64Array.from([0.7]), recorded: Uint32Array.from([0, 1]) },
    ],
    traces: [
      {
        population: 'E',
        variable: 'v',
        units: 'mV',
        indices: Uint32Array.from([0, 12]),
        tStart: 0,
        samplingPeriod: 0.1,
        // 3 samples × 2 neurons, row-major
        data: Float64Array.from([-65, -70, -64.5, -69, -60.25, -68]),
      },
    ],
    rates: [{ population: 'I', bin: 5, rate: Float64Array.from([100, 0]) }],
    delayRounding: [{ projection: 'EI', rounded: 3, maxError: 0.05, minSteps: 1, maxSteps: 15 }],
    // Keys deliberately unsorted: the writer sorts them.
    stats: {
      engine: 'clock',
      threads: 1,
      steps: 100,
      spikes: 5,
      synapticEvents: 42,
      buildMs: 1,
      simMs: 2,
      spikeCounts: { I: 1, E: 4 },
    },
  };
}

function metadata(over: Partial<ResultsMetadata> = {}): ResultsMetadata {
  return {
    nematodeVersion: '0.1.0',
    createdAt: '2024-01-01T00:00:00.000Z',
    seed: 7,
    engine: 'clock',
    threads: 1,
    dt: 0.1,
    duration: 10,
    wall: { buildMs: 1.25, simMs: 2.5, totalMs: 4 },
    config: { name: 'test', populations: [{ label: 'E', size: 3 }] },
    irHash: 'abc123',
    synapticEvents: 42,
    notes: ['delays of EI rounded'],
    ...over,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nematode-results-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('results file', () => {
  it('round-trips arrays with their typed-array classes', async () => {
    const path = join(dir, 'sub', 'dir', 'run.nmr'); // directory created on write
    const out = output();
    await writeResults(path, out, metadata());
    for (const r of [await readResults(path), readResultsSync(path)]) {
      expect(r.format).toBe('nematode-results');
      expect(r.formatVersion).toBe(1);
      expect(r.metadata).toEqual(metadata());
      const seg = r.body.segments[0]!;
      expect(seg.name).toBe('run');
      expect(seg.tStop).toBe(10);
      expect(seg.spiketrains.map((s) => s.population)).toEqual(['E', 'I']);
      const e = seg.spiketrains[0]!;
      expect(e.indices).toBeInstanceOf(Uint32Array);
      expect(e.times).toBeInstanceOf(Float64Array);
      expect(e.recorded).toBeInstanceOf(Uint32Array);
      expect(e.indices).toEqual(out.spikes[0]!.indices);
      expect(e.times).toEqual(out.spikes[0]!.times);
      expect(e.recorded).toEqual(out.spikes[0]!.recorded);
      expect(e.spikeCount).toBe(3);
      const a = seg.analogsignals[0]!;
      expect(a.data).toBeInstanceOf(Float64Array);
      expect(a.indices).toBeInstanceOf(Uint32Array);
      expect(a.data).toEqual(out.traces[0]!.data);
      expect(a.shape).toEqual([3, 2]);
      expect(a.units).toBe('mV');
      expect(seg.rates[0]!.rate).toBeInstanceOf(Float64Array);
      expect(seg.rates[0]!.rate).toEqual(out.rates[0]!.rate);
      expect(seg.delayRounding).toEqual(out.delayRounding);
      expect(Object.keys(seg.spikeCounts)).toEqual(['E', 'I']);
      expect(spikeTrainsOf(r, 'I').times).toEqual(Float64Array.from([0.7]));
      expect(traceOf(r, 'E', 'v').data).toEqual(out.traces[0]!.data);
      expect(() => spikeTrainsOf(r, 'X')).toThrow(/unknown/);
    }
    expect(readdirSync(join(dir, 'sub', 'dir'))).toEqual(['run.nmr']); // no temp file left
  });

  it('encodes an identical body for identical output, whatever the metadata', () => {
    const a = decodeResults(encodeResults(output(), metadata()));
    const b = decodeResults(
      encodeResults(output(), metadata({ createdAt: '2030-05-05T00:00:00.000Z', wall: { buildMs: 9, simMs: 9, totalMs: 18 } })),
    );
    expect(a.metadata).not.toEqual(b.metadata);
    expect(Buffer.from(a.bodyBytes).equals(Buffer.from(b.bodyBytes))).toBe(true);
  });

  it('leaves no file and no temp file when encoding fails', async () => {
    const path = join(dir, 'bad.nmr');
    const bad = metadata({ config: { oops: Symbol('not encodable') } });
    await expect(writeResults(path, output(), bad)).rejects.toBeInstanceOf(FileFormatError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes the temp file when the final rename fails', async () => {
    // The target is a non-empty directory: the temp file is written, then rename fails.
    const path = join(dir, 'target');
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), 'x');
    await expect(writeResults(path, output(), metadata())).rejects.toBeInstanceOf(FileFormatError);
    expect(readdirSync(dir)).toEqual(['target']);
  });

  it('fails cleanly when the target directory is a file', async () => {
    writeFileSync(join(dir, 'file'), 'x');
    await expect(writeResults(join(dir, 'file', 'run.nmr'), output(), metadata())).rejects.toBeInstanceOf(FileFormatError);
    expect(readdirSync(dir)).toEqual(['file']);
  });

  it('keeps a pre-existing file when a later write fails', async () => {
    const path = join(dir, 'run.nmr');
    await writeResults(path, output(), metadata());
    const before = readFileSync(path);
    await expect(writeResults(path, output(), metadata({ notes: [Symbol('x') as unknown as string] }))).rejects.toThrow(
      FileFormatError,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['run.nmr']);
  });
});

describe('writeFileAtomic (sync)', () => {
  it('replaces the target, and cleans up when the rename fails', () => {
    const path = join(dir, 'a.txt');
    writeFileAtomic(path, 'one');
    writeFileAtomic(path, new Uint8Array([116, 119, 111]));
    expect(readFileSync(path, 'utf8')).toBe('two');
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'keep'), 'x');
    expect(() => writeFileAtomic(join(dir, 'd'), 'three')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'd']);
    removeIfExists(path);
    removeIfExists(path); // a missing file is fine
    expect(readdirSync(dir)).toEqual(['d']);
  });
});

describe('reader errors', () => {
  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    ['a non-msgpack file', () => Buffer.from('hello, this is not msgpack\n'), /not valid msgpack/],
    ['a msgpack value that is not a map', () => packr.pack([1, 2, 3]), /not a nematode results file/],
    ['a map with the wrong format', () => packr.pack({ format: 'other', formatVersion: 1 }), /not a nematode results file/],
    [
      'a newer format version',
      () => packr.pack({ format: 'nematode-results', formatVersion: 7, metadata: {}, body: new Uint8Array() }),
      /format version 7 is newer than this nematode \(reads 1\)/,
    ],
    ['a truncated file', () => encodeResults(output(), metadata()).subarray(0, 100), /not valid msgpack/],
    ['an empty file', () => new Uint8Array(), /not valid msgpack/],
  ];
  for (const [name, bytes, message] of cases) {
    it(`rejects ${name}`, async () => {
      const path = join(dir, 'x.nmr');
      writeFileSync(path, bytes());
      const err = await readResults(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FileFormatError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(path);
      expect(() => readResultsSync(path)).toThrow(FileFormatError);
    });
  }

  it('rejects a missing file with FileFormatError', async () => {
    await expect(readResults(join(dir, 'missing.nmr'))).rejects.toBeInstanceOf(FileFormatError);
  });
});

describe('CSV export and summary', () => {
  it('writes spikes, trace and rate CSVs', async () => {
    const results = decodeResults(encodeResults(output(), metadata()));
    const out = join(dir, 'csv');
    const paths = await exportCsv(results, out);
    expect(paths.map((p) => p.slice(out.length + 1))).toEqual([
      'E_spikes.csv',
      'I_spikes.csv',
      'E_v.csv',
      'I_rate.csv',
    ]);
    expect(readFileSync(join(out, 'E_spikes.csv'), 'utf8')).toBe('index,time_ms\n0,0.3\n2,1.5\n0,2.25\n');
    expect(readFileSync(join(out, 'E_v.csv'), 'utf8')).toBe(
      'time_ms,n0,n12\n0,-65,-70\n0.1,-64.5,-69\n0.2,-60.25,-68\n',
    );
    expect(readFileSync(join(out, 'I_rate.csv'), 'utf8')).toBe('t_start_ms,rate_hz\n0,100\n5,0\n');
    expect(readdirSync(out).sort()).toEqual(['E_spikes.csv', 'E_v.csv', 'I_rate.csv', 'I_spikes.csv']);
  });

  it('summary names each population with its spike count', () => {
    const text = summarize(decodeResults(encodeResults(output(), metadata())));
    expect(text).toMatch(/E: 3 neurons recorded, 3 spikes \(4 over all neurons\), mean rate 100\.000 Hz/);
    expect(text).toMatch(/I: 2 neurons recorded, 1 spikes \(1 over all neurons\), mean rate 50\.000 Hz/);
    expect(text).toContain('E.v (mV): 2 neurons, 3 samples');
    expect(text).toContain('I: 2 bins of 5 ms');
    expect(text).toContain('engine: clock');
    expect(text).toContain('seed: 7');
  });
});
