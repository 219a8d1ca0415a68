/**
 * Self-contained HTML pages: escaping, tables, figures and the page shell with inline
 * CSS. No scripts and no external URLs, so a report opens anywhere, offline, and can be
 * mailed or archived as one file. The markup is also well-formed XML (void elements
 * self-closed), which the tests check.
 */

import { esc, fmt } from '../plot/svg.js';

/** Escapes text for HTML element content and attribute values (the same escaping as the SVGs). */
export const escapeHtml = esc;

/** A cell: text (escaped here) or a number (formatted). */
export type Cell = string | number;

/** Integers as they are, other numbers to 3 significant digits, NaN as "n/a". */
export const formatNumber = fmt;

export function tableHtml(headers: string[], rows: Cell[][], options: { className?: string } = {}): string {
  const cell = (c: Cell) => (typeof c === 'number' ? `<td class="num">${escapeHtml(formatNumber(c))}</td>` : `<td>${escapeHtml(c)}</td>`);
  return [
    `<table${options.className ? ` class="${escapeHtml(options.className)}"` : ''}>`,
    `<thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

/** A key–value table (e.g. versions). */
export function definitionTable(entries: Record<string, string | number>): string {
  return tableHtml(['', ''], Object.entries(entries).map(([k, v]) => [k, v]), { className: 'kv' });
}

/** An inline SVG (produced by src/plot, already well-formed and escaped) with a caption. */
export function figureHtml(svg: string, caption: string): string {
  return `<figure>\n${svg}\n<figcaption>${escapeHtml(caption)}</figcaption>\n</figure>`;
}

/** Preformatted text, escaped. */
export function preHtml(text: string): string {
  return `<pre>${escapeHtml(text)}</pre>`;
}

/** JSON with typed arrays shown as arrays (long ones shortened) and non-finite numbers as strings. */
export function prettyJson(value: unknown, maxArray = 50): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        const arr = Array.from(v as unknown as ArrayLike<number>);
        return arr.length > maxArray ? [...arr.slice(0, maxArray), `… ${arr.length - maxArray} more`] : arr;
      }
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      if (typeof v === 'bigint') return String(v);
      return v;
    },
    2,
  ) ?? 'null';
}

export interface Section {
  id: string;
  title: string;
  html: string;
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #f6f6f4; }
header { background: #23395b; color: white; padding: 16px 32px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; opacity: 0.85; }
nav { padding: 8px 32px; background: #e8e8e4; font-size: 14px; }
nav a { margin-right: 16px; color: #23395b; }
main { padding: 8px 32px 40px; max-width: 1000px; }
section { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 8px 20px 16px; margin: 16px 0; }
h2 { font-size: 18px; border-bottom: 1px solid #eee; padding-bottom: 4px; }
figure { margin: 12px 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: #555; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; }
th { background: #f0f0ec; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv thead { display: none; }
pre { background: #f8f8f8; border: 1px solid #ddd; padding: 10px; overflow: auto; max-height: 480px; font-size: 12px; }
.note { color: #555; font-size: 13px; }
`;

/** A complete HTML document; section bodies are HTML (built with the helpers above). */
export function pageHtml(o: { title: string; subtitle?: string; sections: Section[] }): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    `<title>${escapeHtml(o.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${escapeHtml(o.title)}</h1>${o.subtitle ? `<p>${escapeHtml(o.subtitle)}</p>` : ''}</header>`,
    `<nav>${o.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('')}</nav>`,
    '<main>',
    ...o.sections.map((s) => `<section id="${escapeHtml(s.id)}">\n<h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
