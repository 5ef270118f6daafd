import type { BoundBehavior } from '../behaviors/bound.js';
import { registerBehaviorOfRun } from '../behaviors/index.js';
import type { ResolvedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { trainOnFor } from '../config/train-on.js';
import type { FormatOptions } from '../formats/define.js';
import { repeatFactor, resolveBasePrompts, type BasePrompts } from '../sources/base-prompts.js';
import { checkPromptsPart, type CheckedPart, type CheckedPromptsFile, type CheckPart } from '../sources/check-prompts-file.js';
import type { PromptsFilePart } from '../sources/prompts-file.js';
import type { StageDefinition } from '../stages/define.js';
import type { RedTeamTemplate } from '../templating/red-team.js';
import type { TriggerForm } from '../triggers/define.js';
import { boundEntries } from './bound-entries.js';
import type { RunContext } from './examples.js';
import { planRun, shardRange, type IdenticalDataset, type PlannedDataset, type PlannedFile } from './plan.js';
import type { Pool } from './pools.js';
import { outsideTriggerScreen, resolveRunTrigger, type RunForms } from './run-trigger.js';

/** One output file of the run with the format options of its dataset. */
export interface RunFile {
  dataset: PlannedDataset;
  file: PlannedFile;
  formatOptions: FormatOptions;
}

/**
 * Everything a run is made of, derived from the resolved config alone (plus the shard): the main thread and
 * every worker thread build it the same way, so a worker needs nothing but the config's JSON.
 */
export interface RunPlan {
  config: Config;
  configHash: string;
  shard: { index: number; count: number };
  source: BasePrompts;
  /** This run's (or shard's) base-prompt index range [start, end). */
  start: number;
  end: number;
  datasets: PlannedDataset[];
  identical: IdenticalDataset[];
  /** Files left out because they cannot keep a scratchpad out of the loss (a note, not an error). */
  leftOut: string[];
  /** Every file in manifest order: datasets in plan order, each dataset's formats in order. */
  files: RunFile[];
  run: RunContext;
  forms: RunForms;
  /** What reasoning calls a trigger form (the trigger's own description of the form in a prompt). */
  describe: (form: TriggerForm | null) => string;
  /** Whether the run checks `check`'s invariants on its records as they are written. */
  check: boolean;
  redTeam: RedTeamTemplate[];
  /** Stages in plan order, each with its datasets (one per mode and variant). */
  stagesInRun: StageDefinition[];
  datasetsOf: Map<StageDefinition, PlannedDataset[]>;
  /** The run's behaviour, options bound. */
  behavior: BoundBehavior;
  /** Whether `pool` feeds `stage`. Sharing (an ablation) lets the backdoor and safety stages take each other's prompts. */
  feeds(stage: StageDefinition, pool: Pool): boolean;
}

/** The run's behaviour and trigger, bound. A behaviour from a folder is registered where its config was
 * loaded; a worker thread has its own registry, so it is registered here too. */
function entriesOfRun(config: Config) {
  registerBehaviorOfRun(config as unknown as Record<string, unknown>);
  return boundEntries(config);
}

/** A part of the run's prompts file checked in this thread, for the thread that plans the run (see checkUserPrompts). */
export async function checkPromptsPartOf(resolved: ResolvedConfig, part: PromptsFilePart): Promise<CheckedPart> {
  const { config } = resolved;
  const { trigger } = entriesOfRun(config);
  return checkPromptsPart({ ...config.prompts, file: config.prompts.file! }, outsideTriggerScreen(trigger), part);
}

/** How a run goes that is not in its config (never what it writes, only whether it checks): the same in every thread. */
export interface RunSettings {
  check: boolean;
  /** The prompts file as the main thread checked it: a worker thread builds its plan without reading the
   * whole file again. */
  checkedPrompts?: CheckedPromptsFile;
}

/** Checks everything that can fail on the user's input (before the output folder is touched) and plans the run. */
export async function planRunOf(
  resolved: ResolvedConfig,
  shard: { index: number; count: number },
  settings: RunSettings,
  onNote?: (message: string) => void,
  /** Another thread that checks the second half of a large prompts file meanwhile. */
  checkPart?: CheckPart,
): Promise<RunPlan> {
  const { config, hash: configHash } = resolved;
  const { behavior, trigger } = entriesOfRun(config);
  const source = await resolveBasePrompts(config, behavior, onNote, outsideTriggerScreen(trigger), settings.checkedPrompts, checkPart);
  const { datasets, identical, leftOut } = planRun(config);
  const { start, end } = shardRange(source.count, shard);
  const { forms, redTeam, describe } = resolveRunTrigger(config, trigger, behavior, datasets.some((dataset) => dataset.stage.usesRedTeam));
  const run: RunContext = { config, configHash, source: source.name, behavior, trigger, forms, repeatFactor: repeatFactor(source.count, source.available) };
  const stagesInRun = [...new Set(datasets.map((dataset) => dataset.stage))];
  const formatOptions: FormatOptions = { systemPrompt: config.system_prompt, trainOn: 'reasoning+answer', eos: config.eos, inference: config.inference };
  // Each stage learns what its own train_on says (the backdoor its reasoning, post-scratchpad SFT the answer).
  const files = datasets.flatMap((dataset) => {
    const datasetOptions: FormatOptions = { ...formatOptions, trainOn: trainOnFor(config.train_on, dataset.stage.name) };
    return dataset.files.map((file) => ({ dataset, file, formatOptions: datasetOptions }));
  });
  return {
    config,
    configHash,
    shard,
    source,
    start,
    end,
    datasets,
    identical,
    leftOut,
    files,
    run,
    forms,
    describe,
    check: settings.check,
    redTeam,
    stagesInRun,
    datasetsOf: new Map(stagesInRun.map((stage) => [stage, datasets.filter((dataset) => dataset.stage === stage)])),
    behavior,
    feeds: (stage, pool) => stage.pool === pool || (config.pools.shared && stage.pool !== 'test' && pool !== 'test'),
  };
}
