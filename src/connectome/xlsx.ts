/**
 * A minimal .xlsx reader: enough of ZIP (APPNOTE.TXT §4.3) and SpreadsheetML
 * (ECMA-376 Part 1 §18.2 workbook, §18.3 sheet data, §18.4 shared strings) to
 * read cell values of every sheet as strings. No styles, dates or formulas
 * (a formula's cached value is read like any other value).
 */
import { inflateRawSync } from 'node:zlib';
import { FileFormatError } from '../errors.js';

/** The files of a ZIP archive, from its central directory. */
export function readZip(buf: Buffer, label = 'zip archive'): Map<string, Buffer> {
  const bad = (what: string) => new FileFormatError(`${label}: not a readable ZIP/xlsx file (${what})`, { object: label });
  // End of central directory record: signature 0x06054b50, at most 65535 + 22 bytes from the end.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end-of-central-directory record');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw bad('bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    // Sizes come from the central directory: the local header may defer them to a data descriptor (flag bit 3).
    const compSize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const skip = nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + skip;
    if (buf.readUInt32LE(local) !== 0x04034b50) throw bad(`bad local header for ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compSize);
    if (method === 0) files.set(name, raw);
    else if (method === 8) files.set(name, inflateRawSync(raw));
    else throw bad(`compression method ${method} for ${name}`);
  }
  return files;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes XML character references and the OOXML `_xHHHH_` escape. */
function xmlText(s: string): string {
  return s
    .replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) =>
      e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : (ENTITIES[e] ?? m),
    )
    .replace(/_x([0-9a-fA-F]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attrs);
  return m ? xmlText(m[1]!) : undefined;
}

/** The text of a rich or plain string item: every <t>, leaving out phonetic runs (<rPh>). */
function stringItem(xml: string): string {
  const plain = xml.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '');
  let out = '';
  for (const m of plain.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g)) out += xmlText(m[1]!);
  return out;
}

/** Column letters of a cell reference (A1, AB12) to a 0-based index. */
function columnIndex(ref: string): number {
  let n = 0;
  for (const ch of ref) {
    const c = ch.charCodeAt(0);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return n - 1;
}

/** Every sheet of an .xlsx workbook as rows of string cells (empty cells are ''). */
export function readXlsx(buf: Buffer, label = 'workbook.xlsx'): Map<string, string[][]> {
  const zip = readZip(buf, label);
  const text = (path: string) => {
    const b = zip.get(path);
    if (!b) throw new FileFormatError(`${label}: missing part ${path}`, { object: label });
    return b.toString('utf8');
  };
  // Relationship targets are relative to xl/ unless absolute.
  const rels = new Map<string, { type: string; target: string }>();
  for (const m of text('xl/_rels/workbook.xml.rels').matchAll(/<Relationship\b([^>]*)\/?>/g)) {
    const target = attr(m[1]!, 'Target') ?? '';
    rels.set(attr(m[1]!, 'Id') ?? '', { type: attr(m[1]!, 'Type') ?? '', target: target.startsWith('/') ? target.slice(1) : `xl/${target}` });
  }
  const sstPart = [...rels.values()].find((r) => r.type.endsWith('/sharedStrings'))?.target;
  const shared = sstPart && zip.has(sstPart) ? [...text(sstPart).matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => stringItem(m[1]!)) : [];

  const sheets = new Map<string, string[][]>();
  for (const m of text('xl/workbook.xml').matchAll(/<sheet\b([^>]*)\/?>/g)) {
    const name = attr(m[1]!, 'name') ?? '';
    const part = rels.get(attr(m[1]!, 'r:id') ?? '')?.target;
    if (!part) throw new FileFormatError(`${label}: sheet "${name}" has no part`, { object: label });
    sheets.set(name, sheetRows(text(part), shared));
  }
  return sheets;
}

/** Cell values of one worksheet (§18.3.1.4 c: t="s" shared string, "inlineStr", "str", "b", "e", or a number). */
function sheetRows(xml: string, shared: string[]): string[][] {
  const rows: string[][] = [];
  let nextRow = 0;
  for (const rm of xml.matchAll(/<row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/row>)/g)) {
    const r = attr(rm[1]!, 'r');
    const ri = r ? Number(r) - 1 : nextRow;
    nextRow = ri + 1;
    const row: string[] = [];
    let nextCol = 0;
    for (const cm of (rm[2] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const ref = attr(cm[1]!, 'r');
      const ci = ref ? columnIndex(ref) : nextCol;
      nextCol = ci + 1;
      const body = cm[2] ?? '';
      const t = attr(cm[1]!, 't');
      const v = /<v>([\s\S]*?)<\/v>/.exec(body)?.[1];
      let value = '';
      if (t === 's') value = shared[Number(v)] ?? '';
      else if (t === 'inlineStr') value = stringItem(/<is>([\s\S]*?)<\/is>/.exec(body)?.[1] ?? '');
      else if (v !== undefined) value = xmlText(v);
      while (row.length < ci) row.push('');
      row[ci] = value;
    }
    while (rows.length < ri) rows.push([]);
    rows[ri] = row;
  }
  return rows;
}
