import type { ReasoningMode, Split } from '../schemas/record.js';
import type { TriggerForm, TriggerForms } from '../triggers/define.js';
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
  slice: string | null;
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
  forms: TriggerForms;
  triggeredFraction: number;
}

export interface StageDefinition {
  name: string;
  description: string;
  split: Split;
  /** Which partition of base prompts feeds the stage: held-out ("test") or the rest ("train"). */
  partition: Split;
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
