/**
 * Backends of the gpu engine: which kernels run the network, and why.
 *
 * - `webgpu`: hand-written WGSL compute shaders (kernels/wgsl/) on a Dawn device of the
 *   `webgpu` package, with state, spike lists, rings and recordings on the device
 *   (src/engines/gpu/webgpu.ts). Needs a real adapter: none exists on a machine without
 *   a GPU (Mesa's lavapipe is rejected by Dawn; see ../shared/reference/gpu.md). Dawn's
 *   Null adapter (`backend=null`) validates shaders and pipelines but executes nothing,
 *   so it is used by the tests only and never chosen to run.
 *   This backend does not go through gpu.js: gpu.js's webgpu mode owns its device and
 *   its buffers and has no atomics, so the fixed-point scatter (atomicAdd into rings
 *   shared by every projection), the spike compaction and the device-side recordings
 *   could not share buffers with its kernels; issue 4 allows hand-written WGSL under the
 *   same kernel names.
 * - `webasm`: gpu.js's WebAssembly compiler (float32, SIMD).
 * - `cpu`: gpu.js compiles kernels to JavaScript.
 *
 * `auto` takes webgpu when a real adapter answers, else webasm, which measured faster
 * than cpu on the project's 2-core machine (docs/benchmarks.md, "gpu engine"): the
 * reason is reported with the run.
 */
/// <reference types="@webgpu/types" />
import { existsSync } from 'node:fs';
import gpujs from 'gpu.js';
import { UnsupportedError } from '../../errors.js';
import type { GpuBackendName } from '../../ir/types.js';

export type ConcreteBackend = Exclude<GpuBackendName, 'auto'>;

export interface BackendChoice {
  backend: ConcreteBackend;
  reason: string;
}

const VULKAN_LOADER = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1', '/lib/x86_64-linux-gnu/libvulkan.so.1'];

let webgpuProbe: Promise<{ ok: boolean; reason: string }> | undefined;

interface WebGpuModule {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

async function loadWebGpu(): Promise<WebGpuModule> {
  const mod = (await import('webgpu')) as unknown as WebGpuModule;
  Object.assign(globalThis, mod.globals);
  return mod;
}

/** The process's Dawn instance for real adapters (navigator.gpu, shared with gpu.js). */
async function realGpu(): Promise<GPU> {
  const mod = await loadWebGpu();
  const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
  g.navigator ??= {} as never;
  g.navigator!.gpu ??= mod.create([]);
  return g.navigator!.gpu!;
}

/** Dawn's Null adapter executes nothing: it must never run a simulation. */
export function isNullAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo | undefined;
  return !info || info.device === 'null-backend' || (!info.vendor && !info.architecture && !info.description && !info.device);
}

/** One line naming an adapter. */
export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') || '(no adapter info)';
}

/** Whether a WebGPU adapter answers (probed once per process; never throws). */
export function probeWebGpu(): Promise<{ ok: boolean; reason: string }> {
  webgpuProbe ??= (async () => {
    // Without the Vulkan loader Dawn finds no adapter (and says so on stderr): skip the probe.
    const searched = [...VULKAN_LOADER, ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean).map((d) => `${d}/libvulkan.so.1`)];
    if (process.platform === 'linux' && !searched.some((p) => existsSync(p))) {
      return { ok: false, reason: 'no Vulkan loader (libvulkan.so.1, Debian package libvulkan1), so no WebGPU adapter' };
    }
    try {
      const gpu = await realGpu();
      const adapter = await Promise.race([gpu.requestAdapter({ powerPreference: 'high-performance' }), new Promise<null>((r) => setTimeout(() => r(null), 5000).unref())]);
      if (!adapter) return { ok: false, reason: 'no WebGPU adapter (no GPU, or no Vulkan driver for it)' };
      if (isNullAdapter(adapter)) return { ok: false, reason: "only Dawn's Null adapter answered (it executes nothing)" };
      if (adapter.info.isFallbackAdapter) return { ok: false, reason: `only a fallback (CPU) WebGPU adapter answered (${describeAdapter(adapter)})` };
      return { ok: true, reason: `a WebGPU adapter answered (${describeAdapter(adapter)})` };
    } catch (e) {
      return { ok: false, reason: `the webgpu package did not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` };
    }
  })();
  return webgpuProbe;
}

/** The gpu.js instance for a backend. */
export function createGpu(backend: ConcreteBackend): InstanceType<typeof gpujs.GPU> {
  return new gpujs.GPU({ mode: backend });
}

let nullInstance: GPU | undefined;

/** Device limits the webgpu backend asks for: the adapter's largest buffers and storage bindings. */
const WANTED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupStorageSize'] as const;

export interface WebGpuDevice {
  device: GPUDevice;
  adapter: string;
  /** True for Dawn's Null backend: shaders and pipelines are validated, nothing executes. */
  validationOnly: boolean;
}

/**
 * A device for the webgpu backend: on a real adapter (high-performance, never the Null
 * adapter), or, with `nullBackend`, on Dawn's Null backend for validation. Throws when
 * none answers.
 */
export async function requestWebGpuDevice(opts: { nullBackend?: boolean } = {}): Promise<WebGpuDevice> {
  // The instance is kept for the process: Dawn's devices die (natively) when their instance is collected.
  const gpu = opts.nullBackend ? (nullInstance ??= (await loadWebGpu()).create(['backend=null'])) : await realGpu();
  const adapter = await gpu.requestAdapter(opts.nullBackend ? {} : { powerPreference: 'high-performance' });
  const fail = (why: string) =>
    new UnsupportedError(`gpu engine: backend "webgpu" has no device: ${why}. Use --backend webasm or cpu.`, { object: 'run settings', parameter: 'backend', expected: 'webasm, cpu', fix: '--backend webasm' });
  if (!adapter) throw fail('no WebGPU adapter answered');
  if (!opts.nullBackend && isNullAdapter(adapter)) throw fail("only Dawn's Null adapter answered, and it executes nothing");
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) requiredLimits[k] = (adapter.limits as unknown as Record<string, number>)[k]!;
  const device = await adapter.requestDevice({ requiredLimits });
  return { device, adapter: describeAdapter(adapter), validationOnly: !!opts.nullBackend };
}
