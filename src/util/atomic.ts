/**
 * Atomic file writes: the data goes to a temp file in the target's directory, is
 * fsynced, then renamed over the target, so readers see either the old file or
 * the complete new one, never a partial write. On failure the temp file is removed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `.<basename>.tmp-<pid>-<random>` next to the target (same filesystem, so rename is atomic). */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Deletes a file; a missing file is not an error. */
export function removeIfExists(path: string): void {
  rmSync(path, { force: true });
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    // Best effort: a failing cleanup must not hide the original error.
    try {
      removeIfExists(tmp);
    } catch {}
    throw err;
  }
}

export async function writeFileAtomicAsync(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
