import { describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { FileFormatError, ValidationError } from '../src/errors.js';
import { decodeIR, encodeIR } from '../src/ir/serialize.js';
import { IR_VERSION } from '../src/ir/types.js';

function exampleNetwork() {
  const net = new Network({ dt: 0.1, duration: 50, seed: 3 });
  const E = net.population('E', 20, 'IF_curr_exp', { tau_m: { uniform: [10, 20] } }, { v: { normal: [-65, 2] } });
  const P = net.spikeSource('P', 5, { rate: '20 Hz' });
  const A = net.spikeSource('A', 2, { times: [[1, 2.5], [3]] });
  net.population('Z', 3, 'izhikevich', {}, {}, { neuronNames: ['a', 'b', 'c'] });
  net.connect(P, E, { rule: 'fixed_probability', p: 0.5 }, { weight: { normal: [0.1, 0.01], min: 0 }, delay: { uniform: [0.1, 3] } });
  net.connect(A, E, { rule: 'all_to_all' }, { weight: 0.2, delay: 1 });
  net.connect(E, E, { rule: 'fixed_indegree', n: 3 }, { receptor: 'inhibitory', weight: -0.05, delay: 2 });
  net.stimulate(E, { kind: 'dc', amplitude: '0.1 nA', start: '5 ms', stop: '20 ms', indices: [0, 1] });
  net.stimulate('Z', { kind: 'step', times: [0, 10], amplitudes: [0.01, 0.02], names: ['b'] });
  net.record(E, 'spikes').record(E, ['v', 'isyn_exc'], { indices: [0, 3], interval: '1 ms' }).record(E, 'rate', { bin: 5 });
  return net.toIR();
}

describe('IR', () => {
  it('round-trips through msgpack unchanged, typed arrays included', () => {
    const ir = exampleNetwork();
    const back = decodeIR(encodeIR(ir));
    expect(back).toEqual(ir);
    expect(back.projections[0]!.rowPtr).toBeInstanceOf(Uint32Array);
    expect(back.projections[0]!.weight).toBeInstanceOf(Float64Array);
    expect(back.populations[0]!.params.tau_m).toBeInstanceOf(Float64Array);
    expect(back.populations[2]!.spikeTimes![0]).toBeInstanceOf(Float64Array);
    expect(Buffer.from(encodeIR(back)).equals(Buffer.from(encodeIR(ir)))).toBe(true);
  });

  it('is versioned and validated when loaded', () => {
    const ir = exampleNetwork();
    expect(ir.irVersion).toBe(IR_VERSION);
    expect(() => decodeIR(encodeIR({ ...ir, irVersion: 99 as never }))).toThrow(/IR version 99 is not supported/);
    const bad = exampleNetwork();
    bad.populations[0]!.params.tau_m = -1;
    expect(() => decodeIR(encodeIR(bad))).toThrow(ValidationError);
    expect(() => decodeIR(new Uint8Array([0xc1, 0xff, 0x00]))).toThrow(FileFormatError);
    expect(() => decodeIR(encodeIR({ hello: 1 } as never))).toThrow(/no irVersion/);
  });

  it('records units in the internal system: strings are converted when built', () => {
    const ir = exampleNetwork();
    expect(ir.stimuli[0]).toMatchObject({ kind: 'dc', amplitude: 0.1, start: 5, stop: 20 });
    expect(ir.populations[1]!.params.rate).toBe(20);
    expect(ir.recordings[1]).toMatchObject({ interval: 1 });
  });

  it('the same seed builds the same network; another seed builds another', () => {
    expect(Buffer.from(encodeIR(exampleNetwork())).equals(Buffer.from(encodeIR(exampleNetwork())))).toBe(true);
    const a = new Network({ seed: 1 });
    const b = new Network({ seed: 2 });
    for (const n of [a, b]) {
      n.population('E', 50, 'IF_curr_exp');
      n.connect('E', 'E', { rule: 'fixed_probability', p: 0.2 }, { weight: 0.1 });
    }
    expect(a.toIR().projections[0]!.targets).not.toEqual(b.toIR().projections[0]!.targets);
  });
});
