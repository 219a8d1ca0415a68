/**
 * NumPy `.npy` files (format version 1.0, https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * the magic "\x93NUMPY", version 1.0, a little-endian uint16 header length, a Python dict
 * literal padded with spaces and ended by "\n" so that the data starts on a 64-byte
 * boundary, then the elements in C order. Read with `numpy.load` (no pickle).
 */

const DESCR = { float64: '<f8', int64: '<i8', uint32: '<u4' } as const;
export type NpyType = keyof typeof DESCR;

export function encodeNpy(values: ArrayLike<number>, shape: number[], dtype: NpyType = 'float64'): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new RangeError(`npy: ${values.length} values for shape (${shape.join(', ')})`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const width = dtype === 'uint32' ? 4 : 8;
  const out = new Uint8Array(10 + header.length + count * width);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const o = 10 + header.length;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (dtype === 'float64') view.setFloat64(o + 8 * i, v, true);
    else if (dtype === 'int64') view.setBigInt64(o + 8 * i, BigInt(v), true);
    else view.setUint32(o + 4 * i, v, true);
  }
  return out;
}

/** Reads back what `encodeNpy` writes (tests, and `nematode` reading its own exports). */
export function decodeNpy(bytes: Uint8Array): { shape: number[]; dtype: NpyType; values: Float64Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new RangeError('npy: bad magic');
  const len = view.getUint16(8, true);
  const header = String.fromCharCode(...bytes.subarray(10, 10 + len));
  const descr = /'descr': '([^']+)'/.exec(header)?.[1];
  const dtype = (Object.keys(DESCR) as NpyType[]).find((k) => DESCR[k] === descr);
  if (!dtype) throw new RangeError(`npy: dtype ${descr} not supported`);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  const o = 10 + len;
  for (let i = 0; i < count; i++) {
    values[i] = dtype === 'float64' ? view.getFloat64(o + 8 * i, true) : dtype === 'int64' ? Number(view.getBigInt64(o + 8 * i, true)) : view.getUint32(o + 4 * i, true);
  }
  return { shape, dtype, values };
}
