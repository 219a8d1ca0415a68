/**
 * The webgpu backend's WGSL kernels, under the kernel names the host backends use
 * (kernels/*.ts). Each is generated per network (constants inlined, buffers laid out by
 * src/engines/gpu/webgpu-layout.ts). Two of them run inside another kernel's dispatch
 * rather than as a dispatch of their own, to save a dispatch per population and step.
 */
import type { KernelName } from './common.js';

export const WGSL_KERNELS: Record<KernelName, { source: string; dispatch: string }> = {
  'neuron.update': { source: 'kernels/wgsl/neuron.ts', dispatch: 'per neuron population and step, one thread per neuron' },
  'inputs.drain': { source: 'kernels/wgsl/drain.ts', dispatch: 'inlined in neuron.update (ring slot → f32, cleared; timed and Poisson stimuli added)' },
  'spikes.compact': { source: 'kernels/wgsl/common.ts', dispatch: 'inlined at the end of neuron.update, poisson.counts and sources.array (workgroup-aggregated atomic append)' },
  'spikes.deliver': { source: 'kernels/wgsl/deliver.ts', dispatch: 'per step and synapse segment, one workgroup per spike' },
  'poisson.counts': { source: 'kernels/wgsl/poisson.ts, kernels/wgsl/sources.ts', dispatch: 'per Poisson source population and step; also called by inputs.drain for Poisson stimuli' },
  'sources.array': { source: 'kernels/wgsl/sources.ts', dispatch: 'per spike_source_array population, at steps with scheduled spikes' },
  'coupling.gather': { source: 'kernels/wgsl/gather.ts', dispatch: 'per graded/gap projection and step (and once before step 0), one thread per target' },
  'traces.sample': { source: 'kernels/wgsl/trace.ts', dispatch: 'per trace at its sampling steps, one thread per recorded neuron' },
};

export * from './common.js';
export { deliverKernel, type WgslDeliverSpec } from './deliver.js';
export { drainLines, type DrainReceptor, type PoissonStimSpec, type TimedInputSpec } from './drain.js';
export { gatherKernel, type WgslGatherSpec } from './gather.js';
export { neuronUpdateKernel, stateRows, type WgslNeuronLayout, type WgslNeuronSpec } from './neuron.js';
export { POISSON_TEMPLATE, poissonWgsl, templateCounterHash, templateFmix32 } from './poisson.js';
export { arraySourceKernel, poissonSourceKernel, type WgslArraySourceSpec, type WgslPoissonSourceSpec } from './sources.js';
export { traceKernel, type WgslTraceSpec } from './trace.js';
