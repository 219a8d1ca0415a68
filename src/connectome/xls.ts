/**
 * A minimal .xls (BIFF8) reader: the OLE2 compound file container ([MS-CFB])
 * and the worksheet records of [MS-XLS] needed for cell values — BOUNDSHEET8,
 * SST (+ CONTINUE), LABELSST, LABEL, NUMBER, RK, MULRK and a FORMULA's cached
 * number. Styles, dates and everything else are ignored.
 */
import { FileFormatError, UnsupportedError } from '../errors.js';

const END_OF_CHAIN = 0xfffffffe;

/** Reads one named stream (e.g. "Workbook") out of an OLE2 compound file ([MS-CFB] §2.2–2.6). */
export function readCompoundStream(buf: Buffer, streamName: string, label = 'file.xls'): Buffer | undefined {
  const bad = (what: string) => new FileFormatError(`${label}: not a readable OLE2/xls file (${what})`, { object: label });
  if (buf.length < 512 || buf.readUInt32LE(0) !== 0xe011cfd0 || buf.readUInt32LE(4) !== 0xe11ab1a1) throw bad('bad signature');
  const sectorSize = 1 << buf.readUInt16LE(0x1e);
  const miniSize = 1 << buf.readUInt16LE(0x20);
  const numFat = buf.readUInt32LE(0x2c);
  const miniCutoff = buf.readUInt32LE(0x38);
  const sector = (n: number) => buf.subarray((n + 1) * sectorSize, (n + 2) * sectorSize);

  // FAT sector numbers: 109 in the header, the rest in the DIFAT chain (last entry of each DIFAT sector links on).
  const fatSectors: number[] = [];
  for (let i = 0; i < 109 && fatSectors.length < numFat; i++) fatSectors.push(buf.readUInt32LE(0x4c + 4 * i));
  for (let d = buf.readUInt32LE(0x44); fatSectors.length < numFat && d !== END_OF_CHAIN; ) {
    const s = sector(d);
    for (let i = 0; i < sectorSize / 4 - 1 && fatSectors.length < numFat; i++) fatSectors.push(s.readUInt32LE(4 * i));
    d = s.readUInt32LE(sectorSize - 4);
  }
  const fat = fatSectors.flatMap((n) => Array.from({ length: sectorSize / 4 }, (_, i) => sector(n).readUInt32LE(4 * i)));
  const chain = (start: number, table: number[], read: (n: number) => Buffer): Buffer => {
    const parts: Buffer[] = [];
    for (let n = start, guard = 0; n !== END_OF_CHAIN; n = table[n]!) {
      if (n >= table.length || ++guard > table.length) throw bad('broken sector chain');
      parts.push(read(n));
    }
    return Buffer.concat(parts);
  };

  // Directory entries: 128 bytes each; name UTF-16LE, type at 0x42 (2 = stream, 5 = root), start 0x74, size 0x78.
  const dir = chain(buf.readUInt32LE(0x30), fat, sector);
  const entries = Array.from({ length: dir.length / 128 }, (_, i) => {
    const e = dir.subarray(128 * i, 128 * (i + 1));
    const nameLen = Math.max(0, e.readUInt16LE(0x40) - 2);
    return { name: e.toString('utf16le', 0, nameLen), type: e[0x42]!, start: e.readUInt32LE(0x74), size: e.readUInt32LE(0x78) };
  });
  const entry = entries.find((e) => e.type === 2 && e.name.toLowerCase() === streamName.toLowerCase());
  if (!entry) return undefined;
  if (entry.size >= miniCutoff) return chain(entry.start, fat, sector).subarray(0, entry.size);
  // Small streams live in the mini stream (the root entry's data), addressed through the mini FAT.
  const root = entries[0]!;
  const miniStream = chain(root.start, fat, sector);
  const miniFatBuf = chain(buf.readUInt32LE(0x3c), fat, sector);
  const miniFat = Array.from({ length: miniFatBuf.length / 4 }, (_, i) => miniFatBuf.readUInt32LE(4 * i));
  return chain(entry.start, miniFat, (n) => miniStream.subarray(n * miniSize, (n + 1) * miniSize)).subarray(0, entry.size);
}

interface BiffRecord {
  type: number;
  offset: number;
  data: Buffer;
}

function* records(stream: Buffer, from = 0): Generator<BiffRecord> {
  for (let p = from; p + 4 <= stream.length; ) {
    const type = stream.readUInt16LE(p);
    const len = stream.readUInt16LE(p + 2);
    yield { type, offset: p, data: stream.subarray(p + 4, p + 4 + len) };
    p += 4 + len;
  }
}

/** Decodes an RK number ([MS-XLS] 2.5.217): bit 0 = divided by 100, bit 1 = 30-bit integer, else the top 30 bits of a double. */
function rk(v: number): number {
  let x: number;
  if (v & 2) x = v >> 2;
  else {
    const b = Buffer.alloc(8);
    b.writeUInt32LE((v & 0xfffffffc) >>> 0, 4);
    x = b.readDoubleLE(0);
  }
  return v & 1 ? x / 100 : x;
}

/**
 * Reads across an SST record and its CONTINUE records. Character data that
 * crosses into a CONTINUE record starts there with a fresh option byte
 * (fHighByte); other fields cross without one ([MS-XLS] 2.4.58 Continue).
 */
class ContinuedReader {
  private i = 0;
  private p = 0;
  constructor(private readonly chunks: Buffer[]) {}
  private ensure(): void {
    while (this.p >= this.chunks[this.i]!.length && this.i < this.chunks.length - 1) {
      this.i++;
      this.p = 0;
    }
  }
  byte(): number {
    this.ensure();
    return this.chunks[this.i]![this.p++] ?? 0;
  }
  u16(): number {
    return this.byte() | (this.byte() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  skip(n: number): void {
    for (let k = 0; k < n; k++) this.byte();
  }
  chars(cch: number, highByte: boolean): string {
    let out = '';
    while (cch > 0) {
      let chunk = this.chunks[this.i]!;
      if (this.p >= chunk.length) {
        if (this.i >= this.chunks.length - 1) break;
        this.i++;
        this.p = 0;
        chunk = this.chunks[this.i]!;
        highByte = (chunk[this.p++]! & 1) === 1;
      }
      const width = highByte ? 2 : 1;
      const n = Math.min(cch, Math.floor((chunk.length - this.p) / width));
      out += chunk.toString(highByte ? 'utf16le' : 'latin1', this.p, this.p + n * width);
      this.p += n * width;
      cch -= n;
      if (n === 0 && this.p < chunk.length) this.p = chunk.length; // a stray odd byte: move on
    }
    return out;
  }
}

/** XLUnicodeRichExtendedString ([MS-XLS] 2.5.293): cch, flags (1 high byte, 4 ext, 8 rich), [cRun], [cbExtRst], chars, runs, ext. */
function sstString(r: ContinuedReader): string {
  const cch = r.u16();
  const flags = r.byte();
  const runs = flags & 8 ? r.u16() : 0;
  const ext = flags & 4 ? r.u32() : 0;
  const s = r.chars(cch, (flags & 1) === 1);
  r.skip(4 * runs + ext);
  return s;
}

/** XLUnicodeString inside one record (LABEL, STRING, BOUNDSHEET8 uses the 1-byte-length form). */
function unicodeString(data: Buffer, at: number, lenBytes: 1 | 2): string {
  const cch = lenBytes === 1 ? data[at]! : data.readUInt16LE(at);
  const high = (data[at + lenBytes]! & 1) === 1;
  const start = at + lenBytes + 1;
  return high ? data.toString('utf16le', start, start + 2 * cch) : data.toString('latin1', start, start + cch);
}

/** Every worksheet of a BIFF8 .xls workbook as rows of string cells (empty cells are ''). */
export function readXls(buf: Buffer, label = 'workbook.xls'): Map<string, string[][]> {
  const stream = readCompoundStream(buf, 'Workbook', label);
  if (!stream) {
    if (readCompoundStream(buf, 'Book', label)) throw new UnsupportedError(`${label}: BIFF5 (Excel 5/95) workbooks are not supported; save it as .xls (97-2003) or .xlsx`, { object: label });
    throw new FileFormatError(`${label}: no Workbook stream`, { object: label });
  }
  // Workbook globals: sheet names and offsets, shared strings.
  const sheets: { name: string; offset: number }[] = [];
  let shared: string[] = [];
  const globals = [...records(stream)];
  const eofAt = globals.findIndex((rec) => rec.type === 0x000a);
  for (let k = 0; k < (eofAt < 0 ? globals.length : eofAt); k++) {
    const rec = globals[k]!;
    if (rec.type === 0x0085 && rec.data[5] === 0) sheets.push({ offset: rec.data.readUInt32LE(0), name: unicodeString(rec.data, 6, 1) });
    else if (rec.type === 0x00fc) {
      const chunks = [rec.data];
      for (let j = k + 1; globals[j]?.type === 0x003c; j++) chunks.push(globals[j]!.data);
      const reader = new ContinuedReader(chunks);
      reader.u32(); // cstTotal
      const unique = reader.u32();
      shared = Array.from({ length: unique }, () => sstString(reader));
    }
  }
  const out = new Map<string, string[][]>();
  for (const sh of sheets) {
    const rows: string[][] = [];
    const set = (r: number, c: number, v: string) => {
      while (rows.length <= r) rows.push([]);
      const row = rows[r]!;
      while (row.length < c) row.push('');
      row[c] = v;
    };
    let pendingFormula: [number, number] | undefined;
    for (const { type, data } of records(stream, sh.offset)) {
      if (type === 0x000a) break; // EOF
      const r = data.length >= 4 ? data.readUInt16LE(0) : 0;
      const c = data.length >= 4 ? data.readUInt16LE(2) : 0;
      if (type === 0x00fd) set(r, c, shared[data.readUInt32LE(6)] ?? ''); // LABELSST
      else if (type === 0x0203) set(r, c, String(data.readDoubleLE(6))); // NUMBER
      else if (type === 0x027e) set(r, c, String(rk(data.readUInt32LE(6)))); // RK
      else if (type === 0x00bd) {
        // MULRK: rw, colFirst, (ixfe, RK)*, colLast
        for (let k = 0; 4 + 6 * k + 6 <= data.length - 2; k++) set(r, c + k, String(rk(data.readUInt32LE(4 + 6 * k + 2))));
      } else if (type === 0x0204) set(r, c, unicodeString(data, 6, 2)); // LABEL
      else if (type === 0x0006) {
        // FORMULA: a cached number unless bytes 12-13 are 0xFFFF; a string result follows in a STRING record.
        if (data.readUInt16LE(12) !== 0xffff) set(r, c, String(data.readDoubleLE(6)));
        else if (data[6] === 0) pendingFormula = [r, c];
      } else if (type === 0x0207 && pendingFormula) {
        set(pendingFormula[0], pendingFormula[1], unicodeString(data, 0, 2));
        pendingFormula = undefined;
      }
    }
    out.set(sh.name, rows);
  }
  return out;
}
