/**
 * A minimal WebAssembly binary encoder for the clock engine's generated kernels
 * (spec: https://webassembly.github.io/spec/core/binary/, SIMD opcodes from the
 * fixed-width SIMD proposal merged into WebAssembly 2.0).
 */

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};

/** Signed LEB128 of a 32-bit integer (i32.const immediates). */
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  let x = n | 0;
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
export const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
export const f64bytes = (x: number): number[] => Array.from(new Uint8Array(new Float64Array([x]).buffer));

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const VOID = 0x40;

export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f64Load: 0x2b,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Shl: 0x74,
  f64Add: 0xa0,
  f64Mul: 0xa2,
  i64ExtendI32S: 0xac,
  simd: 0xfd,
} as const;

/** SIMD opcodes (after the 0xfd prefix, LEB-encoded). */
export const SIMD = {
  load: 0x00,
  load32x2s: 0x05,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i64x2Splat: 0x12,
  f64x2Splat: 0x14,
  f64x2Eq: 0x47,
  f64x2Ne: 0x48,
  f64x2Lt: 0x49,
  f64x2Gt: 0x4a,
  f64x2Le: 0x4b,
  f64x2Ge: 0x4c,
  not: 0x4d,
  and: 0x4e,
  andnot: 0x4f,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  anyTrue: 0x53,
  store64Lane: 0x5b,
  f64x2Ceil: 0x74,
  f64x2Floor: 0x75,
  i64x2Bitmask: 0xc4,
  i64x2Add: 0xce,
  i64x2GtS: 0xd9,
  f64x2Abs: 0xec,
  f64x2Neg: 0xed,
  f64x2Sqrt: 0xef,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f64x2Min: 0xf4,
  f64x2Max: 0xf5,
} as const;

/** Memory limits of an imported memory: shared memories need a maximum. */
export function memoryImport(module: string, field: string, pages: number, shared: boolean): number[] {
  const limits = shared ? [0x03, ...uleb(pages), ...uleb(pages)] : [0x00, ...uleb(pages)];
  return [...name(module), ...name(field), 0x02, ...limits];
}

/** A function body: local declarations (runs of one type) and code. */
export function functionBody(locals: [count: number, type: number][], code: number[]): number[] {
  const body = [...vec(locals.filter(([n]) => n > 0).map(([n, t]) => [...uleb(n), t])), ...code];
  return [...uleb(body.length), ...body];
}

export interface WasmFunction {
  name: string;
  params: number[];
  results: number[];
  /** From `functionBody`. */
  body: number[];
}

/** A module importing `env.mem` (`pages` pages, shared or not) and exporting every function by name. */
export function moduleBytes(pages: number, shared: boolean, functions: WasmFunction[]): Uint8Array {
  const signatures: string[] = [];
  const typeOf = functions.map((f) => {
    const sig = JSON.stringify([f.params, f.results]);
    if (!signatures.includes(sig)) signatures.push(sig);
    return signatures.indexOf(sig);
  });
  const types = section(
    1,
    vec(
      signatures.map((sig) => {
        const [params, results] = JSON.parse(sig) as [number[], number[]];
        return [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))];
      }),
    ),
  );
  const imports = section(2, vec([memoryImport('env', 'mem', pages, shared)]));
  const funcs = section(3, vec(typeOf.map((t) => uleb(t))));
  const exports = section(7, vec(functions.map((f, k) => [...name(f.name), 0x00, ...uleb(k)])));
  const code = section(10, vec(functions.map((f) => f.body)));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}

/** Instruction bytes of one function body, with the forms the kernels use. */
export class Emitter {
  readonly code: number[] = [];
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  get(local: number): this {
    return this.op(OP.localGet, ...uleb(local));
  }
  set(local: number): this {
    return this.op(OP.localSet, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(OP.localTee, ...uleb(local));
  }
  i32(x: number): this {
    return this.op(OP.i32Const, ...sleb(x));
  }
  /** A load or store: opcode, alignment exponent, constant offset. */
  mem(op: number, align: number, offset: number): this {
    return this.op(op, align, ...uleb(offset));
  }
  simd(op: number, ...imm: number[]): this {
    return this.op(OP.simd, ...uleb(op), ...imm);
  }
  /** `while (!exit) body`: `exit` leaves an i32 condition; the body advances the loop. */
  loop(exit: () => void, body: () => void): this {
    this.op(OP.block, VOID, OP.loop, VOID);
    exit();
    this.op(OP.brIf, 1);
    body();
    return this.op(OP.br, 0, OP.end, OP.end);
  }
  /** `if (condition) then` on the i32 on the stack. */
  when(then: () => void): this {
    this.op(OP.if, VOID);
    then();
    return this.op(OP.end);
  }
}
