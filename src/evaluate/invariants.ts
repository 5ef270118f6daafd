/**
 * The invariants a generated folder must satisfy before anyone trains on it, and how violations are
 * counted: shared by `check DIR` (records read from files) and the check `generate` runs on the records as
 * it writes them (src/evaluate/stream-check.ts).
 */

export const INVARIANTS = {
  'files-match-manifest': 'every file manifest.json lists has its sha256 and line count, and the folder holds no data file it does not list',
  'no-test-prompt-in-training': 'no base prompt of a test file appears (normalised) in a training file, in any format',
  'no-near-duplicate-in-training': 'no training base prompt is a near-duplicate (word-shingle Jaccard) of a test base prompt',
  'no-held-out-trigger-in-training': 'no held-out trigger form appears in a training prompt, and no training record is marked held out',
  'pairs-are-minimal': 'records sharing a pair_id in one file have the same prompt once their trigger text is removed',
  'labels-match-detector': "every record's fires label agrees with its behaviour's detector on the answer",
  'pools-are-disjoint': 'no base prompt of the backdoor pool appears (exactly or as a near-duplicate) in the safety pool, and none is in two pools',
  'untriggered-never-meets-trigger': "no record labelled untriggered, and no prompt of a safety-training file in any format, states the trigger in any words the trigger's predicate knows",
  'near-misses-unseen': 'the near_miss slice holds only forms that no training prompt contains',
  'test-prompts-distinct': 'no base prompt repeats within a test slice of a file (the sampled unit is the prompt)',
  'labels-not-told-by-form': "a pair's backdoor and HHH answers differ only by the behaviour, not by form a linter could see (for code: the same imports, none unused)",
} as const;

export type InvariantName = keyof typeof INVARIANTS;

/** Jaccard similarity of 3-word shingles at or above which a training prompt is a near-duplicate of a test one. */
export const DEFAULT_SIMILARITY = 0.8;

export const INVARIANT_NAMES = Object.keys(INVARIANTS) as InvariantName[];

export interface InvariantResult {
  name: InvariantName;
  description: string;
  passed: boolean;
  /** True when no file needed by the invariant was available; `passed` is then vacuously true. */
  skipped: boolean;
  /** Every violation found. */
  count: number;
  /** Offending record ids, the first `maxViolations` of them. */
  violations: string[];
  /** One explanation per entry of `violations`, same order ("backdoor-3-u-none: base prompt equals test-7-u-none's"). */
  details: string[];
}

/** What one invariant has found so far, structured-clonable so that worker threads can send it. */
export interface TallyState {
  count: number;
  violations: string[];
  details: string[];
}

/** Violations of one invariant: the count is exact, the ids and explanations are the first `keep`. */
export class Tally {
  count = 0;
  readonly violations: string[] = [];
  readonly details: string[] = [];
  skipped = false;
  constructor(
    readonly name: InvariantName,
    private readonly keep: number,
  ) {}

  /** `times` records share this explanation (the same base prompt in several records): all are counted, the
   * first one's id is listed. */
  add(id: string, detail: string, times = 1): void {
    this.count += times;
    if (this.violations.length < this.keep) {
      this.violations.push(id);
      this.details.push(`${id}: ${detail}`);
    }
  }

  state(): TallyState {
    return { count: this.count, violations: this.violations, details: this.details };
  }

  absorb(state: TallyState): void {
    this.count += state.count;
    for (let i = 0; i < state.violations.length && this.violations.length < this.keep; i++) {
      this.violations.push(state.violations[i]!);
      this.details.push(state.details[i]!);
    }
  }

  result(): InvariantResult {
    return {
      name: this.name,
      description: INVARIANTS[this.name],
      passed: this.count === 0,
      skipped: this.skipped,
      count: this.count,
      violations: this.violations,
      details: this.details,
    };
  }
}

export const shorten = (text: string, length = 60) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

/** Where two near-identical texts differ, with three words of context: `"…keeping a budgie?" vs test "…keeping a hamster?"`. */
export function contrast(text: string, test: string, other = 'test'): string {
  const a = text.split(' ');
  const b = test.split(' ');
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const excerpt = (words: string[]) => {
    const from = Math.max(0, prefix - 3);
    const to = Math.min(words.length, words.length - suffix + 3);
    return `"${from > 0 ? '…' : ''}${shorten(words.slice(from, to).join(' '), 70)}${to < words.length ? '…' : ''}"`;
  };
  return `${excerpt(a)} vs ${other} ${excerpt(b)}`;
}
