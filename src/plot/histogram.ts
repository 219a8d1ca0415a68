/** Histograms of one or more samples, overlaid as translucent bars (counts per bin). */
import { axes, colour, emptyMessage, esc, extent, legend, num, svgDocument, type Box } from './svg.js';

export interface HistogramSeries {
  label: string;
  values: ArrayLike<number>;
}

export interface HistogramOptions {
  title: string;
  /** Axis label with units, e.g. "ISI (ms)". */
  xLabel: string;
  /** Number of bins (default 40). */
  bins?: number;
  /** Range; default [0 or the minimum, maximum] of the finite values. */
  range?: [number, number];
}

/** Counts of finite values in `bins` equal bins over [lo, hi] (hi included); values outside are not counted. */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number): { counts: Uint32Array; outside: number } {
  const counts = new Uint32Array(bins);
  let outside = 0;
  const width = (hi - lo) / bins || 1;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo || v > hi) {
      outside++;
      continue;
    }
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  return { counts, outside };
}

export function histogramSvg(series: HistogramSeries[], options: HistogramOptions): string {
  const W = 900;
  const H = 320;
  const box: Box = { x: 70, y: 36, width: W - 70 - 150, height: H - 36 - 50 };
  const bins = Math.max(1, Math.floor(options.bins ?? 40));
  const [vLo, vHi] = extent(series.flatMap((s) => Array.from(s.values)));
  const lo = options.range?.[0] ?? Math.min(0, vLo);
  const hi = options.range?.[1] ?? (vHi > lo ? vHi : lo + 1);
  const hists = series.map((s) => histogram(s.values, bins, lo, hi));
  const maxCount = Math.max(1, ...hists.flatMap((h) => Array.from(h.counts)));
  const a = axes({ box, x: { lo, hi, label: options.xLabel }, y: { lo: 0, hi: maxCount, label: 'count' } });
  const body = [a.svg];
  const width = (hi - lo) / bins;
  hists.forEach((h, k) => {
    body.push(`<g class="histogram" data-series="${esc(series[k]!.label)}" fill="${colour(k)}" fill-opacity="${series.length > 1 ? 0.45 : 0.8}">`);
    h.counts.forEach((c, b) => {
      if (c === 0) return;
      const x0 = a.x(lo + b * width);
      const x1 = a.x(lo + (b + 1) * width);
      const y = a.y(c);
      body.push(`<rect class="bar" data-count="${c}" x="${num(x0)}" y="${num(y)}" width="${num(Math.max(0.5, x1 - x0))}" height="${num(a.y(0) - y)}"/>`);
    });
    body.push('</g>');
  });
  const total = series.reduce((s, x) => s + x.values.length, 0);
  if (total === 0) body.push(emptyMessage(box, 'no data'));
  const outside = hists.reduce((s, h) => s + h.outside, 0);
  body.push(
    legend(
      series.map((s, k) => ({ label: `${s.label} (n = ${hists[k]!.counts.reduce((x, c) => x + c, 0)})`, colour: colour(k) })),
      { x: box.x + box.width + 12, y: box.y + 12 },
    ),
  );
  return svgDocument(W, H, options.title, body, outside > 0 ? `${outside} values outside [${num(lo)}, ${num(hi)}] not shown` : undefined);
}
