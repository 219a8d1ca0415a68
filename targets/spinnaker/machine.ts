/**
 * The SpiNNaker-1 machine the netlist is placed on (spec ../shared/reference/spinnaker-pynn.md
 * §3.2, §3.3): one board, SpiNN-3 (4 chips, 2×2) or SpiNN-5 (48 chips: the 8×8 grid
 * without its corners, i.e. 0 ≤ x, y ≤ 7 and −4 ≤ y − x ≤ 3), no wrap-around links.
 *
 * Each chip has 18 cores: core 0 runs SC&MP and core 17 the extra monitor, so cores 1..16
 * are application cores (16 per chip); on the Ethernet chip (0, 0) the packet gatherer
 * takes core 16 as well, leaving 15. Links: 0 = E (+1, 0), 1 = NE (+1, +1), 2 = N (0, +1),
 * 3 = W (−1, 0), 4 = SW (−1, −1), 5 = S (0, −1); link L is opposite link (L + 3) mod 6.
 */
import { UnsupportedError } from '../../src/errors.js';

export type BoardName = 'spinn-5' | 'spinn-3';
export const BOARD_NAMES: readonly BoardName[] = ['spinn-5', 'spinn-3'];

/** Usable multicast router entries per chip. */
export const ROUTER_ENTRIES = 1023;
/** Usable SDRAM per chip (bytes). */
export const SDRAM_PER_CHIP = 123_469_792;
export const CORES_PER_CHIP = 18;
export const ETHERNET_CHIP = { x: 0, y: 0 } as const;

export const LINK_DELTAS: readonly (readonly [number, number])[] = [
  [1, 0],
  [1, 1],
  [0, 1],
  [-1, 0],
  [-1, -1],
  [0, -1],
];
export const LINK_NAMES = ['E', 'NE', 'N', 'W', 'SW', 'S'] as const;

export function oppositeLink(link: number): number {
  return (link + 3) % 6;
}

export interface Chip {
  x: number;
  y: number;
  /** Application core numbers (p) on this chip, in placement order. */
  appCores: number[];
}

export interface Board {
  name: BoardName;
  width: number;
  height: number;
  chips: Chip[];
}

/** A SpiNN-5 or SpiNN-3 board. */
export function makeBoard(name: BoardName): Board {
  const chips: Chip[] = [];
  const size = name === 'spinn-5' ? 8 : 2;
  for (let x = 0; x < size; x++) {
    for (let y = 0; y < size; y++) {
      if (name === 'spinn-5' && (y - x > 3 || y - x < -4)) continue;
      const ethernet = x === ETHERNET_CHIP.x && y === ETHERNET_CHIP.y;
      const appCores = Array.from({ length: ethernet ? 15 : 16 }, (_, i) => i + 1);
      chips.push({ x, y, appCores });
    }
  }
  return { name, width: size, height: size, chips };
}

export function chipId(x: number, y: number): string {
  return `${x},${y}`;
}

export function hasChip(board: Board, x: number, y: number): boolean {
  return board.chips.some((c) => c.x === x && c.y === y);
}

/**
 * Breadth-first order of the board's chips from (x0, y0) over the six links (ties: lower
 * link number first), with each chip's parent link: the link its BFS parent sends on.
 * Used for placement (fill a chip, then its nearest neighbours) and for routing trees.
 */
export function bfs(board: Board, x0: number, y0: number): { order: Chip[]; parent: Map<string, { x: number; y: number; link: number }> } {
  const byId = new Map(board.chips.map((c) => [chipId(c.x, c.y), c]));
  const start = byId.get(chipId(x0, y0));
  if (!start) throw new Error(`no chip (${x0}, ${y0})`);
  const order: Chip[] = [start];
  const parent = new Map<string, { x: number; y: number; link: number }>();
  const seen = new Set([chipId(x0, y0)]);
  for (let i = 0; i < order.length; i++) {
    const c = order[i]!;
    for (let link = 0; link < 6; link++) {
      const [dx, dy] = LINK_DELTAS[link]!;
      const id = chipId(c.x + dx, c.y + dy);
      const n = byId.get(id);
      if (!n || seen.has(id)) continue;
      seen.add(id);
      parent.set(id, { x: c.x, y: c.y, link });
      order.push(n);
    }
  }
  return { order, parent };
}

/** The machine does not have room for the network: too many cores, or too much SDRAM on a chip. */
export class MachineCapacityError extends UnsupportedError {}

export interface Placement {
  x: number;
  y: number;
  p: number;
}

/**
 * Places `coreCounts[v]` cores for each application vertex v, in order: the cores go onto
 * the chips in breadth-first order from the Ethernet chip (0, 0), filling a chip before
 * the next, so one population's cores sit on one chip or neighbouring ones (§3.3).
 */
export function place(board: Board, coreCounts: readonly number[], labels: readonly string[]): Placement[][] {
  const { order } = bfs(board, ETHERNET_CHIP.x, ETHERNET_CHIP.y);
  const slots: Placement[] = [];
  for (const c of order) for (const p of c.appCores) slots.push({ x: c.x, y: c.y, p });
  const needed = coreCounts.reduce((a, b) => a + b, 0);
  if (needed > slots.length) {
    const parts = coreCounts.map((n, i) => `${labels[i]} ${n}`).join(', ');
    throw new MachineCapacityError(
      `the network needs ${needed} application cores but a ${board.name} board has ${slots.length} (${board.chips.length} chips); cores per vertex: ${parts}. ` +
        `Use --board spinn-5, or more neurons per core (--neurons-per-core, at most 256 for neuron models).`,
      { object: 'nematode export', parameter: 'board', expected: `≤ ${slots.length} cores` },
    );
  }
  const out: Placement[][] = [];
  let k = 0;
  for (const n of coreCounts) {
    const mine: Placement[] = [];
    for (let i = 0; i < n; i++) mine.push(slots[k++]!);
    out.push(mine);
  }
  return out;
}
