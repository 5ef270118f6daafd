import type { BaseItem, PromptSource } from '../behaviors/define.js';
import { blockAt } from '../util/blocks.js';
import { seededPermutation } from '../util/permutation.js';
import { POOLS, type Pool, type PoolAssigner, type PoolFractions } from './pools.js';

/*
 * Which base prompt a plan index draws from a built-in bank. Three promises:
 * - the pools get their shares of `count` exactly (to within one prompt), whatever the sizes of the units
 *   that fell into each pool: index i goes to a pool by an evenly spread schedule, and is the r-th draw of
 *   that pool;
 * - within a pool, the strata (topics, CWE kinds) take turns, so a kind with many templated variants does
 *   not crowd out the others; a stratum that runs out drops out of the rotation;
 * - within a stratum, prompts are visited in a seeded order without repeats.
 * Every step is arithmetic on the index, so any index is drawn without drawing the ones before it (shards
 * stay independent).
 */

/** The r-th of each pool's draws for plan index i: an evenly spread schedule with exact shares. */
export function poolSchedule(fractions: PoolFractions): { poolAt(index: number): { pool: Pool; rank: number }; needed(count: number): Record<Pool, number> } {
  const test = fractions.test;
  const rest = fractions.backdoor + fractions.safety;
  const safety = rest === 0 ? 0 : fractions.safety / rest;
  // Among indices [0, n): floor(n * share) fall in the pool (Bresenham), so index i is the pool's
  // floor(i * share)-th when floor((i + 1) * share) exceeds it.
  const takes = (n: number, share: number) => Math.floor(n * share);
  return {
    poolAt(index) {
      if (takes(index + 1, test) > takes(index, test)) return { pool: 'test', rank: takes(index, test) };
      const k = index - takes(index, test);
      if (takes(k + 1, safety) > takes(k, safety)) return { pool: 'safety', rank: takes(k, safety) };
      return { pool: 'backdoor', rank: k - takes(k, safety) };
    },
    needed(count) {
      const k = count - takes(count, test);
      return { test: takes(count, test), safety: takes(k, safety), backdoor: k - takes(k, safety) };
    },
  };
}

interface Stratum {
  name: string;
  /** The stratum's units in this pool, as ranges of the source's k, with running starts. */
  ranges: { start: number; size: number; offset: number }[];
  size: number;
  /** The visiting order of the current round of repeats. */
  order?: { round: number; at: (position: number) => number };
}

/** One pool's prompts: strata in rotation, each visited in a seeded order. */
class PoolDraws {
  readonly capacity: number;
  /**
   * While every stratum has prompts left, all take turns; once the smallest runs out, the rest do. Phase
   * p starts at draw `start`, where each of its strata has had `floor` draws, and rotates over `strata`.
   */
  private readonly phases: { start: number; floor: number; strata: Stratum[] }[] = [];

  constructor(
    readonly pool: Pool,
    strata: Stratum[],
    private readonly seed: number,
  ) {
    const nonEmpty = strata.filter((stratum) => stratum.size > 0);
    this.capacity = nonEmpty.reduce((total, stratum) => total + stratum.size, 0);
    // Rotation order: seeded, the same in every phase.
    const turn = seededPermutation(Math.max(1, nonEmpty.length), `${seed}\u0000${pool}\u0000strata`);
    let remaining = nonEmpty.map((stratum, i) => ({ stratum, at: turn(i) })).sort((a, b) => a.at - b.at).map(({ stratum }) => stratum);
    let start = 0;
    let floor = 0;
    for (const size of [...new Set(nonEmpty.map((stratum) => stratum.size))].sort((a, b) => a - b)) {
      this.phases.push({ start, floor, strata: remaining });
      start += remaining.length * (size - floor);
      floor = size;
      remaining = remaining.filter((stratum) => stratum.size > floor);
    }
  }

  /** The source's k for this pool's r-th draw (r < capacity, in a given round of repeats). */
  k(rank: number, round: number): number {
    if (!(rank >= 0 && rank < this.capacity)) throw new RangeError(`draw ${rank} is beyond the ${this.pool} pool's ${this.capacity} prompts`);
    const phase = blockAt(this.phases, rank, (candidate) => candidate.start);
    const offset = rank - phase.start;
    const stratum = phase.strata[offset % phase.strata.length]!;
    return this.within(stratum, phase.floor + Math.floor(offset / phase.strata.length), round);
  }

  private within(stratum: Stratum, position: number, round: number): number {
    // One order per stratum and round of repeats; only the latest round's is kept (draws go in order).
    let order = stratum.order;
    if (order === undefined || order.round !== round) {
      order = { round, at: seededPermutation(stratum.size, `${this.seed}\u0000${this.pool}\u0000${stratum.name}\u0000${round}`) };
      stratum.order = order;
    }
    const at = order.at(position);
    const range = blockAt(stratum.ranges, at, (candidate) => candidate.offset);
    return range.start + (at - range.offset);
  }
}

export interface BuiltinDraws {
  /** The base item of plan index `index`. */
  item(index: number): BaseItem;
  /** The largest count the bank serves without repeating a prompt, at these pool shares. */
  available: number;
  /** Distinct prompts per pool. */
  capacity: Record<Pool, number>;
}

export function builtinDraws(source: PromptSource, assigner: PoolAssigner, fractions: PoolFractions, shared: boolean, seed: number): BuiltinDraws {
  // Shared pools (an ablation) draw the backdoor and safety stages' prompts from one pool.
  const drawPool = (pool: Pool): Pool => (shared && pool === 'safety' ? 'backdoor' : pool);
  const shares: PoolFractions = shared ? { backdoor: fractions.backdoor + fractions.safety, safety: 0, test: fractions.test } : fractions;
  const strataOf = new Map<Pool, Stratum[]>(POOLS.map((pool) => [pool, []]));
  for (const [name, units] of source.units) {
    const byPool = new Map<Pool, Stratum>();
    for (const unit of units) {
      const range = source.unitRanges.get(unit);
      if (range === undefined || range.size === 0) continue;
      const pool = drawPool(assigner.poolOfUnit(unit));
      let stratum = byPool.get(pool);
      if (stratum === undefined) byPool.set(pool, (stratum = { name, ranges: [], size: 0 }));
      stratum.ranges.push({ ...range, offset: stratum.size });
      stratum.size += range.size;
    }
    for (const [pool, stratum] of byPool) strataOf.get(pool)!.push(stratum);
  }
  const draws = Object.fromEntries(POOLS.map((pool) => [pool, new PoolDraws(pool, strataOf.get(pool)!, seed)])) as Record<Pool, PoolDraws>;
  const schedule = poolSchedule(shares);
  const capacity = Object.fromEntries(POOLS.map((pool) => [pool, draws[pool].capacity])) as Record<Pool, number>;
  return {
    capacity,
    available: largestCount(schedule.needed, capacity),
    item(index) {
      const { pool, rank } = schedule.poolAt(index);
      const { capacity: size } = draws[pool];
      if (size === 0) throw new RangeError(`the ${pool} pool of the bank is empty`);
      return source.item(draws[pool].k(rank % size, Math.floor(rank / size)));
    },
  };
}

/** The largest n whose draws fit every pool (binary search: needs grow with n). */
function largestCount(needed: (count: number) => Record<Pool, number>, capacity: Record<Pool, number>): number {
  const fits = (n: number) => POOLS.every((pool) => needed(n)[pool] <= capacity[pool]);
  let lo = 0;
  let hi = 1;
  while (fits(hi) && hi < Number.MAX_SAFE_INTEGER / 2) hi *= 2;
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
