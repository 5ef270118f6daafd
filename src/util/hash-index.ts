/*
 * Tables keyed by 53-bit hashes (integers in [0, 2^53), see hash.ts) in flat typed arrays, open addressing
 * with linear probing. A Set or Map of numbers held a heap number and an entry per hash, which every full
 * GC walked and every growth copied within the heap; here an entry is a few bytes the GC never looks at.
 */

/** 53-bit hash → a non-negative int32 (an index of the caller's), at most three quarters full (a run's
 * check holds one per hundred thousand prompts; linear probing stays short at that load). */
export class HashIndex53 {
  private keys: Float64Array;
  /** Absent in a set (HashSet53), whose hits have the value 0. */
  private values: Int32Array | undefined;
  private count = 0;

  /** `slots`: a power of two. */
  constructor(slots = 1024, withValues = true) {
    this.keys = new Float64Array(slots).fill(-1);
    this.values = withValues ? new Int32Array(slots) : undefined;
  }

  get size(): number {
    return this.count;
  }

  /** The value of `hash`, or -1. */
  get(hash: number): number {
    const mask = this.keys.length - 1;
    for (let at = (hash >>> 0) & mask; ; at = (at + 1) & mask) {
      const key = this.keys[at]!;
      if (key === hash) return this.values === undefined ? 0 : this.values[at]!;
      if (key === -1) return -1;
    }
  }

  /** Adds `hash` (not in the table yet) with `value`. */
  set(hash: number, value: number): void {
    if ((this.count + 1) * 4 > this.keys.length * 3) this.grow();
    this.put(hash, value);
    this.count++;
  }

  /** The keys, in table order. */
  keysInTableOrder(): number[] {
    const keys: number[] = [];
    for (const key of this.keys) if (key !== -1) keys.push(key);
    return keys;
  }

  private put(hash: number, value: number): void {
    const mask = this.keys.length - 1;
    let at = (hash >>> 0) & mask;
    while (this.keys[at] !== -1) at = (at + 1) & mask;
    this.keys[at] = hash;
    if (this.values !== undefined) this.values[at] = value;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2).fill(-1);
    this.values = values && new Int32Array(keys.length * 2);
    for (let at = 0; at < keys.length; at++) if (keys[at] !== -1) this.put(keys[at]!, values === undefined ? 0 : values[at]!);
  }
}

/** A set of 53-bit hashes: 8 bytes a slot, 11-21 bytes a hash. Users count members, so the order of `values` is
 * the table's, not the order added. */
export class HashSet53 {
  private readonly index = new HashIndex53(1024, false);

  get size(): number {
    return this.index.size;
  }

  has(hash: number): boolean {
    return this.index.get(hash) >= 0;
  }

  /** Adds a hash; returns whether it was new. */
  add(hash: number): boolean {
    if (this.has(hash)) return false;
    this.index.set(hash, 0);
    return true;
  }

  /** The hashes, in no particular order. */
  values(): number[] {
    return this.index.keysInTableOrder();
  }
}
