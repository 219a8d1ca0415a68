/**
 * Issue 5, export: `nematode export --target loihi` (targets/loihi/, docs/targets/loihi.md).
 *
 * - The netlist round-trips: read back into an IR it gives exactly the spikes of the
 *   network it came from (loihi-ei, a Poisson-driven net, and random networks with every
 *   sign mode, num_weight_bits, weight_exp, delays 0..62, per-neuron biases and initial
 *   states, off-grid input times, dt 1/0.1/0.25).
 * - The Lava script compiles (py_compile), its --dry-run loads the netlist with plain
 *   Python 3 and prints the right counts, and, run against a stand-in for Lava written
 *   from the spec in NumPy (test/fake-lava/run_with_fake_lava.py), it writes exactly the
 *   spikes `--simulate` writes.
 * - The netx HDF5 file read back with h5wasm and with Debian's python3-h5py has the §4.1
 *   layout and values; interpreted as netx builds it (du = iDecay − 1, bias << 6 …) it
 *   gives the network's spikes. Networks that are not layered get a message, not an error.
 * - Refusals are typed errors and leave no output folder; --simulate equals a direct
 *   clock-engine run; `nematode inspect` reads the spikes files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../src/api/network.js';
import { loadConfig } from '../src/config/load.js';
import { clockEngine } from '../src/engines/clock/index.js';
import type { SimulationOutput } from '../src/engines/types.js';
import { FileFormatError, UnknownNameError, UnsupportedError, ValidationError } from '../src/errors.js';
import type { NetworkIR, ProjectionIR } from '../src/ir/types.js';
import * as L from '../src/loihi/arithmetic.js';
import { decodeSpikesFile, readResultsSync } from '../src/results/index.js';
import { getTarget, TARGET_NAMES } from '../targets/index.js';
import { buildNetlist, encodeNetlist, netlistCounts, netlistToIR, parseNetlist, type LoihiNetlist } from '../targets/loihi/netlist.js';
import { planNetx } from '../targets/loihi/netx.js';
import { lavaScript } from '../targets/loihi/script.js';
import { simulateNetlist } from '../targets/loihi/simulate.js';
import { expectError } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-loihi-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = path.resolve('dist/src/cli/main.js');
const FAKE_LAVA = path.resolve('test/fake-lava/run_with_fake_lava.py');
const loihi = getTarget('loihi');

/** A Python that can import the modules, or undefined. python3 on PATH may be a pyenv Python; Debian's is /usr/bin/python3. */
function pythonWith(...modules: string[]): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', modules.length ? `import ${modules.join(', ')}` : 'pass'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}
const PY = pythonWith();
const PY_NUMPY = pythonWith('numpy', 'scipy');
const PY_H5PY = spawnSync('/usr/bin/python3', ['-c', 'import h5py, numpy'], { encoding: 'utf8' }).status === 0 ? '/usr/bin/python3' : undefined;

// ------------------------------------------------------------------ helpers

/** The network with every population's spikes recorded (and nothing else), one thread. */
function recordingAllSpikes(ir: NetworkIR): NetworkIR {
  return { ...ir, recordings: ir.populations.map((p) => ({ kind: 'spikes' as const, population: p.label })), run: { ...ir.run, threads: 1 } };
}

/** Spike trains by population as [time, index] pairs. */
function trains(out: SimulationOutput): Record<string, [number, number][]> {
  return Object.fromEntries(out.spikes.map((s) => [s.population, Array.from(s.indices, (i, k) => [s.times[k]!, i] as [number, number])]));
}

/** The round trip: run the network, export its netlist (through JSON text), read it back, run that; spikes must be identical. */
async function roundTrip(ir: NetworkIR): Promise<{ netlist: LoihiNetlist; spikes: number }> {
  const original = await clockEngine.run(recordingAllSpikes(ir));
  const { netlist } = buildNetlist(ir);
  const back = parseNetlist(encodeNetlist(netlist), 'test netlist');
  expect(back).toEqual(netlist);
  const replay = await clockEngine.run(netlistToIR(back));
  expect(trains(replay)).toEqual(trains(original));
  return { netlist, spikes: original.stats.spikes };
}

function projection(label: string, pre: string, post: string, preSize: number, syn: { j: number; i: number; w: number; d: number }[], dt: number, opts: { mode?: L.SignMode; wexp?: number; nwb?: number } = {}): ProjectionIR {
  const nwb = opts.nwb ?? 8;
  const eff = L.effectiveWeights(
    syn.map((s) => s.w),
    { ...(opts.mode ? { signMode: opts.mode } : {}), numWeightBits: nwb },
  );
  const order = syn.map((_, k) => k).sort((a, b) => syn[a]!.j - syn[b]!.j);
  const rowPtr = new Uint32Array(preSize + 1);
  for (const s of syn) rowPtr[s.j + 1]!++;
  for (let j = 0; j < preSize; j++) rowPtr[j + 1]! += rowPtr[j]!;
  return {
    label,
    pre,
    post,
    receptor: eff.signMode,
    rowPtr,
    targets: Uint32Array.from(order, (k) => syn[k]!.i),
    weight: Float64Array.from(order, (k) => eff.weights[k]!),
    delay: Float64Array.from(order, (k) => L.engineDelaySteps(syn[k]!.d) * dt),
    loihi: { weightExp: opts.wexp ?? 0, numWeightBits: nwb },
  };
}

/** A layered net: In (3) → H (5, dense, DelaySparse delays, bias in weight units) → O (4, dense_rec, no delays). */
function layeredNetwork(): NetworkIR {
  const dt = 1;
  const net = new Network({ name: 'layered', dt, seed: 2, duration: 80 });
  net.spikeSource('In', 3, { times: [[1, 4, 9, 15, 22, 30, 41], [2, 3, 10, 18, 26, 27, 50], [5, 6, 7, 33, 34, 60]] });
  net.population('H', 5, 'loihi_lif', { du: 300, dv: 200, vth: 60, bias_mant: [0, 1, 2, 0, 3], bias_exp: 6 });
  net.population('O', 4, 'loihi_lif', { du: -1, dv: 600, vth: 40, bias_mant: 0, bias_exp: 0 });
  const inH: { j: number; i: number; w: number; d: number }[] = [];
  for (let j = 0; j < 3; j++) for (let i = 0; i < 5; i++) if ((i + j) % 2 === 0) inH.push({ j, i, w: 60 + 20 * i, d: (i + j) % 3 });
  net.addProjection(projection('InH', 'In', 'H', 3, inH, dt, { mode: 'excitatory' }));
  const hO: { j: number; i: number; w: number; d: number }[] = [];
  for (let j = 0; j < 5; j++) for (let i = 0; i < 4; i++) hO.push({ j, i, w: ((j * 4 + i) % 5) * 10 + 20, d: 0 });
  // weight_exp 1 with integer weights: netx gets w·2.
  net.addProjection(projection('HO', 'H', 'O', 5, hO, dt, { mode: 'excitatory', wexp: 1 }));
  // Recurrence inside O, inhibitory, 7 bits: multiples of 2.
  const oo = [0, 1, 2, 3].flatMap((j) => [0, 1, 2, 3].filter((i) => i !== j).map((i) => ({ j, i, w: -30 - 4 * i, d: 0 })));
  net.addProjection(projection('OO', 'O', 'O', 4, oo, dt, { mode: 'inhibitory', nwb: 7 }));
  return net.toIR();
}

// ------------------------------------------------------------------ registry

describe('target registry', () => {
  it('getTarget("loihi") has check and export; an unknown name lists the valid ones', () => {
    expect(TARGET_NAMES).toContain('loihi');
    expect(loihi.name).toBe('loihi');
    expect(typeof loihi.check).toBe('function');
    expect(typeof loihi.export).toBe('function');
    expectError(() => getTarget('loihy'), UnknownNameError, /export target/, /loihi/);
  });
});

// ------------------------------------------------------------------ netlist round trip

describe('netlist: round trip into the IR with identical spikes', () => {
  it('docs/examples/loihi-ei.yaml (Dense input with weight_exp 1, DelaySparse, 6-bit inhibition, mixed recurrence with weight_exp −1)', async () => {
    const ir = loadConfig('docs/examples/loihi-ei.yaml');
    const { netlist, spikes } = await roundTrip(ir);
    expect(spikes).toBe(995); // the figure docs/targets/loihi.md prints for this network
    const counts = netlistCounts(netlist);
    expect(counts).toMatchObject({ populations: 3, lif: 2, inputs: 1, neurons: 24, projections: 4, inputSpikes: 118 });
    expect(netlist.steps).toBe(200);
    const byLabel = Object.fromEntries(netlist.projections.map((c) => [c.label, c]));
    expect(byLabel.InE).toMatchObject({ process: 'Sparse', sign_mode: 'excitatory', weight_exp: 1, num_weight_bits: 8, max_delay: 0 });
    expect(byLabel.EI).toMatchObject({ process: 'DelaySparse', max_delay: 2 });
    expect(byLabel.IE).toMatchObject({ sign_mode: 'inhibitory', num_weight_bits: 6 });
    // [pre, post, weight, delay ms] of the config: delay (1 + d)·dt → d.
    expect(byLabel.EE).toMatchObject({ sign_mode: 'mixed', weight_exp: -1, max_delay: 3, pre_index: [0, 1, 2, 3, 4, 5, 6, 7], post_index: [1, 2, 3, 0, 5, 6, 7, 4], weight: [120, 120, -60, 90, 200, -100, 150, 80], delay: [0, 1, 0, 3, 0, 2, 0, 1] });
    const lif = netlist.populations.find((p) => p.label === 'I');
    expect(lif).toEqual({ label: 'I', kind: 'lif', size: 4, du: 1023, dv: 410, vth: 150, bias_mant: 1, bias_exp: 6, u: 0, v: 0 });
    // Raster column c = the spike time (c + 1)·dt: In neuron 0 fires at 1, 4, 7 ms → columns 0, 3, 6.
    const input = netlist.populations.find((p) => p.kind === 'input');
    if (input?.kind !== 'input') throw new Error('no input');
    expect(input.column.filter((_, k) => input.neuron[k] === 0).slice(0, 3)).toEqual([0, 3, 6]);
  });

  it('Poisson inputs become the raster the clock engine draws for the seed: identical spikes', async () => {
    const net = new Network({ name: 'poisson-in', dt: 1, seed: 17, duration: 300 });
    net.spikeSource('P', 20, { rate: 40, start: 10, stop: 250 });
    net.population('N', 10, 'loihi_lif', { du: 500, dv: 300, vth: 30 });
    net.connect('P', 'N', { rule: 'fixed_probability', p: 0.4 }, { receptor: 'excitatory', weight: 50, delay: 2 });
    const ir = net.toIR();
    const { netlist, spikes } = await roundTrip(ir);
    expect(spikes).toBeGreaterThan(50);
    expect(netlist.populations[0]).toMatchObject({ kind: 'input', source: 'spike_source_poisson' });
    expect(buildNetlist(ir).notes.join('\n')).toMatch(/Poisson trains fixed as an input raster of \d+ spikes, drawn with seed 17/);
  });

  it('a source that fires several times in one step keeps every spike: one RingBuffer row per copy, identical spikes', async () => {
    const net = new Network({ name: 'fast', dt: 1, seed: 1, duration: 100 });
    net.spikeSource('P', 5, { rate: 900 });
    net.spikeSource('A', 2, { times: [[1, 1, 1, 4], [0.5, 2]] }); // neuron 0: three spikes in step 0
    net.population('N', 2, 'loihi_lif', { vth: 100, du: 2000 });
    net.connect('P', 'N', { rule: 'all_to_all' }, { receptor: 'excitatory', weight: 10, delay: 1 });
    net.addProjection(projection('AN', 'A', 'N', 2, [{ j: 0, i: 0, w: 7, d: 0 }, { j: 0, i: 1, w: 3, d: 2 }, { j: 1, i: 1, w: 9, d: 0 }], 1, { wexp: -1 }));
    const ir = net.toIR();
    const { netlist, notes } = buildNetlist(ir);
    const [p, a] = netlist.populations;
    if (p?.kind !== 'input' || a?.kind !== 'input') throw new Error('not inputs');
    expect(p.copies).toBeGreaterThan(1);
    expect(a.copies).toBe(3);
    expect(a.neuron.slice(0, 3)).toEqual([0, 0, 0]);
    expect(notes.join('\n')).toMatch(/population "A": up to 3 spikes of one neuron in one step; a Lava spike is one bit, so its RingBuffer gets 3 rows per neuron/);
    await roundTrip(ir);
    const bad = JSON.parse(encodeNetlist(netlist)) as LoihiNetlist;
    (bad.populations[1] as { copies: number }).copies = 2;
    expectError(() => parseNetlist(JSON.stringify(bad)), FileFormatError, /neuron 0 spikes 3 times in column 0, more than its 2 copies/);
  });

  it('property: random loihi_lif networks give identical spikes after the round trip', async () => {
    const int = (min: number, max: number) => fc.integer({ min, max });
    const pop = int(1, 5).chain((size) =>
      fc.record({
        size: fc.constant(size),
        du: int(-1, 1200),
        dv: int(0, 1200),
        vth: int(0, 200),
        biasMant: fc.oneof(int(-50, 200), fc.array(int(-4096, 4095), { minLength: size, maxLength: size })),
        biasExp: fc.oneof(int(0, 7), fc.array(int(0, 7), { minLength: size, maxLength: size })),
        u0: fc.array(int(-5000, 5000), { minLength: size, maxLength: size }),
        v0: fc.array(int(-5000, 20000), { minLength: size, maxLength: size }),
      }),
    );
    const spec = fc
      .record({ dt: fc.constantFrom(1, 0.1, 0.25), T: int(5, 60), nSrc: int(1, 4), pops: fc.array(pop, { minLength: 1, maxLength: 3 }) })
      .chain((s) =>
        fc.record({
          s: fc.constant(s),
          // Distinct raster columns per source neuron, each given as an off-grid time within its step; some beyond the run.
          raster: fc.array(fc.uniqueArray(fc.record({ c: int(0, s.T + 5), frac: fc.double({ min: 0, max: 0.9, noNaN: true }) }), { selector: (x) => x.c, maxLength: 12 }), { minLength: s.nSrc, maxLength: s.nSrc }),
          projs: fc.array(
            fc.record({
              pre: int(-1, s.pops.length - 1),
              post: int(0, s.pops.length - 1),
              mode: fc.constantFrom<L.SignMode | undefined>('excitatory', 'inhibitory', 'mixed', undefined),
              nwb: fc.oneof(fc.constant(8), int(1, 8)),
              wexp: int(-4, 3),
              raw: fc.array(fc.record({ j: int(0, 4), i: int(0, 4), w: int(-300, 300), d: fc.oneof(int(0, 3), fc.constant(62)) }), { maxLength: 14 }),
            }),
            { maxLength: 5 },
          ),
        }),
      );
    let spiking = 0;
    await fc.assert(
      fc.asyncProperty(spec, async ({ s, raster, projs }) => {
        const net = new Network({ name: 'random', dt: s.dt, seed: 5, duration: s.T * s.dt });
        net.spikeSource('S', s.nSrc, { times: raster.map((cols) => cols.map((x) => (x.c + 1 - x.frac) * s.dt).sort((a, b) => a - b)) });
        s.pops.forEach((p, k) => net.population(`P${k}`, p.size, 'loihi_lif', { du: p.du, dv: p.dv, vth: p.vth, bias_mant: p.biasMant, bias_exp: p.biasExp }, { u: p.u0, v: p.v0 }));
        projs.forEach((pr, k) => {
          const preSize = pr.pre < 0 ? s.nSrc : s.pops[pr.pre]!.size;
          const seen = new Set<string>();
          const syn = pr.raw.map((x) => ({ ...x, j: x.j % preSize, i: x.i % s.pops[pr.post]!.size })).filter((x) => !seen.has(`${x.j},${x.i}`) && seen.add(`${x.j},${x.i}`) !== undefined);
          net.addProjection(projection(`proj${k}`, pr.pre < 0 ? 'S' : `P${pr.pre}`, `P${pr.post}`, preSize, syn, s.dt, { mode: pr.mode, wexp: pr.wexp, nwb: pr.nwb }));
        });
        const { spikes } = await roundTrip(net.toIR());
        if (spikes > 0) spiking++;
      }),
      { numRuns: 80 },
    );
    expect(spiking).toBeGreaterThan(20);
  });

  it('netlist text: parse(encode(n)) = n; corrupt or wrong files are FileFormatErrors', () => {
    const { netlist } = buildNetlist(loadConfig('docs/examples/loihi-ei.yaml'));
    const text = encodeNetlist(netlist);
    expect(parseNetlist(text)).toEqual(netlist);
    // Lists of numbers stay on one line: the file reads like a table.
    expect(text).toMatch(/^ {6}"weight": \[120,120,-60,90,200,-100,150,80\],$/m);
    expectError(() => parseNetlist(text.slice(0, 200)), FileFormatError, /not valid JSON/);
    expectError(() => parseNetlist('{"format":"other"}'), FileFormatError, /not a Loihi netlist/);
    const broken = JSON.parse(text) as LoihiNetlist;
    broken.projections[0]!.weight.pop();
    expectError(() => parseNetlist(JSON.stringify(broken)), FileFormatError, /weight has 34 entries, expected 35/);
    const late = JSON.parse(text) as LoihiNetlist;
    late.formatVersion = 2;
    expectError(() => parseNetlist(JSON.stringify(late)), FileFormatError, /newer than this nematode/);
  });
});

// ------------------------------------------------------------------ export folder, --simulate, refusals

describe('export folder', () => {
  it('writes netlist, script and --simulate spikes; the simulated spikes equal a direct clock-engine run', async () => {
    const ir = loadConfig('docs/examples/loihi-ei.yaml');
    const out = path.join(dir, 'ei');
    const r = await loihi.export(ir, out, { simulate: true });
    expect(r.files.map((f) => f.name)).toEqual(['netlist.json', 'run_lava.py', 'expected-spikes.json']);
    expect(readdirSync(out).sort()).toEqual(['expected-spikes.json', 'netlist.json', 'run_lava.py']);
    // Not layered: a message, not an error, and no network.h5.
    expect(r.messages.join('\n')).toMatch(/netx: no network\.h5, because projection "IE" goes from "I" back to "E", and netx allows recurrence only inside a layer \(the network is not layered\); netlist\.json and run_lava\.py carry the network\./);
    expect(r.messages.join('\n')).toMatch(/Loihi 2 mapping: 20 LIF neurons on 2 cores/);
    const sim = decodeSpikesFile(readFileSync(path.join(out, 'expected-spikes.json'), 'utf8'));
    const direct = await clockEngine.run(recordingAllSpikes(ir));
    expect(sim.steps).toBe(200);
    for (const p of sim.populations) {
      const train = direct.spikes.find((s) => s.population === p.label)!;
      // Lava step t is reported at t·dt.
      expect(p.neuron).toEqual(Array.from(train.indices));
      expect(p.step.map((t) => t * sim.dt)).toEqual(Array.from(train.times));
    }
    // The spikes file reads as results: inspect's reader.
    const res = readResultsSync(path.join(out, 'expected-spikes.json'));
    expect(res.spikesFile?.producer).toMatch(/export --simulate/);
    expect(res.body.segments[0]!.spikeCounts).toEqual({ E: 584, I: 293, In: 118 });
  });

  it('a refused network is a typed error and leaves no folder (nor the parent folders it would have made)', async () => {
    const net = new Network({ name: 'mixed-du', dt: 1, duration: 20 });
    net.spikeSource('S', 2, { times: [[1], [2]] });
    net.population('N', 3, 'loihi_lif', { du: [10, 20, 10], vth: [5, 5, 6] });
    net.connect('S', 'N', { rule: 'all_to_all' }, { receptor: 'excitatory', weight: 10, delay: 1 });
    const out = path.join(dir, 'new-parent', 'refused');
    const e = await loihi.export(net.toIR(), out).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedError);
    // One error lists every problem.
    expect((e as Error).message).toMatch(/du differs between neurons \(10\.\.20\).*one du per population/);
    expect((e as Error).message).toMatch(/vth differs between neurons/);
    expect(existsSync(path.join(dir, 'new-parent'))).toBe(false);
    await expect(loihi.check(net.toIR())).rejects.toBeInstanceOf(UnsupportedError);
    // Invalid networks fail validation the usual way.
    const bad = loadConfig('docs/examples/loihi-ei.yaml');
    bad.projections[0]!.delay = 1.5;
    await expect(loihi.export(bad, out)).rejects.toBeInstanceOf(ValidationError);
    expect(existsSync(out)).toBe(false);
  });

  it('replaces an earlier export, never a folder it did not write; a failed re-export keeps the earlier one', async () => {
    const ir = loadConfig('docs/examples/loihi-ei.yaml');
    const out = path.join(dir, 'again');
    await loihi.export(ir, out);
    writeFileSync(path.join(out, 'lava-spikes.json'), '{}');
    await loihi.export(ir, out, { simulate: true });
    expect(readdirSync(out).sort()).toEqual(['expected-spikes.json', 'netlist.json', 'run_lava.py']);
    const before = readFileSync(path.join(out, 'netlist.json'), 'utf8');
    const bad = loadConfig('docs/examples/loihi-ei.yaml');
    bad.populations[1]!.params.du = Float64Array.from({ length: 16 }, (_, i) => i);
    await expect(loihi.export(bad, out)).rejects.toBeInstanceOf(UnsupportedError);
    expect(readFileSync(path.join(out, 'netlist.json'), 'utf8')).toBe(before);
    const mine = path.join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(path.join(mine, 'notes.txt'), 'keep me');
    await expect(loihi.export(ir, mine)).rejects.toBeInstanceOf(FileFormatError);
    expect(readdirSync(mine)).toEqual(['notes.txt']);
    expect(readdirSync(dir).filter((f) => /^\.(again|mine)\./.test(f))).toEqual([]); // no temporary folders left
  });

  it('--steps sets the exported steps; a network needing the quantiser goes through it', async () => {
    const ir = loadConfig('docs/examples/loihi-ei.yaml');
    const { netlist } = buildNetlist(ir, { steps: 50 });
    expect(netlist.steps).toBe(50);
    const sim = await simulateNetlist(netlist);
    const full = await simulateNetlist(buildNetlist(ir).netlist);
    // The first 50 steps are the same in both.
    const head = (t: string) => decodeSpikesFile(t).populations.map((p) => p.step.filter((s) => s <= 50).length);
    expect(head(sim.text)).toEqual(head(full.text));
    expectError(() => buildNetlist(ir, { steps: 0 }), ValidationError, /at least one step/);
  });
});

// ------------------------------------------------------------------ the Lava script

describe('the Lava script', () => {
  const out = path.join(dir, 'script');
  const ready = (async () => {
    await loihi.export(loadConfig('docs/examples/loihi-ei.yaml'), out, { simulate: true });
  })();

  it.skipIf(!PY)('compiles (py_compile) and its --dry-run loads the netlist with plain Python and prints the right counts', async () => {
    await ready;
    const script = path.join(out, 'run_lava.py');
    expect(readFileSync(script, 'utf8')).toBe(lavaScript('loihi-ei'));
    const c = spawnSync(PY!, ['-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', script, path.join(dir, 'run_lava.pyc')], { encoding: 'utf8' });
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    // -I: isolated, no site packages (so no numpy, no Lava).
    const r = spawnSync(PY!, ['-I', script, '--dry-run'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^netlist: loihi-ei \(nematode-loihi-netlist v1\), 200 steps of 1 ms, seed 3$/m);
    expect(r.stdout).toMatch(/^populations: 3 \(2 LIF, 1 input\), neurons: 24 \(20 LIF, 4 input\)$/m);
    expect(r.stdout).toMatch(/^ {2}In: input \(spike_source_array\), 4 neurons, 118 input spikes$/m);
    expect(r.stdout).toMatch(/^ {2}E: LIF, 16 neurons, du 410, dv 205, vth 100$/m);
    const { netlist } = buildNetlist(loadConfig('docs/examples/loihi-ei.yaml'));
    const n = netlistCounts(netlist);
    expect(r.stdout).toMatch(new RegExp(`^projections: ${n.projections} \\(2 Sparse, 2 DelaySparse\\), synapses: ${n.synapses}$`, 'm'));
    for (const c of netlist.projections) {
      expect(r.stdout).toContain(`  ${c.label}: ${c.pre} -> ${c.post}, ${c.weight.length} synapses, ${c.process}, sign_mode ${c.sign_mode}, weight_exp ${c.weight_exp}, num_weight_bits ${c.num_weight_bits}, max_delay ${c.max_delay}`);
    }
    expect(r.stdout).toMatch(/dry run: the netlist is valid; Lava was not imported/);
    expect(existsSync(path.join(out, '__pycache__'))).toBe(false);
  });

  it.skipIf(!PY)('its checks catch a damaged netlist; without Lava a real run says what is missing', async () => {
    await ready;
    const script = path.join(out, 'run_lava.py');
    const net = JSON.parse(readFileSync(path.join(out, 'netlist.json'), 'utf8')) as LoihiNetlist;
    net.projections[1]!.delay[0] = 63;
    const damaged = path.join(dir, 'damaged.json');
    writeFileSync(damaged, JSON.stringify(net));
    const r = spawnSync(PY!, ['-I', script, '--dry-run', '--netlist', damaged], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/projection 'EI': delay\[0\] = 63 is not an integer in 0\.\.62/);
    const noLava = spawnSync(PY!, ['-I', script, '--out', path.join(dir, 'x.json')], { encoding: 'utf8' });
    expect(noLava.status).toBe(2);
    expect(noLava.stderr).toMatch(/cannot import (numpy|scipy|lava).*--dry-run checks the netlist without them/);
  });

  it.skipIf(!PY_NUMPY)('run against a NumPy stand-in for Lava written from the spec, it writes exactly the --simulate spikes (loihi-ei)', async () => {
    await ready;
    const lavaOut = path.join(dir, 'lava-ei.json');
    const r = spawnSync(PY_NUMPY!, [FAKE_LAVA, path.join(out, 'run_lava.py'), '--out', lavaOut], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const expected = readFileSync(path.join(out, 'expected-spikes.json'), 'utf8').split('\n');
    const got = readFileSync(lavaOut, 'utf8').split('\n');
    // Line for line the same file, but for the producer line.
    expect(got.length).toBe(expected.length);
    expect(got.filter((l, k) => l !== expected[k])).toEqual([got[1]]);
    expect(got[1]).toMatch(/^"producer":"lava-nc .* fixed_pt \(Loihi2SimCfg\), run_lava\.py from nematode/);
  });

  it.skipIf(!PY_NUMPY)('… and for networks in disconnected parts, per-neuron registers, weight_exp, delays and dt 0.25', async () => {
    const dt = 0.25;
    const net = new Network({ name: 'parts', dt, seed: 9, duration: 120 * dt });
    net.spikeSource('A', 3, { times: [[0.25, 1, 2.5, 5, 9], [0.5, 0.75, 6], [3, 3.25, 3.5, 12]] });
    net.spikeSource('B', 2, { rate: 1500 }); // often two spikes of a neuron in one step: RingBuffer copies
    net.spikeSource('Unused', 2, { times: [[1], [2]] });
    net.population('P', 4, 'loihi_lif', { du: 800, dv: 100, vth: 20, bias_mant: [0, 5, -3, 100], bias_exp: [0, 2, 3, 1] }, { u: [0, 500, -700, 64], v: [0, 1000, 0, -2000] });
    net.population('Q', 3, 'loihi_lif', { du: 4095, dv: 0, vth: 8 });
    net.population('R', 2, 'loihi_lif', { du: -1, dv: 2000, vth: 3, bias_mant: 40, bias_exp: 4 }); // no input: runs alone on its bias
    net.addProjection(projection('AP', 'A', 'P', 3, [{ j: 0, i: 0, w: 90, d: 0 }, { j: 1, i: 1, w: 70, d: 4 }, { j: 2, i: 2, w: 255, d: 62 }, { j: 2, i: 3, w: 33, d: 1 }], dt, { wexp: 1 }));
    net.addProjection(projection('PP', 'P', 'P', 4, [{ j: 0, i: 1, w: -77, d: 0 }, { j: 1, i: 2, w: 101, d: 2 }, { j: 3, i: 0, w: 9, d: 5 }], dt, { mode: 'mixed', wexp: -2, nwb: 7 }));
    net.addProjection(projection('BQ', 'B', 'Q', 2, [{ j: 0, i: 0, w: 3, d: 0 }, { j: 0, i: 1, w: 3, d: 0 }, { j: 1, i: 1, w: 5, d: 0 }, { j: 1, i: 2, w: 7, d: 0 }], dt, { wexp: -1 }));
    const ir = net.toIR();
    const exported = path.join(dir, 'parts');
    const r = await loihi.export(ir, exported, { simulate: true });
    expect(r.messages.join('\n')).toMatch(/population "B": up to \d spikes of one neuron in one step/);
    expect(r.messages.join('\n')).toMatch(/netx: no network\.h5, because a netx network has one input layer, and this network has 3 input populations;/);
    const dry = spawnSync(PY_NUMPY!, [path.join(exported, 'run_lava.py'), '--dry-run'], { encoding: 'utf8' });
    expect(dry.stdout).toMatch(/^runs: 3 \(one per connected part with LIF neurons\)$/m);
    expect(dry.stdout).toMatch(/^ {2}B: input \(spike_source_poisson\), 2 neurons, \d+ input spikes, \d RingBuffer rows per neuron/m);
    const lavaOut = path.join(dir, 'lava-parts.json');
    const run = spawnSync(PY_NUMPY!, [FAKE_LAVA, path.join(exported, 'run_lava.py'), '--out', lavaOut], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lava = decodeSpikesFile(readFileSync(lavaOut, 'utf8'));
    const expected = decodeSpikesFile(readFileSync(path.join(exported, 'expected-spikes.json'), 'utf8'));
    expect(lava.populations).toEqual(expected.populations);
    const count = (label: string) => expected.populations.find((p) => p.label === label)!.neuron.length;
    for (const label of ['P', 'Q', 'R']) expect(count(label), label).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------ netx HDF5

describe('netx HDF5', () => {
  const out = path.join(dir, 'layered');
  const ready = loihi.export(layeredNetwork(), out, { simulate: true });

  it('is written for a layered network, with the §4.1 layout and values (read back with h5wasm)', async () => {
    const r = await ready;
    expect(r.files.map((f) => f.name)).toContain('network.h5');
    expect(r.messages.join('\n')).toMatch(/netx: network\.h5, layers In \(input, 3\) → H \(dense, 5\) → O \(dense_rec, 4\)/);
    const { netlist } = buildNetlist(layeredNetwork());
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const f = new h5wasm.File(path.join(out, 'network.h5'), 'r');
    try {
      const get = (p: string) => f.get(p) as InstanceType<typeof h5wasm.Dataset>;
      expect(f.keys()).toEqual(['layer']);
      expect((f.get('layer') as InstanceType<typeof h5wasm.Group>).keys().sort()).toEqual(['0', '1', '2']);
      expect(get('layer/0/type').value).toEqual(['input']);
      expect(get('layer/0/type').dtype).toBe('S10');
      expect(get('layer/0/type').shape).toEqual([1]);
      expect(Array.from(get('layer/0/shape').value as BigInt64Array)).toEqual([3n]);
      expect((f.get('layer/0') as InstanceType<typeof h5wasm.Group>).keys().sort()).toEqual(['shape', 'type']);
      expect(get('layer/1/type').value).toEqual(['dense']);
      expect(get('layer/2/type').value).toEqual(['dense_rec']);
      // neuron: iDecay = du + 1, vDecay = dv, vThMant = vth; integer scalars int64 shape [].
      expect(get('layer/1/neuron/type').value).toBe('CUBA');
      expect(get('layer/1/neuron/iDecay').value).toBe(301n);
      expect(get('layer/1/neuron/iDecay').shape).toEqual([]);
      expect(get('layer/1/neuron/vDecay').value).toBe(200n);
      expect(get('layer/1/neuron/vThMant').value).toBe(60n);
      expect(get('layer/2/neuron/iDecay').value).toBe(0n); // du = −1: no current decay
      expect(get('layer/2/neuron/vDecay').value).toBe(600n);
      // Weights (out, in) float32 from the COO synapses; HO's weight_exp 1 doubles them.
      const w1 = get('layer/1/weight');
      expect(w1.shape).toEqual([5, 3]);
      expect(w1.dtype).toBe('<f');
      const expectMatrix = (label: string, rows: number, cols: number, scale: number) => {
        const c = netlist.projections.find((p) => p.label === label)!;
        const m = new Float32Array(rows * cols);
        c.weight.forEach((w, k) => (m[c.post_index[k]! * cols + c.pre_index[k]!] = w * scale));
        return m;
      };
      expect(w1.value).toEqual(expectMatrix('InH', 5, 3, 1));
      expect(get('layer/2/weight').value).toEqual(expectMatrix('HO', 4, 5, 2));
      expect(get('layer/2/weight_rec').shape).toEqual([4, 4]);
      expect(get('layer/2/weight_rec').value).toEqual(expectMatrix('OO', 4, 4, 1));
      // bias in weight units: bias_mant·2^6 / 64 = bias_mant; O has none.
      expect(Array.from(get('layer/1/bias').value as Float32Array)).toEqual([0, 1, 2, 0, 3]);
      expect((f.get('layer/2') as InstanceType<typeof h5wasm.Group>).keys()).not.toContain('bias');
      // DelaySparse delays of InH as a 2-D (out, in) delay; none on the dense_rec layer.
      const c = netlist.projections.find((p) => p.label === 'InH')!;
      const d = new Float32Array(15);
      c.delay.forEach((x, k) => (d[c.post_index[k]! * 3 + c.pre_index[k]!] = x));
      expect(get('layer/1/delay').value).toEqual(d);
      expect((f.get('layer/2') as InstanceType<typeof h5wasm.Group>).keys()).not.toContain('delay');
      expect(get('layer/1/inFeatures').value).toBe(3n);
      expect(get('layer/1/outFeatures').value).toBe(5n);
    } finally {
      f.close();
    }
  });

  it('interpreted as netx builds it (LIF du = iDecay − 1, dv = vDecay, vth = vThMant, bias_mant = bias with bias_exp 6, one Dense per matrix), it gives the network’s spikes', async () => {
    await ready;
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const f = new h5wasm.File(path.join(out, 'network.h5'), 'r');
    const { netlist } = buildNetlist(layeredNetwork());
    const dt = netlist.dt;
    const net = new Network({ name: 'from-netx', dt, seed: 1, duration: netlist.steps * dt });
    try {
      const val = (p: string) => (f.get(p) as InstanceType<typeof h5wasm.Dataset>).value;
      const has = (g: string, k: string) => (f.get(g) as InstanceType<typeof h5wasm.Group>).keys().includes(k);
      const input = netlist.populations[0]!;
      if (input.kind !== 'input') throw new Error('no input');
      const times: number[][] = Array.from({ length: input.size }, () => []);
      input.neuron.forEach((j, k) => times[j]!.push((input.column[k]! + 1) * dt));
      net.spikeSource('L0', Number((val('layer/0/shape') as BigInt64Array)[0]), { times });
      const sizes = [input.size];
      for (let i = 1; i <= 2; i++) {
        const size = Number((val(`layer/${i}/shape`) as BigInt64Array)[0]);
        sizes.push(size);
        const bias = has(`layer/${i}`, 'bias') ? Array.from(val(`layer/${i}/bias`) as Float32Array, Math.trunc) : 0;
        net.population(`L${i}`, size, 'loihi_lif', {
          du: Number(val(`layer/${i}/neuron/iDecay`)) - 1,
          dv: Number(val(`layer/${i}/neuron/vDecay`)),
          vth: Number(val(`layer/${i}/neuron/vThMant`)),
          bias_mant: bias,
          bias_exp: 6,
        });
        const matrix = (name: string, cols: number, pre: string, delays?: Float32Array) => {
          const w = val(`layer/${i}/${name}`) as Float32Array;
          const syn: { j: number; i: number; w: number; d: number }[] = [];
          for (let r = 0; r < size; r++) for (let c = 0; c < cols; c++) if (w[r * cols + c] !== 0) syn.push({ j: c, i: r, w: Math.trunc(w[r * cols + c]!), d: delays ? delays[r * cols + c]! : 0 });
          net.addProjection(projection(`${pre}→L${i}:${name}`, pre, `L${i}`, sizes[pre === `L${i}` ? i : i - 1]!, syn, dt));
        };
        matrix('weight', sizes[i - 1]!, `L${i - 1}`, has(`layer/${i}`, 'delay') ? (val(`layer/${i}/delay`) as Float32Array) : undefined);
        if (has(`layer/${i}`, 'weight_rec')) matrix('weight_rec', size, `L${i}`);
      }
    } finally {
      f.close();
    }
    const fromNetx = await clockEngine.run(recordingAllSpikes(net.toIR()));
    const expected = decodeSpikesFile(readFileSync(path.join(out, 'expected-spikes.json'), 'utf8'));
    const lif = expected.populations.filter((p) => p.label !== 'In');
    expect(lif.reduce((s, p) => s + p.neuron.length, 0)).toBeGreaterThan(10);
    lif.forEach((p, k) => {
      const train = fromNetx.spikes.find((s) => s.population === `L${k + 1}`)!;
      expect(Array.from(train.indices), p.label).toEqual(p.neuron);
      expect(Array.from(train.times, (t) => Math.round(t / dt)), p.label).toEqual(p.step);
    });
  });

  it.skipIf(!PY_H5PY)('reads back with Debian’s python3-h5py as slayer’s exports do', async () => {
    await ready;
    const code = [
      'import h5py, json, sys',
      'f = h5py.File(sys.argv[1], "r")',
      'out = {}',
      'def visit(name, obj):',
      '    if isinstance(obj, h5py.Dataset):',
      '        v = obj[()]',
      '        v = v.decode() if isinstance(v, bytes) else v.tolist() if hasattr(v, "tolist") else v',
      '        v = [x.decode() if isinstance(x, bytes) else x for x in v] if isinstance(v, list) and v and isinstance(v[0], bytes) else v',
      '        out[name] = {"dtype": str(obj.dtype), "shape": list(obj.shape), "value": v}',
      'f.visititems(visit)',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PY_H5PY!, ['-c', code, path.join(out, 'network.h5')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout) as Record<string, { dtype: string; shape: number[]; value: unknown }>;
    expect(d['layer/0/type']).toEqual({ dtype: '|S10', shape: [1], value: ['input'] });
    expect(d['layer/2/type']).toEqual({ dtype: '|S10', shape: [1], value: ['dense_rec'] });
    expect(d['layer/1/neuron/type']!.value).toBe('CUBA');
    expect(d['layer/1/neuron/iDecay']).toEqual({ dtype: 'int64', shape: [], value: 301 });
    expect(d['layer/2/neuron/vThMant']).toEqual({ dtype: 'int64', shape: [], value: 40 });
    expect(d['layer/0/shape']).toEqual({ dtype: 'int64', shape: [1], value: [3] });
    expect(d['layer/1/weight']!.dtype).toBe('float32');
    expect(d['layer/1/weight']!.shape).toEqual([5, 3]);
    expect(d['layer/2/weight_rec']!.shape).toEqual([4, 4]);
    expect(d['layer/1/bias']!.value).toEqual([0, 1, 2, 0, 3]);
    const { netlist } = buildNetlist(layeredNetwork());
    const oo = netlist.projections.find((p) => p.label === 'OO')!;
    const rec = d['layer/2/weight_rec']!.value as number[][];
    oo.weight.forEach((w, k) => expect(rec[oo.post_index[k]!]![oo.pre_index[k]!]).toBe(w));
    expect(Object.keys(d).sort()).toEqual(
      [
        'layer/0/shape', 'layer/0/type',
        'layer/1/bias', 'layer/1/delay', 'layer/1/inFeatures', 'layer/1/outFeatures', 'layer/1/shape', 'layer/1/type', 'layer/1/weight',
        'layer/1/neuron/gradedSpike', 'layer/1/neuron/iDecay', 'layer/1/neuron/refDelay', 'layer/1/neuron/type', 'layer/1/neuron/vDecay', 'layer/1/neuron/vThMant',
        'layer/2/inFeatures', 'layer/2/outFeatures', 'layer/2/shape', 'layer/2/type', 'layer/2/weight', 'layer/2/weight_rec',
        'layer/2/neuron/gradedSpike', 'layer/2/neuron/iDecay', 'layer/2/neuron/refDelay', 'layer/2/neuron/type', 'layer/2/neuron/vDecay', 'layer/2/neuron/vThMant',
      ].sort(),
    );
  });

  it('says why a network is not netx-layered (a message; the export still succeeds)', () => {
    const plan = (ir: NetworkIR) => planNetx(buildNetlist(ir).netlist);
    const reason = (ir: NetworkIR) => {
      const p = plan(ir);
      return p.ok ? 'ok' : p.reason;
    };
    expect(plan(layeredNetwork()).ok).toBe(true);
    // A floor of the summed input (weight_exp −2 with weights not divisible by 4) has no netx weight.
    const floor = layeredNetwork();
    floor.projections[1]!.loihi = { weightExp: -2 };
    expect(reason(floor)).toMatch(/projection "HO": weight \d+ with weight_exp -2 is not an integer weight/);
    // Initial state.
    const init = layeredNetwork();
    init.populations[2]!.initial = { v: 5 };
    expect(reason(init)).toMatch(/population "O" starts from u or v ≠ 0/);
    // Bias not in weight units.
    const bias = layeredNetwork();
    bias.populations[1]!.params.bias_exp = 0;
    expect(reason(bias)).toMatch(/bias_mant·2\^bias_exp = 1 \(neuron 1\) is not a multiple of 64/);
    // A skip connection In → O.
    const skip = layeredNetwork();
    skip.projections.push(projection('InO', 'In', 'O', 3, [{ j: 0, i: 0, w: 10, d: 0 }], 1));
    expect(reason(skip)).toMatch(/population "In" projects to "H" and "O", but a netx layer feeds only the next layer/);
    // Delays in a dense_rec layer.
    const recDelay = layeredNetwork();
    recDelay.projections[2] = projection('OO', 'O', 'O', 4, [{ j: 0, i: 1, w: -30, d: 2 }], 1, { mode: 'inhibitory' });
    expect(reason(recDelay)).toMatch(/layer "O" is recurrent \(dense_rec\) and has delays/);
    // Two spikes of one input neuron in one step.
    const twice = layeredNetwork();
    twice.populations[0]!.spikeTimes![0] = Float64Array.of(1, 1, 4);
    expect(reason(twice)).toMatch(/input "In" fires up to 2 spikes per neuron and step/);
    // Mixed signs with odd merged values: HO (excitatory, doubled) plus an inhibitory projection onto the same layer.
    const odd = layeredNetwork();
    odd.projections.push(projection('HOi', 'H', 'O', 5, [{ j: 0, i: 0, w: -65, d: 0 }], 1, { mode: 'inhibitory' }));
    expect(reason(odd)).toMatch(/weights into "O" have both signs and an odd value/);
  });
});

// ------------------------------------------------------------------ quantiser and CLI

describe('through the quantiser and the CLI', () => {
  it('a float network (IF_curr_exp) goes through the quantiser: refused without --approximate, else its report is printed and saved and --simulate gives the quantised network’s spikes', async () => {
    const net = new Network({ name: 'float-ei', dt: 1, seed: 4, duration: 300 });
    net.spikeSource('In', 20, { rate: 30 });
    net.population('E', 40, 'IF_curr_exp', { tau_m: 20, tau_syn_E: 5, tau_syn_I: 5, v_thresh: -50, v_reset: -65, v_rest: -65, tau_refrac: 2, i_offset: 0 });
    net.connect('In', 'E', { rule: 'fixed_probability', p: 0.3 }, { receptor: 'excitatory', weight: 1.5, delay: 1 });
    net.connect('E', 'E', { rule: 'fixed_probability', p: 0.1 }, { receptor: 'inhibitory', weight: -0.5, delay: 2 });
    const ir = net.toIR();
    const out = path.join(dir, 'float-ei');
    // Refused without approximate (tau_refrac > 0 has no fixed-point LIF): a typed error, nothing written.
    await expect(loihi.export(ir, out)).rejects.toBeInstanceOf(UnsupportedError);
    expect(existsSync(out)).toBe(false);
    const result = await loihi.export(ir, out, { simulate: true, approximate: true });
    expect(result.files.map((f) => f.name)).toEqual(['netlist.json', 'run_lava.py', 'expected-spikes.json', 'quantization.json']);
    const { quantizeForLoihi, formatQuantizationReport } = await import('../targets/loihi/quantize.js');
    const q = quantizeForLoihi(ir, { dt: ir.run.dt, approximate: true });
    expect(result.messages[0]).toBe(formatQuantizationReport(q.report));
    const report = JSON.parse(readFileSync(path.join(out, 'quantization.json'), 'utf8')) as { target: string; network: string };
    expect(report).toMatchObject({ target: 'loihi2', network: 'float-ei' });
    // The exported spikes are those of the quantised network, run directly on the clock engine.
    const direct = await clockEngine.run(recordingAllSpikes(q.network));
    const expected = decodeSpikesFile(readFileSync(path.join(out, 'expected-spikes.json'), 'utf8'));
    expect(expected.populations.find((p) => p.label === 'E')!.neuron.length).toBeGreaterThan(0);
    for (const p of expected.populations) {
      const train = direct.spikes.find((x) => x.population === p.label)!;
      expect(p.neuron, p.label).toEqual(Array.from(train.indices));
      expect(p.step, p.label).toEqual(Array.from(train.times, (t) => Math.round(t / expected.dt)));
    }
  });

  it.skipIf(!existsSync(CLI))('nematode export … --simulate, then nematode inspect on the spikes file; a refusal exits 1 and writes nothing', () => {
    const nematode = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    const out = path.join(dir, 'cli');
    const r = nematode('export', 'docs/examples/loihi-ei.yaml', '--target', 'loihi', '--out', out, '--simulate');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^loihi-ei: exported for loihi to /);
    expect(r.stdout).toMatch(/netlist\.json\s+3 populations \(24 neurons, 118 input spikes\), 4 projections \(94 synapses\), 200 steps/);
    expect(r.stdout).toMatch(/expected-spikes\.json\s+the spikes Lava must produce \(clock engine, loihi_lif\): 877 LIF spikes/);
    expect(r.stdout).toMatch(/netx: no network\.h5/);
    const i = nematode('inspect', path.join(out, 'expected-spikes.json'), '--csv', path.join(dir, 'cli-csv'));
    expect(i.status).toBe(0);
    expect(i.stdout).toMatch(/spikes file \(nematode-spikes v1\) of network "loihi-ei"/);
    expect(i.stdout).toMatch(/E: 16 neurons recorded, 584 spikes/);
    expect(readFileSync(path.join(dir, 'cli-csv', 'E_spikes.csv'), 'utf8').split('\n')[0]).toBe('index,time_ms');
    const cfg = path.join(dir, 'refused.yaml');
    writeFileSync(cfg, readFileSync('docs/examples/loihi-ei.yaml', 'utf8').replace('params: { du: 410,', `params: { du: [${[411, ...new Array(15).fill(410)].join(', ')}],`));
    const bad = nematode('export', cfg, '--target', 'loihi', '--out', path.join(dir, 'cli-refused'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^nematode: network "loihi-ei" cannot be exported to Loihi \(Lava\) as it is:/);
    expect(bad.stderr).toMatch(/du differs between neurons/);
    expect(existsSync(path.join(dir, 'cli-refused'))).toBe(false);
    const unknown = nematode('export', 'docs/examples/loihi-ei.yaml', '--target', 'spinaker', '--out', path.join(dir, 'x'));
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/unknown export target "spinaker"/);
  });
});
