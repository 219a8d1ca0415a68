import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spikeStats } from '../src/analysis/spikes.js';
import { Network } from '../src/api/network.js';
import { ValidationError } from '../src/errors.js';
import { escapeHtml, formatNumber, prettyJson } from '../src/report/html.js';
import { defaultReportPath, rankTrains, runReportHtml, writeRunReport } from '../src/report/run-report.js';
import { sweepGrid, sweepReportHtml, type SweepRow } from '../src/report/sweep-report.js';
import { encodeSpikesFile, readResults, writeResults, type ResultsFile } from '../src/results/index.js';
import { all, parseXml, type XmlElement } from './xml-wellformed.js';

const HOSTILE = '</script><b>bold</b><img src=x onerror=alert(1)>&amp;';
const dir = mkdtempSync(path.join(tmpdir(), 'nematode-report-'));
const nmr = path.join(dir, 'small.nmr');
let results: ResultsFile;

const byClass = (cls: string) => (e: XmlElement) => (e.attrs.class ?? '').split(' ').includes(cls);
const textOf = (e: XmlElement): string => e.text + e.children.map(textOf).join('');

/** Every external reference a page could make (the SVG namespace is a name, not a fetch). */
function externalUrls(html: string): string[] {
  return (html.match(/(https?:)?\/\/[^\s"'<>)]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg');
}

beforeAll(async () => {
  const net = new Network({ name: 'report-test', dt: 0.1, duration: 400, seed: 9, threads: 1 });
  const E = net.population('E', 30, 'IF_curr_exp', { tau_m: 10, cm: 0.25, tau_refrac: 2, tau_syn_E: 0.5, tau_syn_I: 0.5 }, { v: { uniform: [-65, -55] } });
  const I = net.population('I', 8, 'IF_curr_exp', { tau_m: 10, cm: 0.25, tau_refrac: 2, tau_syn_E: 0.5, tau_syn_I: 0.5 }, { v: { uniform: [-65, -55] } });
  net.connect(E, I, { rule: 'fixed_indegree', n: 6 }, { receptor: 'excitatory', weight: 0.1, delay: 1.5 });
  net.stimulate(E, { kind: 'poisson', rate: 10000, weight: 0.0878 });
  net.stimulate(I, { kind: 'poisson', rate: 10000, weight: 0.0878 });
  // I: only neurons 2, 4, 6 recorded, so statistics must count 3 neurons, not 8.
  net.record(E, 'spikes').record(I, 'spikes', { indices: [2, 4, 6] }).record(E, ['v'], { indices: [0, 3], interval: 0.5 });
  const out = await net.simulate();
  const ir = net.toIR();
  await writeResults(nmr, out, {
    nematodeVersion: '9.9.9', createdAt: '2026-02-03T04:05:06Z', seed: 9, engine: 'clock', threads: 1, dt: 0.1, duration: 400,
    wall: { buildMs: 1, simMs: 2, totalMs: 3 }, config: { name: `report-test`, note: HOSTILE, populations: ir.populations.map((p) => ({ label: p.label, size: p.size })) },
    irHash: 'abc', synapticEvents: out.stats.synapticEvents, notes: [`a note ${HOSTILE}`],
  });
  results = await readResults(nmr);
});

describe('run report', () => {
  it('is one well-formed, self-contained page: no scripts, no external URLs, every SVG inline', () => {
    const html = runReportHtml(results, { source: nmr });
    const root = parseXml(html);
    expect(root.name).toBe('html');
    expect(all(root, (e) => e.name === 'script')).toEqual([]);
    expect(all(root, (e) => e.name === 'link' || e.name === 'img' || e.name === 'iframe')).toEqual([]);
    expect(externalUrls(html)).toEqual([]);
    // raster, rate, ISI, CV, one trace plot
    const svgs = all(root, (e) => e.name === 'svg');
    expect(svgs.map((s) => textOf(s.children.find((c) => c.name === 'title')!))).toEqual([
      'report-test: spike raster',
      'report-test: population rate',
      'report-test: inter-spike intervals',
      'report-test: CV of ISIs',
      'report-test: E.v',
    ]);
    expect(all(svgs[4]!, byClass('trace')).length).toBe(2);
  });

  it('escapes hostile strings from the config and notes', () => {
    const html = runReportHtml(results, { source: nmr });
    expect(html).not.toContain('</script><b>');
    expect(html).not.toContain('<img');
    const root = parseXml(html);
    expect(all(root, (e) => e.name === 'b')).toEqual([]);
    const pre = all(root, (e) => e.name === 'pre')[0]!;
    expect(JSON.parse(pre.text).note).toBe(HOSTILE);
    expect(textOf(all(root, (e) => e.name === 'ul')[0]!)).toBe(`a note ${HOSTILE}`);
  });

  it('the summary table holds the statistics of the recorded neurons only', () => {
    const root = parseXml(runReportHtml(results, { source: nmr }));
    const table = all(root, (e) => e.name === 'table')[0]!;
    const rows = all(table, (e) => e.name === 'tr').slice(1).map((tr) => tr.children.map(textOf));
    const { trains, sizes } = rankTrains(results.body.segments[0]!.spiketrains);
    expect(sizes).toEqual({ E: 30, I: 3 });
    expect(rows.map((r) => r[0])).toEqual(['E', 'I']);
    trains.forEach((tr, k) => {
      const s = spikeStats(tr.indices, tr.times, sizes[tr.population]!, 400);
      const row = rows[k]!;
      expect(Number(row[1])).toBe(sizes[tr.population]);
      expect(Number(row[2])).toBe(tr.times.length);
      expect(row.slice(3)).toEqual([s.rate, s.cvIsi, s.synchrony].map((x) => formatNumber(x)));
    });
    expect(Number(rows[0]![2])).toBeGreaterThan(0);
    expect(Number(rows[0]![3])).toBeGreaterThan(1);
  });

  it('lists the versions and run settings', () => {
    const root = parseXml(runReportHtml(results, { source: nmr }));
    const kv = all(root, (e) => e.name === 'table' && e.attrs.class === 'kv')[0]!;
    const entries = Object.fromEntries(all(kv, (e) => e.name === 'tr').slice(1).map((tr) => tr.children.map(textOf)));
    expect(entries).toMatchObject({ 'nematode (run)': '9.9.9', 'node (report)': process.version, engine: 'clock', seed: '9', threads: '1', 'dt (ms)': '0.1', 'duration (ms)': '400', created: '2026-02-03T04:05:06Z' });
  });

  it('is deterministic', () => {
    expect(runReportHtml(results, { source: nmr })).toBe(runReportHtml(results, { source: nmr }));
  });

  it('reads nematode-spikes JSON files too', async () => {
    const json = path.join(dir, 'spikes.json');
    writeFileSync(json, encodeSpikesFile({ producer: 'test', network: `json ${HOSTILE}`, dt: 1, steps: 100, populations: [{ label: 'A', size: 4, neuron: [0, 1, 0, 2, 0], step: [10, 20, 30, 40, 50] }] }));
    const out = await writeRunReport(json);
    expect(out).toBe(path.join(dir, 'spikes.html'));
    const root = parseXml(readFileSync(out, 'utf8'));
    expect(textOf(all(root, (e) => e.name === 'h1')[0]!)).toBe(`nematode report: json ${HOSTILE}`);
    const raster = all(root, byClass('spikes'));
    expect(raster.reduce((s, p) => s + Number(p.attrs['data-dots']), 0)).toBe(5);
  });

  it('says so when nothing was recorded', async () => {
    const json = path.join(dir, 'empty.json');
    writeFileSync(json, encodeSpikesFile({ producer: 'test', network: 'empty', dt: 1, steps: 10, populations: [] }));
    const root = parseXml(readFileSync(await writeRunReport(json), 'utf8'));
    const sections = Object.fromEntries(all(root, (e) => e.name === 'section').map((e) => [e.attrs.id, textOf(e)]));
    expect(sections.summary).toContain('No spikes were recorded.');
    expect(sections.plots).toContain('Nothing was recorded that can be plotted.');
    expect(all(root, (e) => e.name === 'svg')).toEqual([]);
  });

  it('writes atomically next to the results by default, and never over the results file', async () => {
    expect(defaultReportPath('a/b/run.nmr')).toBe('a/b/run.html');
    const out = await writeRunReport(nmr);
    expect(out).toBe(path.join(dir, 'small.html'));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    await expect(writeRunReport(nmr, nmr)).rejects.toThrow(ValidationError);
    const nested = path.join(dir, 'sub', 'dir', 'r.html');
    await writeRunReport(nmr, nested);
    expect(existsSync(nested)).toBe(true);
  });

  it('`nematode report` writes the page and prints its path (built CLI)', () => {
    const cli = path.resolve('dist/src/cli/main.js');
    if (!existsSync(cli)) return; // npm test builds dist/ first
    const out = path.join(dir, 'cli.html');
    const r = spawnSync(process.execPath, [cli, 'report', nmr, '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(out);
    expect(readFileSync(out, 'utf8')).toBe(runReportHtml(results, { source: nmr }));
    const missing = spawnSync(process.execPath, [cli, 'report', path.join(dir, 'nope.nmr')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.nmr');
  });
});

describe('html helpers', () => {
  it('escapeHtml leaves no markup characters', () => {
    expect(escapeHtml(HOSTILE)).not.toMatch(/[<>"']/);
  });
  it('prettyJson shows typed arrays as arrays, shortened, and non-finite numbers as text', () => {
    expect(JSON.parse(prettyJson({ a: Float64Array.from([1, 2]), b: new Uint32Array(60), c: Infinity }))).toEqual({ a: [1, 2], b: [...new Array(50).fill(0), '… 10 more'], c: 'Infinity' });
  });
});

describe('sweep report', () => {
  const rows: SweepRow[] = [];
  for (const g of [4, 5, 6]) for (const rate of [10, 20]) for (const seed of [1, 2]) rows.push({ params: { g, rate, label: `x${HOSTILE}` }, seed, metrics: { rate: g * rate + seed, cv: g === 6 && rate === 20 ? NaN : seed / 10 }, resultsPath: `out/${g}-${rate}-${seed}.nmr` });

  it('a heatmap per metric over the first two numeric params (mean over seeds), NaN hatched, and a table of every run', () => {
    const html = sweepReportHtml({ name: `sweep ${HOSTILE}`, params: ['g', 'label', 'rate'], metrics: ['rate', 'cv'], rows, config: `a: ${HOSTILE}`, versions: { nematode: '1.0' } });
    const root = parseXml(html);
    expect(all(root, (e) => e.name === 'script' || e.name === 'b')).toEqual([]);
    expect(externalUrls(html)).toEqual([]);
    const svgs = all(root, (e) => e.name === 'svg');
    expect(svgs.length).toBe(2);
    const cells = all(svgs[0]!, byClass('cell'));
    expect(cells.length).toBe(6);
    // The cell at g = 5, rate = 20 holds the mean over seeds 1 and 2: 5·20 + 1.5.
    const titled = cells.map((c) => textOf(c.children[0]!));
    expect(titled).toContain('g = 5, rate = 20: rate = 101.5');
    expect(all(svgs[1]!, byClass('nan')).length).toBe(1);
    const table = all(root, (e) => e.name === 'table')[0]!;
    expect(all(table, (e) => e.name === 'tr').length).toBe(rows.length + 1);
    expect(textOf(all(root, (e) => e.name === 'pre')[0]!)).toBe(`a: ${HOSTILE}`);
    expect(sweepGrid(rows, 'g', 'rate', 'rate').z).toEqual([
      [41.5, 51.5, 61.5],
      [81.5, 101.5, 121.5],
    ]);
  });

  it('one numeric parameter: the metric against it, with every seed shown', () => {
    const one = rows.filter((r) => r.params.rate === 10).map((r) => ({ ...r, params: { g: r.params.g } }));
    const root = parseXml(sweepReportHtml({ name: 'one', params: ['g'], metrics: ['rate'], rows: one }));
    const svg = all(root, (e) => e.name === 'svg')[0]!;
    expect(all(svg, byClass('seed')).length).toBe(one.length);
    expect(all(svg, byClass('mean')).length).toBe(1);
  });
});
