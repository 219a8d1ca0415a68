/** f–I curves: firing rate against injected current, markers joined by lines, optional reference curve. */
import { axes, colour, emptyMessage, esc, extent, legend, linePath, num, svgDocument, type Box } from './svg.js';

export interface FiPoint {
  /** nA */
  current: number;
  /** Hz */
  rate: number;
}

export interface FiCurveSeries {
  label: string;
  points: FiPoint[];
}

export function fiSvg(curves: FiCurveSeries[], options: { title: string; reference?: FiCurveSeries }): string {
  const W = 900;
  const H = 360;
  const box: Box = { x: 70, y: 36, width: W - 70 - 250, height: H - 36 - 50 };
  const all = [...curves, ...(options.reference ? [options.reference] : [])].flatMap((c) => c.points);
  const [iLo, iHi] = extent(all.map((p) => p.current));
  const [, rHi] = extent(all.map((p) => p.rate));
  const a = axes({ box, x: { lo: iLo, hi: iHi, label: 'current (nA)' }, y: { lo: 0, hi: Math.max(1, rHi), label: 'rate (Hz)' } });
  const body = [a.svg];
  const entries: { label: string; colour: string }[] = [];
  if (options.reference) {
    const r = options.reference.points;
    body.push(`<path class="reference" d="${linePath(r.map((p) => p.current), r.map((p) => p.rate), a.x, a.y)}" stroke="#777" stroke-dasharray="5 3" fill="none" stroke-width="1.5"/>`);
    entries.push({ label: options.reference.label, colour: '#777' });
  }
  curves.forEach((c, k) => {
    const col = colour(k);
    body.push(`<g class="fi-curve" data-label="${esc(c.label)}" stroke="${col}" fill="${col}">`);
    body.push(`<path d="${linePath(c.points.map((p) => p.current), c.points.map((p) => p.rate), a.x, a.y)}" fill="none" stroke-width="1.3"/>`);
    for (const p of c.points) if (Number.isFinite(p.rate)) body.push(`<circle class="point" cx="${num(a.x(p.current))}" cy="${num(a.y(p.rate))}" r="3"/>`);
    body.push('</g>');
    entries.push({ label: c.label, colour: col });
  });
  if (all.length === 0) body.push(emptyMessage(box, 'no points'));
  body.push(legend(entries, { x: box.x + box.width + 12, y: box.y + 12 }));
  return svgDocument(W, H, options.title, body);
}
