/** Population rate over time: one line per population (Hz per neuron, per bin). */
import { populationRate } from '../analysis/spikes.js';
import type { RateLike, SpikeTrainLike } from './raster.js';
import { axes, colour, emptyMessage, esc, extent, legend, linePath, svgDocument, type Box } from './svg.js';

/** Rates binned from spike trains, for populations whose rate was not recorded. */
export function ratesFromSpikes(trains: SpikeTrainLike[], sizes: Record<string, number>, duration: number, bin: number): RateLike[] {
  return trains.map((tr) => ({ population: tr.population, bin, rate: populationRate(tr.indices, tr.times, sizes[tr.population] ?? 0, duration, bin) }));
}

export function rateSvg(series: RateLike[], options: { title: string; duration: number }): string {
  const W = 900;
  const H = 320;
  const box: Box = { x: 70, y: 36, width: W - 70 - 140, height: H - 36 - 50 };
  const [, hi] = extent(series.flatMap((r) => Array.from(r.rate)));
  const a = axes({ box, x: { lo: 0, hi: options.duration, label: 'time (ms)' }, y: { lo: 0, hi: Math.max(1, hi), label: 'rate (Hz)' } });
  const body = [a.svg];
  series.forEach((r, k) => {
    const xs = Array.from(r.rate, (_, b) => (b + 0.5) * r.bin);
    body.push(`<path class="rate" data-population="${esc(r.population)}" data-bins="${r.rate.length}" d="${linePath(xs, r.rate, a.x, a.y)}" stroke="${colour(k)}" fill="none" stroke-width="1.3"/>`);
  });
  if (series.length === 0) body.push(emptyMessage(box, 'no rates'));
  body.push(legend(series.map((r, k) => ({ label: `${r.population} (bin ${r.bin} ms)`, colour: colour(k) })), { x: box.x + box.width + 12, y: box.y + 12 }));
  return svgDocument(W, H, options.title, body);
}
