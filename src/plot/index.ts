/** SVG plots, generated as strings without a browser (see docs/plots-and-reports.md). */
export { adjacencyByClass, adjacencyByClassSvg, adjacencySvg, CATEGORY_ORDER, type ClassAdjacency } from './adjacency.js';
export { fiSvg, type FiCurveSeries, type FiPoint } from './fi.js';
export { heatmapSvg, type HeatmapInput } from './heatmap.js';
export { histogram, histogramSvg, type HistogramOptions, type HistogramSeries } from './histogram.js';
export { cvHistogramSvg, cvSamples, isiHistogramSvg, isiSamples } from './isi.js';
export { DEFAULT_MAX_DOTS, rasterSvg, type RasterOptions, type RateLike, type SpikeTrainLike } from './raster.js';
export { rateSvg, ratesFromSpikes } from './rate.js';
export { classSeries, decimate, neuronTracesSvg, tracesSvg, type ClassSeries, type NeuronTracesOptions, type TraceLike } from './traces.js';
export { axes, colour, colourBar, esc, fmt, legend, linearScale, logTicks, niceTicks, PALETTE, svgDocument, tickLabel, viridis } from './svg.js';
