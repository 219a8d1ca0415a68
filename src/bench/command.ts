/**
 * `nematode bench`: figures, not timed tests. Runs a standard network, prints build
 * time, simulation time, spikes, mean rate, synaptic events per second and peak
 * memory, optionally side by side with Brian2 in the same process tree.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SimulationOutput } from '../engines/types.js';
import type { NetworkIR } from '../ir/types.js';
import { runToFile } from '../run.js';
import { toInternal } from '../units.js';
import { progressBar } from '../util/progress.js';
import { BENCH_DEVIATIONS, cobaNetwork, cubaNetwork, sparseNetwork, wormNetwork } from './networks.js';

export interface BenchArgs {
  network: string;
  duration?: string;
  size?: number;
  engine?: string;
  backend?: string;
  threads: number;
  seed: number;
  repeat: number;
  compare?: string;
  'brian2-target'?: string;
  json?: boolean;
  'data-dir'?: string;
  /** microcircuit: N_scaling = K_scaling (default 0.1). */
  scale?: number;
  /** microcircuit: background input, poisson (default) or dc. */
  background?: string;
  /** scaling: comma-separated sizes (default 4000,64000,256000,1000000). */
  sizes?: string;
  /** Clock engine neuron kernels: wasm (WebAssembly SIMD where the model compiles, the default) or js (JavaScript only). */
  kernels?: string;
}

export interface BenchFigures {
  network: string;
  engine: string;
  /** gpu engine: the kernel backend that ran. */
  backend?: string;
  threads: number;
  size: number;
  synapses: number;
  durationMs: number;
  buildS: number;
  simS: number;
  rtf: number;
  spikes: number;
  rateHz: number;
  events: number;
  eventsPerS: number;
  peakRssMiB: number;
  /** Process start → first results file written. */
  wholeProcessS?: number;
}

/** The figures of a finished run; `events` counts the synaptic events to report (default: all the engine delivered). */
export function runFigures(ir: NetworkIR, out: SimulationOutput, durationMs: number, constructS: number, events = out.stats.synapticEvents): BenchFigures {
  const s = out.stats;
  const size = ir.populations.reduce((x, p) => x + p.size, 0);
  return {
    network: ir.name,
    engine: s.engine,
    backend: s.backend,
    threads: s.threads,
    size,
    synapses: ir.projections.reduce((x, p) => x + p.targets.length, 0),
    durationMs,
    buildS: constructS + s.buildMs / 1000,
    simS: s.simMs / 1000,
    rtf: s.simMs / durationMs,
    spikes: s.spikes,
    rateHz: s.spikes / size / (durationMs / 1000),
    events,
    eventsPerS: events / (s.simMs / 1000),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

/** Median of a list (the lower middle for even lengths). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

async function makeNetwork(a: BenchArgs, durationMs: number): Promise<NetworkIR> {
  const o = { size: a.size, duration: durationMs, seed: a.seed, threads: a.threads, recordSpikes: true };
  if (a.network === 'worm') return wormNetwork({ ...o, dataDir: a['data-dir'] });
  if (a.network === 'coba') return cobaNetwork(o);
  if (a.network === 'cuba') return cubaNetwork(o);
  return sparseNetwork(o);
}

async function measure(a: BenchArgs, durationMs: number, engine: string | undefined, outDir: string, first: boolean): Promise<BenchFigures> {
  const t0 = performance.now();
  const ir = await makeNetwork(a, durationMs);
  if (engine) ir.run.engine = engine as NetworkIR['run']['engine'];
  if (a.backend) ir.run.backend = a.backend as NetworkIR['run']['backend'];
  const constructS = (performance.now() - t0) / 1000;
  const bar = progressBar(`${ir.name} [${ir.run.engine}]`);
  const { output } = await runToFile(ir, path.join(outDir, `${ir.name}.nmr`), { onProgress: (f) => bar.update(f), engine: { wasmNeurons: a.kernels !== 'js' } });
  bar.done();
  const wholeProcessS = first ? performance.now() / 1000 : undefined;
  return { ...runFigures(ir, output, durationMs, constructS), wholeProcessS };
}

export function line(f: BenchFigures): string {
  return (
    `${f.network} [${f.engine}${f.backend ? `/${f.backend}` : ''}, ${f.threads} thread${f.threads > 1 ? 's' : ''}] ${f.size} neurons, ${f.synapses} synapses, ${f.durationMs / 1000} s bio: ` +
    `build ${f.buildS.toFixed(3)} s, simulation ${f.simS.toFixed(3)} s (RTF ${f.rtf.toFixed(3)}), ${f.spikes} spikes, ${f.rateHz.toFixed(2)} Hz, ` +
    `${f.eventsPerS.toExponential(2)} events/s, peak RSS ${f.peakRssMiB.toFixed(0)} MiB` +
    (f.wholeProcessS !== undefined ? `, whole process ${f.wholeProcessS.toFixed(2)} s` : '')
  );
}

/** Whole-process time is only meaningful for the first run of the process. */
let wholeProcessTaken = false;

async function series(a: BenchArgs, durationMs: number, engine: string | undefined, outDir: string): Promise<BenchFigures> {
  const runs: BenchFigures[] = [];
  for (let r = 0; r < Math.max(1, a.repeat); r++) {
    const f = await measure(a, durationMs, engine, outDir, !wholeProcessTaken);
    wholeProcessTaken = true;
    runs.push(f);
    if (!a.json) process.stderr.write(`  run ${r + 1}: ${line(f)}\n`);
  }
  const first = runs[0]!;
  return { ...first, buildS: median(runs.map((r) => r.buildS)), simS: median(runs.map((r) => r.simS)), rtf: median(runs.map((r) => r.rtf)), eventsPerS: median(runs.map((r) => r.eventsPerS)) };
}

export async function benchCommand(a: BenchArgs): Promise<number> {
  const d = a.duration ?? (a.network === 'sparse' || a.network === 'worm' ? '10 s' : '1 s');
  const durationMs = toInternal(/^[\d.eE+-]+$/.test(d) ? Number(d) : d, 'time', { object: 'bench', parameter: '--duration' });
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'nematode-bench-'));
  const report: Record<string, unknown> = { machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}` };
  try {
    if (!a.json) process.stdout.write(`machine: ${report.machine}\n`);
    if (a.network === 'microcircuit') {
      const { microcircuitBench, microcircuitLine, ratesTable } = await import('./microcircuit-bench.js');
      const f = await microcircuitBench(a, durationMs);
      report.results = [f];
      if (!a.json) {
        process.stdout.write(microcircuitLine(f) + '\n');
        process.stdout.write(ratesTable(f) + '\n');
        process.stdout.write('no results file is written (at full scale its IR hash would have to encode 3·10⁸ synapses)\n');
      }
    } else if (a.network === 'scaling') {
      const { scalingBench, scalingTable } = await import('./scaling.js');
      const rows = await scalingBench(a, durationMs, (b, d) => series(b, d, b.engine, outDir), line);
      report.results = rows.map((r) => r.figures ?? { size: r.size, error: r.error });
      if (!a.json) {
        process.stdout.write(`scaling series: COBA at fan-in 80 (p = 80/N; 0.02 at 4000), ${durationMs / 1000} s biological time\n`);
        process.stdout.write(scalingTable(rows) + '\n');
        process.stdout.write(`deviations from the reference: ${BENCH_DEVIATIONS.join('; ')}\n`);
      }
      if (a.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return rows.every((r) => r.figures) ? 0 : 1;
    } else if (a.network === 'sparse') {
      if (a.engine) {
        const f = await series(a, durationMs, a.engine, outDir);
        report.results = [f];
        if (!a.json) process.stdout.write(line(f) + '\n');
      } else {
        // Event and clock runs alternate (event first in odd pairs, clock first in even
        // ones), so a drift of the machine's speed hits both alike; the speed-up is the
        // median of the pairs' ratios.
        const pairs: [BenchFigures, BenchFigures][] = [];
        for (let r = 0; r < Math.max(1, a.repeat); r++) {
          const order = r % 2 === 0 ? ['event', 'clock'] : ['clock', 'event'];
          const got: Record<string, BenchFigures> = {};
          for (const e of order) {
            got[e] = await measure(a, durationMs, e, outDir, !wholeProcessTaken);
            wholeProcessTaken = true;
            if (!a.json) process.stderr.write(`  pair ${r + 1}: ${line(got[e]!)}\n`);
          }
          pairs.push([got.event!, got.clock!]);
        }
        const summary = (runs: BenchFigures[]): BenchFigures => ({ ...runs[0]!, buildS: median(runs.map((r) => r.buildS)), simS: median(runs.map((r) => r.simS)), rtf: median(runs.map((r) => r.rtf)), eventsPerS: median(runs.map((r) => r.eventsPerS)) });
        const figs = [summary(pairs.map((p) => p[0])), summary(pairs.map((p) => p[1]))];
        const ratios = pairs.map(([ev, cl]) => cl.simS / ev.simS);
        report.results = figs;
        report.speedup = { median: median(ratios), pairs: ratios };
        if (!a.json) {
          for (const f of figs) process.stdout.write(line(f) + '\n');
          const each = ratios.length > 1 ? ` (median of ${ratios.length} side-by-side pairs: ${ratios.map((x) => x.toFixed(1)).join(', ')})` : '';
          process.stdout.write(`event engine speed-up over clock: ${median(ratios).toFixed(1)}×${each}\n`);
        }
      }
    } else {
      const ours = await series(a, durationMs, a.engine, outDir);
      report.results = [ours];
      if (!a.json) {
        process.stdout.write(line(ours) + '\n');
        if (a.network === 'worm') {
          const target = 1.0 * (durationMs / 10_000);
          process.stdout.write(`requirement (issue 3): 10 s of biological time at dt 0.1 ms in under 1 s: ${ours.simS < target ? 'met' : 'NOT met'} (simulation ${ours.simS.toFixed(3)} s${durationMs === 10_000 ? '' : ` for ${durationMs / 1000} s, scaled target ${target.toFixed(3)} s`})\n`);
        } else process.stdout.write(`deviations from the reference: ${BENCH_DEVIATIONS.join('; ')}\n`);
      }
      if (a.compare === 'brian2') report.brian2 = await compareBrian2(a, durationMs, ours);
    }
    if (a.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function compareBrian2(a: BenchArgs, durationMs: number, ours: BenchFigures): Promise<unknown[]> {
  const { brian2Available, runBrian2 } = await import('./brian2.js');
  const avail = brian2Available();
  if (!avail.ok) {
    process.stdout.write(`brian2: not available (${avail.reason})\n`);
    return [];
  }
  const wanted = a['brian2-target'] ?? 'all';
  const targets = (wanted === 'all' ? ['cpp_standalone', 'cython'] : [wanted]) as Array<'cpp_standalone' | 'cython' | 'numpy'>;
  const out: unknown[] = [];
  for (const target of targets) {
    const b = await runBrian2({ model: a.network as 'coba' | 'cuba', size: ours.size, durationMs, target, seed: a.seed, threads: 0 });
    out.push(b);
    if (!a.json) {
      process.stdout.write(
        `brian2 ${target}: loop ${b.loopS.toFixed(3)} s, whole process ${b.wholeProcessS.toFixed(2)} s, ${b.spikes} spikes, ${b.rateHz.toFixed(2)} Hz\n` +
          `  ratio (nematode ÷ brian2): loop ${(ours.simS / b.loopS).toFixed(2)}, whole process ${((ours.wholeProcessS ?? NaN) / b.wholeProcessS).toFixed(2)}\n`,
      );
    }
  }
  return out;
}
