/**
 * `clock`: the time-stepped reference engine. Runs every model, delays as ring
 * buffers, synaptic work only for neurons that spiked, and worker threads on all
 * cores with results identical for any thread count.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { SimulationError } from '../../errors.js';
import { requireEngineSupport, validateNetwork } from '../../ir/validate.js';
import type { NetworkIR } from '../../ir/types.js';
import type { Engine, EngineOptions, SimulationOutput } from '../types.js';
import { abortRun, prepareWorker, type WorkerResult } from './loop.js';
import { checkOdeNetwork, runOde } from './ode.js';
import { buildPlan, type ClockPlan } from './plan.js';
import { planOutput, type Recorded } from './output.js';

/**
 * Neurons per worker below which another thread costs more in barriers (one per
 * step) than it saves; measured on the 2-core reference machine (docs/benchmarks.md).
 */
export const NEURONS_PER_THREAD = 8000;

/**
 * Threads actually used. 0 means "where it pays": one per idle core (cores minus the
 * 1-minute load average, since a worker that shares its core with another busy
 * process turns every step's barrier into a context switch), and no more than one
 * per NEURONS_PER_THREAD neurons. An explicit count is honoured up to the size of the
 * largest population. Results do not depend on the count, only the speed does.
 */
export function resolveThreads(requested: number, totalNeurons: number, largest: number): number {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const idle = cores - Math.floor(os.loadavg()[0]! + 0.25);
  const t = requested > 0 ? requested : Math.min(idle, Math.floor(totalNeurons / NEURONS_PER_THREAD));
  return Math.max(1, Math.min(t, largest));
}

export const clockEngine: Engine = {
  name: 'clock',
  check(ir: NetworkIR) {
    requireEngineSupport(validateNetwork(ir), 'clock');
  },
  async run(ir: NetworkIR, options: EngineOptions = {}): Promise<SimulationOutput> {
    const tBuild = performance.now();
    const net = validateNetwork(ir);
    requireEngineSupport(net, 'clock');
    const sizes = net.populations.map((p) => p.size);
    // A network equilibrium (Kunert threshold) is re-solved as a whole on stimulus changes: one thread.
    const solver = ir.run.solver ?? 'auto';
    if (solver !== 'auto') checkOdeNetwork(net, solver);
    const needsOneThread = solver !== 'auto' || net.populations.some((p) => p.model.kind === 'neuron' && p.model.equilibrium !== undefined);
    const threads = needsOneThread ? 1 : resolveThreads(ir.run.threads, sizes.reduce((a, b) => a + b, 0), Math.max(...sizes));
    const plan = buildPlan(net, threads, { wasmGather: options.wasmGather, wasmNeurons: options.wasmNeurons });
    // Worker start-up (threads, module loading, kernel compilation) counts as build time:
    // the simulation time is the step loop alone, as Brian2's `last_run_time`.
    const timing = { loopStart: performance.now() };
    const results = solver === 'auto' ? await runAll(plan, timing, options.onProgress) : [runOde(plan, net, solver, { atol: ir.run.atol, rtol: ir.run.rtol }, options.onProgress)];
    const simMs = performance.now() - timing.loopStart;
    return assemble(plan, results, { buildMs: timing.loopStart - tBuild, simMs });
  },
};

/** Runs every worker; `timing.loopStart` is set when all of them have started. */
async function runAll(plan: ClockPlan, timing: { loopStart: number }, onProgress?: (f: number) => void): Promise<WorkerResult[]> {
  if (plan.threads === 1) {
    const run = prepareWorker(plan, 0);
    timing.loopStart = performance.now();
    return [run(onProgress)];
  }
  const workers = Array.from({ length: plan.threads - 1 }, (_, k) => new Worker(new URL('./worker.js', import.meta.url), { workerData: { plan, index: k + 1 } }));
  // Each worker says `ready` once it has loaded and prepared (prepareWorker), then sends its result (or failure).
  const ready: Promise<void>[] = [];
  const done = workers.map((wk) => {
    let markReady!: () => void;
    ready.push(new Promise<void>((r) => (markReady = r)));
    return new Promise<WorkerResult>((resolve, reject) => {
      wk.on('message', (m: { ready?: boolean; ok?: boolean; result?: WorkerResult; message?: string }) => {
        if (m.ready) markReady();
        else if (m.ok) resolve(m.result!);
        else reject(new SimulationError(`worker failed: ${m.message}`));
      });
      wk.once('error', (e) => {
        abortRun(plan);
        reject(e);
      });
    });
  });
  // Wait until every worker has loaded, so the main thread neither spins alone at the
  // first barrier nor waits there for a worker that failed to start.
  try {
    await Promise.race([Promise.all(ready), Promise.all(done)]);
  } catch (e) {
    await Promise.all(workers.map((wk) => wk.terminate()));
    throw e;
  }
  let main: WorkerResult;
  try {
    const run = prepareWorker(plan, 0);
    timing.loopStart = performance.now();
    main = run(onProgress);
  } catch (e) {
    abortRun(plan);
    await Promise.allSettled(done);
    await Promise.all(workers.map((wk) => wk.terminate()));
    throw e;
  }
  try {
    const rest = await Promise.all(done);
    return [main, ...rest];
  } finally {
    await Promise.all(workers.map((wk) => wk.terminate()));
  }
}

/** Merges the workers' records (each owns an ascending index range) and builds the output. */
function assemble(plan: ClockPlan, results: WorkerResult[], wall: { buildMs: number; simMs: number }): SimulationOutput {
  const recSteps: Uint32Array[] = [];
  const recIdx: Uint32Array[] = [];
  plan.populations.forEach((pp, p) => {
    // Concatenating in worker order and a stable sort by step gives (step, index) order.
    const total = results.reduce((s, r) => s + r.spikeSteps[p]!.length, 0);
    const stepsAll = new Uint32Array(total);
    const idxAll = new Uint32Array(total);
    let o = 0;
    for (const r of results) {
      stepsAll.set(r.spikeSteps[p]!, o);
      idxAll.set(r.spikeIndices[p]!, o);
      o += r.spikeSteps[p]!.length;
    }
    const order = results.length > 1 ? sortByStepThenIndex(stepsAll, idxAll) : null;
    recSteps.push(order ? order.map((k) => stepsAll[k]!) : stepsAll);
    recIdx.push(order ? order.map((k) => idxAll[k]!) : idxAll);
  });
  const recorded: Recorded = {
    counts: plan.populations.map((_, p) => results.reduce((s, r) => s + r.counts[p]!, 0)),
    recSteps,
    recIdx,
    traceData: plan.populations.map((pp) => pp.traces.map((tr) => Float64Array.from(tr.data))),
    rateCounts: plan.populations.map((_, p) => {
      const sum = new Float64Array(results[0]!.rateCounts[p]!.length);
      for (const r of results) r.rateCounts[p]!.forEach((c, b) => (sum[b] = sum[b]! + c));
      return sum;
    }),
    events: results.reduce((s, r) => s + r.events, 0),
  };
  return planOutput(plan, recorded, { engine: 'clock', threads: plan.threads, ...wall });
}

function sortByStepThenIndex(steps: Uint32Array, idx: Uint32Array): Uint32Array {
  const order = Uint32Array.from({ length: steps.length }, (_, k) => k);
  return order.sort((a, b) => steps[a]! - steps[b]! || idx[a]! - idx[b]!);
}
