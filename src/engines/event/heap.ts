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

  /**
   * Keeps only the entries for which keep(val, aux) is true and restores the heap
   * order (bottom-up heapify, O(size)); used to drop lazily invalidated entries.
   */
  compact(keep: (val: number, aux: number) => boolean): void {
    const K = this.key;
    const V = this.val;
    const A = this.aux;
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if (!keep(V[i]!, A[i]!)) continue;
      K[n] = K[i]!;
      V[n] = V[i]!;
      A[n] = A[i]!;
      n++;
    }
    this.size = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(K[i]!, V[i]!, A[i]!, n, i);
  }

  /** Replaces the earliest entry by (key, val, aux): one sift-down instead of pop + push. */
  replaceTop(key: number, val: number, aux = 0): void {
    this.siftDown(key, val, aux, this.size);
  }

  /**
   * replaceTop after the earliest entry was changed in place to a later key (through
   * key[0], val[0], aux[0]), with no double as an argument, which V8 boxes when the call
   * is not inlined (the event loop's hot path).
   */
  siftTop(): void {
    this.siftDown(this.key[0]!, this.val[0]!, this.aux[0]!, this.size);
  }

  /** Places (key, val, aux) at position `from` (the root by default) and sifts it down among the first n entries. */
  private siftDown(key: number, val: number, aux: number, n: number, from = 0): void {
    const K = this.key;
    const V = this.val;
    const A = this.aux;
    let i = from;
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

/**
 * Calendar queue of ids keyed by time, for many independent streams that each
 * hold exactly one pending time (Poisson inputs). Times fall into buckets of width
 * B on a ring of NB buckets (linked lists through `next`); times beyond the ring
 * wait in an overflow heap. The current bucket is sorted into a small batch by
 * (time, id), so ids come out in exactly the order a (time, id) heap would give,
 * at O(1) amortised cost instead of a cache- and branch-unfriendly sift over a
 * large heap.
 *
 * Use: while (q.pos < q.len || q.refill()) { t = q.batchT[q.pos]; id = q.batchQ[q.pos]; q.pos++; … q.insert(id, t2); }
 */
export class CalendarQueue {
  private readonly invB: number;
  private readonly mask: number;
  private readonly nb: number;
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly time: Float64Array;
  private readonly far = new TimeHeap(64);
  private wheelCount = 0;
  /** Absolute number of the bucket held in the batch. */
  private cur = -1;
  batchT: Float64Array;
  batchQ: Int32Array;
  pos = 0;
  len = 0;

  /**
   * @param ids    number of ids (0 … ids−1)
   * @param width  bucket width (ms): aim for a handful of times per bucket
   * @param span   time span the ring should cover (ms); later times overflow
   */
  constructor(ids: number, width: number, span: number) {
    const B = width > 0 && Number.isFinite(width) ? width : 1;
    this.invB = 1 / B;
    let nb = 16;
    const want = Math.min(1 << 20, Math.ceil(Math.min(span, 1e15) / B) + 1);
    while (nb < want) nb *= 2;
    this.nb = nb;
    this.mask = nb - 1;
    this.head = new Int32Array(nb).fill(-1);
    this.next = new Int32Array(Math.max(1, ids));
    this.time = new Float64Array(Math.max(1, ids));
    this.batchT = new Float64Array(64);
    this.batchQ = new Int32Array(64);
  }

  /** Inserts (t, id) at position k or below (not below `lowest`), keeping the batch sorted by (time, id). */
  private placeInBatch(k: number, lowest: number, t: number, id: number): void {
    const T = this.batchT;
    const Q = this.batchQ;
    while (k > lowest) {
      const pt = T[k - 1]!;
      if (pt < t || (pt === t && Q[k - 1]! < id)) break;
      T[k] = pt;
      Q[k] = Q[k - 1]!;
      k--;
    }
    T[k] = t;
    Q[k] = id;
  }

  /** Links id (due at t) into wheel bucket b. */
  private toWheel(id: number, t: number, b: number): void {
    this.time[id] = t;
    this.next[id] = this.head[b]!;
    this.head[b] = id;
    this.wheelCount++;
  }

  /** Schedules id at time t (t not before the time last taken out). */
  insert(id: number, t: number): void {
    const abs = Math.floor(t * this.invB);
    if (abs === this.cur) {
      // Into the sorted batch, after the current position.
      if (this.len === this.batchT.length) this.growBatch(this.len + 1);
      this.placeInBatch(this.len++, this.pos, t, id);
    } else if (abs - this.cur < this.nb) {
      this.toWheel(id, t, abs & this.mask);
    } else {
      this.far.push(t, id);
    }
  }

  /** Loads the next non-empty bucket into the batch; false when nothing is left. */
  refill(): boolean {
    for (;;) {
      if (this.pos < this.len) return true;
      if (this.wheelCount === 0) {
        if (this.far.size === 0) {
          this.pos = this.len = 0;
          return false;
        }
        // Jump over the empty stretch to the earliest overflow time.
        this.cur = Math.floor(this.far.key[0]! * this.invB) - 1;
      }
      this.cur++;
      const limit = this.cur + this.nb;
      const far = this.far;
      while (far.size > 0 && Math.floor(far.key[0]! * this.invB) < limit) {
        const id = far.val[0]!;
        const t = far.key[0]!;
        far.pop();
        this.toWheel(id, t, Math.floor(t * this.invB) & this.mask);
      }
      const b = this.cur & this.mask;
      let id = this.head[b]!;
      if (id < 0) {
        this.pos = this.len = 0;
        continue;
      }
      this.head[b] = -1;
      let n = 0;
      for (let x = id; x >= 0; x = this.next[x]!) n++;
      if (n > this.batchT.length) this.growBatch(n);
      // Insertion sort by (time, id) while unlinking.
      let len = 0;
      while (id >= 0) {
        this.placeInBatch(len++, 0, this.time[id]!, id);
        id = this.next[id]!;
      }
      this.wheelCount -= len;
      this.pos = 0;
      this.len = len;
      return true;
    }
  }

  private growBatch(n: number): void {
    let c = this.batchT.length;
    while (c < n) c *= 2;
    const t = new Float64Array(c);
    const q = new Int32Array(c);
    t.set(this.batchT.subarray(0, this.len));
    q.set(this.batchQ.subarray(0, this.len));
    this.batchT = t;
    this.batchQ = q;
  }
}
