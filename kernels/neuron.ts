/**
 * gpu.js kernel `neuron.update`: one step of a population, built from the model's
 * declaration (the same update / threshold / reset snippets the clock engine
 * compiles), one thread per neuron.
 *
 * gpu.js kernels return one value per thread, so the kernel's output is a 2-D array
 * [rows][n]: thread (x = neuron, y = row) runs the whole step of neuron x and returns
 * row y of the new state — the state variables in declaration order, then the
 * refractory countdown (when the model has one), then the spike flag (0/1). The step
 * is recomputed per row, which costs arithmetic but no extra memory traffic and keeps
 * the kernel expressible on every backend (WebGPU has no kernel maps in gpu.js).
 *
 * Arithmetic is float32 on the webasm and webgpu backends (gpu.js computes in f32,
 * Math.exp in f64 rounded to f32) and float64 rounded to float32 per step on the cpu
 * backend; the agreement rule with the float64 clock engine is in docs/engines.md.
 */
import type { NeuronModel } from '../src/models/types.js';

export interface NeuronKernelSpec {
  model: NeuronModel;
  method: string;
  /** Parameter and derived-constant values: a number (inlined) or 'array' (an argument `c_<name>`). */
  constants: Record<string, number | 'array'>;
  dt: number;
  /** Receptors with spike input this step (argument `in_<receptor>`, summed arrivals). */
  receptors: string[];
  /** Graded receptors set from `gin_<receptor>`. */
  gradedReceptors: string[];
  /** Gap junctions reach the population: arguments `gin_gap`, `c_G_gap`. */
  gap: boolean;
  /** Refractory steps: a number when uniform, 'array' (argument `refsteps`) per neuron, 0 for none. */
  refractorySteps: number | 'array';
}

export interface NeuronKernelLayout {
  /** Kernel source: `function (S, …args)`. */
  source: string;
  /** Argument names after S, in order. */
  args: string[];
  /** Output rows: state variables, then `__refr` (if any), then `__spike`. */
  rows: string[];
}

/** A float literal gpu.js types as a float (always with a decimal point or exponent). */
export function f32Literal(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`kernel constant ${x} is not finite`);
  const s = x.toPrecision(9);
  const t = /[.e]/.test(s) ? s : `${s}.0`;
  return x < 0 ? `(${t})` : t;
}

/** Number literals of a snippet as float literals (`140` → `140.0`), so gpu.js never infers integers. */
function floatLiterals(code: string): string {
  return code.replace(/(?<![\w.$]|[eE][-+])(\d+)(?![\w.])/g, '$1.0');
}

export function neuronKernel(spec: NeuronKernelSpec): NeuronKernelLayout {
  const { model } = spec;
  const code = model.code(spec.method);
  const state = Object.keys(model.state);
  const refr = spec.refractorySteps !== 0;
  const rows = [...state, ...(refr ? ['__refr'] : []), '__spike'];
  const args: string[] = [];
  const body: string[] = [];
  body.push('const i = this.thread.x;');
  body.push('const row = this.thread.y;');
  body.push(`const dt = ${f32Literal(spec.dt)};`);
  for (const [name, c] of Object.entries(spec.constants)) {
    if (name.startsWith('__')) continue;
    if (c === 'array') {
      args.push(`c_${name}`);
      body.push(`const ${name} = c_${name}[i];`);
    } else body.push(`const ${name} = ${f32Literal(c)};`);
  }
  state.forEach((s, k) => body.push(`let ${s} = S[${k}][i];`));
  for (const r of spec.gradedReceptors) {
    args.push(`gin_${r}`);
    body.push(`${model.receptors[r]!.variable} = gin_${r}[i];`);
  }
  if (spec.gap) {
    args.push('gin_gap', 'c_G_gap');
    body.push('const G_gap = c_G_gap[i];', 'const IG_gap = gin_gap[i];');
  } else body.push('const G_gap = 0.0;', 'const IG_gap = 0.0;');
  args.push('istim');
  const gapCurrent = spec.gap && (model.gapInput ?? 'current') === 'current' ? ` + (IG_gap - G_gap * ${model.voltage})` : '';
  body.push(`const I_stim = istim[i]${gapCurrent};`);
  if (refr) {
    body.push(`let __refr = S[${state.length}][i];`);
    body.push('const __wasRefractory = __refr > 0.5 ? 1.0 : 0.0;');
    body.push('if (__wasRefractory > 0.5) {');
    body.push('  __refr = __refr - 1.0;');
    body.push(floatLiterals(code.updateRefractory ?? ''));
    body.push('} else {');
    body.push(floatLiterals(code.update));
    body.push('}');
  } else {
    body.push('const __wasRefractory = 0.0;');
    body.push(floatLiterals(code.update));
  }
  for (const r of spec.receptors) {
    args.push(`in_${r}`);
    body.push(`${model.receptors[r]!.variable} = ${model.receptors[r]!.variable} + in_${r}[i];`);
  }
  if (spec.refractorySteps === 'array') args.push('refsteps');
  body.push('let __spike = 0.0;');
  body.push(`if (__wasRefractory < 0.5 && (${floatLiterals(code.threshold)})) {`);
  body.push(floatLiterals(code.reset));
  if (refr) body.push(spec.refractorySteps === 'array' ? '  __refr = refsteps[i];' : `  __refr = ${f32Literal(spec.refractorySteps as number)};`);
  body.push('  __spike = 1.0;');
  body.push('}');
  rows.forEach((r, k) => body.push(k + 1 < rows.length ? `if (row == ${k}) { return ${r}; }` : `return ${r};`));
  const source = `function neuronUpdate(S, ${args.join(', ')}) {\n  ${body.join('\n  ')}\n}`;
  return { source, args, rows };
}
