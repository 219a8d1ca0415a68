/** Runs an IR network on the engine its run settings name (engines load on first use). */
import { UnknownNameError } from './errors.js';
import type { Engine, EngineOptions, SimulationOutput } from './engines/types.js';
import type { NetworkIR } from './ir/types.js';

const LOADERS: Record<string, () => Promise<Engine>> = {
  clock: async () => (await import('./engines/clock/index.js')).clockEngine,
  event: async () => (await import('./engines/event/index.js')).eventEngine,
  gpu: async () => (await import('./engines/gpu/index.js')).gpuEngine,
};

export const ENGINE_NAMES = Object.keys(LOADERS);

export async function getEngine(name: string): Promise<Engine> {
  const load = LOADERS[name];
  if (!load) throw new UnknownNameError('engine', name, ENGINE_NAMES, { object: 'run settings', parameter: 'engine' });
  return load();
}

export async function simulate(ir: NetworkIR, options: EngineOptions = {}): Promise<SimulationOutput> {
  return (await getEngine(ir.run.engine)).run(ir, options);
}
