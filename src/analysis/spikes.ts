/**
 * Spike-train statistics of one population: mean rate, coefficient of variation of
 * inter-spike intervals, the Golomb (2007) synchrony measure χ and the binned
 * population rate. Spikes are given as parallel arrays (neuron index, time in ms),
 * in any order — the layout of a results file's spike train.
 *
 * Windows and bins are half-open on the left, (a, b]: nematode stamps a spike with the end of
 * the step it happened in, so a run of duration T has spikes at T and none at 0, and a spike at
 * a bin edge belongs to the bin that ends there. (A spike at exactly 0, from another producer,
 * counts in the first bin.)
 */
import { ValidationError } from '../errors.js';

export interface SpikeStats {
  /** Mean firing rate over neurons (Hz), in the window (tStart, duration]. */
  rate: number;
  /** Mean CV of ISIs over neurons with ≥ 3 spikes in the window; NaN if none. */
  cvIsi: number;
  /**
   * Golomb (2007) synchrony χ = sqrt(var(mean over neurons) / mean over neurons(var)),
   * on spike counts binned at `bin` ms; NaN if undefined (no variance, < 2 bins).
   */
  synchrony: number;
  /** Spikes in the window. */
  spikes: number;
  neurons: number;
}

export interface SpikeStatsOptions {
  /** Bin width for χ (ms); default 5. */
  bin?: number;
  /** Start of the analysis window (ms), e.g. to skip a transient; default 0. */
  tStart?: number;
}

function checkSpikes(indices: ArrayLike<number>, times: ArrayLike<number>, neurons: number): void {
  if (indices.length !== times.length) {
    throw new ValidationError(`spike statistics: ${indices.length} indices but ${times.length} times.`, {
      object: 'spike train',
      parameter: 'indices/times',
      expected: 'arrays of equal length',
    });
  }
  if (!Number.isInteger(neurons) || neurons < 0) {
    throw new ValidationError(`spike statistics: neurons = ${neurons} is not a count.`, {
      object: 'spike train',
      parameter: 'neurons',
      expected: 'an integer ≥ 0',
    });
  }
  for (let s = 0; s < indices.length; s++) {
    const i = indices[s]!;
    if (!(Number.isInteger(i) && i >= 0 && i < neurons)) {
      throw new ValidationError(`spike statistics: spike ${s} has neuron index ${i}, outside 0..${neurons - 1}.`, {
        object: 'spike train',
        parameter: 'indices',
        expected: `integers in [0, ${neurons})`,
      });
    }
  }
}

function checkPositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new ValidationError(`spike statistics: ${name} = ${value} must be a finite number > 0 (ms).`, {
      object: 'spike statistics',
      parameter: name,
      expected: '> 0 ms',
    });
  }
}

/** Spike times of each neuron, sorted ascending. */
export function spikeTimesPerNeuron(indices: ArrayLike<number>, times: ArrayLike<number>, neurons: number): Float64Array[] {
  checkSpikes(indices, times, neurons);
  const counts = new Uint32Array(neurons);
  for (let s = 0; s < indices.length; s++) counts[indices[s]!]++;
  const out = Array.from(counts, (c) => new Float64Array(c));
  const fill = new Uint32Array(neurons);
  for (let s = 0; s < indices.length; s++) {
    const i = indices[s]!;
    out[i]![fill[i]!++] = times[s]!;
  }
  for (const t of out) t.sort();
  return out;
}

/** Inter-spike intervals (ms) of each neuron, in time order. */
export function isiPerNeuron(indices: ArrayLike<number>, times: ArrayLike<number>, neurons: number): Float64Array[] {
  return spikeTimesPerNeuron(indices, times, neurons).map((t) => {
    const isi = new Float64Array(Math.max(0, t.length - 1));
    for (let k = 1; k < t.length; k++) isi[k - 1] = t[k]! - t[k - 1]!;
    return isi;
  });
}

/** Mean and population standard deviation (ddof 0) of a sample. */
function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let k = 0; k < x.length; k++) sum += x[k]!;
  const mean = sum / x.length;
  let ss = 0;
  for (let k = 0; k < x.length; k++) ss += (x[k]! - mean) ** 2;
  return { mean, std: Math.sqrt(ss / x.length) };
}

/**
 * CV = std(ISI) / mean(ISI) per neuron (std with ddof 0, as in Elephant's `cv`); NaN for
 * neurons with fewer than `minSpikes` spikes (default 3, i.e. at least two intervals).
 */
export function cvPerNeuron(indices: ArrayLike<number>, times: ArrayLike<number>, neurons: number, minSpikes = 3): Float64Array {
  const isis = isiPerNeuron(indices, times, neurons);
  const cv = new Float64Array(neurons).fill(NaN);
  isis.forEach((isi, i) => {
    if (isi.length + 1 < Math.max(2, minSpikes)) return;
    const { mean, std } = meanStd(isi);
    if (mean > 0) cv[i] = std / mean;
  });
  return cv;
}

/**
 * Population rate (Hz per neuron) in bins of `bin` ms over (0, duration]. The last bin may
 * be shorter than `bin`; its rate is normalised by its own width.
 */
export function populationRate(indices: ArrayLike<number>, times: ArrayLike<number>, neurons: number, duration: number, bin: number): Float64Array {
  checkSpikes(indices, times, neurons);
  checkPositive('duration', duration);
  checkPositive('bin', bin);
  const nBins = Math.ceil(duration / bin - 1e-9);
  const counts = new Float64Array(nBins);
  for (let s = 0; s < times.length; s++) {
    const t = times[s]!;
    if (t < 0 || t > duration) continue;
    counts[binOf(t, 0, bin, nBins)]++;
  }
  if (neurons === 0) return counts.fill(NaN);
  for (let b = 0; b < nBins; b++) {
    const width = Math.min(bin, duration - b * bin);
    counts[b] = counts[b]! / neurons / (width / 1000);
  }
  return counts;
}

/**
 * Golomb (2007, Scholarpedia 2(1):1347) synchrony χ² = σ²_V / ((1/N) Σ_i σ²_Vi), where
 * V_i(t) is neuron i's spike count in bin t and V = (1/N) Σ_i V_i. χ = 1 when all neurons
 * fire together, ≈ 1/√N for independent neurons. Only whole bins in (tStart, tEnd] are used.
 */
export function golombSynchrony(indices: ArrayLike<number>, times: ArrayLike<number>, neurons: number, tStart: number, tEnd: number, bin: number): number {
  checkSpikes(indices, times, neurons);
  checkPositive('bin', bin);
  const nBins = Math.floor((tEnd - tStart) / bin + 1e-9);
  if (neurons === 0 || nBins < 2) return NaN;
  // Sparse (neuron, bin) keys: memory ∝ spikes, not neurons × bins.
  const keys: number[] = [];
  const total = new Float64Array(nBins);
  for (let s = 0; s < times.length; s++) {
    const t = times[s]!;
    if (t < tStart || t > tStart + nBins * bin + 1e-9 * bin || (t === tStart && tStart !== 0)) continue;
    const b = binOf(t, tStart, bin, nBins);
    total[b]++;
    keys.push(indices[s]! * nBins + b);
  }
  const sorted = Float64Array.from(keys).sort();
  // Per-neuron variance over bins = E[c²] − E[c]²; sum over neurons of Σ_t c and Σ_t c².
  const sumC = new Float64Array(neurons);
  const sumC2 = new Float64Array(neurons);
  for (let k = 0; k < sorted.length; ) {
    let run = 1;
    while (k + run < sorted.length && sorted[k + run] === sorted[k]) run++;
    const i = Math.floor(sorted[k]! / nBins);
    sumC[i] += run;
    sumC2[i] += run * run;
    k += run;
  }
  let meanVar = 0;
  for (let i = 0; i < neurons; i++) {
    const m = sumC[i]! / nBins;
    meanVar += Math.max(0, sumC2[i]! / nBins - m * m);
  }
  meanVar /= neurons;
  let popVar = 0;
  {
    for (let b = 0; b < nBins; b++) total[b] = total[b]! / neurons;
    popVar = meanStd(total).std ** 2;
  }
  if (!(meanVar > 0)) return NaN;
  return Math.sqrt(popVar / meanVar);
}

/** The bin (tStart + b·bin, tStart + (b+1)·bin] holding t, clamped to 0..nBins−1. */
function binOf(t: number, tStart: number, bin: number, nBins: number): number {
  return Math.min(nBins - 1, Math.max(0, Math.ceil((t - tStart) / bin - 1e-9) - 1));
}

/** Rate, CV of ISIs, synchrony χ and spike count of one population in (tStart, duration]. */
export function spikeStats(
  indices: ArrayLike<number>,
  times: ArrayLike<number>,
  neurons: number,
  duration: number,
  options: SpikeStatsOptions = {},
): SpikeStats {
  checkSpikes(indices, times, neurons);
  const bin = options.bin ?? 5;
  const tStart = options.tStart ?? 0;
  checkPositive('bin', bin);
  if (!(Number.isFinite(tStart) && Number.isFinite(duration) && duration > tStart)) {
    throw new ValidationError(`spike statistics: window (${tStart}, ${duration}] ms is empty.`, {
      object: 'spike statistics',
      parameter: 'duration/tStart',
      expected: 'finite, duration > tStart',
    });
  }
  const keep: number[] = [];
  for (let s = 0; s < times.length; s++) {
    const t = times[s]!;
    if ((t > tStart || (t === 0 && tStart === 0)) && t <= duration) keep.push(s);
  }
  const wIdx = Float64Array.from(keep, (s) => indices[s]!);
  const wTimes = Float64Array.from(keep, (s) => times[s]!);
  const window = duration - tStart;
  const rate = neurons > 0 ? keep.length / neurons / (window / 1000) : NaN;
  const cv = cvPerNeuron(wIdx, wTimes, neurons, 3);
  let cvSum = 0;
  let cvN = 0;
  for (const c of cv) if (!Number.isNaN(c)) (cvSum += c), cvN++;
  return {
    rate,
    cvIsi: cvN > 0 ? cvSum / cvN : NaN,
    synchrony: golombSynchrony(wIdx, wTimes, neurons, tStart, duration, bin),
    spikes: keep.length,
    neurons,
  };
}
