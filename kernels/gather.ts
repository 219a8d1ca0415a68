/**
 * gpu.js kernel `coupling.gather`: graded synapses and gap junctions, one thread per
 * postsynaptic neuron, gin[i] = Σ_k w_k f(x[src_k]) over column i of a CSC by
 * postsynaptic neuron (f the identity, or the LTC sigmoid). Continuous coupling is
 * active on every synapse every step, so a gather does exactly the necessary work.
 */

export interface GatherKernelSpec {
  /** Per-synapse weight (argument W) or one value. */
  weight: number | 'array';
  /** LTC sigmoid transfer: centre and slope, per synapse (MU, SL) or one value each. */
  sigmoid?: { mu: number | 'array'; slope: number | 'array' };
}

function value(v: number | 'array', name: string): string {
  if (v === 'array') return `${name}[k]`;
  const s = v.toPrecision(9);
  const t = /[.e]/.test(s) ? s : `${s}.0`;
  return v < 0 ? `(${t})` : t;
}

/** Kernel source `function (x, colPtr, sources, W?, MU?, SL?)` and its argument names after x. */
export function gatherKernel(spec: GatherKernelSpec): { source: string; args: string[] } {
  const args = ['colPtr', 'sources'];
  if (spec.weight === 'array') args.push('W');
  if (spec.sigmoid?.mu === 'array') args.push('MU');
  if (spec.sigmoid?.slope === 'array') args.push('SL');
  const w = value(spec.weight, 'W');
  const term = spec.sigmoid
    ? `${w} / (1.0 + Math.exp(-${value(spec.sigmoid.slope, 'SL')} * (x[sources[k]] - ${value(spec.sigmoid.mu, 'MU')})))`
    : `${w} * x[sources[k]]`;
  const source = [
    `function gather(x, ${args.join(', ')}) {`,
    '  const i = this.thread.x;',
    '  let acc = 0.0;',
    '  for (let k = colPtr[i]; k < colPtr[i + 1]; k++) {',
    `    acc += ${term};`,
    '  }',
    '  return acc;',
    '}',
  ].join('\n');
  return { source, args };
}
