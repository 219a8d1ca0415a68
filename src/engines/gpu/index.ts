/**
 * The gpu engine: an IR network on the kernels of kernels/ (gpu.js for the neuron
 * updates and the continuous-coupling gathers, fixed-point scatter for spikes, a
 * counter-based generator for Poisson input), in float32.
 *
 * The IR is lowered by the clock engine's planner (stimulus schedules, recordings,
 * delays rounded to steps, derived constants, the network equilibrium), so both
 * engines read the network in exactly the same way; the state then lives in float32
 * rows, one per state variable, and every step runs
 *   1. DC/step current changes (and the equilibrium re-solve they trigger),
 *   2. per population: arrivals of this step (fixed-point ring slot, Poisson and timed
 *      inputs) and `neuron.update` → new state rows and the spike-flag row,
 *   3. `spikes.compact` and `spikes.deliver` into the receptors' rings,
 *   4. `coupling.gather` for graded synapses and gap junctions (read next step).
 * On the webgpu backend the same steps run as WGSL kernels on the device (webgpu.ts),
 * with state and recordings read back every K steps.
 * See docs/engines.md for what this engine runs and how closely it follows the clock
 * engine.
 */
import { SimulationError, UnsupportedError } from '../../errors.js';
import type { NetworkIR } from '../../ir/types.js';
import { requireEngineSupport, validateNetwork, valueAt, type ResolvedNetwork } from '../../ir/validate.js';
import type { NeuronModel } from '../../models/types.js';
import { applyEquilibrium, buildPlan, emissionStep, type ClockPlan, type GradedPlan, type PopulationPlan } from '../clock/plan.js';
import type { Engine, EngineOptions, SimulationOutput } from '../types.js';
import { compactSpikes, deliverSpikes, drainSlot, type FixedPointProjection } from '../../../kernels/deliver.js';
import { gatherKernel } from '../../../kernels/gather.js';
import { neuronKernel } from '../../../kernels/neuron.js';
import { counterHash, poissonCount, poissonP0, poissonSourceKey, poissonStimulusKey, uniform24 } from '../../../kernels/poisson.js';
import { createGpu, probeWebGpu, requestWebGpuDevice, type BackendChoice, type ConcreteBackend } from './backend.js';
import { planOutput } from '../clock/output.js';
import { WebGpuSimulation } from './webgpu.js';
import { fixedPointPlan, weightUnits } from './webgpu-layout.js';

/** Said with every webgpu run until the backend has been checked on a GPU. */
export const WEBGPU_EXPERIMENTAL = "experimental: validated with Dawn's null backend only, not yet run on a GPU";

type Rows = Float32Array[];
type KernelFn = (...args: unknown[]) => unknown;

export const gpuEngine: Engine = {
  name: 'gpu',
  check(ir: NetworkIR) {
    requireEngineSupport(validateNetwork(ir), 'gpu');
  },
  async run(ir: NetworkIR, options: EngineOptions = {}): Promise<SimulationOutput> {
    const tBuild = performance.now();
    const net = validateNetwork(ir);
    requireEngineSupport(net, 'gpu');
    const choice = await chooseBackend(ir.run.backend ?? 'auto');
    const plan = buildPlan(net, 1, { wasmGather: false, wasmNeurons: false });
    if (choice.backend === 'webgpu') {
      const { device } = await requestWebGpuDevice();
      let sim: WebGpuSimulation | undefined;
      try {
        sim = new WebGpuSimulation(net, plan, device, false);
        await sim.build();
        const buildMs = performance.now() - tBuild;
        const tSim = performance.now();
        await sim.run({ onProgress: options.onProgress });
        const simMs = performance.now() - tSim;
        return sim.output({ buildMs, simMs }, choice);
      } finally {
        sim?.destroy();
        device.destroy();
      }
    }
    const gpu = createGpu(choice.backend);
    try {
      const sim = new GpuSimulation(net, plan, gpu);
      const buildMs = performance.now() - tBuild;
      const tSim = performance.now();
      sim.run(options.onProgress);
      const simMs = performance.now() - tSim;
      return sim.output({ buildMs, simMs }, choice);
    } finally {
      gpu.destroy();
    }
  },
};

/** Picks the backend: the one asked for, or for `auto` the fastest available. */
export async function chooseBackend(asked: string): Promise<BackendChoice> {
  if (asked === 'cpu' || asked === 'webasm') return { backend: asked, reason: `asked for (--backend ${asked})` };
  const probe = await probeWebGpu();
  if (asked === 'webgpu') {
    if (!probe.ok) {
      throw new UnsupportedError(`gpu engine: backend "webgpu" is not available here: ${probe.reason}. Use --backend webasm or cpu (CI machines have no GPU).`, {
        object: 'run settings',
        parameter: 'backend',
        expected: 'webasm, cpu',
        fix: '--backend webasm',
      });
    }
    return { backend: 'webgpu', reason: `asked for (--backend webgpu); ${probe.reason}; ${WEBGPU_EXPERIMENTAL}` };
  }
  if (probe.ok) return { backend: 'webgpu', reason: `auto: ${probe.reason}; ${WEBGPU_EXPERIMENTAL}` };
  return { backend: 'webasm', reason: `auto: ${probe.reason}; webasm measured faster than cpu on the 2-core machine (docs/benchmarks.md, gpu engine)` };
}

interface NeuronPop {
  kind: 'neuron';
  pp: PopulationPlan;
  n: number;
  rows: string[];
  S: Rows;
  kernel: KernelFn;
  /** Argument arrays after S, in kernel order; inputs are refilled each step. */
  args: Float32Array[];
  inputs: Record<string, Float32Array>;
  istim: Float32Array;
  gin: Record<string, Float32Array>;
  spikeRow: number;
  /** Per step inputs, resolved once: Poisson stimuli (λ, p0, stream key), timed inputs (with a cursor), trace rows. */
  poisson: { st: PopulationPlan['poissonStims'][number]; input: Float32Array; lambda: number; p0: number; key: number }[];
  timed: { ti: PopulationPlan['timedInputs'][number]; input: Float32Array; cursor: number }[];
  traceRows: number[];
}

interface SourcePop {
  kind: 'poisson' | 'array';
  pp: PopulationPlan;
  n: number;
  /** Poisson: per-neuron λ per step, p0, start and stop steps; array: (step, index) schedule. */
  lambda?: Float32Array;
  p0?: Float32Array;
  startStep?: Int32Array;
  stopStep?: Int32Array;
  key?: number;
  schedSteps?: Int32Array;
  schedIdx?: Uint32Array;
  cursor: number;
}

type Pop = NeuronPop | SourcePop;

interface Ring {
  ring: Int32Array;
  slots: number;
  scale: number;
}

class GpuSimulation {
  private readonly pops: Pop[];
  private readonly rings: Record<string, Ring>[];
  private readonly projections: (FixedPointProjection & { pre: number; post: number })[];
  private readonly gathers: { g: GradedPlan; kernel: KernelFn; args: (Int32Array | Float32Array)[]; preRow: number }[];
  private readonly spikeBuf: Uint32Array[];
  private readonly spikeMult: Uint32Array[];
  private readonly spikeCount: number[];
  private readonly recSteps: number[][];
  private readonly recIdx: number[][];
  private readonly counts: number[];
  private readonly rateCounts: Float64Array[];
  private readonly traceData: Float64Array[][];
  private nextEvent: number[];
  private events = 0;

  constructor(
    private readonly net: ResolvedNetwork,
    private readonly plan: ClockPlan,
    gpu: ReturnType<typeof createGpu>,
  ) {
    const { dt } = plan;
    this.rings = plan.populations.map((pp) => {
      const r: Record<string, Ring> = {};
      for (const [receptor, L] of Object.entries(pp.ringSlots)) r[receptor] = { ring: new Int32Array(L * pp.size), slots: L, scale: 1 };
      return r;
    });
    // Fixed-point scale per receptor from the largest Σ|w| into one neuron: the same integers on every backend.
    const fp = fixedPointPlan(net, plan);
    plan.populations.forEach((_, p) => {
      for (const [r, ring] of Object.entries(this.rings[p]!)) ring.scale = fp.scales[p]![r]!;
    });
    this.projections = fp.projections.map((pj) => {
      const ring = this.rings[pj.post]![pj.receptor]!;
      return {
        pre: pj.pre,
        post: pj.post,
        rowPtr: pj.rowPtr,
        targets: pj.targets,
        weights: typeof pj.weights === 'number' ? weightUnits(pj.weights, pj.scale) : Int32Array.from(pj.weights, (x) => weightUnits(x, pj.scale)),
        delays: pj.delays,
        ring: ring.ring,
        slots: ring.slots,
        postSize: plan.populations[pj.post]!.size,
      };
    });

    this.pops = plan.populations.map((pp, p): Pop => {
      if (pp.kind === 'neuron') return this.neuronPop(pp, p, gpu);
      if (pp.kind === 'poisson') {
        const sp = pp.sourceParams!;
        const lambda = new Float32Array(pp.size);
        const p0 = new Float32Array(pp.size);
        const startStep = new Int32Array(pp.size);
        const stopStep = new Int32Array(pp.size);
        for (let j = 0; j < pp.size; j++) {
          lambda[j] = (valueAt(sp.rate, j) * dt) / 1000;
          p0[j] = poissonP0(lambda[j]!);
          startStep[j] = Math.round(valueAt(sp.start, j) / dt);
          stopStep[j] = Math.min(plan.steps, Math.round(valueAt(sp.stop, j) / dt));
        }
        return { kind: 'poisson', pp, n: pp.size, lambda, p0, startStep, stopStep, key: poissonSourceKey(plan.seed, pp.label), cursor: 0 };
      }
      const pairs: [number, number][] = [];
      pp.spikeTimes!.forEach((times, j) => times.forEach((t) => pairs.push([emissionStep(t, dt), j])));
      pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      return { kind: 'array', pp, n: pp.size, schedSteps: Int32Array.from(pairs, (x) => x[0]), schedIdx: Uint32Array.from(pairs, (x) => x[1]), cursor: 0 };
    });

    this.gathers = plan.graded.map((g) => {
      const pre = this.pops[g.pre] as NeuronPop;
      const post = plan.populations[g.post]!;
      const full = expandColumns(g, post.size);
      const spec = gatherKernel({
        weight: g.arrays.W ? 'array' : g.scalars.W!,
        sigmoid: g.sigmoid ? { mu: g.arrays.MU ? 'array' : g.scalars.MU!, slope: g.arrays.SL ? 'array' : g.scalars.SL! } : undefined,
      });
      const args: (Int32Array | Float32Array)[] = [full.colPtr, full.sources];
      for (const a of spec.args.slice(2)) args.push(Float32Array.from(full.arrays[a]!));
      let maxCol = 1;
      for (let i = 0; i < post.size; i++) maxCol = Math.max(maxCol, full.colPtr[i + 1]! - full.colPtr[i]!);
      const kernel = gpu.createKernel(spec.source, { output: [Math.max(1, post.size)], loopMaxIterations: maxCol + 1, tactic: "precision" } as Parameters<typeof gpu.createKernel>[1]) as unknown as KernelFn;
      return { g, kernel, args, preRow: pre.rows.indexOf(g.variable) };
    });

    this.spikeBuf = plan.populations.map((pp) => new Uint32Array(pp.size));
    this.spikeMult = plan.populations.map((pp) => new Uint32Array(pp.kind === 'neuron' ? 0 : pp.size));
    this.spikeCount = plan.populations.map(() => 0);
    this.recSteps = plan.populations.map(() => []);
    this.recIdx = plan.populations.map(() => []);
    this.counts = plan.populations.map(() => 0);
    this.rateCounts = plan.populations.map((pp) => new Float64Array(pp.rateBin !== undefined ? Math.max(1, Math.ceil((plan.steps * dt) / pp.rateBin - 1e-9)) : 0));
    this.traceData = plan.populations.map((pp) => pp.traces.map((tr) => new Float64Array(tr.data.length)));
    this.nextEvent = plan.populations.map(() => 0);
  }

  private neuronPop(pp: PopulationPlan, p: number, gpu: ReturnType<typeof createGpu>): NeuronPop {
    const pop = this.net.populations[p]!;
    const model = pop.model as NeuronModel;
    const refrParam = model.refractoryParam ? pop.params[model.refractoryParam]! : 0;
    const refractorySteps: number | 'array' = typeof refrParam === 'number' ? Math.round(refrParam / this.plan.dt) : 'array';
    const layout = neuronKernel({
      model,
      method: pop.method,
      constants: pp.constants!,
      dt: this.plan.dt,
      receptors: Object.keys(pp.ringSlots),
      gradedReceptors: pp.continuousInputs.filter((r) => r !== 'gap'),
      gap: pp.continuousInputs.includes('gap'),
      refractorySteps,
    });
    const n = pp.size;
    const S: Rows = layout.rows.map((r) => (r.startsWith('__') ? new Float32Array(n) : Float32Array.from(pp.arrays[`s_${r}`] as Float64Array)));
    const istim = new Float32Array(n);
    const inputs: Record<string, Float32Array> = {};
    const gin: Record<string, Float32Array> = {};
    const args = layout.args.map((a): Float32Array => {
      if (a === 'istim') return istim;
      if (a.startsWith('in_')) return (inputs[a.slice(3)] = new Float32Array(n));
      if (a.startsWith('gin_')) return (gin[a.slice(4)] = new Float32Array(n));
      if (a === 'refsteps') return Float32Array.from(refrParam as Float64Array, (x) => Math.round(x / this.plan.dt));
      return Float32Array.from(pp.arrays[a] as Float64Array);
    });
    const kernel = gpu.createKernel(layout.source, { output: [Math.max(1, n), layout.rows.length], tactic: 'precision' }) as unknown as KernelFn;
    const poisson = pp.poissonStims.map((st) => {
      const lambda = Math.fround((st.rate * this.plan.dt) / 1000);
      return { st, input: inputs[st.receptor]!, lambda, p0: poissonP0(lambda), key: poissonStimulusKey(this.plan.seed, st.label) };
    });
    const timed = pp.timedInputs.map((ti) => ({ ti, input: inputs[ti.receptor]!, cursor: 0 }));
    const traceRows = pp.traces.map((tr) => layout.rows.indexOf(tr.variable));
    return { kind: 'neuron', pp, n, rows: layout.rows, S, kernel, args, inputs, istim, gin, spikeRow: layout.rows.length - 1, poisson, timed, traceRows };
  }

  run(onProgress?: (f: number) => void): void {
    const { steps, dt } = this.plan;
    this.gatherAll();
    let nextReport = 0;
    for (let n = 0; n < steps; n++) {
      this.currentEvents(n);
      for (let p = 0; p < this.pops.length; p++) {
        const pop = this.pops[p]!;
        if (pop.kind === 'neuron') this.stepNeurons(pop, p, n);
        else this.stepSource(pop, p, n);
        this.record(p, n, (n + 1) * dt);
      }
      for (const pj of this.projections) {
        const c = this.spikeCount[pj.pre]!;
        if (c > 0) this.events += deliverSpikes(pj, this.spikeBuf[pj.pre]!, c, n, this.pops[pj.pre]!.kind === 'neuron' ? undefined : this.spikeMult[pj.pre]);
      }
      this.gatherAll();
      if (onProgress && n >= nextReport) {
        onProgress(n / steps);
        nextReport = n + Math.max(1, Math.floor(steps / 200));
      }
    }
    onProgress?.(1);
  }

  /** DC/step changes due at step n; a change re-solves the network equilibrium when there is one. */
  private currentEvents(n: number): void {
    let changed = false;
    this.plan.populations.forEach((pp, p) => {
      const pop = this.pops[p]!;
      while (this.nextEvent[p]! < pp.currentEvents.length && pp.currentEvents[this.nextEvent[p]!]!.step <= n) {
        const ev = pp.currentEvents[this.nextEvent[p]!++]!;
        const istim64 = pp.arrays.istim as Float64Array;
        for (const i of ev.indices) {
          istim64[i] = istim64[i]! + ev.delta;
          if (pop.kind === 'neuron') pop.istim[i] = istim64[i]!;
        }
        changed = true;
      }
    });
    if (changed && this.plan.equilibrium) {
      applyEquilibrium(this.plan);
      for (const p of this.plan.equilibrium.pops) {
        const pop = this.pops[p] as NeuronPop;
        const target = this.plan.equilibriumTarget[p]!;
        pop.S[pop.rows.indexOf(target)]!.set(this.plan.populations[p]!.arrays[`s_${target}`] as Float64Array);
      }
    }
  }

  private stepNeurons(pop: NeuronPop, p: number, n: number): void {
    const pp = pop.pp;
    const tStart = n * this.plan.dt;
    // Arrivals of this step: ring slot, timed inputs, Poisson stimuli.
    for (const [r, input] of Object.entries(pop.inputs)) {
      input.fill(0);
      const ring = this.rings[p]![r]!;
      drainSlot(ring.ring, n % ring.slots, pop.n, ring.scale, input);
    }
    for (const t of pop.timed) {
      const { steps, weights, counts, indices } = t.ti;
      while (t.cursor < steps.length && steps[t.cursor]! < n) t.cursor++;
      if (t.cursor < steps.length && steps[t.cursor] === n) {
        const w = weights[t.cursor]!;
        for (const i of indices) t.input[i] = t.input[i]! + w;
        this.events += indices.length * counts[t.cursor]!;
      }
    }
    for (const { st, input, lambda, p0, key } of pop.poisson) {
      if (tStart < st.start - 1e-9 || tStart >= st.stop - 1e-9 || st.rate <= 0) continue;
      for (const i of st.indices) {
        const c = poissonCount(uniform24(counterHash(key, i, n)), lambda, p0);
        if (c > 0) {
          input[i] = input[i]! + c * st.weight;
          this.events += c;
        }
      }
    }
    pp.traces.forEach((tr, k) => {
      if (n % tr.intervalSteps !== 0) return;
      const row = pop.S[pop.traceRows[k]!]!;
      const base = (n / tr.intervalSteps) * tr.indices.length;
      const data = this.traceData[p]![k]!;
      tr.indices.forEach((i, q) => (data[base + q] = row[i]!));
    });
    if (pop.n === 0) {
      this.spikeCount[p] = 0;
      return;
    }
    const out = pop.kernel(pop.S, ...pop.args) as Rows;
    if (!Array.isArray(out) || out.length !== pop.rows.length) throw new SimulationError(`gpu engine: population "${pp.label}": the neuron kernel returned no state rows`);
    pop.S = out;
    this.spikeCount[p] = compactSpikes(out[pop.spikeRow]!, this.spikeBuf[p]!);
  }

  private stepSource(pop: SourcePop, p: number, n: number): void {
    let c = 0;
    const buf = this.spikeBuf[p]!;
    const mult = this.spikeMult[p]!;
    if (pop.kind === 'poisson') {
      for (let j = 0; j < pop.n; j++) {
        if (n < pop.startStep![j]! || n >= pop.stopStep![j]! || !(pop.lambda![j]! > 0)) continue;
        const k = poissonCount(uniform24(counterHash(pop.key!, j, n)), pop.lambda![j]!, pop.p0![j]!);
        if (k > 0) {
          buf[c] = j;
          mult[c++] = k;
        }
      }
    } else {
      const steps = pop.schedSteps!;
      while (pop.cursor < steps.length && steps[pop.cursor]! < n) pop.cursor++;
      while (pop.cursor < steps.length && steps[pop.cursor] === n) {
        const j = pop.schedIdx![pop.cursor++]!;
        if (c > 0 && buf[c - 1] === j) mult[c - 1]++;
        else {
          buf[c] = j;
          mult[c++] = 1;
        }
      }
    }
    this.spikeCount[p] = c;
  }

  private record(p: number, n: number, tEnd: number): void {
    const c = this.spikeCount[p]!;
    if (c === 0) return;
    const pp = this.plan.populations[p]!;
    const buf = this.spikeBuf[p]!;
    const mult = this.pops[p]!.kind === 'neuron' ? undefined : this.spikeMult[p]!;
    let total = 0;
    for (let k = 0; k < c; k++) {
      const m = mult ? mult[k]! : 1;
      total += m;
      if (pp.recordSpikes?.[buf[k]!]) for (let r = 0; r < m; r++) {
        this.recSteps[p]!.push(n);
        this.recIdx[p]!.push(buf[k]!);
      }
    }
    this.counts[p] = this.counts[p]! + total;
    if (pp.rateBin !== undefined) {
      const rc = this.rateCounts[p]!;
      const b = Math.min(rc.length - 1, Math.floor(tEnd / pp.rateBin + 1e-9));
      rc[b] = rc[b]! + total;
    }
  }

  /** Graded synapses and gap junctions from the current state: the inputs of the next step. */
  private gatherAll(): void {
    for (const { g, kernel, args, preRow } of this.gathers) {
      const pre = this.pops[g.pre] as NeuronPop;
      const post = this.pops[g.post] as NeuronPop;
      const into = post.gin[g.input.slice(4)]!;
      if (post.n === 0) continue;
      const r = kernel(pre.S[preRow]!, ...args) as Float32Array;
      if (g.assign) into.set(r.subarray(0, post.n));
      else for (let i = 0; i < post.n; i++) into[i] = into[i]! + r[i]!;
    }
  }

  output(wall: { buildMs: number; simMs: number }, choice: BackendChoice): SimulationOutput {
    const { counts, recSteps, recIdx, traceData, rateCounts } = this;
    return planOutput(this.plan, { counts, recSteps, recIdx, traceData, rateCounts, events: this.events }, { engine: 'gpu', threads: 1, ...wall, backend: choice.backend, backendReason: choice.reason });
  }
}

/** The full CSC (one column per postsynaptic neuron) of a gather whose empty columns were dropped. */
function expandColumns(g: GradedPlan, nPost: number): { colPtr: Int32Array; sources: Int32Array; arrays: Record<string, Float64Array> } {
  const colPtr = new Int32Array(nPost + 1);
  for (let c = 0; c < g.cols.length; c++) colPtr[g.cols[c]! + 1] = g.colPtr[c + 1]! - g.colPtr[c]!;
  for (let i = 0; i < nPost; i++) colPtr[i + 1] += colPtr[i]!;
  return { colPtr, sources: Int32Array.from(g.sources), arrays: g.arrays };
}

export type { ConcreteBackend };
