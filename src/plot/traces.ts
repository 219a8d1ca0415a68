/**
 * SVG line plot of class-averaged membrane-potential changes (ΔV from the baseline
 * window) over time, one panel per category (interneurons, motor neurons), for the
 * worm experiments. Plain SVG, no dependencies.
 */
import type { StateTrace } from '../engines/types.js';

export interface ClassSeries {
  label: string;
  /** ΔV per sample (mV). */
  values: Float64Array;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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

export function tracesSvg(panels: { title: string; series: ClassSeries[] }[], options: { title: string; samplingPeriod: number; stimulus?: [number, number] }): string {
  const W = 900;
  const PH = 240;
  const L = 70;
  const R = 130;
  const T = 40;
  const H = T + panels.length * (PH + 40) + 20;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`];
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(options.title)}</text>`);
  panels.forEach((panel, p) => {
    const y0 = T + p * (PH + 40) + 10;
    const samples = panel.series[0]?.values.length ?? 0;
    const tMax = samples * options.samplingPeriod;
    let lo = 0;
    let hi = 0;
    for (const s of panel.series) for (const v of s.values) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    if (hi - lo < 1e-9) hi = lo + 1;
    const x = (t: number) => L + ((W - L - R) * t) / Math.max(tMax, 1e-9);
    const y = (v: number) => y0 + PH - (PH * (v - lo)) / (hi - lo);
    out.push(`<text x="${L}" y="${y0 - 4}" font-size="13">${esc(panel.title)}</text>`);
    if (options.stimulus) out.push(`<rect x="${x(options.stimulus[0])}" y="${y0}" width="${x(options.stimulus[1]) - x(options.stimulus[0])}" height="${PH}" fill="#fff3c4"/>`);
    out.push(`<rect x="${L}" y="${y0}" width="${W - L - R}" height="${PH}" fill="none" stroke="#444"/>`);
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(0)}" y2="${y(0)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${L - 6}" y="${y(hi) + 4}" text-anchor="end">${hi.toPrecision(2)}</text>`, `<text x="${L - 6}" y="${y(lo) + 4}" text-anchor="end">${lo.toPrecision(2)}</text>`);
    out.push(`<text x="18" y="${y0 + PH / 2}" transform="rotate(-90 18 ${y0 + PH / 2})" text-anchor="middle">ΔV (mV)</text>`);
    out.push(`<text x="${W - R}" y="${y0 + PH + 16}" text-anchor="end">${(tMax / 1000).toFixed(1)} s</text>`, `<text x="${L}" y="${y0 + PH + 16}">0</text>`);
    panel.series.forEach((s, k) => {
      const stride = Math.max(1, Math.floor(s.values.length / 1500));
      const pts: string[] = [];
      for (let i = 0; i < s.values.length; i += stride) pts.push(`${x(i * options.samplingPeriod).toFixed(1)},${y(s.values[i]!).toFixed(1)}`);
      const c = COLOURS[k % COLOURS.length]!;
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
      out.push(`<text x="${W - R + 8}" y="${y0 + 14 + 15 * k}" fill="${c}">${esc(s.label)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
