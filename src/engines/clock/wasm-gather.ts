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

/** Bump allocator of 8-byte-aligned typed arrays in one WebAssembly.Memory. */
export class GatherArena {
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

  alloc<T extends Float64Array | Uint32Array>(ctor: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number }, n: number): T {
    const a = new ctor(this.memory.buffer, this.top, n);
    this.top += GatherArena.size(n, ctor.BYTES_PER_ELEMENT);
    if (this.top > this.memory.buffer.byteLength) throw new RangeError('gather arena overflow (sizes computed wrongly)');
    return a;
  }

  /** A copy of `a` in the arena. */
  copy<T extends Float64Array | Uint32Array>(a: T): T {
    const out = this.alloc(a.constructor as never, a.length) as T;
    out.set(a as never);
    return out;
  }

  get pages(): number {
    return this.memory.buffer.byteLength / PAGE;
  }
}

// --- A minimal WebAssembly binary encoder (spec: https://webassembly.github.io/spec/core/binary/) ---

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const f64bytes = (x: number): number[] => Array.from(new Uint8Array(new Float64Array([x]).buffer));

const I32 = 0x7f;
const F64 = 0x7c;
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Shl: 0x74,
  f64Add: 0xa0,
  f64Mul: 0xa2,
} as const;
const VOID = 0x40;

/** Body of `gather(obase, lo, hi)` over columns lo..hi−1; locals: 3 c, 4 k, 5 e/tmp, 6 a0, 7 a1, 8 obase in bytes. */
function gatherBody(g: WasmGatherSpec): number[] {
  const b: number[] = [];
  const get = (x: number) => b.push(OP.localGet, x);
  const set = (x: number) => b.push(OP.localSet, x);
  const i32 = (x: number) => b.push(OP.i32Const, ...uleb(x)); // small non-negative constants only (< 64)
  const load = (op: number, align: number, offset: number) => b.push(op, align, ...uleb(offset));
  const [OBASE, LO, HI, I, K, E, A0, A1, OB8] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // acc += W[k + d] * out[obase + S[k + d]]
  const term = (acc: number, d: number) => {
    get(acc);
    if ('value' in g.weight) b.push(OP.f64Const, ...f64bytes(g.weight.value));
    else {
      get(K);
      i32(3);
      b.push(OP.i32Shl);
      load(OP.f64Load, 3, g.weight.offset + 8 * d);
    }
    get(K);
    i32(2);
    b.push(OP.i32Shl);
    load(OP.i32Load, 2, g.sources + 4 * d);
    i32(3);
    b.push(OP.i32Shl);
    get(OB8);
    b.push(OP.i32Add);
    load(OP.f64Load, 3, g.out);
    b.push(OP.f64Mul, OP.f64Add);
    set(acc);
  };
  get(OBASE);
  i32(3);
  b.push(OP.i32Shl);
  set(OB8);
  get(LO);
  set(I);
  b.push(OP.block, VOID, OP.loop, VOID);
  get(I);
  get(HI);
  b.push(OP.i32GeU, OP.brIf, 1);
  // k = C[i]; e = C[i + 1]
  get(I);
  i32(2);
  b.push(OP.i32Shl, OP.localTee, E);
  load(OP.i32Load, 2, g.colPtr);
  set(K);
  get(E);
  load(OP.i32Load, 2, g.colPtr + 4);
  set(E);
  b.push(OP.f64Const, ...f64bytes(0));
  set(A0);
  b.push(OP.f64Const, ...f64bytes(0));
  set(A1);
  // while (k + 1 < e) { a0 += term(k); a1 += term(k + 1); k += 2 }
  b.push(OP.block, VOID, OP.loop, VOID);
  get(K);
  i32(1);
  b.push(OP.i32Add);
  get(E);
  b.push(OP.i32GeU, OP.brIf, 1);
  term(A0, 0);
  term(A1, 1);
  get(K);
  i32(2);
  b.push(OP.i32Add);
  set(K);
  b.push(OP.br, 0, OP.end, OP.end);
  // if (k < e) a0 += term(k)
  get(K);
  get(E);
  b.push(OP.i32LtU, OP.if, VOID);
  term(A0, 0);
  b.push(OP.end);
  // gin[cols[c]] = (gin[cols[c]] +) (a0 + a1); E is free again and holds the byte offset.
  get(I);
  i32(2);
  b.push(OP.i32Shl);
  load(OP.i32Load, 2, g.cols);
  i32(3);
  b.push(OP.i32Shl);
  b.push(OP.localTee, E);
  if (!g.assign) {
    get(E);
    load(OP.f64Load, 3, g.gin);
  }
  get(A0);
  get(A1);
  b.push(OP.f64Add);
  if (!g.assign) b.push(OP.f64Add);
  load(OP.f64Store, 3, g.gin);
  get(I);
  i32(1);
  b.push(OP.i32Add);
  set(I);
  b.push(OP.br, 0, OP.end, OP.end, OP.end);
  const locals = vec([
    [...uleb(3), I32],
    [...uleb(2), F64],
    [...uleb(1), I32],
  ]);
  const body = [...locals, ...b];
  return [...uleb(body.length), ...body];
}

/** A module importing `env.mem` (the arena) and exporting one gather function per spec. */
export function gatherModuleBytes(specs: WasmGatherSpec[], pages: number, shared: boolean): Uint8Array {
  const type = section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([])]]));
  const limits = shared ? [0x03, ...uleb(pages), ...uleb(pages)] : [0x00, ...uleb(pages)];
  const imports = section(2, vec([[...name('env'), ...name('mem'), 0x02, ...limits]]));
  const funcs = section(3, vec(specs.map(() => [0])));
  const exports = section(7, vec(specs.map((s, k) => [...name(s.name), 0x00, ...uleb(k)])));
  const code = section(10, vec(specs.map(gatherBody)));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code]);
}

export type GatherFunction = (obase: number, lo: number, hi: number) => void;

/** Compiles the module against the arena's memory; gathers by name. */
export function instantiateGathers(bytes: Uint8Array, memory: WebAssembly.Memory): Record<string, GatherFunction> {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } });
  return instance.exports as unknown as Record<string, GatherFunction>;
}
