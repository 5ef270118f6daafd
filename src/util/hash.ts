import { createHash } from 'node:crypto';

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** Lower-case, collapse white space, drop surrounding punctuation: two prompts that differ only in
 * spacing or case are the same base prompt for leakage and partition purposes. */
export function normalizePrompt(text: string): string {
  const lower = text.toLowerCase();
  // Most prompts are spaced already: the regular expression's copy (~1.4 KB of garbage a prompt, on the
  // hot path of pool assignment and the check) only when some white space is not a single space between
  // words.
  return spacedLikeNormalized(lower) ? lower : lower.replace(/\s+/g, ' ').trim();
}

/** Whether every white-space character of `text` (as `\s` and `trim` know it) is a single space with
 * something else on both sides. */
function spacedLikeNormalized(text: string): boolean {
  let afterSpace = true; // a space at the start is one to trim
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 32) {
      if (afterSpace) return false;
      afterSpace = true;
    } else if ((ch >= 9 && ch <= 13) || (ch >= 0xa0 && isOtherWhiteSpace(ch))) return false;
    else afterSpace = false;
  }
  return !afterSpace || text.length === 0;
}

/** White space of `\s` above U+009F. */
const isOtherWhiteSpace = (ch: number): boolean =>
  ch === 0xa0 || ch === 0x1680 || (ch >= 0x2000 && ch <= 0x200a) || ch === 0x2028 || ch === 0x2029 || ch === 0x202f || ch === 0x205f || ch === 0x3000 || ch === 0xfeff;

/**
 * 53-bit FNV-1a-style hash of a string, as a JS number. Fast enough for the hot path (no Buffer, no
 * crypto call) and wide enough that collisions among a few million prompts are negligible.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  return final53(h1, h2);
}

/** The 53-bit result of hash53's two 32-bit lanes. */
function final53(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * hash53(normalizePrompt(text)) without building the normalised string: the prompts-file passes hash every
 * prompt of the file, and normalising took as long as parsing the JSON. ASCII text is lower-cased, its
 * white space collapsed and trimmed on the fly; any other text takes the plain path.
 */
export function normalizedHash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  let started = false;
  let space = false;
  for (let i = 0; i < text.length; i++) {
    let ch = text.charCodeAt(i);
    if (ch >= 128) return hash53(normalizePrompt(text));
    if (ch === 32 || (ch >= 9 && ch <= 13)) {
      space = started;
      continue;
    }
    if (space) {
      h1 = Math.imul(h1 ^ 32, 2654435761);
      h2 = Math.imul(h2 ^ 32, 1597334677);
      space = false;
    }
    if (ch >= 65 && ch <= 90) ch += 32;
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
    started = true;
  }
  return final53(h1, h2);
}

/** A value in [0, 1) fixed by the text alone (and a salt): how base prompts are assigned to the held-out
 * partition, so membership never depends on run size, seed or shard. */
export function unitHash(text: string, salt: string): number {
  return hash53(`${salt}\u0000${normalizePrompt(text)}`) / 2 ** 53;
}
