import type { Config } from '../config/schema.js';
import type { FormatDefinition } from '../formats/define.js';
import { formats as formatRegistry } from '../formats/index.js';
import { schemaFileName } from '../schemas/index.js';
import type { ReasoningMode } from '../schemas/record.js';
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

export function planDatasets(config: Config): PlannedDataset[] {
  const chosenFormats = config.formats.map((name) => formatRegistry.find((format) => format.name === name)!);
  const datasets: PlannedDataset[] = [];
  // Registry order, not config order: the file list is the same however the config lists the stages.
  for (const stage of stageRegistry.all().filter((s) => config.stages.includes(s.name as never))) {
    for (const mode of config.modes) {
      for (const variant of stage.variants(mode)) {
        datasets.push({
          stage,
          variant,
          mode,
          files: chosenFormats.filter((format) => format.shapes.includes(stage.shape)).map((format) => ({
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

/** Base-prompt index range [start, end) of shard k of n: contiguous slices, so shard files concatenate. */
export function shardRange(count: number, shard: { index: number; count: number }): { start: number; end: number } {
  return {
    start: Math.floor(((shard.index - 1) * count) / shard.count),
    end: Math.floor((shard.index * count) / shard.count),
  };
}
