import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { loadConfig } from '../src/config/load.js';
import { FileFormatError, UnitError, UnknownNameError } from '../src/errors.js';
import { encodeIR } from '../src/ir/serialize.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('config files', () => {
  it('the example YAML and JSON configs load into valid networks', () => {
    const y = loadConfig('docs/examples/brunel.yaml');
    expect(y.populations.map((p) => [p.label, p.size])).toEqual([['E', 400], ['I', 100]]);
    expect(y.populations[0]!.params.cm).toBeCloseTo(0.25, 15);
    expect(y.projections.map((p) => p.label)).toEqual(['EE', 'EI', 'IE', 'II']);
    expect(y.run).toMatchObject({ duration: 500, dt: 0.1, seed: 7 });
    const j = loadConfig('docs/examples/single-neuron.json');
    expect(j.run.dt).toBe(0.01);
    expect(j.stimuli).toHaveLength(3);
  });

  it('maps onto the same IR as the API, byte for byte', () => {
    const f = write(
      'same.yaml',
      `name: same
run: { duration: 100 ms, dt: 0.1 ms, seed: 5 }
populations:
  A: { model: IF_curr_exp, size: 30, params: { tau_m: 15 ms }, initial: { v: { normal: [-65 mV, 3 mV] } } }
projections:
  AA: { pre: A, post: A, connector: { rule: fixed_probability, p: 0.2 }, weight: 0.1 nA, delay: 1 ms }
stimuli:
  - { kind: dc, population: A, amplitude: 0.5 nA, start: 10 ms, stop: 50 ms }
recordings:
  - { kind: spikes, population: A }
`,
    );
    const net = new Network({ name: 'same', duration: '100 ms', dt: '0.1 ms', seed: 5 });
    net.population('A', 30, 'IF_curr_exp', { tau_m: '15 ms' }, { v: { normal: ['-65 mV', '3 mV'] } });
    net.connect('A', 'A', { rule: 'fixed_probability', p: 0.2 }, { label: 'AA', weight: '0.1 nA', delay: '1 ms' });
    net.stimulate('A', { kind: 'dc', amplitude: '0.5 nA', start: '10 ms', stop: '50 ms' });
    net.record('A', 'spikes');
    expect(Buffer.from(encodeIR(loadConfig(f))).equals(Buffer.from(encodeIR(net.toIR())))).toBe(true);
  });

  it('command-line overrides win over the file', () => {
    const ir = loadConfig('docs/examples/brunel.yaml', { seed: 99, threads: 1, duration: '2 s' });
    expect(ir.run).toMatchObject({ seed: 99, threads: 1, duration: 2000 });
  });

  it('errors name the file, the key and what is valid', () => {
    expect(() => loadConfig(write('bad.yaml', 'populations: [unclosed'))).toThrow(FileFormatError);
    expect(() => loadConfig(write('bad.json', '{"populations": '))).toThrow(/not valid JSON/);
    expect(() => loadConfig(path.join(dir, 'missing.yaml'))).toThrow(/cannot read config/);
    expect(() => loadConfig(write('typo.yaml', 'populaitons: {}'))).toThrow(UnknownNameError);
    expect(() => loadConfig(write('typo.yaml', 'populaitons: {}'))).toThrow(/Did you mean "populations"/);
    expect(() => loadConfig(write('unit.yaml', 'populations: { A: { model: IF_curr_exp, size: 2, params: { tau_m: 3 mV } } }'))).toThrow(UnitError);
    expect(() => loadConfig(write('rec.yaml', 'populations: { A: { model: IF_curr_exp, size: 2 } }\nrecordings: [ { kind: voltage, population: A } ]'))).toThrow(/unknown recording kind "voltage"/);
  });
});
