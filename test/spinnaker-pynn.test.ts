/**
 * Issue 6, "PyNN script": the PyNN 0.10 script that `nematode export --target spinnaker`
 * writes beside the machine netlist (targets/pynn/, docs/targets/spinnaker.md).
 *
 * - Inputs as spike arrays: the clock engine runs the converted network (Poisson sources,
 *   Poisson and spike-time stimuli turned into spike arrays on the dt grid, overflow sources
 *   for several spikes in one step) to exactly the spikes of the original.
 * - The script and its arrays: FromListConnector rows with negative weights for current-based
 *   inhibition and positive ones for conductances, whole-step delays, explicit tau_refrac and
 *   min_delay, set_number_of_neurons_per_core as in the netlist, spike arrays on the grid; the
 *   .npy files read back (here and with NumPy); the script's --dry-run checks them.
 * - Real PyNN (Debian's python3-pynn; skipped where it is missing): the exported random E/I
 *   (IF_curr_exp) and COBA-like (IF_cond_exp) networks at dt = 0.1 ms run on pyNN.brian2 and
 *   pyNN.neuron to per-population rates within 5 % of the clock engine's and per-neuron spike
 *   counts that correlate at ≥ 0.99; `nematode inspect` reads the spikes files they write.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import type { NetworkIR } from '../src/ir/types.js';
import { readResults, spikeTrainsOf } from '../src/results/index.js';
import { simulate } from '../src/simulate.js';
import { getTarget } from '../targets/index.js';
import { inputsAsSpikeArrays, poissonEventStep } from '../targets/pynn/inputs.js';
import { decodeNpy, encodeNpy } from '../targets/pynn/npy.js';
import { PYNN_DATA_DIR, PYNN_SCRIPT } from '../targets/pynn/script.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-pynn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = path.resolve('dist/src/cli/main.js');
const spinnaker = getTarget('spinnaker');
const PY = '/usr/bin/python3';
const canImport = (...modules: string[]): boolean => existsSync(PY) && spawnSync(PY, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' }).status === 0;
const HAS_NUMPY = canImport('numpy');
const HAS_BRIAN2 = canImport('pyNN.brian2');
const NEURON_OVERLAY = path.resolve('.cache/pynn-neuron/overlay');

function config(name: string, edit?: (ir: NetworkIR) => void): NetworkIR {
  const ir = loadConfig(path.resolve('docs/examples', `${name}.yaml`));
  ir.run.threads = 1;
  edit?.(ir);
  return ir;
}

/** Spikes of a run as "population:neuron@time" strings. */
async function spikeKeys(ir: NetworkIR): Promise<Map<string, string[]>> {
  const out = await simulate(ir);
  return new Map(out.spikes.map((s) => [s.population, Array.from(s.indices, (i, k) => `${i}@${s.times[k]!.toFixed(9)}`)]));
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

function countsPerNeuron(indices: ArrayLike<number>, size: number): Float64Array {
  const c = new Float64Array(size);
  for (let k = 0; k < indices.length; k++) c[indices[k]!]!++;
  return c;
}

describe('inputs as spike arrays', () => {
  it('finds the step the engine delivers a Poisson event in, at grid points too', () => {
    expect(poissonEventStep(0.05, 0.1)).toBe(0);
    expect(poissonEventStep(0.1, 0.1)).toBe(0);
    expect(poissonEventStep(0.1000001, 0.1)).toBe(1);
    expect(poissonEventStep(0.30000000000000004, 0.1)).toBe(2);
    for (let n = 1; n < 2000; n++) {
      const t = (n + 1) * 0.1; // the engine's tEnd of step n, as it computes it
      expect(poissonEventStep(t, 0.1)).toBe(n);
    }
  });

  it('Poisson source populations: the converted network spikes exactly as the original, overflow sources included', async () => {
    const ir = config('spinnaker-ei', (n) => (n.run.duration = 300));
    const conv = inputsAsSpikeArrays(ir);
    expect(conv.ir.populations.find((p) => p.label === 'In')!.model).toBe('spike_source_array');
    expect(Object.keys(conv.overflow)).toEqual(['In']); // 20 Hz · 50 sources · 0.1 ms: some double spikes in 300 ms at seed 5
    const [a, b] = [await spikeKeys(ir), await spikeKeys(conv.ir)];
    for (const pop of ['E', 'I']) expect(b.get(pop), pop).toEqual(a.get(pop));
    expect(a.get('E')!.length).toBeGreaterThan(100);
  });

  it('Poisson and spike-time stimuli: spike arrays one step ahead with a one-step delay give the same spikes', async () => {
    const ir = config('pynn-ei', (n) => {
      n.run.duration = 300;
      n.stimuli = n.stimuli.map((s) => (s.kind === 'poisson' ? { ...s, start: 0.5, rate: 3000 } : s));
      n.stimuli.push({ kind: 'spike_times', label: 'kick', population: 'I', indices: [0, 3, 7], times: [10, 10, 50.05, 120], weight: 0.8, receptor: 'excitatory' });
    });
    const conv = inputsAsSpikeArrays(ir);
    expect(conv.notes.join('\n')).not.toMatch(/arrive one step late/);
    const kick = conv.ir.populations.find((p) => p.label === conv.stimulusPopulations.kick)!;
    // Two spikes at 10 ms for each target: a first layer of 3 sources and 3 overflow sources.
    expect(kick.size).toBe(6);
    const [a, b] = [await spikeKeys(ir), await spikeKeys(conv.ir)];
    expect(b.get('E')).toEqual(a.get('E'));
    expect(b.get('I')).toEqual(a.get('I'));
  });

  it('says when inputs of the first step arrive a step late', () => {
    const ir = config('pynn-ei', (n) => (n.stimuli = n.stimuli.map((s) => (s.kind === 'poisson' ? { ...s, rate: 20000 } : s))));
    expect(inputsAsSpikeArrays(ir).notes.join('\n')).toMatch(/inputs of the first step arrive one step late/);
  });
});

describe('npy files', () => {
  it('round-trip float64, int64 and uint32 with 64-byte aligned headers', () => {
    for (const dtype of ['float64', 'int64', 'uint32'] as const) {
      const values = dtype === 'float64' ? [1.5, -2.25, 1e-300, 3] : [0, 7, 4096, 123456];
      const bytes = encodeNpy(values, [2, 2], dtype);
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLength) % 64).toBe(0);
      const back = decodeNpy(bytes);
      expect(back.shape).toEqual([2, 2]);
      expect(back.dtype).toBe(dtype);
      expect(Array.from(back.values)).toEqual(values);
    }
  });
});

describe('the exported script', () => {
  let out: string;
  beforeAll(async () => {
    out = path.join(dir, 'ei');
    const ir = config('pynn-ei');
    await spinnaker.export(ir, out, { neuronsPerCore: { E: 64 }, pynnBackend: 'brian2' });
  });

  it('is a PyNN script with FromListConnector projections, explicit parameters and the netlist’s neurons per core', () => {
    const script = readFileSync(path.join(out, PYNN_SCRIPT), 'utf8');
    const netlist = JSON.parse(readFileSync(path.join(out, 'netlist.json'), 'utf8')) as { populations: { id: string; maxAtomsPerCore: number }[] };
    expect(script).toMatch(/^#!\/usr\/bin\/env python3/);
    expect(script).toContain('DEFAULT_BACKEND = "brian2"');
    expect(script).toContain('importlib.import_module("pyNN." + backend)');
    expect(script).toMatch(/sim\.setup\(timestep=DT, min_delay=MIN_DELAY/);
    for (const p of netlist.populations.filter((q) => q.id !== 'In')) {
      expect(script).toContain(`sim.set_number_of_neurons_per_core(sim.IF_curr_exp, ${p.maxAtomsPerCore})\n    pops["${p.id}"] = sim.Population(`);
    }
    expect(netlist.populations.find((p) => p.id === 'E')!.maxAtomsPerCore).toBe(64);
    expect(script).toMatch(/pops\["E"\] = sim\.Population\(200, sim\.IF_curr_exp\(cm=0\.25, tau_m=20, tau_refrac=2, tau_syn_E=5, tau_syn_I=5, v_rest=-65, v_reset=-65, v_thresh=-50, i_offset=0\)/);
    expect(script).toMatch(/initial_values=\{"v": array\("E\.initial\.v"\)/);
    expect(script).toMatch(/sim\.FromListConnector\(connections\("projection_IE\.connections"\)\),\n\s+synapse_type=sim\.StaticSynapse\(\), receptor_type="inhibitory"/);
    expect(script).toContain('sim.SpikeSourceArray(spike_times=spike_times("In", backend))');
    expect(script).toContain('sim.DCSource(amplitude=0.1, start=200, stop=800).inject_into(pops["I"])');
    expect(script).toContain('RECORDED = ["E", "I"]');
  });

  it('writes connection rows with the PyNN sign convention and whole-step delays', () => {
    const ir = config('pynn-ei');
    for (const pr of ir.projections) {
      const rows = decodeNpy(readFileSync(path.join(out, PYNN_DATA_DIR, `projection_${pr.label}.connections.npy`)));
      expect(rows.shape).toEqual([pr.targets.length, 4]);
      for (let k = 0; k < pr.targets.length; k++) {
        const [pre, post, w, ticks] = rows.values.subarray(4 * k, 4 * k + 4);
        expect(pr.rowPtr[pre!]! <= k && k < pr.rowPtr[pre! + 1]!).toBe(true);
        expect(post).toBe(pr.targets[k]);
        const irW = typeof pr.weight === 'number' ? pr.weight : pr.weight[k]!;
        expect(w).toBe(pr.receptor === 'inhibitory' ? -Math.abs(irW) : Math.abs(irW));
        const d = typeof pr.delay === 'number' ? pr.delay : pr.delay[k]!;
        expect(ticks).toBe(Math.max(1, Math.round(d / ir.run.dt)));
      }
    }
  });

  it('conductance-based inhibition stays positive', async () => {
    const o = path.join(dir, 'coba');
    await spinnaker.export(config('pynn-coba'), o, {});
    const rows = decodeNpy(readFileSync(path.join(o, PYNN_DATA_DIR, 'projection_IE.connections.npy')));
    for (let k = 0; k < rows.shape[0]!; k++) expect(rows.values[4 * k + 2]).toBeCloseTo(0.02, 12);
    expect(readFileSync(path.join(o, PYNN_SCRIPT), 'utf8')).toContain('DEFAULT_BACKEND = "spiNNaker"');
  });

  it('puts the spike arrays on the dt grid, as the engine draws them', () => {
    const conv = inputsAsSpikeArrays(config('pynn-ei'));
    const src = conv.ir.populations.find((p) => p.label === 'In')!;
    const counts = decodeNpy(readFileSync(path.join(out, PYNN_DATA_DIR, 'In.spike_counts.npy')));
    const steps = decodeNpy(readFileSync(path.join(out, PYNN_DATA_DIR, 'In.spike_steps.npy')));
    expect(Array.from(counts.values)).toEqual(src.spikeTimes!.map((t) => t.length));
    expect(Array.from(steps.values)).toEqual(src.spikeTimes!.flatMap((t) => Array.from(t, (x) => Math.round(x / 0.1))));
    expect(steps.values.length).toBeGreaterThan(1500); // 100 sources · 20 Hz · 1 s
  });

  it.skipIf(!HAS_NUMPY)('reads back with NumPy, and --dry-run checks every array', () => {
    const r = spawnSync(PY, [path.join(out, PYNN_SCRIPT), '--dry-run'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const conv = inputsAsSpikeArrays(config('pynn-ei'));
    const synapses = conv.ir.projections.reduce((a, p) => a + p.targets.length, 0);
    expect(r.stdout).toContain(`pynn-ei: ${conv.ir.populations.length} populations, ${synapses} synapses, dt 0.1 ms, 10000 steps: ok`);
    const np = spawnSync(PY, ['-c', `import numpy as np; a = np.load(${JSON.stringify(path.join(out, PYNN_DATA_DIR, 'projection_IE.connections.npy'))}); print(a.shape[1], float(a[:, 2].max()) < 0, a.dtype)`], { encoding: 'utf8' });
    expect(np.stdout.trim()).toBe('4 True float64');
    // A delay off the step grid is caught.
    const broken = path.join(dir, 'ei-broken');
    cpSync(out, broken, { recursive: true });
    writeFileSync(path.join(broken, PYNN_DATA_DIR, 'projection_EI.connections.npy'), encodeNpy([0, 0, 0.1, 1.5], [1, 4]));
    const bad = spawnSync(PY, [path.join(broken, PYNN_SCRIPT), '--dry-run'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/projection_EI\.connections: delays must be whole steps >= 1/);
    expect(bad.stdout).toMatch(/PROBLEMS/);
  });

  it('CLI: --pynn-backend picks the default backend; an unknown one is a typed error that writes nothing', () => {
    const o = path.join(dir, 'cli');
    const r = spawnSync('node', [CLI, 'export', 'docs/examples/pynn-ei.yaml', '--target', 'spinnaker', '--out', o, '--pynn-backend', 'NEURON'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run_pynn\.py\s+PyNN 0\.10 script .*default neuron/);
    expect(readFileSync(path.join(o, PYNN_SCRIPT), 'utf8')).toContain('DEFAULT_BACKEND = "neuron"');
    const bad = path.join(dir, 'bad');
    const e = spawnSync('node', [CLI, 'export', 'docs/examples/pynn-ei.yaml', '--target', 'spinnaker', '--out', bad, '--pynn-backend', 'genn'], { encoding: 'utf8' });
    expect(e.status).not.toBe(0);
    expect(e.stderr).toMatch(/PyNN backend "genn".*spiNNaker, brian2, neuron, nest/s);
    expect(existsSync(bad)).toBe(false);
  });

  it('a gap junction is still refused for the whole export (no script without the netlist)', async () => {
    const ir = config('pynn-ei');
    const E = ir.populations.find((p) => p.label === 'E')!;
    ir.projections.push({ label: 'gap', pre: 'E', post: 'E', receptor: 'gap', transmission: 'gap', rowPtr: Uint32Array.from({ length: E.size + 1 }, (_, i) => (i > 0 ? 1 : 0)), targets: Uint32Array.of(1), weight: 0.001, delay: 0 });
    const o = path.join(dir, 'gap');
    await expect(spinnaker.export(ir, o, {})).rejects.toThrow(/gap junctions/);
    expect(existsSync(o)).toBe(false);
  });
});

// ------------------------------------------------------------------ real PyNN backends

interface Agreement {
  population: string;
  ours: number;
  theirs: number;
  relativeRateError: number;
  correlation: number;
}

async function compareWithBackend(name: string, backend: 'brian2' | 'neuron', env: NodeJS.ProcessEnv = {}): Promise<Agreement[]> {
  const ir = config(name);
  const o = path.join(dir, `${name}-${backend}`);
  await spinnaker.export(ir, o, { pynnBackend: backend });
  const r = spawnSync(PY, [path.join(o, PYNN_SCRIPT)], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  const file = path.join(o, `pynn-spikes-${backend}.json`);
  const theirs = await readResults(file); // what `nematode inspect` reads
  const ours = await simulate(ir);
  const seconds = ir.run.duration / 1000;
  return ['E', 'I'].map((pop) => {
    const size = ir.populations.find((p) => p.label === pop)!.size;
    const a = ours.spikes.find((s) => s.population === pop)!;
    const b = spikeTrainsOf(theirs, pop);
    const rateA = a.indices.length / size / seconds;
    const rateB = b.indices.length / size / seconds;
    return { population: pop, ours: rateA, theirs: rateB, relativeRateError: Math.abs(rateB - rateA) / rateA, correlation: pearson(countsPerNeuron(a.indices, size), countsPerNeuron(b.indices, size)) };
  });
}

function expectAgreement(rows: Agreement[]): void {
  for (const r of rows) {
    expect(r.ours, `${r.population} fires`).toBeGreaterThan(5);
    expect(r.relativeRateError, `${r.population}: ${r.theirs.toFixed(2)} Hz vs ${r.ours.toFixed(2)} Hz`).toBeLessThan(0.05);
    expect(r.correlation, `${r.population}: per-neuron count correlation`).toBeGreaterThanOrEqual(0.99);
  }
}

describe.skipIf(!HAS_BRIAN2)('on pyNN.brian2 (Debian python3-pynn, python3-brian)', () => {
  for (const name of ['pynn-ei', 'pynn-coba']) {
    it(`${name}: rates within 5 %, per-neuron counts correlate at ≥ 0.99`, async () => {
      const rows = await compareWithBackend(name, 'brian2');
      console.log(`${name} on pyNN.brian2:`, rows.map((r) => `${r.population} ${r.ours.toFixed(2)}/${r.theirs.toFixed(2)} Hz r=${r.correlation.toFixed(4)}`).join(', '));
      expectAgreement(rows);
    }, 600_000);
  }
});

describe.skipIf(!canImport('pyNN', 'neuron') || !existsSync('scripts/pynn-neuron-setup.sh'))('on pyNN.neuron (NMODL mechanisms compiled by scripts/pynn-neuron-setup.sh)', () => {
  let overlay: string | undefined;
  beforeAll(() => {
    const r = spawnSync('bash', ['scripts/pynn-neuron-setup.sh', path.dirname(NEURON_OVERLAY)], { encoding: 'utf8' });
    overlay = r.status === 0 && existsSync(path.join(NEURON_OVERLAY, 'pyNN')) ? NEURON_OVERLAY : undefined;
    if (!overlay) console.warn(`pyNN.neuron: mechanisms not compiled (${r.stderr.trim().split('\n').pop()}); its tests fail`);
  }, 120_000);
  for (const name of ['pynn-ei', 'pynn-coba']) {
    it(`${name}: rates within 5 %, per-neuron counts correlate at ≥ 0.99`, async () => {
      expect(overlay, 'compiled pyNN.neuron mechanisms').toBeDefined();
      expect(readdirSync(overlay!)).toContain('pyNN');
      const rows = await compareWithBackend(name, 'neuron', { PYTHONPATH: overlay! });
      console.log(`${name} on pyNN.neuron:`, rows.map((r) => `${r.population} ${r.ours.toFixed(2)}/${r.theirs.toFixed(2)} Hz r=${r.correlation.toFixed(4)}`).join(', '));
      expectAgreement(rows);
    }, 600_000);
  }
});
