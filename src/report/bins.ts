import type { SeriesCounter } from './aggregate.js';

/** One histogram bar: lengths in [from, to), or [from, ∞) for the last bin when `overflow`. */
export interface Bin {
  from: number;
  to: number;
  overflow: boolean;
  values: number[];
}

/**
 * Bins counts-per-length into about `target` bars of a round width. The range ends at the 99th percentile
 * so that a few very long texts do not squeeze everything else into one bar; what lies beyond goes into
 * a last "≥" bar.
 */
export function binLengths(counter: SeriesCounter, target = 30): Bin[] {
  const rows = [...counter.counts].map(([key, values]) => ({ length: Number(key), values })).sort((a, b) => a.length - b.length);
  const first = rows[0];
  if (first === undefined) return [];
  const total = rows.reduce((sum, row) => sum + sumOf(row.values), 0);
  let seen = 0;
  let high = first.length;
  for (const row of rows) {
    seen += sumOf(row.values);
    high = row.length;
    if (seen >= total * 0.99) break;
  }
  const width = niceStep(Math.max(1, (high - first.length) / target));
  const start = Math.floor(first.length / width) * width;
  const count = Math.floor((high - start) / width) + 1;
  const last = rows[rows.length - 1]!.length;
  const bins: Bin[] = Array.from({ length: count }, (_, i) => ({
    from: start + i * width,
    to: start + (i + 1) * width,
    overflow: false,
    values: new Array<number>(counter.seriesCount).fill(0),
  }));
  if (last >= start + count * width) bins[count - 1]!.overflow = true;
  for (const row of rows) {
    const bin = bins[Math.min(count - 1, Math.floor((row.length - start) / width))]!;
    row.values.forEach((value, series) => (bin.values[series] = (bin.values[series] ?? 0) + value));
  }
  return bins;
}

/** The smallest of 1, 2, 5 × 10^k that is at least `raw`: bin edges people can read. */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= raw) return factor * power;
  return 10 * power;
}

const sumOf = (values: number[]) => values.reduce((sum, value) => sum + value, 0);
