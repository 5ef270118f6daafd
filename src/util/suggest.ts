/**
 * "Did you mean" for anything a user types from a known set (commands, flags, presets, formats, stages,
 * modes, ...): the closest known name by edit distance, when it is close enough to be a plausible typo.
 */

/** Levenshtein distance with adjacent transpositions counted as one edit ("fomrat" is one edit from "format"). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `value`, or undefined when none is within a third of its length (at least 1,
 * at most 3 edits): a suggestion far from what was typed misleads more than it helps. */
export function closest(value: string, known: readonly string[]): string | undefined {
  const typed = value.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(typed, name.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** `did you mean "x"?` (with a leading "; " or "" as the caller needs), or "" when nothing is close. */
export function didYouMean(value: string, known: readonly string[]): string {
  const suggestion = closest(value, known);
  return suggestion === undefined ? '' : `did you mean "${suggestion}"?`;
}

/** "1 file", "2 files"; `plural` for the irregular ones ("1 entry", "2 entries"). */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
