/**
 * Test support: a CPU emulation of the WGSL the webgpu backend generates, behind a fake
 * GPUDevice, so that src/engines/gpu/webgpu.ts runs its real kernels end to end in CI
 * (Dawn's Null backend validates but executes nothing).
 *
 * `compileWgsl` compiles the subset of WGSL that kernels/wgsl/ emits to JavaScript with
 * WGSL's arithmetic: f32 operations rounded with Math.fround, u32/i32 wrap-around
 * (Math.imul, >>> 0, | 0), typed storage arrays (Float32Array, Int32Array, Uint32Array;
 * vec2<u32> elements as pairs), atomics (sequential here, so trivially atomic),
 * workgroup memory zeroed per workgroup, and workgroupBarrier() as a `yield` of a
 * generator per invocation (a workgroup's invocations advance in lock-step between
 * barriers). Out-of-bounds accesses throw, where a GPU would clamp or drop them.
 * Anything outside the subset is an error. exp/log/pow are Math's, rounded to f32 (a GPU's
 * are within a few ulp of these).
 *
 * `EmulatedDevice` implements the part of GPUDevice the engine uses; queue operations
 * run when called, which is queue order.
 */

type Ty =
  | { k: 'f32' | 'u32' | 'i32' | 'bool' | 'aint' | 'afloat' | 'void' }
  | { k: 'vec'; n: number; el: Ty }
  | { k: 'array'; el: Ty; n?: number }
  | { k: 'atomic'; el: Ty }
  | { k: 'struct'; name: string }
  | { k: 'ptr'; to: Ty };

const T = {
  f32: { k: 'f32' } as Ty,
  u32: { k: 'u32' } as Ty,
  i32: { k: 'i32' } as Ty,
  bool: { k: 'bool' } as Ty,
  aint: { k: 'aint' } as Ty,
  afloat: { k: 'afloat' } as Ty,
  void: { k: 'void' } as Ty,
};

class WgslError extends Error {}

// ───────────────────────────────────────── tokens ─────────────────────────────────────────

interface Tok {
  t: 'num' | 'id' | 'op' | 'eof';
  s: string;
  at: number;
}

const OPS = ['->', '&&', '||', '<<', '>>', '<=', '>=', '==', '!=', '+=', '-=', '*=', '/=', '@', '{', '}', '(', ')', '[', ']', ';', ',', ':', '.', '=', '<', '>', '+', '-', '*', '/', '%', '!', '&', '|', '^', '_'];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const num = /^(?:0x[0-9a-fA-F]+[iu]?|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?[fiu]?)/.exec(src.slice(i));
    if (num && /[\d.]/.test(c) && (c !== '.' || /\d/.test(src[i + 1] ?? ''))) {
      out.push({ t: 'num', s: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][\w]*/.exec(src.slice(i));
    if (id && id[0] !== '_') {
      out.push({ t: 'id', s: id[0], at: i });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new WgslError(`unexpected "${c}" at ${i}`);
    out.push({ t: 'op', s: op, at: i });
    i += op.length;
  }
  out.push({ t: 'eof', s: '', at: src.length });
  return out;
}

// ───────────────────────────────────────── parse + compile ────────────────────────────────

interface Global {
  kind: 'storage' | 'uniform' | 'workgroup' | 'const' | 'fn';
  ty: Ty;
  js: string;
  binding?: number;
  group?: number;
  ret?: Ty;
  params?: Ty[];
}

interface Local {
  ty: Ty;
  js: string;
}

export interface CompiledModule {
  /** Storage bindings of group 1: binding → name and element type. */
  bindings: Map<number, { name: string; el: Ty }>;
  workgroupSize: number;
  /** Runs a dispatch: `buffers` by binding (ArrayBuffers), `step` the uniform block's u32 words. */
  dispatch(buffers: Map<number, ArrayBuffer>, step: Uint32Array, groups: [number, number]): void;
}

const F = Math.fround;
const f32u32 = new Float32Array(1);
const u32f32 = new Uint32Array(f32u32.buffer);

const isInt = (t: Ty) => t.k === 'u32' || t.k === 'i32' || t.k === 'aint';
const isFloat = (t: Ty) => t.k === 'f32' || t.k === 'afloat';
const same = (a: Ty, b: Ty) => JSON.stringify(a) === JSON.stringify(b);

/** The concrete type two operands meet at (abstract literals take the other side's type). */
function unify(a: Ty, b: Ty, what: string): Ty {
  if (a.k === 'aint' && b.k === 'aint') return T.aint;
  if ((a.k === 'aint' || a.k === 'afloat') && (b.k === 'aint' || b.k === 'afloat')) return T.afloat;
  if (a.k === 'aint' || a.k === 'afloat') return b;
  if (b.k === 'aint' || b.k === 'afloat') return a;
  if (!same(a, b)) throw new WgslError(`${what}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  return a;
}

class Compiler {
  private p = 0;
  private readonly globals = new Map<string, Global>();
  private readonly structs = new Map<string, { name: string; ty: Ty }[]>();
  private scopes: Map<string, Local>[] = [];
  private readonly out: string[] = [];
  private inMain = false;
  private usesBarrier = false;
  private fnRet: Ty = T.void;
  wgSize = 1;
  readonly workgroupVars: { name: string; ty: Ty }[] = [];
  readonly bindings = new Map<number, { name: string; el: Ty }>();
  mainParams: string[] = [];

  constructor(private readonly toks: Tok[]) {}

  private peek(o = 0): Tok {
    return this.toks[this.p + o]!;
  }
  private next(): Tok {
    return this.toks[this.p++]!;
  }
  private is(s: string): boolean {
    return this.peek().s === s && this.peek().t !== 'num';
  }
  private eat(s: string): boolean {
    if (!this.is(s)) return false;
    this.p++;
    return true;
  }
  private expect(s: string): void {
    if (!this.eat(s)) throw new WgslError(`expected "${s}" at ${this.peek().at}, got "${this.peek().s}"`);
  }
  private ident(): string {
    const t = this.next();
    if (t.t !== 'id') throw new WgslError(`expected a name at ${t.at}, got "${t.s}"`);
    return t.s;
  }

  /** A closing ">" of a type, splitting ">>" (as in array<vec2<u32>>). */
  private close(): void {
    const t = this.peek();
    if (t.s === '>>') {
      this.toks[this.p] = { ...t, s: '>' };
      return;
    }
    this.expect('>');
  }

  private type(): Ty {
    const n = this.ident();
    if (n === 'f32' || n === 'u32' || n === 'i32' || n === 'bool') return T[n];
    if (n === 'vec3u') return { k: 'vec', n: 3, el: T.u32 };
    if (n.startsWith('vec')) {
      this.expect('<');
      const el = this.type();
      this.close();
      return { k: 'vec', n: Number(n[3]), el };
    }
    if (n === 'atomic') {
      this.expect('<');
      const el = this.type();
      this.close();
      return { k: 'atomic', el };
    }
    if (n === 'array') {
      this.expect('<');
      const el = this.type();
      let len: number | undefined;
      if (this.eat(',')) len = Number(this.next().s.replace(/[iu]$/, ''));
      this.close();
      return { k: 'array', el, ...(len !== undefined ? { n: len } : {}) };
    }
    if (this.structs.has(n)) return { k: 'struct', name: n };
    throw new WgslError(`unknown type ${n}`);
  }

  private attrs(): Record<string, string[]> {
    const a: Record<string, string[]> = {};
    while (this.eat('@')) {
      const name = this.ident();
      const args: string[] = [];
      if (this.eat('(')) {
        while (!this.eat(')')) {
          args.push(this.next().s);
          this.eat(',');
        }
      }
      a[name] = args;
    }
    return a;
  }

  compile(): string {
    const pre: string[] = [];
    while (this.peek().t !== 'eof') {
      const at = this.attrs();
      if (this.eat('struct')) {
        const name = this.ident();
        this.expect('{');
        const fields: { name: string; ty: Ty }[] = [];
        while (!this.eat('}')) {
          const f = this.ident();
          this.expect(':');
          fields.push({ name: f, ty: this.type() });
          this.eat(',');
        }
        this.structs.set(name, fields);
        continue;
      }
      if (this.eat('var')) {
        let space = 'private';
        if (this.eat('<')) {
          space = this.ident();
          if (this.eat(',')) this.ident();
          this.expect('>');
        }
        const name = this.ident();
        this.expect(':');
        const ty = this.type();
        this.expect(';');
        if (space === 'storage') {
          if (ty.k !== 'array') throw new WgslError(`storage ${name} is not an array`);
          const binding = Number(at.binding![0]);
          if (Number(at.group![0]) !== 1) throw new WgslError('storage outside group 1');
          this.bindings.set(binding, { name, el: ty.el });
          this.globals.set(name, { kind: 'storage', ty, js: `$B.${name}` });
        } else if (space === 'uniform') this.globals.set(name, { kind: 'uniform', ty, js: '$P' });
        else if (space === 'workgroup') {
          this.workgroupVars.push({ name, ty });
          this.globals.set(name, { kind: 'workgroup', ty, js: `$W.${name}` });
        } else throw new WgslError(`address space ${space}`);
        continue;
      }
      if (this.eat('const')) {
        const name = this.ident();
        let ty: Ty | undefined;
        if (this.eat(':')) ty = this.type();
        this.expect('=');
        const e = this.expr();
        this.expect(';');
        const t = ty ?? e.ty;
        pre.push(`const c_${name} = ${this.convert(e, t)};`);
        this.globals.set(name, { kind: 'const', ty: t, js: `c_${name}` });
        continue;
      }
      if (this.eat('fn')) {
        this.fn(at);
        continue;
      }
      throw new WgslError(`unexpected "${this.peek().s}" at ${this.peek().at}`);
    }
    return [...pre, ...this.out].join('\n');
  }

  private fn(at: Record<string, string[]>): void {
    const name = this.ident();
    this.expect('(');
    const params: { name: string; ty: Ty; builtin?: string }[] = [];
    while (!this.eat(')')) {
      const pa = this.attrs();
      const pn = this.ident();
      this.expect(':');
      params.push({ name: pn, ty: this.type(), ...(pa.builtin ? { builtin: pa.builtin[0] } : {}) });
      this.eat(',');
    }
    const ret = this.eat('->') ? this.type() : T.void;
    const isMain = at.compute !== undefined;
    this.inMain = isMain;
    this.fnRet = ret;
    if (isMain) {
      this.wgSize = Number(at.workgroup_size![0]);
      this.mainParams = params.map((p) => p.builtin!);
    } else this.globals.set(name, { kind: 'fn', ty: ret, js: `f_${name}`, ret, params: params.map((p) => p.ty) });
    this.scopes = [new Map(params.map((p) => [p.name, { ty: p.ty, js: `v_${p.name}` }]))];
    const body: string[] = [];
    this.block(body, '  ');
    const head = isMain ? `function* main(${params.map((p) => `v_${p.name}`).join(', ')})` : `function f_${name}(${params.map((p) => `v_${p.name}`).join(', ')})`;
    this.out.push(`${head} {`, ...body, '}');
    if (isMain && !this.usesBarrier) this.out.push('main.noBarrier = true;');
    this.inMain = false;
  }

  private lookup(name: string): Local | Global {
    for (let k = this.scopes.length - 1; k >= 0; k--) {
      const l = this.scopes[k]!.get(name);
      if (l) return l;
    }
    const g = this.globals.get(name);
    if (!g) throw new WgslError(`unknown name ${name}`);
    return g;
  }

  private block(out: string[], ind: string): void {
    this.expect('{');
    this.scopes.push(new Map());
    while (!this.eat('}')) this.stmt(out, ind);
    this.scopes.pop();
  }

  private declare(name: string, ty: Ty): string {
    const js = `v_${name}`;
    this.scopes[this.scopes.length - 1]!.set(name, { ty, js });
    return js;
  }

  private concrete(t: Ty): Ty {
    return t.k === 'aint' ? T.i32 : t.k === 'afloat' ? T.f32 : t;
  }

  private stmt(out: string[], ind: string): void {
    if (this.is('{')) {
      out.push(`${ind}{`);
      this.block(out, ind + '  ');
      out.push(`${ind}}`);
      return;
    }
    if (this.is('let') || this.is('var')) {
      this.next();
      const name = this.ident();
      let ty: Ty | undefined;
      if (this.eat(':')) ty = this.type();
      let init: string;
      if (this.eat('=')) {
        const e = this.expr();
        ty ??= this.concrete(e.ty);
        init = this.convert(e, ty);
      } else {
        if (!ty) throw new WgslError(`var ${name} without type or value`);
        init = isFloat(ty) || isInt(ty) ? '0' : ty.k === 'bool' ? 'false' : 'undefined';
      }
      out.push(`${ind}let ${this.declare(name, ty)} = ${init};`);
      this.expect(';');
      return;
    }
    if (this.eat('if')) {
      const c = this.expr();
      if (c.ty.k !== 'bool') throw new WgslError('if condition is not bool');
      out.push(`${ind}if (${c.js}) {`);
      this.block(out, ind + '  ');
      while (this.eat('else')) {
        if (this.eat('if')) {
          const c2 = this.expr();
          out.push(`${ind}} else if (${c2.js}) {`);
          this.block(out, ind + '  ');
        } else {
          out.push(`${ind}} else {`);
          this.block(out, ind + '  ');
          break;
        }
      }
      out.push(`${ind}}`);
      return;
    }
    if (this.eat('for')) {
      this.expect('(');
      this.scopes.push(new Map());
      const init: string[] = [];
      this.stmt(init, '');
      const c = this.expr();
      this.expect(';');
      const upd: string[] = [];
      this.assignment(upd, '', ')');
      this.expect(')');
      out.push(`${ind}for (${init[0]!.replace(/;$/, '')}; ${c.js}; ${upd[0]!.replace(/;$/, '')}) {`);
      this.block(out, ind + '  ');
      this.scopes.pop();
      out.push(`${ind}}`);
      return;
    }
    if (this.eat('while')) {
      const c = this.expr();
      out.push(`${ind}while (${c.js}) {`);
      this.block(out, ind + '  ');
      out.push(`${ind}}`);
      return;
    }
    if (this.eat('continue') || this.eat('break')) {
      out.push(`${ind}${this.toks[this.p - 1]!.s};`);
      this.expect(';');
      return;
    }
    if (this.eat('return')) {
      if (this.eat(';')) {
        out.push(`${ind}return;`);
        return;
      }
      const e = this.expr();
      out.push(`${ind}return ${this.convert(e, this.fnRet)};`);
      this.expect(';');
      return;
    }
    if (this.is('workgroupBarrier')) {
      this.next();
      this.expect('(');
      this.expect(')');
      this.expect(';');
      if (!this.inMain) throw new WgslError('barrier outside the entry point');
      this.usesBarrier = true;
      out.push(`${ind}yield;`);
      return;
    }
    this.assignment(out, ind, ';');
    this.expect(';');
  }

  /** An assignment, or a call statement. */
  private assignment(out: string[], ind: string, end: string): void {
    const save = this.p;
    const lhs = this.postfix(true);
    if (this.is(end)) {
      out.push(`${ind}${lhs.js};`);
      return;
    }
    const op = this.next().s;
    if (!['=', '+=', '-=', '*=', '/='].includes(op)) throw new WgslError(`expected an assignment at ${this.toks[save]!.at}`);
    let rhs = this.expr();
    if (op !== '=') rhs = this.binop(op[0]!, { js: lhs.read!, ty: lhs.ty }, rhs);
    out.push(`${ind}${lhs.write!(this.convert(rhs, lhs.ty))};`);
  }

  // Expressions: { js, ty } with read/write accessors for references.
  private expr(): E {
    return this.binary(0);
  }

  private static readonly LEVELS = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): E {
    if (level === Compiler.LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op' || !Compiler.LEVELS[level]!.includes(t.s)) return a;
      this.p++;
      a = this.binop(t.s, a, this.binary(level + 1));
    }
  }

  private binop(op: string, a: E, b: E): E {
    if (op === '&&' || op === '||') return { js: `(${a.js} ${op} ${b.js})`, ty: T.bool };
    if (op === '<<' || op === '>>') {
      const t = a.ty.k === 'aint' ? T.u32 : a.ty;
      if (t.k === 'u32') return { js: op === '<<' ? `((${a.js} << (${b.js} & 31)) >>> 0)` : `(${a.js} >>> (${b.js} & 31))`, ty: t };
      return { js: `(${a.js} ${op} (${b.js} & 31))`, ty: t };
    }
    const t = unify(a.ty, b.ty, `operator ${op}`);
    if (['<', '<=', '>', '>=', '==', '!='].includes(op)) return { js: `(${a.js} ${op === '==' ? '===' : op === '!=' ? '!==' : op} ${b.js})`, ty: T.bool };
    if (t.k === 'f32') return { js: `F(${a.js} ${op} ${b.js})`, ty: t };
    if (t.k === 'u32') {
      if (op === '*') return { js: `(Math.imul(${a.js}, ${b.js}) >>> 0)`, ty: t };
      if (op === '/') return { js: `((${a.js} / ${b.js}) >>> 0)`, ty: t };
      return { js: `((${a.js} ${op} ${b.js}) >>> 0)`, ty: t };
    }
    if (t.k === 'i32') {
      if (op === '*') return { js: `Math.imul(${a.js}, ${b.js})`, ty: t };
      return { js: `((${a.js} ${op} ${b.js}) | 0)`, ty: t };
    }
    if (t.k === 'aint' || t.k === 'afloat') return { js: `(${a.js} ${op} ${b.js})`, ty: t };
    throw new WgslError(`operator ${op} on ${t.k}`);
  }

  private unary(): E {
    if (this.eat('-')) {
      const e = this.unary();
      return { js: e.ty.k === 'u32' ? `((-${e.js}) >>> 0)` : e.ty.k === 'i32' ? `((-${e.js}) | 0)` : `(-${e.js})`, ty: e.ty };
    }
    if (this.eat('!')) {
      const e = this.unary();
      return { js: `(!${e.js})`, ty: T.bool };
    }
    if (this.eat('&')) {
      const e = this.postfix(true);
      return { ...e, ty: { k: 'ptr', to: e.ty } };
    }
    return this.postfix(false);
  }

  private convert(e: E, to: Ty): string {
    if (to.k === 'f32' && e.ty.k !== 'f32') return `F(${e.js})`;
    if (to.k === 'u32' && e.ty.k === 'aint') return `(${e.js} >>> 0)`;
    if (to.k === 'i32' && e.ty.k === 'aint') return `(${e.js} | 0)`;
    if ((to.k === 'u32' || to.k === 'i32') && !isInt(e.ty)) throw new WgslError(`cannot store ${e.ty.k} into ${to.k}`);
    if (isInt(to) && to.k !== e.ty.k && e.ty.k !== 'aint') throw new WgslError(`cannot store ${e.ty.k} into ${to.k}`);
    return e.js;
  }

  private call(name: string): E {
    this.expect('(');
    const args: E[] = [];
    while (!this.eat(')')) {
      args.push(this.expr());
      this.eat(',');
    }
    const a = (k: number) => args[k]!;
    switch (name) {
      case 'f32':
        return { js: a(0).ty.k === 'f32' ? a(0).js : `F(${a(0).js})`, ty: T.f32 };
      case 'u32':
        return { js: isFloat(a(0).ty) ? `$u32f(${a(0).js})` : `(${a(0).js} >>> 0)`, ty: T.u32 };
      case 'i32':
        return { js: isFloat(a(0).ty) ? `$i32f(${a(0).js})` : `(${a(0).js} | 0)`, ty: T.i32 };
      case 'exp':
      case 'log':
      case 'sqrt':
      case 'tanh':
        return { js: `F(Math.${name}(${a(0).js}))`, ty: this.concrete(a(0).ty) };
      case 'pow':
        return { js: `F(Math.pow(${a(0).js}, ${a(1).js}))`, ty: T.f32 };
      case 'abs':
      case 'floor':
      case 'ceil':
        return { js: `Math.${name}(${a(0).js})`, ty: this.concrete(a(0).ty) };
      case 'min':
      case 'max':
        return { js: `Math.${name}(${a(0).js}, ${a(1).js})`, ty: this.concrete(unify(a(0).ty, a(1).ty, name)) };
      case 'select': {
        const t = unify(a(0).ty, a(1).ty, 'select');
        return { js: `(${a(2).js} ? ${a(1).js} : ${a(0).js})`, ty: this.concrete(t) };
      }
      case 'atomicAdd':
      case 'atomicLoad':
      case 'atomicStore': {
        const p = a(0);
        if (p.ty.k !== 'ptr' || p.ty.to.k !== 'atomic') throw new WgslError(`${name} needs a pointer to an atomic`);
        const el = p.ty.to.el;
        if (name === 'atomicLoad') return { js: p.read!, ty: el };
        const v = this.convert(a(1), el);
        if (name === 'atomicStore') return { js: p.write!(v), ty: T.void };
        const sum = el.k === 'u32' ? `(($t + (${v})) >>> 0)` : `(($t + (${v})) | 0)`;
        return { js: `((($t) => (${p.write!(sum)}, $t))(${p.read!}))`, ty: el };
      }
      default: {
        if (name.startsWith('vec')) return { js: `[${args.map((x) => x.js).join(', ')}]`, ty: { k: 'vec', n: args.length, el: T.u32 } };
        const g = this.globals.get(name);
        if (!g || g.kind !== 'fn') throw new WgslError(`unknown function ${name}`);
        return { js: `${g.js}(${args.map((x, k) => this.convert(x, g.params![k]!)).join(', ')})`, ty: g.ret! };
      }
    }
  }

  private postfix(ref: boolean): E {
    let e: E;
    const t = this.next();
    if (t.t === 'num') e = this.number(t.s);
    else if (t.s === '(') {
      e = this.expr();
      this.expect(')');
      e = { js: `(${e.js})`, ty: e.ty };
    } else if (t.t === 'id') {
      if (t.s === 'true' || t.s === 'false') e = { js: t.s, ty: T.bool };
      else if (t.s === 'bitcast') {
        this.expect('<');
        const to = this.type();
        this.expect('>');
        this.expect('(');
        const x = this.expr();
        this.expect(')');
        if (to.k !== 'f32' || x.ty.k !== 'u32') throw new WgslError('bitcast: only u32 → f32');
        e = { js: `$bitf(${x.js})`, ty: T.f32 };
      } else if (this.is('(') || (t.s.startsWith('vec') && this.is('<'))) {
        if (this.eat('<')) {
          this.type();
          this.close();
        }
        e = this.call(t.s);
      } else {
        const l = this.lookup(t.s);
        const js = l.js;
        e = { js, ty: l.ty, read: js, write: (v) => `${js} = ${v}` };
      }
    } else throw new WgslError(`unexpected "${t.s}" at ${t.at}`);
    for (;;) {
      if (this.eat('[')) {
        const idx = this.expr();
        this.expect(']');
        const ty = e.ty;
        if (ty.k === 'array' && (e.js.startsWith('$B.') || e.js.startsWith('$W.'))) {
          const arr = e.js;
          const i = `(${idx.js})`;
          if (ty.el.k === 'vec') {
            const n = ty.el.n;
            e = { js: `$ldv(${arr}, ${i}, ${n})`, ty: ty.el, read: `$ldv(${arr}, ${i}, ${n})`, write: (v) => `$stv(${arr}, ${i}, ${n}, ${v})` };
          } else {
            const el = ty.el;
            e = { js: `$ld(${arr}, ${i})`, ty: el.k === 'atomic' ? el : el, read: `$ld(${arr}, ${i})`, write: (v) => `$st(${arr}, ${i}, ${v})` };
          }
        } else if (ty.k === 'array' || ty.k === 'vec') {
          const el = ty.k === 'array' ? ty.el : ty.el;
          const js = `${e.js}[${idx.js}]`;
          e = { js, ty: el, read: js, write: (v) => `${js} = ${v}` };
        } else throw new WgslError(`indexing ${ty.k}`);
        continue;
      }
      if (this.eat('.')) {
        const f = this.ident();
        const ty = e.ty;
        if (ty.k === 'vec') {
          const js = `${e.js}[${'xyzw'.indexOf(f)}]`;
          e = { js, ty: ty.el, read: js, write: (v) => `${js} = ${v}` };
        } else if (ty.k === 'struct') {
          const field = this.structs.get(ty.name)!.find((x) => x.name === f);
          if (!field) throw new WgslError(`no field ${f}`);
          const js = `${e.js}.${f}`;
          e = { js, ty: field.ty, read: js, write: (v) => `${js} = ${v}` };
        } else throw new WgslError(`member ${f} of ${ty.k}`);
        continue;
      }
      break;
    }
    if (e.ty.k === 'atomic' && !ref) throw new WgslError('an atomic is read through atomicLoad only');
    // Workgroup atomics: scalar workgroup variables are properties of $W.
    return e;
  }

  private number(s: string): E {
    if (/^0x/i.test(s)) {
      const u = s.endsWith('u');
      const v = parseInt(s.replace(/[iu]$/, ''), 16);
      return { js: String(v), ty: u ? T.u32 : s.endsWith('i') ? T.i32 : T.aint };
    }
    if (s.endsWith('f')) return { js: String(F(Number(s.slice(0, -1)))), ty: T.f32 };
    if (s.endsWith('u')) return { js: String(Number(s.slice(0, -1))), ty: T.u32 };
    if (s.endsWith('i')) return { js: String(Number(s.slice(0, -1))), ty: T.i32 };
    if (/[.eE]/.test(s)) return { js: String(Number(s)), ty: T.afloat };
    return { js: String(Number(s)), ty: T.aint };
  }
}

interface E {
  js: string;
  ty: Ty;
  read?: string;
  write?: (v: string) => string;
}

function boundsError(i: number, n: number): never {
  throw new WgslError(`out-of-bounds access: index ${i} of ${n}`);
}

/** Compiles a WGSL module of the generated subset. */
export function compileWgsl(code: string): CompiledModule {
  const c = new Compiler(tokenize(code));
  const js = c.compile();
  const factory = new Function(
    'F',
    '$ld',
    '$st',
    '$ldv',
    '$stv',
    '$bitf',
    '$u32f',
    '$i32f',
    '$ctx',
    `let $B, $W, $P;\n$ctx.set = (b, w, p) => { $B = b; $W = w; $P = p; };\n${js}\nreturn main;`,
  );
  const ld = (a: { [i: number]: number; length: number }, i: number) => (i >= 0 && i < a.length && Number.isInteger(i) ? a[i]! : boundsError(i, a.length));
  const st = (a: { [i: number]: number; length: number }, i: number, v: number) => {
    if (!(i >= 0 && i < a.length && Number.isInteger(i))) boundsError(i, a.length);
    a[i] = v;
    return v;
  };
  const ldv = (a: Uint32Array, i: number, n: number) => {
    if (!(i >= 0 && (i + 1) * n <= a.length)) boundsError(i, a.length / n);
    return Array.from(a.subarray(i * n, i * n + n));
  };
  const stv = (a: Uint32Array, i: number, n: number, v: number[]) => {
    if (!(i >= 0 && (i + 1) * n <= a.length)) boundsError(i, a.length / n);
    a.set(v, i * n);
  };
  const bitf = (u: number) => ((u32f32[0] = u), f32u32[0]!);
  const u32f = (x: number) => (x <= 0 || Number.isNaN(x) ? 0 : x >= 4294967295 ? 4294967295 : Math.trunc(x));
  const i32f = (x: number) => (Number.isNaN(x) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(x))));
  const ctx: { set?: (b: unknown, w: unknown, p: unknown) => void } = {};
  const main = factory(F, ld, st, ldv, stv, bitf, u32f, i32f, ctx) as ((...a: unknown[]) => Generator<undefined, void, unknown>) & { noBarrier?: boolean };
  const wgSize = c.wgSize;
  const typed = (buf: ArrayBuffer, el: Ty) => {
    const base = el.k === 'atomic' ? el.el : el.k === 'vec' ? el.el : el;
    return base.k === 'f32' ? new Float32Array(buf) : base.k === 'i32' ? new Int32Array(buf) : new Uint32Array(buf);
  };
  return {
    bindings: c.bindings,
    workgroupSize: wgSize,
    dispatch(buffers, step, groups) {
      const B: Record<string, unknown> = {};
      for (const [binding, b] of c.bindings) {
        const buf = buffers.get(binding);
        if (!buf) throw new WgslError(`binding ${binding} (${b.name}) is not bound`);
        B[b.name] = typed(buf, b.el);
      }
      const words = Array.from(step);
      const P: Record<string, unknown> = { step: words[0], k: words[1], slot: words[2], pad: words[3], x: [] as number[][] };
      for (let o = 4; o + 4 <= words.length; o += 4) (P.x as number[][]).push(words.slice(o, o + 4));
      const nwg = [groups[0], groups[1], 1];
      for (let wy = 0; wy < groups[1]; wy++) {
        for (let wx = 0; wx < groups[0]; wx++) {
          const W: Record<string, unknown> = {};
          for (const v of c.workgroupVars) {
            if (v.ty.k !== 'array') W[v.name] = 0;
            else {
              const el = v.ty.el.k === 'atomic' ? v.ty.el.el : v.ty.el;
              W[v.name] = el.k === 'f32' ? new Float32Array(v.ty.n!) : el.k === 'i32' ? new Int32Array(v.ty.n!) : new Uint32Array(v.ty.n!);
            }
          }
          ctx.set!(B, W, P);
          const wid = [wx, wy, 0];
          const args = (li: number) => c.mainParams.map((p) => (p === 'workgroup_id' ? wid : p === 'num_workgroups' ? nwg : p === 'local_invocation_index' ? li : undefined));
          if (main.noBarrier) {
            for (let li = 0; li < wgSize; li++) main(...args(li)).next();
            continue;
          }
          const gens = Array.from({ length: wgSize }, (_, li) => main(...args(li)));
          let live = gens.map(() => true);
          for (;;) {
            const done = gens.map((g, k) => (live[k] ? g.next().done! : true));
            if (done.every((d) => d)) break;
            if (done.some((d, k) => d && live[k])) throw new WgslError('workgroupBarrier reached by only part of a workgroup');
            live = done.map((d) => !d);
          }
        }
      }
    },
  };
}

// ───────────────────────────────────────── device ─────────────────────────────────────────

class EmuBuffer {
  readonly data: ArrayBuffer;
  constructor(
    readonly size: number,
    readonly usage: number,
    readonly label = '',
  ) {
    this.data = new ArrayBuffer(size);
  }
  getMappedRange(): ArrayBuffer {
    return this.data;
  }
  unmap(): void {}
  async mapAsync(): Promise<void> {}
  destroy(): void {}
}

interface EmuPipeline {
  module: CompiledModule;
}
interface EmuGroup {
  entries: { binding: number; resource: { buffer: EmuBuffer; offset?: number; size?: number } }[];
}

/** The part of GPUDevice the webgpu engine uses, executing on the CPU. */
export class EmulatedDevice {
  readonly limits = { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
  dispatches = 0;
  readonly queue = {
    writeBuffer: (b: EmuBuffer, offset: number, data: ArrayBufferView) => {
      new Uint8Array(b.data, offset, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    },
    submit: (cmds: (() => void)[][]) => {
      for (const list of cmds) for (const c of list) c();
    },
    onSubmittedWorkDone: async () => {},
  };
  addEventListener(): void {}
  removeEventListener(): void {}
  pushErrorScope(): void {}
  async popErrorScope(): Promise<null> {
    return null;
  }
  createBuffer(d: { size: number; usage: number; label?: string }): EmuBuffer {
    return new EmuBuffer(d.size, d.usage, d.label);
  }
  createBindGroupLayout(d: unknown): unknown {
    return d;
  }
  createPipelineLayout(d: unknown): unknown {
    return d;
  }
  createBindGroup(d: EmuGroup): EmuGroup {
    return d;
  }
  createShaderModule(d: { code: string }): { module: CompiledModule; getCompilationInfo: () => Promise<{ messages: [] }> } {
    return { module: compileWgsl(d.code), getCompilationInfo: async () => ({ messages: [] }) };
  }
  async createComputePipelineAsync(d: { compute: { module: { module: CompiledModule } } }): Promise<EmuPipeline> {
    return { module: d.compute.module.module };
  }
  createCommandEncoder() {
    const cmds: (() => void)[] = [];
    const self = this;
    return {
      beginComputePass() {
        let pipeline: EmuPipeline | undefined;
        const groups: { group: EmuGroup; offsets: number[] }[] = [];
        return {
          setPipeline(p: EmuPipeline) {
            pipeline = p;
          },
          setBindGroup(i: number, g: EmuGroup, offsets: number[] = []) {
            groups[i] = { group: g, offsets: [...offsets] };
          },
          dispatchWorkgroups(x: number, y = 1) {
            const p = pipeline!;
            const g0 = groups[0]!;
            const g1 = groups[1]!;
            cmds.push(() => {
              const e0 = g0.group.entries[0]!;
              const step = new Uint32Array(e0.resource.buffer.data, g0.offsets[0] ?? 0, (e0.resource.size ?? 256) / 4);
              const buffers = new Map(g1.group.entries.map((e) => [e.binding, e.resource.buffer.data]));
              p.module.dispatch(buffers, step, [x, y]);
              self.dispatches++;
            });
          },
          end() {},
        };
      },
      clearBuffer(b: EmuBuffer, offset = 0, size?: number) {
        cmds.push(() => new Uint8Array(b.data, offset, size ?? b.size - offset).fill(0));
      },
      copyBufferToBuffer(src: EmuBuffer, so: number, dst: EmuBuffer, dO: number, size: number) {
        cmds.push(() => new Uint8Array(dst.data, dO, size).set(new Uint8Array(src.data, so, size)));
      },
      finish() {
        return cmds;
      },
    };
  }
  destroy(): void {}
}
