/**
 * The gpu engine's webgpu backend: the network on a Dawn device (the `webgpu` package),
 * its state, spike lists, rings and recordings resident on the device for the whole run,
 * read back in bulk every K steps, never per step.
 *
 * Per step, in one compute pass (each dispatch sees the previous one's writes):
 *   per population in IR order: `traces.sample` at sampling steps, then `neuron.update`
 *   (with `inputs.drain` and `spikes.compact` inlined) or the source kernel
 *   (`poisson.counts`, `sources.array`); then `spikes.deliver` per synapse segment; then
 *   `coupling.gather` per graded/gap projection (read by the next step).
 * The step block (group 0: step number, index in the batch, ring slot, timed-input and
 * schedule fields) is one 256-byte slot per step of a uniform buffer written once per
 * batch and bound with a dynamic offset: one setBindGroup per step, then per kernel
 * setPipeline + setBindGroup + dispatch. Command buffers are submitted every
 * `stepsPerSubmit` steps, so the GPU runs while the next steps are encoded.
 *
 * DC/step current changes split the command stream at their step: the host writes the
 * istim row (queue.writeBuffer is ordered between submissions), re-solves the Kunert
 * equilibrium as the other backends do and writes the threshold row.
 *
 * At the end of a batch the counters (spikes per step and population, records, events),
 * the record buffer and the trace buffer are copied to one of two staging sets; the host
 * maps and decodes batch b while batch b + 1 runs. A record count above the buffer's
 * capacity stops the run with an error (webgpu-layout.ts checkRecords).
 */
/// <reference types="@webgpu/types" />
import { SimulationError } from '../../errors.js';
import type { ResolvedNetwork } from '../../ir/validate.js';
import { applyEquilibrium, type ClockPlan } from '../clock/plan.js';
import type { SimulationOutput } from '../types.js';
import { packSteps, stepStride } from '../../../kernels/wgsl/index.js';
import type { BackendChoice } from './backend.js';
import { planOutput } from '../clock/output.js';
import { buildLayout, checkRecords, nextBatchSize, type LayoutOptions, type WebGpuNetwork } from './webgpu-layout.js';

export interface WebGpuRunOptions {
  onProgress?: (fraction: number) => void;
  /** Steps per command-buffer submission (default 64). */
  stepsPerSubmit?: number;
  /** Run only this many steps (validation runs). */
  maxSteps?: number;
  layout?: Partial<LayoutOptions>;
}

interface Staging {
  cnt: GPUBuffer;
  rec?: GPUBuffer;
  trace?: GPUBuffer;
}

interface Pending {
  done: Promise<unknown>;
  staging: Staging;
  from: number;
  to: number;
}

const STORAGE = () => GPUBufferUsage.STORAGE;

export class WebGpuSimulation {
  readonly layout: WebGpuNetwork;
  private readonly buffers = new Map<string, GPUBuffer>();
  private pipelines: GPUComputePipeline[] = [];
  private bindGroups: GPUBindGroup[] = [];
  private stepBuffer!: GPUBuffer;
  private stepGroup!: GPUBindGroup;
  private readonly stride: number;
  private readonly errors: string[] = [];
  private staging: Staging[] = [];

  // Results.
  private readonly counts: number[];
  private readonly rateCounts: Float64Array[];
  private readonly recSteps: number[][];
  private readonly recIdx: number[][];
  private readonly traceData: Float64Array[][];
  private deviceEvents = 0;
  private hostEvents = 0;
  private nextEvent: number[];
  private K: number;

  constructor(
    net: ResolvedNetwork,
    private readonly plan: ClockPlan,
    private readonly device: GPUDevice,
    private readonly validationOnly: boolean,
    layoutOptions: Partial<LayoutOptions> = {},
  ) {
    const limits = device.limits;
    this.layout = buildLayout(net, plan, { maxBindingBytes: Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize), ...layoutOptions });
    this.stride = stepStride(this.layout.stepExtras);
    this.K = this.layout.batch.K;
    const { dt, steps } = plan;
    this.counts = plan.populations.map(() => 0);
    this.rateCounts = plan.populations.map((pp) => new Float64Array(pp.rateBin !== undefined ? Math.max(1, Math.ceil((steps * dt) / pp.rateBin - 1e-9)) : 0));
    this.recSteps = plan.populations.map(() => []);
    this.recIdx = plan.populations.map(() => []);
    this.traceData = plan.populations.map((pp) => pp.traces.map((tr) => new Float64Array(tr.data.length)));
    this.nextEvent = plan.populations.map(() => 0);
    this.hasHostEvents = plan.populations.some((pp) => pp.timedInputs.length > 0);
    device.addEventListener('uncapturederror', this.onError);
  }

  private readonly onError = (e: Event) => this.errors.push((e as GPUUncapturedErrorEvent).error.message);

  private fail(what: string): void {
    if (this.errors.length > 0) throw new SimulationError(`gpu engine (webgpu): ${what}: ${this.errors.join('; ')}`, { object: 'webgpu device' });
  }

  /** Creates buffers (filled through mappedAtCreation), compiles every kernel and binds it. */
  async build(): Promise<void> {
    const d = this.device;
    const L = this.layout;
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('validation');
    const mapped: { buffer: GPUBuffer; data: ArrayBuffer; spec: (typeof L.buffers)[number] }[] = [];
    for (const spec of L.buffers) {
      const usage = STORAGE() | GPUBufferUsage.COPY_DST | (spec.readback ? GPUBufferUsage.COPY_SRC : 0);
      let buffer: GPUBuffer;
      try {
        buffer = d.createBuffer({ label: spec.id, size: spec.bytes, usage, mappedAtCreation: spec.init !== undefined });
      } catch (e) {
        for (const b of this.buffers.values()) b.destroy();
        throw new SimulationError(`gpu engine (webgpu): the device could not allocate buffer "${spec.id}" (${spec.bytes} bytes): ${e instanceof Error ? e.message : String(e)}`, { object: 'webgpu device' });
      }
      this.buffers.set(spec.id, buffer);
      if (spec.init) mapped.push({ buffer, data: buffer.getMappedRange(), spec });
    }
    for (const m of mapped) m.spec.init!(m.data);
    for (const m of mapped) m.buffer.unmap();

    this.stepBuffer = d.createBuffer({ label: 'steps', size: L.maxBatch * this.stride, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const stepLayout = d.createBindGroupLayout({
      label: 'step block',
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: this.stride } }],
    });
    this.stepGroup = d.createBindGroup({ layout: stepLayout, entries: [{ binding: 0, resource: { buffer: this.stepBuffer, offset: 0, size: this.stride } }] });

    const compiled = await Promise.all(
      L.kernels.map(async (k) => {
        const module = d.createShaderModule({ label: k.label, code: k.code });
        const info = await module.getCompilationInfo();
        const errs = info.messages.filter((m) => m.type === 'error');
        if (errs.length > 0) throw new SimulationError(`gpu engine (webgpu): WGSL of ${k.label} does not compile: ${errs.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`, { object: k.label });
        const layout = d.createBindGroupLayout({
          label: k.label,
          entries: k.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) } })),
        });
        let pipeline: GPUComputePipeline;
        try {
          pipeline = await d.createComputePipelineAsync({
            label: k.label,
            layout: d.createPipelineLayout({ bindGroupLayouts: [stepLayout, layout] }),
            compute: { module, entryPoint: 'main' },
          });
        } catch (e) {
          throw new SimulationError(`gpu engine (webgpu): the pipeline of ${k.label} failed validation: ${e instanceof Error ? e.message : String(e)}`, { object: k.label });
        }
        const group = d.createBindGroup({
          label: k.label,
          layout,
          entries: k.bindings.map((b) => {
            const buffer = this.buffers.get(b.buffer);
            if (!buffer) throw new SimulationError(`gpu engine (webgpu): ${k.label} binds buffer "${b.buffer}", which the layout does not create`, { object: k.label });
            return { binding: b.binding, resource: { buffer } };
          }),
        });
        return { pipeline, group };
      }),
    );
    this.pipelines = compiled.map((c) => c.pipeline);
    this.bindGroups = compiled.map((c) => c.group);

    const cnt = this.buffers.get('cnt')!;
    const makeStaging = (): Staging => ({
      cnt: d.createBuffer({ label: 'cnt readback', size: cnt.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      ...(this.buffers.has('rec') ? { rec: d.createBuffer({ label: 'rec readback', size: this.buffers.get('rec')!.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) } : {}),
      ...(this.buffers.has('trace') ? { trace: d.createBuffer({ label: 'trace readback', size: this.buffers.get('trace')!.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) } : {}),
    });
    this.staging = [makeStaging(), makeStaging()];
    // Dawn copies what was written through mappedAtCreation at the next submission: do it now,
    // so that the upload of the synapses counts as build time, not simulation time.
    d.queue.submit([]);
    await d.queue.onSubmittedWorkDone();
    const validation = await d.popErrorScope();
    const oom = await d.popErrorScope();
    if (validation) throw new SimulationError(`gpu engine (webgpu): building the network on the device failed validation: ${validation.message}`, { object: 'webgpu device' });
    if (oom) throw new SimulationError(`gpu engine (webgpu): the device ran out of memory building the network: ${oom.message}`, { object: 'webgpu device' });
    this.fail('building the network');
  }

  private dispatch(pass: GPUComputePassEncoder, kernel: number, groups: [number, number]): void {
    pass.setPipeline(this.pipelines[kernel]!);
    pass.setBindGroup(1, this.bindGroups[kernel]!);
    pass.dispatchWorkgroups(groups[0], groups[1]);
  }

  /** What a step dispatches, in order (built once): always, at a trace's sampling steps, or at a schedule's steps. */
  private program?: ({ kernel: number; groups: [number, number] } | { trace: number } | { array: number })[];

  private buildProgram(): NonNullable<WebGpuSimulation['program']> {
    const L = this.layout;
    const prog: NonNullable<WebGpuSimulation['program']> = [];
    L.pops.forEach((pop, p) => {
      if (pop.kernel === undefined) return; // a neuron population run by its group's kernel
      // Traces sample every member's state before the update.
      for (const m of pop.members ?? [p]) for (const t of L.pops[m]!.traces) if (L.traces[t]!.count > 0) prog.push({ trace: t });
      if (pop.kind === 'array') prog.push({ array: p });
      else if ((pop.kind === 'neuron' ? pop.width! : pop.n) > 0) prog.push({ kernel: pop.kernel, groups: pop.groups! });
    });
    for (const dl of L.deliveries) prog.push(dl);
    for (const g of L.gathers) prog.push(g);
    return prog;
  }

  /** Encodes one step (the step block of batch index k is already written). */
  private encodeStep(pass: GPUComputePassEncoder, n: number, k: number): void {
    const L = this.layout;
    pass.setBindGroup(0, this.stepGroup, [k * this.stride]);
    for (const item of (this.program ??= this.buildProgram())) {
      if ('kernel' in item) this.dispatch(pass, item.kernel, item.groups);
      else if ('trace' in item) {
        const tr = L.traces[item.trace]!;
        if (n % tr.interval === 0) this.dispatch(pass, tr.kernel, tr.groups);
      } else {
        const pop = L.pops[item.array]!;
        const r = pop.arraySteps!.get(n);
        if (r && r[1] > r[0]) this.dispatch(pass, pop.kernel!, [Math.ceil((r[1] - r[0]) / L.kernels[pop.kernel!]!.workgroupSize), 1]);
      }
    }
    if (this.hasHostEvents) this.hostEvents += L.hostEventsAt(n);
  }

  private readonly hasHostEvents: boolean;

  /** The next step with DC/step current changes (Infinity when none is left). */
  private nextCurrentStep(): number {
    let next = Infinity;
    this.plan.populations.forEach((pp, p) => {
      const e = pp.currentEvents[this.nextEvent[p]!];
      if (e && e.step < next) next = e.step;
    });
    return next;
  }

  private applyCurrentEvents(n: number): void {
    const q = this.device.queue;
    let changed = false;
    this.plan.populations.forEach((pp, p) => {
      let touched = false;
      while (this.nextEvent[p]! < pp.currentEvents.length && pp.currentEvents[this.nextEvent[p]!]!.step <= n) {
        const ev = pp.currentEvents[this.nextEvent[p]!++]!;
        const istim64 = pp.arrays.istim as Float64Array;
        for (const i of ev.indices) istim64[i] = istim64[i]! + ev.delta;
        touched = true;
        changed = true;
      }
      const pop = this.layout.pops[p]!;
      if (touched && pop.kind === 'neuron' && pop.istimAt !== undefined && pp.size > 0) {
        q.writeBuffer(this.buffers.get(`const:${pop.group}`)!, pop.istimAt * 4, Float32Array.from(pp.arrays.istim as Float64Array));
      }
    });
    if (changed && this.plan.equilibrium) {
      applyEquilibrium(this.plan);
      for (const p of this.plan.equilibrium.pops) {
        const pop = this.layout.pops[p]!;
        const target = this.plan.equilibriumTarget[p]!;
        const row = pop.rows!.indexOf(target);
        if (pop.n > 0) q.writeBuffer(this.buffers.get(`state:${pop.group}`)!, (row * pop.width! + pop.offset!) * 4, Float32Array.from(this.plan.populations[p]!.arrays[`s_${target}`] as Float64Array));
      }
    }
  }

  async run(opts: WebGpuRunOptions = {}): Promise<void> {
    const d = this.device;
    const L = this.layout;
    const steps = Math.min(this.plan.steps, opts.maxSteps ?? Infinity);
    const perSubmit = Math.max(1, opts.stepsPerSubmit ?? 64);
    const slots = L.ring?.slots ?? 1;
    const cnt = this.buffers.get('cnt')!;
    const pending: (Pending | undefined)[] = [undefined, undefined];

    // Coupling of step 0 reads the initial state.
    if (L.gathers.length > 0) {
      d.queue.writeBuffer(this.stepBuffer, 0, packSteps(1, L.stepExtras, () => ({ step: 0, slot: 0 })));
      const enc = d.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setBindGroup(0, this.stepGroup, [0]);
      for (const g of L.gathers) this.dispatch(pass, g.kernel, g.groups);
      pass.end();
      d.queue.submit([enc.finish()]);
    }

    let n = 0;
    let b = 0;
    let nextCurrent = this.nextCurrentStep();
    while (n < steps) {
      const slot = b % 2;
      if (pending[slot]) {
        await this.settle(pending[slot]!);
        pending[slot] = undefined;
      }
      const K = Math.min(this.K, steps - n);
      const from = n;
      d.queue.writeBuffer(this.stepBuffer, 0, packSteps(K, L.stepExtras, (k) => ({ step: from + k, slot: (from + k) % slots, x: L.extrasAt(from + k) })));
      let enc = d.createCommandEncoder();
      enc.clearBuffer(cnt, L.counters.clearFrom * 4, (L.counters.words - L.counters.clearFrom) * 4);
      let pass = enc.beginComputePass();
      const flush = () => {
        pass.end();
        d.queue.submit([enc.finish()]);
        enc = d.createCommandEncoder();
        pass = enc.beginComputePass();
      };
      for (let k = 0; k < K; k++) {
        const step = from + k;
        if (step >= nextCurrent) {
          flush();
          this.applyCurrentEvents(step);
          nextCurrent = this.nextCurrentStep();
        }
        this.encodeStep(pass, step, k);
        if ((k + 1) % perSubmit === 0 && k + 1 < K) {
          flush();
          opts.onProgress?.((step + 1) / this.plan.steps);
        }
      }
      pass.end();
      const st = this.staging[slot]!;
      enc.copyBufferToBuffer(cnt, 0, st.cnt, 0, cnt.size);
      if (st.rec) enc.copyBufferToBuffer(this.buffers.get('rec')!, 0, st.rec, 0, st.rec.size);
      if (st.trace) enc.copyBufferToBuffer(this.buffers.get('trace')!, 0, st.trace, 0, st.trace.size);
      d.queue.submit([enc.finish()]);
      const maps = [st.cnt, st.rec, st.trace].filter((x): x is GPUBuffer => x !== undefined).map((x) => x.mapAsync(GPUMapMode.READ));
      pending[slot] = { done: Promise.all(maps), staging: st, from, to: from + K };
      n += K;
      b++;
      opts.onProgress?.(n / this.plan.steps);
    }
    // The last two batches, in order.
    for (const s of [b % 2, (b + 1) % 2]) {
      if (pending[s]) await this.settle(pending[s]!);
      pending[s] = undefined;
    }
    this.fail('running the network');
  }

  /** Waits for a batch's read-back, decodes it (unless validating only), unmaps. */
  private async settle(p: Pending): Promise<void> {
    await p.done;
    this.fail('running the network');
    const st = p.staging;
    try {
      if (!this.validationOnly) this.decode(p);
    } finally {
      st.cnt.unmap();
      st.rec?.unmap();
      st.trace?.unmap();
    }
  }

  private decode(p: Pending): void {
    const L = this.layout;
    const C = L.counters;
    const cnt = new Uint32Array(p.staging.cnt.getMappedRange());
    this.deviceEvents = cnt[C.evHi]! * 2 ** 32 + cnt[C.evLo]!;
    const { dt } = this.plan;
    const K = p.to - p.from;
    this.plan.populations.forEach((pp, q) => {
      const rc = this.rateCounts[q]!;
      for (let k = 0; k < K; k++) {
        const c = cnt[C.pop + k * C.pops + q]!;
        if (c === 0) continue;
        this.counts[q] = this.counts[q]! + c;
        if (pp.rateBin !== undefined) {
          const bin = Math.min(rc.length - 1, Math.floor(((p.from + k + 1) * dt) / pp.rateBin + 1e-9));
          rc[bin] = rc[bin]! + c;
        }
      }
    });
    if (p.staging.rec) {
      const count = cnt[C.rec]!;
      checkRecords(count, L.batch.recordCapacity, p);
      const rec = new Uint32Array(p.staging.rec.getMappedRange());
      const gid0 = L.pops.map((x) => x.gid0);
      const G = Math.max(1, L.totalGids);
      // Entries of a step are unordered: sort by (step, global id), i.e. per population by (step, index).
      const order = new Float64Array(count);
      for (let e = 0; e < count; e++) order[e] = rec[2 * e]! * G + rec[2 * e + 1]!;
      order.sort();
      for (let e = 0; e < count; e++) {
        const key = order[e]!;
        const step = Math.floor(key / G);
        const gid = key - step * G;
        // The last population starting at or before gid (an empty one shares its start with the next).
        let lo = 0;
        let hi = gid0.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (gid0[mid]! <= gid) lo = mid;
          else hi = mid - 1;
        }
        this.recSteps[lo]!.push(step);
        this.recIdx[lo]!.push(gid - gid0[lo]!);
      }
      this.K = nextBatchSize(this.K, count, L.batch.recordCapacity, L.batch.guaranteed);
    }
    if (p.staging.trace) {
      const tr = new Float32Array(p.staging.trace.getMappedRange());
      const perPop = this.plan.populations.map(() => 0);
      L.traces.forEach((t) => {
        const k = perPop[t.pop]!++;
        const data = this.traceData[t.pop]![k]!;
        for (let s = Math.ceil(p.from / t.interval); s * t.interval < p.to; s++) {
          const base = t.regionAt + (s % t.slots) * t.count;
          for (let i = 0; i < t.count; i++) data[s * t.count + i] = tr[base + i]!;
        }
      });
    }
  }

  output(wall: { buildMs: number; simMs: number }, choice: BackendChoice): SimulationOutput {
    const { counts, recSteps, recIdx, traceData, rateCounts } = this;
    return planOutput(this.plan, { counts, recSteps, recIdx, traceData, rateCounts, events: this.deviceEvents + this.hostEvents }, { engine: 'gpu', threads: 1, ...wall, backend: choice.backend, backendReason: choice.reason });
  }

  destroy(): void {
    this.device.removeEventListener('uncapturederror', this.onError);
    for (const b of this.buffers.values()) b.destroy();
    for (const s of this.staging) {
      s.cnt.destroy();
      s.rec?.destroy();
      s.trace?.destroy();
    }
    this.stepBuffer?.destroy();
  }
}
