/**
 * A sweep worker thread: runs the points the parent sends, one at a time, and answers
 * each with its outcome or its error. The parent alone writes the database.
 */
import { parentPort } from 'node:worker_threads';
import { NematodeError } from '../errors.js';
import { runPoint, type PointJob } from './run-point.js';

export type WorkerRequest = { id: string; job: PointJob };
export type WorkerReply =
  | { id: string; ok: true; outcome: Awaited<ReturnType<typeof runPoint>> }
  | { id: string; ok: false; error: string; kind: string };

if (parentPort) {
  const port = parentPort;
  port.on('message', async (m: WorkerRequest) => {
    try {
      const outcome = await runPoint(m.job);
      port.postMessage({ id: m.id, ok: true, outcome } satisfies WorkerReply);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const msg = err instanceof NematodeError ? err.message + (err.fix ? ` (fix: ${err.fix})` : '') : `internal error: ${err.message}`;
      port.postMessage({ id: m.id, ok: false, error: msg, kind: err.name } satisfies WorkerReply);
    }
  });
  port.postMessage({ ready: true });
}
