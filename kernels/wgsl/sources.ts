/**
 * Spike sources on the device.
 *
 * `poisson.counts` (Poisson source populations): one thread per source neuron draws its
 * count for the step with the counter hash of ./poisson.ts (key = the population's
 * stream key, the neuron's index, the step), between its start and stop steps; a count
 * k > 0 is one spike-list entry of multiplicity k (k records when recorded), as the host
 * loop's stepSource. Per-neuron rate, e^−λ, start and stop are literals when uniform,
 * else rows of the population's u32 parameter buffer (floats as their bits).
 *
 * `sources.array` (spike_source_array): the schedule is known before the run, so the
 * host keeps it on the device as (index, multiplicity | recorded << 31) entries sorted
 * by step, and dispatches at steps that have entries, one thread per entry; the step
 * block gives the step's range [from, to).
 */
import { compactDecls, compactTail, declare, entry, eventsHelper, stepExtra, stepStruct, type CounterLayout, type KernelBinding, type WgslKernel } from './common.js';
import { poissonWgsl } from './poisson.js';
import { f32 } from './translate.js';

interface SourceCommon {
  label: string;
  pop: number;
  n: number;
  gid0: number;
  stepExtras: number;
  counters: CounterLayout;
  list: boolean;
  listCapacity: number;
  recordCapacity: number;
  workgroupSize?: number;
}

export interface WgslPoissonSourceSpec extends SourceCommon {
  key: number;
  /** Uniform values, or element offsets of rows in the u32 parameter buffer SP. */
  lambda: number | { row: number };
  p0: number | { row: number };
  start: number | { row: number };
  stop: number | { row: number };
  record: 'none' | 'all' | { row: number };
}

export function poissonSourceKernel(spec: WgslPoissonSourceSpec): WgslKernel {
  const wg = spec.workgroupSize ?? 128;
  const bindings: KernelBinding[] = [];
  const bind = (buffer: string, access: 'read' | 'read_write', name: string, type: string) => bindings.push({ binding: bindings.length, buffer, access, name, type });
  const rows = [spec.lambda, spec.p0, spec.start, spec.stop, spec.record].some((x) => typeof x === 'object');
  if (rows) bind(`srcparam:${spec.pop}`, 'read', 'SP', 'array<u32>');
  if (spec.list) bind('list', 'read_write', 'LIST', 'array<vec2<u32>>');
  bind('cnt', 'read_write', 'CNT', 'array<atomic<u32>>');
  if (spec.record !== 'none') bind('rec', 'read_write', 'REC', 'array<vec2<u32>>');
  const fl = (x: number | { row: number }) => (typeof x === 'number' ? f32(x) : `bitcast<f32>(SP[${x.row}u + i])`);
  const ul = (x: number | { row: number }) => (typeof x === 'number' ? `${x >>> 0}u` : `SP[${x.row}u + i]`);
  const code = [
    `// poisson.counts: Poisson source population "${spec.label}", ${spec.n} neurons (kernels/wgsl/sources.ts)`,
    stepStruct(spec.stepExtras),
    declare(bindings),
    `const N: u32 = ${spec.n}u;`,
    poissonWgsl(),
    eventsHelper(spec.counters),
    compactDecls(),
    ...entry(wg),
    '  var spk_m = 0u;',
    '  var spk_rec = false;',
    '  if (i < N) {',
    `    let lambda = ${fl(spec.lambda)};`,
    `    if (P.step >= ${ul(spec.start)} && P.step < ${ul(spec.stop)} && lambda > 0.0f) {`,
    `      spk_m = nm_poisson_count(nm_uniform24(nm_counter_hash(0x${(spec.key >>> 0).toString(16)}u, i, P.step)), lambda, ${fl(spec.p0)});`,
    spec.record === 'none' ? '' : spec.record === 'all' ? '      spk_rec = true;' : `      spk_rec = SP[${spec.record.row}u + i] != 0u;`,
    '    }',
    '  }',
    ...compactTail({ counters: spec.counters, members: [{ pop: spec.pop, offset: 0 }], gid0: spec.gid0, list: spec.list, listCapacity: spec.listCapacity, record: spec.record !== 'none', recordCapacity: spec.recordCapacity }),
    '}',
  ]
    .filter((l) => l !== '')
    .join('\n');
  return { name: 'poisson.counts', label: `poisson.counts "${spec.label}"`, code: code + '\n', bindings, workgroupSize: wg };
}

export interface WgslArraySourceSpec extends SourceCommon {
  /** Step-block fields holding the step's entry range [from, to). */
  extraFrom: number;
  extraTo: number;
  record: boolean;
}

export function arraySourceKernel(spec: WgslArraySourceSpec): WgslKernel {
  const wg = spec.workgroupSize ?? 64;
  const bindings: KernelBinding[] = [];
  const bind = (buffer: string, access: 'read' | 'read_write', name: string, type: string) => bindings.push({ binding: bindings.length, buffer, access, name, type });
  bind(`sched:${spec.pop}`, 'read', 'SCHED', 'array<vec2<u32>>');
  if (spec.list) bind('list', 'read_write', 'LIST', 'array<vec2<u32>>');
  bind('cnt', 'read_write', 'CNT', 'array<atomic<u32>>');
  if (spec.record) bind('rec', 'read_write', 'REC', 'array<vec2<u32>>');
  // The compact tail writes global id gid0 + i; here i is the entry's neuron, so it is rebound.
  const code = [
    `// sources.array: spike_source_array "${spec.label}", ${spec.n} neurons (kernels/wgsl/sources.ts)`,
    stepStruct(spec.stepExtras),
    declare(bindings),
    eventsHelper(spec.counters),
    compactDecls(),
    `@compute @workgroup_size(${wg})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {',
    `  let t = ${stepExtra(spec.extraFrom)} + (wid.y * nwg.x + wid.x) * ${wg}u + li;`,
    '  var spk_m = 0u;',
    '  var spk_rec = false;',
    '  var i = 0u;',
    `  if (t < ${stepExtra(spec.extraTo)}) {`,
    '    let e = SCHED[t];',
    '    i = e.x;',
    '    spk_m = e.y & 0x7fffffffu;',
    '    spk_rec = (e.y >> 31u) != 0u;',
    '  }',
    ...compactTail({ counters: spec.counters, members: [{ pop: spec.pop, offset: 0 }], gid0: spec.gid0, list: spec.list, listCapacity: spec.listCapacity, record: spec.record, recordCapacity: spec.recordCapacity }),
    '}',
  ].join('\n');
  return { name: 'sources.array', label: `sources.array "${spec.label}"`, code: code + '\n', bindings, workgroupSize: wg };
}
