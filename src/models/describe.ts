/** Plain-text model catalogue for `nematode models`, generated from the declarations. */
import { INTERNAL_UNIT } from '../units.js';
import { listModels } from './index.js';

export function modelCatalogueText(): string {
  const out: string[] = [];
  for (const m of listModels()) {
    out.push(`${m.name} (${m.aliases.join(', ')}) — ${m.summary}`);
    out.push(`  engines: ${m.engines.join(', ')}${m.kind === 'neuron' ? `; methods: ${m.methods.join(', ')} (default ${m.methods[0]})` : ''}`);
    for (const [name, p] of Object.entries(m.params)) {
      const unit = p.unitLabel ?? INTERNAL_UNIT[p.dim];
      out.push(`    ${name.padEnd(11)} ${String(p.default).padStart(8)} ${unit.padEnd(6)} ${p.doc}`);
    }
    if (m.kind === 'neuron') {
      out.push(`  state: ${Object.keys(m.state).join(', ')}; receptors: ${Object.entries(m.receptors).map(([r, d]) => `${r} → ${d.variable}`).join(', ')}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The catalogue as markdown (docs/models.md is this text; a test keeps them equal). */
export function modelCatalogueMarkdown(): string {
  const out: string[] = [
    '# Models',
    '',
    'Generated from the model declarations in src/models by `nematode models --markdown`; a test keeps this page equal to that output.',
    'Parameters are in the internal units (ms, mV, nA, nF, µS, Hz) unless the unit column says otherwise; configs and the API also accept strings with units ("20 ms", "250 pF").',
    '',
  ];
  for (const m of listModels()) {
    out.push(`## ${m.name}`, '', `Aliases: ${m.aliases.map((a) => `\`${a}\``).join(', ')}. Engines: ${m.engines.join(', ')}.`, '', m.summary, '');
    out.push('```', m.description, '```', '');
    if (m.kind === 'neuron') {
      out.push('Integration:', '');
      for (const meth of m.methods) out.push(`- \`${meth}\`${meth === m.methods[0] ? ' (default)' : ''}: ${m.methodDocs[meth]}`);
      out.push('');
    }
    if (Object.keys(m.params).length > 0) {
      out.push('| parameter | default | unit | allowed | symbol | meaning |', '|---|---|---|---|---|---|');
      for (const [name, p] of Object.entries(m.params)) {
        const lo = p.min === undefined ? '' : `${p.minExclusive ? '>' : '≥'} ${p.min}`;
        const hi = p.max === undefined ? '' : `${p.maxExclusive ? '<' : '≤'} ${p.max}`;
        const allowed = [p.integer ? 'integer' : '', lo, hi].filter(Boolean).join(', ') || 'any';
        out.push(`| \`${name}\` | ${p.default} | ${p.unitLabel ?? INTERNAL_UNIT[p.dim]} | ${allowed} | ${p.symbol ?? ''} | ${p.doc} |`);
      }
      out.push('');
    }
    if (m.kind === 'neuron') {
      out.push('| state | unit | initial | meaning |', '|---|---|---|---|');
      for (const [name, s] of Object.entries(m.state)) {
        out.push(`| \`${name}\` | ${INTERNAL_UNIT[s.dim]} | ${typeof s.initial === 'number' ? s.initial : s.initial === 'equilibrium' ? 'network equilibrium' : `= ${s.initial.param}`} | ${s.doc} |`);
      }
      out.push('', '| receptor | adds to | weight unit | sign | |', '|---|---|---|---|---|');
      for (const [name, r] of Object.entries(m.receptors)) {
        out.push(`| \`${name}\` | \`${r.variable}\` | ${INTERNAL_UNIT[r.weightDim]} | ${signText(r.sign)} | ${r.doc} |`);
      }
      out.push('');
      if (m.constraints.length) out.push(`Constraints: ${m.constraints.map((c) => c.message).join('; ')}.`, '');
    }
    out.push(`References: ${m.references.join('; ')}.`, '');
  }
  return out.join('\n');
}

function signText(sign: 'nonnegative' | 'nonpositive' | 'any'): string {
  return sign === 'nonnegative' ? '≥ 0' : sign === 'nonpositive' ? '≤ 0' : 'any';
}
