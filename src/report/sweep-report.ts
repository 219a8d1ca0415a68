/**
 * The report of a parameter sweep: per metric, a heatmap of the mean over seeds across
 * the first two numeric parameters (one parameter: the metric against it, with the
 * spread over seeds), and a table of every run. Self-contained HTML, like the run report.
 */
import { heatmapSvg } from '../plot/heatmap.js';
import { axes, colour, esc, extent, linePath, num, svgDocument, type Box } from '../plot/svg.js';
import { definitionTable, figureHtml, pageHtml, preHtml, tableHtml, type Cell, type Section } from './html.js';

export interface SweepRow {
  params: Record<string, number | string>;
  seed: number;
  metrics: Record<string, number>;
  resultsPath?: string;
}

export interface SweepReportInput {
  name: string;
  params: string[];
  metrics: string[];
  rows: SweepRow[];
  config?: string;
  versions?: Record<string, string>;
}

function numericParams(input: SweepReportInput): string[] {
  return input.params.filter((p) => input.rows.length > 0 && input.rows.every((r) => typeof r.params[p] === 'number' && Number.isFinite(r.params[p])));
}

const sortedUnique = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

/** Mean of the finite values; NaN if none. */
function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length > 0 ? f.reduce((s, x) => s + x, 0) / f.length : NaN;
}

/** z[iy][ix] = mean over seeds (and over any other parameters) of `metric` at (x, y). */
export function sweepGrid(rows: SweepRow[], px: string, py: string, metric: string): { x: number[]; y: number[]; z: number[][] } {
  const x = sortedUnique(rows.map((r) => r.params[px] as number));
  const y = sortedUnique(rows.map((r) => r.params[py] as number));
  const z = y.map((vy) => x.map((vx) => mean(rows.filter((r) => r.params[px] === vx && r.params[py] === vy).map((r) => r.metrics[metric] ?? NaN))));
  return { x, y, z };
}

/** The metric against one parameter: mean over seeds as a line, each seed as a dot, min–max as a bar. */
export function sweepLineSvg(rows: SweepRow[], param: string, metric: string, title: string): string {
  const xs = sortedUnique(rows.map((r) => r.params[param] as number));
  const W = 760;
  const H = 320;
  const box: Box = { x: 70, y: 36, width: W - 70 - 30, height: H - 36 - 50 };
  const values = rows.map((r) => r.metrics[metric] ?? NaN);
  const [lo, hi] = extent(values);
  const [xlo, xhi] = extent(xs);
  const a = axes({ box, x: { lo: xlo, hi: xhi > xlo ? xhi : xlo + 1, label: param }, y: { lo: Math.min(0, lo), hi: hi > lo ? hi : lo + 1, label: metric } });
  const body = [a.svg];
  const means = xs.map((x) => mean(rows.filter((r) => r.params[param] === x).map((r) => r.metrics[metric] ?? NaN)));
  body.push(`<g class="spread" stroke="${colour(0)}" stroke-opacity="0.5" stroke-width="2">`);
  xs.forEach((x) => {
    const [l, h] = extent(rows.filter((r) => r.params[param] === x).map((r) => r.metrics[metric] ?? NaN));
    if (rows.some((r) => r.params[param] === x && Number.isFinite(r.metrics[metric]))) body.push(`<line x1="${num(a.x(x))}" x2="${num(a.x(x))}" y1="${num(a.y(l))}" y2="${num(a.y(h))}"/>`);
  });
  body.push('</g>', `<g class="seeds" fill="${colour(0)}" fill-opacity="0.5">`);
  rows.forEach((r) => {
    const v = r.metrics[metric] ?? NaN;
    if (Number.isFinite(v)) body.push(`<circle class="seed" cx="${num(a.x(r.params[param] as number))}" cy="${num(a.y(v))}" r="2.5"><title>${esc(`seed ${r.seed}: ${v}`)}</title></circle>`);
  });
  body.push('</g>');
  body.push(`<path class="mean" d="${linePath(xs, means, a.x, a.y)}" stroke="${colour(0)}" stroke-width="1.8" fill="none"/>`);
  return svgDocument(W, H, title, body);
}

export function sweepReportHtml(input: SweepReportInput): string {
  const numeric = numericParams(input);
  const figures: string[] = [];
  for (const metric of input.metrics) {
    if (numeric.length >= 2) {
      const [px, py] = numeric as [string, string];
      const g = sweepGrid(input.rows, px, py, metric);
      const others = numeric.length > 2 || input.params.length > 2 ? ` (mean over seeds and over ${input.params.filter((p) => p !== px && p !== py).join(', ')})` : ' (mean over seeds)';
      figures.push(figureHtml(heatmapSvg({ x: { name: px, values: g.x }, y: { name: py, values: g.y }, z: g.z, metric, title: `${input.name}: ${metric}` }), `${metric} over ${px} × ${py}${others}; hatched cells have no value.`));
    } else if (numeric.length === 1) {
      figures.push(figureHtml(sweepLineSvg(input.rows, numeric[0]!, metric, `${input.name}: ${metric}`), `${metric} against ${numeric[0]}: mean over seeds (line), each seed (dots), min–max (bars).`));
    }
  }
  const sections: Section[] = [
    {
      id: 'plots',
      title: 'Plots',
      html: figures.length > 0 ? figures.join('\n') : '<p>No numeric parameter to plot against; see the table.</p>',
    },
  ];
  const hasPaths = input.rows.some((r) => r.resultsPath !== undefined);
  const headers = [...input.params, 'seed', ...input.metrics, ...(hasPaths ? ['results'] : [])];
  const rows: Cell[][] = input.rows.map((r) => [
    ...input.params.map((p) => r.params[p] ?? ''),
    r.seed,
    ...input.metrics.map((m) => r.metrics[m] ?? NaN),
    ...(hasPaths ? [r.resultsPath ?? ''] : []),
  ]);
  sections.push({ id: 'runs', title: `Runs (${input.rows.length})`, html: tableHtml(headers, rows) });
  if (input.config !== undefined) sections.push({ id: 'config', title: 'Config', html: preHtml(input.config) });
  if (input.versions) sections.push({ id: 'versions', title: 'Versions', html: definitionTable(input.versions) });
  return pageHtml({ title: `nematode sweep report: ${input.name}`, subtitle: `${input.params.join(' × ')} · ${input.rows.length} runs`, sections });
}
