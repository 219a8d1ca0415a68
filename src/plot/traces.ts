/**
 * Line plots of recorded state variables: class-averaged ΔV panels for the worm
 * experiments (classSeries, tracesSvg) and the traces of chosen neurons (neuronTracesSvg).
 * Long traces are reduced to their minimum and maximum per pixel column, so spikes and
 * peaks survive while the SVG stays small.
 */
import type { StateTrace } from '../engines/types.js';
import { ValidationError } from '../errors.js';
import { axes, colour, esc, extent, legend, num, svgDocument, type Box, type Scale } from './svg.js';

export interface ClassSeries {
  label: string;
  /** ΔV per sample (mV). */
  values: Float64Array;
}

/** Class means of ΔV = v − mean(v over the baseline window), from a `v` trace. */
export function classSeries(tr: StateTrace, names: string[], classOf: (name: string) => string, classes: string[], baseline: [number, number]): ClassSeries[] {
  const n = tr.indices.length;
  const samples = tr.data.length / n;
  const b0 = Math.max(0, Math.ceil(baseline[0] / tr.samplingPeriod - 1e-9));
  const b1 = Math.min(samples, Math.ceil(baseline[1] / tr.samplingPeriod - 1e-9));
  return classes.map((cls) => {
    const ks = [...tr.indices].flatMap((idx, k) => (classOf(names[idx]!) === cls ? [k] : []));
    const values = new Float64Array(samples);
    for (const k of ks) {
      let base = 0;
      for (let s = b0; s < b1; s++) base += tr.data[s * n + k]!;
      base /= Math.max(1, b1 - b0);
      for (let s = 0; s < samples; s++) values[s] += (tr.data[s * n + k]! - base) / ks.length;
    }
    return { label: cls, values };
  });
}

/**
 * Min/max decimation: at most 2 points per pixel column of `columns`, in time order.
 * `value(s)` is sample s; returns the sample numbers to draw.
 */
export function decimate(samples: number, columns: number, value: (s: number) => number): number[] {
  if (samples <= 2 * columns) return Array.from({ length: samples }, (_, s) => s);
  const out: number[] = [];
  for (let c = 0; c < columns; c++) {
    const s0 = Math.floor((c * samples) / columns);
    const s1 = Math.floor(((c + 1) * samples) / columns);
    let sMin = s0;
    let sMax = s0;
    for (let s = s0; s < s1; s++) {
      if (value(s) < value(sMin)) sMin = s;
      if (value(s) > value(sMax)) sMax = s;
    }
    out.push(Math.min(sMin, sMax));
    if (sMax !== sMin) out.push(Math.max(sMin, sMax));
  }
  return out;
}

function seriesPath(samples: number, value: (s: number) => number, time: (s: number) => number, x: Scale, y: Scale, columns: number): string {
  let d = '';
  for (const s of decimate(samples, columns, value)) {
    const v = value(s);
    if (!Number.isFinite(v)) continue;
    d += `${d === '' ? 'M' : 'L'}${num(x(time(s)))} ${num(y(v))}`;
  }
  return d;
}

/** One panel per category (e.g. interneurons, motor neurons) of class-mean ΔV over time. */
export function tracesSvg(panels: { title: string; series: ClassSeries[] }[], options: { title: string; samplingPeriod: number; stimulus?: [number, number] }): string {
  const W = 900;
  const PH = 220;
  const top = 40;
  const H = top + panels.length * (PH + 64) + 10;
  const body: string[] = [];
  panels.forEach((panel, p) => {
    const box: Box = { x: 70, y: top + p * (PH + 64) + 14, width: W - 70 - 140, height: PH };
    const samples = panel.series[0]?.values.length ?? 0;
    const tMax = Math.max(samples * options.samplingPeriod, options.samplingPeriod);
    const [lo, hi] = extent([0, ...panel.series.flatMap((s) => Array.from(s.values))]);
    const a = axes({ box, x: { lo: 0, hi: tMax, label: 'time (ms)' }, y: { lo, hi, label: 'ΔV (mV)' } });
    body.push(`<text x="${box.x}" y="${box.y - 5}" font-size="13">${esc(panel.title)}</text>`);
    if (options.stimulus) {
      const [s0, s1] = options.stimulus.map((t) => Math.min(tMax, Math.max(0, t))) as [number, number];
      body.push(`<rect class="stimulus" x="${num(a.x(s0))}" y="${box.y}" width="${num(a.x(s1) - a.x(s0))}" height="${box.height}" fill="#fff3c4"/>`);
    }
    body.push(a.svg);
    body.push(`<line x1="${box.x}" x2="${box.x + box.width}" y1="${num(a.y(0))}" y2="${num(a.y(0))}" stroke="#bbb" stroke-dasharray="4 3"/>`);
    panel.series.forEach((s, k) => {
      const d = seriesPath(s.values.length, (i) => s.values[i]!, (i) => i * options.samplingPeriod, a.x, a.y, box.width);
      body.push(`<path class="trace" data-label="${esc(s.label)}" d="${d}" fill="none" stroke="${colour(k)}" stroke-width="1.5"/>`);
    });
    body.push(legend(panel.series.map((s, k) => ({ label: s.label, colour: colour(k) })), { x: box.x + box.width + 12, y: box.y + 12 }));
  });
  return svgDocument(W, H, options.title, body);
}

export type TraceLike = Pick<StateTrace, 'population' | 'variable' | 'units' | 'indices' | 'tStart' | 'samplingPeriod' | 'data'>;

export interface NeuronTracesOptions {
  title: string;
  /** Population indices of the neurons to draw (default: the first `maxNeurons` recorded). */
  neurons?: number[];
  /** Names of the population's neurons (e.g. `neuronNames`), used to select (`names`) and label. */
  neuronNames?: string[];
  /** Neurons to draw by name (needs `neuronNames`). */
  names?: string[];
  /** Default 8. */
  maxNeurons?: number;
}

/** The recorded variable of chosen neurons over time, one line each, labelled by name or index. */
export function neuronTracesSvg(trace: TraceLike, options: NeuronTracesOptions): string {
  const recorded = Array.from(trace.indices);
  let wanted: number[];
  if (options.names) {
    const names = options.neuronNames ?? [];
    wanted = options.names.map((nm) => {
      const i = names.indexOf(nm);
      if (i < 0 || !recorded.includes(i)) {
        throw new ValidationError(`neuron "${nm}" has no recorded ${trace.variable} trace in population "${trace.population}".`, { object: `trace ${trace.population}.${trace.variable}`, parameter: 'names', expected: recorded.map((r) => names[r] ?? String(r)).join(', ') });
      }
      return i;
    });
  } else {
    wanted = (options.neurons ?? recorded).slice(0, options.maxNeurons ?? 8);
  }
  const columns = wanted.map((i) => {
    const k = recorded.indexOf(i);
    if (k < 0) throw new ValidationError(`neuron ${i} has no recorded ${trace.variable} trace in population "${trace.population}".`, { object: `trace ${trace.population}.${trace.variable}`, parameter: 'neurons', expected: recorded.join(', ') });
    return k;
  });
  const n = recorded.length;
  const samples = n > 0 ? trace.data.length / n : 0;
  const W = 900;
  const H = 340;
  const box: Box = { x: 70, y: 36, width: W - 70 - 140, height: H - 36 - 50 };
  const value = (k: number) => (s: number) => trace.data[s * n + k]!;
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of columns) for (let s = 0; s < samples; s++) (lo = Math.min(lo, value(k)(s))), (hi = Math.max(hi, value(k)(s)));
  if (!(lo <= hi)) [lo, hi] = [0, 1];
  const tEnd = trace.tStart + Math.max(1, samples) * trace.samplingPeriod;
  const a = axes({ box, x: { lo: trace.tStart, hi: tEnd, label: 'time (ms)' }, y: { lo, hi, label: `${trace.variable} (${trace.units})` } });
  const body = [a.svg];
  const label = (i: number) => options.neuronNames?.[i] ?? `${trace.population}[${i}]`;
  columns.forEach((k, j) => {
    const d = seriesPath(samples, value(k), (s) => trace.tStart + s * trace.samplingPeriod, a.x, a.y, box.width);
    body.push(`<path class="trace" data-neuron="${wanted[j]}" d="${d}" fill="none" stroke="${colour(j)}" stroke-width="1.2"/>`);
  });
  body.push(legend(wanted.map((i, j) => ({ label: label(i), colour: colour(j) })), { x: box.x + box.width + 12, y: box.y + 12 }));
  return svgDocument(W, H, options.title, body);
}
