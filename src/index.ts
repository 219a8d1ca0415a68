/** The public API of nematode. */
export { Network } from './api/network.js';
export type { PopulationHandle, PopulationOptions, RunOptions, StimulusSpec, SynapseSpec } from './api/network.js';
export type { Distribution, Quantity, ValueSpec } from './api/values.js';
export { loadConfig, networkFromConfig } from './config/load.js';
export * from './errors.js';
export { decodeIR, encodeIR } from './ir/serialize.js';
export * from './ir/types.js';
export { validateNetwork } from './ir/validate.js';
export { getModel, listModels } from './models/index.js';
export type { Model, NeuronModel, SourceModel } from './models/index.js';
export { exportCsv, readResults, readResultsSync, spikeTrainsOf, summarize, traceOf } from './results/index.js';
export type { ResultsFile, ResultsMetadata } from './results/index.js';
export { runSummary, runToFile } from './run.js';
export { getEngine, simulate } from './simulate.js';
export type { SimulationOutput } from './engines/types.js';
export { parseQuantity, toInternal } from './units.js';
export * from './connectome/index.js';
export { createStepper, SOLVERS } from './solvers/index.js';
export type { Rhs, SolverName, SolverOptions, Stepper } from './solvers/index.js';
export { addWorm, selectNeurons, type WormSpec, type WormBuild } from './worm/build.js';
export { assignSigns, readSignTable, type EdgeSign, type SignRule, type SignTable } from './worm/signs.js';
export { classResponses, responseSummary, type ClassResponse } from './worm/experiment.js';
export * as loihi from './loihi/arithmetic.js';
export {
  quantize,
  quantizeForLoihi,
  formatQuantizationReport,
  loihiCoreMapping,
  LoihiQuantizationError,
  LOIHI2_LIMITS,
  type LoihiQuantizeOptions,
  type LoihiQuantizationReport,
  type LoihiPopulationReport,
  type LoihiProjectionReport,
  type LoihiCoreMapping,
  type LoihiApproximation,
  type LoihiOffender,
} from '../targets/loihi/quantize.js';
export { sweep, planSweep, readSweep, mergeSweeps, type SweepSpec, type PointResult, type StoredPoint, type MergeResult } from './sweep/api.js';
export * from './plot/index.js';
export { spikeStats, isiPerNeuron, cvPerNeuron, populationRate, type SpikeStats } from './analysis/spikes.js';
export { fiCurve, lifRate } from './analysis/fi.js';
export { runReportHtml, writeRunReport } from './report/run-report.js';
export { sweepReportHtml } from './report/sweep-report.js';
export { inputsAsSpikeArrays } from '../targets/pynn/inputs.js';
