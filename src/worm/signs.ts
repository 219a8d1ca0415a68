/**
 * Synapse signs as data: every chemical edge of a built worm network gets a sign
 * (excitatory / inhibitory) and the source of that sign, and the table travels with
 * the network into the results.
 *
 * Base rules (reference worm-models.md §6.3):
 * - `gaba` (default): edges from the 26 canonical GABAergic neurons (McIntire et al.
 *   1993: DD1–6, VD1–13, RMED/V/L/R, AVL, DVB, RIS) are inhibitory, all others excitatory;
 * - `spreadsheet`: c302's rule, inhibitory when the presynaptic label of the OpenWorm
 *   spreadsheet contains "GABA" (including its known errors, for c302 compatibility);
 * - `excitatory`: every edge excitatory.
 * Override tables then set signs per edge or per class; later rules win over earlier
 * ones, so a table lists class rules first and exceptions after them.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FileFormatError, UnknownNameError, ValidationError } from '../errors.js';
import type { NeuronInfo } from '../connectome/index.js';

export type Sign = 'excitatory' | 'inhibitory';
export const BASE_SIGN_RULES = ['gaba', 'spreadsheet', 'excitatory'] as const;
export type BaseSignRule = (typeof BASE_SIGN_RULES)[number];

export interface SignRule {
  /** Presynaptic neurons or classes (a class name matches all its members). */
  pre: string[];
  post: string[];
  sign: Sign;
  /** Why: a citation or note, kept in the results. */
  note?: string;
}

export interface SignTable {
  name: string;
  source: string;
  rules: SignRule[];
  /** Where it was read from. */
  file?: string;
}

export interface EdgeSign {
  pre: string;
  post: string;
  sign: Sign;
  /** `gaba`, `spreadsheet`, `excitatory`, or `<table name> #<rule index>`. */
  source: string;
}

export function baseSign(rule: BaseSignRule, pre: NeuronInfo | undefined): Sign {
  if (rule === 'excitatory' || !pre) return 'excitatory';
  if (rule === 'gaba') return pre.gaba ? 'inhibitory' : 'excitatory';
  return /GABA/i.test(pre.spreadsheetPresynClass ?? '') ? 'inhibitory' : 'excitatory';
}

const list = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : x === undefined ? [] : [String(x)]);

/** Reads an override table (YAML or JSON): { name, source, rules: [{ pre, post, sign, note }] }. */
export function readSignTable(file: string): SignTable {
  const object = `sign table "${file}"`;
  let data: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new FileFormatError(`${object}: cannot read: ${(e as Error).message}`, { object });
  }
  const d = data as { name?: unknown; source?: unknown; rules?: unknown };
  if (!d || typeof d !== 'object' || !Array.isArray(d.rules)) {
    throw new FileFormatError(`${object}: expected a mapping with "rules", a list of { pre, post, sign }.`, { object, parameter: 'rules' });
  }
  const rules = d.rules.map((r: Record<string, unknown>, i: number): SignRule => {
    const sign = String(r.sign);
    if (sign !== 'excitatory' && sign !== 'inhibitory') {
      throw new UnknownNameError('sign', sign, ['excitatory', 'inhibitory'], { object: `${object} rule ${i}`, parameter: 'sign' });
    }
    const pre = list(r.pre);
    const post = list(r.post);
    if (pre.length === 0 || post.length === 0) throw new ValidationError(`${object} rule ${i}: pre and post must name at least one neuron or class.`, { object, parameter: 'pre/post' });
    return { pre, post, sign, note: r.note === undefined ? undefined : String(r.note) };
  });
  return { name: String(d.name ?? file), source: String(d.source ?? ''), rules, file };
}

/**
 * Signs of the given edges: the base rule, then each table's rules in order.
 * Names in rules are neuron names or classes known to `neurons`; an unknown name is an
 * error (with "did you mean"), and rules that match no edge are returned as warnings.
 */
export function assignSigns(
  edges: { pre: string; post: string }[],
  base: BaseSignRule,
  tables: SignTable[],
  neurons: NeuronInfo[],
): { signs: EdgeSign[]; warnings: string[] } {
  const info = new Map(neurons.map((n) => [n.name, n]));
  const byClass = new Map<string, string[]>();
  for (const n of neurons) byClass.set(n.cls, [...(byClass.get(n.cls) ?? []), n.name]);
  const known = [...new Set([...info.keys(), ...byClass.keys()])];
  const expand = (names: string[], object: string): Set<string> => {
    const out = new Set<string>();
    for (const n of names) {
      if (info.has(n)) out.add(n);
      else if (byClass.has(n)) for (const m of byClass.get(n)!) out.add(m);
      else throw new UnknownNameError('neuron or class', n, known, { object, parameter: 'pre/post' });
    }
    return out;
  };
  const signs: EdgeSign[] = edges.map((e) => ({ pre: e.pre, post: e.post, sign: baseSign(base, info.get(e.pre)), source: base }));
  const index = new Map<string, number[]>();
  signs.forEach((s, k) => index.set(s.pre, [...(index.get(s.pre) ?? []), k]));
  const warnings: string[] = [];
  for (const t of tables) {
    t.rules.forEach((r, i) => {
      const object = `sign table "${t.name}" rule ${i}`;
      const pre = expand(r.pre, object);
      const post = expand(r.post, object);
      let matched = 0;
      for (const p of pre) {
        for (const k of index.get(p) ?? []) {
          if (!post.has(signs[k]!.post)) continue;
          signs[k]!.sign = r.sign;
          signs[k]!.source = `${t.name} #${i}`;
          matched++;
        }
      }
      if (matched === 0) warnings.push(`${object} (${r.pre.join(',')} → ${r.post.join(',')}: ${r.sign}) matches no chemical edge of this network`);
    });
  }
  return { signs, warnings };
}
