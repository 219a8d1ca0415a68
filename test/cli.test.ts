/**
 * The command line, run as a user would (the built CLI in dist/, which `npm test`
 * compiles first): results files, summaries, one-line errors with non-zero exit
 * codes, and no partial results after a failed or interrupted run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readResultsSync } from '../src/results/index.js';

const CLI = path.resolve('dist/src/cli/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nematode(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: process.cwd() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nematode CLI', () => {
  it('run writes a results file and prints rates, spikes, wall times and events/s', () => {
    const out = path.join(dir, 'single.nmr');
    const r = nematode('run', 'docs/examples/single-neuron.json', '--out', out, '--no-plot');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/single-neuron-fi: 0.2 s biological time, dt 0.01 ms, engine clock/);
    expect(r.stdout).toMatch(/N\s+3\s+\d+\s+[\d.]+/);
    expect(r.stdout).toMatch(/build [\d.]+ s, simulation [\d.]+ s/);
    expect(r.stdout).toMatch(/per wall-clock second/);
    const res = readResultsSync(out);
    expect(res.metadata.seed).toBe(1);
    expect(res.metadata.engine).toBe('clock');
    expect(res.body.segments[0]!.spiketrains[0]!.population).toBe('N');
    // neuron 1 gets the stronger current: it fires more than neuron 0
    const idx = res.body.segments[0]!.spiketrains[0]!.indices;
    const count = (i: number) => idx.filter((x) => x === i).length;
    expect(count(1)).toBeGreaterThan(count(0));
    expect(count(0)).toBeGreaterThan(0);
  });

  it('flags override the config and are stored in the results', () => {
    const out = path.join(dir, 'override.nmr');
    const r = nematode('run', 'docs/examples/single-neuron.json', '--out', out, '--duration', '50 ms', '--seed', '11', '--no-plot');
    expect(r.code).toBe(0);
    const res = readResultsSync(out);
    expect(res.metadata.duration).toBe(50);
    expect(res.metadata.seed).toBe(11);
  });

  it('inspect prints a summary and --csv exports spikes and traces', () => {
    const out = path.join(dir, 'single.nmr');
    if (!existsSync(out)) nematode('run', 'docs/examples/single-neuron.json', '--out', out, '--no-plot');
    const csvDir = path.join(dir, 'csv');
    const r = nematode('inspect', out, '--csv', csvDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/engine: clock/);
    expect(r.stdout).toMatch(/N: 3 neurons recorded/);
    const files = readdirSync(csvDir);
    expect(files).toContain('N_spikes.csv');
    expect(files).toContain('N_v.csv');
    const spikes = readFileSync(path.join(csvDir, 'N_spikes.csv'), 'utf8').trim().split('\n');
    expect(spikes[0]).toBe('index,time_ms');
    expect(spikes.length - 1).toBe(readResultsSync(out).body.segments[0]!.spiketrains[0]!.spikeCount);
  });

  it('errors are one clear line plus the fix, with a non-zero exit code', () => {
    const missing = nematode('run', path.join(dir, 'nope.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^nematode: cannot read config/);
    expect(missing.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'populations: { A: { model: IF_curr_exp, size: 2, params: { tau_m: -3 ms } } }\n');
    const inv = nematode('run', bad);
    expect(inv.code).toBe(1);
    expect(inv.stderr).toMatch(/population "A": tau_m = -3 ms .* > 0 ms/);
    const usage = nematode('run', '--engine', 'warp');
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/Choices: "clock", "event"/);
    const unknown = nematode('rnu');
    expect(unknown.code).toBe(1);
  });

  it('--help lists examples for every command', () => {
    for (const cmd of ['run', 'inspect', 'bench', 'models']) {
      const r = nematode(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:/);
    }
  });

  it('a run that fails leaves no results file behind', () => {
    const cfg = path.join(dir, 'overflow.yaml');
    // A single Poisson source at 10 MHz emits ~1000 spikes per step: more than its spike buffer holds.
    writeFileSync(
      cfg,
      'run: { duration: 10 ms }\npopulations:\n  P: { model: SpikeSourcePoisson, size: 1, params: { rate: 10 MHz } }\n  N: { model: IF_curr_exp, size: 1 }\nprojections:\n  PN: { pre: P, post: N, connector: { rule: all_to_all }, weight: 0.1, delay: 1 }\n',
    );
    const out = path.join(dir, 'failed', 'overflow.nmr');
    const r = nematode('run', cfg, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/more spikes in one step than its spike buffer holds/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(path.dirname(out)) ? readdirSync(path.dirname(out)) : []).toEqual([]);
  });

  it('an interrupted run leaves neither a results file nor a temporary file', async () => {
    const outDir = path.join(dir, 'interrupted');
    const out = path.join(outDir, 'long.nmr');
    const child = spawn(process.execPath, [CLI, 'run', 'docs/examples/brunel.yaml', '--duration', '600 s', '--out', out, '--threads', '1']);
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(out)).toBe(false);
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
  });
});
