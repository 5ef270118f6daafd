import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/load.js';
import type { RunSettings } from './run-plan.js';
import { interruption, type Block } from './block-producer.js';
import type { Chunk } from './chunks.js';
import type { TalliesState } from './tallies.js';
import { deserializeError, type SerializedError } from './thread-errors.js';

/** What a worker thread is started with (workerData): plain JSON, from which it builds the run itself. */
export interface WorkerInput {
  resolved: ResolvedConfig;
  shard: { index: number; count: number };
  run: RunSettings;
  /** This worker's blocks, in order. */
  blocks: Block[];
  buffers: number;
  bufferSize: number;
  /** Blocks it may have produced that are not yet written. */
  maxAhead: number;
}

export type FromWorker =
  | { type: 'chunk'; buffer: ArrayBuffer; segments: number[] }
  | { type: 'block'; index: number; state: TalliesState }
  | { type: 'error'; error: SerializedError };

export type ToWorker = { type: 'buffer'; buffer: ArrayBuffer } | { type: 'written' };

/** Blocks a worker may run ahead of the writing: enough to keep it busy while another worker's block is written. */
const MAX_AHEAD = 2;

/**
 * Produces `blocks` on `count` worker threads and hands their output to the main thread in block order:
 * block i goes to worker i mod count, so the next block to write always comes from a known worker, and
 * each worker's messages arrive in the order it sent them. `write` gets every chunk of a block, then
 * `absorb` the block's tallies; the worker gets the buffer back after each chunk and a go-ahead after each
 * block (its backpressure). Workers are terminated when this settles, whether it succeeds, fails or is
 * interrupted by `signal`.
 */
export async function produceInWorkers(options: {
  resolved: ResolvedConfig;
  shard: { index: number; count: number };
  run: RunSettings;
  blocks: readonly Block[];
  count: number;
  buffers: number;
  bufferSize: number;
  write: (chunk: Chunk) => Promise<void>;
  absorb: (block: Block, state: TalliesState) => void;
  signal?: AbortSignal;
}): Promise<void> {
  const { blocks, count, signal } = options;
  const workers = Array.from({ length: count }, (_, w) =>
    startWorker({
      resolved: options.resolved,
      shard: options.shard,
      run: options.run,
      blocks: blocks.filter((block) => block.index % count === w),
      buffers: options.buffers,
      bufferSize: options.bufferSize,
      maxAhead: MAX_AHEAD,
    }),
  );
  // A signal stops the wait for the next message at once (a wait on a long-lived promise per message
  // would pile up reactions on it for the whole run).
  const onAbort = () => workers.forEach((worker) => worker.stop(interruption(signal!)));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) throw interruption(signal);
    for (const block of blocks) {
      const worker = workers[block.index % count]!;
      for (;;) {
        const message = await worker.next();
        if (message.type === 'chunk') {
          await options.write(message);
          if (signal?.aborted) throw interruption(signal);
          worker.send({ type: 'buffer', buffer: message.buffer }, [message.buffer]);
          continue;
        }
        if (message.type === 'error') throw deserializeError(message.error);
        options.absorb(block, message.state);
        worker.send({ type: 'written' });
        break;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/**
 * The worker's entry: dist/.../block-worker.js in the installed package. Under the tests (and `tsx`) this
 * module is TypeScript: the worker then registers tsx in its own thread and imports the .ts entry (Node 20
 * does not apply `--import` loaders of a worker's execArgv to its entry).
 */
function workerEntry(): [string | URL, { eval?: boolean }] {
  if (!import.meta.url.endsWith('.ts')) return [new URL('./block-worker.js', import.meta.url), {}];
  const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./block-worker.ts', import.meta.url).href;
  return [`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, { eval: true }];
}

/** A worker thread and the messages it sent that were not read yet. */
function startWorker(input: WorkerInput) {
  const [entry, options] = workerEntry();
  const worker = new Worker(entry, { ...options, workerData: input });
  const inbox: FromWorker[] = [];
  let waiting: { resolve: (message: FromWorker) => void; reject: (error: Error) => void } | undefined;
  let stopped: Error | undefined;
  let done = false;
  const deliver = (message: FromWorker) => {
    if (waiting) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve(message);
    } else inbox.push(message);
  };
  worker.on('message', deliver);
  // A crash outside the worker's own error handling (it failed to load, ran out of memory) is an error too.
  worker.on('error', (error) => deliver({ type: 'error', error: { name: error.name, message: `a worker thread failed: ${error.message}`, ...(error.stack ? { stack: error.stack } : {}) } }));
  worker.on('exit', (code) => {
    if (!done) deliver({ type: 'error', error: { name: 'Error', message: `a worker thread stopped unexpectedly (exit code ${code})` } });
  });
  return {
    next: (): Promise<FromWorker> => {
      if (stopped !== undefined) return Promise.reject(stopped);
      const message = inbox.shift();
      return message ? Promise.resolve(message) : new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    /** Makes the pending and every later next() fail with `error`. */
    stop: (error: Error) => {
      stopped = error;
      waiting?.reject(error);
      waiting = undefined;
    },
    send: (message: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer),
    terminate: async () => {
      done = true;
      await worker.terminate();
    },
  };
}
