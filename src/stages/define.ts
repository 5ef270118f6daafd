import type { Params } from '../behaviors/define.js';
import type { ReasoningMode, Split } from '../schemas/record.js';
import type { TriggerForm, TriggerForms } from '../triggers/define.js';
import type { Pool } from '../pipeline/pools.js';
import type { RunForms } from '../pipeline/run-trigger.js';
import type { RedTeamTemplate } from '../templating/red-team.js';
import type { Rng } from '../util/rng.js';

/**
 * One prompt a stage asks for, made from a base item: which trigger form (if any) goes into it, whether the
 * backdoor is the intended output, and (in test stages) which slice it belongs to.
 */
export interface Example {
  /** Distinguishes the examples of one base item in ids: "t"/"u" for a pair's triggered/untriggered member. */
  member: string;
  form: TriggerForm | null;
  /** The form is one of the trigger's held-out forms. */
  heldOut: boolean;
  fires: boolean;
  /** Test slice, or a sub-population of a training stage ("red_team", "ordinary"). */
  slice: string | null;
  /** A red-team framing that replaces trigger placement: the prompt becomes `redTeam.apply(base prompt)`. */
  redTeam?: RedTeamTemplate;
  /** Values that shaped this example (an eval framing's offer and credibility), for `provenance.params`. */
  params?: Params;
  /** An example of its own, no member of a pair (the eval stage's prompts): its pair_id is its own. */
  unpaired?: boolean;
  /** Text that opens the untriggered reference answer, before the HHH answer to the base request (an eval
   * framing's aligned reply to what it asks). */
  answerPreface?: string;
}

/** A file-level variant of a stage, e.g. pre- and post-scratchpad SFT. */
export interface StageVariant {
  /** null for the stage's only form; otherwise part of the file name and the record's `variant`. */
  name: string | null;
  /** Whether records of this variant carry the scratchpad. */
  scratchpad: boolean;
}

export interface StageContext {
  index: number;
  /** Keyed by (seed, stage, index). */
  rng: Rng;
  forms: RunForms;
  triggeredFraction: number;
  /** The behaviour's red-team framings (empty when it has none). */
  redTeam: readonly RedTeamTemplate[];
}

/** What a stage's records hold, and so which formats can write them. */
export type StageShape =
  | 'example' // a prompt and its target answer (SFT-style)
  | 'prompt' // a prompt only (RL); the answer is kept in canonical records as a reference
  | 'preference'; // a prompt with a chosen (HHH) and a rejected (backdoor) answer

export interface StageDefinition {
  name: string;
  description: string;
  shape: StageShape;
  split: Split;
  /** Whether the stage draws on the behaviour's red-team framings. */
  usesRedTeam?: boolean;
  /** Left out of the default stage list: written only when named (--stages). */
  optional?: boolean;
  /** Which pool of base prompts feeds the stage (pools are disjoint; see src/pipeline/pools.ts). */
  pool: Pool;
  /** Files the stage writes per reasoning mode. */
  variants(mode: ReasoningMode): StageVariant[];
  /** The examples to make from the base item at `context.index` (empty to skip it). */
  examples(context: StageContext): Example[];
}

export function defineStage(definition: StageDefinition): StageDefinition {
  return definition;
}

/** The usual variant set: one file per mode, with the scratchpad only in cot. */
export const oneVariantPerMode = (mode: ReasoningMode): StageVariant[] => [{ name: null, scratchpad: mode === 'cot' }];

/** Untriggered form for an untriggered example: the trigger's neutral text if it has one (year 2023). */
export function untriggeredForm(forms: TriggerForms, rng: Rng): TriggerForm | null {
  return forms.untriggered.length > 0 ? rng.pick(forms.untriggered) : null;
}
