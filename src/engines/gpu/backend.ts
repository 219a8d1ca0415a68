/**
 * Backends of the gpu engine: which gpu.js mode runs the kernels, and why.
 *
 * - `webgpu`: WGSL compute shaders through the `webgpu` package (Dawn). Needs an adapter:
 *   none exists on a machine without a GPU (Mesa's lavapipe is rejected by Dawn; see
 *   ../shared/reference/gpu.md).
 * - `webasm`: gpu.js's WebAssembly compiler (float32, SIMD).
 * - `cpu`: gpu.js compiles kernels to JavaScript.
 *
 * `auto` takes webgpu when an adapter answers and the network runs there, else webasm,
 * which measured faster than cpu on the project's 2-core machine (docs/benchmarks.md,
 * "gpu engine"): the reason is reported with the run.
 */
import { existsSync } from 'node:fs';
import gpujs from 'gpu.js';
import type { GpuBackendName } from '../../ir/types.js';

export type ConcreteBackend = Exclude<GpuBackendName, 'auto'>;

export interface BackendChoice {
  backend: ConcreteBackend;
  reason: string;
}

const VULKAN_LOADER = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1', '/lib/x86_64-linux-gnu/libvulkan.so.1'];

let webgpuProbe: Promise<{ ok: boolean; reason: string }> | undefined;

/** Whether a WebGPU adapter answers (probed once per process; never throws). */
export function probeWebGpu(): Promise<{ ok: boolean; reason: string }> {
  webgpuProbe ??= (async () => {
    // Without the Vulkan loader Dawn finds no adapter (and says so on stderr): skip the probe.
    const searched = [...VULKAN_LOADER, ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean).map((d) => `${d}/libvulkan.so.1`)];
    if (process.platform === 'linux' && !searched.some((p) => existsSync(p))) {
      return { ok: false, reason: 'no Vulkan loader (libvulkan.so.1, Debian package libvulkan1), so no WebGPU adapter' };
    }
    try {
      const mod = (await import('webgpu')) as unknown as { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
      const g = globalThis as unknown as { navigator?: { gpu?: { requestAdapter: () => Promise<unknown> } } };
      Object.assign(globalThis, mod.globals);
      g.navigator ??= {} as never;
      g.navigator!.gpu ??= mod.create([]) as never;
      const adapter = await Promise.race([g.navigator!.gpu!.requestAdapter(), new Promise((r) => setTimeout(() => r(null), 5000).unref())]);
      return adapter ? { ok: true, reason: 'a WebGPU adapter answered' } : { ok: false, reason: 'no WebGPU adapter (no GPU, or no Vulkan driver for it)' };
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
