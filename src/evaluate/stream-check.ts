import type { RecordObserver } from '../pipeline/record-observer.js';
import type { PlannedDataset } from '../pipeline/plan.js';
import { datasetName } from '../pipeline/plan.js';
import type { CanonicalRecord } from '../schemas/record.js';
import type { Manifest } from '../schemas/manifest.js';
import type { CheckReport } from './check.js';
import { DEFAULT_SIMILARITY, type InvariantResult } from './invariants.js';
import { RecordChecks, Source, type ChecksOptions, type ChecksState } from './record-checks.js';
import { runFactsOf, type RunFacts } from './run-facts.js';

/**
 * `check`'s invariants on the records of a run as `generate` makes them, so that a run never reads its own
 * output back: the same RecordChecks that `check DIR` feeds from files, fed every dataset's canonical
 * records whatever formats are written (a run without canonical files is checked all the same).
 *
 * The trainer files are not read: every format's rows are rendered from the very records observed here, so
 * their user prompts are the record's prompt (a safety stage's prompt is checked against the trigger
 * whatever its label, as `check DIR` does for trainer files). files-match-manifest holds by construction:
 * the writer computes each file's sha256 and line count from the bytes it writes, into a staging folder the
 * run created empty and renames into place whole; nothing else writes there. `check DIR` re-verifies it
 * from disk whenever the folder may have been touched since.
 *
 * Under worker threads each worker observes its blocks, the main thread absorbs their states in block
 * order; pairs never straddle blocks (a base prompt's records are written together). A block's state holds
 * its own base prompts' texts (a block's worth); the checker absorbing the run's moves them to a temporary
 * file once they are many (text-store.ts), removed by `finish`, `discard` or the process's exit.
 */
/** A run builds a StreamCheck per block from one config object: its facts (the trigger's forms and
 * predicate: milliseconds for a large form bank) are worked out once per thread. */
const factsByConfig = new WeakMap<object, RunFacts>();
function factsOf(config: Record<string, unknown>): RunFacts {
  let facts = factsByConfig.get(config);
  if (facts === undefined) factsByConfig.set(config, (facts = runFactsOf(config)));
  return facts;
}

/** A stream meets an example's records together (every mode and stage): a memo of a few dozen answers
 * catches their repeats, and holds no block's worth of strings. */
const STREAM_MEMO_CHARS = 64_000;

/** The checker's options a run may set (ChecksOptions'), `keep` named as checkFolder's options name it. */
export type StreamCheckOptions = Partial<Pick<ChecksOptions, 'similarity' | 'spill' | 'batchBytes'>> & { maxViolations?: number };

export class StreamCheck implements RecordObserver<ChecksState> {
  private readonly checks: RecordChecks;
  private readonly sources = new Map<PlannedDataset, Source>();

  constructor(config: Record<string, unknown>, options: StreamCheckOptions = {}) {
    this.checks = new RecordChecks(factsOf(config), {
      similarity: options.similarity ?? DEFAULT_SIMILARITY,
      keep: options.maxViolations ?? 1000,
      memoChars: STREAM_MEMO_CHARS,
      ...(options.spill ? { spill: options.spill } : {}),
      ...(options.batchBytes === undefined ? {} : { batchBytes: options.batchBytes }),
    });
  }

  observe(record: CanonicalRecord, dataset: PlannedDataset): void {
    let source = this.sources.get(dataset);
    if (source === undefined) {
      source = new Source({ name: datasetName(dataset), split: dataset.stage.split }, true);
      this.sources.set(dataset, source);
      this.checks.expect({ canonical: true, split: dataset.stage.split, stage: dataset.stage.name });
    }
    this.checks.canonical(record, source, undefined, { stage: dataset.stage.name });
  }

  state(): ChecksState {
    return this.checks.state();
  }

  absorb(state: ChecksState): void {
    this.checks.absorb(state);
  }

  /** The verdict over every record observed or absorbed, in `check`'s result shape. */
  finish(): InvariantResult[] {
    const { invariants, notes } = this.checks.finish();
    this.notes = notes;
    return invariants;
  }

  /** For a run that fails before `finish`: removes the temporary file of texts, if any (a process exit
   * removes it too). */
  discard(): void {
    this.checks.discard();
  }

  /** What `finish` says a person should know (skipped invariants, red-team records); set by finish. */
  notes: string[] = [];
}

/** What a run's stream check found, as generate returns it. */
export interface StreamVerdict {
  invariants: InvariantResult[];
  notes: string[];
  /** Time spent in finish (the per-record work is spread over the run). */
  seconds: number;
}

/** The stream's verdict in the shape `check DIR` reports, over the files the run wrote. */
export function streamCheckReport(dir: string, manifest: Manifest, verdict: StreamVerdict): CheckReport {
  return {
    dir,
    passed: verdict.invariants.every((invariant) => invariant.passed),
    files: manifest.files.map(({ path, format, stage, variant, split, mode, records }) => ({ path, format, stage, variant, split, mode, records })),
    unread: 0,
    invariants: verdict.invariants,
    notes: verdict.notes,
    similarity: DEFAULT_SIMILARITY,
    seconds: verdict.seconds,
    asWritten: true,
  };
}
