#!/usr/bin/env node
/** The `nematode` command line (yargs): run, inspect, bench, models. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { connectomeCommand } from './connectome-command.js';
import { plotCommand } from './plot-command.js';
import { reportCommand } from './report-command.js';
import { sweepCommand } from './sweep-command.js';
import { reportError } from './errors.js';

const ENGINES = ['clock', 'event', 'gpu'];
const BACKENDS = ['auto', 'webgpu', 'webasm', 'cpu'];

async function main(argv: string[]): Promise<number> {
  const started = performance.now();
  let code = 0;
  const cli = yargs(argv)
    .scriptName('nematode')
    .usage('$0 <command> [options]')
    .command(
      'run [config]',
      'Run a network (a JSON or YAML config; with none, the built-in posterior-touch experiment on the C. elegans connectome).',
      (y) =>
        y
          .positional('config', { type: 'string', describe: 'config file (.json, .yaml, .yml)' })
          .option('duration', { type: 'string', describe: 'biological time, e.g. "2 s" or 500 (ms)' })
          .option('dt', { type: 'string', describe: 'time step, e.g. "0.1 ms"' })
          .option('engine', { choices: ENGINES, describe: 'simulation engine' })
          .option('seed', { type: 'number', describe: 'random seed (stored in the results)' })
          .option('threads', { type: 'number', describe: 'worker threads for the clock engine (0 = one per core)' })
          .option('backend', { choices: BACKENDS, describe: 'kernel backend of the gpu engine (auto: the fastest available; it says which and why)' })
          .option('out', { type: 'string', describe: 'results file (msgpack); default results/<name>.nmr' })
          .option('plot', { type: 'boolean', default: true, describe: 'write an SVG raster/rate plot next to the results' })
          .option('progress', { type: 'boolean', describe: 'force the progress bar on (default: when stderr is a terminal)' })
          .option('data-dir', { type: 'string', describe: 'connectome data directory (default: $NEMATODE_DATA, ../shared/connectomes, the user cache)' })
          .example('$0 run', 'posterior touch (PLML/PLMR) on the built-in connectome: responding classes and a plot')
          .example('$0 run docs/examples/anterior-touch.yaml', 'anterior touch (ALML/ALMR/AVM)')
          .example('$0 run docs/examples/brunel.yaml --duration "2 s" --threads 2', 'run a config for 2 s on 2 threads')
          .example('$0 run net.json --engine event --out out/run1.nmr', 'event-driven run, results to out/run1.nmr'),
      async (a) => {
        const { runCommand } = await import('./run-command.js');
        code = await runCommand(a, started);
      },
    )
    .command(
      'inspect <file>',
      'Summarise a results file; --csv exports spikes, traces and rates.',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .option('csv', { type: 'string', describe: 'folder to write CSV files into' })
          .example('$0 inspect results/balanced-ei-1000.nmr', 'print a summary')
          .example('$0 inspect results/run.nmr --csv out/', 'export CSV files'),
      async (a) => {
        const { readResults, summarize, exportCsv } = await import('../results/index.js');
        const r = await readResults(a.file);
        process.stdout.write(summarize(r) + '\n');
        if (a.csv) for (const f of await exportCsv(r, a.csv)) process.stdout.write(`wrote ${f}\n`);
      },
    )
    .command(
      'export <config>',
      'Export a network for a neuromorphic platform: --target loihi writes a Lava netlist, a Lava script and (layered networks) a lava-dl netx file; --target spinnaker a SpiNNaker machine netlist and a PyNN script.',
      (y) =>
        y
          .positional('config', { type: 'string', demandOption: true, describe: 'config file (.json, .yaml, .yml)' })
          .option('target', { type: 'string', demandOption: true, describe: 'export target: loihi (Loihi 2 via Lava) or spinnaker (SpiNNaker-1 machine netlist)' })
          .option('out', { type: 'string', demandOption: true, describe: 'folder to write (replaced only if it is an earlier export)' })
          .option('approximate', { type: 'boolean', default: false, describe: 'map what can only be approximated and list each approximation, instead of refusing' })
          .option('simulate', { type: 'boolean', default: false, describe: 'also run the exported network in nematode and write the spikes the target must produce' })
          .option('steps', { type: 'number', describe: 'steps to export (default: duration / dt)' })
          .option('board', { type: 'string', choices: ['spinn-5', 'spinn-3'], describe: 'spinnaker: the board (default spinn-5, 48 chips; spinn-3, 4 chips)' })
          .option('neurons-per-core', { type: 'string', describe: 'spinnaker: neurons per core, e.g. 128, or E=64,I=32 (default 256 for neuron models)' })
          .option('delay-bits', { type: 'number', describe: 'spinnaker: cap on the synaptic word\'s delay bits (4: sPyNNaker ≤ 6, 16-tick on-core delays)' })
          .option('pynn-backend', { type: 'string', describe: 'spinnaker: the backend the PyNN script runs on by default: spiNNaker (default), brian2, neuron or nest' })
          .option('dt', { type: 'string', describe: 'time step, e.g. "1 ms"' })
          .option('seed', { type: 'number', describe: 'random seed (connectivity, Poisson inputs)' })
          .option('data-dir', { type: 'string', describe: 'connectome data directory' })
          .example('$0 export docs/examples/loihi-ei.yaml --target loihi --out out/loihi-ei --simulate', 'netlist, Lava script and expected spikes')
          .example('python out/loihi-ei/run_lava.py --dry-run', 'check the exported netlist without Lava')
          .example('$0 export docs/examples/spinnaker-ei.yaml --target spinnaker --out out/spinnaker-ei', 'SpiNNaker machine netlist, quantisation report and PyNN script')
          .example('/usr/bin/python3 out/spinnaker-ei/run_pynn.py brian2', 'run the exported PyNN script on Brian2; then nematode inspect out/spinnaker-ei/pynn-spikes-brian2.json'),
      async (a) => {
        const { exportCommand } = await import('./export-command.js');
        code = await exportCommand(a);
      },
    )
    .command(
      'bench <network>',
      'Benchmark a standard network and print build time, simulation time, spikes, rate, events/s and peak memory.',
      (y) =>
        y
          .positional('network', { choices: ['coba', 'cuba', 'sparse', 'worm', 'microcircuit', 'scaling'], demandOption: true })
          .option('data-dir', { type: 'string', describe: 'connectome data directory (worm benchmark)' })
          .option('duration', { type: 'string', describe: 'biological time (default 1 s; sparse: 10 s, since a 1 s event-driven run is dominated by JIT warm-up)' })
          .option('size', { type: 'number', describe: 'neurons (COBA/CUBA scaling series: fan-in 80 away from 4000)' })
          .option('sizes', { type: 'string', describe: 'scaling: comma-separated sizes (default 4000,64000,256000,1000000)' })
          .option('scale', { type: 'number', describe: 'microcircuit: N_scaling = K_scaling, 0 < scale ≤ 1 (default 0.1; 1 = full scale, 77,169 neurons, 3·10⁸ synapses)' })
          .option('background', { choices: ['poisson', 'dc'], describe: 'microcircuit: background input (default poisson)' })
          .option('engine', { choices: ENGINES, describe: 'engine (sparse: both are run and compared)' })
          .option('threads', { type: 'number', default: 0, describe: 'worker threads of the clock engine (0 = automatic: idle cores, where it pays)' })
          .option('backend', { choices: BACKENDS, describe: 'kernel backend of the gpu engine' })
          .option('seed', { type: 'number', default: 1 })
          .option('kernels', { choices: ['wasm', 'js'], default: 'wasm', describe: 'clock engine neuron kernels: WebAssembly SIMD where the model compiles, or JavaScript only (same results)' })
          .option('repeat', { type: 'number', default: 1, describe: 'runs; the median is reported' })
          .option('compare', { choices: ['brian2'], describe: 'also run the same network in Brian2 and print the ratio' })
          .option('brian2-target', { choices: ['cpp_standalone', 'cython', 'numpy', 'all'], default: 'all' })
          .option('json', { type: 'boolean', default: false, describe: 'print the figures as JSON' })
          .example('$0 bench coba', 'COBA-4000, 1 s, clock engine')
          .example('$0 bench coba --duration "10 s" --compare brian2', 'side by side with Brian2')
          .example('$0 bench coba --size 256000 --threads 2', 'the scaling series at 256k neurons')
          .example('$0 bench sparse', 'event vs clock engine on a sparse low-rate network')
          .example('$0 bench worm', '302-neuron graded C. elegans model, 10 s at dt 0.1 ms')
          .example('$0 bench scaling --sizes 4000,64000', 'COBA scaling series at fan-in 80, one child process per size, and a table')
          .example('$0 bench microcircuit --scale 0.1 --background dc', 'Potjans-Diesmann cortical microcircuit at 10 %, with population rates'),
      async (a) => {
        const { benchCommand } = await import('../bench/command.js');
        code = await benchCommand(a);
      },
    )
    .command(
      'models',
      'List the model catalogue with parameters, units and defaults.',
      (y) =>
        y
          .option('markdown', { type: 'boolean', default: false, describe: 'print the catalogue as markdown (docs/models.md)' })
          .example('$0 models', 'list models')
          .example('$0 models --markdown > docs/models.md', 'regenerate the model docs'),
      async (a) => {
        const { modelCatalogueText, modelCatalogueMarkdown } = await import('../models/describe.js');
        process.stdout.write((a.markdown ? modelCatalogueMarkdown() : modelCatalogueText()) + '\n');
      },
    )
    .command(connectomeCommand)
    .command(sweepCommand)
    .command(reportCommand)
    .command(plotCommand)
    .demandCommand(1, 'Name a command: run, inspect, export, bench, models, connectome, sweep, report or plot (see --help).')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`nematode: ${e.message}\n  fix: see 'nematode --help' or 'nematode <command> --help'\n`);
      return 1;
    }
    return reportError(e);
  }
  return code;
}

class UsageError extends Error {}

// A closed pipe (`nematode inspect f | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(hideBin(process.argv)).then((code) => {
  process.exitCode = code;
});
