/**
 * `--simulate`: the spikes Lava must produce for an exported netlist. The netlist is read
 * back into a `loihi_lif` network (netlistToIR) and run on the clock engine, whose
 * arithmetic and timing are Lava's fixed_pt models bit for bit (docs/targets/loihi.md);
 * the result is written in the spikes format the generated script writes, so the two
 * files differ only in their "producer" line when Lava agrees.
 */
import { clockEngine } from '../../src/engines/clock/index.js';
import type { SimulationOutput } from '../../src/engines/types.js';
import { encodeSpikesFile, type SpikesPopulation } from '../../src/results/spikes-json.js';
import { VERSION } from '../../src/version.js';
import { netlistToIR, type LoihiNetlist } from './netlist.js';

export interface SimulatedSpikes {
  /** The spikes file's text. */
  text: string;
  /** Spikes of the LIF populations. */
  lifSpikes: number;
  output: SimulationOutput;
}

/** Spikes of every population (1-based Lava steps) from a clock-engine run's output. */
export function spikesOf(netlist: LoihiNetlist, output: SimulationOutput): SpikesPopulation[] {
  return netlist.populations.map((p) => {
    const train = output.spikes.find((s) => s.population === p.label);
    const neuron = train ? Array.from(train.indices) : [];
    // Engine step n reports its spikes at (n + 1)·dt: Lava step n + 1.
    const step = train ? Array.from(train.times, (t) => Math.round(t / netlist.dt)) : [];
    return { label: p.label, size: p.size, neuron, step };
  });
}

export async function simulateNetlist(netlist: LoihiNetlist, options: { threads?: number } = {}): Promise<SimulatedSpikes> {
  const output = await clockEngine.run(netlistToIR(netlist, { threads: options.threads ?? 1 }));
  const populations = spikesOf(netlist, output);
  const text = encodeSpikesFile({
    producer: `nematode ${VERSION} export --simulate (clock engine, loihi_lif)`,
    network: netlist.name,
    dt: netlist.dt,
    steps: netlist.steps,
    populations,
  });
  const lif = new Set(netlist.populations.filter((p) => p.kind === 'lif').map((p) => p.label));
  const lifSpikes = populations.filter((p) => lif.has(p.label)).reduce((s, p) => s + p.neuron.length, 0);
  return { text, lifSpikes, output };
}
