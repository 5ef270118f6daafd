import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { HashThread } from './hash-thread.js';

/**
 * One output file on the main thread: takes its bytes in order (already encoded, whole lines or not),
 * hashes them and writes them. The caller waits for one write before giving the next, so bytes land and
 * are hashed in order. With a hash thread (hash-thread.ts), the thread hashes what each write put in the file.
 *
 * Bytes are gathered in a buffer of the file's own (`stageBytes`) and written when it is full: a chunk
 * carries a few KB to a few tens of KB per file, and writing each piece as it came took ~20 µs of the
 * main thread per call (a fifth of its time with two producers).
 */
export class JsonlWriter {
  /** The hash taken here, without a hash thread. */
  private readonly hash: Hash | undefined;
  private handle: FileHandle | undefined;
  private readonly staged: Uint8Array;
  private used = 0;
  /** Bytes in the file. */
  private size = 0;

  private constructor(
    readonly path: string,
    handle: FileHandle,
    stageBytes: number,
    private readonly hashedBy: { thread: HashThread; file: number } | undefined,
  ) {
    this.handle = handle;
    this.hash = hashedBy === undefined ? createHash('sha256') : undefined;
    // Not zero-filled: a page of it costs memory only once bytes are written there (a small run's files
    // touch a page or two).
    this.staged = Buffer.allocUnsafeSlow(stageBytes);
  }

  /** Creates the file; 'wx' because a temp file that exists already means another run writes here too. */
  static async create(path: string, stageBytes: number, hashedBy?: { thread: HashThread; file: number }): Promise<JsonlWriter> {
    const writer = new JsonlWriter(path, await open(path, 'wx'), stageBytes, hashedBy);
    hashedBy?.thread.open(hashedBy.file, path);
    return writer;
  }

  /** Appends `parts`, in order (the caller may reuse them once this settles). Errors name the file. */
  async write(parts: readonly Uint8Array[]): Promise<void> {
    for (const bytes of parts) {
      this.hash?.update(bytes);
      for (let from = 0; from < bytes.length; ) {
        if (this.used === this.staged.length) await this.flush();
        const take = Math.min(bytes.length - from, this.staged.length - this.used);
        this.staged.set(bytes.subarray(from, from + take), this.used);
        this.used += take;
        from += take;
      }
    }
  }

  /** Writes what is gathered (a short write resumes where it stopped). */
  private async flush(): Promise<void> {
    const end = this.used;
    this.used = 0;
    try {
      for (let done = 0; done < end; ) done += (await this.handle!.write(this.staged, done, end - done)).bytesWritten;
    } catch (error) {
      throw withPath(error, this.path);
    }
    this.size += end;
    if (end > 0) this.hashedBy?.thread.written(this.hashedBy.file, this.size);
  }

  /** Closes the file and returns its sha256. */
  async close(): Promise<string> {
    await this.flush();
    const handle = this.handle!;
    this.handle = undefined;
    try {
      await handle.close();
    } catch (error) {
      throw withPath(error, this.path);
    }
    return this.hashedBy === undefined ? this.hash!.digest('hex') : this.hashedBy.thread.digest(this.hashedBy.file, this.size);
  }

  /** Closes without caring about the contents (the run failed; the temp file is removed next). */
  async abandon(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}

/** FileHandle errors carry no path; the message must name the file. */
function withPath(error: unknown, path: string): unknown {
  if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined) (error as NodeJS.ErrnoException).path = path;
  return error;
}
