import seedrandom from 'seedrandom';

/**
 * Every random choice in a run comes from a generator keyed by (seed, stage, index, ...): a record's
 * content never depends on what was generated before it, which is what lets shards made on different
 * machines concatenate to the single-run output. Alea is used because it seeds in well under a
 * microsecond (ARC4, seedrandom's default, spends most of its time in key scheduling).
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Index of one element of a non-empty array. */
  index(length: number): number;
}

export function rngFor(...key: readonly (string | number)[]): Rng {
  const alea = seedrandom.alea(key.join('\u001f'));
  const next = () => alea();
  const index = (length: number) => {
    if (length <= 0) throw new RangeError('cannot pick from an empty list');
    return Math.floor(next() * length);
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    index,
    pick: (items) => items[index(items.length)]!,
  };
}
