/**
 * Reproducibility of the clock engine.
 *
 * - Same seed → byte-identical results body (runToFile twice, readResults, compare
 *   `bodyBytes`; metadata legitimately differs: dates and wall times).
 * - Different seed → different body.
 * - 1 vs 2 and 1 vs 3 worker threads → identical spike trains, traces, rates and
 *   counts, and the same encoded body. Threads need the compiled worker
 *   (dist/src/engines/clock/worker.js), so those runs import from dist/ (built by
 *   `npm test`'s tsc step).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Network } from '../src/api/network.js';
import type { SimulationOutput } from '../src/engines/types.js';
import type { NetworkIR } from '../src/ir/types.js';
import { readResults } from '../src/results/index.js';
import { runToFile } from '../src/run.js';

type NetworkClass = typeof Network;

const dir = mkdtempSync(join(os.tmpdir(), 'nematode-determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A random recurrent E/I network (500 neurons) with a Poisson source population
 * (200), per-synapse random weights and delays (some rounded to the grid), Poisson
 * stimuli (one with start/stop), a DC pulse, and spike, state and rate recordings.
 * Everything random (connectivity, weights, delays, initial v, Poisson trains)
 * derives from `seed`.
 */
function buildNet(NetworkCtor: NetworkClass, seed: number, threads: number, duration = 300): NetworkIR {
  const net = new NetworkCtor({ dt: 0.1, seed, threads, duration });
  const lif = { tau_m: 20, cm: 0.25, v_rest: -65, v_reset: -65, v_thresh: -50, tau_refrac: 2, tau_syn_E: 5, tau_syn_I: 10 };
  const E = net.population('E', 400, 'IF_curr_exp', lif, { v: { uniform: [-65, -50] } });
  const I = net.population('I', 100, 'IF_curr_exp', lif, { v: { uniform: [-65, -50] } });
  const P = net.spikeSource('P', 200, { rate: 15 });
  net.connect(P, E, { rule: 'fixed_probability', p: 0.1 }, { weight: { uniform: [0.02, 0.06] }, delay: { uniform: [0.1, 2.0] } });
  net.connect(P, I, { rule: 'fixed_indegree', n: 15 }, { weight: 0.04, delay: 1.0 });
  net.connect(E, E, { rule: 'fixed_probability', p: 0.05 }, { weight: { uniform: [0.0, 0.03] }, delay: { uniform: [0.5, 3] } });
  net.connect(E, I, { rule: 'fixed_probability', p: 0.1 }, { weight: 0.03, delay: { uniform: [0.5, 3] } });
  net.connect(I, E, { rule: 'fixed_probability', p: 0.2 }, { receptor: 'inhibitory', weight: { uniform: [-0.1, -0.02] }, delay: { uniform: [0.5, 2] } });
  net.connect(I, I, { rule: 'fixed_probability', p: 0.1 }, { receptor: 'inhibitory', weight: -0.05, delay: 0.8 });
  net.stimulate(E, { kind: 'poisson', rate: 800, weight: 0.04 });
  net.stimulate(I, { kind: 'poisson', rate: 600, weight: 0.04, start: 50, stop: 250 });
  net.stimulate(E, { kind: 'dc', amplitude: 0.05, start: 100, stop: 200, indices: [9, 3, 0, 210, 399, 5, 7, 1, 250, 2] });
  net.record(E, 'spikes');
  net.record(I, 'spikes');
  net.record(P, 'spikes');
  net.record(E, ['v', 'isyn_exc', 'isyn_inh'], { indices: [399, 0, 150, 201] });
  net.record(I, 'rate', { bin: 10 });
  return net.toIR();
}

/** Every population is active, so the comparisons below are not vacuous. */
function expectActive(out: SimulationOutput): void {
  for (const pop of ['E', 'I', 'P']) expect(out.stats.spikeCounts[pop]!).toBeGreaterThan(50);
  expect(out.spikes.every((s) => s.indices.length > 0)).toBe(true);
}

function expectSameOutput(a: SimulationOutput, b: SimulationOutput): void {
  expect(b.spikes.length).toBe(a.spikes.length);
  a.spikes.forEach((s, k) => {
    const t = b.spikes[k]!;
    expect(t.population).toBe(s.population);
    expect(t.indices).toEqual(s.indices);
    expect(t.times).toEqual(s.times);
    expect(t.recorded).toEqual(s.recorded);
  });
  expect(b.traces.length).toBe(a.traces.length);
  a.traces.forEach((tr, k) => expect(b.traces[k]!.data).toEqual(tr.data));
  expect(b.rates.map((r) => r.rate)).toEqual(a.rates.map((r) => r.rate));
  expect(b.stats.spikeCounts).toEqual(a.stats.spikeCounts);
  expect(b.stats.synapticEvents).toBe(a.stats.synapticEvents);
}

describe('same seed, same bytes', () => {
  it('runToFile twice with the same seed gives byte-identical bodies; a different seed a different body', async () => {
    const files = ['a', 'b', 'c'].map((x) => join(dir, `${x}.nem`));
    const ra = await runToFile(buildNet(Network, 11, 1), files[0]);
    const rb = await runToFile(buildNet(Network, 11, 1), files[1]);
    const rc = await runToFile(buildNet(Network, 12, 1), files[2]);
    expectActive(ra.output);
    expectActive(rc.output);
    const [a, b, c] = await Promise.all(files.map((f) => readResults(f)));
    expect(a!.bodyBytes.length).toBeGreaterThan(1000);
    expect(Buffer.from(b!.bodyBytes).equals(Buffer.from(a!.bodyBytes))).toBe(true);
    expect(rb.metadata.irHash).toBe(ra.metadata.irHash);
    expect(Buffer.from(c!.bodyBytes).equals(Buffer.from(a!.bodyBytes))).toBe(false);
    expect(rc.metadata.irHash).not.toBe(ra.metadata.irHash);
    // Not just a different encoding: the spike trains differ.
    expect(rc.output.spikes[0]!.times).not.toEqual(ra.output.spikes[0]!.times);
  });

  it('only the run seed changed (same connectivity): the Poisson trains alone make the body differ', async () => {
    const irA = buildNet(Network, 21, 1, 100);
    const irB = buildNet(Network, 21, 1, 100);
    irB.run.seed = 22; // same connectivity/weights/delays, different stream keys for the Poisson processes
    const fa = join(dir, 'sa.nem');
    const fb = join(dir, 'sb.nem');
    await runToFile(irA, fa);
    await runToFile(irB, fb);
    const [a, b] = await Promise.all([readResults(fa), readResults(fb)]);
    expect(Buffer.from(b.bodyBytes).equals(Buffer.from(a.bodyBytes))).toBe(false);
  });
});

describe('thread count does not change results (dist build)', () => {
  async function dist() {
    const api = (await import('../dist/src/api/network.js')) as unknown as { Network: NetworkClass };
    const clock = (await import('../dist/src/engines/clock/index.js')) as { clockEngine: { run: (ir: NetworkIR) => Promise<SimulationOutput> } };
    const results = (await import('../dist/src/results/index.js')) as {
      encodeResults: (o: SimulationOutput, m: unknown) => Uint8Array;
      decodeResults: (b: Uint8Array) => { bodyBytes: Uint8Array };
    };
    return { Network: api.Network, clockEngine: clock.clockEngine, ...results };
  }

  /** The body bytes the writer would produce for `out` (metadata fixed, so only the body can differ). */
  function body(d: Awaited<ReturnType<typeof dist>>, out: SimulationOutput): Buffer {
    const meta = { nematodeVersion: 'x', createdAt: 'x', seed: 0, engine: 'clock', threads: 0, dt: 0.1, duration: 300, wall: { buildMs: 0, simMs: 0, totalMs: 0 }, config: {}, irHash: '', synapticEvents: 0, notes: [] };
    return Buffer.from(d.decodeResults(d.encodeResults(out, meta)).bodyBytes);
  }

  it('1 vs 2 threads: identical spike trains (indices and times), traces, rates and body', async () => {
    const d = await dist();
    const one = await d.clockEngine.run(buildNet(d.Network, 5, 1));
    const two = await d.clockEngine.run(buildNet(d.Network, 5, 2));
    expect(one.stats.threads).toBe(1);
    expect(two.stats.threads).toBe(2);
    expectActive(one);
    expectSameOutput(one, two);
    expect(body(d, two).equals(body(d, one))).toBe(true);
  });

  it('1 vs 3 threads: identical (3 workers forced even on a 2-core machine)', async () => {
    const d = await dist();
    // resolveThreads caps the request at os.availableParallelism(); raise the cap so 3 workers really run.
    const spy = vi.spyOn(os, 'availableParallelism').mockReturnValue(Math.max(4, os.cpus().length));
    try {
      const one = await d.clockEngine.run(buildNet(d.Network, 9, 1, 200));
      const three = await d.clockEngine.run(buildNet(d.Network, 9, 3, 200));
      expect(three.stats.threads).toBe(3);
      expectActive(one);
      expectSameOutput(one, three);
      expect(body(d, three).equals(body(d, one))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('the src and dist builds agree (1 thread)', async () => {
    const d = await dist();
    const { clockEngine } = await import('../src/engines/clock/index.js');
    const a = await clockEngine.run(buildNet(Network, 5, 1, 150));
    const b = await d.clockEngine.run(buildNet(d.Network, 5, 1, 150));
    expectSameOutput(a, b);
  });
});
