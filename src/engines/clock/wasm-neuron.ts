/**
 * The clock engine's neuron kernel compiled to WebAssembly SIMD: the same model
 * snippets (src/models, `code()`) as the JavaScript kernel of codegen.ts, run on two
 * neurons per 128-bit vector (f64x2) and `UNROLL` vectors per loop iteration.
 *
 * Why: V8's JavaScript spends about 3 ns per neuron-step on a conductance-based LIF
 * (bounds checks, one neuron per instruction); this kernel takes about 1.75 ns on the
 * same machine (docs/benchmarks.md, "Where the time goes").
 *
 * Same bits as the JavaScript kernel. Each snippet operation maps to one IEEE 754
 * double operation in the same order (WebAssembly has no fused multiply-add and never
 * reassociates; constant folding here is done in JavaScript doubles, which give the
 * same results). Branches become lane masks: an `if` evaluates both arms and selects
 * per lane, which is exact because snippets have no side effects besides assignments.
 * Refractory neurons run `updateRefractory` and the others `update`, selected per lane.
 * So the JavaScript kernel can process any remainder of a slice (fewer neurons than
 * one iteration) and the two interleave freely.
 *
 * What compiles: the snippet subset of kernels/wgsl/translate.ts, except the Math
 * functions without an exact WebAssembly instruction (exp, expm1, log, log1p, pow, tanh),
 * `%`, `**` and numbers used as conditions. Models that take their inputs before the
 * update (Loihi, SpiNNaker) and populations that publish outputs to graded synapses or
 * receive graded inputs or gap junctions are not compiled either. In those cases the
 * compiler throws `WasmUnsupported` and the population keeps the JavaScript kernel.
 */
import { parseExpression, parseStatements, type Expr, type Stmt } from '../../../kernels/wgsl/translate.js';
import { absentStimulus, assigns, type NeuronKernelSpec } from './codegen.js';
import { Emitter, I32, OP, SIMD, V128, VOID, f64bytes, functionBody, moduleBytes, uleb, type WasmFunction } from './wasm-encode.js';

export class WasmUnsupported extends Error {
  override name = 'WasmUnsupported';
}

/** Vectors of two neurons per loop iteration: 4 (8 neurons) was fastest on the 2-core VM (2.2 vs 2.8 ns for 1). */
export const UNROLL = 4;
/** Neurons per loop iteration; a slice's remainder runs in the JavaScript kernel. */
export const NEURONS_PER_ITERATION = 2 * UNROLL;

/** Byte offsets in the kernel memory of a population's arrays (keys as in PopulationPlan.arrays). */
export type ArrayOffsets = Record<string, number>;

// Parameters and fixed locals of `step(lo, hi, slot, spk, n) → spikes`.
const LO = 0;
const HI = 1;
const SLOT = 2;
const SPK = 3;
const STEP = 4;
const I = 5;
const NS = 6;
const O8 = 7;
const O4 = 8;
const IO8 = 9;
const M = 10;
const FIRST_V128 = 11;

type Ty = 'f' | 'm' | 'i'; // f64x2 number, lane mask, i64x2 integer

interface Node {
  key: string;
  ty: Ty;
  kind: 'local' | 'load' | 'op';
  /** local: its index. */
  local?: number;
  /** Constant splat value (f) for folding. */
  value?: number;
  /** Known never to be −0 (constants other than −0, sums with such a term): x + (+0) = x exactly. */
  notNegZero?: boolean;
  /** load: opcode, address local, offset. */
  load?: { op: number; addr: number; offset: number };
  /** op: SIMD opcode and immediates. */
  op?: number;
  imm?: number[];
  args: Node[];
}

class Fn extends Emitter {
  private nV128 = 0;
  private readonly consts = new Map<string, { local: number; bytes: number[] }>();

  v128(): number {
    return FIRST_V128 + this.nV128++;
  }
  /** A hoisted constant: one local set before the loop. */
  constLocal(bytes: number[]): number {
    const key = bytes.join(',');
    let c = this.consts.get(key);
    if (!c) {
      c = { local: this.v128(), bytes };
      this.consts.set(key, c);
    }
    return c.local;
  }
  /**
   * Sets the constant locals before the loop: from a table in memory at `table` (its
   * bytes are `constantBytes()`), or from v128.const immediates. V8's TurboFan
   * rematerialises an immediate at every use inside the loop (three instructions per
   * constant per use); a value loaded from memory stays in a register or a stack slot.
   */
  preheader(table?: number): number[] {
    const out: number[] = [];
    [...this.consts.values()].forEach((c, k) => {
      if (table === undefined) out.push(OP.simd, ...uleb(SIMD.const), ...c.bytes);
      else out.push(OP.i32Const, 0, OP.simd, ...uleb(SIMD.load), ...memarg(3, table + 16 * k));
      out.push(OP.localSet, ...uleb(c.local));
    });
    return out;
  }
  constantBytes(): Uint8Array {
    return Uint8Array.from([...this.consts.values()].flatMap((c) => c.bytes));
  }
  locals(): [number, number][] {
    return [
      [FIRST_V128 - 5, I32],
      [this.nV128, V128],
    ];
  }
}

const memarg = (align: number, offset: number): number[] => [align, ...uleb(offset)];
const splatBytes = (x: number): number[] => [...f64bytes(x), ...f64bytes(x)];
const i64SplatBytes = (x: number): number[] => {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, BigInt(x), true);
  v.setBigInt64(8, BigInt(x), true);
  return Array.from(b);
};
const ONES = new Array<number>(16).fill(0xff);
const ZEROS = new Array<number>(16).fill(0);

/** Expression DAG of one straight-line region, with structural sharing (value numbering). */
class Region {
  private readonly nodes = new Map<string, Node>();
  constructor(private readonly fn: Fn) {}

  private intern(n: Node): Node {
    const old = this.nodes.get(n.key);
    if (old) return old;
    this.nodes.set(n.key, n);
    return n;
  }
  local(local: number, ty: Ty): Node {
    return this.intern({ key: `L${local}:${ty}`, ty, kind: 'local', local, args: [] });
  }
  constF(x: number): Node {
    const bytes = splatBytes(x);
    const n = this.local(this.fn.constLocal(bytes), 'f');
    return n.value === undefined ? Object.assign(n, { value: x, notNegZero: !Object.is(x, -0) }) : n;
  }
  constMask(on: boolean): Node {
    return this.local(this.fn.constLocal(on ? ONES : ZEROS), 'm');
  }
  constI64(x: number): Node {
    return this.local(this.fn.constLocal(i64SplatBytes(x)), 'i');
  }
  load(ty: Ty, op: number, addr: number, offset: number): Node {
    return this.intern({ key: `M${op}:${addr}:${offset}`, ty, kind: 'load', load: { op, addr, offset }, args: [] });
  }
  op(ty: Ty, op: number, args: Node[], imm: number[] = []): Node {
    return this.intern({ key: `O${op}[${imm.join(',')}](${args.map((a) => a.key).join(',')})`, ty, kind: 'op', op, imm, args });
  }

  /** Emits `roots` in order, sharing every node used more than once through a local. */
  emit(roots: ((emit: (n: Node) => void) => void)[], collect: Node[]): void {
    const refs = new Map<Node, number>();
    const visit = (n: Node): void => {
      const c = (refs.get(n) ?? 0) + 1;
      refs.set(n, c);
      if (c === 1) n.args.forEach(visit);
    };
    collect.forEach(visit);
    const fn = this.fn;
    const code = fn.code;
    const cached = new Map<Node, number>();
    const emit = (n: Node): void => {
      const l = cached.get(n);
      if (l !== undefined) {
        code.push(OP.localGet, ...uleb(l));
        return;
      }
      if (n.kind === 'local') {
        code.push(OP.localGet, ...uleb(n.local!));
        return;
      }
      if (n.kind === 'load') {
        code.push(OP.localGet, ...uleb(n.load!.addr));
        fn.simd(n.load!.op, ...memarg(3, n.load!.offset));
      } else {
        n.args.forEach(emit);
        fn.simd(n.op!, ...n.imm!);
      }
      if ((refs.get(n) ?? 0) > 1) {
        const t = fn.v128();
        code.push(OP.localTee, ...uleb(t));
        cached.set(n, t);
      }
    };
    for (const r of roots) r(emit);
  }
}

/** Symbolic execution of snippets into a Region: variables map to DAG nodes. */
class Evaluator {
  constructor(
    private readonly r: Region,
    private readonly external: (name: string) => Node | undefined,
  ) {}

  private fail(what: string): never {
    throw new WasmUnsupported(what);
  }

  private f(n: Node, what: string): Node {
    if (n.ty !== 'f') this.fail(`${what}: a condition used as a number`);
    return n;
  }
  private m(n: Node, what: string): Node {
    if (n.ty !== 'm') this.fail(`${what}: a number used as a condition`);
    return n;
  }

  private arith(op: string, a: Node, b: Node): Node {
    const codes: Record<string, number> = { '+': SIMD.f64x2Add, '-': SIMD.f64x2Sub, '*': SIMD.f64x2Mul, '/': SIMD.f64x2Div, min: SIMD.f64x2Min, max: SIMD.f64x2Max };
    const code = codes[op];
    if (code === undefined) this.fail(`operator ${op}`);
    this.f(a, op);
    this.f(b, op);
    if (a.value !== undefined && b.value !== undefined) {
      const x = a.value;
      const y = b.value;
      const v = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : op === 'min' ? Math.min(x, y) : Math.max(x, y);
      return this.r.constF(v);
    }
    // Identities that hold bit for bit for every double, −0 included (IEEE 754 §6.3):
    // x − (+0) = x, x + (−0) = x, x·1 = x, x/1 = x, and x + (+0) = x when x cannot be −0.
    const is = (n: Node, k: number) => n.value !== undefined && Object.is(n.value, k);
    if ((op === '-' && is(b, 0)) || (op === '+' && is(b, -0)) || ((op === '*' || op === '/') && is(b, 1))) return a;
    if ((op === '+' && is(a, -0)) || (op === '*' && is(a, 1))) return b;
    if (op === '+' && ((is(b, 0) && a.notNegZero) || (is(a, 0) && b.notNegZero))) return is(b, 0) ? a : b;
    const n = this.r.op('f', code, [a, b]);
    // A sum is −0 only when both terms are −0 (round to nearest): one term that cannot be −0 suffices.
    if (op === '+' && (a.notNegZero || b.notNegZero)) n.notNegZero = true;
    return n;
  }

  private compare(op: string, a: Node, b: Node): Node {
    this.f(a, op);
    this.f(b, op);
    const table: Record<string, [number, boolean]> = {
      '<': [SIMD.f64x2Lt, false],
      '<=': [SIMD.f64x2Le, false],
      '>': [SIMD.f64x2Gt, false],
      '>=': [SIMD.f64x2Ge, false],
      '==': [SIMD.f64x2Eq, false],
      '!=': [SIMD.f64x2Ne, false],
    };
    return this.r.op('m', table[op]![0], [a, b]);
  }

  select(a: Node, b: Node, c: Node): Node {
    if (a === b) return a;
    if (a.ty !== b.ty) this.fail('a conditional with a number on one side and a condition on the other');
    return this.r.op(a.ty, SIMD.bitselect, [a, b, this.m(c, 'select')]);
  }

  expr(e: Expr, scopes: Map<string, Node>[]): Node {
    switch (e.k) {
      case 'num':
        return this.r.constF(e.v);
      case 'bool':
        return this.r.constMask(e.v);
      case 'id': {
        for (let k = scopes.length - 1; k >= 0; k--) {
          const n = scopes[k]!.get(e.name);
          if (n) return n;
        }
        return this.external(e.name) ?? this.fail(`name ${e.name}`);
      }
      case 'un': {
        const x = this.expr(e.e, scopes);
        if (e.op === '+') return this.f(x, 'unary +');
        if (e.op === '!') return this.r.op('m', SIMD.not, [this.m(x, '!')]);
        this.f(x, 'unary -');
        return x.value !== undefined ? this.r.constF(-x.value) : this.r.op('f', SIMD.f64x2Neg, [x]);
      }
      case 'bin': {
        const a = this.expr(e.a, scopes);
        const b = this.expr(e.b, scopes);
        if (e.op === '&&' || e.op === '||') return this.r.op('m', e.op === '&&' ? SIMD.and : SIMD.or, [this.m(a, e.op), this.m(b, e.op)]);
        if (['<', '<=', '>', '>=', '==', '!='].includes(e.op)) return this.compare(e.op, a, b);
        return this.arith(e.op, a, b);
      }
      case 'cond':
        return this.select(this.expr(e.a, scopes), this.expr(e.b, scopes), this.m(this.expr(e.c, scopes), '?:'));
      case 'call': {
        const args = e.args.map((a) => this.f(this.expr(a, scopes), `Math.${e.fn}`));
        if (e.fn === 'min' || e.fn === 'max') return this.arith(e.fn, args[0]!, args[1]!);
        const unary: Partial<Record<string, [number, (x: number) => number]>> = {
          abs: [SIMD.f64x2Abs, Math.abs],
          sqrt: [SIMD.f64x2Sqrt, Math.sqrt],
          floor: [SIMD.f64x2Floor, Math.floor],
          ceil: [SIMD.f64x2Ceil, Math.ceil],
        };
        const u = unary[e.fn] ?? this.fail(`Math.${e.fn} (no exact WebAssembly instruction)`);
        const x = args[0]!;
        return x.value !== undefined ? this.r.constF(u[1](x.value)) : this.r.op('f', u[0], [x]);
      }
    }
  }

  exec(stmts: Stmt[], scopes: Map<string, Node>[]): void {
    for (const s of stmts) this.stmt(s, scopes);
  }

  private stmt(s: Stmt, scopes: Map<string, Node>[]): void {
    switch (s.k) {
      case 'decl':
        scopes[scopes.length - 1]!.set(s.name, this.expr(s.init, scopes));
        return;
      case 'assign': {
        let k = scopes.length - 1;
        while (k >= 0 && !scopes[k]!.has(s.name)) k--;
        if (k < 0) this.fail(`assignment to ${s.name}`);
        const e = this.expr(s.e, scopes);
        const cur = scopes[k]!.get(s.name)!;
        const v = s.op === '=' ? e : this.arith(s.op[0]!, cur, e);
        if (v.ty !== cur.ty) this.fail(`assignment of a condition to ${s.name}`);
        scopes[k]!.set(s.name, v);
        return;
      }
      case 'block':
        this.exec(s.body, [...scopes, new Map()]);
        return;
      case 'if': {
        const c = this.m(this.expr(s.c, scopes), 'if');
        const arm = (st: Stmt | undefined) => {
          const copy = scopes.map((m) => new Map(m));
          if (st) this.stmt(st, [...copy, new Map()]);
          return copy;
        };
        const a = arm(s.then);
        const b = arm(s.else);
        scopes.forEach((m, k) => {
          for (const name of m.keys()) m.set(name, this.select(a[k]!.get(name)!, b[k]!.get(name)!, c));
        });
        return;
      }
    }
  }
}

/**
 * The body of `step(lo, hi, slot, spk, n) → spikes` for neurons lo..hi−1 (hi − lo a
 * multiple of NEURONS_PER_ITERATION): the contract of codegen.ts's neuron kernel,
 * with `slot` the ring slot's element offset and `spk` the byte offset of the spike list.
 */
function neuronBody(spec: NeuronKernelSpec, at: ArrayOffsets): { body: number[]; constants: Uint8Array } {
  const { model } = spec;
  if (model.inputTiming === 'before-update') throw new WasmUnsupported('inputs before the update');
  if ((spec.channels ?? []).length > 0 || spec.gradedReceptors.length > 0 || spec.gap || spec.outputs.length > 0) throw new WasmUnsupported('graded coupling, gap junctions or shift channels');
  const code = model.code(spec.method);
  const parse = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new WasmUnsupported(`snippet: ${(e as Error).message}`);
    }
  };
  const update = parse(() => parseStatements(code.update));
  const updateRefractory = parse(() => parseStatements(code.updateRefractory ?? ''));
  const threshold = parse(() => parseExpression(code.threshold));
  const reset = parse(() => parseStatements(code.reset));
  const stateNames = Object.keys(model.state);
  const snippets = [code.update, code.updateRefractory ?? '', code.threshold, code.reset].join('\n');
  const receptorVars = spec.receptors.map((r) => model.receptors[r]!.variable);
  const changed = stateNames.filter((s) => receptorVars.includes(s) || assigns(snippets, s));
  const resetReads = stateNames.filter((s) => new RegExp(`(?<![\\w$.])${s.replace(/[$]/g, '\\$')}(?![\\w$])`).test(code.reset));
  const kept = stateNames.filter((s) => changed.includes(s) || resetReads.includes(s));
  const refr = spec.refractorySteps !== 0;
  const offset = (key: string): number => {
    const o = at[key];
    if (o === undefined) throw new Error(`wasm neuron kernel: no offset for array ${key}`);
    return o;
  };

  const fn = new Fn();
  // The step n in both lanes: a neuron is refractory while refr (the step it is free again) > n.
  const NOW = fn.v128();
  fn.get(STEP).op(OP.i64ExtendI32S).simd(SIMD.i64x2Splat).set(NOW);

  fn.get(LO);
  fn.set(I);
  fn.loop(() => fn.get(I).get(HI).op(OP.i32GeU), iteration);
  fn.get(LO);
  fn.set(I);
  fn.loop(() => fn.get(I).get(HI).op(OP.i32GeU), thresholdIteration);
  fn.get(NS);
  fn.op(OP.end);
  return { body: functionBody(fn.locals(), [...fn.preheader(at[CONSTANTS]), ...fn.code]), constants: fn.constantBytes() };

  /** Names outside the snippets, for a vector at byte offset f8 of the f64 arrays. */
  function externals(r: Region, f8: number): (name: string) => Node | undefined {
    return (name) => {
      if (name === 'dt') return r.constF(spec.constants.__dt as number);
      if (name === 'I_stim') return spec.hasCurrentStimulus ? r.load('f', SIMD.load, O8, offset('istim') + f8) : r.constF(absentStimulus(spec));
      if (name === 'G_gap' || name === 'IG_gap') return r.constF(0);
      const k = spec.constants[name];
      if (k === undefined || name.startsWith('__')) return undefined;
      return k === 'array' ? r.load('f', SIMD.load, O8, offset(`c_${name}`) + f8) : r.constF(k);
    };
  }

  function addresses(): void {
    fn.get(I).i32(3).op(OP.i32Shl).set(O8);
    fn.get(I).i32(2).op(OP.i32Shl).set(O4);
    fn.get(SLOT).get(I).op(OP.i32Add).i32(3).op(OP.i32Shl).set(IO8);
  }

  /**
   * Pass 1, one loop iteration (UNROLL vectors of two neurons from i): update (or the
   * refractory update), arrivals, ring slots cleared, state written back. Two passes
   * over the slice, as Brian2's state updater and thresholder, hold fewer values in
   * registers than one (1.64 against 1.83 ns per neuron-step in a microbenchmark).
   */
  function iteration(): void {
    addresses();
    for (let u = 0; u < UNROLL; u++) {
      const f8 = 16 * u; // byte offset of this vector in f64 arrays
      const f4 = 8 * u; // … in i32 arrays
      const S = Object.fromEntries(changed.map((s) => [s, fn.v128()]));
      const r1 = new Region(fn);
      const ev = new Evaluator(r1, externals(r1, f8));
      const state = new Map(stateNames.map((s) => [s, r1.load('f', SIMD.load, O8, offset(`s_${s}`) + f8)]));
      if (refr) {
        const freeAt = r1.load('i', SIMD.load32x2s, O4, offset('refr') + f4);
        const busy = r1.op('m', SIMD.i64x2GtS, [freeAt, r1.local(NOW, 'i')]);
        const active = new Map(state);
        const resting = new Map(state);
        ev.exec(update, [active, new Map()]);
        ev.exec(updateRefractory, [resting, new Map()]);
        for (const s of stateNames) state.set(s, ev.select(resting.get(s)!, active.get(s)!, busy));
      } else {
        ev.exec(update, [state, new Map()]);
      }
      for (const r of spec.receptors) {
        const v = model.receptors[r]!.variable;
        state.set(v, r1.op('f', SIMD.f64x2Add, [state.get(v)!, r1.load('f', SIMD.load, IO8, offset(`in_${r}`) + f8)]));
      }
      const roots: ((emit: (n: Node) => void) => void)[] = [];
      const collect: Node[] = [];
      for (const s of changed) {
        const n = state.get(s)!;
        collect.push(n);
        roots.push((emit) => {
          emit(n);
          fn.set(S[s]!);
        });
      }
      const zero = r1.constMask(false);
      for (const r of spec.receptors) {
        collect.push(zero);
        roots.push((emit) => {
          fn.get(IO8);
          emit(zero);
          fn.simd(SIMD.store, ...memarg(3, offset(`in_${r}`) + f8));
        });
      }
      // All loads of the region happen in these roots, before the stores below.
      r1.emit(roots, collect);
      for (const s of changed) {
        fn.get(O8);
        fn.get(S[s]!);
        fn.simd(SIMD.store, ...memarg(3, offset(`s_${s}`) + f8));
      }
    }
    fn.get(I).i32(NEURONS_PER_ITERATION).op(OP.i32Add).set(I);
  }

  /** Pass 2, one loop iteration: threshold (not while refractory), and for the rare spike, reset, the step it is free again, and spike list. */
  function thresholdIteration(): void {
    addresses();

    // The low 32 bits of each i64 lane of local `R`, stored as the two i32 refractory ends.
    const storeCount = (f4: number, R: number) => {
      fn.get(O4);
      fn.get(R);
      fn.get(R);
      fn.simd(SIMD.shuffle, 0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
      fn.simd(SIMD.store64Lane, ...memarg(3, offset('refr') + f4), 0);
    };
    const thresholds: number[] = [];
    for (let u = 0; u < UNROLL; u++) {
      const f8 = 16 * u;
      const f4 = 8 * u;
      const TH = fn.v128();
      const r1 = new Region(fn);
      const ev = new Evaluator(r1, externals(r1, f8));
      const state = new Map(stateNames.map((s) => [s, r1.load('f', SIMD.load, O8, offset(`s_${s}`) + f8)]));
      let th = ev.expr(threshold, [state]);
      if (th.ty !== 'm') throw new WasmUnsupported('threshold is not a condition');
      const roots: ((emit: (n: Node) => void) => void)[] = [];
      const collect: Node[] = [];
      if (refr) {
        const freeAt = r1.load('i', SIMD.load32x2s, O4, offset('refr') + f4);
        th = r1.op('m', SIMD.andnot, [th, r1.op('m', SIMD.i64x2GtS, [freeAt, r1.local(NOW, 'i')])]);
      }
      const thNode = th;
      collect.push(thNode);
      roots.push((emit) => {
        emit(thNode);
        fn.set(TH);
      });
      r1.emit(roots, collect);
      thresholds.push(TH);
    }

    // Once per iteration and only when a lane of it spiked: per vector with a spike,
    // reset (from the stored values), refractory end, spike list in lane order.
    thresholds.forEach((th, u) => {
      fn.get(th);
      if (u > 0) fn.simd(SIMD.or);
    });
    fn.simd(SIMD.anyTrue);
    fn.op(OP.if, VOID);
    thresholds.forEach((TH, u) => {
      const f8 = 16 * u;
      const f4 = 8 * u;
      fn.get(TH);
      fn.simd(SIMD.anyTrue);
      fn.op(OP.if, VOID);
      const r2 = new Region(fn);
      const ev2 = new Evaluator(r2, externals(r2, f8));
      const after = new Map(kept.map((s) => [s, r2.load('f', SIMD.load, O8, offset(`s_${s}`) + f8)]));
      const thLocal = r2.local(TH, 'm');
      const resetScope = new Map(after);
      ev2.exec(reset, [resetScope, new Map()]);
      const values: { s: string; n: Node; local: number }[] = [];
      for (const s of kept) {
        const n = ev2.select(resetScope.get(s)!, after.get(s)!, thLocal);
        if (n !== after.get(s)) values.push({ s, n, local: fn.v128() });
      }
      const R = refr ? fn.v128() : -1;
      const roots2: ((emit: (n: Node) => void) => void)[] = values.map(({ n, local }) => (emit) => {
        emit(n);
        fn.set(local);
      });
      const collect2 = values.map((v) => v.n);
      if (refr) {
        // Free again at n + 1 + R (the same i32 sum as JavaScript's; no lane overflows 32 bits).
        const now = r2.local(NOW, 'i');
        const freeAt =
          spec.refractorySteps === 'array'
            ? r2.op('i', SIMD.i64x2Add, [r2.op('i', SIMD.i64x2Add, [now, r2.constI64(1)]), r2.load('i', SIMD.load32x2s, O4, offset('refsteps') + f4)])
            : r2.op('i', SIMD.i64x2Add, [now, r2.constI64((spec.refractorySteps as number) + 1)]);
        const n = r2.op('i', SIMD.bitselect, [freeAt, r2.load('i', SIMD.load32x2s, O4, offset('refr') + f4), thLocal]);
        collect2.push(n);
        roots2.push((emit) => {
          emit(n);
          fn.set(R);
        });
      }
      // All loads of the region happen in these roots, before the stores below.
      r2.emit(roots2, collect2);
      for (const { s, local } of values) {
        fn.get(O8);
        fn.get(local);
        fn.simd(SIMD.store, ...memarg(3, offset(`s_${s}`) + f8));
      }
      if (refr) storeCount(f4, R);
      fn.get(TH);
      fn.simd(SIMD.i64x2Bitmask);
      fn.set(M);
      for (let lane = 0; lane < 2; lane++) {
        // if (m & bit) spk[ns++] = i + lane
        fn.get(M)
          .i32(1 << lane)
          .op(OP.i32And)
          .when(() => {
            fn.get(SPK).get(NS).i32(2).op(OP.i32Shl, OP.i32Add);
            fn.get(I).i32(2 * u + lane).op(OP.i32Add).mem(OP.i32Store, 2, 0);
            fn.get(NS).i32(1).op(OP.i32Add).set(NS);
          });
      }
      fn.op(OP.end);
    });
    fn.op(OP.end);

    fn.get(I).i32(NEURONS_PER_ITERATION).op(OP.i32Add).set(I);
  }
}

/** Offset key of the kernel's constant table (16 bytes per constant); without it, constants are immediates. */
export const CONSTANTS = '__constants';

/**
 * Throws WasmUnsupported when the population's kernel cannot be compiled (checked with
 * placeholder offsets); else returns the bytes its constant table needs.
 */
export function checkNeuronKernel(spec: NeuronKernelSpec, arrayKeys: string[]): number {
  return neuronBody(spec, Object.fromEntries(arrayKeys.map((k) => [k, 0]))).constants.length;
}

/**
 * The exported `step(lo, hi, slot, spk, n) → spikes` of one population, compiled against its
 * arrays' offsets, and the bytes to write at `offsets[CONSTANTS]` when that is given.
 */
export function neuronFunction(name: string, spec: NeuronKernelSpec, offsets: ArrayOffsets): WasmFunction & { constants: Uint8Array } {
  const { body, constants } = neuronBody(spec, offsets);
  return { name, params: [I32, I32, I32, I32, I32], results: [I32], body, constants };
}

/** One module with an exported `step` per population (tests and tools; the engine builds its module in wasm-place.ts). */
export function neuronModuleBytes(kernels: { name: string; spec: NeuronKernelSpec; offsets: ArrayOffsets }[], pages: number, shared: boolean): Uint8Array {
  return moduleBytes(pages, shared, kernels.map((k) => neuronFunction(k.name, k.spec, k.offsets)));
}

export type WasmNeuronStep = (lo: number, hi: number, slot: number, spk: number, n: number) => number;


