import { describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { UnitError, UnknownNameError, UnsupportedError, ValidationError } from '../src/errors.js';
import { validateNetwork } from '../src/ir/validate.js';
import { requireEngineSupport } from '../src/ir/validate.js';
import type { NetworkIR } from '../src/ir/types.js';
import { expectError } from './helpers.js';


function small(): { net: Network; ir: () => NetworkIR } {
  const net = new Network({ dt: 0.1, duration: 10 });
  net.population('E', 4, 'IF_curr_exp');
  net.population('C', 4, 'IF_cond_exp');
  return { net, ir: () => net.toIR() };
}

describe('validation: populations', () => {
  it('an unknown model lists the valid ones and suggests the closest', () => {
    const net = new Network();
    const e = expectError(() => net.population('E', 10, 'IF_curr_exq'), UnknownNameError, 'population "E"', 'Did you mean "IF_curr_exp"', 'iaf_psc_exp');
    expect((e as UnknownNameError).valid).toContain('izhikevich');
  });

  it('an unknown parameter names the model and suggests a correction', () => {
    const net = new Network();
    expectError(() => net.population('E', 10, 'IF_curr_exp', { tau_mem: 10 }), UnknownNameError, 'population "E"', '"tau_mem"', 'Did you mean "tau_m"');
  });

  it('state given as a parameter is explained (PyNN: v is state, not a parameter)', () => {
    const net = new Network();
    expectError(() => net.population('E', 10, 'IF_curr_exp', {}, { tau_m: 3 }), UnknownNameError, 'is a parameter, not a state variable');
  });

  it.each([
    ['tau_m', 0, /tau_m = 0 ms .*out of range; allowed: > 0 ms/],
    ['tau_m', -5, /tau_m = -5 ms/],
    ['cm', 0, /cm = 0 nF .*> 0 nF/],
    ['tau_syn_E', -1, /tau_syn_E/],
    ['tau_refrac', -1, /tau_refrac = -1 ms .*≥ 0 ms/],
    ['v_thresh', NaN, /v_thresh = NaN mV/],
    ['i_offset', Infinity, /i_offset = Infinity nA/],
  ])('%s = %s is a ValidationError naming the population, parameter, value and range', (param, value, re) => {
    const net = new Network();
    expectError(() => net.population('E', 3, 'IF_curr_exp', { [param]: value }), ValidationError, 'population "E"', re);
  });

  it('v_reset ≥ v_thresh is rejected, also for one neuron of a per-neuron array', () => {
    const net = new Network();
    expectError(() => net.population('E', 3, 'IF_curr_exp', { v_reset: -50, v_thresh: -50 }), ValidationError, 'v_reset must be below v_thresh', 'v_reset = -50 mV');
    expectError(() => net.population('F', 3, 'IF_curr_exp', { v_reset: [-60, -40, -60], v_thresh: -50 }), ValidationError, 'neuron 1');
  });

  it('per-neuron arrays must have one value per neuron', () => {
    const net = new Network();
    expectError(() => net.population('E', 3, 'IF_curr_exp', { tau_m: [10, 20] }), ValidationError, '2 values for 3');
  });

  it('a parameter with the wrong dimension is a UnitError', () => {
    const net = new Network();
    expectError(() => net.population('E', 3, 'IF_curr_exp', { tau_m: '20 mV' }), UnitError, 'tau_m', 'time');
  });

  it('sizes must be whole numbers ≥ 1 and labels unique', () => {
    const net = new Network();
    expectError(() => net.population('E', 0, 'IF_curr_exp'), ValidationError, 'size = 0');
    expectError(() => net.population('E', 2.5, 'IF_curr_exp'), ValidationError, 'size = 2.5');
    net.population('E', 2, 'IF_curr_exp');
    expectError(() => net.population('E', 2, 'IF_curr_exp'), ValidationError, 'already exists');
  });
});

describe('validation: projections', () => {
  it('an inhibitory current weight must be negative, an excitatory one positive', () => {
    const { net } = small();
    expectError(() => {
      net.connect('E', 'E', { rule: 'all_to_all' }, { receptor: 'inhibitory', weight: 0.1 });
      validateNetwork(net.toIR());
    }, ValidationError, /projection "E→E:inhibitory"/, /inhibitory weights onto iaf_psc_exp must be ≤ 0/);
    const b = small();
    expectError(() => {
      b.net.connect('E', 'E', { rule: 'all_to_all' }, { receptor: 'excitatory', weight: -0.1 });
      validateNetwork(b.net.toIR());
    }, ValidationError, /excitatory weights .* must be ≥ 0/);
  });

  it('conductance weights must be non-negative for both receptors', () => {
    const { net } = small();
    net.connect('E', 'C', { rule: 'all_to_all' }, { receptor: 'inhibitory', weight: -0.01 });
    expectError(() => validateNetwork(net.toIR()), ValidationError, /iaf_cond_exp must be ≥ 0/);
  });

  it('negative delays and delays below one step are rejected; the message gives the fix', () => {
    const a = small();
    a.net.connect('E', 'E', { rule: 'one_to_one' }, { weight: 0.1, delay: -1 });
    expectError(() => validateNetwork(a.ir()), ValidationError, /delay = -1 ms/);
    const b = small();
    b.net.connect('E', 'E', { rule: 'one_to_one' }, { weight: 0.1, delay: 0.05 });
    const e = expectError(() => validateNetwork(b.ir()), ValidationError, /delay 0.05 ms is below one time step \(dt = 0.1 ms\)/);
    expect((e as ValidationError).fix).toMatch(/at least 0.1 ms/);
  });

  it('an unknown receptor lists the model receptors', () => {
    const { net } = small();
    net.connect('E', 'E', { rule: 'one_to_one' }, { receptor: 'excitory', weight: 0.1 });
    expectError(() => validateNetwork(net.toIR()), UnknownNameError, 'Did you mean "excitatory"');
  });

  it('NaN weights, malformed CSR and out-of-range targets are typed errors', () => {
    const { net, ir } = small();
    net.connect('E', 'E', { rule: 'one_to_one' }, { weight: 0.1 });
    const proj = ir().projections[0]!;
    proj.weight = NaN;
    expectError(() => validateNetwork(ir()), ValidationError, /weight = NaN/);
    proj.weight = 0.1;
    proj.targets = Uint32Array.from([0, 1, 2, 9]);
    expectError(() => validateNetwork(ir()), ValidationError, /targets neuron 9/);
    proj.rowPtr = Uint32Array.from([0, 2, 1, 3, 4]);
    expectError(() => validateNetwork(ir()), ValidationError, /rowPtr decreases/);
  });

  it('unknown populations in a projection are named with the valid ones', () => {
    const { ir } = small();
    const bad = ir();
    bad.projections.push({ label: 'X', pre: 'Q', post: 'E', receptor: 'excitatory', rowPtr: new Uint32Array(1), targets: new Uint32Array(0), weight: 0, delay: 1 });
    expectError(() => validateNetwork(bad), UnknownNameError, 'projection "X"', 'unknown population "Q"', 'E, C');
  });
});

describe('validation: stimuli, recordings, run settings, engines', () => {
  it('stimuli and recordings name the object and the bad field', () => {
    const { net, ir } = small();
    net.stimulate('E', { kind: 'poisson', rate: -3, weight: 0.1 });
    expectError(() => validateNetwork(ir()), ValidationError, /stimulus .*rate = -3/);
    const b = small();
    b.net.stimulate('E', { kind: 'dc', amplitude: 1, indices: [7] });
    expectError(() => validateNetwork(b.ir()), ValidationError, /neuron index 7 is outside population "E" \(0..3\)/);
    const c = small();
    c.net.record('E', ['w']);
    expectError(() => validateNetwork(c.ir()), UnknownNameError, /unknown state variable of iaf_psc_exp "w"/);
    const d = small();
    d.net.stimulate('E', { kind: 'dc', amplitude: 1, names: ['AVAL'] });
    expectError(() => validateNetwork(d.ir()), ValidationError, /has no neuron names/);
  });

  it('run settings are checked', () => {
    const { ir } = small();
    const x = ir();
    x.run.dt = 0;
    expectError(() => validateNetwork(x), ValidationError, /dt = 0 ms/);
    x.run.dt = 0.1;
    x.run.engine = 'gpus' as never;
    expectError(() => validateNetwork(x), UnknownNameError, /unknown engine "gpus"/, /clock, event, gpu/);
    x.run.engine = 'gpu';
    x.run.backend = 'webgl' as never;
    expectError(() => validateNetwork(x), UnknownNameError, /unknown gpu backend "webgl"/, /auto, webgpu, webasm, cpu/);
  });

  it('an engine that cannot run a model refuses and names the engine that can', () => {
    const { ir } = small();
    const e = expectError(() => requireEngineSupport(validateNetwork(ir()), 'event'), UnsupportedError, /engine "event" cannot run population "C" \(model iaf_cond_exp\); use engine "clock"/);
    expect((e as UnsupportedError).fix).toBe('--engine clock');
  });
});
