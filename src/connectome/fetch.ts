/**
 * `nematode connectome fetch`: downloads the original files from their
 * canonical URLs (connectomes/manifest.json) into the data directory, checks
 * each SHA-256 before anything is written, and writes atomically (temp file +
 * rename), so a failed or corrupt download leaves no file behind.
 */
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomicAsync } from '../util/atomic.js';
import { progressBar } from '../util/progress.js';
import { ChecksumMismatchError, DataUnavailableError } from './errors.js';
import { cacheDir, hasFile, readVerified, sha256 } from './datadir.js';
import { originals } from './manifest.js';

export interface FetchOptions {
  /** Target directory (gets `celegans/original/...`); default NEMATODE_DATA, else the per-user cache. */
  dataDir?: string;
  /** Download from `<baseUrl>/<file name>` instead of the canonical URLs (a mirror, or a local server in tests); default NEMATODE_DATA_BASE_URL. */
  baseUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** Where progress goes; default stderr. */
  log?: NodeJS.WritableStream;
}

export interface FetchResult {
  dir: string;
  files: { path: string; url: string; bytes: number; status: 'downloaded' | 'already present' }[];
}

/** The directory `fetch` fills: the option, else NEMATODE_DATA, else the per-user cache. */
export function fetchTargetDir(opts: Pick<FetchOptions, 'dataDir' | 'env'> = {}): string {
  const env = opts.env ?? process.env;
  return resolve(opts.dataDir ?? (env.NEMATODE_DATA || cacheDir(env)));
}

export async function fetchConnectomeData(opts: FetchOptions = {}): Promise<FetchResult> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? process.stderr;
  const dir = fetchTargetDir(opts);
  const base = opts.baseUrl ?? (env.NEMATODE_DATA_BASE_URL || undefined);
  mkdirSync(join(dir, 'celegans', 'original'), { recursive: true });
  const files = originals();
  const result: FetchResult = { dir, files: [] };
  for (const [i, f] of files.entries()) {
    const url = base ? `${base.replace(/\/+$/, '')}/${basename(f.path)}` : f.url!;
    const tag = `[${i + 1}/${files.length}] ${f.path}`;
    if (hasFile(dir, f.path)) {
      try {
        readVerified(dir, f.path);
        log.write(`${tag}: already present, SHA-256 ok\n`);
        result.files.push({ path: f.path, url, bytes: f.bytes, status: 'already present' });
        continue;
      } catch (e) {
        if (!(e instanceof ChecksumMismatchError)) throw e;
        log.write(`${tag}: present but its SHA-256 does not match; downloading again\n`);
      }
    }
    log.write(`${tag} <- ${url}\n`);
    const data = await download(url, f.bytes, `${tag}`);
    const actual = sha256(data);
    if (actual !== f.sha256) throw new ChecksumMismatchError(url, f.sha256, actual);
    await writeFileAtomicAsync(join(dir, 'celegans', f.path), data);
    log.write(`${tag}: ${data.length} bytes, SHA-256 ok\n`);
    result.files.push({ path: f.path, url, bytes: data.length, status: 'downloaded' });
  }
  log.write(`connectome data in ${dir}\n`);
  return result;
}

async function download(url: string, expectedBytes: number, label: string): Promise<Buffer> {
  const fail = (why: string) =>
    new DataUnavailableError(`download of ${url} failed: ${why}`, {
      object: url,
      fix: 'check the network connection, or set NEMATODE_DATA_BASE_URL to a mirror holding the original files, or copy them by hand (see docs/connectome.md)',
    });
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    throw fail(e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e));
  }
  if (!res.ok || !res.body) throw fail(`HTTP ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get('content-length')) || expectedBytes;
  const bar = progressBar(label);
  const chunks: Uint8Array[] = [];
  let got = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      got += chunk.length;
      bar.update(got / total);
    }
  } catch (e) {
    throw fail(e instanceof Error ? e.message : String(e));
  }
  bar.done();
  return Buffer.concat(chunks);
}
