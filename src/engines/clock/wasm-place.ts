/**
 * Placement of the clock engine's WebAssembly kernels: the arrays they touch are moved
 * into one WebAssembly.Memory (shared when several workers run), and the kernels are
 * compiled against their byte offsets into one module. The rest of the engine keeps the
 * same typed-array names, now views of that memory, so JavaScript and WebAssembly
 * kernels mix freely (they give the same bits).
 *
 * What moves: every neuron population whose kernel compiles (wasm-neuron.ts) with its
 * spike lists; every projection into such a population (wasm-deliver.ts), with its
 * CSR, weights, delays, per-worker row slices, and the spike lists of its presynaptic
 * population; the spike counts. Each worker also gets the three calls of wasm-tick.ts
 * that run all of these kernels for one step.
 */
import type { NeuronKernelSpec } from './codegen.js';
import type { PopulationPlan, ProjectionPlan } from './plan.js';
import { deliverFunction, type WasmDeliver } from './wasm-deliver.js';
import { moduleBytes, type WasmFunction } from './wasm-encode.js';
import { tickFunctions, type TickDeliver, type TickDelivery, type TickFlush, type TickNeurons, type TickPopulation } from './wasm-tick.js';
import { WasmArena } from './wasm-gather.js';
import { checkNeuronKernel, CONSTANTS, neuronFunction, NEURONS_PER_ITERATION, WasmUnsupported, type ArrayOffsets, type WasmNeuronStep } from './wasm-neuron.js';

/** Module bytes (compiled by each worker), the memory holding the kernels' arrays, and the spike counts moved there. */
export interface KernelWasm {
  bytes: Uint8Array;
  memory: WebAssembly.Memory;
  spikeCounts: Int32Array;
}

type Moveable = Float64Array | Int32Array | Uint32Array | Uint16Array;

/** WebAssembly's 32-bit memories hold at most 4 GiB; the kernels stay in JavaScript beyond a safe 2 GiB. */
const MAX_BYTES = 2 ** 31;

export function placeKernels(
  populations: PopulationPlan[],
  specs: (NeuronKernelSpec | undefined)[],
  projections: ProjectionPlan[],
  spikeLists: Uint32Array[][][],
  spikeCounts: Int32Array,
  threads: number,
): KernelWasm | undefined {
  const chosen = new Set<number>();
  const tableBytes = new Map<number, number>();
  populations.forEach((pp, p) => {
    const spec = specs[p];
    if (pp.kind !== 'neuron' || !spec || pp.size < NEURONS_PER_ITERATION) return;
    try {
      tableBytes.set(p, checkNeuronKernel(spec, Object.keys(pp.arrays)));
      chosen.add(p);
    } catch (e) {
      if (!(e instanceof WasmUnsupported)) throw e;
    }
  });
  if (chosen.size === 0) return undefined;
  const delivered = projections.filter((pj) => chosen.has(pj.post) && pj.channel === undefined);
  const listed = new Set([...chosen, ...delivered.map((pj) => pj.pre)]);

  // Sizes first (each array once), then the moves.
  const seen = new Set<Moveable>();
  let bytes = 0;
  const count = (a: Moveable | undefined) => {
    if (!a || seen.has(a)) return;
    seen.add(a);
    bytes += WasmArena.size(a.length, a.BYTES_PER_ELEMENT);
  };
  for (const p of chosen) {
    Object.values(populations[p]!.arrays).forEach(count);
    bytes += WasmArena.size(tableBytes.get(p)!, 1);
  }
  for (const p of listed) spikeLists[p]!.flat().forEach(count);
  for (const pj of delivered) {
    [pj.rowPtr, pj.targets, pj.weights, pj.delays].forEach(count);
    if (threads > 1) bytes += 2 * threads * WasmArena.size(populations[pj.pre]!.size, 4);
  }
  bytes += WasmArena.size(spikeCounts.length, 4);
  if (bytes > MAX_BYTES) return undefined;

  const arena = new WasmArena(bytes, threads > 1);
  const moved = new Map<Moveable, Moveable>();
  const move = <T extends Moveable>(a: T): T => {
    let m = moved.get(a);
    if (!m) {
      m = arena.copy(a as never) as Moveable;
      moved.set(a, m);
    }
    return m as T;
  };
  const functions: WasmFunction[] = [];
  const stepIndex = new Map<number, number>();
  for (const p of chosen) {
    const pp = populations[p]!;
    const offsets: ArrayOffsets = {};
    for (const [k, a] of Object.entries(pp.arrays)) {
      pp.arrays[k] = move(a);
      offsets[k] = pp.arrays[k]!.byteOffset;
    }
    const table = arena.alloc(Uint8Array, tableBytes.get(p)!);
    offsets[CONSTANTS] = table.byteOffset;
    pp.wasmKernel = `step${p}`;
    const f = neuronFunction(pp.wasmKernel, specs[p]!, offsets);
    if (f.constants.length !== table.length) throw new Error(`wasm neuron kernel ${pp.wasmKernel}: constant table changed size`);
    table.set(f.constants);
    stepIndex.set(p, functions.length);
    functions.push(f);
  }
  for (const p of listed) spikeLists[p] = spikeLists[p]!.map((lists) => lists.map(move));
  const deliverIndex: number[] = [];
  delivered.forEach((pj, k) => {
    pj.rowPtr = move(pj.rowPtr);
    pj.targets = move(pj.targets);
    if (pj.weights) pj.weights = move(pj.weights);
    if (pj.delays) pj.delays = move(pj.delays);
    if (threads > 1) {
      const n = populations[pj.pre]!.size;
      pj.workerStart = Array.from({ length: threads }, () => arena.alloc(Uint32Array, n));
      pj.workerEnd = Array.from({ length: threads }, () => arena.alloc(Uint32Array, n));
    }
    pj.wasmDeliver = `deliver${k}`;
    deliverIndex.push(functions.length);
    functions.push(
      deliverFunction(pj.wasmDeliver, {
        ring: populations[pj.post]!.arrays[`in_${pj.receptor}`]!.byteOffset,
        targets: pj.targets.byteOffset,
        weight: pj.weights ? { offset: pj.weights.byteOffset } : { value: pj.uniformWeight! },
        delay: pj.delays ? { offset: pj.delays.byteOffset, bytes: pj.delays.BYTES_PER_ELEMENT as 2 | 4 } : { steps: pj.uniformDelay! },
        slots: populations[pj.post]!.ringSlots[pj.receptor]!,
        postSize: populations[pj.post]!.size,
      }),
    );
  });
  const counts = arena.copy(spikeCounts);
  const listOffsets = (p: number, w: number): [number, number] => [spikeLists[p]![w]![0]!.byteOffset, spikeLists[p]![w]![1]!.byteOffset];
  const countOffset = (p: number, w: number) => counts.byteOffset + 4 * (p * threads + w) * 2;
  for (let w = 0; w < threads; w++) {
    const pops = [...chosen].map((p): TickPopulation => {
      const pp = populations[p]!;
      const lo = pp.bounds[w]!;
      const hi = pp.bounds[w + 1]!;
      return {
        step: stepIndex.get(p)!,
        lo,
        mid: wasmEnd(lo, hi),
        size: pp.size,
        ringLen: Math.max(0, ...Object.values(pp.ringSlots)),
        lists: listOffsets(p, w),
        count: countOffset(p, w),
        decaying: (pp.decaysToZero ?? []).map((v) => pp.arrays[`s_${v}`]!.byteOffset),
      };
    });
    const deliveries = delivered.map((pj, k): TickDelivery => ({
      deliver: deliverIndex[k]!,
      sources: Array.from({ length: threads }, (_, u) => ({ lists: listOffsets(pj.pre, u), count: countOffset(pj.pre, u) })),
      start: threads > 1 ? pj.workerStart![w]!.byteOffset : pj.rowPtr.byteOffset,
      end: threads > 1 ? pj.workerEnd![w]!.byteOffset : pj.rowPtr.byteOffset + 4,
    }));
    functions.push(...tickFunctions(w, pops, deliveries));
  }
  return { bytes: moduleBytes(arena.pages, threads > 1, functions), memory: arena.memory, spikeCounts: counts };
}

/** End of the part of a worker's slice lo..hi−1 that the WebAssembly kernel runs (whole loop iterations); the JavaScript kernel runs the rest. */
export function wasmEnd(lo: number, hi: number): number {
  return hi - ((hi - lo) % NEURONS_PER_ITERATION);
}

/** Compiles the module against the kernel memory (once per worker); kernels by export name. */
export function instantiateKernels(kw: KernelWasm): Record<string, WasmNeuronStep | WasmDeliver | TickNeurons | TickDeliver | TickFlush> {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(kw.bytes), { env: { mem: kw.memory } });
  return instance.exports as unknown as Record<string, WasmNeuronStep | WasmDeliver | TickNeurons | TickDeliver | TickFlush>;
}
