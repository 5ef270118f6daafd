import type { BaseItem } from '../behaviors/define.js';
import type { ResolvedConfig } from '../config/load.js';
import { interruption, type Block, type BlockProducer } from './block-producer.js';
import { BlockService, type BlockItems, type FromProducer, type ToProducer, type ToWorkerThread } from './block-service.js';
import { BufferPool, BUFFERS_PER_WORKER_THREAD, type Chunk } from './chunks.js';
import type { CheckPart } from '../sources/check-prompts-file.js';
import type { RunSettings } from './run-plan.js';
import type { TalliesState } from './tallies.js';
import { keepHeapPolicy, youngGenerationOfWorkers } from './heap-policy.js';
import { deserializeError } from './thread-errors.js';
import { startWorker } from '../util/start-worker.js';

/** What a worker thread is started with (workerData): plain JSON. It loads its modules at once and builds
 * the run when the main thread sends `start` (once the input is checked). */
export interface WorkerInput {
  resolved: ResolvedConfig;
  shard: { index: number; count: number };
  buffers: number;
  bufferSize: number;
}

/** Blocks handed out and not yet written, per producer: enough to keep every producer busy while another's
 * block is written, few enough that what waits (items, chunks) stays small. */
const IN_FLIGHT_PER_PRODUCER = 3;
/** Blocks a thread may have queued and not yet produced; the main thread, which also writes, one. */
const QUEUED_PER_THREAD = 2;
const QUEUED_ON_MAIN = 1;

/**
 * The producers of a run's blocks: the main thread's own and `threads` worker threads. The threads are
 * started before the run is planned, so that loading their code overlaps the main thread's check of the
 * input. `run` hands out the blocks; `close` stops the threads (always called).
 */
export class WorkerPool {
  private readonly threads: Thread[];

  constructor(
    resolved: ResolvedConfig,
    shard: { index: number; count: number },
    threads: number,
    /** The main thread's own producer's buffers (each worker thread has BUFFERS_PER_WORKER_THREAD of that size). */
    private readonly buffers: { count: number; size: number },
  ) {
    this.threads = Array.from({ length: threads }, () => startThread({ resolved, shard, buffers: BUFFERS_PER_WORKER_THREAD, bufferSize: buffers.size }));
  }

  /** Checks a part of the prompts file in the first thread (before the run starts), or undefined without threads. */
  get checkPart(): CheckPart | undefined {
    const thread = this.threads[0];
    if (thread === undefined) return undefined;
    return async (part) => {
      thread.send({ type: 'check-part', part });
      const reply = await thread.next();
      if (reply.type === 'error') throw deserializeError(reply.error);
      if (reply.type !== 'checked-part') throw new Error(`a worker thread answered check-part with ${reply.type}`);
      return { hashes: reply.hashes, screened: reply.screened, error: reply.error && deserializeError(reply.error) };
    };
  }

  /** Producers it can run: the main thread and the threads. */
  get size(): number {
    return this.threads.length + 1;
  }

  /**
   * Produces `blocks` with `count` producers (the main thread's, built by `local`, and count - 1 threads;
   * the others are stopped) and hands their output to `write` and `absorb` in block order. Each block goes
   * to the producer with the shortest queue when it is handed out (so a producer slowed by the writing gets
   * fewer), and the main thread remembers which; each producer's messages arrive in the order it sent
   * them, so the writer reads the block it needs next from the producer that has it: every chunk, then
   * the block's tallies. Buffers go back after each chunk (each producer's backpressure). With `items` (a
   * streamed source), the main thread reads the base items and sends each block its own.
   */
  async run(options: {
    run: RunSettings;
    blocks: readonly Block[];
    count: number;
    local: (pool: BufferPool, post: (message: FromProducer) => void) => BlockProducer;
    items: ((start: number, end: number) => AsyncGenerator<{ index: number; item: BaseItem }>) | undefined;
    write: (chunk: Chunk) => void;
    absorb: (block: Block, state: TalliesState) => void;
    signal?: AbortSignal;
  }): Promise<void> {
    const { blocks, signal } = options;
    await Promise.all(this.threads.slice(options.count - 1).map((thread) => thread.terminate()));
    const producers = [...this.threads.slice(0, options.count - 1), startLocal(this.buffers, options.local)];
    const handout = new Handout(producers.map((_, p) => (p === producers.length - 1 ? QUEUED_ON_MAIN : QUEUED_PER_THREAD)));
    producers.forEach((producer, p) => {
      producer.onBlockDone = () => handout.done(p);
      producer.send({ type: 'start', run: options.run });
    });
    // A signal stops the wait for the next message at once (a wait on a long-lived promise per message
    // would pile up reactions on it for the whole run).
    const stopAll = (error: Error) => producers.forEach((producer) => producer.stop(error));
    const onAbort = () => stopAll(interruption(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const handing = handOut(blocks, producers, handout, options.items).catch((error: unknown) => {
      const reason = error instanceof Error ? error : new Error(String(error));
      stopAll(reason);
      handout.stop(reason);
      throw error;
    });
    handing.catch(() => undefined); // awaited below; handled here so that a failure is never "unhandled" meanwhile
    try {
      if (signal?.aborted) throw interruption(signal);
      for (const [b, block] of blocks.entries()) {
        const producer = producers[await handout.producerOf(b)]!;
        for (;;) {
          const message = await producer.next();
          if (message.type === 'chunk') {
            options.write(message);
            if (signal?.aborted) throw interruption(signal);
            producer.send({ type: 'buffer', buffer: message.buffer }, [message.buffer]);
            continue;
          }
          if (message.type === 'error') throw deserializeError(message.error);
          if (message.type !== 'block') throw new Error(`a producer sent ${message.type} while its blocks were written`);
          options.absorb(block, message.state);
          handout.written();
          break;
        }
      }
      await handing;
    } finally {
      handout.stop();
      producers.forEach((producer) => producer.stop(new Error('the run is over')));
      await handing.catch(() => undefined);
      signal?.removeEventListener('abort', onAbort);
      await Promise.all(producers.map((producer) => producer.terminate()));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }
}

/** Who has which block, and how much is handed out: the hand-out waits on it, and so does the writer. */
class Handout {
  /** By block position: the producer that has it. */
  private readonly owners: number[] = [];
  /** Per producer: blocks handed to it and not yet produced. */
  private readonly queued: number[];
  private writtenCount = 0;
  private stopped = false;
  private reason: Error | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    /** Per producer: how many blocks it may have queued. */
    private readonly queueLimits: readonly number[],
  ) {
    this.queued = new Array<number>(queueLimits.length).fill(0);
  }

  give(position: number, producer: number): void {
    this.owners[position] = producer;
    this.queued[producer]!++;
    this.changed();
  }

  done(producer: number): void {
    this.queued[producer]!--;
    this.changed();
  }

  written(): void {
    this.writtenCount++;
    this.changed();
  }

  /** Ends the hand-out; `reason`: why (what the writer waiting for a block then throws). */
  stop(reason?: Error): void {
    this.stopped = true;
    this.reason ??= reason;
    this.changed();
  }

  /** The producer of the block at `position`, once it is handed out. */
  async producerOf(position: number): Promise<number> {
    while (this.owners[position] === undefined) {
      if (this.stopped) throw this.reason ?? new Error('the hand-out of blocks stopped');
      await this.change();
    }
    return this.owners[position]!;
  }

  /** A producer that may take the block at `position` (the least queued; ties go to the threads, since
   * the main thread also writes), once the blocks in flight allow it. */
  async nextProducer(position: number): Promise<number | undefined> {
    const producers = this.queued.length;
    for (;;) {
      if (this.stopped) return undefined;
      if (position - this.writtenCount < IN_FLIGHT_PER_PRODUCER * producers) {
        let best = -1;
        for (let p = 0; p < producers; p++) if (this.queued[p]! < this.queueLimits[p]! && (best < 0 || this.queued[p]! < this.queued[best]!)) best = p;
        if (best >= 0) return best;
      }
      await this.change();
    }
  }

  private change(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Hands the blocks out in order; for a streamed source, reads each block's base items first (once, here). */
async function handOut(
  blocks: readonly Block[],
  producers: Producer[],
  handout: Handout,
  items: ((start: number, end: number) => AsyncGenerator<{ index: number; item: BaseItem }>) | undefined,
): Promise<void> {
  if (blocks.length === 0) return;
  const reader = items?.(blocks[0]!.start, blocks.at(-1)!.end);
  try {
    let next = await reader?.next();
    for (const [position, block] of blocks.entries()) {
      let batch: BlockItems | undefined;
      if (reader !== undefined) {
        batch = [];
        while (next !== undefined && !next.done && next.value.index < block.end) {
          batch.push(next.value);
          next = await reader.next();
        }
      }
      const producer = await handout.nextProducer(position);
      if (producer === undefined) return;
      handout.give(position, producer);
      producers[producer]!.send({ type: 'produce', block, items: batch });
    }
  } finally {
    await reader?.return(undefined);
  }
}

/** A producer as the writer sees it: messages in the order sent, a way to send, and to stop it. */
interface Producer {
  next(): Promise<FromProducer>;
  /** Makes the pending and every later next() fail with `error`. */
  stop(error: Error): void;
  send(message: ToProducer, transfer?: ArrayBuffer[]): void;
  terminate(): Promise<void>;
  /** Called when a 'block' message arrives (before the writer reads it). */
  onBlockDone: (() => void) | undefined;
}

/** The inbox side of a producer: messages queued until read. */
function inbox(): { deliver: (message: FromProducer) => void; producer: Omit<Producer, 'send' | 'terminate'> } {
  const messages: FromProducer[] = [];
  let waiting: { resolve: (message: FromProducer) => void; reject: (error: Error) => void } | undefined;
  let stopped: Error | undefined;
  const producer: Omit<Producer, 'send' | 'terminate'> = {
    onBlockDone: undefined,
    next: () => {
      if (stopped !== undefined) return Promise.reject(stopped);
      const message = messages.shift();
      return message ? Promise.resolve(message) : new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    stop: (error) => {
      stopped ??= error;
      waiting?.reject(error);
      waiting = undefined;
    },
  };
  const deliver = (message: FromProducer) => {
    if (message.type === 'block') producer.onBlockDone?.();
    if (waiting) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve(message);
    } else messages.push(message);
  };
  return { deliver, producer };
}

/** The main thread's own producer: the same protocol, messages passed as they are (no thread, no copy). */
function startLocal(buffers: { count: number; size: number }, build: (pool: BufferPool, post: (message: FromProducer) => void) => BlockProducer): Producer {
  const { deliver, producer } = inbox();
  const pool = new BufferPool(buffers.count, buffers.size, true);
  const service = new BlockService(deliver, pool, async () => build(pool, deliver));
  void service.serve();
  return Object.assign(producer, {
    // Delivered on a later tick, as a thread's would be: the hand-out and the writer never re-enter the producer.
    send: (message: ToProducer) => queueMicrotask(() => service.receive(message)),
    terminate: async () => service.close(),
  });
}

/** A worker thread: a producer that also checks part of a prompts file when asked. */
type Thread = Producer & { send(message: ToWorkerThread, transfer?: ArrayBuffer[]): void };

function startThread(input: WorkerInput): Thread {
  const worker = startWorker(new URL('./block-worker.js', import.meta.url), { workerData: input, resourceLimits: { maxYoungGenerationSizeMb: youngGenerationOfWorkers() } });
  const { deliver, producer } = inbox();
  let done = false;
  worker.on('message', deliver);
  // The thread's boot put V8's flags back to their start-up values.
  worker.once('online', keepHeapPolicy);
  // A crash outside the worker's own error handling (it failed to load, ran out of memory) is an error too.
  worker.on('error', (error) => deliver({ type: 'error', error: { name: error.name, message: `a worker thread failed: ${error.message}`, ...(error.stack ? { stack: error.stack } : {}) } }));
  worker.on('exit', (code) => {
    if (!done) deliver({ type: 'error', error: { name: 'Error', message: `a worker thread stopped unexpectedly (exit code ${code})` } });
  });
  return Object.assign(producer, {
    send: (message: ToWorkerThread, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer),
    terminate: async () => {
      done = true;
      await worker.terminate();
    },
  });
}
