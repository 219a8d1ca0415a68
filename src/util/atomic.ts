/**
 * Atomic file writes: the data goes to a temp file in the target's directory, is
 * fsynced, then renamed over the target, so readers see either the old file or
 * the complete new one, never a partial write. On failure the temp file is removed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FileFormatError } from '../errors.js';

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

/**
 * Writes a whole directory atomically: `fill` writes into a fresh temporary directory
 * next to `path` (same filesystem), which is then renamed to `path`. If `path` already
 * exists it must be a directory that `replaceable` accepts; it is moved aside, the new
 * one renamed into place, and the old one deleted (on a failure in between the old one
 * is put back). On any failure the temporary directory and any parent directories this
 * call created are removed, so nothing partial is left behind.
 */
export async function writeDirectoryAtomic(
  path: string,
  fill: (dir: string) => Promise<void>,
  replaceable: (existing: string) => boolean,
): Promise<void> {
  const target = resolve(path);
  const parent = dirname(target);
  const tag = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const tmp = join(parent, `.${basename(target)}.tmp-${tag}`);
  const checkExisting = async (): Promise<boolean> => {
    const st = await stat(target).catch(() => undefined);
    if (!st) return false;
    if (!st.isDirectory() || !replaceable(target)) {
      throw new FileFormatError(`"${path}" exists and is not a folder this command wrote, so it is left untouched.`, {
        object: `folder "${path}"`,
        fix: 'choose a new folder for --out, or remove this one first',
      });
    }
    return true;
  };
  await checkExisting();
  const created = await mkdir(parent, { recursive: true });
  try {
    await mkdir(tmp);
    await fill(tmp);
    if (await checkExisting()) {
      const old = join(parent, `.${basename(target)}.old-${tag}`);
      await rename(target, old);
      try {
        await rename(tmp, target);
      } catch (err) {
        await rename(old, target).catch(() => {});
        throw err;
      }
      // The new directory is in place: a failure to delete the old one must not undo it.
      await rm(old, { recursive: true, force: true }).catch(() => {});
    } else {
      await rename(tmp, target);
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (created) await rm(created, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}
