/**
 * The WebAssembly gathers of graded synapses and gap junctions give the same bits as
 * the JavaScript kernels they replace: directly, on random sparse matrices, and inside
 * the clock engine (graded worm model, gap-coupled spiking network on 1 and 2 threads).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Network, type Network as NetworkSrc } from '../src/api/network.js';
import { clockEngine, type clockEngine as clockEngineSrc } from '../src/engines/clock/index.js';
import { instantiate } from '../src/engines/clock/codegen.js';
import { gatherKernelSource, type GradedGather } from '../src/engines/clock/graded.js';
import { WasmArena, gatherModuleBytes, instantiateGathers } from '../src/engines/clock/wasm-gather.js';

type Gather = (obase: number, lo: number, hi: number) => void;

/** A random CSC with nPost columns over nPre sources. */
const cscArb = fc
  .record({ nPre: fc.integer({ min: 1, max: 40 }), nPost: fc.integer({ min: 1, max: 40 }), uniform: fc.boolean(), assign: fc.boolean(), seed: fc.integer() })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      cols: fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: c.nPre - 1 }), fc.double({ min: -5, max: 5, noNaN: true })), { maxLength: 9 }), {
        minLength: c.nPost,
        maxLength: c.nPost,
      }),
      out: fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 2 * c.nPre, maxLength: 2 * c.nPre }),
      gin0: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: c.nPost, maxLength: c.nPost }),
    }),
  );

describe('WebAssembly gather', () => {
  test('module validates and matches the JavaScript gather bit for bit (random CSC, uniform or per-synapse weights, assign or add)', () => {
    fc.assert(
      fc.property(cscArb, ({ c, cols, out, gin0 }) => {
        // Every column, or (as for a gather that is its input's only writer) the non-empty ones.
        const kept = cols.map((col, i) => [col, i] as const).filter(([col]) => !c.assign || col.length > 0 || c.uniform);
        const colIdx = Uint32Array.from(kept, ([, i]) => i);
        const colPtr = new Uint32Array(kept.length + 1);
        kept.forEach(([col], q) => (colPtr[q + 1] = colPtr[q]! + col.length));
        const sources = Uint32Array.from(kept.flatMap(([col]) => col), (e) => e[0]);
        const weights = Float64Array.from(kept.flatMap(([col]) => col), (e) => e[1]);
        const g: GradedGather = {
          label: 'g',
          pre: 0,
          post: 1,
          variable: 'v',
          input: 'gin_gap',
          cols: colIdx,
          colPtr,
          sources,
          weight: c.uniform ? 0.37 : weights,
          assign: c.assign,
        };
        // JavaScript reference.
        const ginJs = Float64Array.from(gin0);
        const outJs = Float64Array.from(out);
        const js = instantiate<Gather>(gatherKernelSource(g), { cols: colIdx, colPtr, sources, gin: ginJs, out: outJs, W: weights });
        // WebAssembly, arrays in an arena.
        const n = colPtr.length;
        const bytes = WasmArena.size(colIdx.length, 4) + WasmArena.size(n, 4) + WasmArena.size(sources.length, 4) + WasmArena.size(weights.length, 8) + WasmArena.size(out.length, 8) + WasmArena.size(c.nPost, 8);
        const arena = new WasmArena(bytes, false);
        const K = arena.copy(colIdx);
        const C = arena.copy(colPtr);
        const S = arena.copy(sources);
        const W = arena.copy(weights);
        const O = arena.copy(outJs);
        const gin = arena.copy(Float64Array.from(gin0));
        const mod = gatherModuleBytes(
          [{ name: 'g', cols: K.byteOffset, colPtr: C.byteOffset, sources: S.byteOffset, weight: c.uniform ? { value: 0.37 } : { offset: W.byteOffset }, out: O.byteOffset, gin: gin.byteOffset, assign: c.assign }],
          arena.pages,
          false,
        );
        expect(WebAssembly.validate(mod)).toBe(true);
        const wasm = instantiateGathers(mod, arena.memory).g!;
        for (const obase of [0, c.nPre]) {
          const lo = Math.floor(colIdx.length / 3);
          js(obase, lo, colIdx.length);
          wasm(obase, lo, colIdx.length);
          expect(Array.from(gin)).toEqual(Array.from(ginJs));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('a shared arena (several workers) validates and instantiates', () => {
    const arena = new WasmArena(1000, true);
    expect(arena.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const mod = gatherModuleBytes([{ name: 'g', cols: 0, colPtr: 0, sources: 8, weight: { value: 1 }, out: 16, gin: 32, assign: true }], arena.pages, true);
    expect(WebAssembly.validate(mod)).toBe(true);
    expect(typeof instantiateGathers(mod, arena.memory).g).toBe('function');
  });
});

describe('clock engine with WebAssembly gathers', () => {
  const traces = (out: Awaited<ReturnType<typeof clockEngine.run>>) => out.traces.map((t) => Array.from(t.data));

  test('graded Kunert network with gap junctions: identical traces with the gathers in WebAssembly and in JavaScript', async () => {
    const build = () => {
      const net = new Network({ dt: 0.1, seed: 3 });
      const p = net.population('w', 30, 'graded_kunert');
      net.connect(p, p, { rule: 'fixed_probability', p: 0.2 }, { transmission: 'graded', graded: { variable: 's' }, receptor: 'excitatory', weight: 2e-5 });
      net.connect(p, p, { rule: 'fixed_probability', p: 0.05 }, { transmission: 'graded', graded: { variable: 's' }, receptor: 'inhibitory', weight: 1e-5 });
      net.connect(p, p, { rule: 'fixed_probability', p: 0.1 }, { transmission: 'gap', weight: 1e-5 });
      net.stimulate(p, { kind: 'dc', indices: [0, 1, 2], amplitude: 0.01, start: 20, stop: 120 });
      net.record(p, ['v', 's'], { interval: 0.5 });
      net.setRun({ duration: 200, threads: 1 });
      return net.toIR();
    };
    const wasm = await clockEngine.run(build(), { wasmGather: true });
    const js = await clockEngine.run(build(), { wasmGather: false });
    expect(traces(wasm)).toEqual(traces(js));
    // The stimulus moves the network: the test compares dynamics, not constants.
    const v = wasm.traces.find((t) => t.variable === 'v')!.data;
    expect(Math.abs(v[30 * 200 + 5]! - v[5]!)).toBeGreaterThan(1e-3);
  });

  test('gap-coupled spiking network: identical spikes and traces for WebAssembly/JavaScript gathers on 1 and 2 threads (dist build)', async () => {
    // Worker threads load dist/src/engines/clock/worker.js, so this test runs the built engine.
    const { Network } = (await import('../dist/src/api/network.js')) as unknown as { Network: typeof NetworkSrc };
    const { clockEngine } = (await import('../dist/src/engines/clock/index.js')) as unknown as { clockEngine: typeof clockEngineSrc };
    const build = (threads: number) => {
      const net = new Network({ dt: 0.1, seed: 11 });
      const p = net.population('n', 200, 'IF_curr_exp', { tau_refrac: 2 });
      net.connect(p, p, { rule: 'fixed_probability', p: 0.05 }, { transmission: 'gap', weight: 0.002 });
      net.connect(p, p, { rule: 'fixed_probability', p: 0.05 }, { weight: 0.05, delay: 1 });
      net.stimulate(p, { kind: 'poisson', rate: 800, weight: 0.4 });
      net.record(p, 'spikes');
      net.record(p, ['v'], { interval: 1, indices: [0, 50, 150, 199] });
      net.setRun({ duration: 300, threads });
      return net.toIR();
    };
    const runs = await Promise.all([
      clockEngine.run(build(1), { wasmGather: false }),
      clockEngine.run(build(1), { wasmGather: true }),
      clockEngine.run(build(2), { wasmGather: true }),
    ]);
    const [ref, ...others] = runs;
    expect(ref!.spikes[0]!.times.length).toBeGreaterThan(100);
    expect(runs[2]!.stats.threads).toBe(2);
    for (const o of others) {
      expect(Array.from(o.spikes[0]!.times)).toEqual(Array.from(ref!.spikes[0]!.times));
      expect(Array.from(o.spikes[0]!.indices)).toEqual(Array.from(ref!.spikes[0]!.indices));
      expect(traces(o)).toEqual(traces(ref!));
    }
  });
});
