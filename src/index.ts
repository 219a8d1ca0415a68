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
