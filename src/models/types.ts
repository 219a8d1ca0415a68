/**
 * The anatomy every model file declares (NEST/GeNN style): parameters with units,
 * defaults, bounds and docs; state variables; receptors; constants derived from the
 * parameters and dt; and the update / threshold / reset rules as small JavaScript
 * statement snippets over local variables. Engines generate their loops from these
 * snippets (one monomorphic kernel per population), so every engine and exporter
 * reads the same declaration.
 *
 * Names visible inside a snippet: every state variable, every parameter, every
 * derived constant, `dt` (ms), `I_stim` (nA, the sum of DC/step stimuli this step),
 * and for gap junctions `G_gap` (µS, the neuron's total gap conductance) and
 * `IG_gap` (nA/… Σ_j g_ij·V_j, µS·mV = nA), so that the gap current is
 * IG_gap − G_gap·V. Models with `gapInput: 'current'` never name them: the engine adds
 * the gap current to I_stim. Graded receptors' variables hold this step's summed
 * conductance when the snippet runs.
 */
import type { Dimension } from '../units.js';

export interface ParamDecl {
  dim: Dimension;
  /** Unit shown in docs when it is not the dimension's internal unit (e.g. "1/ms"). */
  unitLabel?: string;
  default: number;
  /** Lower bound; `minExclusive` makes it strict. */
  min?: number;
  minExclusive?: boolean;
  max?: number;
  maxExclusive?: boolean;
  /** Only whole numbers are allowed (e.g. Loihi's integer registers). */
  integer?: boolean;
  /** Maths symbol or NEST name, for docs. */
  symbol?: string;
  doc: string;
}

export interface StateDecl {
  dim: Dimension;
  /**
   * Initial value: a number, the name of the parameter it starts at, or
   * 'equilibrium' (set by the engine from the network equilibrium, see EquilibriumDecl).
   */
  initial: number | { param: string } | 'equilibrium';
  /** Allowed initial values (checked when the IR sets one); any finite number when omitted. */
  min?: number;
  max?: number;
  integer?: boolean;
  doc: string;
}

export interface ReceptorDecl {
  /** The state variable an arriving weight is added to. */
  variable: string;
  /** Dimension of the weight. */
  weightDim: Dimension;
  /** Allowed sign of the weight (PyNN: inhibitory current weights are negative); `any` for mixed-sign projections. */
  sign: 'nonnegative' | 'nonpositive' | 'any';
  /**
   * `event` (default): arriving spike weights are added to the variable. `graded`:
   * the variable is set every step to the summed input of graded projections.
   */
  mode?: 'event' | 'graded';
  doc: string;
}

/**
 * A network equilibrium the engine computes before (and, when input-dependent, during)
 * a run, e.g. the Kunert et al. 2014 threshold V_th: the solution of the linear system
 * obtained from the voltage equation at dV/dt = 0 with every graded output at its
 * equilibrium value. Leak, receptor reversals and gap junctions enter; the DC/step
 * stimulus current enters when `inputDependent` holds for the neuron.
 */
export interface EquilibriumDecl {
  /** State variable that receives the equilibrium voltage (e.g. `v_th`). */
  target: string;
  /** Leak conductance and reversal parameter names. */
  leak: { g: string; e: string };
  /** Reversal-potential parameter of each graded receptor. */
  reversal: Record<string, string>;
  /** Value each graded output takes at the equilibrium, as presynaptic neuron. */
  outputs: Record<string, (p: Record<string, number>) => number>;
  /** True when the equilibrium follows the stimulus current (recomputed when it changes). */
  inputDependent: (p: Record<string, number>) => boolean;
}

/** Right-hand side for the whole-network ODE solvers (run.solver euler / rk4 / rk45). */
export interface OdeDecl {
  /** Integrated state variables; the snippet assigns `d_<name>` for each (per ms). */
  state: string[];
  rhs: string;
}

export interface Constraint {
  params: string[];
  holds: (p: Record<string, number>) => boolean;
  /** Plain-English invariant, e.g. "v_reset must be below v_thresh". */
  message: string;
}

export interface ModelCode {
  /** Subthreshold update over one step [t, t+dt], JavaScript statements. */
  update: string;
  /** Update while refractory; defaults to no change. */
  updateRefractory?: string;
  /** Boolean expression evaluated after inputs were added. */
  threshold: string;
  /** Statements run on a spike. */
  reset: string;
}

export interface NeuronModel {
  kind: 'neuron';
  name: string;
  aliases: string[];
  summary: string;
  /** Equations and semantics, markdown. */
  description: string;
  references: string[];
  params: Record<string, ParamDecl>;
  state: Record<string, StateDecl>;
  receptors: Record<string, ReceptorDecl>;
  constraints: Constraint[];
  /** Integration methods; the first is the default. */
  methods: string[];
  /** One line per method for docs: what is exact and what is approximated. */
  methodDocs: Record<string, string>;
  /** Constants per neuron from parameters and dt (e.g. exponential propagators). */
  derived: (p: Record<string, number>, dt: number, method: string) => Record<string, number>;
  derivedNames: string[];
  /** Name of the parameter holding the absolute refractory period, if any. */
  refractoryParam?: string;
  /**
   * State variables that decay exponentially towards 0 (synaptic currents and
   * conductances). Engines may set them to exactly 0 once below 1e-200 so they never
   * become subnormal numbers, which x86 processes about 100× slower.
   */
  decaysToZero?: string[];
  code: (method: string) => ModelCode;
  /** Engines able to run the model (the clock engine runs all). */
  engines: string[];
  /** Membrane-potential variable: required for gap junctions. */
  voltage?: string;
  /** How the update takes gap junctions (see above); `current` when omitted. */
  gapInput?: 'current' | 'conductance';
  /** State variables that graded projections may read from this model. */
  gradedOutputs?: string[];
  /** False for non-spiking (graded) models; true when omitted. */
  spiking?: boolean;
  equilibrium?: EquilibriumDecl;
  ode?: OdeDecl;
  /**
   * When the clock engine takes a step's arriving spikes (codegen.ts):
   * - `after-update` (default): update over [t_n, t_{n+1}], then add the arrivals to the
   *   receptor variables, then the threshold (NEST semantics);
   * - `before-update`: each receptor variable is SET to the sum of the step's arrivals,
   *   then the update runs and consumes it (Lava: the LIF reads a_in, then updates u, v).
   */
  inputTiming?: 'after-update' | 'before-update';
  /**
   * Connection semantics other than the default floating-point weights: `loihi` = Lava's
   * fixed-point Dense/Sparse/DelaySparse (src/loihi, docs/targets/loihi.md): receptors are
   * Lava's sign modes, weights are effective integer weights, a projection may set
   * `loihi.weightExp` / `loihi.numWeightBits`, delays are whole steps (1 + d)·dt with
   * d ∈ 0..62, and inputs come only through projections (no stimuli). Checked in
   * src/ir/validate.ts; weightExp is honoured by the clock engine's plan.ts.
   */
  connection?: 'loihi';
  /**
   * sPyNNaker fixed-point ring buffers (spinnaker_IF_curr_exp / spinnaker_IF_cond_exp,
   * src/spinnaker, docs/targets/spinnaker.md): the clock engine quantises each synapse's
   * weight to 16 bits, rint(|w|·globalWeightScale·2^(15 − shift)), with the receptor's
   * ring-buffer shift (the integer parameter named in `shiftParams`, −1 = chosen as
   * sPyNNaker's host does), passes the shift to the kernel as that parameter's value,
   * and the kernel saturates each slot at 0xFFFF. Needs `inputTiming: 'before-update'`.
   */
  spinnaker?: { shiftParams: Record<string, string>; globalWeightScale: number };
}

export interface SourceModel {
  kind: 'source';
  name: string;
  aliases: string[];
  summary: string;
  description: string;
  references: string[];
  params: Record<string, ParamDecl>;
  state: Record<string, StateDecl>;
  constraints: Constraint[];
  engines: string[];
}

export type Model = NeuronModel | SourceModel;
