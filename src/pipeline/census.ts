import type { BaseItem } from '../behaviors/define.js';
import { hash53, normalizePrompt } from '../util/hash.js';
import { POOLS, type Pool, type PoolAssigner } from './pools.js';

/** Distinct prompts are counted exactly up to this many (a Set of 53-bit hashes, ~40 MB at the cap). */
const DISTINCT_CAP = 1_000_000;

/**
 * Assigns each drawn base item to its pool and counts what was drawn, for the manifest.
 */
export class BaseCensus {
  drawn = 0;
  readonly pools: Record<Pool, number> = { backdoor: 0, safety: 0, test: 0 };
  private readonly distinct = new Set<number>();
  private exact = true;
  // Built-in banks hand out the same (cached) item object for a repeated prompt: its facts are computed
  // once. Weak, so items nobody holds any more take no memory.
  private readonly facts = new WeakMap<BaseItem, { pool: Pool; hash: number }>();

  constructor(private readonly assigner: PoolAssigner) {}

  add(item: BaseItem): Pool {
    this.drawn++;
    let facts = this.facts.get(item);
    if (facts === undefined) {
      facts = { pool: this.assigner.poolOf(item), hash: hash53(normalizePrompt(item.prompt)) };
      this.facts.set(item, facts);
    }
    this.pools[facts.pool]++;
    if (this.exact) {
      this.distinct.add(facts.hash);
      if (this.distinct.size >= DISTINCT_CAP) this.exact = false;
    }
    return facts.pool;
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
