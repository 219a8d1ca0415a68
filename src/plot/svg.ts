/**
 * SVG primitives shared by every plot: XML escaping, number formatting, "nice" axis
 * ticks, linear and log scales, axes with tick labels, legends, a colour palette and a
 * sequential colour map. Plots are strings, built without a browser or a DOM, and the
 * same input always gives the same bytes.
 */

/** Escapes text for XML/HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Coordinates with at most two decimals, without "-0". */
export function num(x: number): string {
  const r = Math.round(x * 100) / 100;
  return String(r === 0 ? 0 : r);
}

/** Categorical colours (Tableau 10, as matplotlib's default cycle). */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'] as const;

export function colour(k: number): string {
  return PALETTE[((k % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/** Viridis anchors at t = 0, 0.125, …, 1 (matplotlib's `viridis`, van der Walt & Smith 2015). */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

/** A perceptually uniform sequential colour for t in [0, 1] (clamped). */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - k;
  const a = VIRIDIS[k]!;
  const b = VIRIDIS[k + 1]!;
  const ch = (i: number) => Math.round(parseInt(a.slice(i, i + 2), 16) * (1 - f) + parseInt(b.slice(i, i + 2), 16) * f);
  return '#' + [1, 3, 5].map((i) => ch(i).toString(16).padStart(2, '0')).join('');
}

/**
 * About `count` round tick values covering [lo, hi] with a step of 1, 2 or 5 × 10^k
 * (Heckbert 1990, "Nice numbers for graph labels", Graphics Gems).
 */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; step: number; lo: number; hi: number } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return { ticks: [0, 1], step: 1, lo: 0, hi: 1 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return { ticks, step, lo, hi };
}

/** A tick label with just enough decimals for the tick step. */
export function tickLabel(v: number, step: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e6 || abs < 1e-4) return v.toExponential(1).replace('e+', 'e');
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(6, decimals));
}

/** Compact number for labels and tables: integers as is, others to 3 significant digits. */
export function fmt(x: number, digits = 3): string {
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  return Number(x.toPrecision(digits)).toString();
}

export interface Scale {
  (v: number): number;
  domain: [number, number];
  range: [number, number];
}

export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const span = d1 - d0 || 1;
  const s = ((v: number) => range[0] + ((v - d0) / span) * (range[1] - range[0])) as Scale;
  s.domain = domain;
  s.range = range;
  return s;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface AxisOptions {
  /** Plot area. */
  box: Box;
  x: { lo: number; hi: number; label: string; ticks?: number };
  /** `hidden`: no ticks or tick labels on this axis (e.g. a raster's neuron axis). */
  y: { lo: number; hi: number; label: string; ticks?: number; hidden?: boolean; labelOffset?: number };
}

/**
 * A framed plot area with nice ticks on both axes, tick labels and axis labels; returns
 * the SVG and the scales.
 */
export function axes(o: AxisOptions): { svg: string; x: Scale; y: Scale } {
  const { box } = o;
  const xt = niceTicks(o.x.lo, o.x.hi, o.x.ticks ?? 6);
  const yt = niceTicks(o.y.lo, o.y.hi, o.y.ticks ?? 5);
  const x = linearScale([xt.lo, xt.hi], [box.x, box.x + box.width]);
  const y = linearScale([yt.lo, yt.hi], [box.y + box.height, box.y]);
  const parts: string[] = ['<g class="axes" font-size="11" fill="#333">'];
  const bottom = box.y + box.height;
  for (const t of xt.ticks) {
    const px = num(x(t));
    parts.push(`<line x1="${px}" x2="${px}" y1="${num(bottom)}" y2="${num(bottom + 4)}" stroke="#444"/>`);
    parts.push(`<text x="${px}" y="${num(bottom + 15)}" text-anchor="middle">${esc(tickLabel(t, xt.step))}</text>`);
  }
  for (const t of o.y.hidden ? [] : yt.ticks) {
    const py = num(y(t));
    parts.push(`<line x1="${num(box.x - 4)}" x2="${num(box.x)}" y1="${py}" y2="${py}" stroke="#444"/>`);
    parts.push(`<text x="${num(box.x - 6)}" y="${num(y(t) + 4)}" text-anchor="end">${esc(tickLabel(t, yt.step))}</text>`);
  }
  parts.push(`<rect x="${num(box.x)}" y="${num(box.y)}" width="${num(box.width)}" height="${num(box.height)}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${num(box.x + box.width / 2)}" y="${num(bottom + 32)}" text-anchor="middle" font-size="12">${esc(o.x.label)}</text>`);
  const ly = num(box.y + box.height / 2);
  const lx = num(box.x - (o.y.labelOffset ?? 48));
  parts.push(`<text x="${lx}" y="${ly}" transform="rotate(-90 ${lx} ${ly})" text-anchor="middle" font-size="12">${esc(o.y.label)}</text>`);
  parts.push('</g>');
  return { svg: parts.join(''), x, y };
}

/** A vertical legend: a colour swatch and a label per entry. */
export function legend(entries: { label: string; colour: string }[], at: { x: number; y: number }): string {
  if (entries.length === 0) return '';
  const parts = ['<g class="legend" font-size="11">'];
  entries.forEach((e, k) => {
    const y = at.y + k * 16;
    parts.push(`<rect x="${num(at.x)}" y="${num(y - 9)}" width="12" height="10" fill="${e.colour}"/>`);
    parts.push(`<text x="${num(at.x + 16)}" y="${num(y)}">${esc(e.label)}</text>`);
  });
  parts.push('</g>');
  return parts.join('');
}

/** The outer element: white background, a title line, an accessible `<title>`. */
export function svgDocument(width: number, height: number, title: string, body: string[], note?: string): string {
  const head =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">` +
    `<title>${esc(title)}</title>` +
    `<rect width="${width}" height="${height}" fill="white"/>` +
    `<text x="${num(width / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`;
  const foot = note ? `<text class="note" x="${width - 8}" y="${height - 6}" text-anchor="end" font-size="10" fill="#a33">${esc(note)}</text>` : '';
  return [head, ...body, foot, '</svg>'].join('\n');
}

/** Text in the middle of a plot area, e.g. "no spikes recorded". */
export function emptyMessage(box: Box, message: string): string {
  return `<text class="empty" x="${num(box.x + box.width / 2)}" y="${num(box.y + box.height / 2)}" text-anchor="middle" fill="#888" font-size="13">${esc(message)}</text>`;
}

/** A polyline through (x, y) pairs, skipping non-finite points (they break the line). */
export function linePath(xs: ArrayLike<number>, ys: ArrayLike<number>, x: Scale, y: Scale): string {
  let d = '';
  let pen = false;
  for (let k = 0; k < xs.length; k++) {
    const vx = xs[k]!;
    const vy = ys[k]!;
    if (!(Number.isFinite(vx) && Number.isFinite(vy))) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${num(x(vx))} ${num(y(vy))}`;
    pen = true;
  }
  return d;
}

/** Min and max of finite values; [0, 1] when there are none. */
export function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * A vertical colour bar for a sequential map over [lo, hi], linear or log10, with nice
 * ticks and a label; `colourOf` maps a value in [lo, hi] to its colour.
 */
export function colourBar(box: Box, o: { lo: number; hi: number; log?: boolean; label: string; colourOf: (v: number) => string }): string {
  const steps = 64;
  const parts = ['<g class="colourbar" font-size="10">'];
  const t0 = o.log ? Math.log10(o.lo) : o.lo;
  const t1 = o.log ? Math.log10(o.hi) : o.hi;
  for (let k = 0; k < steps; k++) {
    const t = t0 + ((k + 0.5) / steps) * (t1 - t0);
    const y = box.y + box.height - ((k + 1) / steps) * box.height;
    parts.push(`<rect x="${num(box.x)}" y="${num(y)}" width="${num(box.width)}" height="${num(box.height / steps + 0.5)}" fill="${o.colourOf(o.log ? 10 ** t : t)}"/>`);
  }
  parts.push(`<rect x="${num(box.x)}" y="${num(box.y)}" width="${num(box.width)}" height="${num(box.height)}" fill="none" stroke="#444"/>`);
  const yOf = (t: number) => box.y + box.height - ((t - t0) / (t1 - t0 || 1)) * box.height;
  const ticks = o.log ? logTicks(o.lo, o.hi) : niceTicks(o.lo, o.hi, 5).ticks.map((v) => ({ v, t: v }));
  const step = o.log ? 1 : niceTicks(o.lo, o.hi, 5).step;
  for (const { v, t } of ticks) {
    const y = num(yOf(t));
    parts.push(`<line x1="${num(box.x + box.width)}" x2="${num(box.x + box.width + 4)}" y1="${y}" y2="${y}" stroke="#444"/>`);
    parts.push(`<text x="${num(box.x + box.width + 6)}" y="${num(yOf(t) + 3)}">${esc(o.log ? fmt(v) : tickLabel(v, step))}</text>`);
  }
  const lx = num(box.x + box.width + 44);
  const ly = num(box.y + box.height / 2);
  parts.push(`<text x="${lx}" y="${ly}" transform="rotate(-90 ${lx} ${ly})" text-anchor="middle" font-size="11">${esc(o.label)}</text>`);
  parts.push('</g>');
  return parts.join('');
}

/** Powers of ten (and 2×, 5× when the range is short) within [lo, hi], as values and log10 positions. */
export function logTicks(lo: number, hi: number): { v: number; t: number }[] {
  const out: { v: number; t: number }[] = [];
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const mantissas = e1 - e0 <= 2 ? [1, 2, 5] : [1];
  for (let e = e0; e <= e1; e++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(6));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push({ v, t: Math.log10(v) });
    }
  }
  return out;
}
