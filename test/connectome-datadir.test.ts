/** Data-directory resolution order, checksum verification and the "no data" message. */
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileFormatError, NematodeError, UnknownNameError } from '../src/errors.js';
import { ChecksumMismatchError, DataUnavailableError, loadConnectome, resolveDataDir, type DatasetId } from '../src/connectome/index.js';
import { loadManifest } from '../src/connectome/manifest.js';

/** The data beside the checkout (/work/shared/connectomes here and in CI). */
const DATA = path.resolve('..', 'shared', 'connectomes');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nematode-datadir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A data directory under tmp holding the given files (paths under celegans/), copied from the shared data. */
function dataDir(name: string, files: string[] = []): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'celegans', 'original'), { recursive: true });
  for (const f of files) copyFileSync(path.join(DATA, 'celegans', f), path.join(dir, 'celegans', f));
  return dir;
}
const nowhere = path.join(tmp, 'nowhere');

describe('data directory resolution', () => {
  const saved = process.env.NEMATODE_DATA;
  afterEach(() => {
    if (saved === undefined) delete process.env.NEMATODE_DATA;
    else process.env.NEMATODE_DATA = saved;
  });

  it('goes option, NEMATODE_DATA, ../shared/connectomes beside the checkout, then the user cache', () => {
    const flag = dataDir('flag');
    const env = dataDir('env');
    const xdg = path.join(tmp, 'xdg');
    const cache = path.join(xdg, 'nematode', 'connectomes');
    mkdirSync(path.join(cache, 'celegans'), { recursive: true });
    expect(resolveDataDir({ dataDir: flag }, { NEMATODE_DATA: env })).toEqual({ dir: flag, source: 'flag' });
    expect(resolveDataDir({}, { NEMATODE_DATA: env })).toEqual({ dir: env, source: 'env' });
    expect(resolveDataDir({}, { XDG_CACHE_HOME: xdg })).toEqual({ dir: path.resolve('..', 'shared', 'connectomes'), source: 'beside-checkout' });
    expect(resolveDataDir({}, { XDG_CACHE_HOME: xdg }).dir).toBe(DATA);
    expect(resolveDataDir({}, { XDG_CACHE_HOME: xdg }, nowhere)).toEqual({ dir: cache, source: 'cache' });
  });

  it('the loaders follow NEMATODE_DATA and the option (the option wins)', () => {
    const viaEnv = dataDir('via-env', ['varshney2011_neuron_connect.csv', 'neurons.csv']);
    process.env.NEMATODE_DATA = viaEnv;
    expect(resolveDataDir()).toEqual({ dir: viaEnv, source: 'env' });
    expect(loadConnectome('varshney2011').chemical).toHaveLength(2194);
    process.env.NEMATODE_DATA = nowhere;
    expect(() => loadConnectome('varshney2011')).toThrow(DataUnavailableError);
    expect(loadConnectome('varshney2011', { dataDir: viaEnv }).gap).toHaveLength(517);
  });

  it('says exactly how to get the data when there is none', () => {
    const empty = path.join(tmp, 'empty-xdg');
    let err: unknown;
    try {
      resolveDataDir({}, { XDG_CACHE_HOME: empty }, nowhere);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataUnavailableError);
    expect(err).toBeInstanceOf(NematodeError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/--data-dir DIR/);
    expect(msg).toMatch(/NEMATODE_DATA=DIR/);
    expect(msg).toMatch(/\.\.\/shared\/connectomes\/celegans\//);
    expect(msg).toMatch(/nematode connectome fetch/);
    expect(msg).toContain(path.join(empty, 'nematode', 'connectomes'));
    // a directory named explicitly that lacks celegans/ is an error, not skipped
    expect(() => resolveDataDir({ dataDir: nowhere })).toThrow(/--data-dir .*nowhere holds no celegans\//);
    expect(() => resolveDataDir({}, { NEMATODE_DATA: nowhere })).toThrow(/NEMATODE_DATA .*nowhere holds no celegans\//);
  });

  it('names the missing files when a dataset is incomplete', () => {
    const partial = dataDir('partial', ['neurons.csv']);
    expect(() => loadConnectome('cook2019', { dataDir: partial })).toThrow(/has none of cook2019_herm_full_edgelist.csv, original\/herm_full_edgelist.csv/);
  });

  it('rejects an unknown dataset with did-you-mean', () => {
    expect(() => loadConnectome('varshney' as DatasetId, { dataDir: DATA })).toThrow(UnknownNameError);
    expect(() => loadConnectome('cook2018' as DatasetId, { dataDir: DATA })).toThrow(/Did you mean "cook2019"/);
  });
});

describe('checksums', () => {
  it('the manifest lists the 5 originals with canonical URLs and the convenience files with their sources', () => {
    const m = loadManifest();
    const originals = m.files.filter((f) => f.url !== null);
    expect(originals.map((f) => f.path).sort()).toEqual(
      ['CElegansNeuronTables.xls', 'NeuronConnectFormatted.xlsx', 'aconnectome_white_1986_whole.csv', 'herm_full_edgelist.csv', 'owmeta_cache.json'].map((f) => `original/${f}`),
    );
    for (const f of originals) expect(f.url).toBe(`https://raw.githubusercontent.com/openworm/c302/9cccbab97fbaa5e682e128b0e819a5fb6c129618/c302/data/${path.basename(f.path)}`);
    for (const f of m.files) {
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      if (f.url === null) expect(f.derivedFrom!.length).toBeGreaterThan(0);
    }
  });

  it('a corrupted file is a typed error naming the file and both sums', () => {
    const dir = dataDir('corrupt', ['varshney2011_neuron_connect.csv', 'neurons.csv']);
    const file = path.join(dir, 'celegans', 'varshney2011_neuron_connect.csv');
    appendFileSync(file, 'AVAL,AVBL,S,1\r\n');
    let err: unknown;
    try {
      loadConnectome('varshney2011', { dataDir: dir });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect(err).toBeInstanceOf(FileFormatError);
    const c = err as ChecksumMismatchError;
    expect(c.file).toBe(file);
    expect(c.expected).toBe('01796e27cc60bbbfc8314a949570a47f5a09181de28ac4f1e004717086c2c720');
    expect(c.actual).toMatch(/^[0-9a-f]{64}$/);
    expect(c.actual).not.toBe(c.expected);
    expect(c.message).toContain(file);
    expect(c.message).toContain(c.expected);
    expect(c.message).toContain(c.actual);
  });
});
