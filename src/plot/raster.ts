/**
 * Spike raster (one row per neuron, one tick per spike), grouped by population or by any
 * grouping of neurons (e.g. neuron class), with the recorded population rates below it.
 * Bounded in size: above `maxDots` spikes every k-th spike is drawn and a note says so.
 */
import { axes, colour, emptyMessage, esc, extent, linePath, num, svgDocument, type Box } from './svg.js';

export interface SpikeTrainLike {
  population: string;
  /** Neuron index of each spike (within its population). */
  indices: ArrayLike<number>;
  /** Spike times (ms). */
  times: ArrayLike<number>;
}

export interface RateLike {
  population: string;
  /** Bin width (ms). */
  bin: number;
  /** Hz per bin; bin b covers [b·bin, (b+1)·bin). */
  rate: ArrayLike<number>;
}

export interface RasterOptions {
  title: string;
  /** ms; the time axis runs from 0 to duration. */
  duration: number;
  /** Neurons per population (rows); default: largest spiking index + 1. */
  sizes?: Record<string, number>;
  /** At most this many spikes are drawn (default 20000). */
  maxDots?: number;
  /** Group of a neuron (default: its population), e.g. its class; rows are sorted by group. */
  groupOf?: (population: string, neuron: number) => string;
  /** Order of groups (others follow in order of first appearance). */
  groupOrder?: string[];
  /** Draw the population-rate panel below the raster when rates are given (default true). */
  showRates?: boolean;
}

export const DEFAULT_MAX_DOTS = 20000;

interface Row {
  population: string;
  neuron: number;
  group: string;
}

function sizesOf(trains: SpikeTrainLike[], sizes: Record<string, number> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const tr of trains) {
    let n = sizes?.[tr.population];
    if (n === undefined) {
      n = 0;
      for (let s = 0; s < tr.indices.length; s++) n = Math.max(n, tr.indices[s]! + 1);
    }
    out.set(tr.population, n);
  }
  return out;
}

/** Rows ordered by group (given order first), then population order, then index. */
function layoutRows(trains: SpikeTrainLike[], sizes: Map<string, number>, options: RasterOptions): { rows: Row[]; groups: string[] } {
  const rows: Row[] = [];
  for (const tr of trains) {
    const n = sizes.get(tr.population)!;
    for (let i = 0; i < n; i++) rows.push({ population: tr.population, neuron: i, group: options.groupOf ? options.groupOf(tr.population, i) : tr.population });
  }
  const groups = [...(options.groupOrder ?? []).filter((g) => rows.some((r) => r.group === g))];
  for (const r of rows) if (!groups.includes(r.group)) groups.push(r.group);
  const rank = new Map(groups.map((g, k) => [g, k]));
  const stable = rows.map((r, k) => ({ r, k }));
  stable.sort((a, b) => rank.get(a.r.group)! - rank.get(b.r.group)! || a.k - b.k);
  return { rows: stable.map((s) => s.r), groups };
}

export function rasterSvg(data: { spikes: SpikeTrainLike[]; rates?: RateLike[] }, options: RasterOptions): string {
  const W = 900;
  const trains = data.spikes;
  const rates = options.showRates === false ? [] : (data.rates ?? []).filter((r) => r.rate.length > 0);
  const sizes = sizesOf(trains, options.sizes);
  const { rows, groups } = layoutRows(trains, sizes, options);
  const rasterBox: Box = { x: 110, y: 36, width: W - 110 - 20, height: 300 };
  const rateBox: Box = { x: 110, y: rasterBox.y + rasterBox.height + 48, width: rasterBox.width, height: 110 };
  const H = (rates.length > 0 ? rateBox.y + rateBox.height : rasterBox.y + rasterBox.height) + 46;
  const body: string[] = [];

  // Time axis of the raster (no y ticks: the rows are labelled by group instead).
  const a = axes({ box: rasterBox, x: { lo: 0, hi: options.duration, label: 'time (ms)' }, y: { lo: 0, hi: 1, label: `neurons (${rows.length})`, hidden: true, labelOffset: 96 } });
  body.push(a.svg);
  const x = a.x;

  const rowOf = new Map<string, Int32Array>();
  for (const tr of trains) rowOf.set(tr.population, new Int32Array(sizes.get(tr.population)!).fill(-1));
  rows.forEach((r, k) => (rowOf.get(r.population)![r.neuron] = k));
  const rowY = (k: number) => rasterBox.y + ((k + 0.5) / Math.max(1, rows.length)) * rasterBox.height;

  const total = trains.reduce((s, tr) => s + tr.times.length, 0);
  const maxDots = Math.max(1, options.maxDots ?? DEFAULT_MAX_DOTS);
  const stride = Math.max(1, Math.ceil(total / maxDots));
  const paths = new Map<string, string[]>(groups.map((g) => [g, []]));
  const groupIndex = new Map(groups.map((g, k) => [g, k]));
  let drawn = 0;
  let seen = 0;
  for (const tr of trains) {
    const rowsOfPop = rowOf.get(tr.population)!;
    for (let s = 0; s < tr.times.length; s++, seen++) {
      if (seen % stride !== 0) continue;
      const row = rowsOfPop[tr.indices[s]!] ?? -1;
      const t = tr.times[s]!;
      if (row < 0 || !(t >= 0 && t <= options.duration)) continue;
      paths.get(rows[row]!.group)!.push(`M${num(x(t))} ${num(rowY(row) - 1.2)}v2.4`);
      drawn++;
    }
  }
  const lineWidth = rows.length > 150 ? 1 : 1.5;
  body.push('<g class="raster">');
  for (const g of groups) {
    const d = paths.get(g)!;
    if (d.length > 0) body.push(`<path class="spikes" data-group="${esc(g)}" data-dots="${d.length}" d="${d.join('')}" stroke="${colour(groupIndex.get(g)!)}" stroke-width="${lineWidth}" fill="none"/>`);
  }
  body.push('</g>');

  // Group labels and separators.
  let start = 0;
  const maxLabels = 40;
  const labelEvery = Math.max(1, Math.ceil(groups.length / maxLabels));
  groups.forEach((g, k) => {
    let end = start;
    while (end < rows.length && rows[end]!.group === g) end++;
    const yMid = (rowY(start) + rowY(end - 1)) / 2;
    if (k % labelEvery === 0) body.push(`<text x="${num(rasterBox.x - 6)}" y="${num(yMid + 4)}" text-anchor="end" fill="${colour(k)}">${esc(g)}</text>`);
    if (k > 0) {
      const ySep = rasterBox.y + (start / rows.length) * rasterBox.height;
      body.push(`<line x1="${rasterBox.x}" x2="${rasterBox.x + rasterBox.width}" y1="${num(ySep)}" y2="${num(ySep)}" stroke="#ccc"/>`);
    }
    start = end;
  });
  if (total === 0) body.push(emptyMessage(rasterBox, 'no spikes'));

  if (rates.length > 0) {
    const [, hi] = extent(rates.flatMap((r) => Array.from(r.rate)));
    const ra = axes({ box: rateBox, x: { lo: 0, hi: options.duration, label: 'time (ms)' }, y: { lo: 0, hi: Math.max(1, hi), label: 'rate (Hz)', ticks: 3 } });
    body.push(ra.svg);
    rates.forEach((r) => {
      const k = Math.max(0, groups.indexOf(r.population));
      const xs = Array.from(r.rate, (_, b) => (b + 0.5) * r.bin);
      body.push(`<path class="rate" data-population="${esc(r.population)}" d="${linePath(xs, r.rate, ra.x, ra.y)}" stroke="${colour(options.groupOf ? trains.findIndex((t) => t.population === r.population) : k)}" fill="none" stroke-width="1.2"/>`);
    });
  }
  const note = stride > 1 ? `showing 1 in ${stride} spikes (${drawn} of ${total})` : undefined;
  return svgDocument(W, H, options.title, body, note);
}
