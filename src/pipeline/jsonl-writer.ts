import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * One output file on the main thread: takes its bytes in order (already encoded, whole lines or not),
 * hashes them and writes them. The caller waits for one write before giving the next, so bytes land and
 * are hashed in order.
 */
export class JsonlWriter {
  private readonly hash: Hash = createHash('sha256');
  private handle: FileHandle | undefined;

  private constructor(
    readonly path: string,
    handle: FileHandle,
  ) {
    this.handle = handle;
  }

  /** Creates the file; 'wx' because a temp file that exists already means another run writes here too. */
  static async create(path: string): Promise<JsonlWriter> {
    return new JsonlWriter(path, await open(path, 'wx'));
  }

  /** Appends `parts`, in order, in one call (the caller may reuse them once this settles). Errors name the file. */
  async write(parts: readonly Uint8Array[]): Promise<void> {
    for (const bytes of parts) this.hash.update(bytes);
    try {
      let rest = parts;
      while (rest.length > 0) {
        let { bytesWritten } = await this.handle!.writev(rest as Uint8Array[]);
        // A short write: drop what was written, resume inside the part it stopped in.
        let first = 0;
        while (first < rest.length && bytesWritten >= rest[first]!.length) bytesWritten -= rest[first++]!.length;
        rest = first < rest.length ? [rest[first]!.subarray(bytesWritten), ...rest.slice(first + 1)] : [];
      }
    } catch (error) {
      throw withPath(error, this.path);
    }
  }

  /** Closes the file and returns its sha256. */
  async close(): Promise<string> {
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
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}

/** FileHandle errors carry no path; the message must name the file. */
function withPath(error: unknown, path: string): unknown {
  if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined) (error as NodeJS.ErrnoException).path = path;
  return error;
}
