/**
 * `coupling.gather` in WGSL: graded synapses and gap junctions, one thread per
 * postsynaptic neuron over its CSC column (as kernels/gather.ts), gin[i] = Σ_k w_k f(x[src_k])
 * with f the identity or the LTC sigmoid, summed in column order in f32. The first gather
 * into an input assigns, later ones add (the host's order). Continuous coupling acts on
 * every synapse every step, so a gather does exactly the necessary work.
 */
import { declare, entry, stepStruct, type KernelBinding, type WgslKernel } from './common.js';
import { f32 } from './translate.js';

export interface WgslGatherSpec {
  label: string;
  index: number;
  /** Buffer keys of the presynaptic state and the postsynaptic GIN (see neuron.ts), their widths (threads of their kernels) and the populations' first threads there. */
  pre: number;
  post: number;
  nPre: number;
  nPost: number;
  widthPre: number;
  widthPost: number;
  offsetPre: number;
  offsetPost: number;
  /** Row of the presynaptic state buffer read (x). */
  preRow: number;
  /** Row of the postsynaptic GIN buffer written. */
  ginRow: number;
  assign: boolean;
  /** Per-synapse values are rows of the f32 buffer GF (offsets in elements), else literals. */
  weight: number | { row: number };
  sigmoid?: { mu: number | { row: number }; slope: number | { row: number } };
  /** Element offset of the sources in the u32 buffer GIDX (column pointers start at 0). */
  sourcesAt: number;
  stepExtras: number;
  workgroupSize?: number;
}

export function gatherKernel(spec: WgslGatherSpec): WgslKernel {
  const wg = spec.workgroupSize ?? 64;
  const bindings: KernelBinding[] = [];
  const bind = (buffer: string, access: 'read' | 'read_write', name: string, type: string) => bindings.push({ binding: bindings.length, buffer, access, name, type });
  bind(`state:${spec.pre}`, 'read', 'X', 'array<f32>');
  bind(`gidx:${spec.index}`, 'read', 'GIDX', 'array<u32>');
  const rows = [spec.weight, spec.sigmoid?.mu, spec.sigmoid?.slope].some((x) => typeof x === 'object');
  if (rows) bind(`gf:${spec.index}`, 'read', 'GF', 'array<f32>');
  bind(`gin:${spec.post}`, 'read_write', 'GIN', 'array<f32>');
  const v = (x: number | { row: number }) => (typeof x === 'number' ? f32(x) : `GF[${x.row}u + k]`);
  const xk = `X[${spec.preRow * spec.widthPre + spec.offsetPre}u + GIDX[${spec.sourcesAt}u + k]]`;
  const term = spec.sigmoid ? `${v(spec.weight)} / (1.0f + exp(-${v(spec.sigmoid.slope)} * (${xk} - ${v(spec.sigmoid.mu)})))` : `${v(spec.weight)} * ${xk}`;
  const out = `GIN[${spec.ginRow * spec.widthPost + spec.offsetPost}u + i]`;
  const code = [
    `// coupling.gather: "${spec.label}" (kernels/wgsl/gather.ts)`,
    stepStruct(spec.stepExtras),
    declare(bindings),
    ...entry(wg),
    `  if (i >= ${spec.nPost}u) { return; }`,
    '  var acc = 0.0f;',
    '  for (var k = GIDX[i]; k < GIDX[i + 1u]; k = k + 1u) {',
    `    acc = acc + ${term};`,
    '  }',
    spec.assign ? `  ${out} = acc;` : `  ${out} = ${out} + acc;`,
    '}',
  ].join('\n');
  return { name: 'coupling.gather', label: `coupling.gather "${spec.label}"`, code: code + '\n', bindings, workgroupSize: wg };
}
