/**
 * The gathers of graded synapses and gap junctions (graded.ts) compiled to WebAssembly.
 *
 * A gather is an indexed multiply-add, gin[i] = Σ_k W[k]·out[obase + S[k]], over a
 * CSC by postsynaptic neuron. In V8's JavaScript each term costs about 2.5 ns (bounds
 * checks and uint32 index conversions); the same loop in WebAssembly costs under 1 ns,
 * which is most of what makes the 302-neuron worm run faster than 10× real time on
 * one core (docs/benchmarks.md, "Worm").
 *
 * The arrays a gather touches (the CSC, the weights, the published `out_<var>` and the
 * `gin_<input>` arrays) live in one WebAssembly.Memory (shared when several workers
 * run), and the rest of the engine reads and writes them through ordinary typed-array
 * views. Each gather becomes one exported function `(obase, lo, hi)` with the byte
 * offsets of its arrays baked into the load and store instructions.
 *
 * The sums are formed in exactly the order of the JavaScript kernel (two accumulators
 * over the even and odd entries of a column, added at the end; WebAssembly f64
 * arithmetic is IEEE 754 with no fused multiply-add), so both give identical bits.
 * Gathers through a sigmoid (LTC synapses) call Math.exp and stay in JavaScript.
 */

import { Emitter, F64, I32, OP, f64bytes, functionBody, moduleBytes } from './wasm-encode.js';

/** One gather: byte offsets of its arrays in the memory, or the uniform weight. */
export interface WasmGatherSpec {
  name: string;
  /** Postsynaptic neuron of each column (u32). */
  cols: number;
  colPtr: number;
  sources: number;
  /** Byte offset of the per-synapse weights, or the one weight of every synapse. */
  weight: { offset: number } | { value: number };
  out: number;
  gin: number;
  assign: boolean;
}

const PAGE = 65536;
const MAX_PAGES = 65536;

/** Bump allocator of 8-byte-aligned typed arrays in one WebAssembly.Memory (gathers here, neuron kernels in wasm-neuron.ts). */
export class WasmArena {
  readonly memory: WebAssembly.Memory;
  private top = 0;

  constructor(bytes: number, shared: boolean) {
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    if (pages > MAX_PAGES) throw new RangeError(`graded coupling needs ${bytes} bytes, more than WebAssembly's 4 GiB`);
    this.memory = shared ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }) : new WebAssembly.Memory({ initial: pages });
  }

  /** Bytes that `alloc` uses for n elements of `bytesPer` bytes (with alignment). */
  static size(n: number, bytesPer: number): number {
    return Math.ceil((Math.max(1, n) * bytesPer) / 8) * 8;
  }

  alloc<T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(ctor: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number }, n: number): T {
    const a = new ctor(this.memory.buffer, this.top, n);
    this.top += WasmArena.size(n, ctor.BYTES_PER_ELEMENT);
    if (this.top > this.memory.buffer.byteLength) throw new RangeError('gather arena overflow (sizes computed wrongly)');
    return a;
  }

  /** A copy of `a` in the arena. */
  copy<T extends Float64Array | Uint32Array | Int32Array>(a: T): T {
    const out = this.alloc(a.constructor as never, a.length) as T;
    out.set(a as never);
    return out;
  }

  get pages(): number {
    return this.memory.buffer.byteLength / PAGE;
  }
}

/** Body of `gather(obase, lo, hi)` over columns lo..hi−1; locals: 3 c, 4 k, 5 e/tmp, 6 a0, 7 a1, 8 obase in bytes. */
function gatherBody(g: WasmGatherSpec): number[] {
  const e = new Emitter();
  const [OBASE, LO, HI, I, K, E, A0, A1, OB8] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // acc += W[k + d] * out[obase + S[k + d]]
  const term = (acc: number, d: number) => {
    e.get(acc);
    if ('value' in g.weight) e.op(OP.f64Const, ...f64bytes(g.weight.value));
    else e.get(K).i32(3).op(OP.i32Shl).mem(OP.f64Load, 3, g.weight.offset + 8 * d);
    e.get(K).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, g.sources + 4 * d);
    e.i32(3).op(OP.i32Shl).get(OB8).op(OP.i32Add).mem(OP.f64Load, 3, g.out);
    e.op(OP.f64Mul, OP.f64Add).set(acc);
  };
  e.get(OBASE).i32(3).op(OP.i32Shl).set(OB8);
  e.get(LO).set(I);
  e.loop(
    () => e.get(I).get(HI).op(OP.i32GeU),
    () => {
      // k = C[i]; e = C[i + 1]
      e.get(I).i32(2).op(OP.i32Shl).tee(E).mem(OP.i32Load, 2, g.colPtr).set(K);
      e.get(E).mem(OP.i32Load, 2, g.colPtr + 4).set(E);
      e.op(OP.f64Const, ...f64bytes(0)).set(A0);
      e.op(OP.f64Const, ...f64bytes(0)).set(A1);
      // while (k + 1 < e) { a0 += term(k); a1 += term(k + 1); k += 2 }
      e.loop(
        () => e.get(K).i32(1).op(OP.i32Add).get(E).op(OP.i32GeU),
        () => {
          term(A0, 0);
          term(A1, 1);
          e.get(K).i32(2).op(OP.i32Add).set(K);
        },
      );
      // if (k < e) a0 += term(k)
      e.get(K).get(E).op(OP.i32LtU).when(() => term(A0, 0));
      // gin[cols[c]] = (gin[cols[c]] +) (a0 + a1); E is free again and holds the byte offset.
      e.get(I).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, g.cols).i32(3).op(OP.i32Shl).tee(E);
      if (!g.assign) e.get(E).mem(OP.f64Load, 3, g.gin);
      e.get(A0).get(A1).op(OP.f64Add);
      if (!g.assign) e.op(OP.f64Add);
      e.mem(OP.f64Store, 3, g.gin);
      e.get(I).i32(1).op(OP.i32Add).set(I);
    },
  );
  e.op(OP.end);
  return functionBody(
    [
      [3, I32],
      [2, F64],
      [1, I32],
    ],
    e.code,
  );
}

/** A module importing `env.mem` (the arena) and exporting one gather function per spec. */
export function gatherModuleBytes(specs: WasmGatherSpec[], pages: number, shared: boolean): Uint8Array {
  return moduleBytes(pages, shared, specs.map((g) => ({ name: g.name, params: [I32, I32, I32], results: [], body: gatherBody(g) })));
}

export type GatherFunction = (obase: number, lo: number, hi: number) => void;

/** Compiles the module against the arena's memory; gathers by name. */
export function instantiateGathers(bytes: Uint8Array, memory: WebAssembly.Memory): Record<string, GatherFunction> {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } });
  return instance.exports as unknown as Record<string, GatherFunction>;
}
