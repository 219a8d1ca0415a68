/**
 * What every WGSL kernel of the webgpu backend shares: the per-step parameter block, the
 * counter buffer's layout, buffer declarations, the flat thread index, and the
 * workgroup-aggregated append of spikes (`spikes.compact`).
 *
 * Bind groups: group 0 is the step block (a uniform buffer bound with a dynamic offset,
 * one 256-byte-aligned slot per step of a batch, written once per batch), shared by every
 * pipeline, so it is set once per step; group 1 holds the kernel's storage buffers.
 */

export type KernelName = 'neuron.update' | 'inputs.drain' | 'spikes.compact' | 'spikes.deliver' | 'poisson.counts' | 'sources.array' | 'coupling.gather' | 'traces.sample';

export interface KernelBinding {
  binding: number;
  /** Logical buffer id the engine binds (e.g. `state:0`, `ring`, `cnt`). */
  buffer: string;
  access: 'read' | 'read_write';
  /** WGSL variable name and type. */
  name: string;
  type: string;
}

/** One compute shader: a pipeline of its own, dispatched by the engine. */
export interface WgslKernel {
  name: KernelName;
  /** Kernel name and object, e.g. `neuron.update "E"`. */
  label: string;
  code: string;
  /** Group 1. */
  bindings: KernelBinding[];
  workgroupSize: number;
}

/** Per-step block: step number, index in the batch, ring slot, then `extras` u32 fields (timed inputs, schedules). */
export function stepStruct(extras: number): string {
  const m = Math.ceil(extras / 4);
  return [
    'struct Step {',
    '  step: u32,',
    '  k: u32,',
    '  slot: u32,',
    '  pad: u32,',
    ...(m > 0 ? [`  x: array<vec4<u32>, ${m}>,`] : []),
    '}',
    '@group(0) @binding(0) var<uniform> P: Step;',
  ].join('\n');
}

/** Bytes per step slot of the step block (dynamic offsets are multiples of 256). */
export function stepStride(extras: number): number {
  const bytes = 16 + 16 * Math.ceil(extras / 4);
  return Math.ceil(bytes / 256) * 256;
}

/** WGSL accessor of extra field j of the step block. */
export function stepExtra(j: number): string {
  return `P.x[${j >> 2}].${'xyzw'[j & 3]}`;
}

/** Writes a batch's step blocks: `fields(k)` gives step, slot and the extras of step k. */
export function packSteps(count: number, extras: number, at: (k: number) => { step: number; slot: number; x?: ArrayLike<number> }): Uint32Array {
  const stride = stepStride(extras) / 4;
  const out = new Uint32Array(Math.max(1, count) * stride);
  for (let k = 0; k < count; k++) {
    const s = at(k);
    const o = k * stride;
    out[o] = s.step;
    out[o + 1] = k;
    out[o + 2] = s.slot;
    if (s.x) for (let j = 0; j < extras; j++) out[o + 4 + j] = s.x[j]! >>> 0;
  }
  return out;
}

/** No entry this step (timed inputs). */
export const NONE = 0xffffffff;

/**
 * The counter buffer (u32, atomics): [0, 1] synaptic events (low, high word; never cleared),
 * [4] recorded spikes of the batch, [8 .. 8 + K) spike-list length per step of the batch,
 * then per step and population the spikes (multiplicities summed). Words from 4 on are
 * cleared at the start of every batch.
 */
export interface CounterLayout {
  evLo: number;
  evHi: number;
  rec: number;
  list: number;
  pop: number;
  /** Populations (stride of `pop`). */
  pops: number;
  words: number;
  /** First word cleared per batch. */
  clearFrom: number;
}

export function counterLayout(maxBatch: number, pops: number): CounterLayout {
  const list = 8;
  const pop = list + maxBatch;
  return { evLo: 0, evHi: 1, rec: 4, list, pop, pops, words: pop + maxBatch * Math.max(1, pops), clearFrom: 4 };
}

/** Buffer declarations of group 1. */
export function declare(bindings: KernelBinding[]): string {
  return bindings.map((b) => `@group(1) @binding(${b.binding}) var<storage, ${b.access}> ${b.name}: ${b.type};`).join('\n');
}

/** Adds x to the 64-bit event counter (carry into the high word). */
export function eventsHelper(c: CounterLayout): string {
  return [
    'fn add_events(x: u32) {',
    `  let old = atomicAdd(&CNT[${c.evLo}u], x);`,
    `  if (old > 0xffffffffu - x) { atomicAdd(&CNT[${c.evHi}u], 1u); }`,
    '}',
  ].join('\n');
}

/** Entry-point signature with a flat thread index `i` (dispatches may be 2-D beyond 65535 workgroups). */
export function entry(workgroupSize: number): string[] {
  return [
    `@compute @workgroup_size(${workgroupSize})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {',
    `  let i = (wid.y * nwg.x + wid.x) * ${workgroupSize}u + li;`,
  ];
}

/** Workgroups for n threads: [x, y] with x ≤ 65535. */
export function dispatchSize(n: number, workgroupSize: number, maxPerDim = 65535): [number, number] {
  const g = Math.max(1, Math.ceil(n / workgroupSize));
  if (g <= maxPerDim) return [g, 1];
  const y = Math.ceil(g / maxPerDim);
  return [Math.ceil(g / y), y];
}

export interface CompactSpec {
  counters: CounterLayout;
  /**
   * Populations the kernel's threads belong to, by first thread (ascending from 0): spikes
   * are counted per step and population. One for sources; several for a neuron.update
   * that runs consecutive populations of one model in one dispatch.
   */
  members: { pop: number; offset: number }[];
  /** Global id of thread 0 (spike list and records hold global ids). */
  gid0: number;
  /** Append to the step's spike list (the population has outgoing projections). */
  list: boolean;
  listCapacity: number;
  /** Record spikes (some neurons recorded); capacity of the record buffer. */
  record: boolean;
  recordCapacity: number;
}

/**
 * `spikes.compact`, inlined at the end of every kernel that spikes: each thread has set
 * `spk_m` (multiplicity, 0 = no spike) and `spk_rec`; the workgroup counts its spikes in
 * workgroup memory, one thread reserves room with one global atomicAdd per counter, then
 * every spiking thread writes its entry. Entries of a step are in no particular order
 * (delivery sums integers, so order does not matter; the host sorts recorded spikes).
 * A record past the buffer's capacity is not written but still counted: the host sees
 * the count exceed the capacity and stops with an error (never a silent loss).
 */
export function compactDecls(members = 1): string {
  return [
    'var<workgroup> wg_list: atomic<u32>;',
    `var<workgroup> wg_spikes: array<atomic<u32>, ${members}>;`,
    'var<workgroup> wg_rec: atomic<u32>;',
    'var<workgroup> wg_ev: atomic<u32>;',
    'var<workgroup> wg_lbase: u32;',
    'var<workgroup> wg_rbase: u32;',
  ].join('\n');
}

export function compactTail(s: CompactSpec): string[] {
  const c = s.counters;
  const L: string[] = [];
  L.push('  // spikes.compact');
  L.push('  var lpos = 0u;');
  L.push('  var lrpos = 0u;');
  L.push('  var mem = 0u;');
  s.members.forEach((m, k) => k > 0 && L.push(`  if (i >= ${m.offset}u) { mem = ${k}u; }`));
  L.push('  if (spk_m > 0u) {');
  if (s.list) L.push('    lpos = atomicAdd(&wg_list, 1u);');
  L.push('    atomicAdd(&wg_spikes[mem], spk_m);');
  if (s.record) L.push('    if (spk_rec) { lrpos = atomicAdd(&wg_rec, spk_m); }');
  L.push('  }');
  L.push('  workgroupBarrier();');
  L.push('  if (li == 0u) {');
  if (s.list) L.push(`    let c = atomicLoad(&wg_list);`, `    if (c > 0u) { wg_lbase = atomicAdd(&CNT[${c.list}u + P.k], c); }`);
  s.members.forEach((m, k) => L.push(`    let s${k} = atomicLoad(&wg_spikes[${k}]);`, `    if (s${k} > 0u) { atomicAdd(&CNT[${c.pop}u + P.k * ${c.pops}u + ${m.pop}u], s${k}); }`));
  if (s.record) L.push(`    let r = atomicLoad(&wg_rec);`, `    if (r > 0u) { wg_rbase = atomicAdd(&CNT[${c.rec}u], r); }`);
  L.push('    let e = atomicLoad(&wg_ev);', '    if (e > 0u) { add_events(e); }');
  L.push('  }');
  L.push('  workgroupBarrier();');
  L.push('  if (spk_m > 0u) {');
  if (s.list) L.push('    let q = wg_lbase + lpos;', `    if (q < ${s.listCapacity}u) { LIST[q] = vec2<u32>(${s.gid0}u + i, spk_m); }`);
  if (s.record) {
    L.push('    if (spk_rec) {');
    L.push('      for (var r = 0u; r < spk_m; r = r + 1u) {');
    L.push('        let q = wg_rbase + lrpos + r;');
    L.push(`        if (q < ${s.recordCapacity}u) { REC[q] = vec2<u32>(P.step, ${s.gid0}u + i); }`);
    L.push('      }');
    L.push('    }');
  }
  L.push('  }');
  return L;
}

/** `u32` literal. */
export function u32(x: number): string {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`${x} is not a u32`);
  return `${x}u`;
}
