/**
 * A PyNN-like TypeScript API that builds the IR in a few lines:
 *
 *   const net = new Network({ dt: '0.1 ms', seed: 42 });
 *   const E = net.population('E', 800, 'IF_curr_exp', { tau_m: '20 ms' }, { v: { uniform: ['-65 mV', '-50 mV'] } });
 *   net.connect(E, E, { rule: 'fixed_probability', p: 0.1 }, { receptor: 'excitatory', weight: '0.1 nA', delay: '1.5 ms' });
 *   net.stimulate(E, { kind: 'dc', amplitude: '1 nA' });
 *   net.record(E, 'spikes');
 *   const out = await net.simulate('1 s');
 *
 * Every call validates at once (errors point at the call that made them); the
 * finished network is the plain, serialisable IR returned by `toIR()`.
 */
import { ValidationError } from '../errors.js';
import { buildConnectivity } from '../ir/connectors.js';
import { resolvePopulation } from '../ir/validate.js';
import { DEFAULT_RUN, IR_VERSION, type ConnectorSpec, type EngineName, type GpuBackendName, type LoihiProjectionIR, type NetworkIR, type PerElement, type PopulationIR, type ProjectionIR, type RecordingIR, type StimulusIR, type SolverSetting, type Transmission } from '../ir/types.js';
import { getModel } from '../models/index.js';
import { toInternal } from '../units.js';
import { Rng } from '../util/rng.js';
import { resolveValue, type Quantity, type ValueSpec } from './values.js';
import type { SimulationOutput } from '../engines/types.js';
import { simulate } from '../simulate.js';

export interface PopulationHandle {
  readonly label: string;
  readonly size: number;
  readonly model: string;
}

export interface PopulationOptions {
  method?: string;
  neuronNames?: string[];
  positions?: Float64Array | number[];
  spikeTimes?: Array<number[] | Float64Array>;
}

export interface SynapseSpec {
  /** `spike` (default), `graded` or `gap` (see ProjectionIR). */
  transmission?: Transmission;
  /** Graded synapses: the presynaptic variable and an optional per-synapse sigmoid (mu in mV, slope in 1/mV). */
  graded?: { variable: string; transfer?: { kind: 'sigmoid'; mu: ValueSpec; slope: ValueSpec } };
  receptor?: string;
  weight: ValueSpec;
  delay?: ValueSpec;
  label?: string;
  /** Projections into loihi_lif: Lava's weight_exp and num_weight_bits (see LoihiProjectionIR). */
  loihi?: LoihiProjectionIR;
}

type Select = { indices?: number[]; names?: string[] };
export type StimulusSpec =
  | (Select & { kind: 'dc'; amplitude: Quantity; start?: Quantity; stop?: Quantity; label?: string })
  | (Select & { kind: 'step'; times: Quantity[]; amplitudes: Quantity[]; label?: string })
  | (Select & { kind: 'poisson'; rate: Quantity; weight: Quantity; receptor?: string; start?: Quantity; stop?: Quantity; label?: string })
  | (Select & { kind: 'spike_times'; times: Quantity[]; weight: Quantity; receptor?: string; label?: string });

export interface RunOptions {
  duration?: Quantity;
  dt?: Quantity;
  engine?: EngineName;
  seed?: number;
  threads?: number;
  solver?: SolverSetting;
  atol?: number;
  rtol?: number;
  /** gpu engine: kernel backend. */
  backend?: GpuBackendName;
  name?: string;
}

export class Network {
  private readonly ir: NetworkIR;

  constructor(options: RunOptions = {}) {
    this.ir = {
      irVersion: IR_VERSION,
      name: options.name ?? 'network',
      populations: [],
      projections: [],
      stimuli: [],
      recordings: [],
      run: { ...DEFAULT_RUN },
    };
    this.setRun(options);
  }

  /** Changes run settings (duration, dt, engine, seed, threads). */
  setRun(options: RunOptions): this {
    const r = this.ir.run;
    const object = 'run settings';
    if (options.name !== undefined) this.ir.name = options.name;
    if (options.duration !== undefined) r.duration = toInternal(options.duration, 'time', { object, parameter: 'duration' });
    if (options.dt !== undefined) r.dt = toInternal(options.dt, 'time', { object, parameter: 'dt' });
    if (options.engine !== undefined) r.engine = options.engine;
    if (options.seed !== undefined) r.seed = options.seed;
    if (options.threads !== undefined) r.threads = options.threads;
    if (options.solver !== undefined) r.solver = options.solver;
    if (options.atol !== undefined) r.atol = options.atol;
    if (options.rtol !== undefined) r.rtol = options.rtol;
    if (options.backend !== undefined) r.backend = options.backend;
    return this;
  }

  get seed(): number {
    return this.ir.run.seed;
  }

  population(label: string, size: number, model: string, params: Record<string, ValueSpec> = {}, initial: Record<string, ValueSpec> = {}, options: PopulationOptions = {}): PopulationHandle {
    const object = `population "${label}"`;
    if (this.ir.populations.some((p) => p.label === label)) throw new ValidationError(`${object} already exists.`, { object, parameter: 'label' });
    const m = getModel(model, object);
    const seed = this.ir.run.seed;
    const values = (specs: Record<string, ValueSpec>, decls: Record<string, { dim: import('../units.js').Dimension }>, kind: string) => {
      const out: Record<string, PerElement> = {};
      for (const [name, spec] of Object.entries(specs)) {
        const decl = decls[name];
        // Unknown names are reported by resolvePopulation below, with "did you mean".
        out[name] = decl ? resolveValue(spec, size, decl.dim, { object, parameter: name }, () => Rng.stream(seed, kind, `${label}.${name}`)) : (spec as number);
      }
      return out;
    };
    const pop: PopulationIR = {
      label,
      model: m.name,
      size,
      params: values(params, m.params, 'param'),
      initial: values(initial, m.state, 'initial'),
    };
    if (options.method) pop.method = options.method;
    if (options.neuronNames) pop.neuronNames = options.neuronNames;
    if (options.positions) pop.positions = Float64Array.from(options.positions);
    if (options.spikeTimes) pop.spikeTimes = options.spikeTimes.map((t) => Float64Array.from(t, (x) => toInternal(x, 'time', { object, parameter: 'spikeTimes' })));
    resolvePopulation(pop);
    this.ir.populations.push(pop);
    return { label, size, model: m.name };
  }

  /** Spike sources: `SpikeSourcePoisson` with rate/start/stop, or `SpikeSourceArray` with times per neuron. */
  spikeSource(label: string, size: number, spec: { rate: Quantity; start?: Quantity; stop?: Quantity } | { times: Array<number[] | Float64Array> }): PopulationHandle {
    if ('times' in spec) return this.population(label, size, 'spike_source_array', {}, {}, { spikeTimes: spec.times });
    const params: Record<string, ValueSpec> = { rate: spec.rate };
    if (spec.start !== undefined) params.start = spec.start;
    if (spec.stop !== undefined) params.stop = spec.stop;
    return this.population(label, size, 'spike_source_poisson', params);
  }

  connect(pre: PopulationHandle | string, post: PopulationHandle | string, connector: ConnectorSpec, synapse: SynapseSpec): string {
    const preP = this.find(pre);
    const postP = this.find(post);
    const transmission = synapse.transmission ?? 'spike';
    const receptor = transmission === 'gap' ? 'gap' : (synapse.receptor ?? 'excitatory');
    const label = synapse.label ?? `${preP.label}→${postP.label}${receptor === 'excitatory' ? '' : `:${receptor}`}`;
    const object = `projection "${label}"`;
    if (this.ir.projections.some((p) => p.label === label)) throw new ValidationError(`${object} already exists; give it a distinct label.`, { object, parameter: 'label' });
    const postModel = getModel(postP.model, `population "${postP.label}"`);
    const seed = this.ir.run.seed;
    const built = buildConnectivity(connector, { size: preP.size, positions: preP.positions }, { size: postP.size, positions: postP.positions }, { seed, label }, preP === postP);
    const n = built.targets.length;
    const weightDim = transmission === 'gap' ? 'conductance' : postModel.kind === 'neuron' ? (postModel.receptors[receptor]?.weightDim ?? 'current') : 'current';
    const weight = built.weights ?? resolveValue(synapse.weight, n, weightDim, { object, parameter: 'weight' }, () => Rng.stream(seed, 'weight', label));
    // Graded synapses and gap junctions act without delay.
    const defaultDelay = transmission === 'spike' ? this.ir.run.dt : 0;
    const delay = built.delays ?? resolveValue(synapse.delay ?? defaultDelay, n, 'time', { object, parameter: 'delay' }, () => Rng.stream(seed, 'delay', label));
    const proj: ProjectionIR = { label, pre: preP.label, post: postP.label, receptor, rowPtr: built.rowPtr, targets: built.targets, weight, delay, connector };
    if (transmission !== 'spike') proj.transmission = transmission;
    if (synapse.loihi !== undefined) proj.loihi = { ...synapse.loihi };
    if (synapse.graded) {
      const tf = synapse.graded.transfer;
      proj.graded = { variable: synapse.graded.variable };
      if (tf) {
        proj.graded.transfer = {
          kind: tf.kind,
          mu: resolveValue(tf.mu, n, 'voltage', { object, parameter: 'graded.transfer.mu' }, () => Rng.stream(seed, 'mu', label)),
          slope: resolveValue(tf.slope, n, 'dimensionless', { object, parameter: 'graded.transfer.slope' }, () => Rng.stream(seed, 'slope', label)),
        };
      }
    }
    this.ir.projections.push(proj);
    return label;
  }

  /**
   * Adds a projection already in IR form (CSR, internal units), e.g. one built from a
   * connectome; it is validated with the network.
   */
  addProjection(proj: ProjectionIR): string {
    const object = `projection "${proj.label}"`;
    if (this.ir.projections.some((p) => p.label === proj.label)) throw new ValidationError(`${object} already exists; give it a distinct label.`, { object, parameter: 'label' });
    this.find(proj.pre);
    this.find(proj.post);
    this.ir.projections.push(proj);
    return proj.label;
  }

  stimulate(target: PopulationHandle | string, spec: StimulusSpec): string {
    const pop = this.find(target);
    const label = spec.label ?? `${spec.kind}${this.ir.stimuli.length}→${pop.label}`;
    const where = (parameter: string) => ({ object: `stimulus "${label}"`, parameter });
    const sel = { population: pop.label, ...(spec.indices ? { indices: spec.indices } : {}), ...(spec.names ? { names: spec.names } : {}) };
    const t = (q: Quantity | undefined, fallback: number, p: string) => (q === undefined ? fallback : toInternal(q, 'time', where(p)));
    const model = getModel(pop.model);
    const weightDim = (receptor: string) => (model.kind === 'neuron' ? (model.receptors[receptor]?.weightDim ?? 'current') : 'current');
    let s: StimulusIR;
    switch (spec.kind) {
      case 'dc':
        s = { ...sel, kind: 'dc', label, amplitude: toInternal(spec.amplitude, 'current', where('amplitude')), start: t(spec.start, 0, 'start'), stop: t(spec.stop, Number.MAX_VALUE, 'stop') };
        break;
      case 'step':
        s = { ...sel, kind: 'step', label, times: spec.times.map((x) => toInternal(x, 'time', where('times'))), amplitudes: spec.amplitudes.map((x) => toInternal(x, 'current', where('amplitudes'))) };
        break;
      case 'poisson': {
        const receptor = spec.receptor ?? 'excitatory';
        s = { ...sel, kind: 'poisson', label, rate: toInternal(spec.rate, 'rate', where('rate')), weight: toInternal(spec.weight, weightDim(receptor), where('weight')), receptor, start: t(spec.start, 0, 'start'), stop: t(spec.stop, Number.MAX_VALUE, 'stop') };
        break;
      }
      case 'spike_times': {
        const receptor = spec.receptor ?? 'excitatory';
        s = { ...sel, kind: 'spike_times', label, times: spec.times.map((x) => toInternal(x, 'time', where('times'))), weight: toInternal(spec.weight, weightDim(receptor), where('weight')), receptor };
        break;
      }
      default:
        throw new ValidationError(`stimulus "${label}": unknown kind "${(spec as { kind: string }).kind}"; valid: dc, step, poisson, spike_times.`, where('kind'));
    }
    this.ir.stimuli.push(s);
    return label;
  }

  /** Records 'spikes', 'rate', or a list of state variables. */
  record(target: PopulationHandle | string, what: 'spikes' | 'rate' | string[], options: Select & { interval?: Quantity; bin?: Quantity } = {}): this {
    const pop = this.find(target);
    const object = `recording of "${pop.label}"`;
    const sel = { population: pop.label, ...(options.indices ? { indices: options.indices } : {}), ...(options.names ? { names: options.names } : {}) };
    let r: RecordingIR;
    if (what === 'spikes') r = { ...sel, kind: 'spikes' };
    else if (what === 'rate') r = { kind: 'rate', population: pop.label, bin: options.bin === undefined ? 1 : toInternal(options.bin, 'time', { object, parameter: 'bin' }) };
    else r = { ...sel, kind: 'state', variables: what, interval: options.interval === undefined ? this.ir.run.dt : toInternal(options.interval, 'time', { object, parameter: 'interval' }) };
    this.ir.recordings.push(r);
    return this;
  }

  /** The plain IR (shared, not copied). */
  toIR(): NetworkIR {
    return this.ir;
  }

  /** Runs the network with the chosen engine; `duration` overrides the run settings. */
  async simulate(duration?: Quantity, options: RunOptions & { onProgress?: (f: number) => void } = {}): Promise<SimulationOutput> {
    this.setRun({ ...options, ...(duration !== undefined ? { duration } : {}) });
    return simulate(this.ir, { onProgress: options.onProgress });
  }

  private find(p: PopulationHandle | string): PopulationIR {
    const label = typeof p === 'string' ? p : p.label;
    const pop = this.ir.populations.find((x) => x.label === label);
    if (!pop) {
      throw new ValidationError(`unknown population "${label}"; defined: ${this.ir.populations.map((x) => x.label).join(', ') || '(none)'}.`, { object: `population "${label}"`, expected: this.ir.populations.map((x) => x.label).join(', ') });
    }
    return pop;
  }
}
