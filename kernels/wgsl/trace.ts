/**
 * `traces.sample`: copies the recorded neurons' values of one state variable into the
 * trace buffer at the trace's sampling steps (dispatched only at those steps, before the
 * population's update, as the host loop samples state at t_n). Sample s of a trace goes
 * to slot s mod `slots` of its region, so a batch needs no per-batch offset: the host
 * reads the region back after each batch (a batch holds at most `slots` samples).
 */
import { declare, entry, stepStruct, type KernelBinding, type WgslKernel } from './common.js';

export interface WgslTraceSpec {
  label: string;
  index: number;
  /** Buffer key of the state (see neuron.ts), its width (threads of the kernel) and the population's first thread. */
  pop: number;
  width: number;
  offset: number;
  row: number;
  /** Recorded neurons: element offset of their indices in TIDX, and how many. */
  indicesAt: number;
  count: number;
  interval: number;
  /** Element offset of the trace's region in TRACE, and its slots. */
  regionAt: number;
  slots: number;
  stepExtras: number;
  workgroupSize?: number;
}

export function traceKernel(spec: WgslTraceSpec): WgslKernel {
  const wg = spec.workgroupSize ?? 64;
  const bindings: KernelBinding[] = [
    { binding: 0, buffer: `state:${spec.pop}`, access: 'read', name: 'S', type: 'array<f32>' },
    { binding: 1, buffer: 'tidx', access: 'read', name: 'TIDX', type: 'array<u32>' },
    { binding: 2, buffer: 'trace', access: 'read_write', name: 'TRACE', type: 'array<f32>' },
  ];
  const code = [
    `// traces.sample: "${spec.label}" (kernels/wgsl/trace.ts)`,
    stepStruct(spec.stepExtras),
    declare(bindings),
    ...entry(wg),
    `  if (i >= ${spec.count}u) { return; }`,
    `  let slot = (P.step / ${spec.interval}u) % ${spec.slots}u;`,
    `  TRACE[${spec.regionAt}u + slot * ${spec.count}u + i] = S[${spec.row * spec.width + spec.offset}u + TIDX[${spec.indicesAt}u + i]];`,
    '}',
  ].join('\n');
  return { name: 'traces.sample', label: `traces.sample "${spec.label}"`, code: code + '\n', bindings, workgroupSize: wg };
}
