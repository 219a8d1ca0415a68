/**
 * Kernels `spikes.compact` and `spikes.deliver`: spike delivery whose cost is
 * proportional to synaptic events, not to synapses × steps (benchmarks.md §8).
 *
 * compact: the spike-flag row of a neuron update → the ascending list of neurons
 * that spiked. deliver: for each spiking neuron, its CSR row is scattered into a
 * fixed-point ring buffer of the target receptor, slot (step + delay) mod L, as
 * integer units: w_int = round(w · scale). Integer addition is associative, so the
 * sums do not depend on the order in which spikes are delivered (on a GPU: the order
 * of atomicAdd calls), and the scale is chosen per receptor so that no sum can
 * overflow 2^31 (see `fixedPointScale`). The neuron update of step n reads slot n mod L
 * divided by the scale, and the slot is cleared.
 *
 * gpu.js maps one thread to one output element and cannot scatter, so these kernels
 * are plain TypeScript on the cpu and webasm backends.
 */

/** Spiking neurons of a flag row (values 0/1), ascending; returns the count written into `out`. */
export function compactSpikes(flags: Float32Array, out: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i]! > 0.5) out[n++] = i;
  return n;
}

/**
 * The largest power of two s such that Σ_k |w_k| · s · headroom < 2^31 for every
 * target: `maxAbsInput` is the largest sum of |weights| into one neuron of the
 * receptor (every presynaptic neuron spiking in the same step), `headroom` allows
 * several spikes per step from sources. Powers of two make w · s exact in float.
 */
export function fixedPointScale(maxAbsInput: number, headroom = 4): number {
  if (!(maxAbsInput > 0)) return 1;
  return 2 ** Math.floor(Math.log2((2 ** 31 - 1) / (maxAbsInput * headroom)));
}

/** A projection prepared for fixed-point scatter. */
export interface FixedPointProjection {
  rowPtr: Uint32Array;
  targets: Uint32Array;
  /** Integer weight units per synapse (or one value for all). */
  weights: Int32Array | number;
  /** Delay in steps per synapse (or one value for all), ≥ 1. */
  delays: Uint16Array | Uint32Array | number;
  /** Ring of the target receptor: L slots × postSize, Int32. */
  ring: Int32Array;
  slots: number;
  postSize: number;
}

/**
 * Scatters the rows of `count` spiking neurons (each `multiplicity` times when given:
 * a source spiking twice in one step) emitted at `step`. Returns the synaptic events.
 */
export function deliverSpikes(p: FixedPointProjection, spikes: Uint32Array, count: number, step: number, multiplicity?: Uint32Array): number {
  const { rowPtr, targets, ring, slots, postSize } = p;
  let events = 0;
  for (let s = 0; s < count; s++) {
    const j = spikes[s]!;
    const m = multiplicity ? multiplicity[s]! : 1;
    const a = rowPtr[j]!;
    const b = rowPtr[j + 1]!;
    events += (b - a) * m;
    if (typeof p.delays === 'number') {
      const base = ((step + p.delays) % slots) * postSize;
      if (typeof p.weights === 'number') {
        const w = p.weights * m;
        for (let k = a; k < b; k++) ring[base + targets[k]!] += w;
      } else {
        const W = p.weights;
        for (let k = a; k < b; k++) ring[base + targets[k]!] += W[k]! * m;
      }
    } else {
      const D = p.delays;
      const now = step % slots;
      for (let k = a; k < b; k++) {
        let slot = now + D[k]!;
        if (slot >= slots) slot -= slots;
        ring[slot * postSize + targets[k]!] += (typeof p.weights === 'number' ? p.weights : p.weights[k]!) * m;
      }
    }
  }
  return events;
}

/** Reads slot `slot` of a ring as floats (units / scale) into `out` (+=), and clears it. */
export function drainSlot(ring: Int32Array, slot: number, size: number, scale: number, out: Float32Array): void {
  const base = slot * size;
  const inv = 1 / scale;
  for (let i = 0; i < size; i++) {
    const u = ring[base + i]!;
    if (u !== 0) {
      out[i] = out[i]! + u * inv;
      ring[base + i] = 0;
    }
  }
}
