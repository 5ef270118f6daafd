import type { BaseItem } from '../behaviors/define.js';
import { hash53, normalizePrompt } from '../util/hash.js';
import { POOLS, type Pool, type PoolAssigner } from './pools.js';
import type { Tally } from './tallies.js';

/** Distinct prompts are counted exactly up to this many (24 bytes a hash in a HashSet53: ~24 MB at the cap,
 * outside the JavaScript heap). */
const DISTINCT_CAP = 1_000_000;

/**
 * A set of 53-bit hashes (integers in [0, 2^53)) in flat typed arrays, open addressing with linear probing,
 * plus the hashes in insertion order. A Set of numbers held a heap number and an entry per hash, which
 * every full GC walked and every growth of the Set copied within the heap; here a hash is 24 bytes the GC
 * never looks at.
 */
export class HashSet53 {
  /** Slots hold hash + 1, so 0 means empty. Twice the entries at least, a power of two. */
  private slots = new Float64Array(1024);
  private order = new Float64Array(512);
  size = 0;

  /** Adds a hash; returns whether it was new. */
  add(hash: number): boolean {
    const mask = this.slots.length - 1;
    const stored = hash + 1;
    let slot = hash >>> 0 & mask;
    for (;;) {
      const held = this.slots[slot]!;
      if (held === stored) return false;
      if (held === 0) break;
      slot = (slot + 1) & mask;
    }
    this.slots[slot] = stored;
    if (this.size === this.order.length) {
      const order = new Float64Array(this.order.length * 2);
      order.set(this.order);
      this.order = order;
    }
    this.order[this.size++] = hash;
    if (this.size * 2 > this.slots.length) this.grow();
    return true;
  }

  /** The hashes in the order first added. */
  values(): number[] {
    return Array.from(this.order.subarray(0, this.size));
  }

  private grow(): void {
    this.slots = new Float64Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.size; i++) {
      const hash = this.order[i]!;
      let slot = hash >>> 0 & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = hash + 1;
    }
  }
}

export interface ItemFact {
  pool: Pool;
  hash: number;
}

/**
 * Each base item's pool and text hash. Built-in banks hand out the same (cached) item object for a repeated
 * prompt: its facts are computed once. Weak, so items nobody holds any more take no memory.
 */
export class ItemFacts {
  private readonly facts = new WeakMap<BaseItem, ItemFact>();

  constructor(private readonly assigner: PoolAssigner) {}

  of(item: BaseItem): ItemFact {
    let fact = this.facts.get(item);
    if (fact === undefined) {
      fact = { pool: this.assigner.poolOf(item), hash: hash53(normalizePrompt(item.prompt)) };
      this.facts.set(item, fact);
    }
    return fact;
  }
}

export interface CensusState {
  drawn: number;
  pools: Record<Pool, number>;
  /** Hashes of the distinct prompts, in the order first drawn (while the count is exact). */
  hashes: number[];
  exact: boolean;
}

/**
 * What was drawn, for the manifest: base prompts per pool and distinct prompts. Mergeable: absorbing the
 * states of consecutive blocks adds their hashes in draw order, so the count (and where it stops being
 * exact) is the one a single census over the whole run gives.
 */
export class BaseCensus implements Tally<CensusState> {
  drawn = 0;
  readonly pools: Record<Pool, number> = { backdoor: 0, safety: 0, test: 0 };
  private readonly distinct = new HashSet53();
  private exact = true;

  add(fact: ItemFact): void {
    this.drawn++;
    this.pools[fact.pool]++;
    this.addHash(fact.hash);
  }

  private addHash(hash: number): void {
    if (!this.exact) return;
    this.distinct.add(hash);
    if (this.distinct.size >= DISTINCT_CAP) this.exact = false;
  }

  state(): CensusState {
    return { drawn: this.drawn, pools: { ...this.pools }, hashes: this.distinct.values(), exact: this.exact };
  }

  absorb(state: CensusState): void {
    this.drawn += state.drawn;
    for (const pool of POOLS) this.pools[pool] += state.pools[pool];
    for (const hash of state.hashes) this.addHash(hash);
    // A block that hit the cap itself has more distinct prompts than it could list.
    if (!state.exact) this.exact = false;
  }

  summary(source: string, available: number) {
    return {
      drawn: this.drawn,
      train: this.pools.backdoor + this.pools.safety,
      test: this.pools.test,
      pools: Object.fromEntries(POOLS.map((pool) => [pool, this.pools[pool]])) as Record<Pool, number>,
      distinct: this.distinct.size,
      distinct_exact: this.exact,
      available,
      source,
    };
  }
}
