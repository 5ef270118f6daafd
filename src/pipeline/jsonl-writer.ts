import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Appends JSON lines to a file. Lines are gathered into a string of about `flushAt` characters (one
 * write() per line is about half as fast), encoded into one of two reusable byte buffers, and written while
 * the next batch is gathered; a batch waits for the write before the previous one (backpressure), so
 * memory stays at two buffers per file however many records are written. Fresh Buffers per batch would
 * leave tens of MB of dead external memory between garbage collections.
 */
export class JsonlWriter {
  records = 0;
  private pending = '';
  private readonly hash: Hash = createHash('sha256');
  private buffers: [Buffer, Buffer];
  private inflight: Promise<void> | undefined;
  private handle: FileHandle | undefined;

  private constructor(
    readonly path: string,
    private readonly flushAt: number,
    handle: FileHandle,
  ) {
    this.handle = handle;
    this.buffers = [Buffer.allocUnsafe(flushAt * 2), Buffer.allocUnsafe(flushAt * 2)];
  }

  /** Creates the file; 'wx' because a temp file that exists already means another run writes here too. */
  static async create(path: string, flushAt = 1 << 20): Promise<JsonlWriter> {
    return new JsonlWriter(path, flushAt, await open(path, 'wx'));
  }

  /** Adds one line. Returns a promise only when the caller must wait for the disk. */
  append(line: string): Promise<void> | undefined {
    this.pending += line;
    this.pending += '\n';
    this.records++;
    return this.pending.length >= this.flushAt ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    const text = this.pending;
    this.pending = '';
    await this.inflight; // the other buffer is free once its write has finished
    const length = Buffer.byteLength(text);
    if (this.buffers[0].length < length) this.buffers[0] = Buffer.allocUnsafe(length);
    const buffer = this.buffers[0];
    buffer.write(text, 0, length, 'utf8');
    const bytes = buffer.subarray(0, length);
    this.hash.update(bytes);
    this.buffers = [this.buffers[1], buffer];
    this.inflight = writeAll(this.handle!, bytes);
  }

  /** Writes what is left, closes the file and returns its sha256. */
  async close(): Promise<string> {
    if (this.pending.length > 0) await this.flush();
    await this.inflight;
    await this.handle!.close();
    this.handle = undefined;
    return this.hash.digest('hex');
  }

  /** Closes without caring about the contents (the run failed; the temp file is removed next). */
  async abandon(): Promise<void> {
    await this.inflight?.catch(() => undefined);
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
