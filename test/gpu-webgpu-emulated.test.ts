/**
 * The webgpu backend's agreement suite (test/gpu-agreement.ts: the one the GPU machine
 * runs in test/gpu-engine.test.ts) through the engine's own entry point (simulate →
 * chooseBackend → device → WebGpuSimulation), with the adapter probe answering and the
 * device replaced by test/wgsl-emulator.ts, which executes the generated WGSL on the
 * CPU with WGSL's arithmetic. What this cannot check: the GPU's own execution (its exp/
 * log accuracy, fused multiply-adds, memory ordering between dispatches, limits, speed).
 */
import { describe, expect, test, vi } from 'vitest';
import { simulate } from '../src/simulate.js';
import { chooseBackend } from '../src/engines/gpu/index.js';
import { agreementSuite, buildNet, type Case } from './gpu-agreement.js';
import { EmulatedDevice } from './wgsl-emulator.js';

vi.mock('../src/engines/gpu/backend.js', async (original) => {
  const real = (await original()) as Record<string, unknown>;
  // GPUBufferUsage and friends, which the runtime reads.
  Object.assign(globalThis, ((await import('webgpu')) as unknown as { globals: object }).globals);
  return {
    ...real,
    probeWebGpu: async () => ({ ok: true, reason: 'an emulated adapter answered (test/wgsl-emulator.ts)' }),
    requestWebGpuDevice: async () => ({ device: new EmulatedDevice(), adapter: 'WGSL emulator', validationOnly: false }),
  };
});

describe('webgpu backend on the WGSL emulator: the agreement suite of the GPU machine', () => {
  agreementSuite(['webgpu']);

  test('auto takes webgpu when an adapter answers; the run names it and says it is experimental', async () => {
    expect((await chooseBackend('auto')).backend).toBe('webgpu');
    const c: Case = { model: 'IF_curr_exp', params: { tau_refrac: 2, i_offset: 0.2 }, weight: 1, inhibitory: -0.1, size: 40, p: 0.1, seed: 3, duration: 50 };
    const out = await simulate(buildNet(c, 'gpu', 'webgpu'));
    expect(out.stats.backend).toBe('webgpu');
    expect(out.stats.backendReason).toMatch(/experimental: validated with Dawn's null backend only, not yet run on a GPU/);
  });
});
