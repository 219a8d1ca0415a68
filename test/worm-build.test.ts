/** Building worm networks: selection, ablation, weights, sign tables, muscles, provenance. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Network } from '../src/api/network.js';
import { UnknownNameError } from '../src/errors.js';
import { loadConnectome, loadNeuronTable } from '../src/connectome/index.js';
import { runToFile } from '../src/run.js';
import { addWorm } from '../src/worm/build.js';

const GABA26 = ['DD1', 'DD2', 'DD3', 'DD4', 'DD5', 'DD6', ...Array.from({ length: 13 }, (_, i) => `VD${i + 1}`), 'RMED', 'RMEV', 'RMEL', 'RMER', 'AVL', 'DVB', 'RIS'];

describe('addWorm', () => {
  test('default: Varshney 279 neurons, every chemical edge once, GABA rule, weights 100 pS × count', () => {
    const net = new Network();
    const b = addWorm(net);
    const ir = net.toIR();
    expect(ir.populations[0]!.size).toBe(279);
    expect(b.signs.length).toBe(2194);
    for (const s of b.signs) expect(s.sign === 'inhibitory').toBe(GABA26.includes(s.pre));
    const exc = ir.projections.find((p) => p.label === 'worm:excitatory')!;
    const inh = ir.projections.find((p) => p.label === 'worm:inhibitory')!;
    expect(exc.targets.length + inh.targets.length).toBe(2194);
    const total = [...(exc.weight as Float64Array), ...(inh.weight as Float64Array)].reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(6394 * 1e-4, 9);
    const gap = ir.projections.find((p) => p.transmission === 'gap')!;
    expect(gap.targets.length).toBe(517 - 3); // self-contacts carry no current
    expect((gap.weight as Float64Array).reduce((a, b) => a + b, 0)).toBeCloseTo((890 - 3 * 0) * 1e-4 - selfJunctions() * 1e-4, 9);
  });

  test('tap-withdrawal overrides set signs per edge and record their source; later rules win', () => {
    const b = addWorm(new Network(), { signs: { base: 'gaba', overrides: ['tap-withdrawal'] } });
    const sign = (pre: string, post: string) => b.signs.find((s) => s.pre === pre && s.post === post)!;
    const almPvc = b.signs.filter((s) => s.pre === 'ALML' && /^PVC[LR]$/.test(s.post));
    expect(almPvc.length).toBeGreaterThan(0);
    for (const s of almPvc) expect(s).toMatchObject({ sign: 'inhibitory', source: 'tap-withdrawal #0' });
    expect(sign('PVCL', 'AVBL').sign).toBe('excitatory');
    expect(sign('AVDL', 'AVAL').sign).toBe('excitatory');
    expect(sign('AVAL', 'AVBR').sign).toBe('inhibitory');
    // Edges no rule names keep the base rule.
    const dd = b.signs.filter((s) => s.pre.startsWith('DD'));
    expect(dd.length).toBeGreaterThan(0);
    for (const s of dd) expect(s).toMatchObject({ sign: 'inhibitory', source: 'gaba' });
  });

  test('a sign table naming an unknown neuron is an error; a rule that matches no edge is a warning', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'signs-'));
    writeFileSync(path.join(dir, 'bad.yaml'), 'name: bad\nrules:\n  - { pre: AVAX, post: AVB, sign: inhibitory }\n');
    writeFileSync(path.join(dir, 'none.yaml'), 'name: none\nrules:\n  - { pre: IL2DL, post: PLML, sign: inhibitory }\n');
    expect(() => addWorm(new Network(), { signs: { overrides: ['bad.yaml'] } }, dir)).toThrow(UnknownNameError);
    const b = addWorm(new Network(), { signs: { overrides: ['none.yaml'] } }, dir);
    expect(b.warnings).toHaveLength(1);
    expect(b.warnings[0]).toMatch(/matches no chemical edge/);
  });

  test('selection by category and class, ablation by class', () => {
    const table = loadNeuronTable();
    const motor = addWorm(new Network(), { neurons: ['motor'] });
    expect(motor.neurons.length).toBe(table.filter((n) => n.category === 'motor').length);
    const b = addWorm(new Network(), { ablate: ['AVA', 'PVC'] });
    expect(b.neurons.length).toBe(279 - 4);
    expect(b.signs.some((s) => /^(AVA|PVC)[LR]$/.test(s.pre) || /^(AVA|PVC)[LR]$/.test(s.post))).toBe(false);
    expect(() => addWorm(new Network(), { ablate: ['AVX'] })).toThrow(UnknownNameError);
  });

  test('all 302 neurons from the spreadsheet; muscles as readout units through the NMJs', () => {
    const net = new Network();
    const b = addWorm(net, { dataset: 'openworm', neurons: ['all'], muscles: true });
    expect(b.neurons.length).toBe(302);
    const ir = net.toIR();
    const muscles = ir.populations.find((p) => p.label === 'worm_muscles')!;
    expect(muscles.size).toBe(95);
    const nmj = ir.projections.filter((p) => p.post === 'worm_muscles');
    const contacts = nmj.reduce((s, p) => s + (p.weight as Float64Array).reduce((a, w) => a + w, 0), 0) / 1e-4;
    const expected = loadConnectome('openworm').nmj.reduce((s, e) => s + e.count, 0);
    expect(contacts).toBeCloseTo(expected, 6);
  });

  test('the dataset, sign rule and per-edge sign table are written into the results', async () => {
    const net = new Network({ duration: 1 });
    addWorm(net, { signs: { overrides: ['tap-withdrawal'] } });
    const r = await runToFile(net.toIR(), undefined);
    const worm = (r.metadata.config as any).provenance.worm;
    expect(worm.dataset).toBe('varshney2011');
    expect(worm.signRule).toBe('gaba');
    expect(worm.signTables[0].name).toBe('tap-withdrawal');
    expect(worm.signTable.pre).toHaveLength(2194);
  });
});

function selfJunctions(): number {
  return loadConnectome('varshney2011').gap.filter((g) => g.a === g.b).reduce((s, g) => s + g.count, 0);
}
