import type { ManifestFile } from '../schemas/manifest.js';

/** The Hugging Face Hub's size buckets (`size_categories`), smallest first, with the first n each excludes. */
const BUCKETS: readonly (readonly [label: string, below: number])[] = [
  ['n<1K', 1e3],
  ['1K<n<10K', 1e4],
  ['10K<n<100K', 1e5],
  ['100K<n<1M', 1e6],
  ['1M<n<10M', 1e7],
  ['10M<n<100M', 1e8],
  ['100M<n<1B', 1e9],
  ['1B<n<10B', 1e10],
  ['10B<n<100B', 1e11],
  ['100B<n<1T', 1e12],
];

export const SIZE_CATEGORIES: readonly string[] = [...BUCKETS.map(([label]) => label), 'n>1T'];

/** The Hub bucket for a data set of `records` examples. */
export function sizeCategory(records: number): string {
  for (const [label, below] of BUCKETS) if (records < below) return label;
  return 'n>1T';
}

/**
 * How many examples the folder holds: each (stage, variant, mode) file group once. The formats of a group
 * are the same records written for different trainers, so counting every format would inflate n ~8 times.
 */
export function exampleCount(files: readonly Pick<ManifestFile, 'stage' | 'variant' | 'mode' | 'records'>[]): number {
  const counted = new Map<string, number>();
  for (const file of files) {
    const key = JSON.stringify([file.stage, file.variant, file.mode]);
    if (!counted.has(key)) counted.set(key, file.records);
  }
  let total = 0;
  for (const records of counted.values()) total += records;
  return total;
}
