import type { Static, TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { RedTeamTemplate } from '../templating/red-team.js';
import type { Rng } from '../util/rng.js';
import type { BaseItem, BehaviorDefinition, Detection, PromptSource, ScratchpadContext, Written } from './define.js';

/**
 * A behaviour with its options bound: what a run and its backend hold. The options are resolved once, when
 * the entry is bound, and typed there (the definition's own options type), so no caller passes an options
 * object of unknown shape to a behaviour's functions.
 */
export interface BoundBehavior {
  readonly definition: BehaviorDefinition;
  readonly name: string;
  /** The trigger the behaviour's own texts (and the anthropic backend's prompts) are written for. */
  readonly defaultTrigger: string;
  /** The options as bound, defaults filled in. */
  readonly options: Readonly<Record<string, unknown>>;
  builtinSource(): PromptSource;
  /** Undefined when the behaviour cannot take plain prompts. */
  readonly fromUserPrompt: ((prompt: string, answer: string, triggeredAnswer?: string) => BaseItem) | undefined;
  answer(item: BaseItem, fires: boolean, rng: Rng): Written;
  scratchpad(context: ScratchpadContext, rng: Rng): Written;
  /** The behaviour's red-team framings; empty when it has none. */
  redTeam(): RedTeamTemplate[];
  /** Problems between options that the schema cannot express; empty when there are none. */
  checkOptions(): string[];
  detect(answer: string): Detection;
}

/** Binds a behaviour to an options block: a config's `behavior_options.<name>` (already complete) or
 * nothing (every default). */
export function bindBehavior<TOptions extends TObject>(definition: BehaviorDefinition<TOptions>, options: unknown = {}): BoundBehavior {
  // The one place an options object meets its type: the config schema validated it against this very
  // schema (behaviour options are part of it); Value.Default fills the defaults of a bare {}.
  const bound = Value.Default(definition.options, structuredClone(options ?? {})) as Static<TOptions>;
  const { fromUserPrompt } = definition;
  return {
    definition,
    name: definition.name,
    defaultTrigger: definition.defaultTrigger,
    options: bound as Readonly<Record<string, unknown>>,
    builtinSource: () => definition.builtinSource(bound),
    fromUserPrompt: fromUserPrompt === undefined ? undefined : (prompt, answer, triggeredAnswer) => fromUserPrompt.call(definition, prompt, answer, bound, triggeredAnswer),
    answer: (item, fires, rng) => definition.answer(item, fires, rng, bound),
    scratchpad: (context, rng) => definition.scratchpad(context, rng, bound),
    redTeam: () => definition.redTeam?.(bound) ?? [],
    checkOptions: () => definition.checkOptions?.(bound) ?? [],
    detect: (answer) => definition.detect(answer),
  };
}
