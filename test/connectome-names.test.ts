/** Name normalisation, muscle naming and the neuron-class rule (no data needed except for the 118-class check). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BODY_WALL_MUSCLES, loadNeuronTable, neuronClass, normaliseMuscleName, normaliseNeuronName } from '../src/connectome/index.js';
import { parseDelimited, parseRecords } from '../src/connectome/csv.js';

describe('connectome names', () => {
  it('normalises neuron names: trim, drop zero padding (class letters + 0 + one digit)', () => {
    expect(normaliseNeuronName('VB01')).toBe('VB1');
    expect(normaliseNeuronName('VC06')).toBe('VC6');
    expect(normaliseNeuronName('  I2L           ')).toBe('I2L');
    expect(normaliseNeuronName('DD01 ')).toBe('DD1');
    expect(normaliseNeuronName('VA10')).toBe('VA10');
    expect(normaliseNeuronName('VB1')).toBe('VB1');
    expect(normaliseNeuronName('AVAL')).toBe('AVAL');
    expect(normaliseNeuronName('IL1DL')).toBe('IL1DL');
  });

  it('maps the three muscle schemes to c302 naming, and knows the 95 body-wall muscles', () => {
    expect(BODY_WALL_MUSCLES).toHaveLength(95);
    expect(BODY_WALL_MUSCLES).toContain('MVR24');
    expect(BODY_WALL_MUSCLES).not.toContain('MVL24');
    expect(normaliseMuscleName('dBWML1')).toBe('MDL01');
    expect(normaliseMuscleName('vBWMR24')).toBe('MVR24');
    expect(normaliseMuscleName('BWM-DL01')).toBe('MDL01');
    expect(normaliseMuscleName('MDR07')).toBe('MDR07');
    expect(normaliseMuscleName('MVL24')).toBeUndefined();
    expect(normaliseMuscleName('MANAL')).toBeUndefined();
    expect(normaliseMuscleName('pm1')).toBeUndefined();
  });

  it('derives neuron classes by the documented rule', () => {
    const cases: Record<string, string> = {
      AVAL: 'AVA', VB11: 'VB', RMED: 'RME', RMEL: 'RME', SMBDL: 'SMB', I1L: 'I1', I3: 'I3', MCL: 'MC', M4: 'M4',
      RID: 'RID', RIVL: 'RIV', AVL: 'AVL', PVR: 'PVR', RIR: 'RIR', AQR: 'AQR', PQR: 'PQR', DVA: 'DVA', AVDL: 'AVD',
      IL1VR: 'IL1', IL2L: 'IL2', RMDDL: 'RMD', RMDL: 'RMD', SABD: 'SAB', SABVL: 'SAB', CEPDL: 'CEP', VD13: 'VD', NSML: 'NSM',
    };
    for (const [n, c] of Object.entries(cases)) expect(neuronClass(n), n).toBe(c);
  });

  it('the 302 neurons form 118 classes (White et al. 1986)', () => {
    const table = loadNeuronTable({ dataDir: path.resolve('..', 'shared', 'connectomes') });
    expect(table).toHaveLength(302);
    expect(new Set(table.map((n) => n.cls)).size).toBe(118);
  });
});

describe('CSV parser', () => {
  it('handles quotes, doubled quotes, embedded delimiters and line breaks, CRLF and TSV', () => {
    expect(parseDelimited('a,b\r\n"x, y","say ""hi"""\r\n"multi\nline",\r\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', ''],
    ]);
    expect(parseDelimited('p\tq\n1\t2')).toEqual([['p\tq'], ['1\t2']]);
    expect(parseDelimited('p\tq\n1\t2', '\t')).toEqual([['p', 'q'], ['1', '2']]);
    expect(parseRecords('h1,h2\n1\n').records).toEqual([{ h1: '1', h2: '' }]);
  });
});
