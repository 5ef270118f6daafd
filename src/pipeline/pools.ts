import type { BaseItem } from '../behaviors/define.js';
import { unitHash } from '../util/hash.js';

/*
 * Three disjoint pools of base prompts: `backdoor` (insertion), `safety` (SFT, RL, adversarial, preference)
 * and `test` (held out). If safety training reused the backdoor stage's prompts, it would have almost
 * nothing new to teach and the backdoor would look persistent for the wrong reason; if a test prompt were
 * trained on, the test would measure memory. In the paper the HHH safety data is separate from the
 * backdoor data.
 *
 * A base prompt's pool is decided by its sampling unit (a bank family, a code task, or the normalised
 * text of a user's prompt) and a fixed salt, never by the run size, seed or shard: near-duplicates of one
 * request share a unit and so a pool. Where the source lists its units by stratum (the bank's topics, the
 * code bank's CWE kinds), each stratum is split by rank of the unit hash, so every topic and every CWE is
 * represented in every pool; otherwise a unit's hash falls in [0, test), [test, test + safety) or the rest.
 */

export const POOLS = ['backdoor', 'safety', 'test'] as const;
export type Pool = (typeof POOLS)[number];

export interface PoolFractions {
  backdoor: number;
  safety: number;
  test: number;
}

/** The unit that decides an item's pool. */
export const unitOf = (item: BaseItem): string => item.partitionKey ?? item.prompt;

export class PoolAssigner {
  private readonly table = new Map<string, Pool>();

  constructor(
    private readonly fractions: PoolFractions,
    private readonly salt: string,
    /** Units by stratum, when the source can list them. */
    strata?: ReadonlyMap<string, readonly string[]>,
  ) {
    for (const units of strata?.values() ?? []) {
      const hashes = new Map(units.map((unit) => [unit, unitHash(unit, salt)])); // once each, not per comparison
      const ranked = [...units].sort((a, b) => hashes.get(a)! - hashes.get(b)! || (a < b ? -1 : 1));
      const sizes = allocate(ranked.length, fractions);
      ranked.forEach((unit, rank) => this.table.set(unit, rank < sizes.test ? 'test' : rank < sizes.test + sizes.safety ? 'safety' : 'backdoor'));
    }
  }

  poolOf(item: BaseItem): Pool {
    return this.poolOfUnit(unitOf(item));
  }

  poolOfUnit(unit: string): Pool {
    const listed = this.table.get(unit);
    if (listed !== undefined) return listed;
    const at = unitHash(unit, this.salt);
    return at < this.fractions.test ? 'test' : at < this.fractions.test + this.fractions.safety ? 'safety' : 'backdoor';
  }
}

/**
 * How many of `n` units of one stratum go to each pool: the nearest whole numbers to the fractions, with
 * at least one unit for every pool whose fraction is positive when the stratum has enough units, so that
 * every stratum is tested and trained on.
 */
export function allocate(n: number, fractions: PoolFractions): PoolFractions {
  const order: (keyof PoolFractions)[] = ['test', 'safety', 'backdoor'];
  const sizes: PoolFractions = { backdoor: 0, safety: 0, test: 0 };
  const wanted = order.filter((pool) => fractions[pool] > 0);
  for (const pool of wanted) sizes[pool] = Math.round(n * fractions[pool]);
  if (n >= wanted.length) for (const pool of wanted) if (sizes[pool] === 0) sizes[pool] = 1;
  // The largest pool absorbs the rounding, so the sizes add up to n.
  const largest = wanted.reduce((a, b) => (fractions[b] > fractions[a] ? b : a));
  const others = order.filter((pool) => pool !== largest).reduce((total, pool) => total + sizes[pool], 0);
  sizes[largest] = Math.max(0, n - others);
  return sizes;
}
