/**
 * The WebAssembly SIMD neuron kernels (src/engines/clock/wasm-neuron.ts) give the same
 * bits as the JavaScript kernels generated from the same model snippets: directly on
 * random kernel states (refractory and spiking lanes mixed in one vector), inside the
 * clock engine for every model that compiles (IF_curr_exp, IF_cond_exp euler,
 * izhikevich; sizes that leave a JavaScript remainder, per-neuron parameters, DC, step
 * and Poisson stimuli, delays of one and several steps), on random small networks, and
 * on two worker threads (and an uncoupled ltc population, which compiles too). Models
 * and couplings that cannot be compiled exactly (Math.exp, inputs before the update,
 * graded synapses, gap junctions) are refused with WasmUnsupported and keep the
 * JavaScript kernel; a DC-driven LIF fires at the analytic rate with its refractory
 * period on either kernel.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Network, type Network as NetworkSrc } from '../src/api/network.js';
import type { ValueSpec } from '../src/api/values.js';
import { clockEngine, type clockEngine as clockEngineSrc } from '../src/engines/clock/index.js';
import { buildPlan } from '../src/engines/clock/plan.js';
import { instantiate, neuronKernelSource, type NeuronKernelSpec } from '../src/engines/clock/codegen.js';
import { WasmArena } from '../src/engines/clock/wasm-gather.js';
import { checkNeuronKernel, neuronModuleBytes, NEURONS_PER_ITERATION, WasmUnsupported, type WasmNeuronStep } from '../src/engines/clock/wasm-neuron.js';
import { validateNetwork } from '../src/ir/validate.js';
import type { NetworkIR } from '../src/ir/types.js';
import { iafCondExp, iafPscExp, izhikevich, loihiLif, type NeuronModel } from '../src/models/index.js';
import type { SimulationOutput } from '../src/engines/types.js';
import { expectError } from './helpers.js';

type JsStep = (lo: number, hi: number, slot: number, spk: Uint32Array, obase: number, ns0: number, n: number) => number;

/** First position where two arrays differ bit for bit (Object.is: −0 ≠ 0, NaN = NaN), or −1. */
function firstBitDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (!Object.is(a[k], b[k])) return k;
  return a.length === b.length ? -1 : n;
}

/** Spikes (times and indices of every population), state traces and spike counts are identical, bit for bit. */
function expectSameOutput(wasm: SimulationOutput, js: SimulationOutput): void {
  expect(wasm.spikes.map((s) => s.population)).toEqual(js.spikes.map((s) => s.population));
  wasm.spikes.forEach((s, k) => {
    const r = js.spikes[k]!;
    const di = firstBitDifference(s.indices, r.indices);
    const dt = firstBitDifference(s.times, r.times);
    const d = di < 0 ? dt : dt < 0 ? di : Math.min(di, dt);
    expect(d, `population ${s.population}: first differing spike #${d}: wasm ${s.indices[d]}@${s.times[d]} ms, js ${r.indices[d]}@${r.times[d]} ms`).toBe(-1);
  });
  expect(wasm.traces.map((t) => `${t.population}.${t.variable}`)).toEqual(js.traces.map((t) => `${t.population}.${t.variable}`));
  wasm.traces.forEach((t, k) => {
    const r = js.traces[k]!;
    expect(Array.from(t.indices)).toEqual(Array.from(r.indices));
    const d = firstBitDifference(t.data, r.data);
    const n = t.indices.length;
    expect(d, `trace ${t.population}.${t.variable}: neuron ${t.indices[d % n]} sample ${Math.floor(d / n)}: wasm ${t.data[d]}, js ${r.data[d]}`).toBe(-1);
  });
  expect(wasm.stats.spikeCounts).toEqual(js.stats.spikeCounts);
}

/** Which populations the plan runs in WebAssembly (one thread). */
function wasmPopulations(ir: NetworkIR, wasmNeurons = true): string[] {
  const plan = buildPlan(validateNetwork(ir), 1, { wasmNeurons });
  return plan.populations.filter((p) => p.wasmKernel !== undefined).map((p) => p.label);
}

const every = (n: number, step: number, from = 0) => Array.from({ length: Math.ceil((n - from) / step) }, (_, k) => from + k * step).filter((i) => i < n);

// ====================================================================== models

interface ModelCase {
  title: string;
  model: string;
  method?: string;
  /** Per-neuron parameters of population A (203 neurons). */
  perNeuron: Record<string, ValueSpec>;
  initialA: Record<string, ValueSpec>;
  /** Uniform parameters of population B (37 neurons). */
  uniform: Record<string, ValueSpec>;
  exc: number;
  inh: number;
  poisson: { rate: number; weight: number };
  dc: number;
  state: string[];
}

const CASES: ModelCase[] = [
  {
    title: 'IF_curr_exp',
    model: 'IF_curr_exp',
    perNeuron: { tau_m: { uniform: [8, 30] }, v_thresh: { uniform: [-55, -48] }, tau_refrac: { uniform: [0.5, 4] }, cm: { uniform: [0.5, 1.5] } },
    initialA: { v: { uniform: [-70, -50] } },
    uniform: { tau_refrac: 0, tau_syn_E: 2, tau_syn_I: 8, v_reset: -70 },
    exc: 0.15,
    inh: -0.4,
    poisson: { rate: 1500, weight: 0.25 },
    dc: 0.9,
    state: ['v', 'isyn_exc', 'isyn_inh'],
  },
  {
    title: 'IF_cond_exp (euler)',
    model: 'IF_cond_exp',
    method: 'euler',
    perNeuron: { tau_m: { uniform: [8, 30] }, v_thresh: { uniform: [-55, -48] }, tau_refrac: { uniform: [0.5, 4] }, e_rev_I: { uniform: [-80, -70] } },
    initialA: { v: { uniform: [-70, -50] } },
    uniform: { tau_refrac: 0, tau_syn_E: 2, tau_syn_I: 8, v_reset: -70 },
    exc: 0.01,
    inh: 0.04,
    poisson: { rate: 1500, weight: 0.012 },
    dc: 0.9,
    state: ['v', 'g_exc', 'g_inh'],
  },
  {
    title: 'izhikevich',
    model: 'izhikevich',
    perNeuron: { a: { uniform: [0.02, 0.1] }, b: { uniform: [0.2, 0.25] }, c: { uniform: [-65, -50] }, d: { uniform: [0.05, 8] } },
    initialA: { v: { uniform: [-70, -60] } },
    uniform: { a: 0.1, d: 2 },
    exc: 0.8,
    inh: -2,
    poisson: { rate: 1500, weight: 1.5 },
    dc: 0.006,
    state: ['v', 'u'],
  },
];

function modelNetwork(c: ModelCase, seed: number, extra?: (net: NetworkSrc) => void): NetworkIR {
  const net = new Network({ dt: 0.1, seed });
  const opts = c.method ? { method: c.method } : {};
  const A = net.population('A', 203, c.model, c.perNeuron, c.initialA, opts);
  const B = net.population('B', 37, c.model, c.uniform, {}, opts);
  // Delays of exactly one step, of several steps, and random ones (rounded to the grid).
  net.connect(A, A, { rule: 'fixed_probability', p: 0.05 }, { receptor: 'excitatory', weight: { uniform: [0, c.exc] }, delay: 0.1 });
  net.connect(A, B, { rule: 'fixed_probability', p: 0.1 }, { receptor: 'excitatory', weight: c.exc, delay: { uniform: [0.1, 3] } });
  net.connect(B, A, { rule: 'fixed_probability', p: 0.2 }, { receptor: 'inhibitory', weight: c.inh, delay: 0.8 });
  net.connect(B, B, { rule: 'fixed_probability', p: 0.2 }, { receptor: 'inhibitory', weight: c.inh, delay: 1.5 });
  // Spike source populations projecting into kernels in WebAssembly.
  const S = net.spikeSource('S', 40, { rate: 30 });
  net.connect(S, A, { rule: 'fixed_probability', p: 0.2 }, { receptor: 'excitatory', weight: c.exc, delay: 0.4 });
  const T = net.spikeSource('T', 3, { times: [[5, 5.05, 40], [12.3], [80, 160]] });
  net.connect(T, B, { rule: 'all_to_all' }, { receptor: 'excitatory', weight: 2 * c.exc, delay: 0.1 });
  net.stimulate(A, { kind: 'poisson', rate: c.poisson.rate, weight: c.poisson.weight });
  net.stimulate(B, { kind: 'poisson', rate: c.poisson.rate, weight: c.poisson.weight, indices: every(37, 1, 5) });
  // DC on part of A (istim present), switched on and off; a step current on part of B.
  net.stimulate(A, { kind: 'dc', amplitude: c.dc, start: 20, stop: 150, indices: every(203, 3) });
  net.stimulate(B, { kind: 'step', times: [10, 60, 110], amplitudes: [c.dc, c.dc / 3, 0], indices: every(37, 2) });
  extra?.(net);
  net.record(A, 'spikes');
  net.record(B, 'spikes');
  // Neurons in WebAssembly vectors (0..199) and in the JavaScript remainder (200..202; B: 32..36).
  net.record(A, c.state, { interval: 0.5, indices: [0, 1, 7, 8, 101, 198, 199, 200, 201, 202] });
  net.record(B, c.state, { interval: 0.3 });
  net.setRun({ duration: 200, threads: 1 });
  return net.toIR();
}

describe('clock engine: WebAssembly neuron kernels give the JavaScript bits', () => {
  for (const c of CASES) {
    test(`${c.title}: 203 + 37 neurons, per-neuron parameters, DC/step/Poisson stimuli, delays of 1 and several steps`, async () => {
      const withExpEuler = c.model === 'IF_cond_exp';
      // IF_cond_exp's default method (exp_euler, Math.exp) stays in JavaScript next to the euler populations.
      const extra = withExpEuler
        ? (net: NetworkSrc) => {
            const C = net.population('C', 19, 'IF_cond_exp', {}, {});
            net.connect('A', C, { rule: 'fixed_probability', p: 0.1 }, { receptor: 'excitatory', weight: c.exc, delay: 0.3 });
            net.connect(C, 'A', { rule: 'fixed_probability', p: 0.1 }, { receptor: 'excitatory', weight: c.exc, delay: 0.2 });
            net.stimulate(C, { kind: 'poisson', rate: c.poisson.rate, weight: c.poisson.weight });
            net.record(C, 'spikes');
          }
        : undefined;
      const ir = modelNetwork(c, 7, extra);
      expect(wasmPopulations(ir)).toEqual(['A', 'B']);
      expect(wasmPopulations(ir, false)).toEqual([]);
      const wasm = await clockEngine.run(ir, { wasmNeurons: true });
      const js = await clockEngine.run(ir, { wasmNeurons: false });
      expectSameOutput(wasm, js);
      // Non-trivial activity: many spikes in every population, in the vector part and in the remainder.
      for (const s of wasm.spikes) expect(s.times.length, `spikes of ${s.population}`).toBeGreaterThan(s.population === 'A' ? 500 : 50);
      const a = wasm.spikes.find((s) => s.population === 'A')!;
      expect(Array.from(a.indices).filter((i) => i >= 200).length).toBeGreaterThan(0);
      const b = wasm.spikes.find((s) => s.population === 'B')!;
      expect(Array.from(b.indices).filter((i) => i >= 32).length).toBeGreaterThan(0);
      // The state moves (the traces compare dynamics, not constants).
      const v = wasm.traces.find((t) => t.population === 'B' && t.variable === 'v')!.data;
      expect(new Set(v).size).toBeGreaterThan(1000);
    });
  }
});

// ============================================================ random networks

const lifArb = fc.record({
  model: fc.constantFrom('IF_curr_exp', 'IF_cond_exp'),
  size: fc.integer({ min: 8, max: 60 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  cm: fc.double({ min: 0.2, max: 2, noNaN: true }),
  tau_m: fc.double({ min: 2, max: 40, noNaN: true }),
  tau_syn_E: fc.double({ min: 0.5, max: 10, noNaN: true }),
  tau_syn_I: fc.double({ min: 0.5, max: 10, noNaN: true }),
  v_rest: fc.double({ min: -75, max: -55, noNaN: true }),
  v_reset: fc.double({ min: -80, max: -60, noNaN: true }),
  gap: fc.double({ min: 2, max: 15, noNaN: true }), // v_thresh − v_reset
  tau_refrac: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5, noNaN: true })),
  i_offset: fc.double({ min: 0, max: 1.5, noNaN: true }),
  perNeuron: fc.constantFrom('none', 'tau_m', 'v_thresh', 'tau_refrac'),
  p: fc.double({ min: 0.02, max: 0.4, noNaN: true }),
  exc: fc.double({ min: 0, max: 1, noNaN: true }),
  inh: fc.double({ min: 0, max: 1, noNaN: true }),
  delayE: fc.integer({ min: 1, max: 30 }),
  delayI: fc.integer({ min: 1, max: 30 }),
  rate: fc.double({ min: 200, max: 5000, noNaN: true }),
  wPoisson: fc.double({ min: 0.1, max: 1, noNaN: true }),
  dc: fc.option(fc.double({ min: -0.5, max: 2, noNaN: true })),
});

describe('random small networks', () => {
  test('IF_curr_exp / IF_cond_exp euler (8..60 neurons, random parameters, weights, delays, seed): identical spikes and v', async () => {
    let runs = 0;
    let active = 0;
    await fc.assert(
      fc.asyncProperty(lifArb, async (r) => {
        const cond = r.model === 'IF_cond_exp';
        const net = new Network({ dt: 0.1, seed: r.seed });
        const params: Record<string, ValueSpec> = {
          cm: r.cm,
          tau_m: r.tau_m,
          tau_syn_E: r.tau_syn_E,
          tau_syn_I: r.tau_syn_I,
          v_rest: r.v_rest,
          v_reset: r.v_reset,
          v_thresh: r.v_reset + r.gap,
          tau_refrac: r.tau_refrac,
          i_offset: r.i_offset,
        };
        if (r.perNeuron === 'tau_m') params.tau_m = { uniform: [2, 40] };
        if (r.perNeuron === 'v_thresh') params.v_thresh = { uniform: [r.v_reset + 1, r.v_reset + 20] };
        if (r.perNeuron === 'tau_refrac') params.tau_refrac = { uniform: [0, 5] };
        // Scale: nA for current synapses, µS (×(E − v) ≈ 60 mV) for conductances.
        const scale = cond ? 0.02 : 1;
        const P = net.population('P', r.size, r.model, params, { v: { uniform: [r.v_reset, r.v_reset + r.gap] } }, cond ? { method: 'euler' } : {});
        net.connect(P, P, { rule: 'fixed_probability', p: r.p }, { receptor: 'excitatory', weight: { uniform: [0, r.exc * scale] }, delay: r.delayE * 0.1 });
        net.connect(P, P, { rule: 'fixed_probability', p: r.p / 2 }, { receptor: 'inhibitory', weight: (cond ? 1 : -1) * r.inh * scale, delay: r.delayI * 0.1 });
        net.stimulate(P, { kind: 'poisson', rate: r.rate, weight: r.wPoisson * scale });
        if (r.dc !== null) net.stimulate(P, { kind: 'dc', amplitude: r.dc, start: 5, stop: 80, indices: every(r.size, 2) });
        net.record(P, 'spikes');
        net.record(P, ['v'], { interval: 1 });
        net.setRun({ duration: 100, threads: 1 });
        const ir = net.toIR();
        expect(wasmPopulations(ir)).toEqual(['P']);
        const wasm = await clockEngine.run(ir, { wasmNeurons: true });
        const js = await clockEngine.run(ir, { wasmNeurons: false });
        expectSameOutput(wasm, js);
        runs++;
        if (wasm.spikes[0]!.times.length > 0) active++;
      }),
      { numRuns: 200 },
    );
    // The property compared dynamics: most random networks fired (about 90 % with these ranges).
    expect(active).toBeGreaterThan(runs / 2);
  });
});

// ============================================================== two threads

describe('two worker threads (dist build)', () => {
  test('IF_curr_exp and IF_cond_exp euler: 2 threads with WebAssembly kernels = 1 thread JavaScript, spikes and traces', async () => {
    // Worker threads load dist/src/engines/clock/worker.js, so this test runs the built engine.
    const { Network } = (await import('../dist/src/api/network.js')) as unknown as { Network: typeof NetworkSrc };
    const { clockEngine } = (await import('../dist/src/engines/clock/index.js')) as unknown as { clockEngine: typeof clockEngineSrc };
    const build = (threads: number) => {
      const net = new Network({ dt: 0.1, seed: 5 });
      // 203 → slices of 102 and 101 neurons: each worker has a WebAssembly part starting off the 8-neuron grid and a JavaScript remainder.
      const A = net.population('A', 203, 'IF_curr_exp', { tau_m: { uniform: [8, 30] }, tau_refrac: { uniform: [0.5, 4] } }, { v: { uniform: [-70, -50] } });
      const B = net.population('B', 37, 'IF_cond_exp', { tau_refrac: 2, v_reset: -70 }, {}, { method: 'euler' });
      // 9 neurons: compiled, but each worker's slice (5 and 4) is below one iteration and runs in JavaScript.
      const C = net.population('C', 9, 'IF_curr_exp', { tau_refrac: 1 });
      const S = net.spikeSource('S', 40, { rate: 30 });
      net.connect(S, A, { rule: 'fixed_probability', p: 0.2 }, { weight: 0.15, delay: 0.4 });
      net.connect(A, C, { rule: 'fixed_probability', p: 0.2 }, { weight: 0.2, delay: 0.2 });
      net.connect(C, B, { rule: 'all_to_all' }, { weight: 0.01, delay: 0.7 });
      net.connect(A, A, { rule: 'fixed_probability', p: 0.05 }, { weight: { uniform: [0, 0.15] }, delay: 0.1 });
      net.connect(A, B, { rule: 'fixed_probability', p: 0.1 }, { weight: 0.01, delay: { uniform: [0.1, 3] } });
      net.connect(B, A, { rule: 'fixed_probability', p: 0.2 }, { receptor: 'inhibitory', weight: -0.4, delay: 0.8 });
      net.stimulate(A, { kind: 'poisson', rate: 2000, weight: 0.3 });
      net.stimulate(B, { kind: 'poisson', rate: 1500, weight: 0.012 });
      net.stimulate(A, { kind: 'dc', amplitude: 1.2, start: 20, stop: 150, indices: every(203, 3) });
      net.record(A, 'spikes');
      net.record(B, 'spikes');
      net.record(C, 'spikes');
      net.record(A, ['v', 'isyn_exc'], { interval: 0.5, indices: [0, 100, 101, 102, 110, 200, 202] });
      net.record(C, ['v'], { interval: 0.5 });
      net.record(B, ['v', 'g_exc'], { interval: 0.5 });
      net.setRun({ duration: 200, threads });
      return net.toIR();
    };
    expect(wasmPopulations(build(2))).toEqual(['A', 'B', 'C']);
    const ref = await clockEngine.run(build(1), { wasmNeurons: false });
    const two = await clockEngine.run(build(2), { wasmNeurons: true });
    const twoJs = await clockEngine.run(build(2), { wasmNeurons: false });
    expect(two.stats.threads).toBe(2);
    expect(ref.spikes[0]!.times.length).toBeGreaterThan(500);
    expect(ref.spikes[1]!.times.length).toBeGreaterThan(50);
    expect(ref.spikes[2]!.times.length).toBeGreaterThan(20);
    expectSameOutput(two, ref);
    expectSameOutput(twoJs, ref);
  });
});

// ============================================================ the compiler

/** A kernel spec as plan.ts builds it, with the model's default parameters inlined (or per neuron). */
function specOf(model: NeuronModel, method: string, options: Partial<NeuronKernelSpec> & { perNeuron?: string[] } = {}): NeuronKernelSpec {
  const { perNeuron = [], ...overrides } = options;
  const dt = 0.1;
  const params = Object.fromEntries(Object.entries(model.params).map(([k, d]) => [k, d.default as number]));
  const constants: NeuronKernelSpec['constants'] = { __dt: dt, ...params, ...model.derived(params, dt, method) };
  for (const k of perNeuron) constants[k] = 'array';
  const refr = model.refractoryParam ? Math.round(params[model.refractoryParam]! / dt) : 0;
  return {
    model,
    method,
    constants,
    receptors: Object.keys(model.receptors).filter((r) => (model.receptors[r]!.mode ?? 'event') === 'event'),
    channels: [],
    gradedReceptors: [],
    gap: false,
    outputs: [],
    hasCurrentStimulus: true,
    refractorySteps: refr,
    ...overrides,
  };
}

/** Array keys of a spec, as plan.ts names them. */
function arrayKeys(spec: NeuronKernelSpec): string[] {
  const keys = Object.keys(spec.model.state).map((s) => `s_${s}`);
  for (const [k, c] of Object.entries(spec.constants)) if (c === 'array') keys.push(`c_${k}`);
  for (const r of spec.receptors) keys.push(`in_${r}`);
  if (spec.hasCurrentStimulus) keys.push('istim');
  if (spec.refractorySteps !== 0) keys.push('refr');
  if (spec.refractorySteps === 'array') keys.push('refsteps');
  if (spec.gap) keys.push('gin_gap', 'c_G_gap');
  return keys;
}

describe('neuron kernel compiler', () => {
  test('compiles IF_curr_exp, IF_cond_exp euler and izhikevich; refuses Math.exp, before-update inputs, gap junctions and graded coupling', () => {
    for (const [m, method] of [
      [iafPscExp, 'exact'],
      [iafCondExp, 'euler'],
      [izhikevich, 'euler'],
    ] as const) {
      const spec = specOf(m, method);
      expect(() => checkNeuronKernel(spec, arrayKeys(spec))).not.toThrow();
    }
    const expEuler = specOf(iafCondExp, 'exp_euler');
    expectError(() => checkNeuronKernel(expEuler, arrayKeys(expEuler)), WasmUnsupported, /Math\.exp/);
    const loihi = specOf(loihiLif, 'fixed_pt', { hasCurrentStimulus: false });
    expectError(() => checkNeuronKernel(loihi, arrayKeys(loihi)), WasmUnsupported, /before the update/);
    const gap = specOf(iafPscExp, 'exact', { gap: true });
    expectError(() => checkNeuronKernel(gap, arrayKeys(gap)), WasmUnsupported, /gap/);
    const graded = specOf(iafPscExp, 'exact', { outputs: ['v'] });
    expectError(() => checkNeuronKernel(graded, arrayKeys(graded)), WasmUnsupported);
  });

  test('refused models keep the JavaScript kernel inside the engine, next to a compiled IF_curr_exp', () => {
    const cases: [model: string, dt: number, method?: string][] = [
      ['IF_cond_exp', 0.1], // exp_euler (default): Math.exp
      ['ltc', 0.1, 'exp_euler'], // Math.exp
      ['graded_kunert', 0.1],
      ['c302_iaf', 0.1],
      ['c302_iaf_activity', 0.1],
      ['loihi_lif', 1], // inputs before the update
      ['spinnaker_IF_curr_exp', 1],
      ['spinnaker_IF_cond_exp', 1],
    ];
    for (const [model, dt, method] of cases) {
      const net = new Network({ dt, seed: 1 });
      net.population('X', 16, model, {}, {}, method ? { method } : {});
      net.population('plain', 16, 'IF_curr_exp');
      net.setRun({ duration: 2 });
      expect(wasmPopulations(net.toIR()), model).toEqual(['plain']);
    }
    // Gap junctions, graded coupling (either side), and populations smaller than one iteration.
    const net = new Network({ dt: 0.1, seed: 1 });
    net.population('gapped', 16, 'IF_curr_exp');
    net.population('plain', 16, 'IF_curr_exp');
    net.population('small', NEURONS_PER_ITERATION - 1, 'IF_curr_exp');
    net.population('liquid', 16, 'ltc');
    net.population('driver', 16, 'ltc');
    net.connect('gapped', 'gapped', { rule: 'fixed_probability', p: 0.2 }, { transmission: 'gap', weight: 0.001 });
    net.connect('driver', 'liquid', { rule: 'fixed_probability', p: 0.2 }, { transmission: 'graded', graded: { variable: 'v', transfer: { kind: 'sigmoid', mu: -30, slope: 0.1 } }, weight: 1e-5 });
    net.setRun({ duration: 1 });
    expect(wasmPopulations(net.toIR())).toEqual(['plain']);
  });

  test('an uncoupled ltc population (fused method: no Math.exp) compiles and gives the JavaScript bits', async () => {
    const net = new Network({ dt: 0.1, seed: 2 });
    const L = net.population('L', 21, 'ltc', { g_leak: { uniform: [5e-6, 2e-5] } }, { v: { uniform: [-60, -20] } });
    net.stimulate(L, { kind: 'step', times: [5, 30, 60], amplitudes: [0.2, -0.1, 0.05], indices: every(21, 2) });
    net.record(L, ['v'], { interval: 0.5 });
    net.setRun({ duration: 80, threads: 1 });
    const ir = net.toIR();
    expect(wasmPopulations(ir)).toEqual(['L']);
    const wasm = await clockEngine.run(ir, { wasmNeurons: true });
    const js = await clockEngine.run(ir, { wasmNeurons: false });
    expectSameOutput(wasm, js);
    expect(new Set(wasm.traces[0]!.data).size).toBeGreaterThan(1000);
  });

  test('module bytes validate, unshared and shared', () => {
    for (const shared of [false, true]) {
      const spec = specOf(iafPscExp, 'exact', { perNeuron: ['v_thresh'] });
      const offsets = Object.fromEntries(arrayKeys(spec).map((k, i) => [k, 64 * i]));
      const bytes = neuronModuleBytes([{ name: 'a', spec, offsets }, { name: 'b', spec: specOf(izhikevich, 'euler'), offsets: { s_v: 0, s_u: 16, in_excitatory: 32, in_inhibitory: 48, istim: 64 } }], 1, shared);
      expect(WebAssembly.validate(bytes)).toBe(true);
    }
  });
});

// ==================================================== the kernel, directly

/**
 * One kernel in WebAssembly (arrays in a WasmArena) and in JavaScript (copies), fed the
 * same random states, ring slots, stimulus and refractory counts; both must leave the
 * same bits and the same spike lists after every step.
 */
function kernelPair(spec: NeuronKernelSpec, n: number, slots: number, init: (key: string, k: number) => number) {
  const keys = arrayKeys(spec);
  const length = (k: string) => (k.startsWith('in_') ? slots * n : n);
  const make = (k: string) => {
    const a = k === 'refr' || k === 'refsteps' ? new Int32Array(length(k)) : new Float64Array(length(k));
    for (let i = 0; i < a.length; i++) a[i] = init(k, i);
    return a;
  };
  const js: Record<string, Float64Array | Int32Array> = Object.fromEntries(keys.map((k) => [k, make(k)]));
  const arena = new WasmArena(keys.reduce((b, k) => b + WasmArena.size(length(k), 8), 0) + WasmArena.size(n, 4), false);
  const wa: Record<string, Float64Array | Int32Array> = Object.fromEntries(keys.map((k) => [k, arena.copy(js[k]!)]));
  const spkW = arena.alloc(Uint32Array, n);
  const spkJ = new Uint32Array(n);
  const bytes = neuronModuleBytes([{ name: 'step', spec, offsets: Object.fromEntries(keys.map((k) => [k, wa[k]!.byteOffset])) }], arena.pages, false);
  const wasmStep = (new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: arena.memory } }).exports as unknown as { step: WasmNeuronStep }).step;
  const jsStep = instantiate<JsStep>(neuronKernelSource(spec), js);
  return {
    js,
    wa,
    /** Step `step` (refr holds the step each neuron is free again). */
    step(slot: number, step: number) {
      const nw = wasmStep(0, n, slot * n, spkW.byteOffset, step);
      const nj = jsStep(0, n, slot * n, spkJ, 0, 0, step);
      return { wasm: Array.from(spkW.subarray(0, nw)), js: Array.from(spkJ.subarray(0, nj)) };
    },
  };
}

describe('the WebAssembly kernel against the JavaScript kernel, step by step', () => {
  const MODELS = {
    iaf_psc_exp: { model: iafPscExp, method: 'exact', v: [-75, -45] as const },
    iaf_cond_exp: { model: iafCondExp, method: 'euler', v: [-75, -45] as const },
    izhikevich: { model: izhikevich, method: 'euler', v: [-80, 35] as const },
  };
  const modelArb = fc.constantFrom(...(Object.keys(MODELS) as (keyof typeof MODELS)[]));
  test('random states, inputs, stimulus and refractory counts (lanes of one vector refractory, spiking or neither)', () => {
    let spikes = 0;
    let mixed = 0; // spikes whose vector neighbour was refractory in the same step
    fc.assert(
      fc.property(
        modelArb,
        fc.integer({ min: 1, max: 4 }), // iterations of 8 neurons
        fc.integer({ min: 1, max: 5 }), // ring slots
        fc.constantFrom<'none' | 'uniform' | 'array'>('none', 'uniform', 'array'),
        fc.boolean(), // per-neuron v_thresh (LIF) or d (izhikevich)
        fc.boolean(), // current stimulus array (else I_stim = 0)
        fc.integer(),
        (name, iters, slots, refrMode, perNeuron, stim, seed) => {
          const m = MODELS[name];
          const n = iters * NEURONS_PER_ITERATION;
          let s = seed >>> 0;
          const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
          const refractory = m.model.refractoryParam !== undefined;
          const spec = specOf(m.model, m.method, {
            perNeuron: perNeuron ? [m.model === izhikevich ? 'd' : 'v_thresh'] : [],
            refractorySteps: !refractory || refrMode === 'none' ? 0 : refrMode === 'uniform' ? 3 : 'array',
            hasCurrentStimulus: stim,
          });
          const arrival = (key: string) =>
            rnd() < 0.3 ? (m.model === iafCondExp ? 0.05 : m.model === izhikevich ? 10 : 1) * (key === 'in_inhibitory' && m.model !== iafCondExp ? -rnd() : rnd()) : 0;
          const init = (key: string): number => {
            if (key === 's_v') return m.v[0] + (m.v[1] - m.v[0]) * rnd();
            if (key === 'refr') return Math.floor(rnd() * 4); // free again at step 0 (active) .. 3
            if (key === 'refsteps') return Math.floor(rnd() * 6); // 0 included: no refractory period
            if (key === 'c_v_thresh') return -55 + 10 * rnd();
            if (key === 'c_d') return 8 * rnd();
            if (key === 'istim') return m.model === izhikevich ? 0.01 * rnd() : 2 * rnd() - 0.5;
            if (key.startsWith('in_')) return arrival(key);
            if (key === 's_u') return -14 + 4 * rnd();
            return rnd() * (m.model === iafCondExp ? 0.05 : 1); // synaptic currents / conductances
          };
          const k = kernelPair(spec, n, slots, init);
          for (let step = 0; step < 12; step++) {
            const slot = step % slots;
            // New arrivals in this step's ring slot, the same in both.
            for (const r of spec.receptors) {
              for (let i = 0; i < n; i++) k.js[`in_${r}`]![slot * n + i] = k.wa[`in_${r}`]![slot * n + i] = arrival(`in_${r}`);
            }
            const before = k.js.refr ? Array.from(k.js.refr) : undefined;
            const out = k.step(slot, step);
            expect(out.wasm).toEqual(out.js);
            spikes += out.js.length;
            if (before) mixed += out.js.filter((i) => before[i ^ 1]! > step).length;
            for (const key of Object.keys(k.js)) {
              const d = firstBitDifference(k.wa[key]!, k.js[key]!);
              expect(d, `${m.model.name} ${key}[${d}] after step ${step}: wasm ${k.wa[key]![d]}, js ${k.js[key]![d]}`).toBe(-1);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(spikes).toBeGreaterThan(1000);
    expect(mixed).toBeGreaterThan(50);
  });

  test('a vector whose one lane is refractory while the other spikes: counts, resets and spike list as in JavaScript', () => {
    const spec = specOf(iafPscExp, 'exact', { refractorySteps: 'array' });
    const n = NEURONS_PER_ITERATION;
    // Even lanes start above threshold (spike now), odd lanes are refractory and above threshold too (must not spike).
    const k = kernelPair(spec, n, 1, (key, i) => (key === 's_v' ? -40 : key === 'refr' ? i % 2 : key === 'refsteps' ? 2 + i : key === 'istim' ? 5 : 0));
    const first = k.step(0, 0);
    expect(first.wasm).toEqual([0, 2, 4, 6]);
    expect(first.js).toEqual(first.wasm);
    // Spiking lanes are free again at step 0 + 1 + refsteps; the odd lanes still at step 1.
    expect(Array.from(k.wa.refr!)).toEqual([3, 1, 5, 1, 7, 1, 9, 1]);
    // Even lanes reset to v_reset; odd lanes were refractory, so v was held at −40 although above threshold.
    expect(Array.from(k.wa.s_v!)).toEqual([-65, -40, -65, -40, -65, -40, -65, -40]);
    expect(Array.from(k.js.s_v!)).toEqual(Array.from(k.wa.s_v!));
    // Next step: the odd lanes spike, the even lanes stay refractory.
    const second = k.step(0, 1);
    expect(second.wasm).toEqual([1, 3, 5, 7]);
    expect(second.js).toEqual(second.wasm);
    expect(Array.from(k.wa.refr!)).toEqual(Array.from(k.js.refr!));
    expect(Array.from(k.wa.refr!)).toEqual([3, 5, 5, 7, 7, 9, 9, 11]);
  });
});

// ============================================ signed zeros and simplifications

describe('exact simplifications: x + 0 only where x cannot be −0', () => {
  // a·b is −0 when a = 0 and b < 0; −0 + 0 = +0, so `a·b + 0` must keep its addition,
  // while a second `+ 0`, `− 0`, `· 1` and `+ (−0)` are identities for every double.
  const zeros: NeuronModel = {
    kind: 'neuron',
    name: 'signed_zeros',
    aliases: [],
    constraints: [],
    summary: 'test model',
    description: '',
    references: [],
    params: {
      z: { dim: 'dimensionless', default: 0, doc: '+0' },
      one: { dim: 'dimensionless', default: 1, doc: '1' },
    },
    state: Object.fromEntries(['a', 'b', 'x1', 'x2', 'x3', 'x4', 'x5'].map((k) => [k, { dim: 'dimensionless' as const, initial: 0, doc: k }])),
    receptors: {},
    methods: ['euler'],
    methodDocs: { euler: '' },
    derivedNames: [],
    derived: () => ({}),
    code: () => ({
      update: 'x1 = a * b + 0; x2 = a * b + 0 + 0; x3 = a * b - 0; x4 = a * b + z + I_stim; x5 = a * b * one + (-0);',
      threshold: 'x1 > 1e300',
      reset: '',
    }),
    engines: ['clock'],
    voltage: 'x1',
  };

  test('the kernels agree bit for bit on −0 and +0, and the identities are compiled away', () => {
    const spec = specOf(zeros, 'euler', { hasCurrentStimulus: false, refractorySteps: 0 });
    const n = NEURONS_PER_ITERATION;
    // Even lanes: a = 0, b = −1 (a·b = −0); odd lanes: a = 0, b = 1 (+0), or ordinary values.
    const k = kernelPair(spec, n, 1, (key, i) => (key === 's_a' ? (i % 4 === 3 ? 1.5 : 0) : key === 's_b' ? (i % 2 === 0 ? -1 : 2) : 7));
    k.step(0, 0);
    for (const key of Object.keys(k.js)) expect(firstBitDifference(k.wa[key]!, k.js[key]!), key).toBe(-1);
    const lane0 = (key: string) => k.wa[key]![0];
    expect(Object.is(lane0('s_x1'), 0)).toBe(true);
    expect(Object.is(lane0('s_x2'), 0)).toBe(true);
    expect(Object.is(lane0('s_x3'), -0)).toBe(true);
    expect(Object.is(lane0('s_x4'), 0)).toBe(true);
    expect(Object.is(lane0('s_x5'), -0)).toBe(true);
    expect(k.wa.s_x1![3]).toBe(3);
    // One f64x2.add per vector (x1, shared by x2 and x4); no sub, and one mul (a·b).
    const bytes = neuronModuleBytes([{ name: 'step', spec, offsets: Object.fromEntries(arrayKeys(spec).map((key, j) => [key, 4096 * (j + 1)])) }], 1, false);
    const count = (op: number) => {
      let c = 0;
      for (let j = 0; j + 2 < bytes.length; j++) if (bytes[j] === 0xfd && bytes[j + 1] === op && bytes[j + 2] === 0x01) c++;
      return c;
    };
    expect([count(0xf0), count(0xf1), count(0xf2)]).toEqual([NEURONS_PER_ITERATION / 2, 0, NEURONS_PER_ITERATION / 2]);
  });
});

// ================================================= analytic DC-driven LIF

describe('DC-driven IF_curr_exp with a refractory period (lanes of one vector out of phase)', () => {
  test('spike counts match the analytic period, and WebAssembly = JavaScript', async () => {
    const dt = 0.1;
    const p = { cm: 0.5, tau_m: 20, tau_refrac: 2, v_rest: -65, v_reset: -70, v_thresh: -50, tau_syn_E: 5, tau_syn_I: 5, i_offset: 0 };
    const R = p.tau_m / p.cm; // MΩ: nA · MΩ = mV
    const duration = 500;
    const n = 21; // 16 in WebAssembly vectors, 5 in the JavaScript remainder
    // Even neurons: 1 nA; neurons 1, 5, 9, …: 1.6 nA (another period); 3, 7, 11, …: none.
    const strong = every(n, 4, 1);
    const amps = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : strong.includes(i) ? 1.6 : 0));
    const build = () => {
      const net = new Network({ dt, seed: 1 });
      const P = net.population('P', n, 'IF_curr_exp', p, { v: p.v_reset });
      net.stimulate(P, { kind: 'dc', amplitude: 1, indices: every(n, 2) });
      net.stimulate(P, { kind: 'dc', amplitude: 1.6, indices: strong });
      net.record(P, 'spikes');
      net.record(P, ['v'], { interval: dt });
      net.setRun({ duration, threads: 1 });
      return net.toIR();
    };
    expect(wasmPopulations(build())).toEqual(['P']);
    const wasm = await clockEngine.run(build(), { wasmNeurons: true });
    const js = await clockEngine.run(build(), { wasmNeurons: false });
    expectSameOutput(wasm, js);

    const sp = wasm.spikes[0]!;
    const timesOf = (i: number) => Array.from(sp.times).filter((_, k) => sp.indices[k] === i);
    const refSteps = Math.round(p.tau_refrac / dt);
    for (let i = 0; i < n; i++) {
      const I = amps[i]!;
      const count = timesOf(i).length;
      if (I === 0) {
        expect(count, `neuron ${i}`).toBe(0);
        continue;
      }
      // From v_reset: T = tau_m ln((I R + v_rest − v_reset)/(I R + v_rest − v_thresh)); then refractory, reset, again.
      const T = p.tau_m * Math.log((I * R + p.v_rest - p.v_reset) / (I * R + p.v_rest - p.v_thresh));
      const period = p.tau_refrac + T;
      const expected = Math.floor((duration - T) / period) + 1;
      expect(Math.abs(count - expected), `neuron ${i}: ${count} spikes, analytic ${expected}`).toBeLessThanOrEqual(1);
      // v is held at v_reset through the refractory period after each spike.
      const v = wasm.traces[0]!.data;
      for (const t of timesOf(i)) {
        const s0 = Math.round(t / dt);
        for (let j = 0; j <= refSteps && s0 + j < duration / dt; j++) expect(v[(s0 + j) * n + i], `neuron ${i} ${j} steps after its spike at ${t} ms`).toBe(p.v_reset);
      }
    }
    // The test exercised the lane masks: a neuron spiked while its vector neighbour was refractory.
    const spikeSteps = (i: number) => new Set(timesOf(i).map((t) => Math.round(t / dt)));
    let mixed = 0;
    for (let i = 0; i + 1 < 16; i += 2) {
      const a = spikeSteps(i);
      const b = spikeSteps(i + 1);
      for (const s of a) for (let j = 1; j <= refSteps; j++) if (b.has(s - j)) mixed++;
    }
    expect(mixed).toBeGreaterThan(0);
  });
});

// ======================================== flush of tiny conductances (wasm-tick.ts)

describe('tiny conductances are set to 0 every 64 steps, in WebAssembly as in JavaScript', () => {
  test('g below 1e-200 becomes exactly 0 after step 63, for the vectors and the JavaScript remainder alike', async () => {
    const n = 13; // 8 in WebAssembly vectors, 5 in the JavaScript remainder
    // g_exc starts at 1e-198 and decays by 1 − dt/tau_syn_E = 0.9 per step: below 1e-200 after 44 steps.
    const build = () => {
      const net = new Network({ dt: 0.1, seed: 1 });
      const P = net.population('P', n, 'IF_cond_exp', { tau_syn_E: 1, tau_syn_I: 1 }, { v: -65, g_exc: 1e-198, g_inh: { uniform: [1e-199, 2e-199] } }, { method: 'euler' });
      net.record(P, ['g_exc', 'g_inh'], { interval: 0.1 });
      net.setRun({ duration: 10, threads: 1 });
      return net.toIR();
    };
    expect(wasmPopulations(build())).toEqual(['P']);
    const wasm = await clockEngine.run(build(), { wasmNeurons: true });
    const js = await clockEngine.run(build(), { wasmNeurons: false });
    expectSameOutput(wasm, js);
    for (const tr of wasm.traces) {
      // Sample s holds the state before step s: tiny but not 0 up to step 63, exactly 0 from step 64 on.
      for (let i = 0; i < n; i++) {
        expect(tr.data[63 * n + i], `${tr.variable}[${i}] before step 63`).toBeGreaterThan(0);
        expect(tr.data[63 * n + i], `${tr.variable}[${i}] before step 63`).toBeLessThan(1e-200);
        expect(Object.is(tr.data[64 * n + i], 0), `${tr.variable}[${i}] before step 64: ${tr.data[64 * n + i]}`).toBe(true);
      }
    }
  });
});
