/**
 * Code generation for the clock engine: one monomorphic kernel per population and
 * per projection, built from the model declaration's snippets (src/models). Uniform
 * parameters and derived constants become numeric literals; per-neuron ones are
 * read from arrays. Each kernel is a pure step function over flat typed arrays.
 *
 * Neuron kernel contract (step n, neurons lo..hi−1, spikes written to `spk`):
 *   1. refractory neurons run `updateRefractory`, the others `update`, over [t, t+dt];
 *      `refr[i]` is the first step at which neuron i is free again (refractory while
 *      refr[i] > n), so nothing is counted down while nothing spikes;
 *   2. the inputs arriving at t+dt (ring-buffer slot of this step) are added to the
 *      receptor variables and the slot is cleared;
 *   3. a neuron that is not refractory and meets `threshold` runs `reset`, is refractory
 *      for the next R steps (refr[i] = n + 1 + R) and is appended to `spk`.
 * A model with `inputTiming: 'before-update'` (loihi_lif) takes step 2 first and sets
 * each receptor variable to the step's arrivals (instead of adding them), so the update
 * consumes the input of its own step, as Lava's LIF does with a_in.
 */
import type { NeuronModel } from '../../models/types.js';
import { parseExpression, parseStatements, type Expr, type Stmt } from '../../../kernels/wgsl/translate.js';

export interface NeuronKernelSpec {
  model: NeuronModel;
  method: string;
  /** Parameter and derived-constant values: a number (inlined) or 'array' (read per neuron). */
  constants: Record<string, number | 'array'>;
  /** Receptors that receive spikes (have a ring buffer). */
  receptors: string[];
  /**
   * Shift channels (plan.ts `ShiftChannel`, Lava's weight_exp): Int32 rings `in_<name>`
   * whose slot is shifted by `shift` bits (left when > 0, arithmetic right when < 0) and
   * added to the receptor's variable. Only for `before-update` models.
   */
  channels?: { name: string; receptor: string; shift: number }[];
  /** Graded receptors with input: their variable is set from `gin_<receptor>` before the update. */
  gradedReceptors: string[];
  /** Gap junctions reach the population (`gin_gap`, `c_G_gap`). */
  gap: boolean;
  /** Variables written to `out_<var>[obase + i]` after the step, for graded synapses and gap junctions. */
  outputs: string[];
  /** False when the gathers read the state arrays themselves (one thread): nothing to publish. */
  publishOutputs?: boolean;
  hasCurrentStimulus: boolean;
  /** Refractory steps: a number when uniform, 'array' when per neuron, 0 for none. */
  refractorySteps: number | 'array';
}

/**
 * Names that a model's snippets use only as a term of `+` (either side, or the right side
 * of `+=`), never declared there. An exact zero among them enters the kernels as −0, the
 * additive identity of IEEE 754 (x + (−0) = x for every x, while −0 + (+0) = +0), so a
 * current that is absent (i_offset = 0, no stimulus) costs no addition in WebAssembly
 * (wasm-neuron.ts drops x + (−0)) and both kernels give the same bits. The values are
 * unchanged but for the sign of a zero result. Empty when a snippet does not parse.
 */
export function additiveOnly(model: NeuronModel, method: string): Set<string> {
  const byMethod = additiveCache.get(model) ?? new Map<string, Set<string>>();
  additiveCache.set(model, byMethod);
  const cached = byMethod.get(method);
  if (cached) return cached;
  const code = model.code(method);
  const uses = new Map<string, boolean>();
  const declared = new Set<string>();
  const expr = (e: Expr, additive: boolean): void => {
    switch (e.k) {
      case 'id':
        uses.set(e.name, (uses.get(e.name) ?? true) && additive);
        return;
      case 'un':
        return expr(e.e, false);
      case 'bin':
        expr(e.a, e.op === '+');
        expr(e.b, e.op === '+');
        return;
      case 'cond':
        expr(e.c, false);
        expr(e.a, false);
        expr(e.b, false);
        return;
      case 'call':
        return e.args.forEach((a) => expr(a, false));
    }
  };
  const stmt = (st: Stmt): void => {
    switch (st.k) {
      case 'decl':
        declared.add(st.name);
        return expr(st.init, false);
      case 'assign':
        uses.set(st.name, false);
        return expr(st.e, st.op === '+=');
      case 'block':
        return st.body.forEach(stmt);
      case 'if':
        expr(st.c, false);
        stmt(st.then);
        if (st.else) stmt(st.else);
    }
  };
  let out = new Set<string>();
  try {
    for (const src of [code.update, code.updateRefractory ?? '', code.reset]) parseStatements(src).forEach(stmt);
    expr(parseExpression(code.threshold), false);
    out = new Set([...uses].filter(([name, additive]) => additive && !declared.has(name)).map(([name]) => name));
  } catch {
    // A snippet outside the parser's subset: no name is known to be additive.
  }
  byMethod.set(method, out);
  return out;
}
const additiveCache = new WeakMap<NeuronModel, Map<string, Set<string>>>();

/** The kernels' constants, with the zeros that the snippets only ever add as −0 (see additiveOnly). */
export function withAdditiveZeros(model: NeuronModel, method: string, constants: NeuronKernelSpec['constants']): NeuronKernelSpec['constants'] {
  const additive = additiveOnly(model, method);
  return Object.fromEntries(Object.entries(constants).map(([k, c]) => [k, c === 0 && additive.has(k) ? -0 : c]));
}

/** The kernels' I_stim of a population without current stimulus: −0 where it is only ever added (see additiveOnly). */
export function absentStimulus(spec: NeuronKernelSpec): number {
  return additiveOnly(spec.model, spec.method).has('I_stim') ? -0 : 0;
}

/** A number as JavaScript source that reads back to the same double. */
export function literal(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  // 17 significant digits round-trip a double exactly.
  return Object.is(x, -0) ? '-0' : `(${x.toPrecision(17)})`;
}

/**
 * Source of a factory `(A) => step(lo, hi, slot, spk, obase, ns0, n) => spikeCount` (n: the step, `__n` inside), where A
 * holds the arrays: `s_<var>` state, `c_<name>` per-neuron constants, `in_<receptor>`
 * ring buffers (slot·size offset passed in as `slot`), `istim`, `refr`, `refsteps`,
 * and for continuous coupling `gin_<receptor>` / `gin_gap` / `c_G_gap` inputs and
 * `out_<var>` published values (parity offset `obase`). Spikes are appended to `spk`
 * from position `ns0` (after those of a WebAssembly kernel run on the same slice,
 * wasm-neuron.ts); the result is the new length.
 */
export function neuronKernelSource(spec: NeuronKernelSpec): string {
  const { model } = spec;
  const code = model.code(spec.method);
  const stateNames = Object.keys(model.state);
  const lines: string[] = [];
  lines.push('"use strict";');
  for (const s of stateNames) lines.push(`const s_${s} = A.s_${s};`);
  for (const [name, c] of Object.entries(spec.constants)) if (c === 'array') lines.push(`const c_${name} = A.c_${name};`);
  for (const r of spec.receptors) lines.push(`const in_${r} = A.in_${r};`);
  const channels = spec.channels ?? [];
  const before = model.inputTiming === 'before-update';
  if (channels.length > 0 && !before) throw new Error(`model ${model.name}: shift channels need inputTiming 'before-update'`);
  for (const ch of channels) lines.push(`const in_${ch.name} = A.in_${ch.name};`);
  if (spec.hasCurrentStimulus) lines.push('const istim = A.istim;');
  for (const r of spec.gradedReceptors) lines.push(`const gin_${r} = A.gin_${r};`);
  if (spec.gap) lines.push('const gin_gap = A.gin_gap, c_G_gap = A.c_G_gap;');
  const publish = spec.publishOutputs !== false;
  if (publish) for (const v of spec.outputs) lines.push(`const out_${v} = A.out_${v};`);
  const refr = spec.refractorySteps !== 0;
  if (refr) lines.push('const refr = A.refr;');
  if (spec.refractorySteps === 'array') lines.push('const refsteps = A.refsteps;');
  lines.push('const dt = ' + literal(spec.constants.__dt as number) + ';');
  lines.push('return function step(lo, hi, slot, spk, obase, ns0, __n) {');
  lines.push('  let ns = ns0;');
  lines.push('  for (let i = lo; i < hi; i++) {');
  for (const [name, c] of Object.entries(spec.constants)) {
    if (name.startsWith('__')) continue;
    lines.push(c === 'array' ? `    const ${name} = c_${name}[i];` : `    const ${name} = ${literal(c)};`);
  }
  for (const s of stateNames) lines.push(`    let ${s} = s_${s}[i];`);
  for (const r of spec.gradedReceptors) lines.push(`    ${model.receptors[r]!.variable} = gin_${r}[i];`);
  lines.push(spec.gap ? '    const G_gap = c_G_gap[i], IG_gap = gin_gap[i];' : '    const G_gap = 0, IG_gap = 0;');
  const stim = spec.hasCurrentStimulus ? 'istim[i]' : literal(absentStimulus(spec));
  // Models that take gap junctions as a current get I_gap = Σ g (V_j − V_i) added to I_stim.
  const gapCurrent = spec.gap && (model.gapInput ?? 'current') === 'current' ? ` + (IG_gap - G_gap * ${model.voltage})` : '';
  lines.push(`    const I_stim = ${stim}${gapCurrent};`);
  if (before) lines.push(...inputsBeforeUpdate(model, spec.receptors, channels));
  if (refr) {
    lines.push('    const refractory = refr[i] > __n;');
    lines.push('    if (refractory) {');
    lines.push(indent(code.updateRefractory ?? '', 6));
    lines.push('    } else {');
    lines.push(indent(code.update, 6));
    lines.push('    }');
  } else {
    lines.push(indent(code.update, 4));
  }
  // Arrivals of this step (clearing element by element: fill() on shared memory is slower).
  if (!before) for (const r of spec.receptors) lines.push(`    ${model.receptors[r]!.variable} += in_${r}[slot + i]; in_${r}[slot + i] = 0;`);
  lines.push(`    if (${refr ? '!refractory && ' : ''}(${code.threshold})) {`);
  lines.push(indent(code.reset, 6));
  if (refr) lines.push(spec.refractorySteps === 'array' ? '      refr[i] = __n + 1 + refsteps[i];' : `      refr[i] = __n + ${(spec.refractorySteps as number) + 1};`);
  lines.push('      spk[ns++] = i;');
  lines.push('    }');
  // Write back only what the step can change (a variable only read, such as an
  // equilibrium threshold set between steps, keeps its array value).
  const snippets = [code.update, code.updateRefractory ?? '', code.threshold, code.reset].join('\n');
  const changed = (s: string) =>
    (before && eventReceptorVariables(model).includes(s)) ||
    spec.receptors.some((r) => model.receptors[r]!.variable === s) ||
    spec.gradedReceptors.some((r) => model.receptors[r]!.variable === s) ||
    assigns(snippets, s);
  for (const s of stateNames) if (changed(s)) lines.push(`    s_${s}[i] = ${s};`);
  if (publish) for (const v of spec.outputs) lines.push(`    out_${v}[obase + i] = ${v};`);
  lines.push('  }');
  lines.push('  return ns;');
  lines.push('};');
  return lines.join('\n');
}

/** The variables of a model's spike (event) receptors, each once. */
function eventReceptorVariables(model: NeuronModel): string[] {
  const vars = Object.values(model.receptors)
    .filter((r) => (r.mode ?? 'event') === 'event')
    .map((r) => r.variable);
  return [...new Set(vars)];
}

/**
 * `before-update` inputs: every event receptor variable is set to the sum of this step's
 * slot of its receptors' rings and of its shift channels (0 without any), and the slots
 * are cleared. Int32 channel values shift exactly as Lava's int32 `acc << e` / `acc >> −e`.
 */
function inputsBeforeUpdate(model: NeuronModel, receptors: string[], channels: { name: string; receptor: string; shift: number }[]): string[] {
  const terms = new Map<string, string[]>(eventReceptorVariables(model).map((v) => [v, []]));
  const clears: string[] = [];
  for (const r of receptors) {
    terms.get(model.receptors[r]!.variable)!.push(`in_${r}[slot + i]`);
    clears.push(`in_${r}[slot + i] = 0;`);
  }
  for (const ch of channels) {
    const op = ch.shift > 0 ? '<<' : '>>';
    terms.get(model.receptors[ch.receptor]!.variable)!.push(`(in_${ch.name}[slot + i] ${op} ${Math.abs(ch.shift)})`);
    clears.push(`in_${ch.name}[slot + i] = 0;`);
  }
  const lines = [...terms].map(([v, t]) => `    ${v} = ${t.join(' + ') || '0'};`);
  if (clears.length) lines.push(`    ${clears.join(' ')}`);
  return lines;
}

/** Whether JavaScript source assigns to identifier `name` (=, op=, ++, --). */
export function assigns(src: string, name: string): boolean {
  const id = name.replace(/[$]/g, '\\$');
  const target = new RegExp(`(?<![\\w$.])${id}\\s*(?:(?:[-+*/%&|^]|\\*\\*|<<|>>>?)?=(?!=)|\\+\\+|--)|(?:\\+\\+|--)\\s*${id}(?![\\w$])`);
  return target.test(src);
}

function indent(src: string, n: number): string {
  const pad = ' '.repeat(n);
  return src
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

export interface ProjectionKernelSpec {
  /** Uniform weight (inlined) or per-synapse array. */
  weight: number | 'array';
  /** Uniform delay in steps (inlined) or per-synapse array of steps. */
  delaySteps: number | 'array';
  /** Ring length (slots) of the target receptor. */
  ringSlots: number;
  postSize: number;
}

/**
 * Source of a factory `(A) => deliver(spikes, count, start, end, step) => events`:
 * for each spiking presynaptic neuron, add its synapses' weights to the ring slot
 * of their arrival step. `start`/`end` give this worker's synapse range per row
 * (rows are sorted by target, so a worker's targets form one contiguous range).
 * The inner loop is unrolled 4× (benchmarks.md §5.6: +50 % in V8).
 */
export function projectionKernelSource(spec: ProjectionKernelSpec): string {
  const L = spec.ringSlots;
  const N = spec.postSize;
  const w = spec.weight === 'array' ? 'W[k]' : literal(spec.weight);
  const lines: string[] = ['"use strict";', 'const T = A.targets, ring = A.ring;'];
  if (spec.weight === 'array') lines.push('const W = A.weights;');
  if (spec.delaySteps === 'array') lines.push('const D = A.delays;');
  lines.push('return function deliver(spikes, count, start, end, step) {');
  lines.push('  let events = 0;');
  if (spec.delaySteps !== 'array') {
    lines.push(`  const base = ((step + ${spec.delaySteps}) % ${L}) * ${N};`);
    const wk = (o: string) => (spec.weight === 'array' ? `W[k${o}]` : w);
    lines.push('  for (let s = 0; s < count; s++) {');
    lines.push('    const j = spikes[s];');
    lines.push('    const e = end[j];');
    lines.push('    let k = start[j];');
    lines.push('    events += e - k;');
    lines.push('    for (; k + 3 < e; k += 4) {');
    lines.push(`      ring[base + T[k]] += ${wk('')};`);
    lines.push(`      ring[base + T[k + 1]] += ${wk(' + 1')};`);
    lines.push(`      ring[base + T[k + 2]] += ${wk(' + 2')};`);
    lines.push(`      ring[base + T[k + 3]] += ${wk(' + 3')};`);
    lines.push('    }');
    lines.push(`    for (; k < e; k++) ring[base + T[k]] += ${wk('')};`);
    lines.push('  }');
  } else {
    lines.push(`  const now = step % ${L};`);
    lines.push('  for (let s = 0; s < count; s++) {');
    lines.push('    const j = spikes[s];');
    lines.push('    const e = end[j];');
    lines.push('    let k = start[j];');
    lines.push('    events += e - k;');
    lines.push('    for (; k < e; k++) {');
    lines.push(`      let slot = now + D[k]; if (slot >= ${L}) slot -= ${L};`);
    lines.push(`      ring[slot * ${N} + T[k]] += ${w};`);
    lines.push('    }');
    lines.push('  }');
  }
  lines.push('  return events;');
  lines.push('};');
  return lines.join('\n');
}

let instances = 0;

/**
 * Instantiates a generated factory. Each instance gets a unique comment: V8 caches
 * `new Function` code by source text, and a later run sharing the first run's
 * compiled kernel (specialised on the first run's arrays) ran about 2× slower.
 */
export function instantiate<F>(source: string, arrays: Record<string, unknown>): F {
  return new Function('A', `// kernel instance ${++instances}\n${source}`)(arrays) as F;
}
