/**
 * Loaders: each dataset's table(s) reduced to one weighted graph by the rules
 * of worm-models.md §2.2 (Varshney chemical = S + Sp; gap junctions once per
 * unordered pair; duplicate rows summed) with the names of §2.3 normalised.
 * A loader reads the convenience CSV when present, otherwise the original
 * (xlsx, xls, csv, json), so a cache holding only the originals works.
 * Results are cached in memory per (data directory, dataset).
 */
import { join } from 'node:path';
import { FileFormatError, UnknownNameError } from '../errors.js';
import { parseRecords } from './csv.js';
import { firstPresent, hasFile, readVerified, resolveDataDir } from './datadir.js';
import { normaliseMuscleName, normaliseNeuronName, neuronClass } from './names.js';
import type { Connectome, DatasetId, GapJunctionPair, NeuronCategory, NeuronInfo, OtherTargetEdge } from './types.js';
import { readXls } from './xls.js';
import { readXlsx } from './xlsx.js';

const VARSHNEY = ['varshney2011_neuron_connect.csv', 'original/NeuronConnectFormatted.xlsx'];
const SHEET_CONNECTOME = ['neuron_tables_connectome.csv', 'original/CElegansNeuronTables.xls'];
const SHEET_MUSCLE = ['neuron_tables_neurons_to_muscle.csv', 'original/CElegansNeuronTables.xls'];
const COOK = ['cook2019_herm_full_edgelist.csv', 'original/herm_full_edgelist.csv'];
const WHITE = ['original/aconnectome_white_1986_whole.csv'];
const NEURON_NAMES = ['neurons.csv', 'original/owmeta_cache.json'];
const NEURON_TABLE = 'neurons_302.csv';

/** For each input of a dataset, the files that can provide it, preferred first. */
export const DATASET_SOURCES: Record<DatasetId, string[][]> = {
  varshney2011: [VARSHNEY, NEURON_NAMES],
  openworm: [SHEET_CONNECTOME, SHEET_MUSCLE, NEURON_NAMES],
  cook2019: [COOK, NEURON_NAMES],
  white1986: [WHITE, NEURON_NAMES],
};

const CITE = {
  varshney2011:
    'Varshney LR, Chen BL, Paniagua E, Hall DH, Chklovskii DB (2011). Structural properties of the Caenorhabditis elegans neuronal network. PLoS Comput Biol 7:e1001066 (data: WormAtlas)',
  cook2019:
    'Cook SJ, Jarrell TA, Brittin CA, et al. (2019). Whole-animal connectomes of both Caenorhabditis elegans sexes. Nature 571:63-71',
  white1986:
    'White JG, Southgate E, Thomson JN, Brenner S (1986). The structure of the nervous system of the nematode Caenorhabditis elegans. Phil Trans R Soc Lond B 314:1-340 (as reannotated by WormWiring)',
  openworm:
    'OpenWorm c302 CElegansNeuronTables.xls (github.com/openworm/c302 @ 9cccbab), compiled from WormAtlas data; somatic part from Varshney et al. 2011, PLoS Comput Biol 7:e1001066',
};

export const DATASETS: readonly { id: DatasetId; title: string; citation: string; files: string[] }[] = Object.freeze(
  (
    [
      ['varshney2011', 'Varshney et al. 2011: somatic hermaphrodite nervous system (WormAtlas)'],
      ['openworm', 'OpenWorm CElegansNeuronTables (c302 default): Varshney plus the 20 pharyngeal neurons'],
      ['cook2019', 'Cook et al. 2019: whole hermaphrodite, weights in EM serial sections'],
      ['white1986', 'White et al. 1986: whole animal (WormWiring reannotation)'],
    ] as const
  ).map(([id, title]) => ({ id, title, citation: CITE[id], files: [...new Set(DATASET_SOURCES[id].flat())] })),
);

export const DATASET_IDS = DATASETS.map((d) => d.id);

// ---------------------------------------------------------------------------
// Reading tables

const workbooks = new Map<string, Map<string, string[][]>>();

/** A table as header-keyed records: a CSV/TSV file, or one sheet of an .xlsx/.xls workbook (first row = header). */
function readTable(dir: string, path: string, opts: { sheet?: string; delimiter?: string; columns: string[] }): Record<string, string>[] {
  const label = join(dir, 'celegans', path);
  let header: string[];
  let records: Record<string, string>[];
  if (/\.xlsx?$/.test(path)) {
    let book = workbooks.get(label);
    if (!book) {
      const buf = readVerified(dir, path);
      book = path.endsWith('.xlsx') ? readXlsx(buf, label) : readXls(buf, label);
      workbooks.set(label, book);
    }
    const rows = opts.sheet ? book.get(opts.sheet) : [...book.values()][0];
    if (!rows) throw new FileFormatError(`${label}: no sheet "${opts.sheet}" (sheets: ${[...book.keys()].join(', ')})`, { object: label });
    [header = []] = rows;
    records = rows.slice(1).filter((r) => r.some((v) => v !== '')).map((r) => Object.fromEntries(header.map((h, j) => [h, r[j] ?? ''])));
  } else {
    ({ header, records } = parseRecords(readVerified(dir, path).toString('utf8'), opts.delimiter));
  }
  const missing = opts.columns.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new FileFormatError(`${label}${opts.sheet ? ` sheet ${opts.sheet}` : ''}: missing column(s) ${missing.join(', ')} (found: ${header.join(', ')})`, {
      object: label,
      expected: opts.columns.join(', '),
    });
  }
  return records;
}

function count(raw: string | undefined, where: string): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new FileFormatError(`${where}: connection count "${raw}" is not a non-negative number`, { object: where });
  }
  return n;
}

const neuronSets = new Map<string, Set<string>>();

/** The 302 neuron names (neurons.csv or owmeta_cache.json neuron_info). */
export function neuronNames(dir: string): Set<string> {
  let set = neuronSets.get(dir);
  if (set) return set;
  const path = firstPresent(dir, NEURON_NAMES);
  const names =
    path === 'neurons.csv'
      ? readTable(dir, path, { columns: ['name'] }).map((r) => r.name!)
      : Object.keys((JSON.parse(readVerified(dir, path).toString('utf8')) as { neuron_info: Record<string, unknown> }).neuron_info);
  set = new Set(names.map(normaliseNeuronName));
  neuronSets.set(dir, set);
  return set;
}

// ---------------------------------------------------------------------------
// Reduction to one graph

const key = (...parts: string[]) => parts.join('\t');
/** Plain code-unit (ASCII) order. */
const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** Combines both listed directions of each unordered gap-junction pair by their maximum, counting how pairs were listed. */
function combineGap(directed: Map<string, number>): { pairs: Map<string, number>; both: number; differ: number; oneWay: number } {
  const pairs = new Map<string, number>();
  let both = 0;
  let differ = 0;
  let oneWay = 0;
  for (const [k, n] of directed) {
    const [a, b] = k.split('\t') as [string, string];
    const reverse = directed.get(key(b, a));
    if (a === b) pairs.set(k, n);
    else if (reverse === undefined) {
      pairs.set(a < b ? k : key(b, a), n);
      oneWay++;
    } else if (a < b) {
      pairs.set(k, Math.max(n, reverse));
      both++;
      if (reverse !== n) differ++;
    }
  }
  return { pairs, both, differ, oneWay };
}

/** Accumulates rows (names normalised, duplicates summed) and classifies each end as neuron, body-wall muscle or other. */
class GraphBuilder {
  readonly chem = new Map<string, number>();
  readonly gapDirected = new Map<string, number>();
  readonly nmj = new Map<string, number>();
  readonly otherChem = new Map<string, number>();
  /** neuron \t target \t (1 = neuron listed first, 0 = target listed first) */
  readonly otherGap = new Map<string, number>();
  dropped = 0;
  constructor(private readonly neurons: Set<string>) {}

  private name(raw: string): { kind: 'neuron' | 'muscle' | 'other'; name: string } {
    const n = normaliseNeuronName(raw);
    if (this.neurons.has(n)) return { kind: 'neuron', name: n };
    const m = normaliseMuscleName(raw);
    return m ? { kind: 'muscle', name: m } : { kind: 'other', name: raw.trim() };
  }

  add(rawA: string, rawB: string, type: 'chemical' | 'gap', n: number): void {
    const a = this.name(rawA);
    const b = this.name(rawB);
    const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + n);
    if (type === 'chemical') {
      if (a.kind !== 'neuron') this.dropped++;
      else if (b.kind === 'neuron') inc(this.chem, key(a.name, b.name));
      else if (b.kind === 'muscle') inc(this.nmj, key(a.name, b.name));
      else inc(this.otherChem, key(a.name, b.name));
    } else if (a.kind === 'neuron' && b.kind === 'neuron') inc(this.gapDirected, key(a.name, b.name));
    else if (a.kind === 'neuron') inc(this.otherGap, key(a.name, b.name, '1'));
    else if (b.kind === 'neuron') inc(this.otherGap, key(b.name, a.name, '0'));
    else this.dropped++;
  }

  build(dataset: DatasetId, notes: string[]): Connectome {
    const split = (k: string) => k.split('\t') as [string, string, string?];
    const gap = combineGap(this.gapDirected);
    notes.push(
      `gap junctions: one entry per unordered pair, count = max of the two listed directions ` +
        `(${gap.both} pairs listed both ways, ${gap.differ} of them with different counts; ${gap.oneWay} listed one way only)`,
    );
    const otherGapPairs = new Map<string, number>();
    for (const [k, n] of this.otherGap) {
      const [pre, target] = split(k);
      const pk = key(pre, target!);
      otherGapPairs.set(pk, Math.max(otherGapPairs.get(pk) ?? 0, n));
    }
    if (this.dropped > 0) notes.push(`${this.dropped} rows with no neuron as presynaptic cell (chemical) or on either side (gap junction) left out, e.g. muscle-muscle gap junctions`);
    notes.push('names: whitespace trimmed, neuron zero padding dropped (VB01 -> VB1), muscles in c302 naming (dBWML1 -> MDL01); duplicate rows summed');

    const bySorted = <T>(m: Map<string, number>, make: (p: [string, string, string?], n: number) => T) =>
      [...m.entries()].sort(([x], [y]) => cmp(x, y)).map(([k, n]) => Object.freeze(make(split(k), n)));
    const chemical = bySorted(this.chem, ([pre, post], count) => ({ pre, post, count }));
    const gapPairs = bySorted(gap.pairs, ([a, b], count): GapJunctionPair => ({ a, b, count }));
    const nmj = bySorted(this.nmj, ([pre, muscle], count) => ({ pre, muscle, count }));
    const otherTargets: OtherTargetEdge[] = [
      ...bySorted(this.otherChem, ([pre, target], count): OtherTargetEdge => ({ pre, target, type: 'chemical', count })),
      ...bySorted(otherGapPairs, ([pre, target], count): OtherTargetEdge => ({ pre, target, type: 'gap', count })),
    ].sort((x, y) => cmp(x.pre, y.pre) || cmp(x.target, y.target) || cmp(x.type, y.type));
    const neurons = new Set<string>();
    for (const e of chemical) neurons.add(e.pre).add(e.post);
    for (const e of gapPairs) neurons.add(e.a).add(e.b);
    for (const e of nmj) neurons.add(e.pre);
    for (const e of otherTargets) neurons.add(e.pre);
    const d = DATASETS.find((x) => x.id === dataset)!;
    return Object.freeze({
      dataset,
      title: d.title,
      citation: d.citation,
      weightUnit: dataset === 'cook2019' ? 'sections' : 'synapses',
      neurons: Object.freeze([...neurons].sort()) as string[],
      chemical: Object.freeze(chemical) as Connectome['chemical'],
      gap: Object.freeze(gapPairs) as Connectome['gap'],
      nmj: Object.freeze(nmj) as Connectome['nmj'],
      otherTargets: Object.freeze(otherTargets) as Connectome['otherTargets'],
      notes: Object.freeze(notes) as string[],
    });
  }
}

// ---------------------------------------------------------------------------
// The datasets

function loadVarshney(dir: string): Connectome {
  const path = firstPresent(dir, VARSHNEY);
  const g = new GraphBuilder(neuronNames(dir));
  const received = new Map<string, number>(); // R + Rp, keyed pre \t post, to check that they mirror S + Sp
  const where = join(dir, 'celegans', path);
  readTable(dir, path, { columns: ['Neuron 1', 'Neuron 2', 'Type', 'Nbr'] }).forEach((r, i) => {
    const n = count(r.Nbr, `${where} row ${i + 2}`);
    const a = r['Neuron 1']!;
    const b = r['Neuron 2']!;
    switch (r.Type!.trim()) {
      case 'S': // neuron 1 sends, monadic
      case 'Sp': // neuron 1 sends, polyadic
        return g.add(a, b, 'chemical', n);
      case 'R': // neuron 1 receives: the same synapses seen from the other side, never added
      case 'Rp': {
        const k = key(normaliseNeuronName(b), normaliseNeuronName(a));
        received.set(k, (received.get(k) ?? 0) + n);
        return;
      }
      case 'EJ':
        return g.add(a, b, 'gap', n);
      case 'NMJ': // target is the pseudo-node "NMJ": the muscle is not named
        return g.add(a, b, 'chemical', n);
      default:
        throw new FileFormatError(`${where} row ${i + 2}: unknown type "${r.Type}" (expected S, Sp, R, Rp, EJ or NMJ)`, { object: where });
    }
  });
  let mismatch = 0;
  for (const k of new Set([...g.chem.keys(), ...received.keys()])) if ((g.chem.get(k) ?? 0) !== (received.get(k) ?? 0)) mismatch++;
  return g.build('varshney2011', [
    `read from ${path}`,
    'chemical: directed weight pre -> post = S + Sp (monadic + polyadic sends); R and Rp rows (the same synapses seen from the postsynaptic side) are not added',
    `checked: R + Rp mirrors S + Sp on every edge (${mismatch} mismatches)`,
    'NMJ rows name no muscle: kept in otherTargets with target "NMJ" (duplicate rows summed)',
  ]);
}

function loadOpenWorm(dir: string): Connectome {
  const g = new GraphBuilder(neuronNames(dir));
  const cPath = firstPresent(dir, SHEET_CONNECTOME);
  const cWhere = join(dir, 'celegans', cPath);
  const rows = readTable(dir, cPath, { sheet: 'Connectome', columns: ['Origin', 'Target', 'Type', 'Number of Connections'] });
  rows.forEach((r, i) => {
    const n = count(r['Number of Connections'], `${cWhere} row ${i + 2}`);
    const t = r.Type!.trim();
    if (t !== 'Send' && t !== 'GapJunction') throw new FileFormatError(`${cWhere} row ${i + 2}: unknown type "${t}" (expected Send or GapJunction)`, { object: cWhere });
    g.add(r.Origin!, r.Target!, t === 'Send' ? 'chemical' : 'gap', n);
  });
  const mPath = firstPresent(dir, SHEET_MUSCLE);
  const mWhere = join(dir, 'celegans', mPath);
  readTable(dir, mPath, { sheet: 'NeuronsToMuscle', columns: ['Neuron', 'Muscle', 'Number of Connections'] }).forEach((r, i) =>
    g.add(r.Neuron!, r.Muscle!, 'chemical', count(r['Number of Connections'], `${mWhere} row ${i + 2}`)),
  );
  return g.build('openworm', [
    `read from ${cPath} (sheet Connectome) and ${mPath} (sheet NeuronsToMuscle)`,
    'chemical: Send rows (Origin -> Target); gap: GapJunction rows; the Neurotransmitter column is not used here',
    'the spreadsheet keeps one copy where S = Sp in Varshney (105 pairs), so its somatic chemical total is lower than Varshney\'s',
    'NMJ: NeuronsToMuscle rows; MANAL and MVULVA go to otherTargets',
  ]);
}

function loadCook(dir: string): Connectome {
  const path = firstPresent(dir, COOK);
  const where = join(dir, 'celegans', path);
  const g = new GraphBuilder(neuronNames(dir));
  readTable(dir, path, { columns: ['Source', 'Target', 'Weight', 'Type'] }).forEach((r, i) => {
    const t = r.Type!.trim();
    if (t !== 'chemical' && t !== 'electrical') throw new FileFormatError(`${where} row ${i + 2}: unknown type "${t}" (expected chemical or electrical)`, { object: where });
    g.add(r.Source!, r.Target!, t === 'chemical' ? 'chemical' : 'gap', count(r.Weight, `${where} row ${i + 2}`));
  });
  return g.build('cook2019', [
    `read from ${path}`,
    'weights are numbers of EM serial sections (synapse count x size), not synapse counts',
    'neurons are the names of the 302-neuron table (CANL and CANR have no connections here); every other node is a muscle or other target',
    'chemical edges onto body-wall muscles (dBWML1 ...) are the NMJs; onto pharyngeal, vulval, uterine muscle, hypodermis, intestine etc. they go to otherTargets',
  ]);
}

function loadWhite(dir: string): Connectome {
  const [path] = WHITE as [string];
  const where = join(dir, 'celegans', path);
  const g = new GraphBuilder(neuronNames(dir));
  readTable(dir, path, { delimiter: '\t', columns: ['pre', 'post', 'type', 'synapses'] }).forEach((r, i) => {
    const t = r.type!.trim();
    if (t !== 'chemical' && t !== 'electrical') throw new FileFormatError(`${where} row ${i + 2}: unknown type "${t}" (expected chemical or electrical)`, { object: where });
    g.add(r.pre!, r.post!, t === 'chemical' ? 'chemical' : 'gap', count(r.synapses, `${where} row ${i + 2}`));
  });
  return g.build('white1986', [
    `read from ${path} (tab-separated despite the .csv name)`,
    'chemical rows onto non-neurons (LegacyBodyWallMuscles, GLR cells, pm1, pm4) go to otherTargets',
  ]);
}

const LOADERS: Record<DatasetId, (dir: string) => Connectome> = {
  varshney2011: loadVarshney,
  openworm: loadOpenWorm,
  cook2019: loadCook,
  white1986: loadWhite,
};

const cache = new Map<string, Connectome>();

/** Loads one dataset as a reduced graph (synchronous; cached per data directory and dataset; treat it as read-only). */
export function loadConnectome(dataset: DatasetId, opts: { dataDir?: string } = {}): Connectome {
  if (!DATASET_IDS.includes(dataset)) throw new UnknownNameError('connectome dataset', String(dataset), DATASET_IDS);
  const { dir } = resolveDataDir(opts);
  const k = key(dir, dataset);
  let c = cache.get(k);
  if (!c) {
    c = LOADERS[dataset](dir);
    cache.set(k, c);
  }
  return c;
}

// ---------------------------------------------------------------------------
// Per-neuron metadata

const tables = new Map<string, NeuronInfo[]>();
const CATEGORIES: readonly NeuronCategory[] = ['sensory', 'inter', 'motor', 'pharyngeal', 'unknown'];
const list = (s: string | undefined) => (s ? s.split('+').filter((x) => x !== '') : []);

/**
 * The 302 neurons with their metadata, from neurons_302.csv (worm-models.md §7).
 * Without that file (a cache holding only the originals) the table is built from
 * owmeta_cache.json, the Varshney table and the spreadsheet; the Cook category is
 * then approximate ('pharyngeal' for the 20 cells in the spreadsheet but not in
 * Varshney, else the owmeta type when there is exactly one, else 'unknown') and
 * the Kunert index and group are absent.
 */
export function loadNeuronTable(opts: { dataDir?: string } = {}): NeuronInfo[] {
  const { dir } = resolveDataDir(opts);
  let t = tables.get(dir);
  if (!t) {
    t = Object.freeze((hasFile(dir, NEURON_TABLE) ? neuronTableFromCsv(dir) : neuronTableFromOriginals(dir)).map((n) => Object.freeze(n))) as NeuronInfo[];
    tables.set(dir, t);
  }
  return t;
}

function neuronTableFromCsv(dir: string): NeuronInfo[] {
  const where = join(dir, 'celegans', NEURON_TABLE);
  const cols = ['name', 'cook2019_category', 'owmeta_types', 'owmeta_neurotransmitter', 'spreadsheet_presyn_class', 'gaba_mcintire26', 'in_varshney_279', 'kunert_index', 'kunert_group'];
  return readTable(dir, NEURON_TABLE, { columns: cols }).map((r, i) => {
    const category = r.cook2019_category!.split(':')[0] as NeuronCategory;
    if (!CATEGORIES.includes(category)) throw new FileFormatError(`${where} row ${i + 2}: unknown category "${r.cook2019_category}"`, { object: where });
    const info: NeuronInfo = {
      name: r.name!,
      cls: neuronClass(r.name!),
      category,
      types: list(r.owmeta_types),
      neurotransmitter: list(r.owmeta_neurotransmitter),
      gaba: r.gaba_mcintire26 === '1',
      inVarshney279: r.in_varshney_279 === '1',
    };
    if (r.kunert_index) info.kunertIndex = Number(r.kunert_index);
    if (r.kunert_group) info.kunertGroup = r.kunert_group as NonNullable<NeuronInfo['kunertGroup']>;
    if (r.spreadsheet_presyn_class) info.spreadsheetPresynClass = r.spreadsheet_presyn_class;
    return info;
  });
}

function neuronTableFromOriginals(dir: string): NeuronInfo[] {
  const owmeta = JSON.parse(readVerified(dir, 'original/owmeta_cache.json').toString('utf8')) as {
    neuron_info: Record<string, [string, string[], string[], string[], ...unknown[]]>;
  };
  const varshney = loadConnectome('varshney2011', { dataDir: dir });
  const inVarshney = new Set<string>();
  for (const e of varshney.chemical) inVarshney.add(e.pre).add(e.post);
  for (const e of varshney.gap) inVarshney.add(e.a).add(e.b);
  const pharyngeal = new Set(loadConnectome('openworm', { dataDir: dir }).neurons.filter((n) => !varshney.neurons.includes(n)));
  const presyn = new Map<string, string>();
  for (const r of readTable(dir, firstPresent(dir, SHEET_CONNECTOME), { sheet: 'Connectome', columns: ['Origin', 'Type', 'Neurotransmitter'] })) {
    if (r.Type === 'Send' && !presyn.has(r.Origin!)) presyn.set(r.Origin!, r.Neurotransmitter!);
  }
  const typeCategory: Record<string, NeuronCategory> = { sensory: 'sensory', interneuron: 'inter', motor: 'motor' };
  return Object.entries(owmeta.neuron_info)
    .map(([name, [, types, , transmitters]]): NeuronInfo => {
      const info: NeuronInfo = {
        name,
        cls: neuronClass(name),
        category: pharyngeal.has(name) ? 'pharyngeal' : types.length === 1 ? (typeCategory[types[0]!] ?? 'unknown') : 'unknown',
        types: [...types],
        neurotransmitter: [...transmitters],
        gaba: transmitters.includes('GABA'), // owmeta marks exactly the 26 McIntire cells
        inVarshney279: inVarshney.has(name),
      };
      const p = presyn.get(name);
      if (p) info.spreadsheetPresynClass = p;
      return info;
    })
    .sort((x, y) => cmp(x.name, y.name));
}
