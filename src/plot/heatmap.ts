/**
 * Sweep heatmap: a summary metric over a grid of two parameters, with a colour bar.
 * NaN cells (no value: failed or undefined) are hatched grey.
 */
import { ValidationError } from '../errors.js';
import { colourBar, esc, extent, fmt, num, svgDocument, viridis } from './svg.js';

export interface HeatmapInput {
  x: { name: string; values: number[] };
  y: { name: string; values: number[] };
  /** z[iy][ix]; NaN where there is no value. */
  z: number[][];
  /** Name (with units) of the metric, e.g. "rate (Hz)". */
  metric: string;
  title: string;
}

export const NAN_PATTERN_ID = 'nan-hatch';

export function heatmapSvg(input: HeatmapInput): string {
  const nx = input.x.values.length;
  const ny = input.y.values.length;
  if (input.z.length !== ny || input.z.some((row) => row.length !== nx)) {
    throw new ValidationError(`heatmap "${input.title}": z must have ${ny} rows of ${nx} values (z[iy][ix]).`, { object: `heatmap "${input.title}"`, parameter: 'z', expected: `${ny} × ${nx}` });
  }
  const cell = Math.max(14, Math.min(60, Math.floor(560 / Math.max(nx, ny, 1))));
  const box = { x: 110, y: 40, width: cell * nx, height: cell * ny };
  const W = Math.max(480, box.x + box.width + 150);
  const H = box.y + box.height + 70;
  const [lo, hi] = extent(input.z.flat());
  const span = hi - lo;
  const colourOf = (v: number) => viridis(span > 0 ? (v - lo) / span : 0.5);
  const body: string[] = [
    `<defs><pattern id="${NAN_PATTERN_ID}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddd"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>`,
    '<g class="cells">',
  ];
  const showValues = cell >= 40;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const v = input.z[iy]![ix]!;
      const cx = box.x + ix * cell;
      const cy = box.y + (ny - 1 - iy) * cell; // y grows upwards
      const finite = Number.isFinite(v);
      const fill = finite ? colourOf(v) : `url(#${NAN_PATTERN_ID})`;
      body.push(`<rect class="${finite ? 'cell' : 'cell nan'}" x="${cx}" y="${cy}" width="${cell}" height="${cell}" fill="${fill}"><title>${esc(`${input.x.name} = ${fmt(input.x.values[ix]!)}, ${input.y.name} = ${fmt(input.y.values[iy]!)}: ${input.metric} = ${fmt(v, 6)}`)}</title></rect>`);
      if (showValues) {
        const light = finite && span > 0 && (v - lo) / span < 0.6;
        body.push(`<text x="${cx + cell / 2}" y="${cy + cell / 2 + 4}" text-anchor="middle" font-size="10" fill="${light ? 'white' : 'black'}">${esc(fmt(v))}</text>`);
      }
    }
  }
  body.push('</g>');
  body.push(`<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="none" stroke="#444"/>`);
  // Categorical tick labels: one per grid value (thinned when crowded).
  const every = (n: number) => Math.max(1, Math.ceil((n * 11) / Math.max(1, cell * n)));
  const ex = every(nx);
  input.x.values.forEach((v, ix) => {
    if (ix % ex !== 0) return;
    body.push(`<text x="${box.x + (ix + 0.5) * cell}" y="${box.y + box.height + 14}" text-anchor="middle">${esc(fmt(v))}</text>`);
  });
  const ey = every(ny);
  input.y.values.forEach((v, iy) => {
    if (iy % ey !== 0) return;
    body.push(`<text x="${box.x - 6}" y="${box.y + (ny - 1 - iy + 0.5) * cell + 4}" text-anchor="end">${esc(fmt(v))}</text>`);
  });
  body.push(`<text x="${num(box.x + box.width / 2)}" y="${box.y + box.height + 34}" text-anchor="middle" font-size="12">${esc(input.x.name)}</text>`);
  const ly = num(box.y + box.height / 2);
  body.push(`<text x="30" y="${ly}" transform="rotate(-90 30 ${ly})" text-anchor="middle" font-size="12">${esc(input.y.name)}</text>`);
  const nan = input.z.flat().filter((v) => !Number.isFinite(v)).length;
  if (nan < nx * ny) {
    body.push(colourBar({ x: box.x + box.width + 20, y: box.y, width: 14, height: Math.max(80, box.height) }, { lo, hi: span > 0 ? hi : lo + 1, label: input.metric, colourOf }));
  }
  return svgDocument(W, H, input.title, body, nan > 0 ? `${nan} cell${nan > 1 ? 's' : ''} without a value (hatched)` : undefined);
}
