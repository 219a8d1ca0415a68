/**
 * Where the connectome data live, and checksum-verified reads from there.
 *
 * Order: the `dataDir` option (CLI `--data-dir`), the NEMATODE_DATA environment
 * variable, `../shared/connectomes` beside the checkout (beside the package
 * root), then the per-user cache ($XDG_CACHE_HOME/nematode/connectomes or
 * ~/.cache/nematode/connectomes). A directory counts when it holds `celegans/`.
 * A directory named explicitly (option or variable) that lacks `celegans/` is an
 * error rather than silently skipped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChecksumMismatchError, DataUnavailableError } from './errors.js';
import { manifestEntry, packageRoot } from './manifest.js';

export type DataDirSource = 'flag' | 'env' | 'beside-checkout' | 'cache';

/** The per-user cache that `nematode connectome fetch` fills by default. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'nematode', 'connectomes');
}

/** `<package root>/../shared/connectomes`. */
export function besideCheckoutDir(): string {
  return resolve(packageRoot(), '..', 'shared', 'connectomes');
}

const hasData = (dir: string) => existsSync(join(dir, 'celegans')) && statSync(join(dir, 'celegans')).isDirectory();

/** How to get the data, for error messages. */
export function howToGetData(env: NodeJS.ProcessEnv = process.env): string {
  return (
    'To get the data: pass --data-dir DIR (API: { dataDir: DIR }) or set NEMATODE_DATA=DIR, where DIR holds celegans/ ' +
    '(originals in celegans/original/, file names in connectomes/manifest.json); or put it beside the checkout as ' +
    `../shared/connectomes/celegans/ (here ${besideCheckoutDir()}/celegans/); or run \`nematode connectome fetch\` ` +
    `to download the originals into ${cacheDir(env)}.`
  );
}

const FETCH_FIX = 'run `nematode connectome fetch` (or see docs/connectome.md)';

/** Resolves the data directory (see the module comment for the order). `env` and `beside` exist for tests. */
export function resolveDataDir(
  opts: { dataDir?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
  beside: string = besideCheckoutDir(),
): { dir: string; source: DataDirSource } {
  const named: [string | undefined, DataDirSource, string][] = [
    [opts.dataDir, 'flag', '--data-dir'],
    [env.NEMATODE_DATA || undefined, 'env', 'NEMATODE_DATA'],
  ];
  for (const [d, source, what] of named) {
    if (d === undefined) continue;
    const dir = resolve(d);
    if (hasData(dir)) return { dir, source };
    throw new DataUnavailableError(`${what} ${dir} holds no celegans/ folder. ${howToGetData(env)}`, { object: what, fix: FETCH_FIX });
  }
  if (hasData(beside)) return { dir: beside, source: 'beside-checkout' };
  const cache = cacheDir(env);
  if (hasData(cache)) return { dir: cache, source: 'cache' };
  throw new DataUnavailableError(
    `C. elegans connectome data not found (no --data-dir, NEMATODE_DATA unset, no celegans/ in ${beside} or ${cache}). ${howToGetData(env)}`,
    { object: 'connectome data', fix: FETCH_FIX },
  );
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Whether `<dir>/celegans/<path>` exists. */
export function hasFile(dir: string, path: string): boolean {
  return existsSync(join(dir, 'celegans', path));
}

/** Reads `<dir>/celegans/<path>` and checks it against the manifest's SHA-256. */
export function readVerified(dir: string, path: string): Buffer {
  const full = join(dir, 'celegans', path);
  const { sha256: expected } = manifestEntry(path);
  if (!existsSync(full)) {
    throw new DataUnavailableError(`${full} is missing`, { object: path, fix: `run \`nematode connectome fetch --data-dir ${dir}\`` });
  }
  const data = readFileSync(full);
  const actual = sha256(data);
  if (actual !== expected) throw new ChecksumMismatchError(full, expected, actual);
  return data;
}

/** The first of `paths` present in the data directory (convenience file before original). */
export function firstPresent(dir: string, paths: readonly string[]): string {
  const found = paths.find((p) => hasFile(dir, p));
  if (found) return found;
  throw new DataUnavailableError(`${join(dir, 'celegans')} has none of ${paths.join(', ')}`, {
    object: paths[paths.length - 1],
    fix: `run \`nematode connectome fetch --data-dir ${dir}\` to download the originals`,
  });
}
