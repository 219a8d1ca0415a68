/**
 * One worker's share of a step in three WebAssembly calls instead of one call per
 * population and per projection: `tickNeurons<w>(n, par)` runs the WebAssembly neuron kernel
 * of every compiled population over the worker's slice (the part that fills whole loop
 * iterations) and stores each spike count; `tickDeliver<w>(n, par) → events` delivers the
 * spikes of every worker's lists through every WebAssembly projection, in projection
 * order; `tickFlush<w>()` sets the tiny values of decaying variables to 0 (loop.ts, flushTiny).
 *
 * Why: each JavaScript → WebAssembly call with its wrapper costs tens of nanoseconds, and
 * the JavaScript step loop spent about 10 % of a COBA-4000 run on them (docs/benchmarks.md).
 * The kernels called are the same functions, with the same arguments, so the results are
 * the same bits; loop.ts keeps everything else (inputs, remainders in JavaScript, recording).
 */
import { Emitter, I32, OP, SIMD, V128, f64bytes, functionBody, uleb, type WasmFunction } from './wasm-encode.js';

/** A compiled population as one worker runs it. */
export interface TickPopulation {
  /** Function index of its `step(lo, hi, slot, spk, n) → spikes`. */
  step: number;
  /** The worker's neurons lo..mid−1 run in WebAssembly (mid − lo a multiple of the kernel's iteration). */
  lo: number;
  mid: number;
  size: number;
  /** Ring slots (0: no ring), so the slot of step n is (n mod ringLen)·size. */
  ringLen: number;
  /** Byte offsets of the worker's spike lists by step parity. */
  lists: [number, number];
  /** Byte offset of its spike count for parity 0 (parity 1 follows). */
  count: number;
  /** Byte offsets of its decaying state arrays (flushed every 64 steps). */
  decaying: number[];
}

export interface TickDelivery {
  /** Function index of its `deliver(spikes, count, start, end, step) → events`. */
  deliver: number;
  /** Per presynaptic worker u: its spike lists by parity and the byte offset of its count for parity 0. */
  sources: { lists: [number, number]; count: number }[];
  /** Byte offsets of this worker's row starts and ends. */
  start: number;
  end: number;
}

/** Below this magnitude a decaying variable is set to 0 every 64 steps (loop.ts, flushTiny; tickFlush). */
export const TINY = 1e-200;

const N = 0;
const PAR = 1;

/** `tickNeurons<w>(n, par)`, `tickDeliver<w>(n, par) → events`, `tickFlush<w>()`. */
export function tickFunctions(w: number, pops: TickPopulation[], deliveries: TickDelivery[]): WasmFunction[] {
  const byParity = (e: Emitter, lists: [number, number]) => e.i32(lists[1]).i32(lists[0]).get(PAR).op(OP.select);

  const neurons = new Emitter();
  for (const p of pops) {
    if (p.mid <= p.lo) continue;
    // counts[par] = step(lo, mid, slot, spk[par], n)
    neurons.get(PAR).i32(2).op(OP.i32Shl);
    neurons.i32(p.lo).i32(p.mid);
    if (p.ringLen > 0) neurons.get(N).i32(p.ringLen).op(OP.i32RemU).i32(p.size).op(OP.i32Mul);
    else neurons.i32(0);
    byParity(neurons, p.lists);
    neurons.get(N);
    neurons.op(OP.call, ...uleb(p.step));
    neurons.mem(OP.i32Store, 2, p.count);
  }
  neurons.op(OP.end);

  const deliver = new Emitter();
  const EVENTS = 2;
  for (const d of deliveries) {
    for (const s of d.sources) {
      // events += deliver(spk[par], counts[par], start, end, n)
      deliver.get(EVENTS);
      byParity(deliver, s.lists);
      deliver.get(PAR).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, s.count);
      deliver.i32(d.start).i32(d.end).get(N);
      deliver.op(OP.call, ...uleb(d.deliver));
      deliver.op(OP.i32Add).set(EVENTS);
    }
  }
  deliver.get(EVENTS).op(OP.end);

  // x = |x| < TINY ? 0 : x, two neurons per vector over lo..mid−1.
  const flush = new Emitter();
  const [PTR, END, TINY2] = [0, 1, 2];
  flush.op(OP.f64Const, ...f64bytes(TINY)).simd(SIMD.f64x2Splat).set(TINY2);
  for (const p of pops) {
    if (p.mid <= p.lo) continue;
    for (const a of p.decaying) {
      flush.i32(a + 8 * p.lo).set(PTR);
      flush.i32(a + 8 * p.mid).set(END);
      flush.loop(
        () => flush.get(PTR).get(END).op(OP.i32GeU),
        () => {
          flush.get(PTR);
          flush.get(PTR).simd(SIMD.load, 3, 0);
          flush.get(PTR).simd(SIMD.load, 3, 0).simd(SIMD.f64x2Abs).get(TINY2).simd(SIMD.f64x2Lt);
          flush.simd(SIMD.andnot).simd(SIMD.store, 3, 0);
          flush.get(PTR).i32(16).op(OP.i32Add).set(PTR);
        },
      );
    }
  }
  flush.op(OP.end);

  return [
    { name: `tickNeurons${w}`, params: [I32, I32], results: [], body: functionBody([], neurons.code) },
    { name: `tickDeliver${w}`, params: [I32, I32], results: [I32], body: functionBody([[1, I32]], deliver.code) },
    { name: `tickFlush${w}`, params: [], results: [], body: functionBody([[2, I32], [1, V128]], flush.code) },
  ];
}

export type TickNeurons = (n: number, par: number) => void;
export type TickDeliver = (n: number, par: number) => number;
export type TickFlush = () => void;
