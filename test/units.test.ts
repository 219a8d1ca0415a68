import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UnitError } from '../src/errors.js';
import { parseQuantity, toInternal } from '../src/units.js';

describe('units', () => {
  it('converts unit strings into the internal unit system (ms, mV, nA, nF, µS, Hz)', () => {
    expect(toInternal('20 ms', 'time')).toBe(20);
    expect(toInternal('1 s', 'time')).toBe(1000);
    expect(toInternal('250 us', 'time')).toBeCloseTo(0.25, 15);
    expect(toInternal('0.5 nA', 'current')).toBe(0.5);
    expect(toInternal('87.81 pA', 'current')).toBeCloseTo(0.08781, 15);
    expect(toInternal('250 pF', 'capacitance')).toBeCloseTo(0.25, 15);
    expect(toInternal('6 nS', 'conductance')).toBeCloseTo(0.006, 15);
    expect(toInternal('1 uS', 'conductance')).toBe(1);
    expect(toInternal('1 µS', 'conductance')).toBe(1);
    expect(toInternal('-65 mV', 'voltage')).toBe(-65);
    expect(toInternal('0.07 V', 'voltage')).toBeCloseTo(70, 12);
    expect(toInternal('9 kHz', 'rate')).toBe(9000);
    expect(toInternal(3, 'time')).toBe(3);
  });

  it('round-trips any number written in ms, s, mV and nA', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (x === 0 ? 0 : x)), (x) => {
        expect(toInternal(`${x} ms`, 'time')).toBe(x);
        expect(toInternal(`${x} s`, 'time')).toBeCloseTo(x * 1000, 6);
        expect(toInternal(`${x} mV`, 'voltage')).toBe(x);
        expect(toInternal(`${x}nA`, 'current')).toBe(x);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('rejects a wrong dimension, naming what was expected', () => {
    expect(() => toInternal('20 mV', 'time', { object: 'population "E"', parameter: 'tau_m' })).toThrow(UnitError);
    try {
      toInternal('20 mV', 'time', { object: 'population "E"', parameter: 'tau_m' });
    } catch (e) {
      const err = e as UnitError;
      expect(err.message).toContain('population "E" tau_m');
      expect(err.message).toContain('voltage');
      expect(err.message).toContain('time (in ms)');
      expect(err.parameter).toBe('tau_m');
    }
  });

  it('rejects unknown units and unreadable quantities', () => {
    expect(() => parseQuantity('20 parsecs')).toThrow(/unknown unit "parsecs"/);
    expect(() => parseQuantity('twenty ms')).toThrow(UnitError);
    expect(() => toInternal(null, 'time')).toThrow(/expected a number in ms/);
    expect(() => toInternal([1, 2], 'time')).toThrow(/an array/);
  });
});
