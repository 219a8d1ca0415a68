/**
 * The spreadsheet readers and the originals-only path: a data directory that
 * holds only the five originals (what `nematode connectome fetch` leaves in the
 * cache) gives exactly the same graphs as the convenience CSVs.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConnectome, loadNeuronTable, type DatasetId } from '../src/connectome/index.js';
import { FileFormatError } from '../src/errors.js';
import { parseDelimited } from '../src/connectome/csv.js';
import { readXls } from '../src/connectome/xls.js';
import { readXlsx } from '../src/connectome/xlsx.js';

/** The data beside the checkout (/work/shared/connectomes here and in CI). */
const DATA = path.resolve('..', 'shared', 'connectomes');
const ORIG = `${DATA}/celegans/original`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nematode-originals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
mkdirSync(path.join(tmp, 'celegans', 'original'), { recursive: true });
for (const f of readdirSync(ORIG)) copyFileSync(path.join(ORIG, f), path.join(tmp, 'celegans', 'original', f));

/** Rows with trailing empty cells removed (the CSV conversion pads short rows). */
const trimRows = (rows: string[][]) =>
  rows.map((r) => {
    const out = [...r];
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  });
const csv = (f: string) => trimRows(parseDelimited(readFileSync(`${DATA}/celegans/${f}`, 'utf8')));

describe('spreadsheet readers', () => {
  it('the .xlsx reader gives the Varshney sheet cell for cell', () => {
    const book = readXlsx(readFileSync(`${ORIG}/NeuronConnectFormatted.xlsx`));
    expect([...book.keys()]).toEqual(['Sheet1']);
    expect(trimRows(book.get('Sheet1')!)).toEqual(csv('varshney2011_neuron_connect.csv'));
  });

  it('the .xls reader gives the three sheets of CElegansNeuronTables cell for cell', () => {
    const book = readXls(readFileSync(`${ORIG}/CElegansNeuronTables.xls`));
    expect([...book.keys()]).toEqual(expect.arrayContaining(['Connectome', 'NeuronsToMuscle', 'Sensory']));
    expect(trimRows(book.get('Connectome')!)).toEqual(csv('neuron_tables_connectome.csv'));
    expect(trimRows(book.get('NeuronsToMuscle')!)).toEqual(csv('neuron_tables_neurons_to_muscle.csv'));
    expect(trimRows(book.get('Sensory')!)).toEqual(csv('neuron_tables_sensory.csv'));
  });

  it('a file that is not a workbook is a FileFormatError', () => {
    expect(() => readXlsx(Buffer.from('not a zip file at all, just text'), 'x.xlsx')).toThrow(FileFormatError);
    expect(() => readXls(Buffer.alloc(1024), 'x.xls')).toThrow(/x\.xls: not a readable OLE2\/xls file/);
    expect(() => readXls(readFileSync(`${ORIG}/NeuronConnectFormatted.xlsx`), 'y.xls')).toThrow(FileFormatError);
  });
});

describe('a data directory with only the originals', () => {
  it.each(['varshney2011', 'openworm', 'cook2019', 'white1986'] as DatasetId[])('%s: the same edges as from the convenience files', (id) => {
    const fromOriginals = loadConnectome(id, { dataDir: tmp });
    const fromCsv = loadConnectome(id, { dataDir: DATA });
    expect(fromOriginals).not.toBe(fromCsv);
    for (const k of ['neurons', 'chemical', 'gap', 'nmj', 'otherTargets'] as const) expect(fromOriginals[k], k).toEqual(fromCsv[k]);
    expect(fromOriginals.notes.join('\n')).toMatch(/read from original\//);
  });

  it('builds the neuron table from owmeta_cache.json and the tables, matching neurons_302.csv where derivable', () => {
    const fallback = loadNeuronTable({ dataDir: tmp });
    const table = loadNeuronTable({ dataDir: DATA });
    expect(fallback.map((n) => n.name)).toEqual(table.map((n) => n.name));
    for (const [i, n] of fallback.entries()) {
      const t = table[i]!;
      expect({ ...n, category: undefined }, n.name).toEqual({ ...t, category: undefined, kunertIndex: undefined, kunertGroup: undefined });
      if (n.category !== 'unknown') expect(t.category === n.category || (t.category === 'inter' && n.category === 'motor'), n.name).toBe(true);
    }
    expect(fallback.filter((n) => n.category === 'pharyngeal')).toHaveLength(20);
    expect(fallback.filter((n) => n.gaba)).toHaveLength(26);
  });
});
