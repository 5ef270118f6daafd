import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Appends JSON lines to a file. Lines are gathered into a string of about `flushAt` characters (one
 * write() per line is about half as fast), encoded into one reusable byte buffer and written while the next
 * batch is gathered. Writes are queued one after another, so they land in order even when callers do not
 * wait; a batch is encoded only once the previous write has finished (that wait is the backpressure), so
 * memory stays at one buffer per file however many records are written. A fresh Buffer per batch would
 * leave tens of MB of dead external memory between garbage collections.
 */
export class JsonlWriter {
  records = 0;
  private pending = '';
  private readonly hash: Hash = createHash('sha256');
  private buffer: Buffer;
  /** Settles when the last queued write has finished. */
  private queue: Promise<void> = Promise.resolve();
  private handle: FileHandle | undefined;
  /** The first write that failed; every later append() and close() throws it. */
  private failure: unknown;

  private constructor(
    readonly path: string,
    private readonly flushAt: number,
    handle: FileHandle,
  ) {
    this.handle = handle;
    this.buffer = Buffer.allocUnsafe(flushAt * 2);
  }

  /** Creates the file; 'wx' because a temp file that exists already means another run writes here too. */
  static async create(path: string, flushAt = 1 << 20): Promise<JsonlWriter> {
    return new JsonlWriter(path, flushAt, await open(path, 'wx'));
  }

  /** Adds one line. Returns a promise only when the caller should wait for the disk. Throws the error of
   * an earlier write that failed (disk full, ...): a run never goes on writing after a lost batch. */
  append(line: string): Promise<void> | undefined {
    if (this.failure !== undefined) throw this.failure;
    this.pending += line;
    this.pending += '\n';
    this.records++;
    return this.pending.length >= this.flushAt ? this.flush() : undefined;
  }

  /** Queues the gathered lines; the promise settles when their write has started. It never rejects (a
   * caller may drop it): a failed write is kept and thrown by the next append() or by close(). */
  private flush(): Promise<void> {
    const text = this.pending;
    this.pending = '';
    let write: Promise<void> = Promise.resolve();
    const started = this.queue.then(() => {
      if (this.failure !== undefined || this.handle === undefined) return;
      const length = Buffer.byteLength(text);
      if (this.buffer.length < length) this.buffer = Buffer.allocUnsafe(length);
      this.buffer.write(text, 0, length, 'utf8');
      const bytes = this.buffer.subarray(0, length);
      this.hash.update(bytes);
      write = writeAll(this.handle, bytes).catch((error: unknown) => {
        this.failure ??= withPath(error, this.path);
      });
    });
    this.queue = started.then(() => write);
    return started;
  }

  /** Writes what is left, closes the file and returns its sha256. */
  async close(): Promise<string> {
    if (this.pending.length > 0) await this.flush();
    await this.queue;
    if (this.failure !== undefined) throw this.failure;
    const handle = this.handle!;
    this.handle = undefined;
    try {
      await handle.close();
    } catch (error) {
      throw withPath(error, this.path);
    }
    return this.hash.digest('hex');
  }

  /** Closes without caring about the contents (the run failed; the temp file is removed next). */
  async abandon(): Promise<void> {
    await this.queue;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/** FileHandle errors carry no path; the message must name the file. */
function withPath(error: unknown, path: string): unknown {
  if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined) (error as NodeJS.ErrnoException).path = path;
  return error;
}
