/**
 * Export targets: neuromorphic platforms a network can be handed to (`nematode export
 * <config> --target <name> --out <dir>`). Each target checks what it can express and then
 * writes a folder of files that the platform's own tools run.
 *
 * The contract every target keeps:
 * - `check` runs every capability check (and any quantisation, with its report) and
 *   throws one typed error (UnsupportedError, ValidationError …) that lists every
 *   problem, before anything is written;
 * - `export` does the same checks first and then writes the folder atomically: into a
 *   temporary folder next to `outDir`, renamed into place at the end, so a failure
 *   leaves no partial output (and an earlier export stays as it was);
 * - what is not an error (an optional file that cannot be written, an approximation the
 *   user asked for) is returned as a message line.
 *
 * Targets: `loihi` (Loihi 2 through Lava; targets/loihi/, docs/targets/loihi.md) and
 * `spinnaker` (a SpiNNaker-1 machine netlist; targets/spinnaker/, docs/targets/spinnaker.md).
 */
import { UnknownNameError } from '../src/errors.js';
import type { NetworkIR } from '../src/ir/types.js';
import { loihiTarget } from './loihi/index.js';
import { spinnakerTarget } from './spinnaker/index.js';

export interface TargetOptions {
  /** Map what can only be approximated (and list each approximation) instead of refusing it. */
  approximate?: boolean;
  /** Steps to export (default: the run's duration / dt, rounded). */
  steps?: number;
  /** Also run the exported network in nematode and write the output the platform must produce. */
  simulate?: boolean;
  /** spinnaker: the board, `spinn-5` (48 chips, default) or `spinn-3` (4 chips). */
  board?: 'spinn-5' | 'spinn-3';
  /** spinnaker: neurons per core, for every population, or per population label (key "*": every other one). */
  neuronsPerCore?: number | Record<string, number>;
  /** spinnaker: cap on the synaptic word's delay bits (4: sPyNNaker ≤ 6's 16-tick on-core maximum). */
  delayBits?: number;
  /** spinnaker: the backend the PyNN script runs on by default (spiNNaker, brian2, neuron or nest). */
  pynnBackend?: 'spiNNaker' | 'brian2' | 'neuron' | 'nest';
}

export interface TargetCheck {
  target: string;
  /** Network name. */
  network: string;
  /** Lines for the user: what will be written, reports, approximations, optional files left out and why. */
  messages: string[];
}

export interface ExportedFile {
  /** Name inside the output folder. */
  name: string;
  /** One line: what it is. */
  description: string;
}

export interface ExportResult extends TargetCheck {
  /** The folder written. */
  outDir: string;
  files: ExportedFile[];
}

export interface Target {
  readonly name: string;
  /** One line for help texts. */
  readonly summary: string;
  /** Every check the export makes; throws a typed error listing every problem. Writes nothing. */
  check(ir: NetworkIR, options?: TargetOptions): Promise<TargetCheck>;
  /** Checks, then writes the folder `outDir` atomically (replacing an earlier export of this target there). */
  export(ir: NetworkIR, outDir: string, options?: TargetOptions): Promise<ExportResult>;
}

const TARGETS: Record<string, Target> = {
  [loihiTarget.name]: loihiTarget,
  [spinnakerTarget.name]: spinnakerTarget,
};

export const TARGET_NAMES: readonly string[] = Object.keys(TARGETS);

/** The target called `name`; an UnknownNameError lists the valid ones. */
export function getTarget(name: string): Target {
  const t = TARGETS[name];
  if (!t) throw new UnknownNameError('export target', name, TARGET_NAMES, { object: 'nematode export', parameter: 'target' });
  return t;
}

export function listTargets(): Target[] {
  return Object.values(TARGETS);
}
