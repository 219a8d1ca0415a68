/** Typed arrays in shared memory (visible to every worker thread without copying). */
type Ctor<T> = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T; BYTES_PER_ELEMENT: number };

export function sharedArray<T>(ctor: Ctor<T>, length: number): T {
  return new ctor(new SharedArrayBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT), 0, length);
}

/** A shared copy of a typed array (or the array itself when it is already shared). */
export function toShared<T extends Float64Array | Float32Array | Uint32Array | Uint16Array | Int32Array | Uint8Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const ctor = a.constructor as unknown as Ctor<T>;
  const out = sharedArray(ctor, a.length) as unknown as T;
  out.set(a as never);
  return out;
}
