/**
 * `nematode export <config> --target <name> --out <dir>`: hands a network to a
 * neuromorphic platform through the target registry (targets/index.ts). Every check
 * (and any quantisation report) runs before anything is written; a refusal is a typed
 * error and leaves no output folder behind.
 */
import { loadConfig } from '../config/load.js';
import { toInternal } from '../units.js';
import { ValidationError } from '../errors.js';
import { getTarget } from '../../targets/index.js';

export interface ExportArgs {
  config: string;
  target: string;
  out: string;
  approximate?: boolean;
  simulate?: boolean;
  steps?: number;
  dt?: string;
  seed?: number;
  'data-dir'?: string;
}

function time(text: string | undefined, parameter: string): number | undefined {
  if (text === undefined) return undefined;
  return toInternal(/^[-+.\d eE]+$/.test(text) ? Number(text) : text, 'time', { object: 'command line', parameter: `--${parameter}` });
}

export async function exportCommand(a: ExportArgs): Promise<number> {
  const target = getTarget(a.target);
  if (a.steps !== undefined && (!Number.isSafeInteger(a.steps) || a.steps < 1)) {
    throw new ValidationError(`--steps ${a.steps} must be a whole number ≥ 1.`, { object: 'command line', parameter: '--steps', expected: 'integer ≥ 1' });
  }
  const ir = loadConfig(a.config, { dt: time(a.dt, 'dt'), seed: a.seed }, { dataDir: a['data-dir'] });
  const result = await target.export(ir, a.out, { approximate: a.approximate, simulate: a.simulate, steps: a.steps });
  const lines = [`${result.network}: exported for ${target.name} to ${result.outDir}`];
  for (const m of result.messages) lines.push(...m.split('\n').map((l, i) => (l.trim() === '' ? '' : i === 0 ? `  ${l}` : `    ${l}`)));
  const width = Math.max(...result.files.map((f) => f.name.length));
  lines.push('  files:');
  for (const f of result.files) lines.push(`    ${f.name.padEnd(width)}  ${f.description}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
