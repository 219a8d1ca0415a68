/**
 * Opens a generated run report in a real browser (Debian's chromium through
 * playwright-core): no console errors or page errors, every inline <svg> is laid out with
 * a nonzero size and draws something, and a screenshot is saved under the OS temp folder.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { writeResults } from '../src/results/index.js';
import { readResults } from '../src/results/index.js';
import { runReportHtml } from '../src/report/run-report.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const dir = mkdtempSync(path.join(tmpdir(), 'nematode-report-browser-'));
afterAll(() => rmSync(path.join(dir, 'profile'), { recursive: true, force: true }));

async function smallReport(): Promise<string> {
  const net = new Network({ name: 'browser-test', dt: 0.1, duration: 300, seed: 3, threads: 1 });
  const E = net.population('E', 40, 'IF_curr_exp', { tau_m: 10, cm: 0.25, tau_refrac: 2, tau_syn_E: 0.5, tau_syn_I: 0.5 }, { v: { uniform: [-65, -55] } });
  const I = net.population('I', 10, 'IF_curr_exp', { tau_m: 10, cm: 0.25, tau_refrac: 2, tau_syn_E: 0.5, tau_syn_I: 0.5 }, { v: { uniform: [-65, -55] } });
  net.connect(E, I, { rule: 'fixed_indegree', n: 8 }, { receptor: 'excitatory', weight: 0.1, delay: 1.5 });
  net.connect(I, E, { rule: 'fixed_indegree', n: 4 }, { receptor: 'inhibitory', weight: -0.3, delay: 0.8 });
  net.stimulate(E, { kind: 'poisson', rate: 10000, weight: 0.0878 });
  net.stimulate(I, { kind: 'poisson', rate: 10000, weight: 0.0878 });
  net.record(E, 'spikes').record(I, 'spikes').record(E, ['v'], { indices: [0, 1, 2], interval: 0.5 }).record(E, 'rate', { bin: 5 });
  const out = await net.simulate();
  const file = path.join(dir, 'run.nmr');
  const ir = net.toIR();
  await writeResults(file, out, {
    nematodeVersion: 'test', createdAt: '2026-01-01T00:00:00Z', seed: ir.run.seed, engine: ir.run.engine, threads: 1, dt: ir.run.dt, duration: ir.run.duration,
    wall: { buildMs: 0, simMs: 0, totalMs: 0 }, config: { name: ir.name, hostile: '</script><b>x</b>' }, irHash: '', synapticEvents: out.stats.synapticEvents, notes: [],
  });
  const html = runReportHtml(await readResults(file), { source: file });
  const page = path.join(dir, 'run.html');
  writeFileSync(page, html);
  return page;
}

describe.skipIf(!haveChromium)(haveChromium ? `report in a browser (${CHROMIUM})` : `report in a browser: skipped, ${CHROMIUM} is absent (apt-get install chromium)`, () => {
  it('renders without errors, every SVG is laid out and draws, and a screenshot is written', async () => {
    const page = await smallReport();
    const { chromium } = await import('playwright-core');
    const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const tab = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      const requests: string[] = [];
      tab.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      tab.on('pageerror', (e) => errors.push(e.message));
      tab.on('request', (r) => requests.push(r.url()));
      await tab.setViewportSize({ width: 1100, height: 900 });
      await tab.goto('file://' + page, { waitUntil: 'load' });
      const svgs = await tab.$$eval('svg', (nodes) =>
        nodes.map((n) => {
          const r = n.getBoundingClientRect();
          return { width: r.width, height: r.height, drawn: n.querySelectorAll('path, rect, circle, line, polyline').length, title: n.querySelector('title')?.textContent ?? '' };
        }),
      );
      // raster, rate, ISI, CV and one trace plot.
      expect(svgs.length).toBe(5);
      for (const s of svgs) {
        expect(s.width, s.title).toBeGreaterThan(100);
        expect(s.height, s.title).toBeGreaterThan(100);
        expect(s.drawn, s.title).toBeGreaterThan(3);
      }
      // The hostile config string is shown as text, not markup.
      expect(await tab.$$eval('b', (b) => b.length)).toBe(0);
      expect(await tab.locator('#config pre').textContent()).toContain('</script><b>x</b>');
      expect(errors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      const shot = path.join(dir, 'report.png');
      await tab.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      process.stdout.write(`report screenshot: ${shot}\n`);
    } finally {
      await context.close();
    }
  });
});

