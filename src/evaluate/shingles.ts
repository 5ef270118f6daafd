import { hash53 } from '../util/hash.js';

/** Shingle width: three-word windows tell "same request, one word changed" from "same topic". */
export const SHINGLE_WORDS = 3;

/** Lower-cased words (letters and digits); punctuation and spacing do not make two prompts differ. */
export function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word !== '');
}

/**
 * The distinct word shingles of a text, as 53-bit hashes (numbers compare and hash faster than strings,
 * and collisions among a few million shingles are negligible). A text shorter than the shingle width is
 * one shingle of all its words, so short prompts still compare (as exact matches).
 */
export function shingleHashes(text: string, width = SHINGLE_WORDS): number[] {
  const list = words(text);
  if (list.length === 0) return [];
  if (list.length <= width) return [hash53(list.join(' '))];
  const hashes = new Set<number>();
  for (let i = 0; i + width <= list.length; i++) {
    // The common width, joined by hand: slice().join() per shingle was a tenth of check's time.
    hashes.add(hash53(width === 3 ? `${list[i]} ${list[i + 1]} ${list[i + 2]}` : list.slice(i, i + width).join(' ')));
  }
  return [...hashes];
}

/** |a ∩ b| / |a ∪ b| of two sets given as arrays of distinct values, `b` as a Set for lookups. */
export function jaccard(a: readonly number[], b: ReadonlySet<number>): number {
  let shared = 0;
  for (const value of a) if (b.has(value)) shared++;
  const union = a.length + b.size - shared;
  return union === 0 ? 0 : shared / union;
}
