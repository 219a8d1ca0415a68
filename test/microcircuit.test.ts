/**
 * The Potjans & Diesmann (2014) microcircuit builder against the benchmark reference
 * (shared/reference/benchmarks.md §4): the reference's own derived numbers where it gives
 * them (full-scale synapse table, the 0.1-scale variant), the formulas restated here
 * independently of the builder, the drawn network's statistics at a small scale, and a short
 * run. Also `nematode bench scaling` and `bench microcircuit` through the built CLI.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockEngine } from '../src/engines/clock/index.js';
import type { NetworkIR, ProjectionIR } from '../src/ir/types.js';
import { validateNetwork } from '../src/ir/validate.js';
import { MC_POPULATIONS, fullSynapseCounts, microcircuitNetwork, microcircuitParams, pscPerPsp, roundHalfEven } from '../src/bench/microcircuit.js';
import { populationRates } from '../src/bench/microcircuit-bench.js';

const N_FULL = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948];
const K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100];
const RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829];
const P = [
  [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
  [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
  [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
  [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
  [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
  [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
  [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
  [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
];
const EXC = (x: number) => x % 2 === 0;
/** PSC (nA) per PSP (mV) (reference §4.5: ≈ 87.81 pA per 0.15 mV): 1 / peak PSP of a 1 nA PSC, restated. */
const PSC_PER_MV = (() => {
  const [cm, tm, ts] = [0.25, 10, 0.5];
  const tMax = ((tm * ts) / (tm - ts)) * Math.log(tm / ts);
  return 1 / (((tm * ts) / (cm * (tm - ts))) * (Math.exp(-tMax / tm) - Math.exp(-tMax / ts)));
})();

/** Q_yx at full scale, unrounded (reference §4.3), restated here. */
const q = (y: number, x: number) => {
  const prod = N_FULL[x]! * N_FULL[y]!;
  return Math.log(1 - P[y]![x]!) / Math.log((prod - 1) / prod);
};
const sum = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
};
const proj = (ir: NetworkIR, pre: string, post: string) => ir.projections.find((p) => p.pre === pre && p.post === post);
const mean = (a: Float64Array) => sum(a) / a.length;
const min = (a: Float64Array) => a.reduce((m, v) => Math.min(m, v), Infinity);
const max = (a: Float64Array) => a.reduce((m, v) => Math.max(m, v), -Infinity);
const same = (a: ArrayLike<number> | number, b: ArrayLike<number> | number) => {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};
const sd = (a: Float64Array) => {
  const m = mean(a);
  return Math.sqrt(sum(a.map((v) => (v - m) ** 2)) / (a.length - 1));
};

/** Mean of N(mu, sigma) truncated to [lo, ∞), by quadrature. */
function truncatedMean(mu: number, sigma: number, lo: number): number {
  let m0 = 0;
  let m1 = 0;
  const h = sigma / 2000;
  for (let x = lo; x < mu + 12 * sigma; x += h) {
    const f = Math.exp(-0.5 * ((x - mu) / sigma) ** 2);
    m0 += f;
    m1 += f * x;
  }
  return m1 / m0;
}

describe('PD14 microcircuit: derived parameters', () => {
  it('full-scale synapse counts reproduce the reference table (298,880,968 in all)', () => {
    const full = fullSynapseCounts().map((r) => r.map(Math.round));
    expect(full[0]).toEqual([45499805, 22323577, 20253647, 9670918, 3293578, 0, 2271404, 0]);
    expect(full[2]![5]).toBe(7003);
    expect(full[6]![7]).toBe(10827677);
    expect(full[7]).toEqual([2260836, 17207, 220033, 8078, 401638, 25218, 2888426, 1354320]);
    expect(sum(full.flat())).toBe(298880968);
    const p = microcircuitParams();
    expect(sum(p.sizes)).toBe(77169);
    expect(sum(p.synapses.flat())).toBe(298880968);
    expect(p.kExt).toEqual(K_EXT);
  });

  it('PSP → PSC: 87.81 pA per 0.15 mV, −351.23 pA inhibitory, 175.62 pA for L4E→L23E', () => {
    expect(pscPerPsp(0.25, 10, 0.5) * 0.15 * 1000).toBeCloseTo(87.81, 2);
    expect(PSC_PER_MV * 0.15 * 1000).toBeCloseTo(87.81, 2);
    const p = microcircuitParams();
    expect(p.weightMean[0]![0]! * 1000).toBeCloseTo(87.81, 2);
    expect(p.weightMean[0]![1]! * 1000).toBeCloseTo(-351.23, 1);
    expect(p.weightMean[0]![2]! * 1000).toBeCloseTo(175.62, 1);
    expect(p.weightMean[1]![2]! * 1000).toBeCloseTo(87.81, 2);
    expect(p.weightExt * 1000).toBeCloseTo(87.81, 2);
  });

  it('the 0.1-scale variant matches the reference (§4.12): sizes, synapses, K_ext, weights, DC', () => {
    const p = microcircuitParams({ scale: 0.1 });
    expect(p.sizes).toEqual([2068, 583, 2192, 548, 485, 106, 1440, 295]);
    expect(sum(p.synapses.flat())).toBe(2988807);
    expect(p.kExt).toEqual([160, 150, 210, 190, 200, 190, 290, 210]);
    expect(p.weightMean[0]![0]! * 1000).toBeCloseTo(277.67, 1);
    expect(p.weightMean[0]![1]! * 1000).toBeCloseTo(-1110.7, 1);
    expect(p.weightMean[0]![2]! * 1000).toBeCloseTo(555.35, 1);
    const pois = [29.0, 112.4, 113.0, 115.0, 125.4, 151.7, 43.8, 153.7];
    p.dc.forEach((v, y) => expect(v * 1000, MC_POPULATIONS[y]).toBeCloseTo(pois[y]!, 0));
    const dc = [206.7, 279.0, 346.2, 326.0, 347.6, 362.7, 365.9, 387.0];
    microcircuitParams({ scale: 0.1, background: 'dc' }).dc.forEach((v, y) => expect(v * 1000, MC_POPULATIONS[y]).toBeCloseTo(dc[y]!, 0));
    expect(p.poissonRate).toEqual([1280, 1200, 1680, 1520, 1600, 1520, 2320, 1680]);
  });

  it('full scale: DC background is 0.35124 pA × K_ext and Poisson needs no DC', () => {
    const dc = microcircuitParams({ background: 'dc' });
    dc.dc.forEach((v, y) => expect(v * 1000).toBeCloseTo(0.35124 * K_EXT[y]!, 1));
    expect(dc.poissonRate).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const pois = microcircuitParams({ background: 'poisson' });
    expect(pois.dc).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(pois.poissonRate).toEqual(K_EXT.map((k) => 8 * k));
  });

  it('rejects out-of-range scales and unknown backgrounds', () => {
    expect(() => microcircuitParams({ scale: 0 })).toThrow(/Scaling = 0/);
    expect(() => microcircuitParams({ scale: 1.5 })).toThrow(/Scaling = 1.5/);
    expect(() => microcircuitParams({ background: 'noise' as 'dc' })).toThrow(/background/);
  });

  it('rounds halves to even, as numpy does (1065 × 0.1 → 106)', () => {
    expect(roundHalfEven(106.5)).toBe(106);
    expect(roundHalfEven(107.5)).toBe(108);
    expect(roundHalfEven(2.4)).toBe(2);
    expect(roundHalfEven(-2.5)).toBe(-2);
  });
});

describe('PD14 microcircuit: the built network at scale 0.02', () => {
  const S = 0.02;
  const ir = microcircuitNetwork({ scale: S, seed: 7 });
  const sizes = N_FULL.map((n) => roundHalfEven(n * S));

  it('has the 8 populations with the scaled sizes, iaf_psc_exp with the NEST parameters, and V0 per population', () => {
    expect(ir.populations.map((p) => p.label)).toEqual([...MC_POPULATIONS]);
    expect(ir.populations.map((p) => p.size)).toEqual(sizes);
    expect(sizes).toEqual([414, 117, 438, 110, 97, 21, 288, 59]);
    for (const p of ir.populations) {
      expect(p.model).toBe('iaf_psc_exp');
      expect(p.params).toMatchObject({ cm: 0.25, tau_m: 10, tau_refrac: 2, tau_syn_E: 0.5, tau_syn_I: 0.5, v_rest: -65, v_reset: -65, v_thresh: -50 });
    }
    const v = ir.populations[0]!.initial.v as Float64Array;
    expect(mean(v)).toBeGreaterThan(-68.28 - 1.5);
    expect(mean(v)).toBeLessThan(-68.28 + 1.5);
    expect(() => validateNetwork(ir)).not.toThrow();
  });

  it('every projection has exactly round(Q · N_scaling · K_scaling) synapses as valid CSR, rows sorted by target', () => {
    let total = 0;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const expected = roundHalfEven(q(y, x) * S * S);
        const p = proj(ir, MC_POPULATIONS[x]!, MC_POPULATIONS[y]!);
        if (expected === 0) {
          expect(p, `${x}→${y}`).toBeUndefined();
          continue;
        }
        expect(p!.targets.length, `${MC_POPULATIONS[x]}→${MC_POPULATIONS[y]}`).toBe(expected);
        expect(p!.rowPtr.length).toBe(sizes[x]! + 1);
        expect(p!.rowPtr[sizes[x]!]).toBe(expected);
        let bad = 0;
        for (let i = 0; i < sizes[x]!; i++) {
          if (p!.rowPtr[i + 1]! < p!.rowPtr[i]!) bad++;
          for (let k = p!.rowPtr[i]!; k < p!.rowPtr[i + 1]!; k++) {
            if (p!.targets[k]! >= sizes[y]!) bad++;
            if (k > p!.rowPtr[i]! && p!.targets[k]! < p!.targets[k - 1]!) bad++;
          }
        }
        expect(bad, `${MC_POPULATIONS[x]}→${MC_POPULATIONS[y]}`).toBe(0);
        total += expected;
      }
    }
    expect(ir.projections.reduce((s, p) => s + p.targets.length, 0)).toBe(total);
    expect(total).toBeGreaterThan(100000);
  });

  it('sources and targets are spread uniformly (fixed total number, not fixed in-degree)', () => {
    const p = proj(ir, 'L23E', 'L23E')!;
    const n = p.targets.length;
    const inDeg = new Float64Array(sizes[0]!);
    for (const t of p.targets) inDeg[t]!++;
    const m = n / sizes[0]!;
    // Multinomial in-degrees: variance ≈ mean (not 0 as with fixed in-degree).
    const v = sum(inDeg.map((d) => (d - m) ** 2)) / sizes[0]!;
    expect(v / m).toBeGreaterThan(0.7);
    expect(v / m).toBeLessThan(1.3);
    const outDeg = Float64Array.from({ length: sizes[0]! }, (_, i) => p.rowPtr[i + 1]! - p.rowPtr[i]!);
    const vo = sum(outDeg.map((d) => (d - m) ** 2)) / sizes[0]!;
    expect(vo / m).toBeGreaterThan(0.7);
    expect(vo / m).toBeLessThan(1.3);
  });

  it('weights: mean PSC ÷ √K per type, 10 % SD, sign by source, L4E→L23E doubled', () => {
    const sq = Math.sqrt(S);
    for (const p of ir.projections) {
      const x = MC_POPULATIONS.indexOf(p.pre as never);
      const y = MC_POPULATIONS.indexOf(p.post as never);
      const w = p.weight as Float64Array;
      const expected = (PSC_PER_MV * 0.15 * (EXC(x) ? (x === 2 && y === 0 ? 2 : 1) : -4)) / sq;
      expect(p.receptor).toBe(EXC(x) ? 'excitatory' : 'inhibitory');
      if (EXC(x)) expect(min(w), p.label).toBeGreaterThanOrEqual(0);
      else expect(max(w), p.label).toBeLessThanOrEqual(0);
      const se = (0.1 * Math.abs(expected)) / Math.sqrt(w.length);
      expect(Math.abs(mean(w) - expected), p.label).toBeLessThan(5 * se + 1e-4 * Math.abs(expected));
      if (w.length > 200) expect(sd(w) / Math.abs(expected), p.label).toBeCloseTo(0.1, 1);
    }
    const doubled = mean(proj(ir, 'L4E', 'L23E')!.weight as Float64Array);
    const plain = mean(proj(ir, 'L23E', 'L23E')!.weight as Float64Array);
    expect(doubled / plain).toBeCloseTo(2, 1);
    expect(mean(proj(ir, 'L4E', 'L23I')!.weight as Float64Array) / plain).toBeCloseTo(1, 1);
  });

  it('delays: normal, 1.5 ms (E sources) / 0.75 ms (I sources), SD 50 %, redrawn below dt/2, on the 0.1 ms grid', () => {
    const all = (exc: boolean) => {
      const ps = ir.projections.filter((p) => EXC(MC_POPULATIONS.indexOf(p.pre as never)) === exc);
      const out = new Float64Array(ps.reduce((s, p) => s + p.targets.length, 0));
      let o = 0;
      for (const p of ps) {
        out.set(p.delay as Float64Array, o);
        o += p.targets.length;
      }
      return out;
    };
    for (const [exc, mu] of [
      [true, 1.5],
      [false, 0.75],
    ] as const) {
      const d = all(exc);
      expect(min(d)).toBeCloseTo(0.1, 12);
      expect(d.filter((v) => Math.abs(v / 0.1 - Math.round(v / 0.1)) > 1e-9).length).toBe(0);
      expect(Math.abs(mean(d) - truncatedMean(mu, mu / 2, 0.05))).toBeLessThan(0.02);
      expect(sd(d) / mu).toBeGreaterThan(0.4);
      expect(sd(d) / mu).toBeLessThan(0.5);
      // The clipped mass sits at one step: P(0.05 ≤ d < 0.15 | d ≥ 0.05).
      const oneStep = d.filter((v) => v < 0.15).length / d.length;
      expect(oneStep).toBeGreaterThan(0);
      expect(oneStep).toBeLessThan(exc ? 0.05 : 0.12);
    }
  });

  it('Poisson background: 8 Hz × round(K_ext · K), weight 87.81 pA ÷ √K, DC compensation per population', () => {
    const sq = Math.sqrt(S);
    expect(ir.stimuli).toHaveLength(8);
    ir.stimuli.forEach((s, y) => {
      expect(s.kind).toBe('poisson');
      if (s.kind !== 'poisson') return;
      expect(s.population).toBe(MC_POPULATIONS[y]);
      expect(s.rate).toBe(8 * roundHalfEven(K_EXT[y]! * S));
      expect(s.weight).toBeCloseTo((PSC_PER_MV * 0.15) / sq, 6);
      expect(s.receptor).toBe('excitatory');
    });
    // Compensation: 1e-3 τ_syn (1 − √K) [Σ_x w_yx K_yx ν_x + w_ext K_ext 8 Hz], full-scale w, K, rates.
    ir.populations.forEach((pop, y) => {
      let rec = 0;
      for (let x = 0; x < 8; x++) rec += PSC_PER_MV * 0.15 * (EXC(x) ? (x === 2 && y === 0 ? 2 : 1) : -4) * (q(y, x) / N_FULL[y]!) * RATES[x]!;
      const ext = PSC_PER_MV * 0.15 * K_EXT[y]! * 8;
      expect(pop.params.i_offset as number, pop.label).toBeCloseTo(1e-3 * 0.5 * (1 - sq) * (rec + ext), 4);
    });
  });

  it('DC background: no Poisson stimuli, DC = full-scale background DC + the recurrent compensation', () => {
    const dc = microcircuitNetwork({ scale: S, background: 'dc', seed: 7, rateBin: 0, recordFraction: 0.5 });
    expect(dc.stimuli).toHaveLength(0);
    const sq = Math.sqrt(S);
    dc.populations.forEach((pop, y) => {
      let rec = 0;
      for (let x = 0; x < 8; x++) rec += PSC_PER_MV * 0.15 * (EXC(x) ? (x === 2 && y === 0 ? 2 : 1) : -4) * (q(y, x) / N_FULL[y]!) * RATES[x]!;
      const bg = 1e-3 * 0.5 * 8 * K_EXT[y]! * PSC_PER_MV * 0.15;
      expect(pop.params.i_offset as number, pop.label).toBeCloseTo(bg + 1e-3 * 0.5 * (1 - sq) * rec, 4);
    });
    // Half of each population's spikes recorded, no rate recordings.
    expect(dc.recordings.every((r) => r.kind === 'spikes')).toBe(true);
    const r0 = dc.recordings[0]!;
    expect(r0.kind === 'spikes' && r0.indices?.length).toBe(207);
  });

  it('depends only on the seed', () => {
    const again = microcircuitNetwork({ scale: S, seed: 7 });
    const other = microcircuitNetwork({ scale: S, seed: 8 });
    const eq = (a: ProjectionIR, b: ProjectionIR) => same(a.rowPtr, b.rowPtr) && same(a.targets, b.targets) && same(a.weight, b.weight) && same(a.delay, b.delay);
    expect(again.projections.length).toBe(ir.projections.length);
    ir.projections.forEach((p, k) => expect(eq(again.projections[k]!, p), p.label).toBe(true));
    expect(same(other.projections[0]!.targets, ir.projections[0]!.targets)).toBe(false);
    expect(same(other.projections[0]!.weight, ir.projections[0]!.weight)).toBe(false);
  });
});

describe('PD14 microcircuit: a short run', () => {
  it('scale 0.05, 300 ms on the clock engine: finite rates in a plausible range, inhibitory above excitatory in L2/3 and L6', async () => {
    const ir = microcircuitNetwork({ scale: 0.05, duration: 300, threads: 1, seed: 3 });
    const out = await clockEngine.run(ir);
    const rates = populationRates(ir, out, 100);
    for (const r of rates) {
      expect(Number.isFinite(r.rateHz), r.population).toBe(true);
      expect(r.rateHz, r.population).toBeGreaterThan(0.02);
      expect(r.rateHz, r.population).toBeLessThan(30);
    }
    const meanRate = sum(rates.map((r) => r.rateHz * r.neurons)) / sum(rates.map((r) => r.neurons));
    expect(meanRate).toBeGreaterThan(0.5);
    expect(meanRate).toBeLessThan(10);
    const by = Object.fromEntries(rates.map((r) => [r.population, r.rateHz]));
    expect(by.L23I!).toBeGreaterThan(by.L23E!);
    expect(by.L6I!).toBeGreaterThan(by.L6E!);
    // Population rate recordings cover the run.
    expect(out.rates).toHaveLength(8);
    expect(out.rates[0]!.rate.length).toBe(300);
  });

  it('1 and 2 worker threads give the same spikes (dist build: threads need the compiled worker)', async () => {
    const { microcircuitNetwork: build } = (await import('../dist/src/bench/microcircuit.js')) as { microcircuitNetwork: typeof microcircuitNetwork };
    const { clockEngine: engine } = (await import('../dist/src/engines/clock/index.js')) as { clockEngine: typeof clockEngine };
    const run = (threads: number) => engine.run(build({ scale: 0.03, duration: 100, threads, seed: 5 }));
    const one = await run(1);
    const two = await run(2);
    expect(two.stats.threads).toBe(2);
    expect(one.stats.spikes).toBeGreaterThan(0);
    expect(two.stats.spikeCounts).toEqual(one.stats.spikeCounts);
    one.spikes.forEach((s, k) => {
      expect(same(two.spikes[k]!.indices, s.indices), s.population).toBe(true);
      expect(same(two.spikes[k]!.times, s.times), s.population).toBe(true);
    });
  });
});

describe('nematode bench scaling / microcircuit (built CLI)', () => {
  const CLI = path.resolve('dist/src/cli/main.js');
  const nematode = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

  it('bench scaling --sizes 4000 --duration 20 prints a line and a table row', () => {
    const r = nematode('bench', 'scaling', '--sizes', '4000', '--duration', '20', '--threads', '1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/COBA-4000 \[clock, 1 thread\] 4000 neurons/);
    expect(r.stdout).toMatch(/size\s+synapses\s+build s\s+sim s\s+RTF\s+rate Hz\s+events\/s\s+peak MiB/);
    expect(r.stdout).toMatch(/^\s+4000\s+3\d{5}\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d{3}\s+\d+\.\d{2}\s+\d\.\d{2}e[+-]\d+\s+\d+$/m);
  });

  it('bench scaling --json gives one result per size; a bad --sizes is a one-line error', () => {
    const r = nematode('bench', 'scaling', '--sizes', '4000,5000', '--duration', '10', '--threads', '1', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { results: Array<{ size: number; synapses: number; durationMs: number }> };
    expect(report.results.map((x) => x.size)).toEqual([4000, 5000]);
    expect(report.results.every((x) => x.durationMs === 10 && x.synapses > 0)).toBe(true);
    const bad = nematode('bench', 'scaling', '--sizes', '4k');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--sizes/);
  });

  it('bench microcircuit prints figures and each population rate next to the expected one', () => {
    const r = nematode('bench', 'microcircuit', '--scale', '0.02', '--duration', '50', '--threads', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/microcircuit-0\.02 \[clock, 1 thread, poisson background\] 1544 neurons, \d+ synapses/);
    expect(r.stdout).toMatch(/RTF [\d.]+/);
    expect(r.stdout).toMatch(/recurrent events\/s/);
    for (const [k, pop] of MC_POPULATIONS.entries()) expect(r.stdout).toMatch(new RegExp(`^\\s+${pop}\\s+\\d+\\s+[\\d.]+\\s+${RATES[k]!.toFixed(3)}`, 'm'));
  });
});
