import { withRoom } from '../util/typed-arrays.js';

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
 *
 * One pass over the lower-cased text finds the words and hashes each as it goes (two 32-bit lanes, into a
 * scratch array reused across calls); a shingle's hash mixes its words' hashes, so no word or shingle
 * string is built. This runs for every training prompt at the end of a run (a 100,000-prompt run's check
 * spent ~0.9 s here): finding the words first and hashing them in a second pass took ~1.6x as long.
 */
export function shingleHashes(text: string, width = SHINGLE_WORDS): number[] {
  const lower = text.toLowerCase();
  let count = 0;
  let h1 = 0;
  let h2 = 0;
  let inWord = false;
  for (let i = 0; i < lower.length; i++) {
    const code = lower.charCodeAt(i);
    let units = 1;
    let wordChar: boolean;
    if (code < 128) wordChar = ASCII_WORD[code] === 1;
    else {
      const point = lower.codePointAt(i)!;
      if (point > 0xffff) units = 2;
      wordChar = isLetterOrDigit(point);
    }
    if (wordChar) {
      if (!inWord) {
        inWord = true;
        h1 = 0xdeadbeef;
        h2 = 0x41c6ce57;
      }
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
      // A character outside the BMP is hashed as its two UTF-16 units, in order.
      if (units === 2) {
        const low = lower.charCodeAt(i + 1);
        h1 = Math.imul(h1 ^ low, 2654435761);
        h2 = Math.imul(h2 ^ low, 1597334677);
      }
    } else if (inWord) {
      inWord = false;
      count = endWord(h1, h2, count);
    }
    i += units - 1;
  }
  if (inWord) count = endWord(h1, h2, count);
  if (count === 0) return [];
  if (count <= width) return [mixWords(lanes, 0, count)];
  const hashes: number[] = [];
  // A prompt has tens of shingles and seldom a repeated one: comparing with those before beats a Set.
  const small = count <= 64;
  const seen = small ? undefined : new Set<number>();
  for (let i = 0; i + width <= count; i++) {
    const hash = mixWords(lanes, i, width);
    if (small ? hashes.includes(hash) : seen!.has(hash)) continue;
    seen?.add(hash);
    hashes.push(hash);
  }
  return hashes;
}

/** The two hash lanes of each word of the text being shingled (word w at 2w, 2w + 1). */
let lanes = new Int32Array(512);

/** Finalises a word's lanes (hash53's finaliser, kept apart) into word `count`'s place; the new count. */
function endWord(h1: number, h2: number, count: number): number {
  const lane1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  const lane2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(lane1 ^ (lane1 >>> 13), 3266489909);
  lanes = withRoom(lanes, 2 * count + 2);
  lanes[2 * count] = lane1;
  lanes[2 * count + 1] = lane2;
  return count + 1;
}

/** A 53-bit hash of words first..first+n-1 in order, from their lanes. */
function mixWords(lanes: Int32Array, first: number, n: number): number {
  let h1 = 0x9e3779b9 ^ n;
  let h2 = 0x85ebca6b ^ n;
  for (let w = first; w < first + n; w++) {
    h1 = Math.imul(h1 ^ lanes[2 * w]!, 2654435761);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 ^ lanes[2 * w + 1]!, 1597334677);
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Per ASCII code: 1 for a letter or digit. */
const ASCII_WORD = new Uint8Array(128).map((_, code) => ((code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90) ? 1 : 0));

const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
/** Per BMP code point: 0 not yet known, 1 a letter or digit, 2 neither. */
const known = new Uint8Array(0x10000);
function isLetterOrDigit(point: number): boolean {
  if (point > 0xffff) return LETTER_OR_DIGIT.test(String.fromCodePoint(point));
  if (known[point] === 0) known[point] = LETTER_OR_DIGIT.test(String.fromCharCode(point)) ? 1 : 2;
  return known[point] === 1;
}

/** |a ∩ b| / |a ∪ b| of two sets given as arrays of distinct values, `b` as a Set for lookups. */
export function jaccard(a: readonly number[], b: ReadonlySet<number>): number {
  let shared = 0;
  for (const value of a) if (b.has(value)) shared++;
  const union = a.length + b.size - shared;
  return union === 0 ? 0 : shared / union;
}
