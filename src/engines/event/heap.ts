/**
 * Binary min-heaps on typed arrays for the event engine. Entries are ordered by
 * (key, val): the time first, then a 32-bit id that is unique among the live
 * entries of a heap, so the pop order is a total order fixed by the entries
 * alone (not by the heap's history) and runs are reproducible. An optional
 * 32-bit `aux` word travels with each entry (e.g. a version counter).
 *
 * No objects are allocated per operation; the arrays double when full.
 */
export class TimeHeap {
  key: Float64Array;
  val: Int32Array;
  aux: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    const c = Math.max(4, capacity);
    this.key = new Float64Array(c);
    this.val = new Int32Array(c);
    this.aux = new Int32Array(c);
  }

  /** Time of the earliest entry, Infinity when empty. */
  topKey(): number {
    return this.size > 0 ? this.key[0]! : Infinity;
  }

  private grow(): void {
    const c = this.key.length * 2;
    const k = new Float64Array(c);
    const v = new Int32Array(c);
    const a = new Int32Array(c);
    k.set(this.key);
    v.set(this.val);
    a.set(this.aux);
    this.key = k;
    this.val = v;
    this.aux = a;
  }

  push(key: number, val: number, aux = 0): void {
    if (this.size === this.key.length) this.grow();
    const K = this.key;
    const V = this.val;
    const A = this.aux;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = K[p]!;
      if (pk < key || (pk === key && V[p]! < val)) break;
      K[i] = pk;
      V[i] = V[p]!;
      A[i] = A[p]!;
      i = p;
    }
    K[i] = key;
    V[i] = val;
    A[i] = aux;
  }

  /** Removes the earliest entry. */
  pop(): void {
    const n = --this.size;
    if (n > 0) this.siftDown(this.key[n]!, this.val[n]!, this.aux[n]!, n);
  }

  /** Replaces the earliest entry by (key, val, aux): one sift-down instead of pop + push. */
  replaceTop(key: number, val: number, aux = 0): void {
    this.siftDown(key, val, aux, this.size);
  }

  private siftDown(key: number, val: number, aux: number, n: number): void {
    const K = this.key;
    const V = this.val;
    const A = this.aux;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ck = K[c]!;
      let cv = V[c]!;
      const r = c + 1;
      if (r < n) {
        const rk = K[r]!;
        if (rk < ck || (rk === ck && V[r]! < cv)) {
          c = r;
          ck = rk;
          cv = V[r]!;
        }
      }
      if (key < ck || (key === ck && val < cv)) break;
      K[i] = ck;
      V[i] = cv;
      A[i] = A[c]!;
      i = c;
    }
    K[i] = key;
    V[i] = val;
    A[i] = aux;
  }
}

/** FIFO of (time, index) pairs on a growable ring buffer (times pushed in non-decreasing order). */
export class TimeFifo {
  time: Float64Array;
  idx: Int32Array;
  head = 0;
  count = 0;
  private mask: number;

  constructor(capacity = 64) {
    let c = 4;
    while (c < capacity) c *= 2;
    this.time = new Float64Array(c);
    this.idx = new Int32Array(c);
    this.mask = c - 1;
  }

  headTime(): number {
    return this.count > 0 ? this.time[this.head]! : Infinity;
  }

  headIndex(): number {
    return this.idx[this.head]!;
  }

  push(t: number, i: number): void {
    if (this.count === this.time.length) this.grow();
    const p = (this.head + this.count) & this.mask;
    this.time[p] = t;
    this.idx[p] = i;
    this.count++;
  }

  shift(): void {
    this.head = (this.head + 1) & this.mask;
    this.count--;
  }

  private grow(): void {
    const c = this.time.length * 2;
    const t = new Float64Array(c);
    const x = new Int32Array(c);
    for (let k = 0; k < this.count; k++) {
      const p = (this.head + k) & this.mask;
      t[k] = this.time[p]!;
      x[k] = this.idx[p]!;
    }
    this.time = t;
    this.idx = x;
    this.head = 0;
    this.mask = c - 1;
  }
}
