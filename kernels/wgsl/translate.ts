/**
 * The model snippets (src/models/*.ts `code()`: update, updateRefractory, threshold,
 * reset) translated from their small JavaScript subset into WGSL, for the webgpu
 * backend's `neuron.update` shader.
 *
 * The subset, exactly what the snippets use (anything else is a TranslateError that
 * names the construct):
 * - statements: `const x = e;` and `let x = e;` declarations, assignments `x = e`,
 *   `x += e`, `x -= e`, `x *= e`, `x /= e`, blocks `{ … }`, `if (c) s` and `if (c) s
 *   else s`, empty statements, `//` and `/* *\/` comments;
 * - expressions: number literals (with exponents), `true`/`false`, names, parentheses,
 *   unary `-` `+` `!`, `*` `/` `%` `+` `-` `**`, comparisons `<` `<=` `>` `>=` `==`
 *   `===` `!=` `!==`, `&&` `||`, the conditional `c ? a : b`, and the calls
 *   Math.exp/expm1/log/log1p/min/max/abs/sqrt/pow/tanh/floor/ceil.
 *
 * Translation (every value is f32; comparisons and logic are bool):
 * - a `const` becomes a WGSL `let`, a `let` a `var`; names are renamed (`l_<name>` for
 *   locals; model names through the caller's resolver, `m_<name>` by convention), so no
 *   snippet name can meet a WGSL keyword, a reserved word or the `__` prefix WGSL forbids;
 * - every number literal becomes an f32 literal (`0.04f`): with the suffix, WGSL folds
 *   constant sub-expressions in f32 too, never in its higher-precision abstract float;
 * - `c ? a : b` becomes `select(b, a, c)` (both sides are evaluated; snippets have no side
 *   effects); a number used as a condition is compared with 0, a bool used as a number
 *   becomes select(0, 1, b);
 * - `Math.expm1(x)` becomes `nm_expm1(x)`: Horner's form of the Taylor series to x⁸/8! for
 *   |x| < 0.5 (truncation below 1e-8 relative), exp(x) − 1 beyond (a few ulp there). The
 *   two-term form x + x²/2 for |x| < 1e-5, else exp(x) − 1, would lose three digits near
 *   |x| = 1e-4 in f32. `Math.log1p(x)` becomes `nm_log1p(x)`: log(u)·x/(u − 1) with
 *   u = 1 + x (Goldberg's form), x itself where u rounds to 1.
 *
 * `evalF32` interprets the same AST with float32 arithmetic (Math.fround after every
 * operation, the same expm1/log1p forms): the semantics the WGSL has, so tests compare it
 * with the original JavaScript snippet on random states without a GPU.
 */

export class TranslateError extends Error {
  override name = 'TranslateError';
}

// ───────────────────────────────────────── tokens ─────────────────────────────────────────

type Tok = { t: 'num'; v: number; s: string; at: number } | { t: 'id'; s: string; at: number } | { t: 'op'; s: string; at: number } | { t: 'eof'; s: ''; at: number };

const OPS = ['===', '!==', '**', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '{', '}', '(', ')', ';', ',', '?', ':', '=', '<', '>', '+', '-', '*', '/', '%', '!', '.'];

export function tokenize(src: string): Tok[] {
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
    if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new TranslateError(`unterminated comment at ${i}`);
      i = end + 2;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(src.slice(i));
    if (num && (/\d/.test(c) || (c === '.' && /\d/.test(src[i + 1] ?? '')))) {
      if (/^[\w$]/.test(src.slice(i + num[0].length))) throw new TranslateError(`bad number "${src.slice(i, i + num[0].length + 1)}" at ${i}`);
      out.push({ t: 'num', v: Number(num[0]), s: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', s: id[0], at: i });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new TranslateError(`unexpected character "${c}" at ${i}`);
    out.push({ t: 'op', s: op, at: i });
    i += op.length;
  }
  out.push({ t: 'eof', s: '', at: src.length });
  return out;
}

// ────────────────────────────────────────── AST ───────────────────────────────────────────

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'id'; name: string }
  | { k: 'un'; op: '-' | '+' | '!'; e: Expr }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr }
  | { k: 'call'; fn: MathFn; args: Expr[] };

export type BinOp = '+' | '-' | '*' | '/' | '%' | '**' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';

export type Stmt =
  | { k: 'decl'; kind: 'const' | 'let'; name: string; init: Expr }
  | { k: 'assign'; op: '=' | '+=' | '-=' | '*=' | '/='; name: string; e: Expr }
  | { k: 'block'; body: Stmt[] }
  | { k: 'if'; c: Expr; then: Stmt; else?: Stmt };

/** Math functions of the subset and their arity. */
export const MATH_FNS = { exp: 1, expm1: 1, log: 1, log1p: 1, min: 2, max: 2, abs: 1, sqrt: 1, pow: 2, tanh: 1, floor: 1, ceil: 1 } as const;
export type MathFn = keyof typeof MATH_FNS;

class Parser {
  private p = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly src: string,
  ) {}

  private peek(): Tok {
    return this.toks[this.p]!;
  }
  private next(): Tok {
    return this.toks[this.p++]!;
  }
  private is(s: string): boolean {
    const t = this.peek();
    return (t.t === 'op' || t.t === 'id') && t.s === s;
  }
  private eat(s: string): boolean {
    if (!this.is(s)) return false;
    this.p++;
    return true;
  }
  private expect(s: string): void {
    if (!this.eat(s)) this.fail(`expected "${s}"`);
  }
  fail(msg: string): never {
    const t = this.peek();
    const line = this.src.slice(0, t.at).split('\n').length;
    throw new TranslateError(`${msg} at line ${line} near "${this.src.slice(t.at, t.at + 24).split('\n')[0]}"`);
  }
  atEnd(): boolean {
    return this.peek().t === 'eof';
  }

  program(): Stmt[] {
    const body: Stmt[] = [];
    while (!this.atEnd()) {
      const s = this.statement();
      if (s) body.push(s);
    }
    return body;
  }

  statement(): Stmt | undefined {
    if (this.eat(';')) return undefined;
    if (this.eat('{')) {
      const body: Stmt[] = [];
      while (!this.eat('}')) {
        if (this.atEnd()) this.fail('unclosed block');
        const s = this.statement();
        if (s) body.push(s);
      }
      return { k: 'block', body };
    }
    if (this.eat('if')) {
      this.expect('(');
      const c = this.expression();
      this.expect(')');
      const then = this.statement() ?? { k: 'block', body: [] };
      const els = this.eat('else') ? (this.statement() ?? { k: 'block', body: [] }) : undefined;
      return els ? { k: 'if', c, then, else: els } : { k: 'if', c, then };
    }
    if (this.is('const') || this.is('let')) {
      const kind = this.next().s as 'const' | 'let';
      const name = this.ident();
      if (!this.eat('=')) this.fail(`declaration of "${name}" without a value`);
      const init = this.expression();
      if (this.is(',')) this.fail('one declaration per statement');
      this.endStatement();
      return { k: 'decl', kind, name, init };
    }
    for (const bad of ['var', 'for', 'while', 'do', 'return', 'function', 'switch', 'break', 'continue']) {
      if (this.is(bad)) this.fail(`"${bad}" is not in the snippet subset`);
    }
    const name = this.ident();
    const t = this.next();
    if (t.t !== 'op' || !['=', '+=', '-=', '*=', '/='].includes(t.s)) {
      this.p--;
      this.fail(`expected an assignment to "${name}"`);
    }
    const e = this.expression();
    this.endStatement();
    return { k: 'assign', op: t.s as '=', name, e };
  }

  private endStatement(): void {
    if (this.eat(';')) return;
    // Automatic semicolon insertion is not in the subset, except before } and at the end.
    if (this.is('}') || this.atEnd()) return;
    this.fail('expected ";"');
  }

  private ident(): string {
    const t = this.next();
    if (t.t !== 'id') {
      this.p--;
      this.fail('expected a name');
    }
    if (['true', 'false', 'const', 'let', 'if', 'else', 'Math'].includes(t.s)) {
      this.p--;
      this.fail(`"${t.s}" cannot be assigned`);
    }
    return t.s;
  }

  expression(): Expr {
    const c = this.binary(0);
    if (this.eat('?')) {
      const a = this.expression();
      this.expect(':');
      const b = this.expression();
      return { k: 'cond', c, a, b };
    }
    return c;
  }

  private static readonly LEVELS: BinOp[][] = [['||'], ['&&'], ['==', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): Expr {
    if (level === Parser.LEVELS.length) return this.power();
    let a = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.t !== 'op') return a;
      const op = t.s === '===' ? '==' : t.s === '!==' ? '!=' : t.s;
      if (!(Parser.LEVELS[level] as string[]).includes(op)) return a;
      this.p++;
      const b = this.binary(level + 1);
      a = { k: 'bin', op: op as BinOp, a, b };
    }
  }

  private power(): Expr {
    const base = this.unary();
    if (this.eat('**')) {
      if (base.k === 'un') this.fail('unary operand of ** needs parentheses');
      return { k: 'bin', op: '**', a: base, b: this.power() };
    }
    return base;
  }

  private unary(): Expr {
    for (const op of ['-', '+', '!'] as const) if (this.eat(op)) return { k: 'un', op, e: this.unary() };
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'op' && t.s === '(') {
      const e = this.expression();
      this.expect(')');
      return e;
    }
    if (t.t === 'id') {
      if (t.s === 'true' || t.s === 'false') return { k: 'bool', v: t.s === 'true' };
      if (t.s === 'Math') {
        this.expect('.');
        const fn = this.next();
        if (fn.t !== 'id' || !(fn.s in MATH_FNS)) {
          this.p--;
          this.fail(`Math.${fn.s} is not in the snippet subset (${Object.keys(MATH_FNS).join(', ')})`);
        }
        this.expect('(');
        const args: Expr[] = [];
        if (!this.eat(')')) {
          do args.push(this.expression());
          while (this.eat(','));
          this.expect(')');
        }
        const want = MATH_FNS[fn.s as MathFn];
        if (args.length !== want) this.fail(`Math.${fn.s} takes ${want} argument${want > 1 ? 's' : ''}`);
        return { k: 'call', fn: fn.s as MathFn, args };
      }
      if (this.is('(') || this.is('.')) this.fail(`"${t.s}": only Math.* calls are in the snippet subset`);
      return { k: 'id', name: t.s };
    }
    this.p--;
    this.fail(t.t === 'eof' ? 'unexpected end' : `unexpected "${t.s}"`);
  }
}

/** Parses a statement snippet (update, updateRefractory, reset). */
export function parseStatements(src: string): Stmt[] {
  const p = new Parser(tokenize(src), src);
  return p.program();
}

/** Parses an expression snippet (threshold). */
export function parseExpression(src: string): Expr {
  const p = new Parser(tokenize(src), src);
  const e = p.expression();
  if (!p.atEnd()) p.fail('trailing text after the expression');
  return e;
}

// ───────────────────────────────────────── names ──────────────────────────────────────────

export type ValueType = 'f32' | 'bool';

/** A name the caller provides: its WGSL spelling and whether snippets may assign it. */
export interface ExternalName {
  wgsl: string;
  mutable: boolean;
}

export type Resolver = (name: string) => ExternalName | undefined;

interface Local {
  wgsl: string;
  type: ValueType;
  mutable: boolean;
}

class Scope {
  private readonly names = new Map<string, Local>();
  constructor(readonly parent?: Scope) {}
  get(name: string): Local | undefined {
    return this.names.get(name) ?? this.parent?.get(name);
  }
  hasOwn(name: string): boolean {
    return this.names.has(name);
  }
  set(name: string, l: Local): void {
    this.names.set(name, l);
  }
}

/** The external names a snippet reads and those it assigns (for deciding which state rows to write back). */
export function namesUsed(stmts: Stmt[], exprs: Expr[] = []): { read: Set<string>; assigned: Set<string> } {
  const read = new Set<string>();
  const assigned = new Set<string>();
  const walkE = (e: Expr, scope: Set<string>[]): void => {
    const local = (n: string) => scope.some((s) => s.has(n));
    switch (e.k) {
      case 'id':
        if (!local(e.name)) read.add(e.name);
        return;
      case 'un':
        return walkE(e.e, scope);
      case 'bin':
        walkE(e.a, scope);
        return walkE(e.b, scope);
      case 'cond':
        walkE(e.c, scope);
        walkE(e.a, scope);
        return walkE(e.b, scope);
      case 'call':
        return e.args.forEach((a) => walkE(a, scope));
      default:
        return;
    }
  };
  const walkS = (s: Stmt, scope: Set<string>[]): void => {
    switch (s.k) {
      case 'decl':
        walkE(s.init, scope);
        scope[scope.length - 1]!.add(s.name);
        return;
      case 'assign':
        walkE(s.e, scope);
        if (!scope.some((x) => x.has(s.name))) {
          assigned.add(s.name);
          if (s.op !== '=') read.add(s.name);
        }
        return;
      case 'block': {
        const inner = [...scope, new Set<string>()];
        s.body.forEach((b) => walkS(b, inner));
        return;
      }
      case 'if':
        walkE(s.c, scope);
        walkS(s.then, [...scope, new Set<string>()]);
        if (s.else) walkS(s.else, [...scope, new Set<string>()]);
        return;
    }
  };
  const top = [new Set<string>()];
  stmts.forEach((s) => walkS(s, top));
  exprs.forEach((e) => walkE(e, top));
  return { read, assigned };
}

// ───────────────────────────────────────── WGSL ───────────────────────────────────────────

/** An f32 WGSL literal of exactly Math.fround(x): the shortest decimal of that value, with the `f` suffix. */
export function f32(x: number): string {
  const v = Math.fround(x);
  if (!Number.isFinite(v)) throw new TranslateError(`constant ${x} is not a finite float32`);
  if (Object.is(v, -0) || v === 0) return '0.0f';
  const s = String(Math.abs(v));
  const t = /[.e]/.test(s) ? s : `${s}.0`;
  return v < 0 ? `(-${t}f)` : `${t}f`;
}

/** WGSL helper functions a translated snippet may call (emit once per module). */
export const WGSL_HELPERS = [
  'fn nm_expm1(x: f32) -> f32 {',
  '  // Taylor series to x^8/8! in Horner form for |x| < 0.5, exp(x) - 1 beyond (kernels/wgsl/translate.ts).',
  '  let p = x * (1.0f + x * 0.5f * (1.0f + x * (1.0f / 3.0f) * (1.0f + x * 0.25f * (1.0f + x * 0.2f * (1.0f + x * (1.0f / 6.0f) * (1.0f + x * (1.0f / 7.0f) * (1.0f + x * 0.125f)))))));',
  '  return select(exp(x) - 1.0f, p, abs(x) < 0.5f);',
  '}',
  'fn nm_log1p(x: f32) -> f32 {',
  '  let u = 1.0f + x;',
  '  return select(log(u) * x / (u - 1.0f), x, u == 1.0f);',
  '}',
].join('\n');

export interface EmitOptions {
  resolve: Resolver;
  /** Indentation of emitted statements. */
  indent?: string;
}

class Emitter {
  constructor(private readonly resolve: Resolver) {}

  private lookup(name: string, scope: Scope): { wgsl: string; type: ValueType; mutable: boolean } {
    const l = scope.get(name);
    if (l) return l;
    const x = this.resolve(name);
    if (!x) throw new TranslateError(`unknown name "${name}"`);
    return { wgsl: x.wgsl, type: 'f32', mutable: x.mutable };
  }

  expr(e: Expr, scope: Scope): { s: string; t: ValueType } {
    switch (e.k) {
      case 'num':
        return { s: f32(e.v), t: 'f32' };
      case 'bool':
        return { s: String(e.v), t: 'bool' };
      case 'id': {
        const l = this.lookup(e.name, scope);
        return { s: l.wgsl, t: l.type };
      }
      case 'un': {
        if (e.op === '!') return { s: `(!${this.asBool(e.e, scope)})`, t: 'bool' };
        const x = this.asF32(e.e, scope);
        return { s: e.op === '-' ? `(-${x})` : x, t: 'f32' };
      }
      case 'bin': {
        if (e.op === '&&' || e.op === '||') return { s: `(${this.asBool(e.a, scope)} ${e.op} ${this.asBool(e.b, scope)})`, t: 'bool' };
        if (e.op === '==' || e.op === '!=') {
          const a = this.expr(e.a, scope);
          const b = this.expr(e.b, scope);
          if (a.t === 'bool' && b.t === 'bool') return { s: `(${a.s} ${e.op} ${b.s})`, t: 'bool' };
          return { s: `(${this.coerceF32(a)} ${e.op} ${this.coerceF32(b)})`, t: 'bool' };
        }
        const a = this.asF32(e.a, scope);
        const b = this.asF32(e.b, scope);
        if (e.op === '**') return { s: `pow(${a}, ${b})`, t: 'f32' };
        const cmp = ['<', '<=', '>', '>='].includes(e.op);
        return { s: `(${a} ${e.op} ${b})`, t: cmp ? 'bool' : 'f32' };
      }
      case 'cond': {
        const c = this.asBool(e.c, scope);
        const a = this.expr(e.a, scope);
        const b = this.expr(e.b, scope);
        if (a.t === 'bool' && b.t === 'bool') return { s: `select(${b.s}, ${a.s}, ${c})`, t: 'bool' };
        return { s: `select(${this.coerceF32(b)}, ${this.coerceF32(a)}, ${c})`, t: 'f32' };
      }
      case 'call': {
        const args = e.args.map((a) => this.asF32(a, scope));
        const fn = e.fn === 'expm1' ? 'nm_expm1' : e.fn === 'log1p' ? 'nm_log1p' : e.fn;
        return { s: `${fn}(${args.join(', ')})`, t: 'f32' };
      }
    }
  }

  private coerceF32(x: { s: string; t: ValueType }): string {
    return x.t === 'f32' ? x.s : `select(0.0f, 1.0f, ${x.s})`;
  }
  asF32(e: Expr, scope: Scope): string {
    return this.coerceF32(this.expr(e, scope));
  }
  asBool(e: Expr, scope: Scope): string {
    const x = this.expr(e, scope);
    return x.t === 'bool' ? x.s : `(${x.s} != 0.0f)`;
  }

  stmts(list: Stmt[], scope: Scope, ind: string, out: string[]): void {
    for (const s of list) this.stmt(s, scope, ind, out);
  }

  stmt(s: Stmt, scope: Scope, ind: string, out: string[]): void {
    switch (s.k) {
      case 'decl': {
        if (scope.hasOwn(s.name)) throw new TranslateError(`"${s.name}" is declared twice in one block`);
        const v = this.expr(s.init, scope);
        const wgsl = `l_${s.name}`;
        out.push(`${ind}${s.kind === 'const' ? 'let' : 'var'} ${wgsl}: ${v.t} = ${v.s};`);
        scope.set(s.name, { wgsl, type: v.t, mutable: s.kind === 'let' });
        return;
      }
      case 'assign': {
        const l = this.lookup(s.name, scope);
        if (!l.mutable) throw new TranslateError(`cannot assign to "${s.name}" (a constant)`);
        if (s.op === '=') {
          const v = this.expr(s.e, scope);
          const val = l.type === 'bool' ? (v.t === 'bool' ? v.s : `(${v.s} != 0.0f)`) : this.coerceF32(v);
          out.push(`${ind}${l.wgsl} = ${val};`);
        } else {
          if (l.type !== 'f32') throw new TranslateError(`"${s.name}" is not a number: "${s.op}" needs one`);
          out.push(`${ind}${l.wgsl} = ${l.wgsl} ${s.op[0]} ${this.asF32(s.e, scope)};`);
        }
        return;
      }
      case 'block':
        out.push(`${ind}{`);
        this.stmts(s.body, new Scope(scope), ind + '  ', out);
        out.push(`${ind}}`);
        return;
      case 'if': {
        out.push(`${ind}if (${this.asBool(s.c, scope)}) {`);
        this.inner(s.then, scope, ind, out);
        if (s.else) {
          out.push(`${ind}} else {`);
          this.inner(s.else, scope, ind, out);
        }
        out.push(`${ind}}`);
        return;
      }
    }
  }

  /** The body of an if branch: a block's statements directly, any other statement in a scope of its own. */
  private inner(s: Stmt, scope: Scope, ind: string, out: string[]): void {
    if (s.k === 'block') this.stmts(s.body, new Scope(scope), ind + '  ', out);
    else this.stmt(s, new Scope(scope), ind + '  ', out);
  }
}

/** WGSL statements for a statement snippet. */
export function emitStatements(stmts: Stmt[], opts: EmitOptions): string {
  const out: string[] = [];
  new Emitter(opts.resolve).stmts(stmts, new Scope(), opts.indent ?? '', out);
  return out.join('\n');
}

/** A WGSL bool expression for an expression snippet (threshold). */
export function emitCondition(e: Expr, opts: EmitOptions): string {
  return new Emitter(opts.resolve).asBool(e, new Scope());
}

/** Translates a statement snippet source to WGSL. */
export function translateStatements(src: string, opts: EmitOptions): string {
  return emitStatements(parseStatements(src), opts);
}

/** Translates a condition snippet source to a WGSL bool expression. */
export function translateCondition(src: string, opts: EmitOptions): string {
  return emitCondition(parseExpression(src), opts);
}

// ─────────────────────────────────── float32 interpreter ──────────────────────────────────

const fr = Math.fround;

/** nm_expm1 of WGSL_HELPERS in float32. */
export function expm1F32(x: number): number {
  x = fr(x);
  if (Math.abs(x) < 0.5) {
    const m = (a: number, b: number) => fr(a * b);
    const ad = (a: number, b: number) => fr(a + b);
    let t = ad(1, m(x, 0.125));
    t = ad(1, m(m(x, fr(1 / 7)), t));
    t = ad(1, m(m(x, fr(1 / 6)), t));
    t = ad(1, m(m(x, 0.2), t));
    t = ad(1, m(m(x, 0.25), t));
    t = ad(1, m(m(x, fr(1 / 3)), t));
    t = ad(1, m(m(x, 0.5), t));
    return m(x, t);
  }
  return fr(fr(Math.exp(x)) - 1);
}

/** nm_log1p of WGSL_HELPERS in float32. */
export function log1pF32(x: number): number {
  x = fr(x);
  const u = fr(1 + x);
  if (u === 1) return x;
  return fr(fr(fr(Math.log(u)) * x) / fr(u - 1));
}

type Val = number | boolean;

function num(v: Val): number {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}
function bool(v: Val): boolean {
  return typeof v === 'boolean' ? v : v !== 0;
}

/** Arithmetic of an interpretation: float32 (the WGSL's) or float64 (JavaScript's, for checking the parse). */
interface Arith {
  r: (x: number) => number;
  math: Record<MathFn, (...a: number[]) => number>;
}

const F32: Arith = {
  r: fr,
  math: {
    exp: (x) => fr(Math.exp(x)),
    expm1: expm1F32,
    log: (x) => fr(Math.log(x)),
    log1p: log1pF32,
    min: (a, b) => Math.min(a, b),
    max: (a, b) => Math.max(a, b),
    abs: (x) => Math.abs(x),
    sqrt: (x) => fr(Math.sqrt(x)),
    pow: (a, b) => fr(Math.pow(a, b)),
    tanh: (x) => fr(Math.tanh(x)),
    floor: (x) => Math.floor(x),
    ceil: (x) => Math.ceil(x),
  },
};

const F64: Arith = {
  r: (x) => x,
  math: { exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, min: Math.min, max: Math.max, abs: Math.abs, sqrt: Math.sqrt, pow: Math.pow, tanh: Math.tanh, floor: Math.floor, ceil: Math.ceil },
};

function evalExpr(e: Expr, env: Map<string, Val>[], A: Arith): Val {
  const get = (n: string): Val => {
    for (let k = env.length - 1; k >= 0; k--) if (env[k]!.has(n)) return env[k]!.get(n)!;
    throw new TranslateError(`unknown name "${n}"`);
  };
  const r = A.r;
  switch (e.k) {
    case 'num':
      return r(e.v);
    case 'bool':
      return e.v;
    case 'id':
      return get(e.name);
    case 'un': {
      const x = evalExpr(e.e, env, A);
      return e.op === '!' ? !bool(x) : e.op === '-' ? -num(x) : num(x);
    }
    case 'bin': {
      if (e.op === '&&') return bool(evalExpr(e.a, env, A)) && bool(evalExpr(e.b, env, A));
      if (e.op === '||') return bool(evalExpr(e.a, env, A)) || bool(evalExpr(e.b, env, A));
      const ra = evalExpr(e.a, env, A);
      const rb = evalExpr(e.b, env, A);
      if ((e.op === '==' || e.op === '!=') && typeof ra === 'boolean' && typeof rb === 'boolean') return e.op === '==' ? ra === rb : ra !== rb;
      const a = num(ra);
      const b = num(rb);
      switch (e.op) {
        case '+':
          return r(a + b);
        case '-':
          return r(a - b);
        case '*':
          return r(a * b);
        case '/':
          return r(a / b);
        case '%':
          return r(a % b);
        case '**':
          return r(Math.pow(a, b));
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        case '>=':
          return a >= b;
        case '==':
          return a === b;
        case '!=':
          return a !== b;
      }
      throw new TranslateError(`operator ${e.op}`);
    }
    case 'cond': {
      // select() evaluates both sides; without side effects that is the same as choosing one.
      const c = bool(evalExpr(e.c, env, A));
      const a = evalExpr(e.a, env, A);
      const b = evalExpr(e.b, env, A);
      if (typeof a === 'boolean' && typeof b === 'boolean') return c ? a : b;
      return c ? num(a) : num(b);
    }
    case 'call':
      return A.math[e.fn](...e.args.map((a) => num(evalExpr(a, env, A))));
  }
}

function evalStatements(stmts: Stmt[], env: Map<string, Val>[], A: Arith): void {
  for (const s of stmts) {
    switch (s.k) {
      case 'decl': {
        const v = evalExpr(s.init, env, A);
        env[env.length - 1]!.set(s.name, typeof v === 'number' ? A.r(v) : v);
        break;
      }
      case 'assign': {
        let k = env.length - 1;
        while (k >= 0 && !env[k]!.has(s.name)) k--;
        if (k < 0) throw new TranslateError(`unknown name "${s.name}"`);
        const cur = env[k]!.get(s.name)!;
        const v = evalExpr(s.e, env, A);
        let x: Val;
        if (s.op === '=') x = typeof cur === 'boolean' ? bool(v) : num(v);
        else {
          const a = num(cur);
          const b = num(v);
          x = A.r(s.op === '+=' ? a + b : s.op === '-=' ? a - b : s.op === '*=' ? a * b : a / b);
        }
        env[k]!.set(s.name, x);
        break;
      }
      case 'block':
        evalStatements(s.body, [...env, new Map()], A);
        break;
      case 'if':
        if (bool(evalExpr(s.c, env, A))) evalStatements([s.then], [...env, new Map()], A);
        else if (s.else) evalStatements([s.else], [...env, new Map()], A);
        break;
    }
  }
}

/** Evaluates an expression in float32 over `env` (names → values; locals in inner maps). */
export function evalExprF32(e: Expr, env: Map<string, Val>[]): Val {
  return evalExpr(e, env, F32);
}

/** Runs statements in float32; `env[0]` holds the external names (assignments to them update it). */
export function evalStatementsF32(stmts: Stmt[], env: Map<string, Val>[]): void {
  evalStatements(stmts, env, F32);
}

/** The same in float64 with JavaScript's Math: equal to running the snippet itself, when the parse is right. */
export function evalExprF64(e: Expr, env: Map<string, Val>[]): Val {
  return evalExpr(e, env, F64);
}

export function evalStatementsF64(stmts: Stmt[], env: Map<string, Val>[]): void {
  evalStatements(stmts, env, F64);
}
