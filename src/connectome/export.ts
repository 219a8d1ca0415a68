/** Export of a loaded connectome as an edge-list CSV or as GraphML (graphml.graphdrawing.org). */
import { csvField } from './csv.js';
import type { Connectome, NeuronInfo } from './types.js';

export type ExportFormat = 'csv' | 'graphml';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'graphml'];

/**
 * One row per edge: source,target,type,count,target_kind. type is chemical
 * (directed), gap (undirected, once per pair, source <= target) or nmj;
 * target_kind is neuron, muscle or other.
 */
export function connectomeToCsv(c: Connectome): string {
  const rows: (string | number)[][] = [['source', 'target', 'type', 'count', 'target_kind']];
  for (const e of c.chemical) rows.push([e.pre, e.post, 'chemical', e.count, 'neuron']);
  for (const e of c.gap) rows.push([e.a, e.b, 'gap', e.count, 'neuron']);
  for (const e of c.nmj) rows.push([e.pre, e.muscle, 'nmj', e.count, 'muscle']);
  for (const e of c.otherTargets) rows.push([e.pre, e.target, e.type, e.count, 'other']);
  return rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

const xml = (s: string | number) =>
  String(s).replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);

/**
 * GraphML: a directed graph whose nodes are neurons (with class and category
 * when a neuron table is given), muscles and other targets; gap junctions are
 * edges with directed="false". Edge data: type (chemical, gap, nmj) and count.
 */
export function connectomeToGraphml(c: Connectome, neurons?: readonly NeuronInfo[]): string {
  const info = new Map(neurons?.map((n) => [n.name, n]));
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
      'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    '  <key id="kind" for="node" attr.name="kind" attr.type="string"/>',
    '  <key id="cls" for="node" attr.name="class" attr.type="string"/>',
    '  <key id="category" for="node" attr.name="category" attr.type="string"/>',
    '  <key id="type" for="edge" attr.name="type" attr.type="string"/>',
    `  <key id="count" for="edge" attr.name="count" attr.type="double"><desc>${c.weightUnit}</desc></key>`,
    `  <graph id="${xml(c.dataset)}" edgedefault="directed">`,
    `    <desc>${xml(`${c.title}. ${c.citation}`)}</desc>`,
  ];
  const node = (id: string, kind: string) => {
    const n = info.get(id);
    const data = [`<data key="kind">${kind}</data>`];
    if (n) data.push(`<data key="cls">${xml(n.cls)}</data>`, `<data key="category">${n.category}</data>`);
    out.push(`    <node id="${xml(id)}">${data.join('')}</node>`);
  };
  for (const n of c.neurons) node(n, 'neuron');
  for (const m of [...new Set(c.nmj.map((e) => e.muscle))].sort()) node(m, 'muscle');
  const neuronSet = new Set(c.neurons);
  for (const t of [...new Set(c.otherTargets.map((e) => e.target))].sort()) if (!neuronSet.has(t)) node(t, 'other');
  let i = 0;
  const edge = (s: string, t: string, type: string, count: number, undirected = false) =>
    out.push(
      `    <edge id="e${i++}" source="${xml(s)}" target="${xml(t)}"${undirected ? ' directed="false"' : ''}><data key="type">${type}</data><data key="count">${count}</data></edge>`,
    );
  for (const e of c.chemical) edge(e.pre, e.post, 'chemical', e.count);
  for (const e of c.gap) edge(e.a, e.b, 'gap', e.count, true);
  for (const e of c.nmj) edge(e.pre, e.muscle, 'nmj', e.count);
  for (const e of c.otherTargets) edge(e.pre, e.target, e.type, e.count, e.type === 'gap');
  out.push('  </graph>', '</graphml>');
  return out.join('\n') + '\n';
}

export function exportConnectome(c: Connectome, format: ExportFormat, neurons?: readonly NeuronInfo[]): string {
  return format === 'csv' ? connectomeToCsv(c) : connectomeToGraphml(c, neurons);
}
