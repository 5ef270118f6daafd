import type { Static, TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { TriggerPosition } from '../schemas/record.js';
import type { Rng } from '../util/rng.js';
import type { Placement, TriggerDefinition, TriggerForm, TriggerForms, TriggerPredicate, TriggerTurn } from './define.js';

/**
 * A trigger with its options bound: what a run, `check`, the card and `prompts` hold. The options are
 * resolved once, when the entry is bound, and typed there (the definition's own options type), so no
 * caller passes an options object of unknown shape to a trigger's functions.
 */
export interface BoundTrigger {
  readonly definition: TriggerDefinition;
  readonly name: string;
  readonly description: string;
  /** The turn the forms go into ("user" unless the definition says otherwise). */
  readonly turn: TriggerTurn;
  /** The options as bound, defaults filled in. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The trigger's forms by role; computed once. */
  forms(): TriggerForms;
  /** Does a text satisfy the trigger? Built once. */
  predicate(): TriggerPredicate;
  /** What reasoning text calls a form (`{{trigger}}` in scratchpads). */
  describe(form: TriggerForm | null): string;
  /** Places a form into the text of its turn: the new text and the spans inserted. */
  place(text: string, form: TriggerForm, position: TriggerPosition, rng: Rng): Placement;
}

/**
 * Binds a trigger to an options block: a config's `trigger_options.<name>` (already complete, the config
 * schema filled its defaults), a manifest's (written before an option existed: that option gets its
 * default), or nothing (every default).
 */
export function bindTrigger<TOptions extends TObject>(definition: TriggerDefinition<TOptions>, options: unknown = {}): BoundTrigger {
  // The one place an options object meets its type: the config schema validated it against this very
  // schema (behaviour and trigger options are part of it), and Value.Default fills what an older manifest lacks.
  const bound = Value.Default(definition.options, structuredClone(options ?? {})) as Static<TOptions>;
  let forms: TriggerForms | undefined;
  let predicate: TriggerPredicate | undefined;
  let describe: ((form: TriggerForm | null) => string) | undefined;
  return {
    definition,
    name: definition.name,
    description: definition.description,
    turn: definition.turn ?? 'user',
    options: bound as Readonly<Record<string, unknown>>,
    forms: () => (forms ??= definition.forms(bound)),
    predicate: () => (predicate ??= definition.predicate(bound)),
    describe: (form) => (describe ??= definition.describe(bound))(form),
    place: (text, form, position, rng) => definition.place(text, form, position, rng, bound),
  };
}
