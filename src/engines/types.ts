/** What every engine returns: plain arrays, before they are written as a results file. */
import type { NetworkIR } from '../ir/types.js';

export interface SpikeTrains {
  population: string;
  /** Spike k was fired by neuron indices[k] at times[k] (ms), sorted by time then index. */
  indices: Uint32Array;
  times: Float64Array;
  /** Which neurons were recorded (all when the recording named none). */
  recorded: Uint32Array;
}

export interface StateTrace {
  population: string;
  variable: string;
  /** Internal unit of the variable, e.g. "mV". */
  units: string;
  indices: Uint32Array;
  tStart: number;
  samplingPeriod: number;
  /** Row-major samples: data[s * indices.length + k] is neuron indices[k] at tStart + s·samplingPeriod. */
  data: Float64Array;
}

export interface PopulationRate {
  population: string;
  bin: number;
  /** Mean rate of the population (Hz) in each bin [b·bin, (b+1)·bin). */
  rate: Float64Array;
}

export interface DelayRounding {
  projection: string;
  /** Synapses whose delay was not a whole number of steps. */
  rounded: number;
  /** Largest |rounded − requested| (ms). */
  maxError: number;
  minSteps: number;
  maxSteps: number;
}

export interface RunStats {
  engine: string;
  threads: number;
  steps: number;
  spikes: number;
  /** (spike, outgoing synapse) pairs delivered, stimuli included. */
  synapticEvents: number;
  buildMs: number;
  simMs: number;
  /** Per-population spike counts (all neurons, recorded or not). */
  spikeCounts: Record<string, number>;
  /** gpu engine: the kernel backend that ran, and why it was chosen. */
  backend?: string;
  backendReason?: string;
}

export interface SimulationOutput {
  spikes: SpikeTrains[];
  traces: StateTrace[];
  rates: PopulationRate[];
  delayRounding: DelayRounding[];
  stats: RunStats;
}

export interface EngineOptions {
  /** Called now and then with the fraction of biological time done. */
  onProgress?: (fraction: number) => void;
  /** Clock engine: gathers of graded synapses and gap junctions in WebAssembly (default) or, when false, in JavaScript (identical bits; for tests and comparisons). */
  wasmGather?: boolean;
  /** Clock engine: neuron kernels in WebAssembly SIMD where the model compiles (default) or, when false, all in JavaScript (identical bits). */
  wasmNeurons?: boolean;
}

export interface Engine {
  name: string;
  /** Throws UnsupportedError naming an engine that can run the network, if this one cannot. */
  check(ir: NetworkIR): void;
  run(ir: NetworkIR, options?: EngineOptions): Promise<SimulationOutput>;
}
