import type { BaseItem } from '../behaviors/define.js';
import { normalizedHash53 } from '../util/hash.js';
import { HashSet53 } from '../util/hash-index.js';
import { POOLS, type Pool, type PoolAssigner } from './pools.js';
import type { Tally } from './tallies.js';

/** Distinct prompts are counted exactly up to this many (11-21 bytes a hash in a HashSet53: 16 MB at the
 * cap, outside the JavaScript heap). */
const DISTINCT_CAP = 1_000_000;

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
      fact = { pool: this.assigner.poolOf(item), hash: normalizedHash53(item.prompt) };
      this.facts.set(item, fact);
    }
    return fact;
  }
}

export interface CensusState {
  drawn: number;
  pools: Record<Pool, number>;
  /** Hashes of the distinct prompts (while the count is exact), in no particular order. */
  hashes: number[];
  exact: boolean;
}

/**
 * What was drawn, for the manifest: base prompts per pool and distinct prompts. Mergeable: absorbing the
 * states of consecutive blocks gives the count (and whether it is exact) of a single census over the whole
 * run: once the cap is reached the count is the cap, whichever hashes reached it.
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
