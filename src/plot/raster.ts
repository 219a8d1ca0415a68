/**
 * A spike raster with the population rate below it, as a self-contained SVG
 * (no browser needed). Populations are stacked, one colour each.
 */
import type { SimulationOutput } from '../engines/types.js';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function rasterSvg(output: SimulationOutput, options: { title: string; duration: number; sizes: Record<string, number>; maxDots?: number }): string {
  const W = 900;
  const H = 420;
  const m = { l: 70, r: 20, t: 36, b: 40 };
  const rateH = 90;
  const rasterH = H - m.t - m.b - rateH - 20;
  const x = (t: number) => m.l + (t / options.duration) * (W - m.l - m.r);
  const trains = output.spikes;
  const totalRows = trains.reduce((s, tr) => s + (options.sizes[tr.population] ?? 0), 0) || 1;
  const maxDots = options.maxDots ?? 60000;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(options.title)}</text>`);
  let row0 = 0;
  trains.forEach((tr, k) => {
    const n = options.sizes[tr.population] ?? 0;
    const colour = COLOURS[k % COLOURS.length]!;
    const y = (i: number) => m.t + ((row0 + i + 0.5) / totalRows) * rasterH;
    const step = Math.max(1, Math.ceil(tr.times.length / maxDots));
    let d = '';
    for (let s = 0; s < tr.times.length; s += step) d += `M${x(tr.times[s]!).toFixed(1)} ${y(tr.indices[s]!).toFixed(1)}h1.2`;
    parts.push(`<path d="${d}" stroke="${colour}" stroke-width="1.2" fill="none"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y(n / 2).toFixed(1)}" text-anchor="end" fill="${colour}">${esc(tr.population)}</text>`);
    row0 += n;
  });
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${rasterH}" fill="none" stroke="#444"/>`);
  // Population rates.
  const top = m.t + rasterH + 20;
  const maxRate = Math.max(1, ...output.rates.flatMap((r) => Array.from(r.rate)));
  output.rates.forEach((r, k) => {
    const colour = COLOURS[trains.findIndex((t) => t.population === r.population) >= 0 ? trains.findIndex((t) => t.population === r.population) % COLOURS.length : k % COLOURS.length]!;
    let d = '';
    r.rate.forEach((v, b) => (d += `${b === 0 ? 'M' : 'L'}${x((b + 0.5) * r.bin).toFixed(1)} ${(top + rateH - (v / maxRate) * rateH).toFixed(1)}`));
    parts.push(`<path d="${d}" stroke="${colour}" fill="none" stroke-width="1"/>`);
  });
  parts.push(`<rect x="${m.l}" y="${top}" width="${W - m.l - m.r}" height="${rateH}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${m.l - 6}" y="${top + 10}" text-anchor="end">${maxRate.toFixed(0)} Hz</text>`);
  parts.push(`<text x="${m.l - 6}" y="${top + rateH}" text-anchor="end">0</text>`);
  for (let i = 0; i <= 5; i++) {
    const t = (options.duration * i) / 5;
    parts.push(`<text x="${x(t).toFixed(1)}" y="${top + rateH + 16}" text-anchor="middle">${+t.toFixed(1)}</text>`);
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">time (ms)</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
