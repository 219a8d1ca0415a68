/**
 * A small CSV/TSV parser (RFC 4180): fields may be quoted, quotes inside a
 * quoted field are doubled, quoted fields may hold the delimiter or a line
 * break; lines end in LF or CRLF. Blank lines are skipped.
 */
export function parseDelimited(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // skip a byte-order mark
  const endRow = () => {
    row.push(field);
    field = '';
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n') endRow();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endRow();
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** Parses a table with a header row into records keyed by the header's column names. */
export function parseRecords(text: string, delimiter = ','): { header: string[]; records: Record<string, string>[] } {
  const [header = [], ...rows] = parseDelimited(text, delimiter);
  return {
    header,
    records: rows.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j] ?? '']))),
  };
}

/** Quotes a field when it holds a delimiter, quote or line break. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
