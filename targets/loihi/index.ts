/**
 * The `loihi` export target: Loihi 2 through Lava (docs/targets/loihi.md, spec
 * ../shared/reference/loihi-lava.md §2.4, §3, §4, §6, §7).
 *
 * Steps, all before anything is written:
 * 1. networks with populations other than `loihi_lif` and spike sources go through the
 *    quantiser (quantizeForLoihi in quantize.ts, loaded only then), whose report is
 *    printed and saved; it refuses what Loihi's LIF cannot do unless `approximate` is set;
 * 2. the `loihi_lif` network becomes the netlist (netlist.ts), where every capability
 *    check lives (one UnsupportedError lists every problem);
 * 3. the netx layering is decided (netx.ts): a message, not an error, when it does not apply;
 * 4. with `simulate`, the netlist is read back and run on the clock engine (simulate.ts).
 * Then the folder is written atomically:
 *   netlist.json            the network as Lava's integers (netlist.ts)
 *   run_lava.py             the Lava script (script.ts); it writes lava-spikes.json
 *   network.h5              lava-dl netx HDF5, when the network is layered
 *   expected-spikes.json    with --simulate: the spikes Lava must produce
 *   quantization.json       when the network was quantised: the quantiser's report
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkIR } from '../../src/ir/types.js';
import { getModel } from '../../src/models/index.js';
import { writeDirectoryAtomic } from '../../src/util/atomic.js';
import type { ExportedFile, ExportResult, Target, TargetCheck, TargetOptions } from '../index.js';
import { buildNetlist, coreMapping, encodeNetlist, isLoihiNative, NETLIST_FILE, NETLIST_FORMAT, netlistCounts, type LoihiNetlist } from './netlist.js';
import { describeNetx, NETX_FILE, planNetx, writeNetx, type NetxPlan } from './netx.js';
import { EXPECTED_SPIKES_FILE, LAVA_SPIKES_FILE, lavaScript, SCRIPT_FILE } from './script.js';
import type { LoihiQuantizationReport } from './quantize.js';
import { simulateNetlist } from './simulate.js';
import { isReplaceableExport } from '../common.js';

export const QUANTIZATION_FILE = 'quantization.json';

/** The quantiser, loaded only for networks that need it. */
async function loadQuantiser(): Promise<typeof import('./quantize.js')> {
  return import('./quantize.js');
}

interface Prepared extends TargetCheck {
  netlist: LoihiNetlist;
  netx: NetxPlan;
  /** The quantiser's report, when the network was quantised. */
  report?: LoihiQuantizationReport;
}

async function prepare(ir: NetworkIR, options: TargetOptions): Promise<Prepared> {
  const messages: string[] = [];
  let network = ir;
  let report: LoihiQuantizationReport | undefined;
  const foreign = ir.populations.filter((p) => !isLoihiNative(getModel(p.model, `population "${p.label}"`).name));
  if (foreign.length > 0) {
    const q = await loadQuantiser();
    const out = q.quantizeForLoihi(ir, { dt: ir.run.dt, approximate: options.approximate ?? false });
    network = out.network;
    report = out.report;
    messages.push(q.formatQuantizationReport(out.report));
  }
  const { netlist, notes } = buildNetlist(network, { steps: options.steps });
  if (report === undefined && netlist.populations.some((p) => p.kind === 'lif')) messages.push(coreMapping(netlist.populations));
  messages.push(...notes);
  const netx = planNetx(netlist);
  messages.push(netx.ok ? `netx: ${NETX_FILE}, layers ${describeNetx(netx.layers)}` : `netx: no ${NETX_FILE}, because ${netx.reason}; ${NETLIST_FILE} and ${SCRIPT_FILE} carry the network.`);
  return { target: 'loihi', network: ir.name, messages, netlist, netx, ...(report !== undefined ? { report } : {}) };
}

/** A folder is replaced only when it is empty or an earlier Loihi export (its netlist says so). */
function isLoihiExport(dir: string): boolean {
  return isReplaceableExport(dir, NETLIST_FILE, NETLIST_FORMAT);
}

/** Typed arrays as plain lists, so that reports serialise as JSON. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value;
}

export const loihiTarget: Target = {
  name: 'loihi',
  summary: 'Loihi 2 through Lava: a JSON netlist, a Lava script (fixed_pt) and, for layered networks, a lava-dl netx HDF5 file',

  async check(ir: NetworkIR, options: TargetOptions = {}): Promise<TargetCheck> {
    const p = await prepare(ir, options);
    return { target: p.target, network: p.network, messages: p.messages };
  },

  async export(ir: NetworkIR, outDir: string, options: TargetOptions = {}): Promise<ExportResult> {
    const p = await prepare(ir, options);
    const { netlist } = p;
    const counts = netlistCounts(netlist);
    const files: ExportedFile[] = [
      {
        name: NETLIST_FILE,
        description: `${counts.populations} populations (${counts.neurons} neurons, ${counts.inputSpikes} input spikes), ${counts.projections} projections (${counts.synapses} synapses), ${netlist.steps} steps`,
      },
      { name: SCRIPT_FILE, description: `Lava script: python ${join(outDir, SCRIPT_FILE)} writes ${LAVA_SPIKES_FILE} (--dry-run: check the netlist only)` },
    ];
    const texts: [string, string][] = [
      [NETLIST_FILE, encodeNetlist(netlist)],
      [SCRIPT_FILE, lavaScript(netlist.name)],
    ];
    if (p.netx.ok) files.push({ name: NETX_FILE, description: `lava-dl netx HDF5: ${describeNetx(p.netx.layers)}` });
    if (options.simulate) {
      const sim = await simulateNetlist(netlist);
      texts.push([EXPECTED_SPIKES_FILE, sim.text]);
      files.push({ name: EXPECTED_SPIKES_FILE, description: `the spikes Lava must produce (clock engine, loihi_lif): ${sim.lifSpikes} LIF spikes` });
    }
    if (p.report !== undefined) {
      texts.push([QUANTIZATION_FILE, JSON.stringify(p.report, jsonReplacer, 2) + '\n']);
      files.push({ name: QUANTIZATION_FILE, description: 'the quantisation report' });
    }
    await writeDirectoryAtomic(
      outDir,
      async (dir) => {
        for (const [name, text] of texts) await writeFile(join(dir, name), text, { mode: name.endsWith('.py') ? 0o755 : 0o644 });
        if (p.netx.ok) await writeNetx(join(dir, NETX_FILE), p.netx.layers);
      },
      isLoihiExport,
    );
    return { target: p.target, network: p.network, messages: p.messages, outDir, files };
  },
};
