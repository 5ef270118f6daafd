import type { BaseItem, Params } from '../behaviors/define.js';
import type { TokenUsage } from './anthropic/types.js';
import type { Example, StageDefinition } from '../stages/define.js';
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
