/**
 * The C. elegans connectome data layer: published wiring tables read from the
 * data directory (never from the repository), reduced to one weighted graph
 * per dataset. See docs/connectome.md.
 */
export type { ChemicalEdge, Connectome, DatasetId, GapJunctionPair, NeuronCategory, NeuronInfo, NmjEdge, OtherTargetEdge } from './types.js';
export { BODY_WALL_MUSCLES, neuronClass, normaliseMuscleName, normaliseNeuronName } from './names.js';
export { DATASETS, DATASET_IDS, loadConnectome, loadNeuronTable } from './loaders.js';
export { cacheDir, resolveDataDir, type DataDirSource } from './datadir.js';
export { ChecksumMismatchError, DataUnavailableError } from './errors.js';
export { connectomeStats, formatStats, UNSPECIFIED_MUSCLE, type ConnectomeStats } from './stats.js';
export { connectomeToCsv, connectomeToGraphml, exportConnectome, EXPORT_FORMATS, type ExportFormat } from './export.js';
export { fetchConnectomeData, fetchTargetDir, type FetchOptions, type FetchResult } from './fetch.js';
export { loadManifest, type Manifest, type ManifestFile } from './manifest.js';
