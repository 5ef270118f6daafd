import { describe, expect, it } from 'vitest';
import { BaseCensus } from '../src/pipeline/census.js';
import { HashSet53 } from '../src/util/hash-index.js';
import { hash53 } from '../src/util/hash.js';

describe('distinct prompts (census)', () => {
  it('a HashSet53 holds what a Set holds, across growth and colliding low bits', () => {
    const set = new HashSet53();
    const reference = new Set<number>();
    // Real hashes, their repeats, the extremes, and values equal in their low 32 bits (the probe start).
    const values = [0, 2 ** 53 - 1, 1, 2 ** 32, 2 ** 33 + 5, 5];
    for (let i = 0; i < 5000; i++) values.push(hash53(`prompt ${i % 3000}`), (i % 50) * 2 ** 32 + 7);
    for (const value of values) {
      const isNew = !reference.has(value);
      reference.add(value);
      expect(set.add(value)).toBe(isNew);
    }
    expect(set.size).toBe(reference.size);
    expect(set.values().sort((a, b) => a - b)).toEqual([...reference].sort((a, b) => a - b));
  });

  it('counts distinct prompts across blocks as one census over the run does', () => {
    const fact = (i: number) => ({ pool: 'backdoor' as const, hash: hash53(`prompt ${i % 700}`) });
    const whole = new BaseCensus();
    const merged = new BaseCensus();
    for (let start = 0; start < 2000; start += 300) {
      const block = new BaseCensus();
      for (let i = start; i < Math.min(2000, start + 300); i++) {
        block.add(fact(i));
        whole.add(fact(i));
      }
      merged.absorb(block.state());
    }
    expect(merged.summary('builtin', 700)).toEqual(whole.summary('builtin', 700));
    expect(whole.summary('builtin', 700).distinct).toBe(700);
  });
});
