/**
 * `nematode connectome list | info <dataset> | export <dataset> | fetch`: the
 * C. elegans wiring data. The data layer is imported only when a subcommand runs.
 */
import type { Argv, CommandModule } from 'yargs';
import type { DatasetId } from '../connectome/index.js';

const DATA_DIR = {
  type: 'string',
  describe: 'data directory holding celegans/ (default: $NEMATODE_DATA, ../shared/connectomes beside the checkout, then the user cache)',
} as const;

function lines(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

async function list(dataDir: string | undefined): Promise<void> {
  const { DATASETS, DataUnavailableError, resolveDataDir } = await import('../connectome/index.js');
  const { DATASET_SOURCES } = await import('../connectome/loaders.js');
  const { hasFile } = await import('../connectome/datadir.js');
  let where: { dir: string; source: string } | undefined;
  try {
    where = resolveDataDir({ dataDir });
    lines(`data directory: ${where.dir} (${where.source})`);
  } catch (e) {
    if (!(e instanceof DataUnavailableError)) throw e;
    lines(`data directory: none\n  ${e.message}`);
  }
  const w = Math.max(...DATASETS.map((d) => d.id.length));
  for (const d of DATASETS) {
    const used = where ? DATASET_SOURCES[d.id].map((alts) => alts.find((p) => hasFile(where.dir, p))) : [];
    const present = where !== undefined && used.every((p) => p !== undefined);
    lines(`${d.id.padEnd(w)}  ${present ? 'present' : 'absent '}  ${d.title}`);
    if (present) lines(`${' '.repeat(w)}  from     ${used.join(', ')}`);
  }
}

async function info(dataset: string, dataDir: string | undefined): Promise<void> {
  const { connectomeStats, formatStats, loadConnectome, loadNeuronTable } = await import('../connectome/index.js');
  const c = loadConnectome(dataset as DatasetId, { dataDir });
  const stats = connectomeStats(c, loadNeuronTable({ dataDir }));
  lines(formatStats(stats, c.notes) + `\ncitation: ${c.citation}`);
}

async function exportCmd(a: { dataset: string; format?: string; out?: string; dataDir?: string }): Promise<void> {
  const { exportConnectome, loadConnectome, loadNeuronTable } = await import('../connectome/index.js');
  const { writeFileAtomic } = await import('../util/atomic.js');
  const format = (a.format ?? (a.out && /\.graphml$/i.test(a.out) ? 'graphml' : 'csv')) as 'csv' | 'graphml';
  const c = loadConnectome(a.dataset as DatasetId, { dataDir: a.dataDir });
  const text = exportConnectome(c, format, format === 'graphml' ? loadNeuronTable({ dataDir: a.dataDir }) : undefined);
  if (!a.out) return void process.stdout.write(text);
  writeFileAtomic(a.out, text);
  process.stderr.write(`wrote ${a.out} (${format}, ${c.dataset})\n`);
}

export const connectomeCommand: CommandModule = {
  command: 'connectome',
  describe: 'C. elegans connectome data: list datasets, print counts, export, fetch the originals.',
  builder: (y: Argv) =>
    y
      .command(
        'list',
        'List the datasets, whether their files are present, and where they are read from.',
        (s) => s.option('data-dir', DATA_DIR),
        async (a) => list(a['data-dir'] as string | undefined),
      )
      .command(
        'info <dataset>',
        'Neurons by category, chemical edges and synapses, gap-junction pairs and junctions, NMJs.',
        (s) =>
          s
            .positional('dataset', { type: 'string', demandOption: true, describe: 'varshney2011, openworm, cook2019 or white1986' })
            .option('data-dir', DATA_DIR)
            .example('$0 connectome info varshney2011', 'counts of the Varshney et al. 2011 wiring'),
        async (a) => info(a.dataset as string, a['data-dir'] as string | undefined),
      )
      .command(
        'export <dataset>',
        'Write the reduced graph as an edge-list CSV or GraphML (stdout without --out).',
        (s) =>
          s
            .positional('dataset', { type: 'string', demandOption: true })
            .option('format', { choices: ['csv', 'graphml'], describe: 'default: graphml when --out ends in .graphml, else csv' })
            .option('out', { type: 'string', describe: 'output file (written atomically)' })
            .option('data-dir', DATA_DIR)
            .example('$0 connectome export cook2019 --format graphml --out cook.graphml', 'GraphML for Gephi, Cytoscape, networkx'),
        async (a) => exportCmd({ dataset: a.dataset as string, format: a.format as string | undefined, out: a.out as string | undefined, dataDir: a['data-dir'] as string | undefined }),
      )
      .command(
        'fetch',
        'Download the original files from their canonical URLs into the user cache (or --data-dir), verifying each SHA-256.',
        (s) =>
          s
            .option('data-dir', { type: 'string', describe: 'target directory (default: $NEMATODE_DATA, else the user cache)' })
            .option('base-url', { type: 'string', describe: 'download <base-url>/<file> instead of the canonical URLs (default: $NEMATODE_DATA_BASE_URL)' }),
        async (a) => {
          const { fetchConnectomeData } = await import('../connectome/index.js');
          await fetchConnectomeData({ dataDir: a['data-dir'] as string | undefined, baseUrl: a['base-url'] as string | undefined });
        },
      )
      .demandCommand(1, 'Name a connectome command: list, info, export or fetch.'),
  handler: () => {},
};
