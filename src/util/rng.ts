import { hash53 } from './hash.js';

/**
 * Every random choice in a run comes from a generator keyed by (seed, stage, index, ...): a record's
 * content never depends on what was generated before it, which is what lets shards made on different
 * machines concatenate to the single-run output.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator; passes PractRand), seeded
 * from a 53-bit hash of the key. A run creates several generators per record, and seedrandom's generators
 * spent more time being seeded (ARC4 key scheduling, Alea's Mash) than the rest of record generation.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Index of one element of a non-empty array. */
  index(length: number): number;
}

class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(key: string) {
    const high = hash53(key, 0x9e3779b9);
    const low = hash53(key, 0x85ebca6b);
    this.a = high >>> 0;
    this.b = Math.floor(high / 4294967296) >>> 0;
    this.c = low >>> 0;
    // Warm-up rounds decorrelate generators whose keys differ in one character.
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  index(length: number): number {
    if (length <= 0) throw new RangeError('cannot pick from an empty list');
    return Math.floor(this.next() * length);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.index(items.length)]!;
  }
}

export function rngFor(...key: readonly (string | number)[]): Rng {
  return new Sfc32(key.join('/'));
}
