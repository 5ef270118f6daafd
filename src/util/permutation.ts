import { hash53 } from './hash.js';

/**
 * A seeded bijection of [0, size): the order in which a run visits the distinct base prompts of a bank, so
 * that drawing `count` of them never repeats one, without holding a shuffled list in memory. Position i
 * maps to a value computed from i and the key alone, which keeps shards independent.
 *
 * A balanced Feistel network over the smallest even-bit domain that holds `size`, with cycle walking:
 * values that land outside [0, size) are permuted again until they fall inside (the domain is at most 4x
 * the size, so a few steps on average).
 */
export function seededPermutation(size: number, key: string): (position: number) => number {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`permutation size must be a positive integer, got ${size}`);
  if (size === 1) return () => 0;
  let halfBits = 1;
  while (2 ** (2 * halfBits) < size) halfBits++;
  const half = 2 ** halfBits;
  const mask = half - 1;
  const roundKeys = Array.from({ length: 6 }, (_, round) => hash53(`${key}\u0000round${round}`) % 4294967296);
  const mix = (value: number, roundKey: number) => {
    let h = Math.imul(value ^ roundKey, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
    return (h >>> 0) & mask;
  };
  const once = (value: number) => {
    let left = Math.floor(value / half);
    let right = value % half;
    for (const roundKey of roundKeys) {
      const next = left ^ mix(right, roundKey);
      left = right;
      right = next;
    }
    return left * half + right;
  };
  return (position) => {
    if (!(position >= 0 && position < size)) throw new RangeError(`position ${position} is outside [0, ${size})`);
    let value = once(position);
    while (value >= size) value = once(value);
    return value;
  };
}
