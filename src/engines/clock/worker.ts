/** Worker-thread entry of the clock engine: prepares its slice of the step loop, says `ready`, runs it. */
import { parentPort, workerData } from 'node:worker_threads';
import { abortRun, prepareWorker } from './loop.js';
import type { ClockPlan } from './plan.js';

const { plan, index } = workerData as { plan: ClockPlan; index: number };
try {
  const run = prepareWorker(plan, index);
  parentPort!.postMessage({ ready: true });
  const result = run();
  parentPort!.postMessage({ ok: true, result });
} catch (e) {
  abortRun(plan);
  parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
}
