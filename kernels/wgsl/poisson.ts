/**
 * `poisson.counts` in WGSL: the counter-based Poisson generator of kernels/poisson.ts,
 * emitted from one template (`POISSON_TEMPLATE`) that `templateCounterHash` also
 * evaluates in TypeScript: the tests check that evaluation against kernels/poisson.ts
 * bit for bit, and that the WGSL is the template's emission. So the WGSL hash is the
 * TypeScript hash: murmur3's fmix32 steps on u32 with wrap-around multiplies
 * (Math.imul ⇔ WGSL u32 `*`), and the same key-word mixing.
 *
 * The inversion is float32 in both (u = (top 24 bits + 0.5) · 2⁻²⁴; p ← p·λ/k;
 * cdf ← cdf + p; k ≤ 64). One caveat on a GPU: WGSL allows f32 division 2.5 ulp of error
 * and a compiler may fuse the multiply-add, so where u lies within a few ulp of a CDF
 * boundary (about 1 draw in 10⁷) a count may differ from kernels/poisson.ts; the bits of
 * u never differ.
 */
import { mix32 } from '../../src/util/rng.js';
import { f32 } from './translate.js';

export type HashStep = { op: 'xorshr'; n: number } | { op: 'mul'; c: number };

/** The template: murmur3 fmix32, and the per-(neuron, step) key mixing of counterHash. */
export const POISSON_TEMPLATE = {
  fmix32: [
    { op: 'xorshr', n: 16 },
    { op: 'mul', c: 0x85ebca6b },
    { op: 'xorshr', n: 13 },
    { op: 'mul', c: 0xc2b2ae35 },
    { op: 'xorshr', n: 16 },
  ] as HashStep[],
  /** h = fmix32(key ^ neuron·neuronMul); h = fmix32(h ^ step·stepMul). */
  neuronMul: 0x9e3779b1,
  stepMul: 0x85ebca77,
  /** u = (h >> uShift + 0.5) · uScale. */
  uShift: 8,
  uScale: 2 ** -24,
  maxCount: 64,
} as const;

const hex = (x: number) => `0x${(x >>> 0).toString(16)}u`;

/** fmix32 evaluated from the template (u32 arithmetic). */
export function templateFmix32(x: number): number {
  let h = x >>> 0;
  for (const s of POISSON_TEMPLATE.fmix32) h = s.op === 'xorshr' ? (h ^ (h >>> s.n)) >>> 0 : Math.imul(h, s.c) >>> 0;
  return h;
}

/** counterHash evaluated from the template. */
export function templateCounterHash(key: number, neuron: number, step: number): number {
  const T = POISSON_TEMPLATE;
  let h = templateFmix32((key ^ Math.imul(neuron >>> 0, T.neuronMul)) >>> 0);
  h = templateFmix32((h ^ Math.imul(step >>> 0, T.stepMul)) >>> 0);
  return h;
}

/** The template's fmix32 against src/util/rng.ts's mix32 (the one the TypeScript kernels use). */
export function sameAsMix32(x: number): boolean {
  return templateFmix32(x) === mix32(x);
}

/** WGSL functions: nm_fmix32, nm_counter_hash, nm_uniform24, nm_poisson_count. */
export function poissonWgsl(): string {
  const T = POISSON_TEMPLATE;
  const body = T.fmix32.map((s) => (s.op === 'xorshr' ? `  h = h ^ (h >> ${s.n}u);` : `  h = h * ${hex(s.c)};`));
  return [
    '// poisson.counts (kernels/wgsl/poisson.ts, from POISSON_TEMPLATE; kernels/poisson.ts is the TypeScript twin)',
    'fn nm_fmix32(x: u32) -> u32 {',
    '  var h = x;',
    ...body,
    '  return h;',
    '}',
    'fn nm_counter_hash(key: u32, neuron: u32, step: u32) -> u32 {',
    `  let h = nm_fmix32(key ^ (neuron * ${hex(T.neuronMul)}));`,
    `  return nm_fmix32(h ^ (step * ${hex(T.stepMul)}));`,
    '}',
    'fn nm_uniform24(h: u32) -> f32 {',
    `  return (f32(h >> ${T.uShift}u) + 0.5f) * ${f32(T.uScale)};`,
    '}',
    'fn nm_poisson_count(u: f32, lambda: f32, p0: f32) -> u32 {',
    '  var k = 0u;',
    '  var p = p0;',
    '  var cdf = p0;',
    `  while (u > cdf && k < ${T.maxCount}u) {`,
    '    k = k + 1u;',
    '    p = (p * lambda) / f32(k);',
    '    cdf = cdf + p;',
    '  }',
    '  return k;',
    '}',
  ].join('\n');
}
