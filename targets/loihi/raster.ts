/**
 * Spike sources as fixed input rasters for a Lava RingBuffer (spec §2.4: step t sends
 * column t − 1, so column c holds the spikes the clock engine emits in its step c, i.e.
 * at time (c + 1)·dt).
 *
 * - spike_source_array: each spike time goes to the engine's emission step
 *   (`emissionStep`: the grid point at or after it).
 * - spike_source_poisson: the trains are drawn exactly as the clock engine draws them —
 *   the same per-neuron streams (run seed, "poisson-source", label, neuron) and the same
 *   loop — so the raster holds the spikes `nematode run` gives those neurons for that seed.
 *
 * A source neuron may fire several times in one step, and nematode delivers every spike,
 * but a Lava spike is one bit: a RingBuffer row sends 0 or 1 per step and the connection
 * processes read it as a bool. The raster therefore keeps every spike — a (neuron,
 * column) pair appears once per spike — and `copies` is the most spikes one neuron fires
 * in one step: the Lava script gives the RingBuffer that many rows per neuron (copy m
 * fires on the neuron's (m + 1)-th spike of a step) and repeats the neuron's synapses for
 * each copy, which sums exactly what nematode sums.
 */
import { emissionStep } from '../../src/engines/clock/plan.js';
import type { ResolvedPopulation } from '../../src/ir/validate.js';
import { valueAt } from '../../src/ir/validate.js';
import { RngBank } from '../../src/util/rng.js';

export interface Raster {
  /** Spike k: neuron[k] in column[k] (0-based; sent in Lava step column + 1), sorted by column, then neuron; a pair repeats once per spike. */
  neuron: number[];
  column: number[];
  /** The most spikes one neuron fires in one step (1 when none fires twice; 1 for an empty raster). */
  copies: number;
  /** Spikes beyond the exported steps, left out. */
  beyond: number;
}

/** The raster of a spike source population over `steps` steps of `dt` ms. */
export function sourceRaster(pop: ResolvedPopulation, dt: number, steps: number, seed: number): Raster {
  const perNeuron: number[][] = [];
  let beyond = 0;
  if (pop.model.name === 'spike_source_array') {
    const times = pop.ir.spikeTimes ?? [];
    for (let j = 0; j < pop.size; j++) {
      const cols: number[] = [];
      for (const t of times[j] ?? []) {
        const c = emissionStep(t, dt);
        if (c < steps) cols.push(c);
        else beyond++;
      }
      perNeuron.push(cols);
    }
  } else {
    // The clock engine's Poisson source (src/engines/clock/loop.ts), neuron by neuron.
    const bank = new RngBank(1);
    for (let j = 0; j < pop.size; j++) {
      const rate = valueAt(pop.params.rate!, j);
      const start = valueAt(pop.params.start!, j);
      const stop = valueAt(pop.params.stop!, j);
      bank.seed(0, seed, 'poisson-source', pop.label, j);
      const mean = rate > 0 ? 1000 / rate : Infinity;
      let t = mean === Infinity ? Infinity : start + bank.exponential(0, mean);
      if (t >= stop) t = Infinity;
      const cols: number[] = [];
      for (let n = 0; n < steps && t !== Infinity; n++) {
        const tEnd = (n + 1) * dt;
        while (t <= tEnd) {
          cols.push(n);
          t += bank.exponential(0, mean);
          if (t >= stop) t = Infinity;
        }
      }
      perNeuron.push(cols);
    }
  }
  const pairs: [number, number][] = [];
  let copies = 1;
  perNeuron.forEach((cols, j) => {
    // Each neuron's columns are ascending: a run of equal columns is one step's spikes.
    let run = 0;
    cols.forEach((c, k) => {
      run = k > 0 && cols[k - 1] === c ? run + 1 : 1;
      if (run > copies) copies = run;
      pairs.push([c, j]);
    });
  });
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { neuron: pairs.map((p) => p[1]), column: pairs.map((p) => p[0]), copies, beyond };
}
