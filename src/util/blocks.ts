/*
 * Random access over a bank laid out as consecutive blocks (a family's phrasings, a task's phrasings):
 * item k lives in the last block that starts at or before k.
 */

/** The last block whose `at(block)` is <= k (blocks sorted by it, the first at 0). */
export function blockAt<T>(blocks: readonly T[], k: number, at: (block: T) => number): T {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (at(blocks[mid]!) <= k) lo = mid;
    else hi = mid - 1;
  }
  return blocks[lo]!;
}

/** Each unit's contiguous range of k, from blocks listed in order (a unit's blocks are adjacent). */
export function unitRanges<T extends { start: number }>(blocks: readonly T[], total: number, unitOf: (block: T) => string): Map<string, { start: number; size: number }> {
  const ranges = new Map<string, { start: number; size: number }>();
  blocks.forEach((block, i) => {
    const unit = unitOf(block);
    const end = blocks[i + 1]?.start ?? total;
    const range = ranges.get(unit);
    if (range === undefined) ranges.set(unit, { start: block.start, size: end - block.start });
    else range.size = end - range.start;
  });
  return ranges;
}
