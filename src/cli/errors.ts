/** Turns errors into one clear line plus the fix, and a non-zero exit code. */
import { NematodeError } from '../errors.js';

export function reportError(e: unknown): number {
  if (e instanceof NematodeError) {
    process.stderr.write(`nematode: ${e.message}\n`);
    if (e.fix) process.stderr.write(`  fix: ${e.fix}\n`);
    return 1;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`nematode: internal error: ${err.message}\n${process.env.NEMATODE_DEBUG ? (err.stack ?? '') + '\n' : '  (set NEMATODE_DEBUG=1 for the stack trace)\n'}`);
  return 2;
}
