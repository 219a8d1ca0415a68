/**
 * Graded neurons, graded synapses and gap junctions in the clock engine: analytic
 * steady states, the Kunert equilibrium threshold, agreement between the models' own
 * methods and the whole-network ODE solvers, and the refusals.
 */
import { describe, expect, test } from 'vitest';
import { Network } from '../src/api/network.js';
import { UnsupportedError, ValidationError } from '../src/errors.js';
import { simulate } from '../src/simulate.js';
import { addWorm } from '../src/worm/build.js';
import type { SolverSetting } from '../src/ir/types.js';

const last = (data: Float64Array, n: number, k: number) => data[data.length - n + k]!;

describe('gap junctions', () => {
  test('two passive cells coupled by g: steady state equals the 2×2 linear solution and is symmetric', async () => {
    // ltc with no chemical synapses is a passive cell: cm dv/dt = gL (vL − v) + g (v_j − v) + I.
    const gL = 1e-3, g = 4e-3, vL = -60, I = 0.05;
    for (const stimulated of [0, 1]) {
      const net = new Network({ dt: 0.1 });
      const p = net.population('c', 2, 'ltc', { cm: 0.01, g_leak: gL, v_leak: vL });
      net.connect(p, p, { rule: 'from_list', connections: [[0, 1]] }, { transmission: 'gap', weight: g });
      net.stimulate(p, { kind: 'dc', indices: [stimulated], amplitude: I });
      net.record(p, ['v'], { interval: 1 });
      const out = await net.simulate(500);
      // (gL + g) v_s − g v_o = gL vL + I ; −g v_s + (gL + g) v_o = gL vL
      const det = (gL + g) ** 2 - g * g;
      const vs = ((gL + g) * (gL * vL + I) + g * gL * vL) / det;
      const vo = (g * (gL * vL + I) + (gL + g) * gL * vL) / det;
      const d = out.traces[0]!.data;
      expect(last(d, 2, stimulated)).toBeCloseTo(vs, 6);
      expect(last(d, 2, 1 - stimulated)).toBeCloseTo(vo, 6);
    }
  });

  test('spiking models take gap junctions as a current; the event engine refuses them', async () => {
    const build = (engine: 'clock' | 'event') => {
      const net = new Network({ dt: 0.1, engine });
      const p = net.population('n', 2, 'IF_curr_exp', { tau_refrac: 2 });
      net.connect(p, p, { rule: 'from_list', connections: [[0, 1]] }, { transmission: 'gap', weight: 0.05 });
      net.stimulate(p, { kind: 'dc', indices: [0], amplitude: 0.5 });
      net.record(p, ['v'], { interval: 1 });
      return net;
    };
    const out = await build('clock').simulate(200);
    const d = out.traces[0]!.data;
    // The unstimulated cell is pulled up from rest (−65 mV) through the junction.
    expect(last(d, 2, 1)).toBeGreaterThan(-64);
    await expect(build('event').simulate(200)).rejects.toBeInstanceOf(UnsupportedError);
  });

  test('a model without a membrane voltage cannot take gap junctions', async () => {
    const net = new Network();
    const s = net.spikeSource('s', 2, { rate: 10 });
    const n = net.population('n', 2, 'IF_curr_exp');
    net.connect(s, n, { rule: 'one_to_one' }, { transmission: 'gap', weight: 0.01 });
    await expect(simulate(net.toIR())).rejects.toThrow(/declares no membrane voltage/);
  });
});

describe('graded_kunert', () => {
  test('input-dependent threshold: the network settles at V = V_th(I) under constant input; a neuron with no inputs has V_th = E_c', async () => {
    const net = new Network({ dt: 0.1 });
    addWorm(net, {});
    net.stimulate('worm', { kind: 'dc', names: ['PLML', 'PLMR'], amplitude: 0.0005, start: 100 });
    net.record('worm', ['v', 'v_th'], { interval: 100 });
    const out = await net.simulate(3000);
    const [v, vth] = [out.traces[0]!, out.traces[1]!];
    const n = v.indices.length;
    const names = net.toIR().populations[0]!.neuronNames!;
    let worst = 0;
    for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(last(v.data, n, k) - last(vth.data, n, k)));
    expect(worst).toBeLessThan(1e-3);
    expect(last(vth.data, n, names.indexOf('IL2DL'))).toBeCloseTo(-35, 9);
    // The input moved the thresholds of PLM's gap-junction partners, not only PLM's.
    expect(last(vth.data, n, names.indexOf('PVCL'))).toBeGreaterThan(vth.data[names.indexOf('PVCL')]! + 1e-3);
  });

  test('fixed threshold: starts exactly at rest (no drift without input)', async () => {
    const net = new Network({ dt: 0.1 });
    addWorm(net, { params: { vth_input_dependent: 0 } });
    net.record('worm', ['v'], { interval: 50 });
    const out = await net.simulate(500);
    const d = out.traces[0]!.data;
    const n = out.traces[0]!.indices.length;
    let drift = 0;
    for (let k = 0; k < n; k++) drift = Math.max(drift, Math.abs(last(d, n, k) - d[k]!));
    expect(drift).toBeLessThan(1e-9);
  });

  function small(solver: SolverSetting, dt: number) {
    const net = new Network({ dt, solver, atol: 1e-10, rtol: 1e-10 });
    const p = net.population('w', 3, 'graded_kunert', { vth_input_dependent: 0 });
    net.connect(p, p, { rule: 'from_list', connections: [[0, 1], [1, 2]] }, { transmission: 'graded', graded: { variable: 's' }, receptor: 'excitatory', weight: 5e-4 });
    net.connect(p, p, { rule: 'from_list', connections: [[2, 0]] }, { transmission: 'graded', graded: { variable: 's' }, receptor: 'inhibitory', weight: 5e-4 });
    net.connect(p, p, { rule: 'from_list', connections: [[0, 2]] }, { transmission: 'gap', weight: 2e-4 });
    net.stimulate(p, { kind: 'dc', indices: [0], amplitude: 0.003, start: 20, stop: 300 });
    net.record(p, ['v', 's'], { interval: 5 });
    return net.simulate(400);
  }

  test('exponential Euler converges to the rk45 reference at first order; rk4 agrees with rk45', async () => {
    const ref = (await small('rk45', 0.1)).traces[0]!.data;
    const err = async (solver: SolverSetting, dt: number) => {
      const d = (await small(solver, dt)).traces[0]!.data;
      return d.reduce((m, x, i) => Math.max(m, Math.abs(x - ref[i]!)), 0);
    };
    const e1 = await err('auto', 0.1);
    const e2 = await err('auto', 0.05);
    const e4 = await err('auto', 0.025);
    expect(e1 / e2).toBeGreaterThan(1.8);
    expect(e1 / e2).toBeLessThan(2.2);
    expect(e2 / e4).toBeGreaterThan(1.8);
    expect(e2 / e4).toBeLessThan(2.2);
    expect(await err('rk4', 0.1)).toBeLessThan(1e-7);
    expect(await err('euler', 0.025)).toBeLessThan(e4 * 2);
  });

  test('the ODE solvers refuse spiking models, naming the population', async () => {
    const net = new Network({ solver: 'rk45' });
    net.population('spiky', 2, 'IF_curr_exp');
    await expect(net.simulate(10)).rejects.toThrow(/population "spiky".*spikes/);
  });

  test('spikes into a graded neuron are refused (its receptors are graded)', async () => {
    const net = new Network();
    const s = net.spikeSource('s', 2, { rate: 10 });
    const w = net.population('w', 2, 'graded_kunert');
    expect(() => net.connect(s, w, { rule: 'one_to_one' }, { receptor: 'excitatory', weight: 1e-4 })).not.toThrow();
    await expect(simulate(net.toIR())).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('ltc', () => {
  test('fused step: stays within the hull of v, v_leak and reversals for any dt, and converges to rk45', async () => {
    const run = async (solver: SolverSetting, dt: number) => {
      const net = new Network({ dt, solver, atol: 1e-10, rtol: 1e-10 });
      const p = net.population('l', 3, 'ltc', { cm: 0.001, g_leak: 1e-4, v_leak: -35, e_exc: 0, e_inh: -70 });
      const sig = { variable: 'v', transfer: { kind: 'sigmoid' as const, mu: -30, slope: 0.3 } };
      net.connect(p, p, { rule: 'from_list', connections: [[0, 1], [1, 2]] }, { transmission: 'graded', graded: sig, receptor: 'excitatory', weight: 2e-3 });
      net.connect(p, p, { rule: 'from_list', connections: [[2, 0]] }, { transmission: 'graded', graded: sig, receptor: 'inhibitory', weight: 2e-3 });
      net.connect(p, p, { rule: 'from_list', connections: [[0, 2]] }, { transmission: 'gap', weight: 1e-3 });
      net.stimulate(p, { kind: 'step', indices: [0], times: [10, 60], amplitudes: [0.003, 0] });
      net.record(p, ['v'], { interval: 2 });
      return (await net.simulate(120)).traces[0]!.data;
    };
    const coarse = await run('auto', 1); // dt = 1 ms ≫ cm/G: explicit Euler would blow up
    for (const v of coarse) expect(v).toBeGreaterThanOrEqual(-70 - 1e-9);
    const ref = await run('rk45', 0.01);
    const err = async (dt: number) => (await run('auto', dt)).reduce((m, x, i) => Math.max(m, Math.abs(x - ref[i]!)), 0);
    const e1 = await err(0.02);
    const e2 = await err(0.01);
    expect(e2).toBeLessThan(0.3);
    expect(e1 / e2).toBeGreaterThan(1.6);
    expect(e1 / e2).toBeLessThan(2.4);
  });
});
