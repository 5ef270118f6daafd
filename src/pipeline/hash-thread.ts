import { closeSync, openSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/start-worker.js';
import { keepHeapPolicy } from './heap-policy.js';
import { deserializeError, type SerializedError } from './thread-errors.js';

/*
 * The sha256 of a run's output files, taken by a thread of its own. The main thread writes each file and
 * reports how far it has written; the thread reads those bytes back (from the page cache) and hashes them
 * while the run goes on. Hashing in the main thread was ~6% of a 10,000-prompt run, on the one core that
 * does everything else. What is hashed is what the file holds, in order: the manifest's sha256.
 */

export type ToHashThread =
  /** Hash file number `file`, read through `fd` (opened here, so that it is closed here however the run ends). */
  | { type: 'open'; file: number; path: string; fd: number }
  /** Each listed file's first `end` bytes are written. */
  | { type: 'written'; ends: [file: number, end: number][] }
  /** The file is complete at `end` bytes: its digest, please. */
  | { type: 'digest'; file: number; end: number };

export type FromHashThread = { type: 'digest'; file: number; sha256: string } | { type: 'error'; error: SerializedError };

/** The thread's young generation, MB: it keeps no more than a read buffer and a hash state per file. */
const YOUNG_GENERATION_MB = 2;
/** Bytes written before the thread is told (a message per write, ~1,000 at 10,000 base prompts, cost the
 * main thread ~50 µs each: waking another core is slow on a VM). */
const REPORT_BYTES = 4 << 20;

export class HashThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (sha256: string) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;
  private closed = false;
  /** Descriptors the thread reads through. */
  private readonly fds: number[] = [];
  /** Files written since the thread was last told, and how far. */
  private readonly unreported = new Map<number, number>();
  private unreportedBytes = 0;

  /** Starts the thread: at the start of a run, so that it boots while the input is checked. */
  constructor() {
    this.worker = startWorker(new URL('./hash-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    // The thread's boot put V8's flags back to their start-up values.
    this.worker.once('online', keepHeapPolicy);
    this.worker.on('message', (message: FromHashThread) => {
      if (message.type === 'error') return this.fail(deserializeError(message.error));
      const waiting = this.waiting.get(message.file);
      this.waiting.delete(message.file);
      waiting?.resolve(message.sha256);
    });
    // A crash outside the thread's own error handling (it failed to load, ran out of memory) is an error too.
    this.worker.on('error', (error) => this.fail(new Error(`the thread that hashes the files failed: ${error.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the thread that hashes the files stopped unexpectedly (exit code ${code})`));
    });
  }

  /** Starts hashing a file the run has just created. */
  open(file: number, path: string): void {
    const fd = openSync(path, 'r');
    this.fds.push(fd);
    this.post({ type: 'open', file, path, fd });
  }

  /** The file's first `end` bytes are written (`bytes` of them by the last write). */
  written(file: number, end: number, bytes: number): void {
    this.unreported.set(file, end);
    this.unreportedBytes += bytes;
    if (this.unreportedBytes >= REPORT_BYTES) this.report();
  }

  /** The sha256 of the file's `end` bytes, once the thread has read them all. */
  digest(file: number, end: number): Promise<string> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.report();
    return new Promise((resolve, reject) => {
      this.waiting.set(file, { resolve, reject });
      this.post({ type: 'digest', file, end });
    });
  }

  /** Stops the thread (always called, after the run or when it fails). */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }

  private report(): void {
    if (this.unreported.size === 0) return;
    this.post({ type: 'written', ends: [...this.unreported] });
    this.unreported.clear();
    this.unreportedBytes = 0;
  }

  private post(message: ToHashThread): void {
    if (this.failure === undefined && !this.closed) this.worker.postMessage(message);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const { reject } of this.waiting.values()) reject(this.failure);
    this.waiting.clear();
  }
}
