/** Small helpers shared by the model tests. */
import { expect } from 'vitest';
import type { Network } from '../src/api/network.js';
import { clockEngine } from '../src/engines/clock/index.js';
import type { SimulationOutput } from '../src/engines/types.js';

/** Runs a network on the clock engine, one thread, for `duration` ms. */
export async function run(net: Network, duration: number): Promise<SimulationOutput> {
  net.setRun({ duration, threads: 1 });
  return clockEngine.run(net.toIR());
}

/** The samples of a recorded state variable (optionally of one population). */
export function trace(out: SimulationOutput, variable: string, population?: string): Float64Array {
  const t = out.traces.find((x) => x.variable === variable && (population === undefined || x.population === population));
  if (!t) throw new Error(`no trace ${variable}`);
  return t.data;
}

/** Runs fn, expects an error of class cls whose message matches every part; returns it. */
export function expectError(fn: () => unknown, cls: new (...a: never[]) => Error, ...parts: (string | RegExp)[]): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an error').toBeInstanceOf(cls);
  for (const p of parts) expect((caught as Error).message).toMatch(p);
  return caught as Error;
}
