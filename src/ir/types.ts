/**
 * The network description (IR): one plain, versioned, serialisable object that the
 * builder API, config files, engines, kernels, targets and the CLI all consume.
 *
 * Every number is in the internal unit system (ms, mV, nA, nF, µS, Hz). Large
 * per-neuron and per-synapse data are typed arrays; msgpackr round-trips them
 * unchanged. A scalar stands for "the same value for every neuron / synapse".
 */

export const IR_VERSION = 1 as const;

/** A per-neuron (or per-synapse) value: one number for all, or one per element. */
export type PerElement = number | Float64Array;

export interface PopulationIR {
  /** Unique label, used in messages, results and references. */
  label: string;
  /** Model id from the catalogue (e.g. `iaf_psc_exp`; aliases such as `IF_curr_exp` are resolved when built). */
  model: string;
  size: number;
  /** Parameters by name, internal units. Missing ones take the model's defaults. */
  params: Record<string, PerElement>;
  /** Initial state by name, internal units. Missing ones take the model's initial values. */
  initial: Record<string, PerElement>;
  /** Integration method, one of the model's `methods`; the model's default when omitted. */
  method?: string;
  /** Optional xyz positions (3 per neuron), used by distance-dependent connectors. */
  positions?: Float64Array;
  /** Optional neuron names (e.g. C. elegans "AVAL"), for stimuli and recordings by name. */
  neuronNames?: string[];
  /** Only for `spike_source_array`: each neuron's spike times (ms), ascending. */
  spikeTimes?: Float64Array[];
}

/**
 * How a projection transmits:
 * - `spike` (default): a presynaptic spike adds the weight to the receptor's variable
 *   after the delay;
 * - `graded`: every step, the post receptor's conductance is set to Σ_j w_ij·f(x_j),
 *   x_j a continuous presynaptic state variable (e.g. a synaptic activation) and f the
 *   identity or a per-synapse sigmoid (no delay: the value at the start of the step);
 * - `gap`: electrical synapses, I_i = Σ_j g_ij (V_j − V_i), symmetric, each pair
 *   stored once (weight = the pair's total conductance, µS).
 */
export type Transmission = 'spike' | 'graded' | 'gap';

/** What a graded projection reads from its presynaptic neurons. */
export interface GradedSpec {
  /** Presynaptic state variable (one of the pre model's `gradedOutputs`). */
  variable: string;
  /** f(x) = 1 / (1 + exp(−slope·(x − mu))) per synapse (LTC / Wicks-style synapses); identity when omitted. */
  transfer?: { kind: 'sigmoid'; mu: PerElement; slope: PerElement };
}

/** Connectivity as CSR by presynaptic neuron. */
export interface ProjectionIR {
  label: string;
  pre: string;
  post: string;
  /** `spike` when omitted. */
  transmission?: Transmission;
  /** Required for graded projections. */
  graded?: GradedSpec;
  /** Receptor on the postsynaptic model, e.g. `excitatory` or `inhibitory` (`gap` for gap junctions). */
  receptor: string;
  /** rowPtr[i]..rowPtr[i+1] index the synapses of presynaptic neuron i; length pre.size + 1. */
  rowPtr: Uint32Array;
  /** Postsynaptic neuron index of each synapse. */
  targets: Uint32Array;
  /** Weight per synapse (nA for current synapses, µS for conductance synapses, mV for delta synapses). */
  weight: PerElement;
  /** Delay per synapse, ms. Engines round it to whole steps (nearest, ≥ 1 step). Graded and gap projections have none (0). */
  delay: PerElement;
  /** How the synapses were made, kept for provenance and exporters. */
  connector?: ConnectorSpec;
  /** Only for projections into models with Loihi connection semantics (`loihi_lif`). */
  loihi?: LoihiProjectionIR;
}

/**
 * Lava's fixed-point connection settings of one projection into `loihi_lif`
 * (docs/targets/loihi.md). The receptor is Lava's sign mode (`excitatory`,
 * `inhibitory`, `mixed`), the weights are Lava's effective integer weights (already on
 * the grid of the sign mode and numWeightBits), and the delay is (1 + d)·dt for a
 * DelaySparse delay d (dt for Dense/Sparse).
 */
export interface LoihiProjectionIR {
  /**
   * Lava's weight_exp (default 0): each step, the sum of this projection's weights
   * arriving at a neuron (per delay value) is shifted left by it, or right (flooring)
   * when negative, before it joins the neuron's a_in. Integer in −31..31.
   */
  weightExp?: number;
  /** Lava's num_weight_bits (default 8): the weights keep only this many significant bits. Integer in 1..8. */
  numWeightBits?: number;
}

export type ConnectorSpec =
  | { rule: 'all_to_all'; allowSelfConnections?: boolean }
  | { rule: 'one_to_one' }
  | { rule: 'fixed_probability'; p: number; allowSelfConnections?: boolean }
  | { rule: 'fixed_indegree'; n: number; allowSelfConnections?: boolean; withReplacement?: boolean }
  | { rule: 'fixed_outdegree'; n: number; allowSelfConnections?: boolean; withReplacement?: boolean }
  | { rule: 'from_list'; connections: Array<[number, number] | [number, number, number] | [number, number, number, number]> }
  | {
      rule: 'distance_probability';
      /** p(d) = pMax · exp(−d / lambda) for d ≤ maxDistance (Euclidean, same units as positions). */
      pMax: number;
      lambda: number;
      maxDistance?: number;
      allowSelfConnections?: boolean;
    };

/** Which neurons of a population a stimulus or recording applies to. */
export interface TargetSet {
  population: string;
  /** Neuron indices; omitted with `names` omitted means every neuron. */
  indices?: number[];
  /** Neuron names, resolved through the population's `neuronNames`. */
  names?: string[];
}

export type StimulusIR =
  | (TargetSet & { kind: 'dc'; label: string; amplitude: number; start: number; stop: number })
  | (TargetSet & { kind: 'step'; label: string; times: number[]; amplitudes: number[] })
  | (TargetSet & {
      kind: 'poisson';
      label: string;
      /** Rate of the independent train each target receives (Hz). */
      rate: number;
      start: number;
      stop: number;
      weight: number;
      receptor: string;
    })
  | (TargetSet & { kind: 'spike_times'; label: string; times: number[]; weight: number; receptor: string });

export type RecordingIR =
  | (TargetSet & { kind: 'spikes' })
  | (TargetSet & { kind: 'state'; variables: string[]; interval: number })
  | { kind: 'rate'; population: string; bin: number };

export type EngineName = 'clock' | 'event' | 'gpu';

/** Kernel backend of the gpu engine: `auto` picks the fastest available (measured figures in docs/benchmarks.md). */
export type GpuBackendName = 'auto' | 'webgpu' | 'webasm' | 'cpu';

/**
 * How continuous state is integrated. `auto`: each population's own method on the
 * dt grid (exact propagators, exponential Euler, LTC's fused step). `euler`, `rk4`,
 * `rk45`: one whole-network ODE solver over the models' declared right-hand sides
 * (continuous, non-spiking models only); rk45 adapts its step to `atol`/`rtol`.
 */
export type SolverSetting = 'auto' | 'euler' | 'rk4' | 'rk45';

export interface RunSettings {
  duration: number;
  dt: number;
  engine: EngineName;
  seed: number;
  /** Worker threads; 0 means one per core. */
  threads: number;
  /** `auto` when omitted. */
  solver?: SolverSetting;
  /** Tolerances of rk45 (defaults 1e-6 each). */
  atol?: number;
  rtol?: number;
  /** gpu engine only: kernel backend (`auto` when omitted). */
  backend?: GpuBackendName;
}

export interface NetworkIR {
  irVersion: typeof IR_VERSION;
  name: string;
  populations: PopulationIR[];
  projections: ProjectionIR[];
  stimuli: StimulusIR[];
  recordings: RecordingIR[];
  run: RunSettings;
  /**
   * How the network was made, kept for results and exporters (e.g. the worm builder's
   * dataset, selection, ablations, sign rule and per-edge sign table). Plain data.
   */
  provenance?: Record<string, unknown>;
}

export const DEFAULT_RUN: RunSettings = { duration: 1000, dt: 0.1, engine: 'clock', seed: 1, threads: 0 };
