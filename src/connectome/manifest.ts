/**
 * The data manifest (connectomes/manifest.json at the package root): every file
 * of the data folder with its path under `celegans/`, canonical URL (originals
 * only), citation, licence note and SHA-256.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ManifestFile {
  /** Path relative to `<data dir>/celegans/`, e.g. `original/herm_full_edgelist.csv`. */
  path: string;
  /** Canonical download URL; null for convenience files derived from an original. */
  url: string | null;
  /** For convenience files: the originals they were converted from. */
  derivedFrom?: string[];
  description: string;
  citation: string;
  licence: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  description: string;
  source: { repository: string; commit: string; folder: string; licence: string };
  files: ManifestFile[];
}

let root: string | undefined;

/**
 * The package root: the nearest folder above this module whose package.json is
 * named "nematode" (works from src/ under vitest and from dist/src/ when compiled).
 */
export function packageRoot(): string {
  if (root) return root;
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const pj = join(d, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'nematode') return (root = d);
    if (dirname(d) === d) throw new Error('cannot find the nematode package root (package.json named "nematode")');
  }
}

let manifest: Manifest | undefined;

export function loadManifest(): Manifest {
  return (manifest ??= JSON.parse(readFileSync(join(packageRoot(), 'connectomes', 'manifest.json'), 'utf8')) as Manifest);
}

/** The manifest entry of a file (path under `celegans/`). */
export function manifestEntry(path: string): ManifestFile {
  const e = loadManifest().files.find((f) => f.path === path);
  if (!e) throw new Error(`connectomes/manifest.json has no entry for ${path}`);
  return e;
}

/** The originals, i.e. the files with a canonical URL (what `nematode connectome fetch` downloads). */
export function originals(): ManifestFile[] {
  return loadManifest().files.filter((f) => f.url !== null);
}
