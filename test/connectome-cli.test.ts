/**
 * `nematode connectome ...` run as a user would (the built CLI in dist/; `npm test`
 * compiles first). Data from ../shared/connectomes beside the checkout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = path.resolve('dist/src/cli/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-connectome-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// No NEMATODE_DATA from the caller's environment, and an empty user cache.
const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') };
delete env.NEMATODE_DATA;
delete env.NEMATODE_DATA_BASE_URL;

function nematode(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nematode connectome', () => {
  it('list shows the datasets, whether present and where from', () => {
    const r = nematode('connectome', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/data directory: \S+shared\/connectomes \(beside-checkout\)/);
    for (const id of ['varshney2011', 'openworm', 'cook2019', 'white1986']) expect(r.stdout).toMatch(new RegExp(`^${id}\\s+present`, 'm'));
    expect(r.stdout).toMatch(/from\s+varshney2011_neuron_connect\.csv, neurons\.csv/);
    const none = nematode('connectome', 'list', '--data-dir', path.join(dir, 'nothing'));
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/data directory: none/);
    expect(none.stdout).toMatch(/^varshney2011\s+absent/m);
  });

  it('info prints neurons by category, chemical, gap-junction and NMJ counts', () => {
    const r = nematode('connectome', 'info', 'varshney2011');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/neurons: 280 with connections \(279 with neuron-neuron synapses\)/);
    expect(r.stdout).toMatch(/by category: sensory \d+, inter \d+, motor \d+/);
    expect(r.stdout).toMatch(/chemical: 2194 directed edges, 6394 synapses/);
    expect(r.stdout).toMatch(/gap junctions: 517 pairs \(3 self-contacts\), 890 junctions/);
    expect(r.stdout).toMatch(/neuromuscular: 115 edges from 115 neurons, 1410 synapses/);
    expect(r.stdout).toMatch(/citation: Varshney/);
    const cook = nematode('connectome', 'info', 'cook2019');
    expect(cook.stdout).toMatch(/chemical: 3638 directed edges, 20589 EM sections/);
    expect(cook.stdout).toMatch(/1093 pairs .* 4346 junctions/);
  });

  it('an unknown dataset is one line with did-you-mean and exit code 1', () => {
    const r = nematode('connectome', 'info', 'varshney');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nematode: unknown connectome dataset "varshney"\. Did you mean "varshney2011"\?/);
    const none = nematode('connectome', 'info', 'white1986', '--data-dir', path.join(dir, 'nothing'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/holds no celegans\/ folder/);
    expect(none.stderr).toMatch(/nematode connectome fetch/);
  });

  it('export writes CSV to stdout and GraphML to a file', () => {
    const csv = nematode('connectome', 'export', 'white1986', '--format', 'csv');
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trim().split('\n');
    expect(rows[0]).toBe('source,target,type,count,target_kind');
    expect(rows.filter((l) => l.split(',')[2] === 'chemical' && l.endsWith(',neuron'))).toHaveLength(2266);
    expect(rows.filter((l) => l.split(',')[2] === 'gap' && l.endsWith(',neuron'))).toHaveLength(569);
    const out = path.join(dir, 'varshney.graphml');
    const g = nematode('connectome', 'export', 'varshney2011', '--format', 'graphml', '--out', out);
    expect(g.code).toBe(0);
    expect(g.stdout).toBe('');
    const xml = readFileSync(out, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<graphml /);
    expect(xml.match(/<edge /g)).toHaveLength(2194 + 517 + 115);
    expect(xml.match(/directed="false"/g)).toHaveLength(517);
    expect(xml).toMatch(/<node id="AVAL"><data key="kind">neuron<\/data><data key="cls">AVA<\/data><data key="category">inter<\/data><\/node>/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('fetch downloads the originals into the user cache with progress on stderr', async () => {
    const orig = path.resolve('..', 'shared', 'connectomes', 'celegans', 'original');
    const server: Server = createServer((req, res) => {
      const p = path.join(orig, path.basename(req.url ?? ''));
      if (!existsSync(p)) return void res.writeHead(404).end();
      res.writeHead(200).end(readFileSync(p));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/c302/data`;
      // spawn, not spawnSync: the server runs in this process
      const child = spawn(process.execPath, [CLI, 'connectome', 'fetch'], { env: { ...env, NEMATODE_DATA_BASE_URL: base } });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise((r) => child.on('close', r));
      expect(stderr).toMatch(/\[5\/5\] original\/owmeta_cache\.json: \d+ bytes, SHA-256 ok/);
      expect(code).toBe(0);
      const cache = path.join(dir, 'cache', 'nematode', 'connectomes', 'celegans', 'original');
      expect(readdirSync(cache).sort()).toEqual(readdirSync(orig).sort());
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
