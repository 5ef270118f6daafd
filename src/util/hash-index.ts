/*
 * Tables keyed by 53-bit hashes (integers in [0, 2^53), see hash.ts) in flat typed arrays, open addressing
 * with linear probing. A Set or Map of numbers held a heap number and an entry per hash, which every full
 * GC walked and every growth copied within the heap; here an entry is a few bytes the GC never looks at.
 */

/** 53-bit hash → a non-negative int32 (an index of the caller's), at most half full. */
export class HashIndex53 {
  private keys = new Float64Array(1024).fill(-1);
  private values = new Int32Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The value of `hash`, or -1. */
  get(hash: number): number {
    const mask = this.keys.length - 1;
    for (let at = (hash >>> 0) & mask; ; at = (at + 1) & mask) {
      const key = this.keys[at]!;
      if (key === hash) return this.values[at]!;
      if (key === -1) return -1;
    }
  }

  /** Adds `hash` (not in the table yet) with `value`. */
  set(hash: number, value: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    this.put(hash, value);
    this.count++;
  }

  private put(hash: number, value: number): void {
    const mask = this.keys.length - 1;
    let at = (hash >>> 0) & mask;
    while (this.keys[at] !== -1) at = (at + 1) & mask;
    this.keys[at] = hash;
    this.values[at] = value;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2).fill(-1);
    this.values = new Int32Array(keys.length * 2);
    for (let at = 0; at < keys.length; at++) if (keys[at] !== -1) this.put(keys[at]!, values[at]!);
  }
}

/** A set of 53-bit hashes that also gives them back in the order first added. */
export class HashSet53 {
  private readonly index = new HashIndex53();
  private order = new Float64Array(512);

  get size(): number {
    return this.index.size;
  }

  has(hash: number): boolean {
    return this.index.get(hash) >= 0;
  }

  /** Adds a hash; returns whether it was new. */
  add(hash: number): boolean {
    if (this.has(hash)) return false;
    const size = this.index.size;
    if (size === this.order.length) {
      const order = new Float64Array(this.order.length * 2);
      order.set(this.order);
      this.order = order;
    }
    this.order[size] = hash;
    this.index.set(hash, size);
    return true;
  }

  /** The hashes in the order first added. */
  values(): number[] {
    return Array.from(this.order.subarray(0, this.size));
  }
}
