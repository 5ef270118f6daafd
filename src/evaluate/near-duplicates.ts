import { withRoom } from '../util/typed-arrays.js';
import { shingleHashes } from './shingles.js';

/** A stored text that a query resembles, and how closely (Jaccard similarity of word shingles). */
export interface NearDuplicate {
  key: string;
  similarity: number;
}

// Float guard: 0.8 * 15 is 12.000000000000002, whose ceiling would shorten a prefix and miss a match.
const EPSILON = 1e-9;

/** Frequencies saturate here: past it a shingle is common, and common shingles sort last among themselves by hash. */
const MAX_FREQUENCY = 255;

/**
 * Finds, for a query text, a stored text whose word-shingle Jaccard similarity is at least `threshold`,
 * without comparing against every stored text. The stored side is built once, the query side is streamed
 * (every training prompt), so each query costs about its own length.
 *
 * Method: prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007). Shingles are put in one global
 * order, rarest first (by how many stored shingles share its frequency bucket; shingles in an empty bucket,
 * which no stored text holds, come first of all), ties by hash. If J(x, y) >= t then |x ∩ y| >= ceil(t·|x|),
 * so x and y must share a shingle among the first |x| - ceil(t·|x|) + 1 of each; only those prefixes are
 * indexed and probed, and candidates are verified exactly. Any total order keeps this exact (no false
 * negatives, unlike MinHash); rare-first makes postings short. Counting frequencies by bucket rather than
 * by shingle keeps the index a few typed arrays (no map of every stored shingle), and lets a query whose
 * prefix is all unheld shingles return at once without sorting.
 */
export class NearDuplicateIndex {
  private readonly pendingKeys: string[] = [];
  /** The added texts' shingles back to back (pendingEnds[i] ends text i's): one array, not one per text. */
  private pendingShingles = new Float64Array(256);
  private pendingEnds: number[] = [];
  private keys: string[] = [];
  /** Every stored text's shingles, ascending, one run per text (offsets[i] to offsets[i + 1]). */
  private shingles = new Float64Array(0);
  private offsets = new Int32Array(1);
  /** Stored shingles per bucket (hash & mask), saturated at MAX_FREQUENCY. */
  private frequency = new Uint8Array(1);
  private mask = 0;
  /** Postings of prefix shingles grouped by bucket: entries postingStart[b] to postingStart[b + 1]. */
  private postingStart = new Int32Array(1);
  private postingMask = 0;
  private postingShingle = new Float64Array(0);
  private postingText = new Int32Array(0);
  private built = false;
  // Per-query scratch, reused: a query allocates nothing but its shingle list.
  private scratch = new Float64Array(64);
  private ranks = new Uint8Array(64);
  private seen = new Int32Array(0);
  private epoch = 0;

  constructor(readonly threshold: number) {
    if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`similarity threshold must be in (0, 1], got ${threshold}`);
  }

  /** Adds a text under `key` (the caller's id for it). All adds come before the first query. */
  add(key: string, text: string): void {
    this.addShingles(key, shingleHashes(text));
  }

  /** `add` for a text whose shingleHashes the caller has. */
  addShingles(key: string, shingles: readonly number[]): void {
    if (this.built) throw new Error('NearDuplicateIndex.add after the first query');
    if (shingles.length === 0) return;
    const start = this.pendingEnds.at(-1) ?? 0;
    this.pendingShingles = withRoom(this.pendingShingles, start + shingles.length);
    this.pendingShingles.set(shingles, start);
    this.pendingKeys.push(key);
    this.pendingEnds.push(start + shingles.length);
  }

  get size(): number {
    return this.built ? this.keys.length : this.pendingKeys.length;
  }

  /** The most similar stored text at or above the threshold (the first stored of equals), or undefined. */
  query(text: string): NearDuplicate | undefined {
    this.build();
    if (this.keys.length === 0) return undefined;
    return this.queryShingles(shingleHashes(text));
  }

  /** `query` for a text whose shingleHashes the caller has. */
  queryShingles(list: readonly number[]): NearDuplicate | undefined {
    this.build();
    if (this.keys.length === 0) return undefined;
    const size = list.length;
    if (size === 0) return undefined;
    const prefix = this.prefixLength(size);
    // Shingles in an empty bucket sort first and have no postings: a prefix of only those finds nothing.
    let unheld = 0;
    for (let i = 0; i < size; i++) if (this.frequency[bucketOf(list[i]!, this.mask)] === 0) unheld++;
    if (unheld >= prefix) return undefined;
    const ordered = this.ordered(list);
    const minSize = this.threshold * size - EPSILON;
    const maxSize = size / this.threshold + EPSILON;
    const epoch = ++this.epoch;
    let sorted: Float64Array | undefined;
    let bestText = -1;
    let bestSimilarity = 0;
    for (let p = unheld; p < prefix; p++) {
      const shingle = ordered[p]!;
      const bucket = bucketOf(shingle, this.postingMask);
      for (let e = this.postingStart[bucket]!, end = this.postingStart[bucket + 1]!; e < end; e++) {
        if (this.postingShingle[e] !== shingle) continue;
        const candidate = this.postingText[e]!;
        if (this.seen[candidate] === epoch) continue;
        this.seen[candidate] = epoch;
        const from = this.offsets[candidate]!;
        const storedSize = this.offsets[candidate + 1]! - from;
        // Length filter: sets of very different sizes cannot reach the threshold.
        if (storedSize < minSize || storedSize > maxSize) continue;
        if (sorted === undefined) sortInto(list, (sorted = new Float64Array(size)), 0);
        const shared = intersection(sorted, this.shingles, from, from + storedSize);
        const similarity = shared / (size + storedSize - shared);
        if (similarity >= this.threshold - EPSILON && (similarity > bestSimilarity || (similarity === bestSimilarity && candidate < bestText))) {
          bestText = candidate;
          bestSimilarity = similarity;
        }
      }
    }
    return bestText < 0 ? undefined : { key: this.keys[bestText]!, similarity: bestSimilarity };
  }

  private prefixLength(size: number): number {
    return size - Math.ceil(this.threshold * size - EPSILON) + 1;
  }

  /** The shingles rarest first, ties by hash (a total order); in the reused scratch array. */
  private ordered(list: ArrayLike<number>): Float64Array {
    if (this.scratch.length < list.length) {
      this.scratch = new Float64Array(list.length * 2);
      this.ranks = new Uint8Array(list.length * 2);
    }
    const out = this.scratch;
    const ranks = this.ranks;
    const { frequency, mask } = this;
    if (list.length > 64) {
      const rankOf = (value: number) => frequency[bucketOf(value, mask)]!;
      Array.from(list)
        .sort((a, b) => rankOf(a) - rankOf(b) || a - b)
        .forEach((value, i) => (out[i] = value));
      return out;
    }
    // Insertion sort: a prompt has tens of shingles.
    for (let i = 0; i < list.length; i++) {
      const value = list[i]!;
      const rank = frequency[bucketOf(value, mask)]!;
      let j = i - 1;
      while (j >= 0) {
        const otherRank = ranks[j]!;
        if (otherRank < rank || (otherRank === rank && out[j]! < value)) break;
        out[j + 1] = out[j]!;
        ranks[j + 1] = otherRank;
        j--;
      }
      out[j + 1] = value;
      ranks[j + 1] = rank;
    }
    return out;
  }

  private build(): void {
    if (this.built) return;
    this.built = true;
    const ends = this.pendingEnds;
    const total = ends.at(-1) ?? 0;
    const pending = this.pendingShingles.subarray(0, total);
    const listOf = (text: number) => pending.subarray(text === 0 ? 0 : ends[text - 1]!, ends[text]!);
    // About four buckets per stored shingle: most buckets hold one distinct shingle or none.
    const buckets = Math.max(64, 2 ** Math.ceil(Math.log2(total * 4 + 1)));
    this.mask = buckets - 1;
    const frequency = (this.frequency = new Uint8Array(buckets));
    for (const shingle of pending) {
      const bucket = bucketOf(shingle, this.mask);
      if (frequency[bucket]! < MAX_FREQUENCY) frequency[bucket]!++;
    }
    this.keys = this.pendingKeys.splice(0);
    const texts = ends.length;
    this.offsets = new Int32Array(texts + 1);
    this.shingles = new Float64Array(total);
    this.seen = new Int32Array(texts);
    // Prefixes in text order, then grouped by posting bucket (a counting sort) into postingStart's ranges.
    let postings = 0;
    for (let text = 0; text < texts; text++) postings += this.prefixLength(listOf(text).length);
    const prefixShingle = new Float64Array(postings);
    const prefixText = new Int32Array(postings);
    let at = 0;
    for (let text = 0; text < texts; text++) {
      const list = listOf(text);
      const ordered = this.ordered(list);
      for (let p = 0, end = this.prefixLength(list.length); p < end; p++, at++) {
        prefixShingle[at] = ordered[p]!;
        prefixText[at] = text;
      }
      this.offsets[text + 1] = this.offsets[text]! + list.length;
      sortInto(list, this.shingles, this.offsets[text]!);
    }
    // About two posting buckets per posting: a probe scans one or two entries.
    const postingBuckets = Math.max(64, 2 ** Math.ceil(Math.log2(postings * 2 + 1)));
    this.postingMask = postingBuckets - 1;
    const starts = new Int32Array(postingBuckets + 1);
    for (let i = 0; i < postings; i++) starts[bucketOf(prefixShingle[i]!, this.postingMask) + 1]!++;
    for (let b = 0; b < postingBuckets; b++) starts[b + 1]! += starts[b]!;
    this.postingStart = starts.slice();
    this.postingShingle = new Float64Array(postings);
    this.postingText = new Int32Array(postings);
    for (let i = 0; i < postings; i++) {
      const to = starts[bucketOf(prefixShingle[i]!, this.postingMask)]!++;
      this.postingShingle[to] = prefixShingle[i]!;
      this.postingText[to] = prefixText[i]!;
    }
    this.pendingShingles = new Float64Array(0);
    this.pendingEnds = [];
  }
}

/** A 53-bit shingle hash's bucket: its low 32 bits (well mixed by hash53), masked. */
const bucketOf = (shingle: number, mask: number) => (shingle >>> 0) & mask;

/** `list` ascending into `out` from `at` (insertion sort: tens of values, where a typed array's sort call
 * costs more than the sorting). */
function sortInto(list: ArrayLike<number>, out: Float64Array, at: number): void {
  if (list.length > 64) {
    out.set(list, at);
    out.subarray(at, at + list.length).sort();
    return;
  }
  for (let k = 0; k < list.length; k++) {
    const value = list[k]!;
    let j = at + k - 1;
    while (j >= at && out[j]! > value) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = value;
  }
}

/** How many values two ascending runs share (each run's values distinct). */
function intersection(a: Float64Array, b: Float64Array, from: number, to: number): number {
  let shared = 0;
  let i = 0;
  let j = from;
  while (i < a.length && j < to) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      shared++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return shared;
}
