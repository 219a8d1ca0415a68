/** Results files: msgpack writer and reader, CSV export, text summary. */
export {
  RESULTS_FORMAT,
  RESULTS_FORMAT_VERSION,
  type AnalogSignalRecord,
  type RateRecord,
  type ResultsBody,
  type ResultsFile,
  type ResultsMetadata,
  type Segment,
  type SpikeTrainRecord,
} from './format.js';
export { encodeResults, writeResults } from './write.js';
export { decodeResults, readResults, readResultsSync, spikeTrainsOf, traceOf } from './read.js';
export { exportCsv } from './csv.js';
export { summarize } from './summary.js';
export {
  decodeSpikesFile,
  encodeSpikesFile,
  spikesFileToResults,
  SPIKES_FORMAT,
  SPIKES_FORMAT_VERSION,
  type SpikesFile,
  type SpikesPopulation,
} from './spikes-json.js';
