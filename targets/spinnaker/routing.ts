/**
 * Routing keys, multicast routing trees, per-chip routing tables and their compression
 * (spec ../shared/reference/spinnaker-pynn.md §3.4, §3.5).
 *
 * Keys (zoned): key = ((a << M) | m) << X for machine vertex m of application vertex a,
 * mask = all ones above X; X = bits for the most keys any machine vertex needs, M = bits
 * for the most machine vertices of any application vertex.
 *
 * Trees: per source core, the breadth-first shortest-path tree of the board from the
 * source chip; the tree's branches to the chips of the target cores. One entry per chip
 * the tree visits, route word = link bits 0..5 | core bits 6 + p. An entry for a chip the
 * packet only passes straight through (arrives on link L, leaves on the opposite one, no
 * local cores, not the source chip) is left out: the router's default routing does that.
 *
 * Compression (our own, correct whatever the table order): entries with the same route
 * are merged pairwise into (k1 & k2, m1 & m2 & ~(k1 ^ k2)) (the smallest ternary entry
 * covering both) whenever the merged entry intersects no entry with a different route and
 * no default-routed key of that chip. Invariant: entries of different routes are disjoint
 * and no entry covers a default-routed key, so every key that reaches the chip matches only
 * entries with its original route (or none, for a default-routed key), and first-match
 * order cannot change any route. Keys that never reach the chip may match anything; they
 * never arrive (by induction from the source chip, every chip sees the same keys as before).
 */
import { UnsupportedError } from '../../src/errors.js';
import { bfs, chipId, type Board, type Placement } from './machine.js';

export const N_COLOUR_BITS = 4;

/** ceil(log2 n), 0 for n ≤ 1. */
export function bitsFor(n: number): number {
  let b = 0;
  while (2 ** b < n) b++;
  return b;
}

export interface KeyZones {
  apBits: number;
  machineBits: number;
  atomBits: number;
}

/** Zones for the given key counts: keyCounts[a][m] = keys machine vertex m of application vertex a needs. */
export function keyZones(keyCounts: readonly (readonly number[])[]): KeyZones {
  const atomBits = bitsFor(Math.max(1, ...keyCounts.flat()));
  const machineBits = bitsFor(Math.max(1, ...keyCounts.map((k) => k.length)));
  const apBits = bitsFor(keyCounts.length);
  if (atomBits + machineBits + apBits > 32) {
    throw new UnsupportedError(
      `the routing keys need ${atomBits} + ${machineBits} + ${apBits} = ${atomBits + machineBits + apBits} bits (atoms, cores, vertices), more than 32; use fewer neurons per core or fewer populations.`,
      { object: 'nematode export', parameter: 'neurons-per-core' },
    );
  }
  return { apBits, machineBits, atomBits };
}

export function machineKey(z: KeyZones, a: number, m: number): number {
  return (((a << z.machineBits) | m) * 2 ** z.atomBits) >>> 0;
}

export function machineMask(z: KeyZones): number {
  return z.atomBits >= 32 ? 0 : (0xffffffff << z.atomBits) >>> 0;
}

export interface RouteEntry {
  key: number;
  mask: number;
  /** Bits 0..5 links, bit 6 + p core p. */
  route: number;
}

export interface Partition {
  /** Index of the source core. */
  source: number;
  key: number;
  mask: number;
  /** Indices of the target cores. */
  targets: number[];
}

export interface ChipTable {
  x: number;
  y: number;
  /** Entries before compression (default-routed ones left out). */
  uncompressed: RouteEntry[];
  /** Entries left out because default routing does the same. */
  defaultRouted: RouteEntry[];
  /** The compressed table, in the order it is loaded (any order routes the same). */
  entries: RouteEntry[];
}

function intersects(a: RouteEntry, b: { key: number; mask: number }): boolean {
  return ((a.key ^ b.key) & a.mask & b.mask) >>> 0 === 0;
}

/** Pairwise merging of same-route entries, never covering a key routed otherwise (see the file comment). */
export function compressTable(entries: readonly RouteEntry[], defaultRouted: readonly RouteEntry[]): RouteEntry[] {
  const groups = new Map<number, RouteEntry[]>();
  for (const e of entries) {
    let g = groups.get(e.route);
    if (!g) groups.set(e.route, (g = []));
    g.push({ ...e });
  }
  // Largest groups first (they gain most), as the spec's pair compressor does.
  const routes = [...groups.keys()].sort((a, b) => groups.get(b)!.length - groups.get(a)!.length || a - b);
  for (const route of routes) {
    const blockers: RouteEntry[] = [...defaultRouted];
    for (const [r, g] of groups) if (r !== route) blockers.push(...g);
    let g = groups.get(route)!;
    let merged = true;
    while (merged) {
      merged = false;
      for (let i = 0; i < g.length && !merged; i++) {
        for (let j = i + 1; j < g.length; j++) {
          const a = g[i]!;
          const b = g[j]!;
          const mask = (a.mask & b.mask & ~(a.key ^ b.key)) >>> 0;
          const m: RouteEntry = { key: (a.key & b.key & mask) >>> 0, mask, route };
          if (blockers.some((e) => intersects(m, e))) continue;
          // Drop every entry of the group the merged one covers.
          g = [m, ...g.filter((e) => !((e.mask & m.mask) >>> 0 === m.mask && ((e.key ^ m.key) & m.mask) >>> 0 === 0))];
          merged = true;
          break;
        }
      }
    }
    groups.set(route, g);
  }
  return [...groups.values()].flat().sort((a, b) => a.key - b.key || b.mask - a.mask);
}

/** Routing tables for the partitions; `placements[i]` is core i's place. */
export function buildTables(board: Board, placements: readonly Placement[], partitions: readonly Partition[]): ChipTable[] {
  const perChip = new Map<string, { entries: RouteEntry[]; defaults: RouteEntry[] }>();
  const chipOf = (x: number, y: number) => {
    const id = chipId(x, y);
    let t = perChip.get(id);
    if (!t) perChip.set(id, (t = { entries: [], defaults: [] }));
    return t;
  };
  const trees = new Map<string, ReturnType<typeof bfs>['parent']>();
  for (const part of partitions) {
    const src = placements[part.source]!;
    let parent = trees.get(chipId(src.x, src.y));
    if (!parent) trees.set(chipId(src.x, src.y), (parent = bfs(board, src.x, src.y).parent));
    // route bits per chip of this tree
    const routes = new Map<string, { x: number; y: number; route: number }>();
    const at = (x: number, y: number) => {
      const id = chipId(x, y);
      let r = routes.get(id);
      if (!r) routes.set(id, (r = { x, y, route: 0 }));
      return r;
    };
    for (const t of part.targets) {
      const pl = placements[t]!;
      at(pl.x, pl.y).route |= 2 ** (6 + pl.p);
      let x = pl.x;
      let y = pl.y;
      while (x !== src.x || y !== src.y) {
        const par = parent.get(chipId(x, y))!;
        at(par.x, par.y).route |= 1 << par.link;
        x = par.x;
        y = par.y;
      }
    }
    for (const r of routes.values()) {
      const entry: RouteEntry = { key: part.key, mask: part.mask, route: r.route >>> 0 };
      const isSource = r.x === src.x && r.y === src.y;
      const par = isSource ? undefined : parent.get(chipId(r.x, r.y))!;
      const t = chipOf(r.x, r.y);
      if (par && r.route === 1 << par.link) t.defaults.push(entry);
      else t.entries.push(entry);
    }
  }
  const tables: ChipTable[] = [];
  for (const c of board.chips) {
    const t = perChip.get(chipId(c.x, c.y));
    if (!t) continue;
    tables.push({ x: c.x, y: c.y, uncompressed: t.entries, defaultRouted: t.defaults, entries: compressTable(t.entries, t.defaults) });
  }
  return tables;
}

/** The links (0..5) and cores of a route word. */
export function decodeRoute(route: number): { links: number[]; cores: number[] } {
  const links: number[] = [];
  const cores: number[] = [];
  for (let b = 0; b < 6; b++) if (route & (1 << b)) links.push(b);
  for (let p = 0; p < 18; p++) if (Math.floor(route / 2 ** (6 + p)) % 2 === 1) cores.push(p);
  return { links, cores };
}
