import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Appends JSON lines to a file through a ~1 MB buffer (one write() per line is about half as fast), waits
 * for the stream to drain when the OS falls behind (so memory stays flat), and hashes what it writes.
 */
const FLUSH_AT = 1 << 20;

export class JsonlWriter {
  readonly path: string;
  records = 0;
  private buffer = '';
  private readonly stream: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  private failure: Error | undefined;

  constructor(path: string) {
    this.path = path;
    // 'wx': a temp file that already exists means another run is writing the same folder.
    this.stream = createWriteStream(path, { flags: 'wx', highWaterMark: 4 * FLUSH_AT });
    this.stream.on('error', (error) => (this.failure = error));
  }

  /** Adds one line. Returns a promise only when the caller must wait (buffer flushed into a full stream). */
  append(line: string): Promise<void> | undefined {
    this.buffer += line;
    this.buffer += '\n';
    this.records++;
    return this.buffer.length >= FLUSH_AT ? this.flush() : undefined;
  }

  private flush(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.buffer.length === 0) return undefined;
    const chunk = Buffer.from(this.buffer, 'utf8');
    this.buffer = '';
    this.hash.update(chunk);
    return this.stream.write(chunk) ? undefined : this.drained();
  }

  private async drained(): Promise<void> {
    // events.once rejects if the stream emits 'error' while we wait.
    await once(this.stream, 'drain');
  }

  /** Flushes, closes the file and returns its sha256. */
  async close(): Promise<string> {
    await this.flush();
    if (this.failure) throw this.failure;
    this.stream.end();
    await once(this.stream, 'close');
    if (this.failure) throw this.failure;
    return this.hash.digest('hex');
  }

  /** Closes without caring about the contents (the run failed; the temp file is removed next). */
  async abandon(): Promise<void> {
    if (this.stream.closed) return;
    this.stream.destroy();
    await once(this.stream, 'close').catch(() => undefined);
  }
}
