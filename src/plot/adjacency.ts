/**
 * The connectome as a class × class matrix: synapse counts (chemical, or gap junctions)
 * summed over the neurons of each anatomical class (White et al. 1986 classes, as
 * `neuronClass`), classes ordered by category then name, on a log colour scale.
 */
import type { Connectome, NeuronCategory, NeuronInfo } from '../connectome/types.js';
import { neuronClass } from '../connectome/names.js';
import { colourBar, esc, fmt, num, svgDocument, viridis } from './svg.js';

export const CATEGORY_ORDER: readonly NeuronCategory[] = ['sensory', 'inter', 'motor', 'pharyngeal', 'unknown'];

export interface ClassAdjacency {
  /** Classes in display order (by category, then name). */
  classes: string[];
  /** Category of each class. */
  categories: NeuronCategory[];
  /** counts[pre * classes.length + post]: summed synapse counts (Connectome `count`). */
  counts: Float64Array;
  kind: 'chemical' | 'gap';
  /** Connectome weight unit (synapses, or EM sections for Cook 2019). */
  weightUnit: Connectome['weightUnit'];
}

/**
 * Chemical: each directed edge's count added at [class(pre), class(post)], so the matrix
 * total equals the sum of `connectome.chemical[].count`. Gap: each junction pair added at
 * both [a, b] and [b, a] (symmetric), a self-contact (a = b) once.
 */
export function adjacencyByClass(connectome: Connectome, table: readonly NeuronInfo[], options: { kind?: 'chemical' | 'gap' } = {}): ClassAdjacency {
  const kind = options.kind ?? 'chemical';
  const info = new Map(table.map((n) => [n.name, n]));
  const classOf = (name: string) => info.get(name)?.cls ?? neuronClass(name);
  const categoryOfClass = new Map<string, NeuronCategory>();
  const names = new Set<string>(connectome.neurons);
  for (const e of connectome.chemical) names.add(e.pre).add(e.post);
  for (const e of connectome.gap) names.add(e.a).add(e.b);
  for (const n of names) {
    const cls = classOf(n);
    const cat = info.get(n)?.category ?? 'unknown';
    const prev = categoryOfClass.get(cls);
    // A class takes the first known category of its members.
    if (prev === undefined || prev === 'unknown') categoryOfClass.set(cls, cat);
  }
  const classes = [...categoryOfClass.keys()].sort((a, b) => CATEGORY_ORDER.indexOf(categoryOfClass.get(a)!) - CATEGORY_ORDER.indexOf(categoryOfClass.get(b)!) || (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(classes.map((c, k) => [c, k]));
  const n = classes.length;
  const counts = new Float64Array(n * n);
  if (kind === 'chemical') {
    for (const e of connectome.chemical) counts[index.get(classOf(e.pre))! * n + index.get(classOf(e.post))!] += e.count;
  } else {
    for (const e of connectome.gap) {
      const a = index.get(classOf(e.a))!;
      const b = index.get(classOf(e.b))!;
      counts[a * n + b] += e.count;
      if (e.a !== e.b) counts[b * n + a] += e.count;
    }
  }
  return { classes, categories: classes.map((c) => categoryOfClass.get(c)!), counts, kind, weightUnit: connectome.weightUnit };
}

export function adjacencySvg(adj: ClassAdjacency, options: { title: string }): string {
  const n = adj.classes.length;
  const cell = Math.max(3, Math.min(24, Math.floor(720 / Math.max(1, n))));
  const labels = cell >= 5;
  const font = Math.min(10, cell);
  const m = { l: labels ? 60 : 30, t: labels ? 100 : 60 };
  const box = { x: m.l + 20, y: m.t + 20, width: n * cell, height: n * cell };
  const W = Math.max(520, box.x + box.width + 120);
  const H = box.y + box.height + 50;
  let lo = Infinity;
  let hi = 0;
  for (const c of adj.counts) if (c > 0) (lo = Math.min(lo, c)), (hi = Math.max(hi, c));
  const logLo = Math.log10(Number.isFinite(lo) ? lo : 1);
  const logHi = Math.log10(hi > 0 ? hi : 10);
  const colourOf = (v: number) => viridis(logHi > logLo ? (Math.log10(v) - logLo) / (logHi - logLo) : 1);
  const body: string[] = [`<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="#fafafa"/>`, '<g class="cells">'];
  let drawn = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const c = adj.counts[i * n + j]!;
      if (c <= 0) continue;
      drawn++;
      body.push(`<rect class="cell" data-count="${c}" x="${box.x + j * cell}" y="${box.y + i * cell}" width="${cell}" height="${cell}" fill="${colourOf(c)}"><title>${esc(`${adj.classes[i]} → ${adj.classes[j]}: ${fmt(c)}`)}</title></rect>`);
    }
  }
  body.push('</g>');
  if (labels) {
    adj.classes.forEach((c, k) => {
      const pos = num(box.x + (k + 0.5) * cell + font / 3);
      body.push(`<text x="${num(box.x - 3)}" y="${num(box.y + (k + 0.5) * cell + font / 3)}" text-anchor="end" font-size="${font}">${esc(c)}</text>`);
      body.push(`<text x="${pos}" y="${box.y - 3}" transform="rotate(-90 ${pos} ${box.y - 3})" font-size="${font}">${esc(c)}</text>`);
    });
  }
  // Category separators and names.
  let start = 0;
  for (const cat of CATEGORY_ORDER) {
    let end = start;
    while (end < n && adj.categories[end] === cat) end++;
    if (end === start) continue;
    if (start > 0) {
      const p = start * cell;
      body.push(`<line class="separator" x1="${box.x + p}" x2="${box.x + p}" y1="${box.y - (labels ? 50 : 0)}" y2="${box.y + box.height}" stroke="#d62728" stroke-width="1"/>`);
      body.push(`<line class="separator" x1="${box.x - (labels ? 50 : 0)}" x2="${box.x + box.width}" y1="${box.y + p}" y2="${box.y + p}" stroke="#d62728" stroke-width="1"/>`);
    }
    const mid = num(box.x + ((start + end) / 2) * cell);
    body.push(`<text x="${mid}" y="${box.y - (labels ? 56 : 6)}" text-anchor="middle" font-size="11" font-weight="bold">${esc(cat)}</text>`);
    const midY = num(box.y + ((start + end) / 2) * cell);
    const lx = num(box.x - (labels ? 50 : 6));
    body.push(`<text x="${lx}" y="${midY}" transform="rotate(-90 ${lx} ${midY})" text-anchor="middle" font-size="11" font-weight="bold">${esc(cat)}</text>`);
    start = end;
  }
  body.push(`<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="none" stroke="#444"/>`);
  body.push(`<text x="${num(box.x + box.width / 2)}" y="${H - 14}" text-anchor="middle" font-size="12">postsynaptic class (columns); presynaptic class (rows)</text>`);
  if (hi > 0) {
    const unit = adj.kind === 'gap' ? `gap junctions (${adj.weightUnit})` : `chemical ${adj.weightUnit}`;
    body.push(colourBar({ x: box.x + box.width + 20, y: box.y, width: 14, height: Math.min(300, box.height) }, { lo: Number.isFinite(lo) ? lo : 1, hi: Math.max(hi, lo * 1.0001), log: true, label: `${unit}, log scale`, colourOf }));
  }
  return svgDocument(W, H, options.title, body, `${n} classes, ${drawn} nonzero class pairs`);
}

/** adjacencyByClass + adjacencySvg. */
export function adjacencyByClassSvg(connectome: Connectome, table: readonly NeuronInfo[], options: { title?: string; kind?: 'chemical' | 'gap' } = {}): string {
  const adj = adjacencyByClass(connectome, table, { kind: options.kind });
  const title = options.title ?? `${connectome.title}: ${adj.kind === 'gap' ? 'gap junctions' : 'chemical synapses'} by neuron class`;
  return adjacencySvg(adj, { title });
}
