/** Worker-thread entry of the clock engine: runs its slice of the step loop. */
import { parentPort, workerData } from 'node:worker_threads';
import { abortRun, runWorker } from './loop.js';
import type { ClockPlan } from './plan.js';

const { plan, index } = workerData as { plan: ClockPlan; index: number };
parentPort!.postMessage({ ready: true });
try {
  const result = runWorker(plan, index);
  parentPort!.postMessage({ ok: true, result });
} catch (e) {
  abortRun(plan);
  parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
}
