/**
 * `nematode plot adjacency [dataset]` and `nematode plot fi <model>`: the plots that do not
 * come from a results file (those are written by `nematode run` and `nematode report`).
 * Modules load only when a subcommand runs.
 */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ValidationError } from '../errors.js';

async function writeSvg(file: string, svg: string): Promise<void> {
  const { mkdirSync } = await import('node:fs');
  const { writeFileAtomic } = await import('../util/atomic.js');
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomic(file, svg);
  process.stdout.write(`plot: ${file}\n`);
}

/** `--currents` as nA values: a:b:step, log:a:b:n, [v1, v2] or one value; units allowed ("100 pA"). */
async function currents(text: string): Promise<number[]> {
  const { parseParamSpec } = await import('../sweep/params.js');
  const { toInternal } = await import('../units.js');
  let spec: ReturnType<typeof parseParamSpec>;
  try {
    spec = parseParamSpec(`currents=${text}`);
  } catch (e) {
    const why = (e as Error).message.replace(/^--param "[^"]*": /, '');
    throw new ValidationError(`--currents "${text}": ${why}`, { object: 'command line', parameter: '--currents', expected: 'a:b:step, log:a:b:n, [v1, v2, …] or one value (nA, or with current units)' });
  }
  if (spec.dim !== undefined && spec.dim !== 'current') {
    throw new ValidationError(`--currents "${text}": the bounds are a ${spec.dim}, not a current.`, { object: 'command line', parameter: '--currents', expected: 'currents in nA, or with current units' });
  }
  return spec.values.map((v) => (typeof v === 'number' ? v : toInternal(v, 'current', { object: 'command line', parameter: '--currents' })));
}

/** `--param k=v` pairs; values are numbers in internal units or quantities ("20 ms"). */
async function params(pairs: string[] | undefined): Promise<Record<string, number>> {
  const { parseQuantity } = await import('../units.js');
  const out: Record<string, number> = {};
  for (const p of pairs ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(p.trim());
    if (!m) throw new ValidationError(`--param "${p}": write name=value, e.g. tau_m=20 or tau_m="20 ms".`, { object: 'command line', parameter: '--param', expected: 'name=value' });
    const text = m[2]!.trim();
    out[m[1]!] = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : parseQuantity(text).value;
  }
  return out;
}

export const plotCommand: CommandModule = {
  command: 'plot <kind>',
  describe: 'Plots that need no results file: the connectome adjacency matrix by neuron class, a model\'s f–I curve.',
  builder: (y: Argv) =>
    y
      .command(
        'adjacency [dataset]',
        'Adjacency matrix of a C. elegans connectome by neuron class (log colour scale), as SVG.',
        (a) =>
          a
            .positional('dataset', { type: 'string', default: 'cook2019', describe: 'connectome dataset (nematode connectome list)' })
            .option('kind', { choices: ['chemical', 'gap'], default: 'chemical', describe: 'chemical synapses or gap junctions' })
            .option('out', { type: 'string', describe: 'SVG file (default adjacency-<dataset>-<kind>.svg)' })
            .option('data-dir', { type: 'string', describe: 'connectome data directory' })
            .example('$0 plot adjacency cook2019 --kind gap', 'gap junctions between classes'),
        async (a) => {
          const { loadConnectome, loadNeuronTable } = await import('../connectome/index.js');
          const { adjacencyByClassSvg } = await import('../plot/adjacency.js');
          const dataset = a.dataset as string;
          const kind = a.kind as 'chemical' | 'gap';
          const connectome = loadConnectome(dataset as Parameters<typeof loadConnectome>[0], { dataDir: a['data-dir'] as string | undefined });
          const table = loadNeuronTable({ dataDir: a['data-dir'] as string | undefined });
          await writeSvg((a.out as string | undefined) ?? `adjacency-${dataset}-${kind}.svg`, adjacencyByClassSvg(connectome, table, { kind }));
        },
      )
      .command(
        'fi <model>',
        'f–I curve of a neuron model: one neuron per current, DC input, rate from the inter-spike intervals; with the analytic curve for IF_curr_exp.',
        (a) =>
          a
            .positional('model', { type: 'string', demandOption: true, describe: 'model (nematode models)' })
            .option('param', { type: 'string', array: true, alias: 'p', describe: 'model parameter, name=value (internal units or a quantity)' })
            .option('currents', { type: 'string', default: '0:2:0.05', describe: 'currents (nA): a:b:step, log:a:b:n or [v1, v2, …]; units allowed' })
            .option('duration', { type: 'string', default: '1000', describe: 'simulated time per neuron (ms, or a quantity)' })
            .option('dt', { type: 'string', default: '0.1', describe: 'time step (ms, or a quantity)' })
            .option('engine', { choices: ['clock', 'event', 'gpu'], default: 'clock' })
            .option('out', { type: 'string', describe: 'SVG file (default fi-<model>.svg)' })
            .example('$0 plot fi IF_curr_exp -p tau_m=20 -p cm=0.25 -p tau_refrac=2 --currents 0:1:0.02', 'LIF f–I curve against the analytic one'),
        async (a) => {
          const { fiCurve, lifRate } = await import('../analysis/fi.js');
          const { fiSvg } = await import('../plot/fi.js');
          const { getModel } = await import('../models/index.js');
          const { timeFromText } = await import('../units.js');
          const time = (t: string, name: string): number => timeFromText(t, { object: 'command line', parameter: `--${name}` });
          const model = getModel(a.model as string, 'nematode plot fi');
          const p = await params(a.param as string[] | undefined);
          const I = await currents(a.currents as string);
          const engine = a.engine as 'clock' | 'event' | 'gpu';
          const dt = time(a.dt as string, 'dt');
          const points = await fiCurve(model.name, p, I, { duration: time(a.duration as string, 'duration'), dt, engine });
          let reference;
          if (model.name === 'iaf_psc_exp') {
            const all = Object.fromEntries(Object.entries(model.params).map(([k, d]) => [k, p[k] ?? (d.default as number)])) as Parameters<typeof lifRate>[0];
            const lo = Math.min(...I);
            const hi = Math.max(...I);
            const fine = Array.from({ length: 201 }, (_, k) => lo + ((hi - lo) * k) / 200);
            reference = { label: 'analytic LIF', points: fine.map((current) => ({ current, rate: lifRate(all, current) })) };
          }
          const title = `f–I curve: ${model.name}`;
          await writeSvg((a.out as string | undefined) ?? `fi-${model.name}.svg`, fiSvg([{ label: `${model.name} (${engine}, dt ${dt} ms)`, points }], { title, ...(reference ? { reference } : {}) }));
          for (const q of points) process.stdout.write(`  ${q.current.toPrecision(4).padStart(9)} nA  ${q.rate.toFixed(2).padStart(8)} Hz\n`);
        },
      )
      .demandCommand(1, 'Name a plot: adjacency or fi.'),
  handler: () => undefined,
};
