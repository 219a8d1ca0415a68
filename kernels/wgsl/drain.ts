/**
 * `inputs.drain` in WGSL: the arrivals of a step for one neuron and receptor, as f32:
 * the ring slot of the step (fixed-point units × 1/scale, then the slot is cleared),
 * plus timed inputs (spike-time stimuli: the summed weight of the step, from the step
 * block), plus Poisson stimuli (counts from `poisson.counts`' generator × weight), in
 * that order, as kernels/deliver.ts's drainSlot and the host loop add them.
 *
 * It has no dispatch of its own: its lines run inside `neuron.update` (one thread per
 * neuron already reads the neuron's slot), which saves one dispatch per population and
 * step. f32(u)·2⁻ᵏ is exactly Math.fround(u·2⁻ᵏ) (scaling by a power of two commutes
 * with rounding), so the drained value is the host backends' bit for bit.
 */
import { stepExtra } from './common.js';
import { f32 } from './translate.js';

export interface PoissonStimSpec {
  /** Stream key (streamKey(seed, 'poisson-stimulus', label)). */
  key: number;
  /** λ per step (float32) and e^−λ (float32). */
  lambda: number;
  p0: number;
  /** Active steps [from, to). */
  from: number;
  to: number;
  weight: number;
  /** Threads [first, first + count) of the kernel are the stimulated population's neurons 0…count−1. */
  first: number;
  count: number;
  /** Whether the kernel runs other populations too (then the thread range is checked). */
  checkRange: boolean;
  /** Element offset of a 0/1 mask row in C (over the kernel's threads), when the stimulus reaches some neurons only. */
  mask?: number;
}

export interface TimedInputSpec {
  /** Field of the step block holding this step's entry in C (NONE when none). */
  extra: number;
  /** Element offset in C of the entries' weights. */
  weights: number;
  /** Element offset of a row in C: how many times the stimulus lists the neuron. */
  mask: number;
}

export interface DrainReceptor {
  receptor: string;
  /** Ring channel of neuron 0 (the ring is slots × channels i32). */
  channel?: number;
  /** 1/scale of the receptor's fixed point (a power of two), or a row of C with one per neuron. */
  invScale?: number | { row: number };
  timed: TimedInputSpec[];
  poisson: PoissonStimSpec[];
}

/** Lines declaring `in_<k>` (k = receptor index) for each receptor; uses i, P, RING, C, wg_ev. */
export function drainLines(receptors: DrainReceptor[], ringChannels: number, ind = '    '): string[] {
  const L: string[] = [];
  receptors.forEach((r, k) => {
    L.push(`${ind}// inputs.drain: receptor ${r.receptor}`);
    L.push(`${ind}var in_${k} = 0.0f;`);
    if (r.channel !== undefined) {
      L.push(`${ind}{`);
      L.push(`${ind}  let at = P.slot * ${ringChannels}u + ${r.channel}u + i;`);
      L.push(`${ind}  let u = RING[at];`);
      const inv = typeof r.invScale === 'number' ? f32(r.invScale) : `C[${r.invScale!.row}u + i]`;
      L.push(`${ind}  if (u != 0) { in_${k} = f32(u) * ${inv}; RING[at] = 0; }`);
      L.push(`${ind}}`);
    }
    for (const t of r.timed) {
      L.push(`${ind}{`);
      L.push(`${ind}  let e = ${stepExtra(t.extra)};`);
      L.push(`${ind}  if (e != 0xffffffffu) { in_${k} = in_${k} + C[${t.weights}u + e] * C[${t.mask}u + i]; }`);
      L.push(`${ind}}`);
    }
    for (const p of r.poisson) {
      const range = p.checkRange ? [...(p.first > 0 ? [`i >= ${p.first}u`] : []), `i < ${p.first + p.count}u`] : [];
      const active = [`P.step >= ${p.from}u`, `P.step < ${p.to}u`, ...range, ...(p.mask !== undefined ? [`C[${p.mask}u + i] > 0.5f`] : [])].join(' && ');
      const index = p.first > 0 ? `i - ${p.first}u` : 'i';
      L.push(`${ind}if (${active}) {`);
      L.push(`${ind}  let c = nm_poisson_count(nm_uniform24(nm_counter_hash(0x${(p.key >>> 0).toString(16)}u, ${index}, P.step)), ${f32(p.lambda)}, ${f32(p.p0)});`);
      L.push(`${ind}  if (c > 0u) { in_${k} = in_${k} + f32(c) * ${f32(p.weight)}; atomicAdd(&wg_ev, c); }`);
      L.push(`${ind}}`);
    }
  });
  return L;
}
