/**
 * The `spinnaker` export target: a SpiNNaker-1 machine netlist as sPyNNaker would lay the
 * network out (docs/targets/spinnaker.md, "Machine netlist"; spec
 * ../shared/reference/spinnaker-pynn.md §2, §3).
 *
 * Every check runs before anything is written (netlist.ts: capability check, partitioning,
 * placement, keys, synaptic matrices, routing tables and their limits); a refusal is one
 * typed error. Then the folder is written atomically:
 *   netlist.json       the machine netlist (small fields)
 *   netlist.msgpack    its large arrays (synaptic matrix words, connection lists, spike times)
 *   quantization.json  the quantisation report (weight shifts, clipped/zeroed weights, delays)
 *   run_pynn.py        a PyNN 0.10 script of the same network (targets/pynn/script.ts), with
 *   pynn/              its NumPy arrays: connection lists, spike arrays, per-neuron values
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import type { NetworkIR } from '../../src/ir/types.js';
import { writeDirectoryAtomic } from '../../src/util/atomic.js';
import type { ExportedFile, ExportResult, Target, TargetCheck, TargetOptions } from '../index.js';
import { buildNetlist, formatReport, NETLIST_FILE, NETLIST_FORMAT, SIDE_FILE, type BuiltNetlist } from './netlist.js';
import { isReplaceableExport } from '../common.js';
import { inputsAsSpikeArrays, type ConvertedInputs } from '../pynn/inputs.js';
import { PYNN_DATA_DIR, PYNN_SCRIPT, pynnScript, type PynnScript } from '../pynn/script.js';

export const QUANTIZATION_FILE = 'quantization.json';

const packr = new Packr({ useRecords: false, moreTypes: true });

/** The side file's bytes: a msgpack map from key to typed array (msgpackr `moreTypes`). */
export function encodeSideFile(arrays: BuiltNetlist['arrays']): Uint8Array {
  return packr.pack(arrays);
}

export function decodeSideFile(bytes: Uint8Array): Record<string, Uint32Array | Float64Array> {
  return packr.unpack(bytes) as Record<string, Uint32Array | Float64Array>;
}

function prepare(ir: NetworkIR, options: TargetOptions): { check: TargetCheck; built: BuiltNetlist; inputs: ConvertedInputs } {
  const built = buildNetlist(ir, { approximate: options.approximate, board: options.board, neuronsPerCore: options.neuronsPerCore, delayBits: options.delayBits });
  const messages = [formatReport(built)];
  if (options.simulate) messages.push('--simulate: not available for spinnaker yet (the netlist carries no expected spikes); ignored.');
  // The PyNN script: the projections the netlist carries (gap and graded ones are refused, or
  // left out under --approximate), every input as a spike array on the dt grid.
  const spiking = { ...ir, projections: ir.projections.filter((p) => (p.transmission ?? 'spike') === 'spike') };
  const inputs = inputsAsSpikeArrays(spiking);
  for (const n of inputs.notes) messages.push(`PyNN inputs: ${n}`);
  return { check: { target: 'spinnaker', network: ir.name, messages }, built, inputs };
}

/** The PyNN script of the checked network, with the netlist's neurons per core and time scale. */
function buildScript(built: BuiltNetlist, inputs: ConvertedInputs, options: TargetOptions): { pynn: PynnScript; message: string } {
  const neuronsPerCore: Record<string, number> = {};
  for (const p of built.netlist.populations) if (p.receptors.length > 0) neuronsPerCore[p.id] = p.maxAtomsPerCore;
  const backend = options.pynnBackend ?? 'spiNNaker';
  const pynn = pynnScript(inputs.ir, { backend, neuronsPerCore, timeScaleFactor: built.netlist.simulation.timeScaleFactor });
  const message = `PyNN script (default backend pyNN.${backend}): ${inputs.ir.populations.length} populations, ${pynn.synapses} synapses, spikes recorded from ${pynn.recorded.join(', ') || 'no population'}`;
  return { pynn, message };
}

/** JSON with two-space indentation, but any object or list that fits in `width` characters on one line. */
export function prettyJson(value: unknown, width = 100, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return 'null';
  if (value === null || typeof value !== 'object' || flat.length + indent.length <= width) return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + prettyJson(v, width, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, width, inner)}`).join(',\n')}\n${indent}}`;
}

/** A folder is replaced only when it is empty or an earlier SpiNNaker export. */
function isSpinnakerExport(dir: string): boolean {
  return isReplaceableExport(dir, NETLIST_FILE, NETLIST_FORMAT);
}

export const spinnakerTarget: Target = {
  name: 'spinnaker',
  summary: 'SpiNNaker-1 (SpiNN-5 / SpiNN-3): a machine netlist of cores, keys, routing tables and synaptic rows as sPyNNaker lays them out',

  async check(ir: NetworkIR, options: TargetOptions = {}): Promise<TargetCheck> {
    return prepare(ir, options).check;
  },

  async export(ir: NetworkIR, outDir: string, options: TargetOptions = {}): Promise<ExportResult> {
    const { check, built, inputs } = prepare(ir, options);
    const { pynn, message } = buildScript(built, inputs, options);
    const n = built.netlist;
    const synapses = n.projections.reduce((a, p) => a + p.synapses, 0);
    const files: ExportedFile[] = [
      { name: NETLIST_FILE, description: `${n.populations.length} populations, ${n.projections.length} projections (${synapses} synapses), ${n.cores.length} cores on a ${n.machine.board} board, ${n.routing.tables.length} routing tables` },
      { name: SIDE_FILE, description: 'large arrays of the netlist (msgpack map of typed arrays: synaptic matrix words, connections, spike times)' },
      { name: QUANTIZATION_FILE, description: 'the quantisation report' },
      { name: PYNN_SCRIPT, description: `PyNN 0.10 script (python3 ${PYNN_SCRIPT} [spiNNaker|brian2|neuron|nest]; default ${options.pynnBackend ?? 'spiNNaker'}); writes pynn-spikes-<backend>.json` },
      { name: `${PYNN_DATA_DIR}/`, description: `${Object.keys(pynn.arrays).length} NumPy arrays of the script (connection lists, spike arrays, per-neuron values)` },
    ];
    const side = encodeSideFile(built.arrays);
    await writeDirectoryAtomic(
      outDir,
      async (dir) => {
        await writeFile(join(dir, NETLIST_FILE), prettyJson(n) + '\n');
        await writeFile(join(dir, SIDE_FILE), side);
        await writeFile(join(dir, QUANTIZATION_FILE), prettyJson(built.report) + '\n');
        await writeFile(join(dir, PYNN_SCRIPT), pynn.script);
        await chmod(join(dir, PYNN_SCRIPT), 0o755);
        await mkdir(join(dir, PYNN_DATA_DIR));
        for (const [name, bytes] of Object.entries(pynn.arrays)) await writeFile(join(dir, PYNN_DATA_DIR, name), bytes);
      },
      isSpinnakerExport,
    );
    return { ...check, messages: [...check.messages, message], outDir, files };
  },
};
