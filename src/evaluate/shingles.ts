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
 * Words are found in the lower-cased text in place and hashed once each (two 32-bit lanes); a shingle's
 * hash mixes its words' hashes, so no word or shingle string is built (this runs for every training prompt).
 */
export function shingleHashes(text: string, width = SHINGLE_WORDS): number[] {
  const lower = text.toLowerCase();
  const bounds = wordBounds(lower);
  const count = bounds.length / 2;
  if (count === 0) return [];
  const lanes = new Int32Array(count * 2);
  for (let w = 0; w < count; w++) hashWord(lower, bounds[2 * w]!, bounds[2 * w + 1]!, lanes, w);
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

/** A word's two 32-bit hash lanes (hash53's loop and finaliser, kept apart), into lanes[2w], lanes[2w + 1]. */
function hashWord(text: string, start: number, end: number, lanes: Int32Array, w: number): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = start; i < end; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  lanes[2 * w] = h1;
  lanes[2 * w + 1] = h2;
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

/** Start and end of each word of `text` (runs of letters and digits), flattened. */
function wordBounds(text: string): number[] {
  const bounds: number[] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let width = 1;
    let inWord: boolean;
    if (code < 128) inWord = (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90);
    else {
      const point = text.codePointAt(i)!;
      if (point > 0xffff) width = 2;
      inWord = isLetterOrDigit(point);
    }
    if (inWord) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      bounds.push(start, i);
      start = -1;
    }
    i += width - 1;
  }
  if (start >= 0) bounds.push(start, text.length);
  return bounds;
}

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
