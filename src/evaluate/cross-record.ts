import { ContainmentIndex } from './containment.js';
import { contrast, shorten, type InvariantName, type Tally } from './invariants.js';
import { NearDuplicateIndex } from './near-duplicates.js';
import { shingleHashes } from './shingles.js';

/*
 * The cross-record invariants, decided once every record has been seen: each distinct training base prompt
 * against the test prompts (equal, a near-duplicate, or containing one: leakage) and against the other
 * pools' prompts (in two pools; a backdoor prompt that is a near-duplicate of a safety prompt).
 *
 * Memory is bounded whatever the run's size. The stored sides (the test prompts, the safety prompts) are
 * indexed a batch at a time, each batch about `batchBytes` of index, and the training prompts are streamed
 * past each batch (from disk when the store has spilled). A training prompt's best match so far is kept
 * only when it has one (a violation), and every verdict is reported on the last pass, in slot order: the
 * same verdict, in the same order, as one index over everything gives. Which test prompt is named for a
 * training prompt that contains several may differ (the first batch's).
 */

/** The distinct training base prompts, by slot (first sight), with their record counts and pools. */
export interface TrainingSide {
  readonly size: number;
  entries(): Iterable<[slot: number, text: string, id: string]>;
  text(slot: number): string;
  /** Training records holding the slot's prompt. */
  count(slot: number): number;
  poolOf(slot: number): string | null;
  poolCount(slot: number): number;
  /** The slot's first record with a pool. */
  poolId(slot: number): string;
  /** Records of a slot's prompt in a second pool: [slot, pool, count, first id]. */
  readonly conflicts: readonly (readonly [slot: number, pool: string, count: number, id: string])[];
  /** Whether any slot's first pool is `pool`. */
  hasPool(pool: string): boolean;
}

/** The distinct normalised test base prompts, by slot, with the first record id of each. */
export interface TestSide {
  readonly size: number;
  entries(): Iterable<[slot: number, text: string, id: string]>;
  text(slot: number): string;
  id(slot: number): string;
}

export interface CrossRecordOptions {
  similarity: number;
  /** Whether the backdoor and safety stages share their prompts by design (pools are then not checked). */
  sharedPools: boolean;
  /** About how much memory one batch's index may take (default BATCH_BYTES). */
  batchBytes?: number;
}

/** 16 MB: a 100,000-prompt run makes two passes over its training prompts (the test prompts fit one batch,
 * the safety prompts two; ~0.3 s a pass after the first). Its check's peak RSS stays below production's. */
export const BATCH_BYTES = 16 << 20;

/** What an index costs per stored shingle (NearDuplicateIndex, built) and per character of text kept (the
 * leakage search's texts and containment index; the pool search keeps none, and counting them made a
 * 100,000-prompt run take three passes where two fit): estimates for sizing batches, not limits. */
const BYTES_PER_SHINGLE = 30;
const BYTES_PER_CHAR = 4;
/** An entry's tuple, id and shingle array, whatever its length. */
const BYTES_PER_ENTRY = 160;

export function checkAcrossRecords(
  training: TrainingSide,
  test: TestSide,
  tally: Record<InvariantName, Tally>,
  options: CrossRecordOptions,
): void {
  const batchBytes = options.batchBytes ?? BATCH_BYTES;
  const leakage = test.size > 0 ? new LeakageSearch(test, tally, options.similarity, batchBytes) : undefined;
  const pools = options.sharedPools ? undefined : PoolSearch.of(training, tally, options.similarity, batchBytes);
  if (leakage === undefined && pools === undefined) return;
  for (;;) {
    leakage?.nextBatch();
    pools?.nextBatch();
    const last = (leakage?.exhausted ?? true) && (pools?.exhausted ?? true);
    for (const [slot, text, id] of training.entries()) {
      // Both searches may need the text's shingles: worked out once per pass.
      let shingles: number[] | undefined;
      const shinglesOf = () => (shingles ??= shingleHashes(text));
      leakage?.visit(slot, text, id, training.count(slot), shinglesOf, last);
      pools?.visit(slot, text, shinglesOf, last);
    }
    if (last) return;
  }
}

/**
 * Reads a stored side a batch at a time: entries until the batch's estimated bytes reach the budget (at
 * least one entry). `exhausted` once the batch just read is the last.
 */
class BatchReader {
  private readonly entries: Iterator<[slot: number, text: string, id: string]>;
  private peeked: { entry: [number, string, string]; shingles: number[] } | undefined;
  exhausted = false;

  constructor(
    entries: Iterable<[slot: number, text: string, id: string]>,
    private readonly budget: number,
    /** Whether the batch keeps each entry's text (the leakage search compares and reports texts; the pool
     * search needs only its slots and shingles, and its texts are dropped as they are read). */
    private readonly keepTexts: boolean,
    private readonly wanted: (slot: number) => boolean = () => true,
  ) {
    this.entries = entries[Symbol.iterator]();
  }

  /** The next batch's entries, their shingles indexed by their place in the batch; undefined once exhausted. */
  nextIndexed(similarity: number): { entries: [slot: number, text: string, id: string][]; near: NearDuplicateIndex } | undefined {
    if (this.exhausted) return undefined;
    const batch = this.next();
    if (batch.length === 0) return undefined;
    const near = new NearDuplicateIndex(similarity);
    batch.forEach(({ shingles }, at) => near.addShingles(String(at), shingles));
    return { entries: batch.map(({ entry }) => entry), near };
  }

  private next(): { entry: [slot: number, text: string, id: string]; shingles: number[] }[] {
    const batch: { entry: [number, string, string]; shingles: number[] }[] = [];
    let bytes = 0;
    for (;;) {
      const item = this.peeked ?? this.read();
      this.peeked = undefined;
      if (item === undefined) {
        this.exhausted = true;
        return batch;
      }
      const weight = item.shingles.length * BYTES_PER_SHINGLE + item.entry[1].length * BYTES_PER_CHAR + BYTES_PER_ENTRY;
      if (batch.length > 0 && bytes + weight > this.budget) {
        this.peeked = item;
        return batch;
      }
      batch.push(item);
      bytes += weight;
    }
  }

  private read(): { entry: [number, string, string]; shingles: number[] } | undefined {
    for (let next = this.entries.next(); !next.done; next = this.entries.next()) {
      const entry = next.value;
      if (!this.wanted(entry[0])) continue;
      const shingles = shingleHashes(entry[1]);
      return { entry: this.keepTexts ? entry : [entry[0], '', entry[2]], shingles };
    }
    return undefined;
  }
}

const EXACT = 1;
const NEAR = 2;
const CONTAINED = 3;
/** A training prompt's leak found so far: its kind, the test slot, the similarity (NEAR). */
type Leak = { kind: typeof EXACT | typeof NEAR | typeof CONTAINED; test: number; similarity: number };

/** Each distinct training base prompt against the test prompts. Precedence as one index over all test
 * prompts: equal to any, else the most similar near-duplicate (the earliest of equals), else containing one. */
class LeakageSearch {
  private readonly reader: BatchReader;
  private batch: { first: number; texts: string[]; ids: string[]; exact: Map<string, number>; near: NearDuplicateIndex; contained: ContainmentIndex } | undefined;
  /** Leaks found in earlier batches, by training slot (violations only: empty in a valid run). */
  private readonly found = new Map<number, Leak>();

  constructor(
    private readonly test: TestSide,
    private readonly tally: Record<InvariantName, Tally>,
    private readonly similarity: number,
    budget: number,
  ) {
    this.reader = new BatchReader(test.entries(), budget, true);
  }

  get exhausted(): boolean {
    return this.reader.exhausted;
  }

  nextBatch(): void {
    const batch = this.reader.nextIndexed(this.similarity);
    if (batch === undefined) {
      this.batch = undefined;
      return;
    }
    const texts = batch.entries.map(([, text]) => text);
    const exact = new Map(texts.map((text, at) => [text, at]));
    // The test side is read whole, in slot order: a batch's slots run on from its first.
    this.batch = { first: batch.entries[0]![0], texts, ids: batch.entries.map(([, , id]) => id), exact, near: batch.near, contained: new ContainmentIndex(texts) };
  }

  visit(slot: number, text: string, id: string, count: number, shingles: () => number[], last: boolean): void {
    const earlier = this.found.get(slot);
    const leak = this.search(text, shingles, earlier);
    if (!last) {
      if (leak !== undefined) this.found.set(slot, leak);
      return;
    }
    if (leak === undefined) return;
    // Every record of the prompt counts; the first one is named.
    const held = count > 1 ? ` (${count} training records hold it)` : '';
    const testText = this.textOf(leak.test);
    const testId = this.idOf(leak.test);
    if (leak.kind === EXACT) this.tally['no-test-prompt-in-training'].add(id, `base prompt is test record ${testId}'s: "${shorten(text)}"${held}`, count);
    else if (leak.kind === NEAR) {
      this.tally['no-near-duplicate-in-training'].add(
        id,
        `base prompt is a near-duplicate of test record ${testId}'s (similarity ${leak.similarity.toFixed(2)}): ${contrast(text, testText)}${held}`,
        count,
      );
    } else this.tally['no-test-prompt-in-training'].add(id, `base prompt contains test record ${testId}'s: "${shorten(testText)}"${held}`, count);
  }

  /** The best leak of `text` so far: `earlier`, or one in this batch that outranks it. */
  private search(text: string, shingles: () => number[], earlier: Leak | undefined): Leak | undefined {
    const batch = this.batch;
    if (batch === undefined || earlier?.kind === EXACT) return earlier;
    const exact = batch.exact.get(text);
    if (exact !== undefined) return { kind: EXACT, test: batch.first + exact, similarity: 1 };
    const match = batch.near.queryShingles(shingles());
    // Strictly more similar: of equals, the earlier test prompt stays (as one index would pick).
    if (match !== undefined && (earlier?.kind !== NEAR || match.similarity > earlier.similarity)) {
      return { kind: NEAR, test: batch.first + Number(match.key), similarity: match.similarity };
    }
    if (earlier !== undefined) return earlier;
    // A test prompt inside a longer training prompt is the same request with more around it.
    const inside = batch.contained.find(text);
    return inside === undefined ? undefined : { kind: CONTAINED, test: batch.first + batch.exact.get(inside)!, similarity: 0 };
  }

  private inBatch(slot: number): number {
    const batch = this.batch;
    return batch === undefined || slot < batch.first || slot >= batch.first + batch.texts.length ? -1 : slot - batch.first;
  }

  private textOf(slot: number): string {
    const at = this.inBatch(slot);
    return at < 0 ? this.test.text(slot) : this.batch!.texts[at]!;
  }

  private idOf(slot: number): string {
    const at = this.inBatch(slot);
    return at < 0 ? this.test.id(slot) : this.batch!.ids[at]!;
  }
}

/** Base prompts in two pools (reported at once), and backdoor-only prompts that are near-duplicates of a
 * safety prompt (the most similar, the earliest of equals; counted once each). */
class PoolSearch {
  private readonly reader: BatchReader;
  private batch: { slots: number[]; near: NearDuplicateIndex } | undefined;
  private readonly found = new Map<number, { safety: number; similarity: number }>();

  private constructor(
    private readonly training: TrainingSide,
    private readonly tally: Tally,
    private readonly similarity: number,
    private readonly conflicted: Set<number>,
    /** Slots whose prompt is also in the safety pool, though first in another. */
    safetyToo: Set<number>,
    budget: number,
  ) {
    this.reader = new BatchReader(training.entries(), budget, false, (slot) => training.poolOf(slot) === 'safety' || safetyToo.has(slot));
  }

  /** Reports the prompts in two pools; the near-duplicate search, or undefined when no prompt is a safety one. */
  static of(training: TrainingSide, tallies: Record<InvariantName, Tally>, similarity: number, budget: number): PoolSearch | undefined {
    const tally = tallies['pools-are-disjoint'];
    const bySlot = new Map<number, [string, number, string][]>();
    for (const [slot, pool, count, id] of training.conflicts) {
      const list = bySlot.get(slot) ?? [];
      list.push([pool, count, id]);
      bySlot.set(slot, list);
    }
    for (const [slot, others] of bySlot) {
      const members: [string, number, string][] = [[training.poolOf(slot)!, training.poolCount(slot), training.poolId(slot)], ...others];
      // The safety pool is a prompt's home when it is one of them (files are read safety-first).
      const home = members.find(([pool]) => pool === 'safety') ?? members[0]!;
      const text = training.text(slot);
      for (const [pool, count, id] of members) {
        if (pool !== home[0]) tally.add(id, `base prompt is in the ${pool} pool and in the ${home[0]} pool (${home[2]}): "${shorten(text)}"`, count);
      }
    }
    const safetyToo = new Set(training.conflicts.filter(([, pool]) => pool === 'safety').map(([slot]) => slot));
    const anySafety = training.hasPool('safety') || safetyToo.size > 0;
    return anySafety ? new PoolSearch(training, tally, similarity, new Set(bySlot.keys()), safetyToo, budget) : undefined;
  }

  get exhausted(): boolean {
    return this.reader.exhausted;
  }

  nextBatch(): void {
    const batch = this.reader.nextIndexed(this.similarity);
    this.batch = batch && { slots: batch.entries.map(([slot]) => slot), near: batch.near };
  }

  visit(slot: number, text: string, shingles: () => number[], last: boolean): void {
    if (this.training.poolOf(slot) !== 'backdoor' || this.conflicted.has(slot)) return;
    let best = this.found.get(slot);
    const match = this.batch?.near.queryShingles(shingles());
    if (match !== undefined && (best === undefined || match.similarity > best.similarity)) {
      best = { safety: this.batch!.slots[Number(match.key)]!, similarity: match.similarity };
      if (!last) this.found.set(slot, best);
    }
    if (!last || best === undefined) return;
    this.tally.add(
      this.training.poolId(slot),
      `backdoor base prompt is a near-duplicate of safety record ${this.training.poolId(best.safety)}'s (similarity ${best.similarity.toFixed(2)}): ${contrast(text, this.training.text(best.safety), 'safety')}`,
    );
  }
}
