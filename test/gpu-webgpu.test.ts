/**
 * The gpu engine's webgpu backend without a GPU (CI has none):
 * - the snippet translator (kernels/wgsl/translate.ts): every gpu model's snippets parse,
 *   and the translated AST evaluated in float32 agrees with the original JavaScript
 *   snippet on random states (what the WGSL computes, up to the GPU's exp/log accuracy);
 * - every kernel the engine builds for a set of networks (each model; uniform and
 *   per-synapse weights and delays; Poisson and spike-time stimuli; Poisson and array
 *   sources; graded synapses, gap junctions; traces; DC/step currents) compiles with Tint
 *   and its pipeline, bind groups and a few steps of encoded work validate on Dawn's Null
 *   backend (which executes nothing: results are not checked here);
 * - the Poisson WGSL is emitted from the template that reproduces kernels/poisson.ts's
 *   hash bit for bit, and docs/engines.md quotes that emission;
 * - the host-side layout: integer weights shared with the host backends, the merged CSR,
 *   segments, synapse encoding, step blocks, batch sizes, record bounds and overflow.
 * - the engine's runtime (src/engines/gpu/webgpu.ts) with those kernels executed by a CPU
 *   emulation of WGSL (test/wgsl-emulator.ts: WGSL's f32/u32/i32 arithmetic, atomics,
 *   workgroup barriers, bounds-checked buffers) behind a fake GPUDevice: on every test
 *   network and on random networks its output is the webasm backend's, bit for bit.
 * Running the kernels on a GPU is checked where one exists (test/gpu-engine.test.ts,
 * "webgpu backend").
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Network } from '../src/api/network.js';
import { buildPlan } from '../src/engines/clock/plan.js';
import { requestWebGpuDevice, isNullAdapter } from '../src/engines/gpu/backend.js';
import { WebGpuSimulation } from '../src/engines/gpu/webgpu.js';
import { simulate } from '../src/simulate.js';
import type { SimulationOutput } from '../src/engines/types.js';
import { EmulatedDevice } from './wgsl-emulator.js';
import {
  buildLayout,
  checkRecords,
  fixedPointPlan,
  maxInWindow,
  nextBatchSize,
  planBatches,
  recordBound,
  splitSegments,
  synapseEncoding,
  weightUnits,
  type LayoutOptions,
  type Recorder,
} from '../src/engines/gpu/webgpu-layout.js';
import { validateNetwork } from '../src/ir/validate.js';
import { microcircuitNetwork } from '../src/bench/microcircuit.js';
import { SimulationError } from '../src/errors.js';
import { listModels } from '../src/models/index.js';
import type { NeuronModel } from '../src/models/types.js';
import type { NetworkIR } from '../src/ir/types.js';
import { deliverSpikes } from '../kernels/deliver.js';
import { counterHash } from '../kernels/poisson.js';
import { mix32 } from '../src/util/rng.js';
import { WGSL_KERNELS, counterLayout, dispatchSize, packSteps, stepExtra, stepStride, type KernelName } from '../kernels/wgsl/index.js';
import { POISSON_TEMPLATE, poissonWgsl, templateCounterHash, templateFmix32 } from '../kernels/wgsl/poisson.js';
import {
  TranslateError,
  WGSL_HELPERS,
  emitCondition,
  emitStatements,
  evalExprF32,
  evalExprF64,
  evalStatementsF32,
  evalStatementsF64,
  expm1F32,
  f32,
  log1pF32,
  namesUsed,
  parseExpression,
  parseStatements,
  translateStatements,
  type Resolver,
} from '../kernels/wgsl/translate.js';

const GPU_MODELS = listModels().filter((m): m is NeuronModel => m.kind === 'neuron' && m.engines.includes('gpu'));

// ───────────────────────────────────── translator ──────────────────────────────────────

/** A deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Random values of the names a model's snippets see, in physical ranges by dimension. */
function randomEnv(model: NeuronModel, method: string, rnd: () => number): Record<string, number> {
  const p: Record<string, number> = {};
  for (const [k, d] of Object.entries(model.params)) {
    const f = 0.8 + 0.4 * rnd();
    let v = d.default === 0 ? (d.dim === 'current' ? 0.1 * rnd() : 0) : d.default * f;
    if (d.integer || k === 'vth_input_dependent') v = d.default;
    p[k] = v;
  }
  for (const c of model.constraints) if (!c.holds(p)) for (const k of c.params) p[k] = model.params[k]!.default;
  const env: Record<string, number> = { ...p, ...model.derived(p, 0.1, method), dt: 0.1 };
  const range = (dim: string): [number, number] => (dim === 'voltage' ? [-80, 35] : dim === 'conductance' ? [0, 0.02] : dim === 'current' ? [-1, 1] : [-15, 15]);
  for (const [s, d] of Object.entries(model.state)) {
    const [lo, hi] = range(d.dim);
    env[s] = lo + (hi - lo) * rnd();
  }
  if ('s' in model.state) env.s = rnd();
  if ('act' in model.state) env.act = 2 * rnd();
  if ('v_th' in model.state) env.v_th = -40 + 20 * rnd();
  if (model.name === 'izhikevich') {
    env.u = -20 + 25 * rnd();
    env.v = -80 + 105 * rnd();
  }
  env.I_stim = model.name === 'izhikevich' ? 0.01 * (rnd() - 0.5) : rnd() - 0.5;
  env.G_gap = model.gapInput === 'conductance' ? 1e-4 * rnd() : 0;
  env.IG_gap = env.G_gap * (-70 + 60 * rnd());
  for (const k of Object.keys(env)) env[k] = Math.fround(env[k]!);
  return env;
}

/** Runs a snippet as JavaScript (float64), the way the clock engine does. */
function runJs(code: string, env: Record<string, number>, state: string[]): Record<string, number> {
  const consts = Object.keys(env).filter((k) => !state.includes(k));
  const f = new Function('S', 'C', `let { ${state.join(', ')} } = S;\nconst { ${consts.join(', ')} } = C;\n${code}\nreturn { ${state.join(', ')} };`);
  return f(Object.fromEntries(state.map((s) => [s, env[s]])), Object.fromEntries(consts.map((c) => [c, env[c]])));
}

function runAst(code: string, env: Record<string, number>, f32: boolean): Record<string, number> {
  const ext = new Map<string, number | boolean>(Object.entries(env));
  (f32 ? evalStatementsF32 : evalStatementsF64)(parseStatements(code), [ext, new Map()]);
  return Object.fromEntries([...ext] as [string, number][]);
}

describe('snippet translator (kernels/wgsl/translate.ts)', () => {
  test('every gpu model and method: snippets parse and translate; the AST evaluated in float64 is the JavaScript snippet bit for bit, and in float32 (the WGSL\'s arithmetic) within a few ulps, on random states', () => {
    let compared = 0;
    let worst = 0;
    const all: number[] = [];
    for (const model of GPU_MODELS) {
      for (const method of model.methods) {
        const code = model.code(method);
        const state = Object.keys(model.state);
        const resolve: Resolver = (n) => (state.includes(n) ? { wgsl: `m_${n}`, mutable: true } : { wgsl: `m_${n}`, mutable: false });
        for (const src of [code.update, code.updateRefractory ?? '', code.reset]) expect(() => translateStatements(src, { resolve }), `${model.name}/${method}: ${src}`).not.toThrow();
        expect(() => emitCondition(parseExpression(code.threshold), { resolve })).not.toThrow();
        const rnd = lcg(model.name.length * 7919 + method.length);
        for (let trial = 0; trial < 300; trial++) {
          const env = randomEnv(model, method, rnd);
          for (const src of [code.update, code.updateRefractory ?? '', code.reset]) {
            if (!src) continue;
            const want = runJs(src, env, state);
            // The parse: the same operations in the same order as JavaScript.
            const same = runAst(src, env, false);
            for (const s of state) expect(Object.is(same[s], want[s]), `${model.name}/${method} ${s}: AST ${same[s]} vs JS ${want[s]} (${src})`).toBe(true);
            const got = runAst(src, env, true);
            // Tolerance: float32 ulps of the largest magnitude of the variable's dimension that the
            // snippet reads (v − v_rest cancels when v is near 0, so v_rest sets v's scale).
            const read = [...namesUsed(parseStatements(src)).read];
            const dimOf = (n: string) => model.state[n]?.dim ?? model.params[n]?.dim ?? (n === 'I_stim' || n === 'IG_gap' ? 'current' : n === 'G_gap' ? 'conductance' : undefined);
            for (const s of state) {
              const scale = Math.max(1e-30, Math.abs(want[s]!), Math.abs(env[s]!), ...read.filter((n) => dimOf(n) === model.state[s]!.dim).map((n) => Math.abs(env[n]!)));
              const err = Math.abs(got[s]! - want[s]!);
              const ulps = err / (scale * 2 ** -23);
              worst = Math.max(worst, ulps);
              all.push(ulps);
              expect(ulps, `${model.name}/${method} ${s}: f32 ${got[s]} vs f64 ${want[s]} (${src})`).toBeLessThan(64);
              compared++;
            }
          }
          const thrJs = new Function(...Object.keys(env), `return (${code.threshold});`)(...Object.values(env));
          expect(evalExprF64(parseExpression(code.threshold), [new Map(Object.entries(env))])).toBe(thrJs);
          expect(evalExprF32(parseExpression(code.threshold), [new Map(Object.entries(env))])).toBe(thrJs);
        }
      }
    }
    expect(compared).toBeGreaterThan(5000);
    // Measured: median 0.01 ulp, 99th percentile below 1 ulp; the worst, about 31 ulps, is c302's
    // activity, computed from (v − v_reset) where v is near v_reset: f32 cancellation, not translation.
    all.sort((a, b) => a - b);
    expect(all[Math.floor(all.length * 0.99)]!).toBeLessThan(2);
    expect(worst).toBeLessThan(64);
  });

  test('translation: const → let, let → var, names renamed, f32 literals, select for ?:, compound assignments, blocks and if/else', () => {
    const resolve: Resolver = (n) => ({ v: { wgsl: 'm_v', mutable: true }, w: { wgsl: 'm_w', mutable: true }, a: { wgsl: 'm_a', mutable: false } })[n];
    const out = translateStatements('{ const x = a * 2; let y = x > 1 ? x : -x; y += 1e-3; if (y < 0) v = 0; else { v *= y; } w = Math.expm1(v) + Math.max(v, 3); }', { resolve });
    expect(out).toContain('let l_x: f32 = (m_a * 2.0f);');
    expect(out).toContain('var l_y: f32 = select((-l_x), l_x, (l_x > 1.0f));');
    expect(out).toContain('l_y = l_y + 0.0010000000474974513f;');
    expect(out).toMatch(/if \(\(l_y < 0\.0f\)\) \{\n\s+m_v = 0\.0f;\n\s+\} else \{\n\s+m_v = m_v \* l_y;/);
    expect(out).toContain('m_w = (nm_expm1(m_v) + max(m_v, 3.0f));');
    expect(f32(0.1)).toBe('0.10000000149011612f');
    expect(f32(-65)).toBe('(-65.0f)');
    expect(f32(1e-30)).toBe('1.0000000031710769e-30f');
    expect(namesUsed(parseStatements('{ const k = a; v = k + w; }'))).toEqual({ read: new Set(['a', 'w']), assigned: new Set(['v']) });
  });

  test('what is outside the subset is an error that names it', () => {
    const resolve: Resolver = (n) => (n === 'v' ? { wgsl: 'm_v', mutable: true } : n === 'c' ? { wgsl: 'm_c', mutable: false } : undefined);
    const bad: [string, RegExp][] = [
      ['v = q;', /unknown name "q"/],
      ['c = 1;', /cannot assign to "c"/],
      ['for (;;) {}', /"for" is not in the snippet subset/],
      ['v = Math.trunc(v);', /Math\.trunc is not in the snippet subset/],
      ['v = v | 0;', /unexpected character "\|"/],
      ['v = f(v);', /only Math\.\* calls/],
      ['let x;', /without a value/],
      ['{ const x = 1; const x = 2; }', /declared twice/],
    ];
    for (const [src, msg] of bad) expect(() => translateStatements(src, { resolve }), src).toThrow(msg);
    // loihi_lif (clock only) uses integer operators outside the subset.
    const loihi = listModels().find((m) => m.name === 'loihi_lif') as NeuronModel;
    expect(() => parseStatements(loihi.code('fixed_pt').update)).toThrow(TranslateError);
  });

  test('nm_expm1 / nm_log1p in float32 are accurate to a few ulps over the range (the WGSL helper forms)', () => {
    const rnd = lcg(5);
    for (let k = 0; k < 20000; k++) {
      const x = Math.fround((rnd() - 0.5) * 2 * 10 ** (-8 + 9 * rnd()));
      const e = expm1F32(x);
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(Math.expm1(x)))) - 23);
      expect(Math.abs(e - Math.expm1(x)) / ulp, `expm1(${x})`).toBeLessThan(4);
      if (x > -0.9) {
        const l = log1pF32(x);
        const ulpL = 2 ** (Math.floor(Math.log2(Math.abs(Math.log1p(x)))) - 23);
        expect(Math.abs(l - Math.log1p(x)) / ulpL, `log1p(${x})`).toBeLessThan(8);
      }
    }
  });
});

// ───────────────────────────────────── Dawn null ───────────────────────────────────────

let device: GPUDevice;
beforeAll(async () => {
  device = (await requestWebGpuDevice({ nullBackend: true })).device;
});
afterAll(() => device?.destroy());

async function compile(code: string): Promise<string[]> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  const err = await device.popErrorScope();
  return [...info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`), ...(err ? [err.message] : [])];
}

/** Test networks: between them, every model and every feature the webgpu layout handles. */
export function networks(): Record<string, NetworkIR> {
  const out: Record<string, NetworkIR> = {};
  {
    const net = new Network({ dt: 0.1, seed: 3, engine: 'gpu' });
    const arr = net.spikeSource('arr', 30, { times: Array.from({ length: 30 }, (_, i) => [i * 0.7 + 0.1, i * 0.7 + 0.1, i + 5]) });
    const ps = net.spikeSource('ps', 20, { rate: 50 });
    const psv = net.spikeSource('psv', 10, { rate: { uniform: [10, 80] } as never, start: 2 });
    const n = net.population('n', 40, 'IF_curr_exp', { tau_refrac: 2, i_offset: 0.2, tau_m: { uniform: [10, 20] } as never });
    const m = net.population('m', 17, 'IF_curr_exp', { tau_refrac: { uniform: [1, 3] } as never });
    net.connect(arr, n, { rule: 'fixed_probability', p: 0.3 }, { weight: 1, delay: 1.5 });
    net.connect(ps, n, { rule: 'fixed_probability', p: 0.3 }, { weight: { uniform: [0.1, 0.5] } as never, delay: { uniform: [0.1, 0.3] } as never });
    net.connect(psv, m, { rule: 'all_to_all' }, { weight: 0.2 });
    net.connect(n, n, { rule: 'fixed_probability', p: 0.1 }, { receptor: 'inhibitory', weight: -0.1, delay: 1 });
    net.connect(n, m, { rule: 'fixed_probability', p: 0.2 }, { weight: 0.3, delay: 2 });
    net.stimulate(n, { kind: 'poisson', rate: 2000, weight: 0.35 });
    net.stimulate(m, { kind: 'poisson', rate: 500, weight: -0.2, receptor: 'inhibitory', indices: [1, 4, 9], start: 3, stop: 20 });
    net.stimulate(n, { kind: 'dc', indices: [0, 1], amplitude: 0.01, start: 5, stop: 15 });
    net.stimulate(m, { kind: 'spike_times', times: [1, 1, 4.2, 9], weight: 0.4, indices: [2, 3] });
    net.stimulate(m, { kind: 'step', times: [2, 6], amplitudes: [0.1, 0] });
    net.record(n, 'spikes');
    net.record(m, 'spikes', { indices: [0, 5] });
    net.record(ps, 'spikes');
    net.record(arr, 'spikes', { indices: [3] });
    net.record(n, ['v', 'isyn_exc'], { interval: 1, indices: [0, 7] });
    net.record(m, 'rate', { bin: 5 });
    net.setRun({ duration: 30 });
    out['IF_curr_exp: sources, stimuli, mixed weights and delays'] = net.toIR();
  }
  {
    // One weight and one delay for the whole network: both are literals of spikes.deliver.
    const net = new Network({ dt: 0.1, seed: 8, engine: 'gpu' });
    const e = net.population('E', 50, 'IF_curr_exp', { tau_refrac: 5, i_offset: 1.6, tau_m: 10 }, { v: { uniform: [-65, -50] } as never });
    net.connect(e, e, { rule: 'fixed_probability', p: 0.2 }, { weight: 0.4, delay: 0.8 });
    net.connect(e, e, { rule: 'fixed_probability', p: 0.1 }, { weight: 0.4, delay: 0.8, label: 'E→E again' });
    net.record(e, 'spikes');
    net.record(e, 'rate', { bin: 2 });
    net.setRun({ duration: 30 });
    out['IF_curr_exp: one weight, one delay'] = net.toIR();
  }
  for (const method of ['exp_euler', 'euler']) {
    const net = new Network({ dt: 0.1, seed: 4, engine: 'gpu' });
    const ps = net.spikeSource('ps', 25, { rate: 100 });
    const e = net.population('E', 32, 'IF_cond_exp', { tau_refrac: 5, i_offset: 0.1 }, {}, { method });
    net.connect(ps, e, { rule: 'fixed_probability', p: 0.2 }, { weight: 0.01 });
    net.connect(e, e, { rule: 'fixed_probability', p: 0.2 }, { receptor: 'inhibitory', weight: 0.02, delay: { uniform: [0.1, 2] } as never });
    net.record(e, 'spikes');
    net.record(e, ['g_exc'], { interval: 0.5 });
    net.setRun({ duration: 20 });
    out[`IF_cond_exp (${method})`] = net.toIR();
  }
  {
    const net = new Network({ dt: 0.1, seed: 5, engine: 'gpu' });
    const z = net.population('z', 24, 'izhikevich', { i_offset: 0.01, d: { uniform: [2, 8] } as never });
    net.connect(z, z, { rule: 'fixed_probability', p: 0.2 }, { weight: 0.5 });
    net.connect(z, z, { rule: 'fixed_probability', p: 0.1 }, { receptor: 'inhibitory', weight: -0.5, delay: 1 });
    net.record(z, 'spikes');
    net.setRun({ duration: 20 });
    out.izhikevich = net.toIR();
  }
  {
    const net = new Network({ dt: 0.1, seed: 9, engine: 'gpu' });
    const w = net.population('w', 25, 'graded_kunert');
    net.connect(w, w, { rule: 'fixed_probability', p: 0.2 }, { transmission: 'graded', graded: { variable: 's' }, receptor: 'excitatory', weight: 3e-5 });
    net.connect(w, w, { rule: 'fixed_probability', p: 0.1 }, { transmission: 'graded', graded: { variable: 's' }, receptor: 'inhibitory', weight: 2e-5 });
    net.connect(w, w, { rule: 'fixed_probability', p: 0.1 }, { transmission: 'gap', weight: 2e-5 });
    net.stimulate(w, { kind: 'dc', indices: [0, 1], amplitude: 0.01, start: 5, stop: 15 });
    net.record(w, ['v', 's', 'v_th'], { interval: 1 });
    net.setRun({ duration: 20 });
    out['graded_kunert: graded synapses, gap junctions, equilibrium'] = net.toIR();
  }
  for (const method of ['fused', 'exp_euler']) {
    const net = new Network({ dt: 0.1, seed: 4, engine: 'gpu' });
    const l = net.population('l', 20, 'ltc', { cm: 0.001, g_leak: 1e-4 }, {}, { method });
    const sig = { variable: 'v', transfer: { kind: 'sigmoid' as const, mu: -30, slope: { uniform: [0.2, 0.4] } as never } };
    net.connect(l, l, { rule: 'fixed_probability', p: 0.2 }, { transmission: 'graded', graded: sig, receptor: 'excitatory', weight: { uniform: [1e-4, 3e-4] } as never });
    net.connect(l, l, { rule: 'fixed_probability', p: 0.1 }, { transmission: 'graded', graded: sig, receptor: 'inhibitory', weight: 2e-4 });
    net.stimulate(l, { kind: 'step', indices: [0, 3], times: [2, 10], amplitudes: [0.003, 0] });
    net.record(l, ['v'], { interval: 1 });
    net.setRun({ duration: 20 });
    out[`ltc (${method}): sigmoid synapses`] = net.toIR();
  }
  for (const model of ['c302_iaf', 'c302_iaf_activity']) {
    const net = new Network({ dt: 0.05, seed: 6, engine: 'gpu' });
    const c = net.population('c', 12, model, { i_offset: 0.004 });
    const s = net.spikeSource('s', 5, { rate: 100 });
    net.connect(s, c, { rule: 'fixed_probability', p: 0.5 }, { weight: 1e-4 });
    net.connect(c, c, { rule: 'fixed_probability', p: 0.2 }, { receptor: 'inhibitory', weight: 2e-4, delay: 0.5 });
    net.connect(c, c, { rule: 'fixed_probability', p: 0.2 }, { transmission: 'gap', weight: 1e-4 });
    net.record(c, 'spikes');
    net.record(c, ['v', 'g_exc'], { interval: 0.05 });
    net.setRun({ duration: 20 });
    out[model] = net.toIR();
  }
  return out;
}

describe('webgpu kernels on Dawn null (validation only: nothing executes)', () => {
  test("the Null adapter is recognised, so it is never chosen to run a simulation", async () => {
    const { create } = (await import('webgpu')) as unknown as { create: (f: string[]) => GPU };
    const adapter = await create(['backend=null']).requestAdapter();
    expect(adapter).toBeTruthy();
    expect(isNullAdapter(adapter!)).toBe(true);
  });

  test('a broken shader or a mismatched binding is reported (the validation is real)', async () => {
    expect(await compile('@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }')).not.toEqual([]);
    const net = networks().izhikevich!;
    const rn = validateNetwork(net);
    const sim = new WebGpuSimulation(rn, buildPlan(rn, 1, { wasmGather: false, wasmNeurons: false }), device, true);
    sim.layout.kernels[0]!.code = sim.layout.kernels[0]!.code.replace('atomicAdd(&wg_spikes', 'atomicAddd(&wg_spikes');
    await expect(sim.build()).rejects.toThrow(/does not compile/);
    const sim2 = new WebGpuSimulation(rn, buildPlan(rn, 1, { wasmGather: false, wasmNeurons: false }), device, true);
    sim2.layout.kernels[0]!.bindings[0]!.access = 'read';
    await expect(sim2.build()).rejects.toThrow(/failed validation/);
    sim.destroy();
    sim2.destroy();
  });

  const nets = networks();
  const seen = new Set<KernelName>();
  for (const [name, ir] of Object.entries(nets)) {
    test(`${name}: every kernel compiles, every pipeline and bind group validates, and 3 batches of steps encode and submit cleanly`, async () => {
      const rn = validateNetwork(ir);
      const plan = buildPlan(rn, 1, { wasmGather: false, wasmNeurons: false });
      // Small batches and segments, so that batching, current events between submissions and several segments are exercised.
      const sim = new WebGpuSimulation(rn, plan, device, true, { maxBatch: 40, segmentBytes: 512 });
      for (const k of sim.layout.kernels) {
        const errs = await compile(k.code);
        expect(errs, `${k.label}:\n${k.code}`).toEqual([]);
        seen.add(k.name);
      }
      await sim.build();
      await sim.run({ maxSteps: 120, stepsPerSubmit: 16 });
      sim.destroy();
    });
  }
  test('between them the networks use every dispatched kernel name', () => {
    for (const k of Object.keys(WGSL_KERNELS) as KernelName[]) if (k !== 'inputs.drain' && k !== 'spikes.compact') expect(seen.has(k), k).toBe(true);
  });

  test('the synapse segments of a network split where the binding limit says, and delays go to a separate array when they do not fit above the channel bits', () => {
    const rn = validateNetwork(nets['IF_curr_exp: sources, stimuli, mixed weights and delays']!);
    const plan = buildPlan(rn, 1, { wasmGather: false, wasmNeurons: false });
    const big = buildLayout(rn, plan, { maxBindingBytes: 2 ** 27 });
    const small = buildLayout(rn, plan, { maxBindingBytes: 2 ** 27, segmentBytes: 512 });
    expect(big.encoding.segments).toBe(1);
    expect(small.encoding.segments).toBeGreaterThan(1);
    expect(small.synapses).toBe(big.synapses);
    expect(big.encoding).toMatchObject({ delays: 'packed', weights: 'array' });
  });

  test('the translator helpers and every Math function compile in WGSL', async () => {
    const resolve: Resolver = (n) => ({ wgsl: `m_${n}`, mutable: n === 'y' });
    const body = emitStatements(
      parseStatements('{ const a = Math.exp(x) + Math.expm1(x) + Math.log(x) + Math.log1p(x) + Math.min(x, 1) + Math.max(x, 2) + Math.abs(x) + Math.sqrt(x) + Math.pow(x, 2) + Math.tanh(x) + Math.floor(x) + Math.ceil(x) + x ** 3 + x % 2; let b = !(a > 1) || x === 2 && x !== 3; if (b) y = a; else if (x >= 1) { y = b ? 1 : 0; } y /= 2; y -= 1; }'),
      { resolve, indent: '  ' },
    );
    const code = `${WGSL_HELPERS}\nfn f(m_x: f32) -> f32 {\n  var m_y = 0.0f;\n${body}\n  return m_y;\n}\n@compute @workgroup_size(1) fn main() { _ = f(1.0f); }\n`;
    expect(await compile(code), code).toEqual([]);
  });
});

// ───────────────────────────────────── Poisson template ────────────────────────────────

describe('poisson.counts: one template for the WGSL and the TypeScript hash', () => {
  test('the template evaluates to kernels/poisson.ts counterHash and src/util/rng.ts mix32, bit for bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 24 }), fc.integer({ min: 0, max: 2 ** 31 }), (key, neuron, step) => {
        expect(templateCounterHash(key, neuron, step)).toBe(counterHash(key, neuron, step));
        expect(templateFmix32(key)).toBe(mix32(key));
      }),
      { numRuns: 2000 },
    );
  });

  test('the WGSL is the template emitted step by step (constants spot-checked), and every kernel drawing Poisson counts includes it', () => {
    const w = poissonWgsl();
    const fmix = w.slice(w.indexOf('fn nm_fmix32'), w.indexOf('fn nm_counter_hash'));
    const steps = [...fmix.matchAll(/h = h (?:\^ \(h >> (\d+)u\)|\* (0x[0-9a-f]+)u);/g)].map((m) => (m[1] ? { op: 'xorshr', n: Number(m[1]) } : { op: 'mul', c: Number(m[2]) }));
    expect(steps).toEqual(POISSON_TEMPLATE.fmix32);
    expect(w).toContain('0x85ebca6bu');
    expect(w).toContain('0xc2b2ae35u');
    expect(w).toContain('neuron * 0x9e3779b1u');
    expect(w).toContain('step * 0x85ebca77u');
    expect(w).toContain('(f32(h >> 8u) + 0.5f) * 5.960464477539063e-8f');
    expect(Math.fround(5.960464477539063e-8)).toBe(2 ** -24);
    expect(w).toContain('while (u > cdf && k < 64u)');
    const ir = networks()['IF_curr_exp: sources, stimuli, mixed weights and delays']!;
    const rn = validateNetwork(ir);
    const layout = buildLayout(rn, buildPlan(rn, 1, { wasmGather: false, wasmNeurons: false }), { maxBindingBytes: 2 ** 27 });
    const drawing = layout.kernels.filter((k) => k.name === 'poisson.counts' || k.code.includes('nm_poisson_count('));
    expect(drawing.length).toBeGreaterThanOrEqual(3);
    for (const k of drawing) expect(k.code).toContain(w);
  });

  test('docs/engines.md quotes the generated hash functions verbatim', () => {
    const doc = readFileSync('docs/engines.md', 'utf8');
    const block = /\n( *)```wgsl\n([\s\S]*?)\n *```/.exec(doc);
    expect(block, 'a wgsl code block in docs/engines.md').not.toBeNull();
    const quoted = block![2]!.split('\n').map((l) => l.slice(block![1]!.length)).join('\n');
    const w = poissonWgsl();
    expect(quoted).toBe(w.slice(w.indexOf('fn nm_fmix32'), w.indexOf('fn nm_poisson_count')).trim());
  });
});

// ───────────────────────────────────── host-side layout ────────────────────────────────

describe('webgpu layout (host side, pure functions)', () => {
  test('integer weights and scales are the host backends\': the merged CSR scatters to the same integer sums as kernels/deliver.ts per projection', () => {
    const ir = networks()['IF_curr_exp: sources, stimuli, mixed weights and delays']!;
    const rn = validateNetwork(ir);
    const plan = buildPlan(rn, 1, { wasmGather: false, wasmNeurons: false });
    const fp = fixedPointPlan(rn, plan);
    const layout = buildLayout(rn, plan, { maxBindingBytes: 2 ** 27, segmentBytes: 1024 });
    // Fill every buffer as the engine would, then scatter one step's spikes of every population through the segments.
    const data = new Map<string, ArrayBuffer>();
    for (const b of layout.buffers) data.set(b.id, new ArrayBuffer(b.bytes));
    for (const b of layout.buffers) b.init?.(data.get(b.id)!);
    const { slots, channels } = layout.ring!;
    const enc = layout.encoding;
    expect(enc.delays).toBe('packed');
    const bits = Math.ceil(Math.log2(channels));
    const ring = new Int32Array(slots * channels);
    const rnd = lcg(11);
    const spiking = layout.pops.map((p) => Array.from({ length: p.n }, (_, i) => i).filter(() => rnd() < 0.3));
    const step = 7;
    layout.deliveries.forEach((_, s) => {
      const k = layout.kernels[layout.deliveries[s]!.kernel]!;
      const rowPtr = new Uint32Array(data.get(`rowptr:${s}`)!);
      const syn = new Uint32Array(data.get(`syn:${s}`)!);
      const w = new Int32Array(data.get(`weight:${s}`)!);
      const gidFrom = Number(/global ids (\d+)\.\./.exec(k.code)![1]);
      const gidTo = Number(/\.\.(\d+)\)/.exec(k.code)![1]) + 1;
      layout.pops.forEach((pop, p) => {
        for (const i of spiking[p]!) {
          const g = pop.gid0 + i;
          if (g < gidFrom || g >= gidTo) continue;
          for (let q = rowPtr[g - gidFrom]!; q < rowPtr[g - gidFrom + 1]!; q++) {
            const chan = syn[q]! & (2 ** bits - 1);
            const d = syn[q]! >>> bits;
            ring[((step + d) % slots) * channels + chan] += w[q]!;
          }
        }
      });
    });
    // Host: per projection, its own ring per (post, receptor) with the plan's ring length.
    for (const pj of fp.projections) {
      const L = plan.populations[pj.post]!.ringSlots[pj.receptor]!;
      const size = plan.populations[pj.post]!.size;
      const hostRing = new Int32Array(L * size);
      const weights = typeof pj.weights === 'number' ? weightUnits(pj.weights, pj.scale) : Int32Array.from(pj.weights, (x) => weightUnits(x, pj.scale));
      deliverSpikes({ rowPtr: pj.rowPtr, targets: pj.targets, weights, delays: pj.delays, ring: hostRing, slots: L, postSize: size }, Uint32Array.from(spiking[pj.pre]!), spiking[pj.pre]!.length, step);
      (pj as unknown as { host: Int32Array }).host = hostRing;
    }
    plan.populations.forEach((pp, p) => {
      for (const r of Object.keys(pp.ringSlots)) {
        const into = fp.projections.filter((pj) => pj.post === p && pj.receptor === r);
        if (into.length === 0) continue;
        const L = pp.ringSlots[r]!;
        const base = layout.channelBase[p]![r]!;
        for (let d = 1; d < L; d++) {
          for (let i = 0; i < pp.size; i++) {
            let want = 0;
            for (const pj of into) want += (pj as unknown as { host: Int32Array }).host[((step + d) % L) * pp.size + i]!;
            expect(ring[((step + d) % slots) * channels + base + i], `${pp.label}.${r} delay ${d} neuron ${i}`).toBe(want);
          }
        }
      }
    });
  });

  test('step blocks: 256-byte slots, step, index, ring slot and extra fields where the WGSL reads them', () => {
    expect(stepStride(0)).toBe(256);
    expect(stepStride(60)).toBe(256);
    expect(stepStride(61)).toBe(512);
    expect(stepExtra(0)).toBe('P.x[0].x');
    expect(stepExtra(7)).toBe('P.x[1].w');
    const u = packSteps(3, 6, (k) => ({ step: 100 + k, slot: (100 + k) % 7, x: [k, 1, 2, 3, 4, 0xffffffff] }));
    expect(u.length).toBe(3 * 64);
    expect(Array.from(u.subarray(64, 74))).toEqual([101, 1, 101 % 7, 0, 1, 1, 2, 3, 4, 0xffffffff]);
    expect(dispatchSize(100, 128)).toEqual([1, 1]);
    expect(dispatchSize(65535 * 64 + 1, 64)).toEqual([32768, 2]);
    const c = counterLayout(1000, 3);
    expect(c.pop).toBe(1008);
    expect(c.words).toBe(1008 + 3000);
  });

  test('record bounds: a refractory population can never exceed its bound; Poisson and schedules are bounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1e6 }), (refr, K, neurons, seed) => {
        const rnd = lcg(seed);
        // Random spike trains obeying the refractory period, over a long run: the most spikes in any window of K steps.
        let worst = 0;
        for (let i = 0; i < neurons; i++) {
          const spikes: number[] = [];
          for (let s = 0; s < 3 * K + 50; s++) if ((spikes.length === 0 || s - spikes[spikes.length - 1]! > refr) && rnd() < 0.9) spikes.push(s);
          let best = 0;
          for (let a = 0; a < spikes.length; a++) {
            let b = a;
            while (b < spikes.length && spikes[b]! - spikes[a]! < K) b++;
            best = Math.max(best, b - a);
          }
          worst += best;
        }
        expect(worst).toBeLessThanOrEqual(recordBound([{ kind: 'refractory', neurons, refractorySteps: refr }], K));
      }),
      { numRuns: 60 },
    );
    expect(maxInWindow(Int32Array.from([0, 1, 5, 9, 10]), Uint32Array.from([1, 2, 3, 4, 5]), 2)).toBe(9);
    expect(maxInWindow(Int32Array.from([0, 1, 5, 9, 10]), Uint32Array.from([1, 2, 3, 4, 5]), 6)).toBe(12);
    const mean = 5;
    expect(recordBound([{ kind: 'poisson', meanPerStep: mean }], 100)).toBeGreaterThan(mean * 100 + 8 * Math.sqrt(mean * 100));
  });

  test('batch plan: K ≤ maxBatch and the run; traces shrink K to their budget; records are loss-free when a bound fits, else the budget with adaptive K', () => {
    const rec: Recorder[] = [{ kind: 'refractory', neurons: 256000, refractorySteps: 50 }];
    const a = planBatches({ steps: 10000, recorders: rec, recordBudget: 16 * 2 ** 20, traces: [], traceBudget: 2 ** 26 });
    expect(a).toMatchObject({ K: 1000, guaranteed: true });
    expect(a.recordCapacity).toBe(256000 * 20);
    expect(planBatches({ steps: 30, recorders: rec, recordBudget: 2 ** 24, traces: [], traceBudget: 2 ** 26 }).K).toBe(30);
    // No refractoriness, a million neurons: shrink to the largest K ≥ minBatch that fits...
    const b = planBatches({ steps: 10000, recorders: [{ kind: 'refractory', neurons: 100000, refractorySteps: 0 }], recordBudget: 2 ** 24, traces: [], traceBudget: 2 ** 26 });
    expect(b).toMatchObject({ K: 167, guaranteed: true });
    // ...or, when even minBatch does not fit, take the budget and adapt.
    const c = planBatches({ steps: 10000, recorders: [{ kind: 'refractory', neurons: 1e6, refractorySteps: 0 }], recordBudget: 2 ** 24, traces: [], traceBudget: 2 ** 26 });
    expect(c).toMatchObject({ K: 1000, guaranteed: false, recordCapacity: 2 ** 24 });
    expect(nextBatchSize(1000, 2 ** 23 + 1, 2 ** 24, false)).toBe(500);
    expect(nextBatchSize(1000, 2 ** 23, 2 ** 24, false)).toBe(1000);
    expect(nextBatchSize(1000, 2 ** 24, 2 ** 24, true)).toBe(1000);
    // Traces: 100k neurons every step need 100k × (K + 1) floats.
    const t = planBatches({ steps: 10000, recorders: [], recordBudget: 1, traces: [{ count: 100000, interval: 1 }], traceBudget: 2 ** 24 });
    expect(t.K).toBe(125);
    expect(t.traceSlots).toEqual([126]);
    expect(100000 * t.traceSlots[0]!).toBeLessThanOrEqual(2 ** 24);
    expect(() => planBatches({ steps: 10, recorders: [], recordBudget: 1, traces: [{ count: 100, interval: 1 }], traceBudget: 100 })).toThrow(SimulationError);
  });

  test('an overflowing record buffer is an error, never a silent loss', () => {
    expect(() => checkRecords(10, 10, { from: 0, to: 5 })).not.toThrow();
    expect(() => checkRecords(11, 10, { from: 1000, to: 2000 })).toThrow(/11 spikes were recorded in steps 1000–1999, more than the device's record buffer holds \(10\)/);
  });

  test('segments hold whole rows within the limit; synapse words pack delays above the channel bits when they fit', () => {
    const lens = [3, 0, 5, 2, 2, 7, 1];
    const segs = splitSegments((g) => lens[g]!, lens.length, 8);
    expect(segs).toEqual([
      { gidFrom: 0, gidTo: 3, synapses: 8 },
      { gidFrom: 3, gidTo: 5, synapses: 4 },
      { gidFrom: 5, gidTo: 7, synapses: 8 },
    ]);
    expect(() => splitSegments(() => 9, 2, 8)).toThrow(/9 outgoing synapses/);
    expect(synapseEncoding(154338, 60, undefined)).toEqual({ kind: 'packed', channelBits: 18 });
    expect(synapseEncoding(2 ** 30, 4, undefined)).toEqual({ kind: 'array' });
    expect(synapseEncoding(1000, 1, 1)).toEqual({ kind: 'uniform', steps: 1 });
  });
});

// ───────────────────────────────────── emulated execution ──────────────────────────────

async function runEmulated(ir: NetworkIR, layout: Partial<LayoutOptions> = {}, edit?: (sim: WebGpuSimulation) => void): Promise<{ out: SimulationOutput; sim: WebGpuSimulation; device: EmulatedDevice }> {
  const rn = validateNetwork(ir);
  const plan = buildPlan(rn, 1, { wasmGather: false, wasmNeurons: false });
  const dev = new EmulatedDevice();
  // Few deliver workgroups: the grid-stride loop over the spike list is exercised, and emulation stays fast.
  const sim = new WebGpuSimulation(rn, plan, dev as unknown as GPUDevice, false, { maxBatch: 64, deliverGroups: 8, ...layout });
  edit?.(sim);
  await sim.build();
  await sim.run({ stepsPerSubmit: 16 });
  return { out: sim.output({ buildMs: 0, simMs: 0 }, { backend: 'webgpu', reason: 'emulated' }), sim, device: dev };
}

async function runHost(ir: NetworkIR, backend: 'webasm' | 'cpu'): Promise<SimulationOutput> {
  const copy = structuredClone(ir);
  copy.run.backend = backend;
  copy.run.engine = 'gpu';
  return simulate(copy);
}

function expectSameOutput(a: SimulationOutput, b: SimulationOutput, what: string): void {
  expect(a.stats.spikeCounts, what).toEqual(b.stats.spikeCounts);
  expect(a.stats.synapticEvents, what).toBe(b.stats.synapticEvents);
  expect(a.spikes.length).toBe(b.spikes.length);
  a.spikes.forEach((s, k) => {
    const r = b.spikes[k]!;
    expect(s.population).toBe(r.population);
    expect(Array.from(s.indices), `${what}: spikes of ${s.population}`).toEqual(Array.from(r.indices));
    expect(Array.from(s.times), `${what}: spike times of ${s.population}`).toEqual(Array.from(r.times));
    expect(Array.from(s.recorded)).toEqual(Array.from(r.recorded));
  });
  a.traces.forEach((t, k) => expect(Array.from(t.data), `${what}: trace ${t.population}.${t.variable}`).toEqual(Array.from(b.traces[k]!.data)));
  a.rates.forEach((t, k) => expect(Array.from(t.rate), `${what}: rate ${t.population}`).toEqual(Array.from(b.rates[k]!.rate)));
}

describe('webgpu runtime and kernels, executed by the WGSL emulator (test/wgsl-emulator.ts)', () => {
  beforeAll(async () => {
    // GPUBufferUsage and friends, which the runtime reads.
    Object.assign(globalThis, ((await import('webgpu')) as unknown as { globals: object }).globals);
  });

  const nets = networks();
  for (const [name, ir] of Object.entries(nets)) {
    test(`${name}: spikes, traces, rates, counts and events are the webasm backend's, bit for bit`, async () => {
      const { out, device: dev } = await runEmulated(ir);
      expect(dev.dispatches).toBeGreaterThan(100);
      expectSameOutput(out, await runHost(ir, 'webasm'), name);
    });
  }

  test('the same with per-synapse delay and weight arrays and several synapse segments', async () => {
    for (const name of ['IF_curr_exp: sources, stimuli, mixed weights and delays', 'IF_curr_exp: one weight, one delay']) {
      const { out, sim } = await runEmulated(nets[name]!, { perSynapseArrays: true, segmentBytes: 256 });
      expect(sim.layout.encoding.delays).toBe('array');
      expect(sim.layout.encoding.segments).toBeGreaterThan(2);
      expectSameOutput(out, await runHost(nets[name]!, 'webasm'), name);
    }
    const uniform = await runEmulated(nets['IF_curr_exp: one weight, one delay']!);
    expect(uniform.sim.layout.encoding).toMatchObject({ delays: 'uniform', weights: 'uniform' });
  });

  test('random networks of each spiking model: the webasm backend\'s output, bit for bit', async () => {
    const models: { model: string; params: Record<string, number>; w: number; inh: number }[] = [
      { model: 'IF_curr_exp', params: { tau_refrac: 2, i_offset: 0.2 }, w: 1, inh: -0.2 },
      { model: 'IF_cond_exp', params: { tau_refrac: 2, i_offset: 0.3 }, w: 0.02, inh: 0.01 },
      { model: 'izhikevich', params: { i_offset: 0.008 }, w: 0.005, inh: -0.002 },
    ];
    let spikes = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...models), fc.integer({ min: 5, max: 50 }), fc.double({ min: 0, max: 0.2, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), fc.double({ min: 0.1, max: 3, noNaN: true }), async (m, size, p, seed, maxDelay) => {
        const net = new Network({ dt: 0.1, seed, engine: 'gpu' });
        const src = net.spikeSource('in', 20, { rate: 40 });
        const pop = net.population('n', size, m.model, m.params);
        net.connect(src, pop, { rule: 'fixed_probability', p: 0.3 }, { weight: m.w, delay: { uniform: [0.1, maxDelay] } as never });
        net.connect(pop, pop, { rule: 'fixed_probability', p }, { receptor: 'inhibitory', weight: m.inh, delay: 1 });
        net.record(pop, 'spikes');
        net.setRun({ duration: 60 });
        const ir = net.toIR();
        const { out } = await runEmulated(ir);
        expectSameOutput(out, await runHost(ir, 'webasm'), `${m.model} size ${size} seed ${seed}`);
        spikes += out.stats.spikeCounts.n!;
      }),
      { numRuns: 6 },
    );
    expect(spikes).toBeGreaterThan(50);
  });

  test('the comparison has teeth: a kernel that delivers each spike twice, or reads the wrong ring slot, is caught', async () => {
    const ir = nets['IF_curr_exp: one weight, one delay']!;
    const ref = await runHost(ir, 'webasm');
    expect(ref.stats.spikeCounts.E).toBeGreaterThan(50);
    const twice = await runEmulated(ir, {}, (sim) => {
      const k = sim.layout.kernels.find((x) => x.name === 'spikes.deliver')!;
      k.code = k.code.replace(/atomicAdd\(&RING\[([^\]]+)\], ([^;]+)\);/, 'atomicAdd(&RING[$1], 2 * $2);');
    });
    expect(twice.out.stats.spikeCounts.E).not.toBe(ref.stats.spikeCounts.E);
    const late = await runEmulated(ir, {}, (sim) => {
      const k = sim.layout.kernels.find((x) => x.name === 'neuron.update')!;
      expect(k.code).toContain('let at = P.slot * ');
      k.code = k.code.replace('let at = P.slot * ', 'let at = ((P.slot + 1u) % ' + sim.layout.ring!.slots + 'u) * ');
    });
    expect(Array.from(late.out.spikes[0]!.times)).not.toEqual(Array.from(ref.spikes[0]!.times));
  });

  test('the cortical microcircuit (scale 0.02, Poisson background): its eight populations run in one neuron.update, and the output is webasm\'s bit for bit, grouped or not', async () => {
    const ir = microcircuitNetwork({ scale: 0.02, background: 'poisson', duration: 60, seed: 2, threads: 1 });
    ir.run.engine = 'gpu';
    const grouped = await runEmulated(ir);
    const updates = grouped.sim.layout.kernels.filter((k) => k.name === 'neuron.update');
    expect(updates.length).toBe(1);
    expect(updates[0]!.label).toBe('neuron.update "L23E+L23I+L4E+L4I+L5E+L5I+L6E+L6I"');
    expect(grouped.sim.layout.deliveries.length).toBe(1);
    const ref = await runHost(ir, 'webasm');
    expect(ref.stats.spikes).toBeGreaterThan(20);
    expectSameOutput(grouped.out, ref, 'microcircuit, grouped');
    const apart = await runEmulated(ir, { groupPopulations: false });
    expect(apart.sim.layout.kernels.filter((k) => k.name === 'neuron.update').length).toBe(8);
    expectSameOutput(apart.out, ref, 'microcircuit, one kernel per population');
  });

  test('a record buffer that overflows stops the run with an error (never a silent loss)', async () => {
    const ir = nets.izhikevich!;
    await expect(runEmulated(ir, { recordBudgetBytes: 16, minBatch: 64 })).rejects.toThrow(/more than the device's record buffer holds \(2\)/);
  });
});
