/**
 * The loaders against the exact counts of dataset_stats.json and worm-models.md
 * §2 and the wiring facts of §3.1. Reads the data from ../shared/connectomes
 * beside the checkout, where CI has it too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectomeStats, loadConnectome, loadNeuronTable, neuronClass, type Connectome, type DatasetId } from '../src/connectome/index.js';

/** The data beside the checkout (/work/shared/connectomes here and in CI). */
const DATA = path.resolve('..', 'shared', 'connectomes');
const stats = JSON.parse(readFileSync(`${DATA}/celegans/dataset_stats.json`, 'utf8'));
const load = (d: DatasetId) => loadConnectome(d, { dataDir: DATA });
const sum = (xs: readonly { count: number }[]) => xs.reduce((s, e) => s + e.count, 0);
const matches = (name: string, sel: string) => name === sel || neuronClass(name) === sel;
/** Chemical synapses from `pre` to `post`, each a neuron or a class (summed over its members). */
const chem = (c: Connectome, pre: string, post: string) => sum(c.chemical.filter((e) => matches(e.pre, pre) && matches(e.post, post)));
const gap = (c: Connectome, x: string, y: string) =>
  sum(c.gap.filter((e) => (matches(e.a, x) && matches(e.b, y)) || (matches(e.a, y) && matches(e.b, x))));

describe('Varshney et al. 2011', () => {
  const c = load('varshney2011');
  const s = connectomeStats(c);
  it('has the published counts', () => {
    expect(c.weightUnit).toBe('synapses');
    expect(c.neurons).toHaveLength(stats.Varshney.neurons); // 280: 279 with synapses plus VC6 (NMJ only)
    expect(s.neuronsWithSynapses).toBe(stats.Varshney.neurons_with_synapses); // 279
    expect(c.chemical).toHaveLength(stats.Varshney.chem_edges); // 2194
    expect(sum(c.chemical)).toBe(stats.Varshney.chem_synapses); // 6394
    expect(c.gap).toHaveLength(stats.Varshney.gap.undirected_pairs); // 517
    expect(sum(c.gap)).toBe(stats.Varshney.gap.total_using_one_direction); // 890
    expect(c.gap.filter((p) => p.a === p.b).map((p) => p.a)).toEqual(['RIBL', 'RIBR', 'VA8']);
    expect(s.nmj.neurons).toBe(stats.Varshney.nmj_neurons); // 115
    expect(s.nmj.total).toBe(stats.Varshney.nmj_total); // 1410
    expect(c.nmj).toHaveLength(0); // Varshney names no muscle: the NMJs are otherTargets with target "NMJ"
    expect(c.otherTargets.every((e) => e.target === 'NMJ' && e.type === 'chemical')).toBe(true);
    expect(c.neurons.filter((n) => !c.chemical.some((e) => e.pre === n || e.post === n) && !c.gap.some((p) => p.a === n || p.b === n))).toEqual(['VC6']);
  });

  it('is well formed: sorted, gap pairs once with a <= b, no R/Rp double counting', () => {
    expect([...c.neurons].sort()).toEqual(c.neurons);
    for (const p of c.gap) expect(p.a <= p.b).toBe(true);
    expect(new Set(c.chemical.map((e) => `${e.pre}>${e.post}`)).size).toBe(c.chemical.length);
    expect(c.notes.join('\n')).toMatch(/S \+ Sp/);
    expect(c.notes.join('\n')).toMatch(/0 mismatches/);
    expect(c.notes.join('\n')).toMatch(/max of the two listed directions \(514 pairs listed both ways, 0 of them with different counts; 0 listed one way only\)/);
    expect(Object.isFrozen(c.chemical)).toBe(true);
    expect(load('varshney2011')).toBe(c); // cached
  });

  it('has the wiring facts of worm-models.md §3.1', () => {
    // touch receptors -> interneurons
    expect(chem(c, 'ALML', 'AVDR')).toBe(1);
    expect(chem(c, 'AVM', 'AVB')).toBe(12);
    expect(chem(c, 'AVM', 'PVC')).toBe(9);
    expect(gap(c, 'AVM', 'AVDL')).toBe(2);
    expect(chem(c, 'PLMR', 'AVA')).toBe(5);
    expect(chem(c, 'PLMR', 'AVD')).toBe(5);
    expect(chem(c, 'PLMR', 'DVA')).toBe(5);
    expect(gap(c, 'PLML', 'PVCL')).toBe(1);
    expect(gap(c, 'PLMR', 'PVCR')).toBe(1);
    expect(chem(c, 'PVD', 'AVA')).toBe(27);
    expect(chem(c, 'PVD', 'PVC')).toBe(30);
    // command interneurons
    expect(chem(c, 'AVD', 'AVA')).toBe(63);
    expect(chem(c, 'AVE', 'AVA')).toBe(42);
    expect(chem(c, 'AVB', 'AVA')).toBe(27);
    expect(chem(c, 'AVA', 'AVB')).toBe(2);
    expect(gap(c, 'AVA', 'AVB')).toBe(0);
    expect(chem(c, 'PVC', 'AVB')).toBe(31);
    expect(gap(c, 'PVC', 'AVA')).toBe(10);
    expect(chem(c, 'AIB', 'RIM')).toBe(32);
    // command -> motor (chemical, gap)
    const both = (pre: string, post: string) => [chem(c, pre, post), gap(c, pre, post)];
    expect(both('AVA', 'VA')).toEqual([84, 62]);
    expect(both('AVA', 'DA')).toEqual([83, 40]);
    expect(both('AVA', 'AS')).toEqual([62, 37]);
    expect(both('AVB', 'VB')).toEqual([1, 39]);
    expect(both('AVB', 'DB')).toEqual([0, 16]);
    expect(both('PVC', 'VB')).toEqual([19, 3]);
    expect(both('PVC', 'DB')).toEqual([29, 0]);
    expect([chem(c, 'AVE', 'VA'), chem(c, 'AVE', 'DA'), chem(c, 'AVE', 'AS')]).toEqual([14, 19, 7]);
    // D-type cross-inhibition
    expect(chem(c, 'VA', 'DD')).toBe(180);
    expect(chem(c, 'VB', 'DD')).toBe(194);
    expect(chem(c, 'DA', 'VD')).toBe(122);
    expect(chem(c, 'DB', 'VD')).toBe(132);
    expect(chem(c, 'AS', 'VD')).toBe(66);
    expect(chem(c, 'VD', 'VA') + chem(c, 'VD', 'VB')).toBe(24 + 14);
    // chemosensory
    expect(chem(c, 'ASEL', 'AIYL')).toBe(13);
    expect(chem(c, 'ASER', 'AIYR')).toBe(14);
    expect(chem(c, 'ASER', 'AIBR')).toBe(10);
    expect([chem(c, 'AIYL', 'AIZL'), chem(c, 'AIYR', 'AIZR')]).toEqual([13, 8]);
    expect([chem(c, 'AIYL', 'RIA'), chem(c, 'AIYR', 'RIA')]).toEqual([7, 6]);
    expect(chem(c, 'AIZL', 'SMBDL')).toBe(9);
    expect(chem(c, 'AIZL', 'SMBVL')).toBe(7);
    expect(chem(c, 'AWC', 'AIY')).toBe(23);
    expect([chem(c, 'AFDL', 'AIY'), chem(c, 'AFDR', 'AIY')]).toEqual([7, 13]);
  });
});

describe('OpenWorm CElegansNeuronTables (openworm)', () => {
  const c = load('openworm');
  const s = connectomeStats(c);
  const st = stats.CElegansNeuronTables;
  it('has the published counts', () => {
    expect(s.neuronsWithSynapses).toBe(st.neurons_named); // 299
    expect(c.neurons).toHaveLength(300); // plus VC6, in the NeuronsToMuscle sheet only
    expect(c.chemical).toHaveLength(st.chem_edges); // 2279
    expect(sum(c.chemical)).toBe(st.chem_synapses); // 6465
    expect(c.gap).toHaveLength(st.gap.undirected_pairs); // 557
    expect(sum(c.gap)).toBe(st.gap.total_using_one_direction); // 947 (max of both directions)
    expect(c.gap.filter((p) => p.a === p.b).map((p) => p.a)).toEqual(['M4', 'M5', 'RIBL', 'RIBR', 'VA8']);
    expect(new Set(c.nmj.map((e) => e.muscle)).size).toBe(st.nmj_bwm_targets); // 95
    const toMuscles = [...c.nmj, ...c.otherTargets.filter((e) => e.type === 'chemical')];
    expect(toMuscles).toHaveLength(st.nmj_rows); // 564 (no duplicate rows)
    expect(sum(toMuscles)).toBe(st.nmj_synapses); // 1881
    expect(new Set(toMuscles.map((e) => e.pre)).size).toBe(st.nmj_neurons); // 127
    expect([...new Set(c.otherTargets.map((e) => e.target))].sort()).toEqual(['MANAL', 'MVULVA']);
  });

  it('differs from Varshney only by the spreadsheet undercount and the pharynx', () => {
    const v = load('varshney2011');
    const somatic = new Set(v.neurons);
    const chemSomatic = c.chemical.filter((e) => somatic.has(e.pre) && somatic.has(e.post));
    expect(chemSomatic).toHaveLength(st.chem_edges_somatic); // 2194
    expect(sum(chemSomatic)).toBe(st.chem_syn_somatic); // 6262
    expect(chem(c, 'ALML', 'PVCL')).toBe(2); // 4 in Varshney
    expect(chem(v, 'ALML', 'PVCL')).toBe(4);
    expect(chem(c, 'ALM', 'PVC')).toBe(2 + 1 + 3);
    expect([chem(c, 'AVD', 'VA'), chem(c, 'AVD', 'DA'), chem(c, 'AVD', 'AS')]).toEqual([6, 18, 8]);
    const gapSomatic = c.gap.filter((p) => somatic.has(p.a) && somatic.has(p.b));
    expect(gapSomatic).toEqual(v.gap);
    expect(gap(c, 'I1', 'RIP')).toBe(4); // the pharynx meets the somatic system through I1L/R-RIPL/R only
  });
});

describe('Cook et al. 2019', () => {
  const c = load('cook2019');
  const st = stats.Cook2019_herm_full_edgelist;
  it('has the published counts', () => {
    expect(c.weightUnit).toBe('sections');
    expect(c.neurons).toHaveLength(st.neurons); // 300: CANL and CANR have no edges
    expect(c.chemical).toHaveLength(st.chem_edges_nn); // 3638
    expect(sum(c.chemical)).toBe(st.chem_weight_nn); // 20589
    expect(c.gap).toHaveLength(st.gap_nn.undirected_pairs); // 1093
    expect(sum(c.gap)).toBe(st.gap_nn.total_using_one_direction); // 4346, max of both directions
    expect(c.gap.filter((p) => p.a === p.b)).toHaveLength(st.gap_nn.self_loops); // 13
    expect(c.nmj).toHaveLength(st.chem_to_bwm_edges); // 924
    expect(sum(c.nmj)).toBe(st.chem_to_bwm_weight); // 5377
    expect(c.notes.join('\n')).toMatch(/1075 pairs listed both ways, 12 of them with different counts; 5 listed one way only/);
    expect(c.neurons).toContain('VB1'); // VB01 in the file
    expect(c.neurons).not.toContain('VB01');
    expect(c.nmj.some((e) => e.muscle === 'MDL01')).toBe(true); // dBWML1 in the file
    expect(gap(c, 'AVA', 'AVB')).toBeGreaterThan(0); // Cook lists AVAR-AVBL
    expect(c.otherTargets.map((e) => e.target)).toEqual(expect.arrayContaining(['hyp', 'intestine', 'pm4d', 'vm2aL']));
    expect(c.otherTargets.some((e) => e.target === 'MVL08' && e.type === 'gap')).toBe(true); // neuron-muscle gap junctions are otherTargets
  });
});

describe('White et al. 1986 (whole animal)', () => {
  const c = load('white1986');
  const st = stats.White1986_whole;
  it('has the published counts', () => {
    expect(c.neurons).toHaveLength(st.neurons); // 300
    expect(c.chemical).toHaveLength(st.chem_edges); // 2266
    expect(sum(c.chemical)).toBe(st.chem_synapses); // 6509
    expect(c.gap).toHaveLength(st.gap_pairs_listed_once); // 569
    expect(sum(c.gap)).toBe(st.gap_total); // 965
    expect(c.notes.join('\n')).toMatch(/0 pairs listed both ways/);
    const otherChem = c.otherTargets.filter((e) => e.type === 'chemical');
    expect(otherChem).toHaveLength(120);
    expect(sum(otherChem)).toBe(st.chem_to_nonneuron); // 1434
    expect(c.otherTargets.some((e) => e.target === 'LegacyBodyWallMuscles')).toBe(true);
  });
});

describe('neuron table (neurons_302.csv)', () => {
  const t = loadNeuronTable({ dataDir: DATA });
  const by = new Map(t.map((n) => [n.name, n]));
  it('has 302 neurons with the §7 counts', () => {
    expect(t).toHaveLength(302);
    const gaba = t.filter((n) => n.gaba).map((n) => n.name);
    expect(gaba).toHaveLength(26);
    const expected = ['AVL', 'DVB', 'RIS', 'RMED', 'RMEV', 'RMEL', 'RMER', ...[1, 2, 3, 4, 5, 6].map((i) => `DD${i}`), ...Array.from({ length: 13 }, (_, i) => `VD${i + 1}`)];
    expect([...gaba].sort()).toEqual([...expected].sort());
    expect(t.filter((n) => n.inVarshney279)).toHaveLength(279);
    const count = (f: (n: (typeof t)[number]) => boolean) => t.filter(f).length;
    expect([count((n) => n.category === 'sensory'), count((n) => n.category === 'inter'), count((n) => n.category === 'motor'), count((n) => n.category === 'pharyngeal'), count((n) => n.category === 'unknown')]).toEqual([83, 81, 116, 20, 2]);
    expect([count((n) => n.kunertGroup === 'sensory'), count((n) => n.kunertGroup === 'inter'), count((n) => n.kunertGroup === 'motor')]).toEqual([84, 86, 109]);
    expect(new Set(t.filter((n) => n.kunertIndex !== undefined).map((n) => n.kunertIndex))).toEqual(new Set(Array.from({ length: 279 }, (_, i) => i)));
    expect(count((n) => n.neurotransmitter.length === 0)).toBe(59);
    expect(count((n) => n.spreadsheetPresynClass === undefined)).toBe(31);
    expect(count((n) => n.types.includes('motor'))).toBe(147);
    expect(by.get('RIML')!.neurotransmitter).toEqual(['Acetylcholine', 'Glutamate', 'Tyramine']);
    expect(by.get('AVAL')!.neurotransmitter).toEqual([]);
    expect(by.get('AVAL')!.spreadsheetPresynClass).toBe('FMRFamide');
    expect(by.get('CANL')!.types).toEqual(['unknown']);
    expect(by.get('SMBDL')!.cls).toBe('SMB');
    // the Varshney 279 are exactly the neurons with synapses in Varshney
    const v = connectomeStats(load('varshney2011'));
    expect(v.neuronsWithSynapses).toBe(279);
  });
});
