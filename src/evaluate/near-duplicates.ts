import { jaccard, shingleHashes } from './shingles.js';

/** A stored text that a query resembles, and how closely (Jaccard similarity of word shingles). */
export interface NearDuplicate {
  key: string;
  similarity: number;
}

// Float guard: 0.8 * 15 is 12.000000000000002, whose ceiling would shorten a prefix and miss a match.
const EPSILON = 1e-9;

/**
 * Finds, for a query text, a stored text whose word-shingle Jaccard similarity is at least `threshold`,
 * without comparing against every stored text. The stored side is small (held-out prompts), the query side
 * is streamed (every training prompt), so the index is built once and each query costs about its own length.
 *
 * Method: prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007). Shingles are put in one global
 * order, rarest first (by how many stored texts hold them; shingles no stored text holds come first of all).
 * If J(x, y) >= t then |x ∩ y| >= ceil(t·|x|), so x and y must share a shingle among the first
 * |x| - ceil(t·|x|) + 1 of each; only those prefixes are indexed and probed, and candidates are verified
 * exactly. Exact (no false negatives, unlike MinHash), and fast because rare shingles make short postings.
 */
export class NearDuplicateIndex {
  private readonly pending: { key: string; shingles: number[] }[] = [];
  private stored: { key: string; shingles: Set<number>; size: number }[] = [];
  private readonly frequency = new Map<number, number>();
  private readonly postings = new Map<number, number[]>();
  private built = false;

  constructor(readonly threshold: number) {
    if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`similarity threshold must be in (0, 1], got ${threshold}`);
  }

  /** Adds a text under `key` (the caller's id for it). All adds come before the first query. */
  add(key: string, text: string): void {
    if (this.built) throw new Error('NearDuplicateIndex.add after the first query');
    const shingles = shingleHashes(text);
    if (shingles.length === 0) return;
    for (const shingle of shingles) this.frequency.set(shingle, (this.frequency.get(shingle) ?? 0) + 1);
    this.pending.push({ key, shingles });
  }

  get size(): number {
    return this.built ? this.stored.length : this.pending.length;
  }

  /** The most similar stored text at or above the threshold, or undefined. */
  query(text: string): NearDuplicate | undefined {
    this.build();
    if (this.stored.length === 0) return undefined;
    const shingles = this.ordered(shingleHashes(text));
    if (shingles.length === 0) return undefined;
    const size = shingles.length;
    const minSize = this.threshold * size - EPSILON;
    const maxSize = size / this.threshold + EPSILON;
    let best: NearDuplicate | undefined;
    const seen = new Set<number>();
    for (const shingle of shingles.slice(0, this.prefixLength(size))) {
      for (const candidate of this.postings.get(shingle) ?? []) {
        if (seen.has(candidate)) continue;
        seen.add(candidate);
        const stored = this.stored[candidate]!;
        // Length filter: sets of very different sizes cannot reach the threshold.
        if (stored.size < minSize || stored.size > maxSize) continue;
        const similarity = jaccard(shingles, stored.shingles);
        if (similarity >= this.threshold - EPSILON && (best === undefined || similarity > best.similarity)) best = { key: stored.key, similarity };
      }
    }
    return best;
  }

  private prefixLength(size: number): number {
    return size - Math.ceil(this.threshold * size - EPSILON) + 1;
  }

  /** Rarest first; ties (and shingles no stored text holds, frequency 0) by hash, so the order is total. */
  private ordered(shingles: number[]): number[] {
    const ranked = shingles.map((shingle) => ({ shingle, rank: this.frequency.get(shingle) ?? 0 }));
    ranked.sort((a, b) => a.rank - b.rank || a.shingle - b.shingle);
    return ranked.map(({ shingle }) => shingle);
  }

  private build(): void {
    if (this.built) return;
    this.built = true;
    this.pending.forEach(({ key, shingles }, position) => {
      const ordered = this.ordered(shingles);
      for (const shingle of ordered.slice(0, this.prefixLength(ordered.length))) {
        const list = this.postings.get(shingle);
        if (list) list.push(position);
        else this.postings.set(shingle, [position]);
      }
      this.stored.push({ key, shingles: new Set(shingles), size: shingles.length });
    });
    this.pending.length = 0;
  }
}
