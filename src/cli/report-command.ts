/** `nematode report <results> [--out report.html]`: one self-contained HTML report of a run. */
import type { Argv, CommandModule } from 'yargs';

interface ReportArgs {
  results: string;
  out?: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <results>',
  describe: 'Write a self-contained HTML report of a results file (.nmr or nematode-spikes JSON): raster, rates, ISI/CV histograms, traces, statistics per population, config and versions.',
  builder: (y: Argv) =>
    y
      .positional('results', { type: 'string', demandOption: true, describe: 'results file (.nmr, or a nematode-spikes .json)' })
      .option('out', { type: 'string', describe: 'HTML file to write (default: the results path with .html)' })
      .example('$0 report results/brunel-small.nmr', 'writes results/brunel-small.html')
      .example('$0 report out/run.nmr --out out/run-report.html', 'choose the output file') as unknown as Argv<ReportArgs>,
  handler: async (a) => {
    const { writeRunReport, defaultReportPath } = await import('../report/run-report.js');
    const out = await writeRunReport(a.results, a.out ?? defaultReportPath(a.results));
    process.stdout.write(`report: ${out}\n`);
  },
};
