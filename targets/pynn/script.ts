/**
 * A PyNN 0.10 script for a network (spec ../shared/reference/spinnaker-pynn.md §4, §5):
 * `run_pynn.py` plus a `pynn/` folder of NumPy arrays (connection lists, spike times,
 * per-neuron values). The script runs on sPyNNaker (`import pyNN.spiNNaker`) and on the
 * PyNN reference backends brian2, NEURON and NEST, picked on its command line; the default
 * is the export's `--pynn-backend`.
 *
 * What the script follows, by the spec's §4.1/§4.3/§5.4:
 * - populations of IF_curr_exp / IF_cond_exp / Izhikevich with every parameter explicit
 *   (tau_refrac included: PyNN's 0.1 ms default is a whole tick on SpiNNaker at dt = 1 ms);
 * - inputs as SpikeSourceArrays on the dt grid, the exact spikes nematode draws (inputs.ts);
 * - FromListConnector rows (pre, post, weight, delay): weights in nA (current) or µS
 *   (conductance), negative for current-based inhibition (sPyNNaker takes |w| and subtracts,
 *   brian2 and NEURON add it with its sign, so only negative works on all); delays whole
 *   steps ≥ one step (nematode rounds them the same way), min_delay = dt explicit;
 * - DC and step currents as DCSource / StepCurrentSource;
 * - `set_number_of_neurons_per_core` per population as in the machine netlist (sPyNNaker);
 * - spike recording written as nematode-spikes JSON, which `nematode inspect` reads.
 */
import type { NetworkIR, PerElement, StimulusIR } from '../../src/ir/types.js';
import { resolveTargets, validateNetwork, valueAt, type ResolvedPopulation } from '../../src/ir/validate.js';
import { VERSION } from '../../src/version.js';
import { uniqueLabel } from './inputs.js';
import { encodeNpy } from './npy.js';

export const PYNN_BACKENDS = ['spiNNaker', 'brian2', 'neuron', 'nest'] as const;
export type PynnBackend = (typeof PYNN_BACKENDS)[number];
export const PYNN_SCRIPT = 'run_pynn.py';
export const PYNN_DATA_DIR = 'pynn';

/** PyNN cell types by nematode model, with the state variables PyNN names differently. */
const CELL_TYPES: Record<string, { cell: string; state: Record<string, string> }> = {
  iaf_psc_exp: { cell: 'IF_curr_exp', state: { v: 'v', isyn_exc: 'isyn_exc', isyn_inh: 'isyn_inh' } },
  spinnaker_IF_curr_exp: { cell: 'IF_curr_exp', state: { v: 'v', isyn_exc: 'isyn_exc', isyn_inh: 'isyn_inh' } },
  iaf_cond_exp: { cell: 'IF_cond_exp', state: { v: 'v', g_exc: 'gsyn_exc', g_inh: 'gsyn_inh' } },
  spinnaker_IF_cond_exp: { cell: 'IF_cond_exp', state: { v: 'v', g_exc: 'gsyn_exc', g_inh: 'gsyn_inh' } },
  izhikevich: { cell: 'Izhikevich', state: { v: 'v', u: 'u' } },
};
/** nematode-only parameters that PyNN does not have (the fixed-point models' ring-buffer shifts). */
const NOT_PYNN = new Set(['ring_shift_E', 'ring_shift_I']);

export interface PynnScriptOptions {
  /** The backend the script runs on when none is named on its command line. */
  backend: PynnBackend;
  /** Neurons per core of each neuron population, as in the machine netlist. */
  neuronsPerCore: Record<string, number>;
  /** sPyNNaker's time_scale_factor (the netlist's). */
  timeScaleFactor: number;
}

export interface PynnScript {
  script: string;
  /** File name (under pynn/) → .npy bytes. */
  arrays: Record<string, Uint8Array>;
  /** Populations whose spikes the script records. */
  recorded: string[];
  synapses: number;
}

/** A Python literal for a number. */
function py(x: number): string {
  if (Number.isNaN(x)) return "float('nan')";
  if (!Number.isFinite(x)) return x > 0 ? "float('inf')" : "-float('inf')";
  return String(x);
}

/** A file-name-safe stem for a label (labels may hold any character). */
function stem(label: string, taken: Set<string>): string {
  return uniqueLabel(taken, label.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'x');
}

function isUniform(x: PerElement): number | undefined {
  if (typeof x === 'number') return x;
  for (let i = 1; i < x.length; i++) if (x[i] !== x[0]) return undefined;
  return x[0];
}

/**
 * The script and its arrays for `ir`, whose inputs are already spike arrays
 * (inputsAsSpikeArrays) and whose projections are all spike projections PyNN can express
 * (the SpiNNaker capability check has run).
 */
export function pynnScript(ir: NetworkIR, options: PynnScriptOptions): PynnScript {
  const net = validateNetwork(ir);
  const dt = ir.run.dt;
  const steps = Math.round(ir.run.duration / dt);
  const arrays: Record<string, Uint8Array> = {};
  const files = new Set<string>();
  const keyOf = new Map<string, string>();
  const key = (label: string): string => {
    if (!keyOf.has(label)) keyOf.set(label, stem(label, files));
    return keyOf.get(label)!;
  };
  const lines: string[] = [];
  const L = (s = ''): number => lines.push(s);

  // Populations.
  const popLines: string[] = [];
  const isNeuron = (p: ResolvedPopulation): boolean => p.model.kind === 'neuron';
  for (const p of net.populations) {
    const k = key(p.label);
    const ref = `pops[${JSON.stringify(p.label)}]`;
    if (p.model.name === 'spike_source_array') {
      const times = p.ir.spikeTimes ?? [];
      const counts = times.map((t) => t.length);
      const flat: number[] = [];
      for (const t of times) for (const x of t) flat.push(Math.round(x / dt));
      arrays[`${k}.spike_counts.npy`] = encodeNpy(counts, [counts.length], 'int64');
      arrays[`${k}.spike_steps.npy`] = encodeNpy(flat, [flat.length], 'int64');
      popLines.push(`    ${ref} = sim.Population(${p.size}, sim.SpikeSourceArray(spike_times=spike_times(${JSON.stringify(k)}, backend)), label=${JSON.stringify(p.label)})`);
      continue;
    }
    const ct = CELL_TYPES[p.model.name];
    if (!ct) throw new Error(`pynnScript: model ${p.model.name} has no PyNN cell type (the capability check should have refused it)`);
    const args: string[] = [];
    for (const [name, v] of Object.entries(p.params)) {
      if (NOT_PYNN.has(name)) continue;
      const u = isUniform(v);
      if (u !== undefined) args.push(`${name}=${py(u)}`);
      else {
        arrays[`${k}.param.${name}.npy`] = encodeNpy(v as Float64Array, [p.size]);
        args.push(`${name}=array(${JSON.stringify(`${k}.param.${name}`)})`);
      }
    }
    const init: string[] = [];
    for (const [name, v] of Object.entries(p.initial)) {
      const pyName = ct.state[name];
      if (!pyName) continue;
      const u = isUniform(v);
      if (u !== undefined) init.push(`${JSON.stringify(pyName)}: ${py(u)}`);
      else {
        arrays[`${k}.initial.${name}.npy`] = encodeNpy(v as Float64Array, [p.size]);
        init.push(`${JSON.stringify(pyName)}: array(${JSON.stringify(`${k}.initial.${name}`)})`);
      }
    }
    const perCore = options.neuronsPerCore[p.label];
    if (perCore !== undefined) popLines.push(`    if backend == "spiNNaker":\n        sim.set_number_of_neurons_per_core(sim.${ct.cell}, ${perCore})`);
    popLines.push(`    ${ref} = sim.Population(${p.size}, sim.${ct.cell}(${args.join(', ')}), label=${JSON.stringify(p.label)},\n        initial_values={${init.join(', ')}})`);
  }

  // Projections: (pre, post, weight, delay ms) rows in the IR's synapse order.
  const projLines: string[] = [];
  let synapses = 0;
  let minTicks = Infinity;
  let maxTicks = 1;
  for (const pr of ir.projections) {
    if ((pr.transmission ?? 'spike') !== 'spike') continue;
    const post = net.byLabel.get(pr.post)!;
    const conductance = post.model.kind === 'neuron' && post.model.receptors[pr.receptor]?.weightDim === 'conductance';
    const n = pr.targets.length;
    const rows = new Float64Array(4 * n);
    let k = 0;
    for (let i = 0; i + 1 < pr.rowPtr.length; i++) {
      for (let s = pr.rowPtr[i]!; s < pr.rowPtr[i + 1]!; s++, k++) {
        const w = valueAt(pr.weight, s);
        // Inhibition negative unless conductance-based, everything else positive (spec §4.1, sign convention).
        const signed = !conductance && pr.receptor === 'inhibitory' ? -Math.abs(w) : Math.abs(w);
        const ticks = Math.max(1, Math.round(valueAt(pr.delay, s) / dt));
        minTicks = Math.min(minTicks, ticks);
        maxTicks = Math.max(maxTicks, ticks);
        rows.set([i, pr.targets[s]!, signed, ticks], 4 * k);
      }
    }
    // Delays are stored in ticks and turned into ms (ticks · DT) by the script, so they stay on the grid.
    const name = `${key(`projection:${pr.label}`)}.connections`;
    arrays[`${name}.npy`] = encodeNpy(rows, [n, 4]);
    synapses += n;
    projLines.push(
      `    sim.Projection(pops[${JSON.stringify(pr.pre)}], pops[${JSON.stringify(pr.post)}], sim.FromListConnector(connections(${JSON.stringify(name)})),\n` +
        `                   synapse_type=sim.StaticSynapse(), receptor_type=${JSON.stringify(pr.receptor)}, label=${JSON.stringify(pr.label)})`,
    );
  }

  // Current sources.
  const srcLines: string[] = [];
  for (const s of ir.stimuli) srcLines.push(...currentSource(s, net.byLabel.get(s.population)!, (name, idx) => {
    const k = `${key(`stimulus:${s.label}`)}.${name}`;
    arrays[`${k}.npy`] = encodeNpy(idx, [idx.length], 'int64');
    return k;
  }));

  // Recording: the populations the IR records spikes of, or every neuron population.
  const wanted = new Set(ir.recordings.filter((r) => r.kind === 'spikes').map((r) => r.population));
  const recorded = net.populations.filter((p) => isNeuron(p) && (wanted.size === 0 || wanted.has(p.label))).map((p) => p.label);

  L('#!/usr/bin/env python3');
  L(`"""${ir.name.replace(/["\\]/g, '_')}: a PyNN 0.10 script written by nematode ${VERSION} (nematode export --target spinnaker).`);
  L('');
  L(`    python3 ${PYNN_SCRIPT}                  # on pyNN.${options.backend}`);
  L(`    python3 ${PYNN_SCRIPT} brian2           # or ${PYNN_BACKENDS.join(' | ')}`);
  L(`    python3 ${PYNN_SCRIPT} neuron --out spikes.json`);
  L(`    python3 ${PYNN_SCRIPT} --dry-run        # check the arrays in ${PYNN_DATA_DIR}/ without PyNN`);
  L('');
  L('Every input is a SpikeSourceArray on the dt grid holding the spikes nematode draws for the');
  L("network's Poisson sources and stimuli, so every backend sees the same input. Recorded spikes");
  L('are written as nematode-spikes JSON (default pynn-spikes-<backend>.json beside this script),');
  L('which `nematode inspect FILE` reads. On Debian 12 run it with /usr/bin/python3, whose');
  L("dist-packages hold Debian's python3-pynn; pyNN.neuron needs its NMODL mechanisms compiled");
  L('(docs/targets/spinnaker.md, "PyNN script").');
  L('"""');
  L('import argparse');
  L('import importlib');
  L('import json');
  L('import math');
  L('import os');
  L('import sys');
  L('import time');
  L('');
  L('import numpy as np');
  L('');
  L('HERE = os.path.dirname(os.path.abspath(__file__))');
  L(`DATA = os.path.join(HERE, ${JSON.stringify(PYNN_DATA_DIR)})`);
  L(`BACKENDS = (${PYNN_BACKENDS.map((b) => JSON.stringify(b)).join(', ')})`);
  L(`DEFAULT_BACKEND = ${JSON.stringify(options.backend)}`);
  L(`NETWORK = ${JSON.stringify(ir.name)}`);
  L(`PRODUCER_VERSION = ${JSON.stringify(VERSION)}`);
  L(`DT = ${py(dt)}  # ms`);
  L(`STEPS = ${steps}`);
  L(`DURATION = STEPS * DT  # ms`);
  L(`MIN_DELAY = ${Number.isFinite(minTicks) ? minTicks : 1} * DT  # ms: the smallest delay (whole steps, at least one)`);
  L(`MAX_DELAY = ${maxTicks} * DT  # ms`);
  L(`TIME_SCALE_FACTOR = ${options.timeScaleFactor}  # sPyNNaker: machine time slowed down for dt < 1 ms`);
  L(`RECORDED = [${recorded.map((l) => JSON.stringify(l)).join(', ')}]`);
  L(`SIZES = {${net.populations.map((p) => `${JSON.stringify(p.label)}: ${p.size}`).join(', ')}}`);
  L(`SYNAPSES = ${synapses}`);
  L('');
  L('');
  L('def array(name):');
  L('    return np.load(os.path.join(DATA, name + ".npy"), allow_pickle=False)');
  L('');
  L('');
  L('# A spike stamped t by nematode happened in the step (t - dt, t]; brian2 stamps the same spike');
  L('# with the start of its step, t - dt, for sources and neurons alike (see spike_step).');
  L('STAMP_OFFSET = {"brian2": -1}');
  L('');
  L('');
  L('def spike_times(name, backend):');
  L('    """One list of spike times (ms, on the dt grid) per source."""');
  L('    counts = array(name + ".spike_counts")');
  L('    steps = array(name + ".spike_steps") + STAMP_OFFSET.get(backend, 0)');
  L('    ends = np.cumsum(counts)');
  L('    return [[round(float(s) * DT, 9) for s in steps[e - c:e]] for c, e in zip(counts, ends)]');
  L('');
  L('');
  L('def connections(name):');
  L('    """Rows (pre, post, weight, delay): weights in nA (current) or uS (conductance), negative');
  L('    for current-based inhibition; delays stored in steps and given in ms."""');
  L('    rows = array(name).copy()');
  L('    rows[:, 3] = np.round(rows[:, 3] * DT, 9)');
  L('    return rows');
  L('');
  L('');
  L('def build(sim, backend):');
  L('    extra = {"time_scale_factor": TIME_SCALE_FACTOR} if backend == "spiNNaker" else {"max_delay": MAX_DELAY}');
  L('    sim.setup(timestep=DT, min_delay=MIN_DELAY, **extra)');
  L('    pops = {}');
  L('    # populations');
  for (const l of popLines) L(l);
  L('    # projections');
  for (const l of projLines) L(l);
  if (srcLines.length) L('    # current sources');
  for (const l of srcLines) L(l);
  L('    # recording');
  L('    for label in RECORDED:');
  L('        pops[label].record("spikes")');
  L('    return pops');
  L('');
  L('');
  L(PYTHON_TAIL);
  return { script: lines.join('\n') + '\n', arrays, recorded, synapses };
}

function currentSource(s: StimulusIR, pop: ResolvedPopulation, indexFile: (name: string, idx: Uint32Array) => string): string[] {
  if (s.kind !== 'dc' && s.kind !== 'step') throw new Error(`pynnScript: stimulus ${s.label} (${s.kind}) should have been turned into a spike array`);
  const idx = resolveTargets(s, pop, `stimulus "${s.label}"`);
  const target = idx.length === pop.size ? `pops[${JSON.stringify(pop.label)}]` : `pops[${JSON.stringify(pop.label)}][array(${JSON.stringify(indexFile('targets', idx))})]`;
  if (s.kind === 'dc') {
    return [`    sim.DCSource(amplitude=${py(s.amplitude)}, start=${py(s.start)}, stop=${py(s.stop)}).inject_into(${target})  # ${s.label.replace(/[\r\n]/g, ' ')}`];
  }
  return [`    sim.StepCurrentSource(times=[${s.times.map(py).join(', ')}], amplitudes=[${s.amplitudes.map(py).join(', ')}]).inject_into(${target})  # ${s.label.replace(/[\r\n]/g, ' ')}`];
}

/** The script's fixed part: dry run, running, and writing the spikes file. */
const PYTHON_TAIL = `def dry_run():
    """Loads every array and checks it against the network, without PyNN."""
    import re
    text = open(os.path.abspath(__file__), encoding="utf-8").read()
    problems = []
    synapses = 0
    for name in sorted(set(re.findall(r'connections\\("([^"]+)"\\)', text))):
        rows = array(name)
        if rows.ndim != 2 or rows.shape[1] != 4:
            problems.append("%s: shape %s, expected (n, 4)" % (name, rows.shape))
            continue
        synapses += rows.shape[0]
        if rows.shape[0] and (rows[:, 3].min() < 1 or np.any(rows[:, 3] != np.round(rows[:, 3]))):
            problems.append("%s: delays must be whole steps >= 1" % name)
    for name in sorted(set(re.findall(r'spike_times\\("([^"]+)"\\)', text))):
        counts, steps = array(name + ".spike_counts"), array(name + ".spike_steps")
        if counts.sum() != steps.size:
            problems.append("%s: %d spike counts for %d spikes" % (name, counts.sum(), steps.size))
    if synapses != SYNAPSES:
        problems.append("%d synapses in the arrays, %d expected" % (synapses, SYNAPSES))
    for p in problems:
        print("problem:", p, file=sys.stderr)
    print("%s: %d populations, %d synapses, dt %g ms, %d steps: %s" % (NETWORK, len(SIZES), synapses, DT, STEPS, "ok" if not problems else "PROBLEMS"))
    return 1 if problems else 0


def spike_step(t_ms, backend):
    """1-based step of a spike at t_ms, as nematode numbers them (step n covers ((n-1)dt, n dt])."""
    return int(math.floor(t_ms / DT + 0.5)) - STAMP_OFFSET.get(backend, 0)


def source_index(pop, st, k):
    """Index in its population of the neuron a spike train came from (the annotation differs by backend)."""
    a = st.annotations
    if "source_index" in a:
        return int(a["source_index"])
    for key in ("source_id", "channel_id"):
        if key in a:
            return int(pop.id_to_index(int(a[key])))
    return k


def write_spikes(path, producer, populations):
    """nematode-spikes JSON, one population per line, sorted by step then neuron (src/results/spikes-json.ts)."""
    rows = []
    for label, size, neuron, step in populations:
        order = sorted(range(len(step)), key=lambda k: (step[k], neuron[k]))
        rows.append('{"label":%s,"size":%d,"neuron":%s,"step":%s}' % (
            json.dumps(label), size, json.dumps([neuron[k] for k in order], separators=(",", ":")),
            json.dumps([step[k] for k in order], separators=(",", ":"))))
    text = '{"format":"nematode-spikes","formatVersion":1,\\n"producer":%s,\\n' % json.dumps(producer)
    text += '"network":%s,"dt":%s,"steps":%d,"populations":[\\n' % (json.dumps(NETWORK), json.dumps(DT), STEPS)
    text += ",\\n".join(rows) + ("\\n" if rows else "") + "]}\\n"
    tmp = path + ".tmp-%d" % os.getpid()
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description="Run %s on a PyNN backend." % NETWORK)
    parser.add_argument("backend", nargs="?", default=DEFAULT_BACKEND, choices=BACKENDS)
    parser.add_argument("--out", help="spikes file (default: pynn-spikes-<backend>.json beside this script)")
    parser.add_argument("--dry-run", action="store_true", help="check the arrays without PyNN")
    args = parser.parse_args()
    if args.dry_run:
        return dry_run()
    backend = args.backend
    if backend == "brian2":
        # Brian2's numpy target avoids the one-off Cython compile (60-90 s); NEMATODE_BRIAN2_TARGET=cython to change.
        import brian2
        brian2.prefs.codegen.target = os.environ.get("NEMATODE_BRIAN2_TARGET", "numpy")
    sim = importlib.import_module("pyNN." + backend)
    started = time.time()
    pops = build(sim, backend)
    built = time.time()
    sim.run(DURATION)
    ran = time.time()
    populations = []
    for label in RECORDED:
        block = pops[label].get_data("spikes")
        neuron, step = [], []
        for k, st in enumerate(block.segments[0].spiketrains):
            index = source_index(pops[label], st, k)
            for t in st.rescale("ms").magnitude:
                s = spike_step(float(t), backend)
                if 1 <= s <= STEPS:
                    neuron.append(index)
                    step.append(s)
        populations.append((label, SIZES[label], neuron, step))
    sim.end()
    version = getattr(importlib.import_module("pyNN"), "__version__", "?")
    out = args.out or os.path.join(HERE, "pynn-spikes-%s.json" % backend)
    write_spikes(out, "pyNN.%s (PyNN %s, %s)" % (backend, version, os.path.basename(__file__)), populations)
    for label, size, neuron, step in populations:
        print("%s: %d spikes, %.2f Hz" % (label, len(step), len(step) / size / (DURATION / 1000.0)))
    print("build %.1f s, run %.1f s; spikes written to %s" % (built - started, ran - built, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())`;
