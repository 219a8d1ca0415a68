/** `nematode run`: config (or the default network) → simulation → results file, summary, plot. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { defaultNetwork } from '../default-network.js';
import { ValidationError } from '../errors.js';
import type { EngineName, NetworkIR } from '../ir/types.js';
import { rasterSvg } from '../plot/raster.js';
import { runSummary, runToFile } from '../run.js';
import { toInternal } from '../units.js';
import { progressBar } from '../util/progress.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface RunArgs {
  config?: string;
  duration?: string;
  dt?: string;
  engine?: string;
  seed?: number;
  threads?: number;
  out?: string;
  plot?: boolean;
  progress?: boolean;
}

function quantity(text: string | undefined, parameter: string): number | undefined {
  if (text === undefined) return undefined;
  // A bare number is read in ms, like every time in the config.
  return toInternal(/^[-+.\d eE]+$/.test(text) ? Number(text) : text, 'time', { object: 'command line', parameter: `--${parameter}` });
}

export function applyOverrides(ir: NetworkIR, a: RunArgs): NetworkIR {
  const duration = quantity(a.duration, 'duration');
  const dt = quantity(a.dt, 'dt');
  if (dt !== undefined && dt !== ir.run.dt && !a.config) {
    throw new ValidationError('--dt cannot change the built-in network after it was built; pass a config file to run it at another dt.', { object: 'command line', parameter: '--dt' });
  }
  if (duration !== undefined) ir.run.duration = duration;
  if (a.engine !== undefined) ir.run.engine = a.engine as EngineName;
  if (a.seed !== undefined) ir.run.seed = a.seed;
  if (a.threads !== undefined) ir.run.threads = a.threads;
  return ir;
}

export async function runCommand(a: RunArgs, started: number): Promise<number> {
  // dt and seed shape the network when it is built (connectivity, delays, initial values), so they go in first.
  const ir = a.config
    ? loadConfig(a.config, { dt: a.dt === undefined ? undefined : quantity(a.dt, 'dt'), seed: a.seed })
    : defaultNetwork();
  applyOverrides(ir, a);
  const out = a.out ?? path.join('results', `${ir.name}.nmr`);
  const bar = progressBar(`${ir.name}`, { force: a.progress });
  const result = await runToFile(ir, out, { onProgress: (f) => bar.update(f), startedAt: started });
  bar.done();
  process.stdout.write(runSummary(ir, result, out) + '\n');
  if (a.plot !== false && result.output.spikes.length > 0) {
    const svg = out.replace(/\.[^./]+$/, '') + '.svg';
    mkdirSync(path.dirname(svg), { recursive: true });
    const sizes = Object.fromEntries(ir.populations.map((p) => [p.label, p.size]));
    writeFileAtomic(svg, rasterSvg(result.output, { title: `${ir.name}: spikes and population rate`, duration: ir.run.duration, sizes }));
    process.stdout.write(`  plot: ${svg}\n`);
  }
  return 0;
}
