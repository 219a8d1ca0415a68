/**
 * Validation of the IR, done when a network is built and again when one is
 * loaded. Every failure is a typed error naming the population / projection /
 * stimulus / recording, the parameter, the value and the allowed range.
 * The result is a resolved view (defaults filled in, names resolved) that the
 * engines consume; the IR itself is never modified.
 */
import { UnknownNameError, UnsupportedError, ValidationError } from '../errors.js';
import { getModel, type Model, type NeuronModel, type ParamDecl } from '../models/index.js';
import { formatQuantity } from '../units.js';
import * as loihi from '../loihi/arithmetic.js';
import { IR_VERSION, type NetworkIR, type PerElement, type PopulationIR, type ProjectionIR, type TargetSet } from './types.js';

export interface ResolvedPopulation {
  ir: PopulationIR;
  label: string;
  model: Model;
  size: number;
  method: string;
  /** Every declared parameter, scalar when uniform. */
  params: Record<string, PerElement>;
  /** Every declared state variable's initial value, scalar when uniform. */
  initial: Record<string, PerElement>;
}

export interface ResolvedNetwork {
  ir: NetworkIR;
  populations: ResolvedPopulation[];
  byLabel: Map<string, ResolvedPopulation>;
}

const ENGINES = ['clock', 'event', 'gpu'];
const GPU_BACKENDS = ['auto', 'webgpu', 'webasm', 'cpu'];

/** Value of a per-element quantity for element i. */
export function valueAt(x: PerElement, i: number): number {
  return typeof x === 'number' ? x : x[i]!;
}

function describeRange(d: ParamDecl): string {
  const lo = d.min === undefined ? '' : `${d.minExclusive ? '>' : '≥'} ${formatQuantity(d.min, d.dim)}`;
  const hi = d.max === undefined ? '' : `${d.maxExclusive ? '<' : '≤'} ${formatQuantity(d.max, d.dim)}`;
  const range = [lo, hi].filter(Boolean).join(' and ');
  if (d.integer) return range ? `an integer ${range}` : 'any integer';
  return range || 'any finite value';
}

function inRange(v: number, d: ParamDecl): boolean {
  if (!Number.isFinite(v)) return false;
  if (d.integer && !Number.isInteger(v)) return false;
  if (d.min !== undefined && (d.minExclusive ? v <= d.min : v < d.min)) return false;
  if (d.max !== undefined && (d.maxExclusive ? v >= d.max : v > d.max)) return false;
  return true;
}

/** Checks a scalar or per-element value: length, finiteness, declared range (`why` explains the range). */
function checkValues(x: PerElement, size: number, decl: ParamDecl, object: string, parameter: string, why?: string): void {
  if (typeof x === 'number') {
    if (!inRange(x, decl)) throw rangeError(object, parameter, x, decl, undefined, why);
    return;
  }
  if (!(x instanceof Float64Array) && !Array.isArray(x)) {
    throw new ValidationError(`${object}: ${parameter} must be a number or one number per neuron.`, { object, parameter });
  }
  if (x.length !== size) {
    throw new ValidationError(`${object}: ${parameter} has ${x.length} values for ${size} neurons; give one value or ${size}.`, {
      object,
      parameter,
      expected: `1 or ${size} values`,
    });
  }
  for (let i = 0; i < x.length; i++) if (!inRange(x[i]!, decl)) throw rangeError(object, parameter, x[i]!, decl, i, why);
}

function rangeError(object: string, parameter: string, v: number, decl: ParamDecl, index?: number, why?: string): ValidationError {
  const where = index === undefined ? '' : ` (element ${index})`;
  const expected = describeRange(decl);
  return new ValidationError(`${object}: ${parameter} = ${formatQuantity(v, decl.dim)}${where} is out of range; allowed: ${expected}${why ? `: ${why}` : ''}.`, {
    object,
    parameter,
    expected,
  });
}

export function resolvePopulation(pop: PopulationIR): ResolvedPopulation {
  const object = `population "${pop.label}"`;
  const model = getModel(pop.model, object);
  if (!Number.isInteger(pop.size) || pop.size < 1) {
    throw new ValidationError(`${object}: size = ${pop.size} must be a whole number ≥ 1.`, { object, parameter: 'size', expected: 'integer ≥ 1' });
  }
  const paramNames = Object.keys(model.params);
  for (const name of Object.keys(pop.params ?? {})) {
    if (!(name in model.params)) throw new UnknownNameError(`parameter of ${model.name}`, name, paramNames, { object, parameter: name });
  }
  const params: Record<string, PerElement> = {};
  for (const [name, decl] of Object.entries(model.params)) {
    const value = pop.params?.[name] ?? decl.default;
    checkValues(value, pop.size, decl, object, name);
    params[name] = value;
  }
  for (const c of model.constraints) {
    const arrays = c.params.some((n) => typeof params[n] !== 'number');
    const count = arrays ? pop.size : 1;
    const p: Record<string, number> = {};
    for (let i = 0; i < count; i++) {
      for (const n of c.params) p[n] = valueAt(params[n]!, i);
      if (!c.holds(p)) {
        const vals = c.params.map((n) => `${n} = ${formatQuantity(p[n]!, model.params[n]!.dim)}`).join(', ');
        throw new ValidationError(`${object}: ${c.message} (${vals}${arrays ? `, neuron ${i}` : ''}).`, {
          object,
          parameter: c.params.join(', '),
          expected: c.message,
        });
      }
    }
  }
  const stateNames = Object.keys(model.state);
  for (const name of Object.keys(pop.initial ?? {})) {
    if (!(name in model.state)) {
      const hint = name in model.params ? ` ("${name}" is a parameter, not a state variable)` : '';
      throw new UnknownNameError(`state variable of ${model.name}${hint}`, name, stateNames, { object, parameter: name });
    }
  }
  const initial: Record<string, PerElement> = {};
  for (const [name, decl] of Object.entries(model.state)) {
    const given = pop.initial?.[name];
    // 'equilibrium' starts are filled in by the engine (plan); 0 stands in until then.
    const value = given ?? (typeof decl.initial === 'number' ? decl.initial : decl.initial === 'equilibrium' ? 0 : params[decl.initial.param]!);
    checkValues(value, pop.size, { dim: decl.dim, default: 0, doc: '', min: decl.min, max: decl.max, integer: decl.integer }, object, `initial ${name}`);
    initial[name] = value;
  }
  let method = '';
  if (model.kind === 'neuron') {
    method = pop.method ?? model.methods[0]!;
    if (!model.methods.includes(method)) throw new UnknownNameError(`integration method of ${model.name}`, method, model.methods, { object, parameter: 'method' });
  }
  if (model.name === 'spike_source_array') checkSpikeTimes(pop, object);
  if (pop.neuronNames && pop.neuronNames.length !== pop.size) {
    throw new ValidationError(`${object}: ${pop.neuronNames.length} neuron names for ${pop.size} neurons.`, { object, parameter: 'neuronNames' });
  }
  if (pop.positions && pop.positions.length !== 3 * pop.size) {
    throw new ValidationError(`${object}: positions must hold 3 numbers (x, y, z) per neuron: ${3 * pop.size}, got ${pop.positions.length}.`, {
      object,
      parameter: 'positions',
    });
  }
  return { ir: pop, label: pop.label, model, size: pop.size, method, params, initial };
}

function checkSpikeTimes(pop: PopulationIR, object: string): void {
  const st = pop.spikeTimes;
  if (!st || st.length !== pop.size) {
    throw new ValidationError(`${object}: spike_source_array needs spikeTimes, one array per neuron (${pop.size}).`, { object, parameter: 'spikeTimes' });
  }
  st.forEach((times, i) => {
    for (let k = 0; k < times.length; k++) {
      const t = times[k]!;
      if (!Number.isFinite(t) || t < 0 || (k > 0 && t < times[k - 1]!)) {
        throw new ValidationError(`${object}: spike time ${t} ms of neuron ${i} is not finite, not ≥ 0 or not ascending.`, {
          object,
          parameter: 'spikeTimes',
          expected: 'ascending finite times ≥ 0 ms',
        });
      }
    }
  });
}

const TRANSMISSIONS = ['spike', 'graded', 'gap'];

function checkCsr(proj: ProjectionIR, pre: ResolvedPopulation, post: ResolvedPopulation, object: string): void {
  const { rowPtr, targets } = proj;
  if (!(rowPtr instanceof Uint32Array) || rowPtr.length !== pre.size + 1 || rowPtr[0] !== 0 || rowPtr[pre.size] !== targets.length) {
    throw new ValidationError(`${object}: rowPtr must be a Uint32Array of length ${pre.size + 1} from 0 to ${targets.length}.`, { object, parameter: 'rowPtr' });
  }
  for (let i = 0; i < pre.size; i++) {
    if (rowPtr[i + 1]! < rowPtr[i]!) throw new ValidationError(`${object}: rowPtr decreases at row ${i}.`, { object, parameter: 'rowPtr' });
  }
  for (let k = 0; k < targets.length; k++) {
    if (targets[k]! >= post.size) {
      throw new ValidationError(`${object}: synapse ${k} targets neuron ${targets[k]}, but "${post.label}" has ${post.size}.`, {
        object,
        parameter: 'targets',
        expected: `0..${post.size - 1}`,
      });
    }
  }
}

function checkProjection(proj: ProjectionIR, pre: ResolvedPopulation, post: ResolvedPopulation, dt: number): void {
  const object = `projection "${proj.label}"`;
  const transmission = proj.transmission ?? 'spike';
  if (!TRANSMISSIONS.includes(transmission)) throw new UnknownNameError('transmission', transmission, TRANSMISSIONS, { object, parameter: 'transmission' });
  if (post.model.kind !== 'neuron') {
    throw new ValidationError(`${object}: post population "${post.label}" is a spike source (${post.model.name}) and cannot receive synapses.`, { object, parameter: 'post' });
  }
  checkCsr(proj, pre, post, object);
  const n = proj.targets.length;
  if (transmission === 'gap') {
    for (const p of [pre, post]) {
      if (p.model.kind !== 'neuron' || !p.model.voltage) {
        throw new UnsupportedError(`${object}: model ${p.model.name} of population "${p.label}" declares no membrane voltage, so it cannot take gap junctions.`, {
          object,
          parameter: 'transmission',
          expected: 'models with a membrane voltage (see nematode models)',
        });
      }
    }
    if (proj.receptor !== 'gap') throw new ValidationError(`${object}: a gap-junction projection has receptor "gap", not "${proj.receptor}".`, { object, parameter: 'receptor', expected: 'gap' });
    checkValues(proj.weight, n, { dim: 'conductance', default: 0, min: 0, doc: '' }, object, 'weight', 'gap-junction conductances are ≥ 0');
    checkValues(proj.delay, n, { dim: 'time', default: 0, min: 0, max: 0, doc: '' }, object, 'delay', 'gap junctions act without delay');
    return;
  }
  const receptors = Object.keys(post.model.receptors);
  const receptor = post.model.receptors[proj.receptor];
  if (!receptor) throw new UnknownNameError(`receptor of ${post.model.name}`, proj.receptor, receptors, { object, parameter: 'receptor' });
  const graded = (receptor.mode ?? 'event') === 'graded';
  const weightDecl: ParamDecl =
    receptor.sign === 'nonnegative'
      ? { dim: receptor.weightDim, default: 0, min: 0, doc: '' }
      : receptor.sign === 'nonpositive'
        ? { dim: receptor.weightDim, default: 0, max: 0, doc: '' }
        : { dim: receptor.weightDim, default: 0, doc: '' };
  const sign = receptor.sign === 'nonnegative' ? '≥ 0' : receptor.sign === 'nonpositive' ? '≤ 0' : 'finite';
  checkValues(proj.weight, n, weightDecl, object, 'weight', `${proj.receptor} weights onto ${post.model.name} must be ${sign} (${receptor.doc})`);
  if (transmission === 'graded') {
    if (!graded) {
      throw new ValidationError(`${object}: receptor "${proj.receptor}" of ${post.model.name} takes spikes, not graded input; use transmission "spike".`, { object, parameter: 'transmission' });
    }
    const outputs = pre.model.kind === 'neuron' ? (pre.model.gradedOutputs ?? []) : [];
    const variable = proj.graded?.variable;
    if (variable === undefined || !outputs.includes(variable)) {
      if (outputs.length === 0) {
        throw new UnsupportedError(`${object}: model ${pre.model.name} of "${pre.label}" has no graded output; graded projections need a presynaptic model that declares one.`, {
          object,
          parameter: 'graded.variable',
        });
      }
      throw new UnknownNameError(`graded output of ${pre.model.name}`, String(variable), outputs, { object, parameter: 'graded.variable' });
    }
    const tf = proj.graded!.transfer;
    if (tf) {
      if (tf.kind !== 'sigmoid') throw new UnknownNameError('graded transfer', String(tf.kind), ['sigmoid'], { object, parameter: 'graded.transfer.kind' });
      checkValues(tf.mu, n, { dim: 'voltage', default: 0, doc: '' }, object, 'graded.transfer.mu');
      checkValues(tf.slope, n, { dim: 'dimensionless', default: 0, doc: '' }, object, 'graded.transfer.slope');
    }
    checkValues(proj.delay, n, { dim: 'time', default: 0, min: 0, max: 0, doc: '' }, object, 'delay', 'graded synapses act without delay (the presynaptic value at the start of each step)');
    return;
  }
  if (graded) {
    throw new ValidationError(`${object}: receptor "${proj.receptor}" of ${post.model.name} is graded; connect with transmission "graded".`, { object, parameter: 'transmission', expected: 'graded' });
  }
  if (pre.model.kind === 'neuron' && pre.model.spiking === false) {
    throw new ValidationError(`${object}: "${pre.label}" (${pre.model.name}) does not spike; connect it with transmission "graded" or "gap".`, { object, parameter: 'transmission' });
  }
  if (post.model.connection === 'loihi') {
    checkLoihiProjection(proj, post, dt, object);
    return;
  }
  if (proj.loihi !== undefined) {
    throw new ValidationError(`${object}: "loihi" settings apply only to projections into Loihi neurons (loihi_lif); "${post.label}" is ${post.model.name}.`, {
      object,
      parameter: 'loihi',
    });
  }
  const minDelay = dt * (1 - 1e-9);
  checkValues(proj.delay, n, { dim: 'time', default: 0, min: 0, doc: '' }, object, 'delay');
  const d = proj.delay;
  const below = typeof d === 'number' ? (d < minDelay ? d : NaN) : firstBelow(d, minDelay);
  if (!Number.isNaN(below)) {
    throw new ValidationError(`${object}: delay ${below} ms is below one time step (dt = ${dt} ms); delays must be ≥ dt.`, {
      object,
      parameter: 'delay',
      expected: `≥ ${dt} ms`,
      fix: `raise the delay to at least ${dt} ms or lower dt`,
    });
  }
}

/**
 * Projections into a model with Loihi connection semantics (loihi_lif): Lava's
 * Dense/Sparse/DelaySparse (docs/targets/loihi.md, spec §2). The receptor is the sign
 * mode; every weight must already be Lava's effective weight for it (§2.1), so that Lava
 * given these weights, this sign mode and numWeightBits leaves them unchanged; delays
 * are whole steps (1 + d)·dt with d in 0..62; no (pre, post) pair twice (Lava's Sparse
 * would sum the two before clipping).
 */
function checkLoihiProjection(proj: ProjectionIR, post: ResolvedPopulation, dt: number, object: string): void {
  const settings = proj.loihi ?? {};
  if (typeof settings !== 'object' || settings === null) throw new ValidationError(`${object}: loihi must be an object { weightExp, numWeightBits }.`, { object, parameter: 'loihi' });
  for (const key of Object.keys(settings)) {
    if (key !== 'weightExp' && key !== 'numWeightBits') throw new UnknownNameError('loihi setting', key, ['weightExp', 'numWeightBits'], { object, parameter: `loihi.${key}` });
  }
  const integerIn = (name: string, v: number, [lo, hi]: readonly [number, number], why: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new ValidationError(`${object}: loihi.${name} = ${v} must be an integer in ${lo}..${hi} (${why}).`, { object, parameter: `loihi.${name}`, expected: `integer ${lo}..${hi}` });
    }
  };
  const weightExp = settings.weightExp ?? 0;
  const numWeightBits = settings.numWeightBits ?? loihi.WEIGHT_BITS;
  integerIn('weightExp', weightExp, loihi.WEIGHT_EXP_RANGE, "Lava's weight_exp, a shift of the 32-bit summed input");
  integerIn('numWeightBits', numWeightBits, [1, loihi.WEIGHT_BITS], "Lava's num_weight_bits");
  const mode = proj.receptor as loihi.SignMode;
  if (!loihi.SIGN_MODES.includes(mode)) throw new UnknownNameError(`receptor of ${post.model.name}`, proj.receptor, loihi.SIGN_MODES, { object, parameter: 'receptor' });
  const n = proj.targets.length;
  const w = proj.weight;
  for (let k = 0; k < (typeof w === 'number' ? Math.min(1, n) : w.length); k++) {
    const x = valueAt(w, k);
    if (loihi.isEffectiveWeight(x, mode, numWeightBits)) continue;
    const lava = Number.isSafeInteger(x) ? `; Lava would use ${loihi.effectiveWeight(x, mode, numWeightBits)}` : '';
    const [lo, hi] = loihi.weightClipRange(mode);
    const step = 2 ** loihi.droppedLsbs(mode, numWeightBits);
    throw new ValidationError(
      `${object}: weight ${x}${typeof w === 'number' ? '' : ` (synapse ${k})`} is not a Loihi weight for sign mode ${mode} with ${numWeightBits} weight bits${lava}.`,
      {
        object,
        parameter: 'weight',
        expected: `integers in ${lo}..${hi} that are multiples of ${step}`,
        fix: 'apply the weight pipeline first (effectiveWeight in src/loihi/arithmetic.ts), or use receptor excitatory/inhibitory for one-signed weights',
      },
    );
  }
  const d = proj.delay;
  for (let k = 0; k < (typeof d === 'number' ? Math.min(1, n) : d.length); k++) {
    const x = valueAt(d, k);
    const steps = Math.round(x / dt);
    if (Number.isFinite(x) && Math.abs(x / dt - steps) <= 1e-9 * Math.max(1, steps) && steps >= 1 && steps <= loihi.MAX_DELAY + 1) continue;
    throw new ValidationError(
      `${object}: delay ${x} ms${typeof d === 'number' ? '' : ` (synapse ${k})`} is not (1 + d)·dt for a Loihi delay d in 0..${loihi.MAX_DELAY} (dt = ${dt} ms): Lava adds one step of synaptic latency to DelaySparse delays of 0..${loihi.MAX_DELAY} steps.`,
      {
        object,
        parameter: 'delay',
        expected: `whole multiples of dt from ${dt} ms to ${(loihi.MAX_DELAY + 1) * dt} ms`,
        fix: `use delay = dt for Dense/Sparse and (1 + d)·dt for DelaySparse delay d`,
      },
    );
  }
  // Duplicate (pre, post) pairs: rows are usually sorted; sort a copy when not.
  const { rowPtr, targets } = proj;
  for (let i = 0; i + 1 < rowPtr.length; i++) {
    const row = targets.subarray(rowPtr[i]!, rowPtr[i + 1]!);
    let sorted = row;
    for (let k = 1; k < row.length; k++) {
      if (row[k]! <= row[k - 1]!) {
        sorted = Uint32Array.from(row).sort();
        break;
      }
    }
    for (let k = 1; k < sorted.length; k++) {
      if (sorted[k] === sorted[k - 1]) {
        throw new ValidationError(`${object}: neuron ${i} connects to neuron ${sorted[k]} of "${post.label}" more than once; Lava's Sparse sums such entries before clipping.`, {
          object,
          parameter: 'targets',
          fix: 'merge them into one synapse whose weight is a Loihi weight',
        });
      }
    }
  }
}

function firstBelow(a: Float64Array, limit: number): number {
  for (let i = 0; i < a.length; i++) if (a[i]! < limit) return a[i]!;
  return NaN;
}

/** Resolves a target set to sorted, distinct indices (all neurons when none named). */
export function resolveTargets(t: TargetSet, pop: ResolvedPopulation, object: string): Uint32Array {
  const out = new Set<number>();
  if (!t.indices && !t.names) for (let i = 0; i < pop.size; i++) out.add(i);
  for (const i of t.indices ?? []) {
    if (!Number.isInteger(i) || i < 0 || i >= pop.size) {
      throw new ValidationError(`${object}: neuron index ${i} is outside population "${pop.label}" (0..${pop.size - 1}).`, {
        object,
        parameter: 'indices',
        expected: `0..${pop.size - 1}`,
      });
    }
    out.add(i);
  }
  if (t.names) {
    const names = pop.ir.neuronNames;
    if (!names) throw new ValidationError(`${object}: population "${pop.label}" has no neuron names; select neurons by index.`, { object, parameter: 'names' });
    for (const n of t.names) {
      const i = names.indexOf(n);
      if (i < 0) throw new UnknownNameError(`neuron of population "${pop.label}"`, n, names, { object, parameter: 'names' });
      out.add(i);
    }
  }
  return Uint32Array.from([...out].sort((a, b) => a - b));
}

function lookup(net: Map<string, ResolvedPopulation>, label: string, object: string, parameter: string): ResolvedPopulation {
  const p = net.get(label);
  if (!p) throw new UnknownNameError('population', label, [...net.keys()], { object, parameter });
  return p;
}

/** Validates a whole network; throws the first error found. */
export function validateNetwork(ir: NetworkIR): ResolvedNetwork {
  if (ir.irVersion !== IR_VERSION) {
    throw new ValidationError(`network "${ir.name}": IR version ${ir.irVersion} is not supported (this nematode reads ${IR_VERSION}).`, {
      object: `network "${ir.name}"`,
      parameter: 'irVersion',
      expected: String(IR_VERSION),
    });
  }
  const run = ir.run;
  const runObj = 'run settings';
  for (const [k, v, positive] of [['duration', run.duration, false], ['dt', run.dt, true]] as const) {
    if (!Number.isFinite(v) || v < 0 || (positive && v <= 0)) {
      throw new ValidationError(`${runObj}: ${k} = ${v} ms must be a finite ${positive ? 'positive' : 'non-negative'} time.`, { object: runObj, parameter: k });
    }
  }
  if (!ENGINES.includes(run.engine)) throw new UnknownNameError('engine', run.engine, ENGINES, { object: runObj, parameter: 'engine' });
  if (!Number.isInteger(run.seed) || run.seed < 0 || run.seed > 0xffffffff) {
    throw new ValidationError(`${runObj}: seed = ${run.seed} must be an integer in 0..4294967295.`, { object: runObj, parameter: 'seed' });
  }
  if (!Number.isInteger(run.threads) || run.threads < 0) {
    throw new ValidationError(`${runObj}: threads = ${run.threads} must be a whole number (0 = one per core).`, { object: runObj, parameter: 'threads' });
  }
  checkSolver(run, runObj);
  if (run.backend !== undefined && !GPU_BACKENDS.includes(run.backend)) {
    throw new UnknownNameError('gpu backend', run.backend, GPU_BACKENDS, { object: runObj, parameter: 'backend' });
  }
  const byLabel = new Map<string, ResolvedPopulation>();
  const populations = ir.populations.map((p) => {
    if (byLabel.has(p.label)) throw new ValidationError(`population "${p.label}" is defined twice.`, { object: `population "${p.label}"`, parameter: 'label' });
    const r = resolvePopulation(p);
    byLabel.set(p.label, r);
    return r;
  });
  const projLabels = new Set<string>();
  for (const proj of ir.projections) {
    const object = `projection "${proj.label}"`;
    if (projLabels.has(proj.label)) throw new ValidationError(`${object} is defined twice.`, { object, parameter: 'label' });
    projLabels.add(proj.label);
    checkProjection(proj, lookup(byLabel, proj.pre, object, 'pre'), lookup(byLabel, proj.post, object, 'post'), run.dt);
  }
  for (const s of ir.stimuli) {
    const object = `stimulus "${s.label}"`;
    const pop = lookup(byLabel, s.population, object, 'population');
    if (pop.model.kind !== 'neuron') throw new ValidationError(`${object}: "${pop.label}" is a spike source and takes no stimulus.`, { object, parameter: 'population' });
    resolveTargets(s, pop, object);
    if (pop.model.connection === 'loihi') {
      throw new UnsupportedError(
        `${object}: ${pop.model.name} population "${pop.label}" takes input only through projections, as Lava's LIF takes it only through connection processes.`,
        {
          object,
          parameter: 'kind',
          fix: 'for spikes, use a spike_source_array (raster column c = spike time (c + 1)·dt) or spike_source_poisson population and a projection with delay dt; for a constant input, set bias_mant and bias_exp',
        },
      );
    }
    if (pop.model.spinnaker && (s.kind === 'poisson' || s.kind === 'spike_times')) {
      throw new UnsupportedError(
        `${object}: ${pop.model.name} population "${pop.label}" takes spikes only through projections, whose weights are quantised into its 16-bit ring buffers (as on SpiNNaker).`,
        {
          object,
          parameter: 'kind',
          fix: 'use a spike_source_poisson or spike_source_array population and a projection (PyNN SpikeSourcePoisson / SpikeSourceArray); dc and step currents are allowed',
        },
      );
    }
    checkStimulus(s, pop.model, object);
  }
  for (const r of ir.recordings) {
    const object = `recording of "${r.population}"`;
    const pop = lookup(byLabel, r.population, object, 'population');
    if (r.kind === 'state') {
      resolveTargets(r, pop, object);
      for (const v of r.variables) {
        if (!(v in pop.model.state)) throw new UnknownNameError(`state variable of ${pop.model.name}`, v, Object.keys(pop.model.state), { object, parameter: 'variables' });
      }
      if (!(r.interval >= run.dt * (1 - 1e-9)) || !Number.isFinite(r.interval)) {
        throw new ValidationError(`${object}: interval = ${r.interval} ms must be ≥ dt (${run.dt} ms).`, { object, parameter: 'interval' });
      }
    } else if (r.kind === 'spikes') {
      resolveTargets(r, pop, object);
    } else if (!(r.bin > 0) || !Number.isFinite(r.bin)) {
      throw new ValidationError(`${object}: rate bin = ${r.bin} ms must be positive.`, { object, parameter: 'bin' });
    }
  }
  return { ir, populations, byLabel };
}

const SOLVER_SETTINGS = ['auto', 'euler', 'rk4', 'rk45'];

function checkSolver(run: NetworkIR['run'], object: string): void {
  const solver = run.solver ?? 'auto';
  if (!SOLVER_SETTINGS.includes(solver)) throw new UnknownNameError('solver', solver, SOLVER_SETTINGS, { object, parameter: 'solver' });
  for (const [k, v, min] of [['atol', run.atol, 0], ['rtol', run.rtol, 0]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v <= min)) {
      throw new ValidationError(`${object}: ${k} = ${v} must be a finite number > 0.`, { object, parameter: k, expected: '> 0' });
    }
  }
}

function checkStimulus(s: NetworkIR['stimuli'][number], model: NeuronModel, object: string): void {
  const finite = (name: string, v: number, min = -Infinity) => {
    if (!Number.isFinite(v) || v < min) throw new ValidationError(`${object}: ${name} = ${v} must be finite${min > -Infinity ? ` and ≥ ${min}` : ''}.`, { object, parameter: name });
  };
  switch (s.kind) {
    case 'dc':
      finite('amplitude', s.amplitude);
      finite('start', s.start, 0);
      finite('stop', s.stop, s.start);
      break;
    case 'step':
      if (s.times.length !== s.amplitudes.length) {
        throw new ValidationError(`${object}: ${s.times.length} times but ${s.amplitudes.length} amplitudes.`, { object, parameter: 'amplitudes' });
      }
      s.times.forEach((t, i) => finite('times', t, i > 0 ? s.times[i - 1]! : 0));
      s.amplitudes.forEach((a) => finite('amplitudes', a));
      break;
    case 'poisson':
    case 'spike_times': {
      const receptor = model.receptors[s.receptor];
      if (!receptor) throw new UnknownNameError(`receptor of ${model.name}`, s.receptor, Object.keys(model.receptors), { object, parameter: 'receptor' });
      finite('weight', s.weight);
      const ok = receptor.sign === 'nonnegative' ? s.weight >= 0 : receptor.sign === 'nonpositive' ? s.weight <= 0 : true;
      if (!ok) {
        throw new ValidationError(`${object}: weight ${s.weight} has the wrong sign for the ${s.receptor} receptor of ${model.name} (${receptor.sign}).`, {
          object,
          parameter: 'weight',
          expected: receptor.sign === 'nonnegative' ? '≥ 0' : '≤ 0',
        });
      }
      if (s.kind === 'poisson') {
        finite('rate', s.rate, 0);
        finite('start', s.start, 0);
        finite('stop', s.stop, s.start);
      } else s.times.forEach((t, i) => finite('times', t, i > 0 ? s.times[i - 1]! : 0));
      break;
    }
  }
}

/** Refuses a network an engine cannot run, naming the engines that can. */
export function requireEngineSupport(net: ResolvedNetwork, engine: string): void {
  if (engine !== 'clock') {
    for (const proj of net.ir.projections) {
      const t = proj.transmission ?? 'spike';
      if (t !== 'spike' && engine !== 'gpu') {
        throw new UnsupportedError(`engine "${engine}" cannot run ${t === 'gap' ? 'gap junctions' : 'graded synapses'} (projection "${proj.label}"); use engine "clock" or "gpu".`, {
          object: `projection "${proj.label}"`,
          parameter: 'engine',
          expected: 'clock, gpu',
          fix: '--engine clock',
        });
      }
    }
    if ((net.ir.run.solver ?? 'auto') !== 'auto') {
      throw new UnsupportedError(`engine "${engine}" has no solver "${net.ir.run.solver}"; the ODE solvers run in engine "clock".`, { object: 'run settings', parameter: 'solver', fix: '--engine clock' });
    }
  }
  for (const p of net.populations) {
    if (!p.model.engines.includes(engine)) {
      throw new UnsupportedError(
        `engine "${engine}" cannot run population "${p.label}" (model ${p.model.name}); use engine ${p.model.engines.map((e) => `"${e}"`).join(' or ')}.`,
        { object: `population "${p.label}"`, parameter: 'engine', expected: p.model.engines.join(', '), fix: `--engine ${p.model.engines[0]}` },
      );
    }
  }
}
