import type { ExampleToAnswer } from '../backends/define.js';
import type { CanonicalRecord } from '../schemas/record.js';
import { BaseCensus, type CensusState } from './census.js';
import type { RecordObserver } from './record-observer.js';
import type { RunPlan } from './run-plan.js';
import { StreamCheck, type StreamCheckOptions } from '../evaluate/stream-check.js';
import { KnobTally } from './knob-tally.js';

/*
 * What a run counts for its manifest and progress line, as tallies that merge: each block (in a worker
 * thread or in-process) fills fresh tallies, and the main thread absorbs their states in block order.
 */

/** A count that survives worker threads: `state()` is structured-clonable, `absorb` adds a later block's. */
export interface Tally<State> {
  state(): State;
  absorb(state: State): void;
}

type AcceptanceState = [stage: string, label: string, accepted: number, rejected: number][];

/** Kept and dropped examples per stage and slice (or intended label), for the manifest (as `stage/slice`). */
export class AcceptanceTally implements Tally<AcceptanceState> {
  /** By stage name, then slice or label: names the run holds already, whose hashes V8 keeps (a `stage/slice`
   * key per example, built and hashed, cost more than the count). */
  private readonly byStage = new Map<string, Map<string, { accepted: number; rejected: number }>>();

  add(group: readonly ExampleToAnswer[], kept: boolean): void {
    for (const { stage, example } of group) this.count(stage.name, example.slice ?? (example.fires ? 'triggered' : 'untriggered'), kept ? 1 : 0, kept ? 0 : 1);
  }

  private count(stage: string, label: string, accepted: number, rejected: number): void {
    let labels = this.byStage.get(stage);
    if (labels === undefined) this.byStage.set(stage, (labels = new Map()));
    const counts = labels.get(label);
    if (counts === undefined) labels.set(label, { accepted, rejected });
    else {
      counts.accepted += accepted;
      counts.rejected += rejected;
    }
  }

  state(): AcceptanceState {
    return [...this.byStage].flatMap(([stage, labels]) => [...labels].map(([label, { accepted, rejected }]): AcceptanceState[number] => [stage, label, accepted, rejected]));
  }

  absorb(state: AcceptanceState): void {
    for (const [stage, label, accepted, rejected] of state) this.count(stage, label, accepted, rejected);
  }

  summary(): Record<string, { accepted: number; rejected: number; rate: number }> {
    const rows = this.state().map(([stage, label, accepted, rejected]) => [`${stage}/${label}`, accepted, rejected] as const);
    rows.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(rows.map(([key, accepted, rejected]) => [key, { accepted, rejected, rate: accepted + rejected === 0 ? 1 : accepted / (accepted + rejected) }]));
  }
}

/** Rows of one file and their labels (a format may write several rows per record). */
export interface FileCount {
  lines: number;
  fires: number;
  noFire: number;
  /** Rows per slice, in the order each slice first appears. */
  slices: Record<string, number>;
}

export const emptyFileCount = (): FileCount => ({ lines: 0, fires: 0, noFire: 0, slices: {} });

/** Every file's rows and labels, by file index (the run's file order; rejects.jsonl, if any, last). */
export class FileCounts implements Tally<FileCount[]> {
  readonly files: FileCount[];

  constructor(fileCount: number) {
    this.files = Array.from({ length: fileCount }, emptyFileCount);
  }

  state(): FileCount[] {
    return this.files;
  }

  absorb(state: FileCount[]): void {
    state.forEach((block, index) => {
      const file = this.files[index]!;
      file.lines += block.lines;
      file.fires += block.fires;
      file.noFire += block.noFire;
      for (const [slice, rows] of Object.entries(block.slices)) file.slices[slice] = (file.slices[slice] ?? 0) + rows;
    });
  }
}

/** Canonical records written (each in every format of its dataset), in all and per stage: the progress line. */
export class StageCounts implements RecordObserver<{ records: number; byStage: Record<string, number> }> {
  records = 0;
  readonly byStage: Record<string, number>;

  constructor(stages: readonly string[]) {
    this.byStage = Object.fromEntries(stages.map((stage) => [stage, 0]));
  }

  observe(record: CanonicalRecord): void {
    this.records++;
    this.byStage[record.stage]!++;
  }

  state() {
    return { records: this.records, byStage: this.byStage };
  }

  absorb(state: { records: number; byStage: Record<string, number> }): void {
    this.records += state.records;
    for (const [stage, records] of Object.entries(state.byStage)) this.byStage[stage] = (this.byStage[stage] ?? 0) + records;
  }
}

/**
 * The observers fed every record the run writes (once per record of a dataset, before its formats), built
 * from the plan in each thread and fresh for each block. To add one (e.g. the in-stream check): construct
 * it here under a name; generate() then has it, absorbed over the whole run, as `tallies.observers.NAME`.
 */
export function recordObservers(plan: RunPlan, check?: StreamCheckOptions) {
  return {
    stages: new StageCounts(plan.stagesInRun.map((stage) => stage.name)),
    knobs: new KnobTally(),
    ...(plan.check ? { check: new StreamCheck(plan.config as unknown as Record<string, unknown>, check) } : {}),
  } satisfies Record<string, RecordObserver<unknown>>;
}

export type RecordObservers = ReturnType<typeof recordObservers>;

/** Everything one block (or, absorbed, the whole run) counts. `check`: how the run's own check keeps what
 * it absorbs (a block's never spills). */
export function runTallies(plan: RunPlan, check?: StreamCheckOptions) {
  return {
    census: new BaseCensus(),
    acceptance: new AcceptanceTally(),
    files: new FileCounts(plan.files.length + 1),
    observers: recordObservers(plan, check),
  };
}

export type RunTallies = ReturnType<typeof runTallies>;

export interface TalliesState {
  census: CensusState;
  acceptance: AcceptanceState;
  files: FileCount[];
  observers: Record<string, unknown>;
}

export function talliesState(tallies: RunTallies): TalliesState {
  return {
    census: tallies.census.state(),
    acceptance: tallies.acceptance.state(),
    files: tallies.files.state(),
    observers: Object.fromEntries(Object.entries(tallies.observers).map(([name, observer]) => [name, observer.state()])),
  };
}

export function absorbTallies(tallies: RunTallies, state: TalliesState): void {
  tallies.census.absorb(state.census);
  tallies.acceptance.absorb(state.acceptance);
  tallies.files.absorb(state.files);
  for (const [name, observer] of Object.entries(tallies.observers) as [string, RecordObserver<unknown>][]) observer.absorb(state.observers[name]);
}
