/**
 * `neuron.update` in WGSL: one step of a population, one thread per neuron, built from
 * the model declaration's snippets (translated by ./translate.ts) exactly as the gpu.js
 * kernel (kernels/neuron.ts) and the clock engine's kernel order them:
 *   graded inputs and gap terms → update (or updateRefractory while refractory) →
 *   arrivals of the step added to the receptor variables (`inputs.drain`, inlined) →
 *   threshold → reset, refractory count, spike flag → `spikes.compact` (inlined).
 *
 * One kernel may run several consecutive populations of one model and method with the
 * same receptors and continuous inputs (the members), so that a step needs one dispatch
 * for all of them (the cortical microcircuit's eight populations: one): thread i is
 * neuron i − offset of the member whose range holds i.
 *
 * State lives on the device in one f32 buffer per kernel, rows × n (the state variables
 * in declaration order, the refractory count when the model has one, the spike flag),
 * updated in place: each thread owns its neuron's column. Only rows the snippets (or
 * inputs) assign are written back. Parameters and derived constants are f32 literals
 * when uniform over the members, else rows of the constant buffer C, which also holds
 * the DC/step stimulus row `istim` (written by the host when it changes), per-neuron
 * refractory steps, fixed-point scales where members differ, gap conductances, stimulus
 * masks and timed-input weights.
 */
import type { NeuronModel } from '../../src/models/types.js';
import { compactDecls, compactTail, declare, entry, eventsHelper, stepStruct, type CounterLayout, type KernelBinding, type WgslKernel } from './common.js';
import { drainLines, type DrainReceptor } from './drain.js';
import { poissonWgsl } from './poisson.js';
import { TranslateError, WGSL_HELPERS, emitCondition, emitStatements, f32, namesUsed, parseExpression, parseStatements, type Resolver } from './translate.js';

export interface WgslNeuronSpec {
  model: NeuronModel;
  method: string;
  /** The populations run (consecutive global ids), by first thread; n threads in all; global id of thread 0. */
  members: { pop: number; label: string; offset: number; n: number }[];
  n: number;
  gid0: number;
  /** Buffer key (`state:<key>`, `const:<key>`, `gin:<key>`). */
  key: number;
  dt: number;
  /** Uniform value, or the element offset of its row in C. */
  constants: Record<string, number | { row: number }>;
  /** Element offset of the istim row in C (none: no DC/step stimulus, I_stim = 0). */
  istim?: number;
  /** Graded receptors set from rows of GIN. */
  graded: { receptor: string; ginRow: number }[];
  /** Gap junctions: G_gap row in C, Σ g·V row in GIN. */
  gap?: { gRow: number; ginRow: number };
  /** Refractory steps: 0 (none), a number, or a row of C. */
  refractory: number | { row: number };
  /** Spike receptors (Object.keys(ringSlots) order) and what arrives through each. */
  receptors: DrainReceptor[];
  ringChannels: number;
  /** Number of extra fields of the step block. */
  stepExtras: number;
  counters: CounterLayout;
  /** Append spikes to the spike list (the population projects). */
  list: boolean;
  listCapacity: number;
  /** Spike recording: none, all neurons, or a 0/1 row of C. */
  record: 'none' | 'all' | { row: number };
  recordCapacity: number;
  workgroupSize?: number;
}

export interface WgslNeuronLayout {
  kernel: WgslKernel;
  /** Rows of the state buffer: state variables, then `refr` (if any), then `spike`. */
  rows: string[];
  /** Rows the kernel writes. */
  written: string[];
}

/** The state rows of a model (and whether it has a refractory row). */
export function stateRows(model: NeuronModel, refractory: boolean): string[] {
  return [...Object.keys(model.state), ...(refractory ? ['refr'] : []), 'spike'];
}

export function neuronUpdateKernel(spec: WgslNeuronSpec): WgslNeuronLayout {
  const { model, n } = spec;
  const code = model.code(spec.method);
  if ((model.inputTiming ?? 'after-update') !== 'after-update') throw new TranslateError(`model ${model.name}: input timing "${model.inputTiming}" is not supported by the webgpu backend`);
  const state = Object.keys(model.state);
  const refr = spec.refractory !== 0;
  const rows = stateRows(model, refr);
  const row = (name: string) => rows.indexOf(name);
  const wg = spec.workgroupSize ?? 128;

  const update = parseStatements(code.update);
  const updateRefr = parseStatements(code.updateRefractory ?? '');
  const threshold = parseExpression(code.threshold);
  const reset = parseStatements(code.reset);

  const stateSet = new Set(state);
  const resolve: Resolver = (name) => {
    if (stateSet.has(name)) return { wgsl: `m_${name}`, mutable: true };
    if (name === 'dt' || name === 'I_stim' || name === 'G_gap' || name === 'IG_gap') return { wgsl: `m_${name}`, mutable: false };
    if (name in spec.constants) return { wgsl: `m_${name}`, mutable: false };
    return undefined;
  };
  const used = namesUsed([...update, ...updateRefr, ...reset], [threshold]);
  const assigned = new Set([...used.assigned].filter((x) => stateSet.has(x)));
  for (const g of spec.graded) assigned.add(model.receptors[g.receptor]!.variable);
  for (const r of spec.receptors) assigned.add(model.receptors[r.receptor]!.variable);
  const written = [...state.filter((s) => assigned.has(s)), ...(refr ? ['refr'] : []), 'spike'];

  const bindings: KernelBinding[] = [];
  const bind = (buffer: string, access: 'read' | 'read_write', name: string, type: string) => bindings.push({ binding: bindings.length, buffer, access, name, type });
  bind(`state:${spec.key}`, 'read_write', 'S', 'array<f32>');
  const needsC =
    Object.values(spec.constants).some((c) => typeof c !== 'number') ||
    spec.istim !== undefined ||
    spec.gap !== undefined ||
    typeof spec.refractory === 'object' ||
    typeof spec.record === 'object' ||
    spec.receptors.some((r) => typeof r.invScale === 'object' || r.timed.length > 0 || r.poisson.some((p) => p.mask !== undefined));
  if (needsC) bind(`const:${spec.key}`, 'read', 'C', 'array<f32>');
  if (spec.graded.length > 0 || spec.gap) bind(`gin:${spec.key}`, 'read', 'GIN', 'array<f32>');
  if (spec.receptors.some((r) => r.channel !== undefined)) bind('ring', 'read_write', 'RING', 'array<i32>');
  if (spec.list) bind('list', 'read_write', 'LIST', 'array<vec2<u32>>');
  bind('cnt', 'read_write', 'CNT', 'array<atomic<u32>>');
  if (spec.record !== 'none') bind('rec', 'read_write', 'REC', 'array<vec2<u32>>');

  const M: string[] = [];
  const label = spec.members.map((m) => m.label).join('+');
  M.push(`// neuron.update: population${spec.members.length > 1 ? 's' : ''} ${spec.members.map((m) => `"${m.label}" (${m.n} from thread ${m.offset})`).join(', ')}; model ${model.name} (${spec.method}) (kernels/wgsl/neuron.ts)`);
  M.push(stepStruct(spec.stepExtras));
  M.push(declare(bindings));
  M.push(`const N: u32 = ${n}u;`);
  M.push(`const m_dt: f32 = ${f32(spec.dt)};`);
  for (const [name, c] of Object.entries(spec.constants)) if (typeof c === 'number') M.push(`const m_${name}: f32 = ${f32(c)};`);
  M.push(WGSL_HELPERS);
  if (spec.receptors.some((r) => r.poisson.length > 0)) M.push(poissonWgsl());
  M.push(eventsHelper(spec.counters));
  M.push(compactDecls(spec.members.length));

  const B: string[] = [];
  B.push(...entry(wg));
  B.push('  var spk_m = 0u;');
  B.push('  var spk_rec = false;');
  B.push('  if (i < N) {');
  for (const [name, c] of Object.entries(spec.constants)) if (typeof c !== 'number') B.push(`    let m_${name} = C[${c.row}u + i];`);
  for (const s of state) B.push(`    var m_${s} = S[${row(s) * n}u + i];`);
  for (const g of spec.graded) B.push(`    m_${model.receptors[g.receptor]!.variable} = GIN[${g.ginRow * n}u + i];`);
  if (spec.gap) B.push(`    let m_G_gap = C[${spec.gap.gRow}u + i];`, `    let m_IG_gap = GIN[${spec.gap.ginRow * n}u + i];`);
  else B.push('    let m_G_gap = 0.0f;', '    let m_IG_gap = 0.0f;');
  const stim = spec.istim !== undefined ? `C[${spec.istim}u + i]` : '0.0f';
  const gapCurrent = spec.gap && (model.gapInput ?? 'current') === 'current' ? ` + (m_IG_gap - m_G_gap * m_${model.voltage})` : '';
  B.push(`    let m_I_stim = ${stim}${gapCurrent};`);
  B.push(...drainLines(spec.receptors, spec.ringChannels));
  const body = (stmts: ReturnType<typeof parseStatements>, ind: string) => {
    const s = emitStatements(stmts, { resolve, indent: ind });
    return s ? [s] : [];
  };
  if (refr) {
    B.push(`    var m_refr = S[${row('refr') * n}u + i];`);
    B.push('    let was_refr = m_refr > 0.5f;');
    B.push('    if (was_refr) {');
    B.push('      m_refr = m_refr - 1.0f;');
    B.push(...body(updateRefr, '      '));
    B.push('    } else {');
    B.push(...body(update, '      '));
    B.push('    }');
  } else {
    B.push('    let was_refr = false;');
    B.push('    {');
    B.push(...body(update, '      '));
    B.push('    }');
  }
  spec.receptors.forEach((r, k) => {
    const v = `m_${model.receptors[r.receptor]!.variable}`;
    B.push(`    ${v} = ${v} + in_${k};`);
  });
  B.push('    var m_spike = 0.0f;');
  B.push(`    if (!was_refr && ${emitCondition(threshold, { resolve })}) {`);
  B.push(...body(reset, '      '));
  if (refr) B.push(typeof spec.refractory === 'object' ? `      m_refr = C[${spec.refractory.row}u + i];` : `      m_refr = ${f32(spec.refractory)};`);
  B.push('      m_spike = 1.0f;');
  B.push('      spk_m = 1u;');
  if (spec.record === 'all') B.push('      spk_rec = true;');
  else if (spec.record !== 'none') B.push(`      spk_rec = C[${spec.record.row}u + i] > 0.5f;`);
  B.push('    }');
  for (const w of written) B.push(`    S[${row(w) * n}u + i] = m_${w};`);
  B.push('  }');
  B.push(...compactTail({ counters: spec.counters, members: spec.members, gid0: spec.gid0, list: spec.list, listCapacity: spec.listCapacity, record: spec.record !== 'none', recordCapacity: spec.recordCapacity }));
  B.push('}');
  const codeText = [...M, ...B].join('\n') + '\n';
  return { kernel: { name: 'neuron.update', label: `neuron.update "${label}"`, code: codeText, bindings, workgroupSize: wg }, rows, written };
}
