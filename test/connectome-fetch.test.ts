/** `fetch` against a local HTTP server that serves the originals (the test machine has no internet). */
import { readdirSync, readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChecksumMismatchError, DataUnavailableError, fetchConnectomeData, loadConnectome } from '../src/connectome/index.js';

const ORIG = path.resolve('..', 'shared', 'connectomes', 'celegans', 'original');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nematode-fetch-'));
let server: Server;
let base = '';

beforeAll(async () => {
  // /good/<file>: the originals; /bad/<file>: owmeta_cache.json with one byte changed; anything else 404.
  server = createServer((req, res) => {
    const [, mode, file] = (req.url ?? '').split('/');
    const p = path.join(ORIG, path.basename(file ?? ''));
    if ((mode !== 'good' && mode !== 'bad') || !file || !existsSync(p)) return void res.writeHead(404).end();
    const data = readFileSync(p);
    if (mode === 'bad' && file === 'owmeta_cache.json') data[100] ^= 1;
    res.writeHead(200, { 'content-length': data.length }).end(data);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

function collect() {
  const log = new PassThrough();
  let text = '';
  log.on('data', (d) => (text += d));
  return { log, text: () => text };
}

describe('connectome fetch', () => {
  it('downloads, verifies and stores the originals; the loaders then read them', async () => {
    const dir = path.join(tmp, 'ok');
    const out = collect();
    const r = await fetchConnectomeData({ dataDir: dir, baseUrl: `${base}/good/`, log: out.log });
    expect(r.files.map((f) => f.status)).toEqual(Array(5).fill('downloaded'));
    expect(readdirSync(path.join(dir, 'celegans', 'original')).sort()).toEqual(readdirSync(ORIG).sort());
    expect(out.text()).toMatch(/\[1\/5\] original\/\S+ <- http:\/\/127\.0\.0\.1/);
    expect(out.text()).toMatch(/SHA-256 ok/);
    expect(loadConnectome('varshney2011', { dataDir: dir }).chemical).toHaveLength(2194);
    // a second run finds everything present; NEMATODE_DATA_BASE_URL is honoured
    const again = await fetchConnectomeData({ dataDir: dir, env: { NEMATODE_DATA_BASE_URL: `${base}/good` }, log: collect().log });
    expect(again.files.map((f) => f.status)).toEqual(Array(5).fill('already present'));
  });

  it('a bad checksum leaves no file behind', async () => {
    const dir = path.join(tmp, 'bad');
    await expect(fetchConnectomeData({ dataDir: dir, env: { NEMATODE_DATA_BASE_URL: `${base}/bad` }, log: collect().log })).rejects.toThrow(ChecksumMismatchError);
    const left = readdirSync(path.join(dir, 'celegans', 'original'));
    expect(left).not.toContain('owmeta_cache.json');
    expect(left.filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('an HTTP error is a DataUnavailableError naming the URL', async () => {
    const dir = path.join(tmp, 'missing');
    await expect(fetchConnectomeData({ dataDir: dir, baseUrl: `${base}/nothing`, log: collect().log })).rejects.toThrow(DataUnavailableError);
    await expect(fetchConnectomeData({ dataDir: dir, baseUrl: `${base}/nothing`, log: collect().log })).rejects.toThrow(/\/nothing\/\S+ failed: HTTP 404/);
  });

  it('defaults to the user cache ($XDG_CACHE_HOME/nematode/connectomes)', async () => {
    const xdg = path.join(tmp, 'xdg');
    const r = await fetchConnectomeData({ env: { XDG_CACHE_HOME: xdg, NEMATODE_DATA_BASE_URL: `${base}/good` }, log: collect().log });
    expect(r.dir).toBe(path.join(xdg, 'nematode', 'connectomes'));
    expect(existsSync(path.join(r.dir, 'celegans', 'original', 'herm_full_edgelist.csv'))).toBe(true);
  });
});
