import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConnectome, loadNeuronTable, type Connectome, type NeuronInfo } from '../src/connectome/index.js';
import { ValidationError } from '../src/errors.js';
import { adjacencyByClass, adjacencyByClassSvg } from '../src/plot/adjacency.js';
import { fiSvg } from '../src/plot/fi.js';
import { heatmapSvg } from '../src/plot/heatmap.js';
import { histogram } from '../src/plot/histogram.js';
import { cvHistogramSvg, isiHistogramSvg } from '../src/plot/isi.js';
import { rasterSvg } from '../src/plot/raster.js';
import { rateSvg } from '../src/plot/rate.js';
import { esc, niceTicks, viridis } from '../src/plot/svg.js';
import { decimate, neuronTracesSvg, tracesSvg } from '../src/plot/traces.js';
import { all, parseXml, type XmlElement } from './xml-wellformed.js';

const byClass = (cls: string) => (e: XmlElement) => (e.attrs.class ?? '').split(' ').includes(cls);
/** Parses an SVG, checks the root, and returns the tree. */
function svgTree(svg: string): XmlElement {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  expect(Number(root.attrs.width)).toBeGreaterThan(0);
  expect(Number(root.attrs.height)).toBeGreaterThan(0);
  return root;
}
const texts = (root: XmlElement) => all(root, (e) => e.name === 'text').map((e) => e.text);
const moves = (d: string) => [...d].filter((c) => c === 'M').length;

const HOSTILE = '</svg><script>alert(1)</script>&"\'';

describe('the XML checker itself', () => {
  it('accepts well-formed and rejects malformed documents', () => {
    expect(parseXml('<a x="1"><b/>t &amp; u</a>').children.length).toBe(1);
    for (const bad of ['<a><b></a></b>', '<a x=1/>', '<a>x < y</a>', '<a>&nbsp;</a>', '<a x="1" x="2"/>', '<a>', '<a/><b/>']) expect(() => parseXml(bad), bad).toThrow();
  });
});

describe('SVG primitives', () => {
  it('nice ticks step by 1, 2 or 5 × 10^k, lie inside the range and cover it', () => {
    for (const [lo, hi] of [[0, 1], [0, 937], [-65, -50], [0.001, 0.0173], [3, 3]] as [number, number][]) {
      const t = niceTicks(lo, hi, 5);
      const m = t.step / 10 ** Math.floor(Math.log10(t.step));
      expect([1, 2, 5]).toContain(Math.round(m));
      for (const v of t.ticks) expect(v).toBeGreaterThanOrEqual(t.lo - 1e-9), expect(v).toBeLessThanOrEqual(t.hi + 1e-9);
      expect(t.ticks.length).toBeGreaterThanOrEqual(2);
      expect(t.ticks[0]! - t.lo).toBeLessThan(t.step + 1e-9);
    }
  });

  it('escapes markup and quotes', () => {
    expect(esc(HOSTILE)).not.toMatch(/[<>"']/);
    expect(parseXml(`<t a="${esc(HOSTILE)}">${esc(HOSTILE)}</t>`).text).toBe(HOSTILE);
  });

  it('viridis runs from dark purple to yellow', () => {
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
    expect(viridis(NaN)).toBe('#440154');
  });
});

/** Neuron i of `n` fires every (10 + i) ms from t = i. */
function regularTrains(population: string, n: number, duration: number) {
  const indices: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < n; i++) for (let t = i; t < duration; t += 10 + i) (indices.push(i), times.push(t));
  return { population, indices: Uint32Array.from(indices), times: Float64Array.from(times) };
}

describe('raster', () => {
  const E = regularTrains('E', 20, 500);
  const I = regularTrains(HOSTILE, 5, 500);

  it('draws one tick per spike, one path per population, labelled and escaped', () => {
    const svg = rasterSvg({ spikes: [E, I] }, { title: `raster ${HOSTILE}`, duration: 500, sizes: { E: 20, [HOSTILE]: 5 } });
    const root = svgTree(svg);
    const paths = all(root, byClass('spikes'));
    expect(paths.map((p) => p.attrs['data-group'])).toEqual(['E', HOSTILE]);
    expect(paths.map((p) => moves(p.attrs.d!))).toEqual([E.times.length, I.times.length]);
    expect(paths.map((p) => Number(p.attrs['data-dots']))).toEqual([E.times.length, I.times.length]);
    expect(texts(root)).toContain(`raster ${HOSTILE}`);
    expect(texts(root)).toContain('time (ms)');
    expect(texts(root)).toContain('neurons (25)');
    expect(all(root, byClass('note'))).toEqual([]);
    // Deterministic.
    expect(rasterSvg({ spikes: [E, I] }, { title: `raster ${HOSTILE}`, duration: 500, sizes: { E: 20, [HOSTILE]: 5 } })).toBe(svg);
  });

  it('groups rows by a neuron grouping (e.g. class), in the given order', () => {
    const svg = rasterSvg({ spikes: [E] }, { title: 'by class', duration: 500, sizes: { E: 20 }, groupOf: (_p, i) => (i % 2 === 0 ? 'even' : 'odd'), groupOrder: ['odd', 'even'] });
    const paths = all(svgTree(svg), byClass('spikes'));
    expect(paths.map((p) => p.attrs['data-group'])).toEqual(['odd', 'even']);
    const odd = Array.from(E.indices).filter((i) => i % 2 === 1).length;
    expect(paths.map((p) => moves(p.attrs.d!))).toEqual([odd, E.times.length - odd]);
  });

  it('caps the dots drawn and says so', () => {
    const n = 1000;
    const big = regularTrains('E', n, 2000); // ~ 100k spikes
    const svg = rasterSvg({ spikes: [big] }, { title: 'big', duration: 2000, sizes: { E: n }, maxDots: 5000 });
    const root = svgTree(svg);
    const drawn = all(root, byClass('spikes')).reduce((s, p) => s + moves(p.attrs.d!), 0);
    expect(drawn).toBeLessThanOrEqual(5000);
    expect(drawn).toBeGreaterThan(2500);
    const note = all(root, byClass('note'))[0]!.text;
    expect(note).toContain(`${drawn} of ${big.times.length}`);
    expect(svg.length).toBeLessThan(5000 * 40 + 20_000);
  });

  it('draws recorded rates below the raster', () => {
    const svg = rasterSvg({ spikes: [E], rates: [{ population: 'E', bin: 5, rate: new Float64Array(100).fill(20) }] }, { title: 'r', duration: 500 });
    const rate = all(svgTree(svg), byClass('rate'));
    expect(rate.length).toBe(1);
    expect(moves(rate[0]!.attrs.d!)).toBe(1);
    expect(rate[0]!.attrs.d!.split('L').length).toBe(100);
  });

  it('an empty raster says so', () => {
    const root = svgTree(rasterSvg({ spikes: [{ population: 'E', indices: [], times: [] }] }, { title: 'empty', duration: 100, sizes: { E: 3 } }));
    expect(all(root, byClass('empty'))[0]!.text).toBe('no spikes');
  });
});

describe('rate, ISI and CV plots', () => {
  it('the rate plot has one line per population with one vertex per bin', () => {
    const rates = [{ population: 'E', bin: 2, rate: Float64Array.from({ length: 50 }, (_, b) => b) }, { population: 'I', bin: 5, rate: new Float64Array(20).fill(3) }];
    const root = svgTree(rateSvg(rates, { title: 'rates', duration: 100 }));
    const lines = all(root, byClass('rate'));
    expect(lines.map((l) => l.attrs.d!.split(/[ML]/).length - 1)).toEqual([50, 20]);
    expect(texts(root)).toContain('rate (Hz)');
  });

  it('ISI histogram bar counts add up to the number of intervals; the regular trains put each neuron in one bin', () => {
    const E = regularTrains('E', 4, 1000);
    const isiCount = [0, 1, 2, 3].reduce((s, i) => s + Math.max(0, Array.from(E.indices).filter((x) => x === i).length - 1), 0);
    const root = svgTree(isiHistogramSvg([E], { E: 4 }, { title: 'isi', bins: 20, maxIsi: 20 }));
    const bars = all(root, byClass('bar'));
    expect(bars.reduce((s, b) => s + Number(b.attrs['data-count']), 0)).toBe(isiCount);
    expect(bars.length).toBe(4); // ISIs 10, 11, 12, 13 ms in four different 1 ms bins
    expect(texts(root)).toContain('inter-spike interval (ms)');
  });

  it('CV histogram: regular trains have CV 0, so every neuron is in the first bin', () => {
    const root = svgTree(cvHistogramSvg([regularTrains('E', 6, 1000)], { E: 6 }, { title: 'cv' }));
    const bars = all(root, byClass('bar'));
    expect(bars.length).toBe(1);
    expect(Number(bars[0]!.attrs['data-count'])).toBe(6);
    expect(Number(bars[0]!.attrs.x)).toBeCloseTo(70, 0); // first bin starts at the left edge
  });

  it('histogram counts values in range and reports the rest', () => {
    const h = histogram([0, 0.5, 1, 1.5, 2, 2, 9, NaN], 4, 0, 2);
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 3]);
    expect(h.outside).toBe(1);
  });
});

describe('traces', () => {
  const n = 3;
  const samples = 10_000;
  const data = new Float64Array(samples * n);
  for (let s = 0; s < samples; s++) for (let k = 0; k < n; k++) data[s * n + k] = -65 + k + (s === 5000 + k ? 80 : 0); // one spike-like peak each
  const trace = { population: 'E', variable: 'v', units: 'mV', indices: Uint32Array.from([2, 5, 7]), tStart: 0, samplingPeriod: 0.1, data };

  it('one line per chosen neuron, labelled by name, peaks kept by min/max decimation, bounded vertices', () => {
    const names = Array.from({ length: 10 }, (_, i) => `N${i}`);
    const root = svgTree(neuronTracesSvg(trace, { title: 'v', names: ['N7', 'N2'], neuronNames: names }));
    const lines = all(root, byClass('trace'));
    expect(lines.map((l) => l.attrs['data-neuron'])).toEqual(['7', '2']);
    for (const l of lines) expect(l.attrs.d!.split(/[ML]/).length - 1).toBeLessThanOrEqual(2 * 690);
    expect(texts(root)).toEqual(expect.arrayContaining(['N7', 'N2', 'v (mV)', 'time (ms)']));
    // The +80 mV peak survives decimation.
    const idx = decimate(samples, 690, (s) => data[s * n]!);
    expect(idx).toContain(5000);
  });

  it('refuses a neuron without a recorded trace', () => {
    expect(() => neuronTracesSvg(trace, { title: 'v', neurons: [3] })).toThrow(ValidationError);
  });

  it('class-mean panels (worm experiments) stay well-formed', () => {
    const svg = tracesSvg([{ title: `inter ${HOSTILE}`, series: [{ label: 'AVA', values: Float64Array.from({ length: 100 }, (_, i) => Math.sin(i / 10)) }] }], { title: 't', samplingPeriod: 1, stimulus: [20, 40] });
    const root = svgTree(svg);
    expect(all(root, byClass('trace')).length).toBe(1);
    expect(all(root, byClass('stimulus')).length).toBe(1);
  });
});

describe('f–I plot', () => {
  it('one marker per point and a dashed reference', () => {
    const pts = [0, 0.5, 1, 1.5].map((current) => ({ current, rate: current * 10 }));
    const root = svgTree(fiSvg([{ label: 'sim', points: pts }], { title: 'fI', reference: { label: 'analytic', points: pts } }));
    expect(all(root, byClass('point')).length).toBe(4);
    expect(all(root, byClass('reference')).length).toBe(1);
    expect(texts(root)).toEqual(expect.arrayContaining(['current (nA)', 'rate (Hz)']));
  });
});

describe('heatmap', () => {
  it('one cell per grid point, NaN cells hatched, with a colour bar and axis names', () => {
    const z = [
      [1, 2, 3],
      [4, NaN, 6],
    ];
    const root = svgTree(heatmapSvg({ x: { name: 'g', values: [1, 2, 3] }, y: { name: `rate ${HOSTILE}`, values: [10, 20] }, z, metric: 'rate (Hz)', title: 'sweep' }));
    expect(all(root, byClass('cell')).length).toBe(6);
    const nan = all(root, byClass('nan'));
    expect(nan.length).toBe(1);
    expect(nan[0]!.attrs.fill).toBe('url(#nan-hatch)');
    expect(all(root, (e) => e.name === 'pattern').length).toBe(1);
    expect(all(root, byClass('colourbar')).length).toBe(1);
    expect(texts(root)).toEqual(expect.arrayContaining(['g', `rate ${HOSTILE}`, 'rate (Hz)']));
    // Extremes get the ends of the colour map.
    const fills = all(root, byClass('cell')).map((c) => c.attrs.fill);
    expect(fills).toContain(viridis(0));
    expect(fills).toContain(viridis(1));
  });

  it('refuses a z of the wrong shape', () => {
    expect(() => heatmapSvg({ x: { name: 'a', values: [1, 2] }, y: { name: 'b', values: [1] }, z: [[1]], metric: 'm', title: 't' })).toThrow(ValidationError);
  });
});

describe('adjacency by neuron class', () => {
  const table: NeuronInfo[] = [
    { name: 'AVAL', cls: 'AVA', category: 'inter', types: [], neurotransmitter: [], gaba: false, inVarshney279: true },
    { name: 'AVAR', cls: 'AVA', category: 'inter', types: [], neurotransmitter: [], gaba: false, inVarshney279: true },
    { name: 'ALML', cls: 'ALM', category: 'sensory', types: [], neurotransmitter: [], gaba: false, inVarshney279: true },
    { name: 'VA1', cls: 'VA', category: 'motor', types: [], neurotransmitter: [], gaba: false, inVarshney279: true },
  ];
  const c: Connectome = {
    dataset: 'varshney2011', title: 'toy', citation: '', weightUnit: 'synapses', neurons: ['ALML', 'AVAL', 'AVAR', 'VA1'],
    chemical: [{ pre: 'ALML', post: 'AVAL', count: 3 }, { pre: 'ALML', post: 'AVAR', count: 2 }, { pre: 'AVAL', post: 'VA1', count: 7 }, { pre: 'AVAR', post: 'AVAL', count: 1 }],
    gap: [{ a: 'AVAL', b: 'AVAR', count: 4 }], nmj: [], otherTargets: [], notes: [],
  };

  it('sums counts per class pair, classes ordered sensory, inter, motor', () => {
    const adj = adjacencyByClass(c, table);
    expect(adj.classes).toEqual(['ALM', 'AVA', 'VA']);
    expect(Array.from(adj.counts)).toEqual([0, 5, 0, 0, 1, 7, 0, 0, 0]);
    const gap = adjacencyByClass(c, table, { kind: 'gap' });
    expect(Array.from(gap.counts)).toEqual([0, 0, 0, 0, 8, 0, 0, 0, 0]); // AVAL–AVAR both ways within AVA
    const root = svgTree(adjacencyByClassSvg(c, table));
    expect(all(root, byClass('cell')).map((e) => Number(e.attrs['data-count']))).toEqual([5, 1, 7]);
    expect(all(root, byClass('separator')).length).toBe(4);
    expect(all(root, byClass('colourbar')).length).toBe(1);
  });

  const DATA = path.resolve('..', 'shared', 'connectomes');
  it.skipIf(!existsSync(path.join(DATA, 'celegans')))('on the real data, the matrix total equals the sum of chemical synapse counts (Σ count of Connectome.chemical, not the number of edges)', () => {
    const neurons = loadNeuronTable({ dataDir: DATA });
    for (const dataset of ['varshney2011', 'cook2019'] as const) {
      const con = loadConnectome(dataset, { dataDir: DATA });
      const adj = adjacencyByClass(con, neurons);
      const total = adj.counts.reduce((s, x) => s + x, 0);
      expect(total, dataset).toBe(con.chemical.reduce((s, e) => s + e.count, 0));
      expect(total).toBeGreaterThan(con.chemical.length); // counts, not edges
      const cats = adj.categories;
      // Categories appear in blocks, in order.
      const order = ['sensory', 'inter', 'motor', 'pharyngeal', 'unknown'];
      for (let k = 1; k < cats.length; k++) expect(order.indexOf(cats[k]!)).toBeGreaterThanOrEqual(order.indexOf(cats[k - 1]!));
      const svg = adjacencyByClassSvg(con, neurons);
      const root = svgTree(svg);
      const cells = all(root, byClass('cell'));
      expect(cells.reduce((s, e) => s + Number(e.attrs['data-count']), 0)).toBe(total);
      expect(svg.length).toBeLessThan(3_000_000);
    }
  });
});
