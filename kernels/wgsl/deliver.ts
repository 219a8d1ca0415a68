/**
 * `spikes.deliver` in WGSL: the rows of the step's spiking neurons scattered into the
 * fixed-point ring with atomicAdd on i32 (benchmarks.md §8): cost ∝ synaptic events.
 *
 * Layout (src/engines/gpu/webgpu-layout.ts builds it): every projection of the network
 * is merged into one CSR over global neuron ids (a neuron's row holds its synapses of
 * every projection), split into segments of whole rows that fit one storage binding.
 * A synapse is a u32 word: the target's ring channel (post population's receptor base +
 * index) in the low bits and, when delays differ, the delay in steps in the high bits
 * (or a separate u32 array where they do not fit); integer weights are i32 units,
 * w_int = round(w · scale) with the receptor's scale from kernels/deliver.ts's
 * fixedPointScale, exactly as the host backends: the integer sums are theirs bit for bit
 * (integer addition is associative, so the order of atomicAdd calls does not matter).
 * The ring is one i32 array of slots × channels, slot (step + delay) mod L.
 *
 * Threads: pre-span (GeNN's PRESYNAPTIC span), one workgroup per spike, its threads
 * striding over the spike's row (consecutive synapses: coalesced reads), workgroups
 * striding over the spike list (a fixed grid; the list's length is known only on the
 * device). Thread 0 of each spike adds row length × multiplicity to the event counter.
 */
import { declare, eventsHelper, stepStruct, type CounterLayout, type KernelBinding, type WgslKernel } from './common.js';

export interface WgslDeliverSpec {
  segment: number;
  /** Global ids [gidFrom, gidTo) whose rows this segment holds. */
  gidFrom: number;
  gidTo: number;
  ringSlots: number;
  ringChannels: number;
  /** Delays: one value for the network, packed above `channelBits`, or a separate array. */
  delays: { kind: 'uniform'; steps: number } | { kind: 'packed'; channelBits: number } | { kind: 'array' };
  /** Weights: one value for the network, or an i32 per synapse. */
  weights: { kind: 'uniform'; units: number } | { kind: 'array' };
  stepExtras: number;
  counters: CounterLayout;
  listCapacity: number;
  workgroupSize: number;
}

export function deliverKernel(spec: WgslDeliverSpec): WgslKernel {
  const bindings: KernelBinding[] = [];
  const bind = (buffer: string, access: 'read' | 'read_write', name: string, type: string) => bindings.push({ binding: bindings.length, buffer, access, name, type });
  bind('list', 'read', 'LIST', 'array<vec2<u32>>');
  bind('cnt', 'read_write', 'CNT', 'array<atomic<u32>>');
  bind(`rowptr:${spec.segment}`, 'read', 'ROWPTR', 'array<u32>');
  bind(`syn:${spec.segment}`, 'read', 'SYN', 'array<u32>');
  if (spec.weights.kind === 'array') bind(`weight:${spec.segment}`, 'read', 'WEIGHT', 'array<i32>');
  if (spec.delays.kind === 'array') bind(`delay:${spec.segment}`, 'read', 'DELAY', 'array<u32>');
  bind('ring', 'read_write', 'RING', 'array<atomic<i32>>');
  const c = spec.counters;
  const wg = spec.workgroupSize;
  const L = spec.ringSlots;
  const chan = spec.delays.kind === 'packed' ? `syn & ${((2 ** spec.delays.channelBits - 1) >>> 0).toString()}u` : 'syn';
  const delay = spec.delays.kind === 'uniform' ? `${spec.delays.steps}u` : spec.delays.kind === 'packed' ? `syn >> ${spec.delays.channelBits}u` : 'DELAY[q]';
  const weight = spec.weights.kind === 'uniform' ? `${spec.weights.units}` : 'WEIGHT[q]';
  const single = spec.gidFrom === 0;
  const code = [
    `// spikes.deliver: segment ${spec.segment} (rows of global ids ${spec.gidFrom}..${spec.gidTo - 1}), ring ${L} slots × ${spec.ringChannels} channels (kernels/wgsl/deliver.ts)`,
    stepStruct(spec.stepExtras),
    declare(bindings),
    eventsHelper(c),
    `@compute @workgroup_size(${wg})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {',
    `  let count = min(atomicLoad(&CNT[${c.list}u + P.k]), ${spec.listCapacity}u);`,
    '  let groups = nwg.x * nwg.y;',
    '  for (var s = wid.y * nwg.x + wid.x; s < count; s = s + groups) {',
    '    let e = LIST[s];',
    '    let g = e.x;',
    `    if (${single ? '' : `g < ${spec.gidFrom}u || `}g >= ${spec.gidTo}u) { continue; }`,
    `    let j = g - ${spec.gidFrom}u;`,
    '    let a = ROWPTR[j];',
    '    let b = ROWPTR[j + 1u];',
    '    let m = i32(e.y);',
    `    for (var q = a + li; q < b; q = q + ${wg}u) {`,
    '      let syn = SYN[q];',
    `      var slot = P.slot + (${delay});`,
    `      if (slot >= ${L}u) { slot = slot - ${L}u; }`,
    `      atomicAdd(&RING[slot * ${spec.ringChannels}u + (${chan})], ${weight} * m);`,
    '    }',
    '    if (li == 0u && b > a) { add_events((b - a) * e.y); }',
    '  }',
    '}',
  ].join('\n');
  return { name: 'spikes.deliver', label: `spikes.deliver segment ${spec.segment}`, code: code + '\n', bindings, workgroupSize: wg };
}
