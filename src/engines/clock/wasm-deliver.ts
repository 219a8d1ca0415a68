/**
 * The clock engine's spike delivery compiled to WebAssembly: for each spike of the
 * presynaptic list, add its synapses' weights to the ring slots of their arrival step,
 * as codegen.ts's `projectionKernelSource` does in JavaScript, in the same order
 * (synapse by synapse along each row), so the rings receive the same bits.
 *
 * In JavaScript each event costs a bounds check on the targets, the ring and the
 * weights, plus a uint32 → double conversion of the target; here it is two loads, an
 * add and a store. The inner loop is unrolled 4× as in JavaScript (benchmarks.md §5.6).
 */
import { Emitter, I32, OP, f64bytes, functionBody, type WasmFunction } from './wasm-encode.js';

export interface DeliverSpec {
  /** Byte offsets in the kernel memory. */
  ring: number;
  targets: number;
  /** Per-synapse weights (f64) or the uniform weight. */
  weight: { offset: number } | { value: number };
  /** Per-synapse delays in steps (u16 or u32) or the uniform delay. */
  delay: { offset: number; bytes: 2 | 4 } | { steps: number };
  /** Ring slots and postsynaptic population size. */
  slots: number;
  postSize: number;
}

// Parameters and locals of `deliver(spikes, count, start, end, step) → events` (byte offsets).
const SPIKES = 0;
const COUNT = 1;
const START = 2;
const END = 3;
const STEP = 4;
const S = 5;
const K = 6;
const E = 7;
const EVENTS = 8;
const BASE = 9;
const J4 = 10;
const ADDR = 11;

function deliverBody(d: DeliverSpec): number[] {
  const e = new Emitter();
  const L = d.slots;
  const rowBytes = d.postSize * 8;
  if (rowBytes * L >= 2 ** 31) throw new RangeError('ring too large for a 32-bit WebAssembly memory');
  const uniform = 'steps' in d.delay;

  // ring[slot·N + T[k]] += w for synapse k + o (o = 0..3 in the unrolled loop).
  const event = (o: number) => {
    if (uniform) {
      // ADDR = BASE + T[k]·8
      e.get(K).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, d.targets + 4 * o).i32(3).op(OP.i32Shl).get(BASE).op(OP.i32Add);
    } else {
      // slot = now + D[k]; if (slot ≥ L) slot −= L; ADDR = slot·N·8 + T[k]·8
      const delay = d.delay as { offset: number; bytes: 2 | 4 };
      e.get(BASE).get(K);
      if (delay.bytes === 2) e.i32(1).op(OP.i32Shl).mem(OP.i32Load16U, 1, delay.offset + 2 * o);
      else e.i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, delay.offset + 4 * o);
      e.op(OP.i32Add).tee(ADDR);
      e.get(ADDR).i32(L).op(OP.i32GeU);
      e.op(OP.if, I32).get(ADDR).i32(L).op(OP.i32Sub, OP.else).get(ADDR).op(OP.end);
      e.i32(rowBytes).op(OP.i32Mul);
      e.get(K).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, d.targets + 4 * o).i32(3).op(OP.i32Shl, OP.i32Add);
    }
    e.tee(ADDR).get(ADDR).mem(OP.f64Load, 3, d.ring);
    if ('value' in d.weight) e.op(OP.f64Const, ...f64bytes(d.weight.value));
    else e.get(K).i32(3).op(OP.i32Shl).mem(OP.f64Load, 3, d.weight.offset + 8 * o);
    e.op(OP.f64Add).mem(OP.f64Store, 3, d.ring);
  };

  // BASE: uniform delay → byte offset of the arrival slot's row; per-synapse delays → step % L.
  e.get(STEP)
    .i32(uniform ? (d.delay as { steps: number }).steps : 0)
    .op(OP.i32Add)
    .i32(L)
    .op(OP.i32RemU);
  if (uniform) e.i32(rowBytes).op(OP.i32Mul);
  e.set(BASE);

  e.loop(
    () => e.get(S).get(COUNT).op(OP.i32GeU),
    () => {
      // j·4 = spikes[s]·4; k = start[j]; e = end[j]; events += e − k
      e.get(SPIKES).get(S).i32(2).op(OP.i32Shl, OP.i32Add).mem(OP.i32Load, 2, 0).i32(2).op(OP.i32Shl).set(J4);
      e.get(START).get(J4).op(OP.i32Add).mem(OP.i32Load, 2, 0).set(K);
      e.get(END).get(J4).op(OP.i32Add).mem(OP.i32Load, 2, 0).set(E);
      e.get(EVENTS).get(E).op(OP.i32Add).get(K).op(OP.i32Sub).set(EVENTS);
      // while (k + 4 ≤ e) { 4 events; k += 4 }, then one at a time
      e.loop(
        () => e.get(K).i32(4).op(OP.i32Add).get(E).op(OP.i32GtU),
        () => {
          for (let o = 0; o < 4; o++) event(o);
          e.get(K).i32(4).op(OP.i32Add).set(K);
        },
      );
      e.loop(
        () => e.get(K).get(E).op(OP.i32GeU),
        () => {
          event(0);
          e.get(K).i32(1).op(OP.i32Add).set(K);
        },
      );
      e.get(S).i32(1).op(OP.i32Add).set(S);
    },
  );
  e.get(EVENTS).op(OP.end);
  return functionBody([[7, I32]], e.code);
}

/** The exported `deliver(spikes, count, start, end, step) → events` of one projection (array arguments as byte offsets). */
export function deliverFunction(name: string, spec: DeliverSpec): WasmFunction {
  return { name, params: [I32, I32, I32, I32, I32], results: [I32], body: deliverBody(spec) };
}

export type WasmDeliver = (spikes: number, count: number, start: number, end: number, step: number) => number;
