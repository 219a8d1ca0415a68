/**
 * Issue 6, "Machine netlist": `nematode export --target spinnaker` (targets/spinnaker/,
 * docs/targets/spinnaker.md).
 *
 * - Random networks (fast-check): decoding every 32-bit row word of every synaptic matrix
 *   gives back every synapse of the IR exactly once, with its target, its delay (on-core
 *   residual + delay-extension stage × delay per stage) and its weight within half an LSB;
 *   padding words are zero; each matrix is reachable from its core's master population table.
 * - Keys: every core's key range is aligned and disjoint from every other; every neuron key
 *   of every sending core, traced hop by hop through the compressed routing tables (first
 *   match; no match = default routing straight through, or dropped on the source chip),
 *   reaches exactly the cores that hold rows for it (and its delay-extension core), once each,
 *   never leaving the board.
 * - Limits: cores per chip, router entries, word fields, row lengths.
 * - Compression alone: random ternary tables route every key as before.
 * - The spec's worked word 0x03330A2A; refusals (typed errors, no output folder);
 *   --approximate; the CLI end to end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNeuronsPerCore } from '../src/cli/export-command.js';
import { UnsupportedError, ValidationError } from '../src/errors.js';
import type { NetworkIR, PopulationIR, ProjectionIR } from '../src/ir/types.js';
import { getTarget, TARGET_NAMES } from '../targets/index.js';
import { decodeSideFile } from '../targets/spinnaker/index.js';
import { LINK_DELTAS, MachineCapacityError, makeBoard, oppositeLink } from '../targets/spinnaker/machine.js';
import { buildNetlist, rint, type BuiltNetlist, type SpinnakerOptions } from '../targets/spinnaker/netlist.js';
import { compressTable, type RouteEntry } from '../targets/spinnaker/routing.js';
import { expectError } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nematode-spinnaker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = path.resolve('dist/src/cli/main.js');
const spinnaker = getTarget('spinnaker');

// ------------------------------------------------------------------ network helpers

function pop(label: string, model: string, size: number, extra: Partial<PopulationIR> = {}): PopulationIR {
  return { label, model, size, params: {}, initial: {}, ...extra };
}

/** A projection from explicit synapse lists (pre-sorted into CSR here). */
function proj(label: string, pre: PopulationIR, post: PopulationIR, receptor: string, syn: [number, number, number, number][], extra: Partial<ProjectionIR> = {}): ProjectionIR {
  const sorted = [...syn].sort((a, b) => a[0] - b[0]);
  const rowPtr = new Uint32Array(pre.size + 1);
  for (const s of sorted) rowPtr[s[0] + 1]!++;
  for (let i = 0; i < pre.size; i++) rowPtr[i + 1]! += rowPtr[i]!;
  return {
    label, pre: pre.label, post: post.label, receptor, rowPtr,
    targets: Uint32Array.from(sorted.map((s) => s[1])),
    weight: Float64Array.from(sorted.map((s) => s[2])),
    delay: Float64Array.from(sorted.map((s) => s[3])),
    ...extra,
  };
}

function network(name: string, populations: PopulationIR[], projections: ProjectionIR[], dt = 1): NetworkIR {
  return { irVersion: 1, name, populations, projections, stimuli: [], recordings: [], run: { duration: 100, dt, engine: 'clock', seed: 1, threads: 1 } };
}

// ------------------------------------------------------------------ netlist checker (written from the spec, not from the exporter)

interface Decoded {
  projection: string;
  pre: number;
  post: number;
  ticks: number;
  w16: number;
  type: number;
}

const num = (h: string): number => parseInt(h, 16) >>> 0;

/** Every synapse decoded from the row words, plus structural checks on the way. */
function decodeAll(b: BuiltNetlist): Decoded[] {
  const n = b.netlist;
  const out: Decoded[] = [];
  const coreById = new Map(n.cores.map((c) => [c.id, c]));
  const popById = new Map(n.populations.map((p) => [p.id, p]));
  const delayByCore = new Map<string, { source: string; dps: number; stages: number }>();
  for (const d of n.delayExtensions) for (const c of d.cores) delayByCore.set(c, { source: d.source, dps: d.delayPerStage, stages: d.stages });
  for (const core of n.cores) {
    if (!core.synapticMatrices) continue;
    const post = popById.get(core.vertex)!;
    const { indexBits: N, typeBits: T, delayBits: D } = post.synapticWord!;
    expect(N + T + D).toBeLessThanOrEqual(14);
    expect(core.ringBuffer!.entries).toBe(2 ** (N + T + D));
    const size = core.slice[1] - core.slice[0] + 1;
    expect(size).toBeLessThanOrEqual(post.maxAtomsPerCore);
    for (const m of core.synapticMatrices) {
      const words = b.arrays[m.words.key] as Uint32Array;
      const stride = 3 + m.rowLengthWords;
      expect(words.length).toBe(m.nRows * stride);
      expect(m.rowLengthWords).toBeLessThanOrEqual(256);
      // reachable from the master population table
      const entry = core.masterPopTable!.find((e) => e.blocks.includes(m.id))!;
      expect(entry.source).toBe(m.sourceCore);
      expect(core.addressList![entry.start + entry.blocks.indexOf(m.id)]!.matrix).toBe(m.id);
      expect(core.addressList![entry.start + entry.blocks.indexOf(m.id)]!.rowLengthMinusOne).toBe(m.rowLengthWords - 1);
      const src = coreById.get(m.sourceCore)!;
      const srcSize = src.slice[1] - src.slice[0] + 1;
      const delay = delayByCore.get(m.sourceCore);
      expect(m.delayed).toBe(delay !== undefined);
      expect(m.nRows).toBe(delay ? delay.stages * srcSize : srcSize);
      for (let r = 0; r < m.nRows; r++) {
        const base = r * stride;
        expect(words[base]).toBe(0);
        expect(words[base + 2]).toBe(0);
        const F = words[base + 1]!;
        expect(F).toBeLessThanOrEqual(m.rowLengthWords);
        for (let k = F; k < m.rowLengthWords; k++) expect(words[base + 3 + k]).toBe(0);
        for (let k = 0; k < F; k++) {
          const w = words[base + 3 + k]!;
          const index = w & (2 ** N - 1);
          const type = (w >>> N) & (2 ** T - 1);
          const dField = (w >>> (N + T)) & (2 ** D - 1);
          expect((w & 0xffff) >>> (N + T + D)).toBe(0);
          const residual = dField === 0 ? 2 ** D : dField;
          expect(index).toBeLessThan(size);
          const stage = delay ? Math.floor(r / srcSize) + 1 : 0;
          expect(residual).toBeLessThanOrEqual(delay ? delay.dps : 2 ** D);
          out.push({
            projection: m.projection,
            pre: src.slice[0] + (r % srcSize),
            post: core.slice[0] + index,
            ticks: residual + stage * (delay?.dps ?? 0),
            w16: w >>> 16,
            type,
          });
        }
      }
    }
  }
  return out;
}

/** Checks every synapse of the IR appears once in the rows with its target, delay and weight. */
function checkSynapses(ir: NetworkIR, b: BuiltNetlist): void {
  const decoded = decodeAll(b);
  const byKey = new Map<string, number>();
  const keyOf = (p: string, pre: number, post: number, ticks: number, w16: number, type: number) => `${p}|${pre}|${post}|${ticks}|${w16}|${type}`;
  for (const d of decoded) {
    const k = keyOf(d.projection, d.pre, d.post, d.ticks, d.w16, d.type);
    byKey.set(k, (byKey.get(k) ?? 0) + 1);
  }
  let expected = 0;
  for (const pr of ir.projections) {
    if ((pr.transmission ?? 'spike') !== 'spike') continue;
    const post = b.netlist.populations.find((p) => p.id === pr.post)!;
    const type = pr.receptor === 'excitatory' ? 0 : 1;
    const shift = post.ringBufferShifts![type]!;
    const scale = post.weightScales![type]!;
    expect(scale).toBe(2 ** (15 - shift) * post.globalWeightScale);
    const rep = b.report.projections.find((r) => r.projection === pr.label)!;
    let clipped = 0;
    let zeroed = 0;
    for (let i = 0; i < pr.rowPtr.length - 1; i++) {
      for (let k = pr.rowPtr[i]!; k < pr.rowPtr[i + 1]!; k++) {
        const w = typeof pr.weight === 'number' ? pr.weight : pr.weight[k]!;
        const d = typeof pr.delay === 'number' ? pr.delay : pr.delay[k]!;
        const ticks = Math.max(1, rint(d / ir.run.dt));
        let w16 = rint(Math.abs(w) * scale);
        if (w16 > 0xffff) {
          w16 = 0xffff;
          clipped++;
        } else {
          // decoded within half an LSB
          expect(Math.abs((w16 * 2 ** shift) / 2 ** 15 / post.globalWeightScale - Math.abs(w))).toBeLessThanOrEqual(0.5 / scale + 1e-12);
        }
        if (w16 === 0 && w !== 0) zeroed++;
        const key = keyOf(pr.label, i, pr.targets[k]!, ticks, w16, type);
        const c = byKey.get(key);
        expect(c, `synapse ${key} missing`).toBeGreaterThan(0);
        byKey.set(key, c! - 1);
        expected++;
      }
    }
    expect(rep.clipped).toBe(clipped);
    expect(rep.zeroed).toBe(zeroed);
  }
  expect(decoded.length).toBe(expected);
}

/** Keys unique and aligned; every key routed through the compressed tables to exactly the cores that need it. */
function checkRouting(b: BuiltNetlist): void {
  const n = b.netlist;
  const chips = new Map(n.machine.chips.map((c) => [`${c.x},${c.y}`, c]));
  // placements: on real chips, within the application cores, unique
  const used = new Set<string>();
  for (const c of n.cores) {
    const chip = chips.get(`${c.placement.x},${c.placement.y}`)!;
    expect(chip).toBeDefined();
    expect(c.placement.p).toBeGreaterThanOrEqual(1);
    expect(c.placement.p).toBeLessThanOrEqual(chip.appCores);
    const id = `${c.placement.x},${c.placement.y},${c.placement.p}`;
    expect(used.has(id)).toBe(false);
    used.add(id);
  }
  // keys
  for (const c of n.cores) {
    const key = num(c.key);
    const mask = num(c.mask);
    expect((key & ~mask) >>> 0).toBe(0);
    expect(c.nKeys).toBeLessThanOrEqual(((~mask) >>> 0) + 1);
    for (const o of n.cores) if (o !== c) expect(((key ^ num(o.key)) & mask & num(o.mask)) >>> 0).not.toBe(0);
  }
  for (const t of n.routing.tables) {
    expect(t.nEntries).toBeLessThanOrEqual(1023);
    expect(t.nEntries).toBe(t.entries.length);
  }
  const tables = new Map(n.routing.tables.map((t) => [`${t.x},${t.y}`, t.entries.map((e) => ({ key: num(e.key), mask: num(e.mask), route: num(e.route) }))]));
  const delayCoreOf = new Map<string, string>();
  for (const d of n.delayExtensions) {
    const srcPop = n.populations.find((p) => p.id === d.source)!;
    d.cores.forEach((c, i) => delayCoreOf.set(srcPop.cores[i]!, c));
  }
  for (const src of n.cores) {
    const key = num(src.key);
    const size = src.slice[1] - src.slice[0] + 1;
    const nLocal = src.kind === 'delay_extension' ? src.nKeys / 16 : size;
    // the cores that must receive: those whose master population table matches the key, and the delay core
    const want = new Set<string>();
    for (const c of n.cores) {
      if (c.masterPopTable?.some((e) => ((key ^ num(e.key)) & num(e.mask)) >>> 0 === 0)) want.add(c.id);
    }
    const dc = delayCoreOf.get(src.id);
    if (dc) want.add(dc);
    // a core nothing listens to sends nothing (no partition, like sPyNNaker's vertices without outgoing edges)
    expect(src.sends).toBe(want.size > 0);
    if (!src.sends) continue;
    const where = new Map(n.cores.map((c) => [`${c.placement.x},${c.placement.y},${c.placement.p}`, c.id]));
    for (const local of new Set([0, nLocal - 1, Math.floor(nLocal / 2)])) {
      for (const colour of [0, 15]) {
        const k = (key + local * 16 + colour) >>> 0;
        const got: string[] = [];
        // packets in flight: chip and the link it was sent on (undefined: injected locally)
        const queue: { x: number; y: number; via?: number }[] = [{ x: src.placement.x, y: src.placement.y }];
        let hops = 0;
        while (queue.length > 0) {
          const { x, y, via } = queue.shift()!;
          expect(++hops).toBeLessThan(10_000);
          const entry = tables.get(`${x},${y}`)?.find((e) => ((k ^ e.key) & e.mask) >>> 0 === 0);
          let links: number[] = [];
          if (entry) {
            for (let l = 0; l < 6; l++) if (entry.route & (1 << l)) links.push(l);
            for (let p = 0; p < 18; p++) if (Math.floor(entry.route / 2 ** (6 + p)) % 2 === 1) got.push(where.get(`${x},${y},${p}`) ?? `nothing at ${x},${y},${p}`);
          } else if (via !== undefined) {
            // default routing: out of the port opposite the one it came in on = onwards in the same direction
            expect(oppositeLink(oppositeLink(via))).toBe(via);
            links = [via];
          }
          for (const l of links) {
            const [dx, dy] = LINK_DELTAS[l]!;
            expect(chips.has(`${x + dx},${y + dy}`), `key ${k} leaves the board at ${x},${y} link ${l}`).toBe(true);
            queue.push({ x: x + dx, y: y + dy, via: l });
          }
        }
        expect(got.sort()).toEqual([...want].sort());
      }
    }
  }
}

function checkAll(ir: NetworkIR, options: SpinnakerOptions = {}): BuiltNetlist {
  const b = buildNetlist(ir, options);
  checkSynapses(ir, b);
  checkRouting(b);
  return b;
}

// ------------------------------------------------------------------ random networks

const arbNetwork = fc
  .record({
    dt: fc.constantFrom(1, 0.1, 0.25),
    pops: fc.array(
      fc.record({ model: fc.constantFrom('IF_curr_exp', 'IF_cond_exp', 'spike_source_array', 'spike_source_poisson'), size: fc.integer({ min: 1, max: 90 }), perCore: fc.integer({ min: 1, max: 40 }) }),
      { minLength: 1, maxLength: 5 },
    ),
    projs: fc.array(
      fc.record({
        pre: fc.nat(),
        post: fc.nat(),
        inh: fc.boolean(),
        density: fc.integer({ min: 1, max: 30 }).map((x) => x / 100),
        wScale: fc.constantFrom(0.001, 0.1, 1, 30),
        maxDelayTicks: fc.constantFrom(2, 10, 40, 70),
        seed: fc.integer({ min: 1, max: 1e9 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    delayBits: fc.option(fc.integer({ min: 2, max: 5 }), { nil: undefined, freq: 4 }),
    board: fc.constantFrom('spinn-5' as const, 'spinn-3' as const),
  })
  .map(({ dt, pops, projs, delayBits, board }) => {
    const populations = pops.map((p, i) => {
      const extra: Partial<PopulationIR> = {};
      if (p.model === 'spike_source_array') extra.spikeTimes = Array.from({ length: p.size }, (_, k) => Float64Array.from(k % 3 === 0 ? [] : [1, 2 + k]));
      if (p.model === 'spike_source_poisson') extra.params = { rate: 5 + i };
      return pop(`P${i}`, p.model, p.size, extra);
    });
    const neuronPops = populations.filter((p) => p.model.startsWith('IF_'));
    const projections: ProjectionIR[] = [];
    if (neuronPops.length > 0) {
      projs.forEach((q, j) => {
        const pre = populations[q.pre % populations.length]!;
        const post = neuronPops[q.post % neuronPops.length]!;
        let s = q.seed;
        const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
        const syn: [number, number, number, number][] = [];
        for (let a = 0; a < pre.size; a++) for (let c = 0; c < post.size; c++) {
          if (rnd() >= q.density) continue;
          const mag = q.wScale * rnd() * 2;
          const w = post.model === 'IF_curr_exp' && q.inh ? -mag : mag;
          const d = rnd() < 0.5 ? dt * (1 + Math.floor(rnd() * q.maxDelayTicks)) : dt * (1 + rnd() * (q.maxDelayTicks - 1));
          syn.push([a, c, w, d]);
          if (rnd() < 0.05) syn.push([a, c, w, d]); // a multapse now and then
        }
        projections.push(proj(`J${j}`, pre, post, q.inh ? 'inhibitory' : 'excitatory', syn));
      });
    }
    const neuronsPerCore: Record<string, number> = {};
    pops.forEach((p, i) => (neuronsPerCore[`P${i}`] = p.perCore));
    return { ir: network('random', populations, projections, dt), options: { board, neuronsPerCore, delayBits } as SpinnakerOptions };
  });

describe('spinnaker netlist: random networks', () => {
  it('every synapse once in the rows (weight, delay, target); keys unique and routed; limits kept', () => {
    let built = 0;
    let delayed = 0;
    let merged = 0;
    let refused = 0;
    fc.assert(
      fc.property(arbNetwork, ({ ir, options }) => {
        let b: BuiltNetlist;
        try {
          b = checkAll(ir, options);
        } catch (e) {
          // only the machine's limits may refuse a valid random network
          if (e instanceof MachineCapacityError || (e instanceof UnsupportedError && /maximum|delay/.test(e.message))) {
            refused++;
            return;
          }
          throw e;
        }
        built++;
        if (b.netlist.delayExtensions.length > 0) delayed++;
        if (b.netlist.routing.tables.some((t) => t.nEntries < t.entriesBeforeCompression)) merged++;
      }),
      { numRuns: 120, seed: 6 },
    );
    // the generator exercises what it is meant to
    expect(built).toBeGreaterThan(90);
    expect(refused).toBeGreaterThan(0);
    expect(delayed).toBeGreaterThan(5);
    expect(merged).toBeGreaterThan(5);
  }, 60_000);

  it('a many-core network spread over chips routes every key across links (SpiNN-5 and SpiNN-3)', () => {
    const A = pop('A', 'IF_curr_exp', 400);
    const B = pop('B', 'IF_cond_exp', 300);
    const S = pop('S', 'spike_source_poisson', 100, { params: { rate: 10 } });
    const syn = (pre: PopulationIR, post: PopulationIR, step: number, w: number, d: number): [number, number, number, number][] => {
      const s: [number, number, number, number][] = [];
      for (let i = 0; i < pre.size; i += step) for (let j = (i * 7) % step; j < post.size; j += step) s.push([i, j, w, d + ((i + j) % 40)]);
      return s;
    };
    const ir = network('spread', [S, A, B], [proj('SA', S, A, 'excitatory', syn(S, A, 3, 0.2, 1)), proj('AB', A, B, 'excitatory', syn(A, B, 5, 0.01, 1)), proj('BA', B, A, 'inhibitory', syn(B, A, 4, -0.5, 30))]);
    const b5 = checkAll(ir, { neuronsPerCore: { A: 8, B: 8, S: 10 }, delayBits: 4 });
    const chips = new Set(b5.netlist.cores.map((c) => `${c.placement.x},${c.placement.y}`));
    expect(chips.size).toBeGreaterThan(5);
    expect(b5.netlist.routing.tables.some((t) => t.entries.some((e) => e.links.length > 0))).toBe(true);
    expect(b5.netlist.routing.tables.some((t) => t.defaultRouted > 0)).toBe(true);
    expect(b5.netlist.delayExtensions.length).toBeGreaterThan(0);
    const b3 = checkAll(ir, { board: 'spinn-3', neuronsPerCore: { A: 40, B: 40, S: 100 }, delayBits: 4 });
    expect(new Set(b3.netlist.cores.map((c) => `${c.placement.x},${c.placement.y}`)).size).toBeGreaterThan(1);
    expectError(() => buildNetlist(ir, { board: 'spinn-3', neuronsPerCore: 8 }), MachineCapacityError, /63/, /application cores/);
  });
});

describe('spinnaker netlist: compression', () => {
  it('random ternary tables route every key as before (8-bit keys, exhaustive)', () => {
    const arbEntry = fc.record({ key: fc.integer({ min: 0, max: 255 }), maskBits: fc.integer({ min: 0, max: 8 }), route: fc.integer({ min: 1, max: 4 }) });
    fc.assert(
      fc.property(fc.array(arbEntry, { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }), (raw, defaults) => {
        // disjoint aligned blocks, as the key allocator makes them
        const taken = new Map<number, number>();
        const entries: RouteEntry[] = [];
        const defaultRouted: RouteEntry[] = [];
        const add = (key: number, bits: number, route: number, list: RouteEntry[]) => {
          const mask = (0xffffffff << bits) >>> 0;
          const k = (key & mask) >>> 0;
          for (let x = k; x < k + 2 ** bits; x++) if (taken.has(x)) return;
          for (let x = k; x < k + 2 ** bits; x++) taken.set(x, route);
          list.push({ key: k, mask, route });
        };
        for (const e of raw) add(e.key, e.maskBits % 4, e.route, entries);
        for (const d of defaults) add(d, 0, -1, defaultRouted);
        const compressed = compressTable(entries, defaultRouted);
        expect(compressed.length).toBeLessThanOrEqual(entries.length);
        for (const [x, route] of taken) {
          const hit = compressed.find((e) => ((x ^ e.key) & e.mask) >>> 0 === 0);
          if (route === -1) expect(hit).toBeUndefined();
          else expect(hit?.route).toBe(route);
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('spinnaker netlist: the spec', () => {
  it('the worked word of §2.1: 0.05 nA at shift 1, delay 5, excitatory, index 42 → 0x03330A2A', () => {
    const S = pop('S', 'spike_source_array', 2, { spikeTimes: [Float64Array.from([1]), Float64Array.from([2])] });
    const E = pop('E', 'IF_curr_exp', 256);
    const ir = network('worked', [S, E], [proj('SE', S, E, 'excitatory', [[0, 42, 0.05, 5], [1, 43, 1.5, 16]])]);
    const b = buildNetlist(ir);
    const e = b.netlist.populations.find((p) => p.id === 'E')!;
    expect(e.ringBufferShifts![0]).toBe(1);
    expect(e.weightScales![0]).toBe(16384);
    expect(e.synapticWord).toEqual({ indexBits: 8, typeBits: 1, delayBits: 4 });
    const m = b.netlist.cores.find((c) => c.vertex === 'E')!.synapticMatrices![0]!;
    const words = b.arrays[m.words.key] as Uint32Array;
    expect(words[3]).toBe(0x03330a2a);
    expect(Array.from(words.subarray(0, 3))).toEqual([0, 1, 0]);
  });

  it('the key example of §3.4: exc 1000 → 4 cores, inh 250, stim 100; X = 12, M = 2', () => {
    const exc = pop('exc', 'IF_curr_exp', 1000);
    const inh = pop('inh', 'IF_curr_exp', 250);
    const stim = pop('stim', 'spike_source_array', 100, { spikeTimes: Array.from({ length: 100 }, () => new Float64Array()) });
    const b = buildNetlist(network('keys', [exc, inh, stim], []));
    expect(b.netlist.keyZones).toMatchObject({ atomBits: 12, machineBits: 2 });
    expect(b.netlist.cores.map((c) => [c.id, c.key])).toEqual([
      ['exc[0:255]', '0x00000000'], ['exc[256:511]', '0x00001000'], ['exc[512:767]', '0x00002000'], ['exc[768:999]', '0x00003000'],
      ['inh[0:249]', '0x00004000'], ['stim[0:99]', '0x00008000'],
    ]);
    expect(b.netlist.cores[0]!.mask).toBe('0xFFFFF000');
  });

  it('the fixed-point models export as their PyNN models, with their own ring shifts when given', () => {
    const S = pop('S', 'spike_source_array', 1, { spikeTimes: [Float64Array.from([1])] });
    const E = pop('E', 'spinnaker_IF_curr_exp', 4, { params: { ring_shift_E: 3 } });
    const C = pop('C', 'spinnaker_IF_cond_exp', 4);
    const ir = network('fixed', [S, E, C], [proj('SE', S, E, 'excitatory', [[0, 1, 0.05, 1]]), proj('SC', S, C, 'inhibitory', [[0, 2, 0.01, 2]])]);
    const b = checkAll(ir);
    const e = b.netlist.populations.find((p) => p.id === 'E')!;
    const c = b.netlist.populations.find((p) => p.id === 'C')!;
    expect([e.model, c.model]).toEqual(['IF_curr_exp', 'IF_cond_exp']);
    expect(e.ringBufferShifts![0]).toBe(3);
    expect(c.globalWeightScale).toBe(1024);
    expect(e.params).not.toHaveProperty('ring_shift_E');
  });

  it('the boards: SpiNN-5 48 chips (767 application cores), SpiNN-3 4 chips (63)', () => {
    const count = (n: 'spinn-5' | 'spinn-3') => makeBoard(n).chips.reduce((a, c) => a + c.appCores.length, 0);
    expect(makeBoard('spinn-5').chips.length).toBe(48);
    expect(makeBoard('spinn-3').chips.length).toBe(4);
    expect(count('spinn-5')).toBe(767);
    expect(count('spinn-3')).toBe(63);
  });
});

describe('spinnaker export: refusals, approximations, the CLI', () => {
  const E = pop('E', 'IF_cond_exp', 10);
  const F = pop('F', 'IF_curr_exp', 10);
  const gap = proj('G', E, E, 'gap', [[0, 1, 0.01, 0], [2, 3, 0.01, 0]], { transmission: 'gap' });
  const EF = proj('EF', E, F, 'excitatory', [[0, 1, 0.5, 1]]);

  it('refuses gap junctions, graded synapses and foreign models in one typed error, writing nothing', async () => {
    const K = pop('K', 'graded_kunert', 3);
    const graded = proj('KK', K, K, 'excitatory', [[0, 1, 0.1, 0]], { transmission: 'graded', graded: { variable: 's' } });
    const Z = pop('Z', 'izhikevich', 2);
    const ir = network('bad', [E, F, K, Z], [gap, EF, graded]);
    const err = expectError(() => buildNetlist(ir), UnsupportedError, /"G": gap junctions/, /"KK": graded/, /"K": model graded_kunert/, /"Z": izhikevich only approximately/);
    expect(err.message).not.toMatch(/"EF"/);
    const out = path.join(dir, 'refused');
    await expect(spinnaker.export(ir, out)).rejects.toThrow(UnsupportedError);
    expect(existsSync(out)).toBe(false);
    // graded_kunert has no counterpart even under --approximate
    await expect(spinnaker.export(ir, out, { approximate: true })).rejects.toThrow(/graded_kunert has no sPyNNaker counterpart/);
    expect(existsSync(out)).toBe(false);
  });

  it('--approximate leaves gap junctions out, maps izhikevich, clips over-long delays, and lists each', async () => {
    const Z = pop('Z', 'izhikevich', 2);
    const long = proj('L', F, F, 'excitatory', [[0, 1, 0.5, 1], [1, 2, 0.5, 200]]);
    const ir = network('approx', [E, F, Z], [gap, EF, long, proj('FZ', F, Z, 'excitatory', [[0, 1, 2, 1]])]);
    expectError(() => buildNetlist(ir, { delayBits: 4 }), UnsupportedError, /"G"/);
    const gapless = network('approx', [E, F], [EF, long]);
    expectError(() => buildNetlist(gapless, { delayBits: 4 }), UnsupportedError, /"L": 1 delays up to 200 ticks, above the 144-tick maximum/);
    const out = path.join(dir, 'approx');
    const r = await spinnaker.export(ir, out, { approximate: true, delayBits: 4 });
    const text = r.messages.join('\n');
    expect(text).toMatch(/approximated: projection "G": gap junctions .* left out \(2 synapses\)/);
    expect(text).toMatch(/approximated: population "Z": izhikevich exported as sPyNNaker Izhikevich/);
    expect(text).toMatch(/approximated: projection "L": 1 delays above 144 ticks \(up to 200\) clipped to 144 ticks/);
    const report = JSON.parse(readFileSync(path.join(out, 'quantization.json'), 'utf8'));
    expect(report.approximations).toHaveLength(3);
    const netlist = JSON.parse(readFileSync(path.join(out, 'netlist.json'), 'utf8'));
    expect(netlist.populations.find((p: { id: string }) => p.id === 'Z').model).toBe('Izhikevich');
  });

  it('refuses rows longer than 256 words and too many cores, with no folder', async () => {
    const S = pop('S', 'spike_source_array', 1, { spikeTimes: [Float64Array.from([1])] });
    const P = pop('P', 'IF_curr_exp', 100);
    const many: [number, number, number, number][] = Array.from({ length: 300 }, (_, k) => [0, k % 100, 0.1, 1]);
    const ir = network('rows', [S, P], [proj('SP', S, P, 'excitatory', many)]);
    const out = path.join(dir, 'rows');
    await expect(spinnaker.export(ir, out)).rejects.toThrow(/300 synapses from one neuron .* above the 256-word row maximum/);
    expect(existsSync(out)).toBe(false);
    const big = network('big', [pop('X', 'IF_curr_exp', 20_000)], []);
    await expect(spinnaker.export(big, out, { board: 'spinn-3' })).rejects.toThrow(MachineCapacityError);
    expect(existsSync(out)).toBe(false);
    expectError(() => buildNetlist(big, { neuronsPerCore: 300 }), ValidationError, /300 neurons per core; allowed 1\.\.256/);
    expectError(() => buildNetlist(big, { neuronsPerCore: { Y: 3 } }), ValidationError, /"Y"/);
  });

  it('parses --neurons-per-core', () => {
    expect(parseNeuronsPerCore('128')).toBe(128);
    expect(parseNeuronsPerCore('E=64, I=32')).toEqual({ E: 64, I: 32 });
    expect(parseNeuronsPerCore('100,E=64')).toEqual({ E: 64, '*': 100 });
    expectError(() => parseNeuronsPerCore('E=x'), ValidationError, /--neurons-per-core/);
  });

  it('nematode export --target spinnaker end to end on docs/examples/spinnaker-ei.yaml', () => {
    expect(TARGET_NAMES).toContain('spinnaker');
    const nematode = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    const out = path.join(dir, 'cli');
    const r = nematode('export', 'docs/examples/spinnaker-ei.yaml', '--target', 'spinnaker', '--out', out, '--neurons-per-core', 'E=128', '--board', 'spinn-3');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/quantisation \(per projection/);
    expect(r.stdout).toMatch(/EI \(E→I, excitatory\): shift \d+, .* via delay extension \d+/);
    const netlist = JSON.parse(readFileSync(path.join(out, 'netlist.json'), 'utf8'));
    expect(netlist.format).toBe('nematode-spinnaker-netlist');
    expect(netlist.machine.board).toBe('spinn-3');
    expect(netlist.populations.find((p: { id: string }) => p.id === 'E').cores).toEqual(['E[0:127]', 'E[128:255]', 'E[256:299]']);
    expect(netlist.delayExtensions.map((d: { source: string }) => d.source)).toEqual(['E']);
    const arrays = decodeSideFile(readFileSync(path.join(out, 'netlist.msgpack')));
    const m = netlist.cores.find((c: { id: string }) => c.id === 'I[0:74]').synapticMatrices[0];
    expect(arrays[m.words.key]).toBeInstanceOf(Uint32Array);
    expect(arrays[m.words.key]!.length).toBe(m.nRows * (3 + m.rowLengthWords));
    const report = JSON.parse(readFileSync(path.join(out, 'quantization.json'), 'utf8'));
    expect(report.projections.map((p: { projection: string }) => p.projection)).toEqual(['InE', 'EE', 'EI', 'IE']);
    // an existing folder that is not an export stays untouched; a bad option is refused before writing
    const foreign = path.join(dir, 'foreign');
    writeFileSync(path.join(dir, 'foreign'), 'x');
    expect(nematode('export', 'docs/examples/spinnaker-ei.yaml', '--target', 'spinnaker', '--out', foreign).status).not.toBe(0);
    expect(readFileSync(foreign, 'utf8')).toBe('x');
    const bad = nematode('export', 'docs/examples/spinnaker-ei.yaml', '--target', 'spinnaker', '--out', path.join(dir, 'cli-bad'), '--neurons-per-core', 'Q=3');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/"Q"/);
    expect(existsSync(path.join(dir, 'cli-bad'))).toBe(false);
  });
});
