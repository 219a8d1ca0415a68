/**
 * `nematode export <config> --target <name> --out <dir>`: hands a network to a
 * neuromorphic platform through the target registry (targets/index.ts). Every check
 * (and any quantisation report) runs before anything is written; a refusal is a typed
 * error and leaves no output folder behind.
 */
import { loadConfig } from '../config/load.js';
import { timeFromText } from '../units.js';
import { UnknownNameError, ValidationError } from '../errors.js';
import { PYNN_BACKENDS, type PynnBackend } from '../../targets/pynn/script.js';
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
  /** spinnaker: spinn-5 | spinn-3. */
  board?: string;
  /** spinnaker: "N", "POP=N,POP=M" or "N,POP=M". */
  'neurons-per-core'?: string | number;
  /** spinnaker: cap on the synaptic word's delay bits. */
  'delay-bits'?: number;
  /** spinnaker: default backend of the PyNN script. */
  'pynn-backend'?: string;
}

/** `--neurons-per-core`: one number for every population, `pop=n` pairs, or both ("128,E=64"; the number goes in as key "*"). */
export function parseNeuronsPerCore(text: string | number | undefined): number | Record<string, number> | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'number') return text;
  const map: Record<string, number> = {};
  let all: number | undefined;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(?:([^=]+)=)?\s*(\d+)$/.exec(part);
    if (!m) {
      throw new ValidationError(`--neurons-per-core "${text}": write a number, population=number pairs, or both, e.g. "128" or "E=64,I=32".`, {
        object: 'command line',
        parameter: '--neurons-per-core',
        expected: 'N or POP=N,…',
      });
    }
    if (m[1] === undefined) all = Number(m[2]);
    else map[m[1].trim()] = Number(m[2]);
  }
  if (Object.keys(map).length === 0) return all;
  if (all !== undefined) map['*'] = all;
  return map;
}

function time(text: string | undefined, parameter: string): number | undefined {
  if (text === undefined) return undefined;
  return timeFromText(text, { object: 'command line', parameter: `--${parameter}` });
}

function pynnBackend(name: string): PynnBackend {
  const found = PYNN_BACKENDS.find((b) => b.toLowerCase() === name.toLowerCase());
  if (!found) throw new UnknownNameError('PyNN backend', name, PYNN_BACKENDS, { object: 'command line', parameter: '--pynn-backend' });
  return found;
}

export async function exportCommand(a: ExportArgs): Promise<number> {
  const target = getTarget(a.target);
  if (a.steps !== undefined && (!Number.isSafeInteger(a.steps) || a.steps < 1)) {
    throw new ValidationError(`--steps ${a.steps} must be a whole number ≥ 1.`, { object: 'command line', parameter: '--steps', expected: 'integer ≥ 1' });
  }
  const ir = loadConfig(a.config, { dt: time(a.dt, 'dt'), seed: a.seed }, { dataDir: a['data-dir'] });
  if (a.board !== undefined && a.board !== 'spinn-5' && a.board !== 'spinn-3') {
    throw new ValidationError(`--board ${a.board}: spinn-5 (48 chips) or spinn-3 (4 chips).`, { object: 'command line', parameter: '--board', expected: 'spinn-5 | spinn-3' });
  }
  const result = await target.export(ir, a.out, {
    approximate: a.approximate,
    simulate: a.simulate,
    steps: a.steps,
    ...(a.board !== undefined ? { board: a.board } : {}),
    ...(a['neurons-per-core'] !== undefined ? { neuronsPerCore: parseNeuronsPerCore(a['neurons-per-core']) } : {}),
    ...(a['delay-bits'] !== undefined ? { delayBits: a['delay-bits'] } : {}),
    ...(a['pynn-backend'] !== undefined ? { pynnBackend: pynnBackend(a['pynn-backend']) } : {}),
  });
  const lines = [`${result.network}: exported for ${target.name} to ${result.outDir}`];
  for (const m of result.messages) lines.push(...m.split('\n').map((l, i) => (l.trim() === '' ? '' : i === 0 ? `  ${l}` : `    ${l}`)));
  const width = Math.max(...result.files.map((f) => f.name.length));
  lines.push('  files:');
  for (const f of result.files) lines.push(`    ${f.name.padEnd(width)}  ${f.description}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
