/**
 * Qualitative responses of the worm experiments (reference worm-models.md §3.2, rows
 * T1, T2, T5, T6, T3's ablations), on the full somatic connectome with the graded model
 * and the tap-withdrawal sign table, exactly as docs/examples configure them.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { networkFromConfig, readConfigFile } from '../src/config/load.js';
import { simulate } from '../src/simulate.js';
import { loadNeuronTable } from '../src/connectome/index.js';
import { classResponses, experimentWindows } from '../src/worm/experiment.js';

const table = loadNeuronTable();

async function responses(file: string, change: (cfg: Record<string, any>) => void = () => {}): Promise<Map<string, number>> {
  const cfg = readConfigFile(`docs/examples/${file}.yaml`) as Record<string, any>;
  change(cfg);
  const ir = networkFromConfig(cfg, {}, { baseDir: 'docs/examples' }).toIR();
  const out = await simulate(ir);
  const rows = classResponses(ir, out, 'worm', table, experimentWindows(ir)!);
  return new Map(rows.map((r) => [r.cls, r.delta]));
}

const mean = (m: Map<string, number>, classes: string[]) => classes.reduce((s, c) => s + m.get(c)!, 0) / classes.length;
const A_CLASS = ['VA', 'DA', 'AS'];
const B_CLASS = ['VB', 'DB'];

describe('touch responses', () => {
  let post: Map<string, number>;
  let ant: Map<string, number>;
  beforeAll(async () => {
    post = await responses('posterior-touch');
    ant = await responses('anterior-touch');
  });

  test('T2 posterior touch: PVC and AVB rise, AVA/AVD do not, forward (B) motor neurons above backward (A)', () => {
    expect(post.get('PVC')!).toBeGreaterThan(0.5);
    expect(post.get('AVB')!).toBeGreaterThan(0.05);
    expect(post.get('AVA')!).toBeLessThan(0);
    expect(post.get('AVD')!).toBeLessThan(0);
    expect(mean(post, B_CLASS)).toBeGreaterThan(mean(post, A_CLASS) + 0.1);
  });

  test('T1 anterior touch: AVD and AVA rise, PVC and AVB fall, backward (A) motor neurons above forward (B)', () => {
    expect(ant.get('AVD')!).toBeGreaterThan(0.5);
    expect(ant.get('AVA')!).toBeGreaterThan(0.1);
    expect(ant.get('PVC')!).toBeLessThan(-0.5);
    expect(ant.get('AVB')!).toBeLessThan(-0.1);
    expect(mean(ant, A_CLASS)).toBeGreaterThan(0);
    expect(mean(ant, B_CLASS)).toBeLessThan(0);
  });

  test('T5 AVA and AVB move in opposite directions in both experiments', () => {
    expect(Math.sign(post.get('AVA')!)).toBe(-Math.sign(post.get('AVB')!));
    expect(Math.sign(ant.get('AVA')!)).toBe(-Math.sign(ant.get('AVB')!));
  });

  test('T3: ablating PVC removes the forward bias of posterior touch (B-class response mostly gone, no longer above A-class)', async () => {
    const ablated = await responses('posterior-touch', (c) => (c.worm.ablate = ['PVC']));
    expect(ablated.has('PVC')).toBe(false);
    expect(mean(ablated, B_CLASS)).toBeLessThan(0.35 * mean(post, B_CLASS));
    expect(mean(ablated, B_CLASS)).toBeLessThanOrEqual(mean(ablated, A_CLASS));
    expect(ablated.get('AVB')!).toBeLessThan(0.7 * post.get('AVB')!);
  });

  test('T3: ablating AVD weakens the AVA response to anterior touch (other paths keep part of it)', async () => {
    const ablated = await responses('anterior-touch', (c) => (c.worm.ablate = ['AVD']));
    expect(ablated.has('AVD')).toBe(false);
    expect(ablated.get('AVA')!).toBeLessThan(0.65 * ant.get('AVA')!);
  });

  test('without the tap-withdrawal signs (GABA rule only) posterior touch excites AVA: the signs come from the table', async () => {
    const gabaOnly = await responses('posterior-touch', (c) => (c.worm.signs = { base: 'gaba' }));
    expect(gabaOnly.get('AVA')!).toBeGreaterThan(0);
  });
});
