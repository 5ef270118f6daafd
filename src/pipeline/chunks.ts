/*
 * The bytes of a run travel in chunks: a fixed-size buffer holding, file after file, the lines gathered for
 * each file since the last chunk. A thread owns a small pool of such buffers shared by all files; a buffer
 * goes back to the pool once the main thread has written it, and a thread with no free buffer waits. That
 * wait is the backpressure that keeps memory flat however many files and records a run writes.
 */

/** Bytes for one or more files: `segments` holds (file index, start, end) triples into `buffer`, in file order. */
export interface Chunk {
  buffer: ArrayBuffer;
  segments: number[];
}

/** Size of one chunk buffer. Large enough that a chunk carries a few KB per file even with ~100 files. */
export const CHUNK_BYTES = 1 << 20;
/** Buffers per thread: one being filled, the others being written or on their way. */
export const BUFFERS_PER_THREAD = 4;

/** A fixed set of reusable buffers; `acquire` waits while all are out. */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly waiting: ((buffer: ArrayBuffer) => void)[] = [];

  constructor(count = BUFFERS_PER_THREAD, readonly size = CHUNK_BYTES) {
    for (let i = 0; i < count; i++) this.free.push(new ArrayBuffer(size));
  }

  /** A free buffer, or a promise of the next one released. */
  acquire(): ArrayBuffer | Promise<ArrayBuffer> {
    const buffer = this.free.pop();
    if (buffer !== undefined) return buffer;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(buffer: ArrayBuffer): void {
    const next = this.waiting.shift();
    if (next) next(buffer);
    else this.free.push(buffer);
  }
}

const encoder = new TextEncoder();
const NEWLINE = 10;

/**
 * Gathers each file's lines and, once about half a buffer's worth of text is pending over all files (or at
 * the end of a block), encodes them line by line straight into pooled buffers with `encodeInto` (no
 * byteLength pass, and no joined copy of a file's lines: joining them made one large string per file per
 * chunk, copied once more and, past 128 KB, allocated where only a full GC frees it) and hands each filled
 * buffer to `emit`.
 */
export class ChunkEncoder {
  private pending: string[][];
  private pendingChars = 0;
  private readonly flushAt: number;
  /** The flush under way: flushes run one after another, so chunks keep the order of the lines. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly fileCount: number,
    private readonly pool: BufferPool,
    private readonly emit: (chunk: Chunk) => void,
  ) {
    this.pending = this.empty();
    // UTF-8 takes at least one byte per UTF-16 unit: half a buffer of text mostly fits one chunk.
    this.flushAt = pool.size >> 1;
  }

  private empty(): string[][] {
    return Array.from({ length: this.fileCount }, () => []);
  }

  /** Adds one line of file `file`. Returns a promise only when the caller must wait (a flush for a buffer). */
  append(file: number, line: string): Promise<void> | undefined {
    this.pending[file]!.push(line);
    this.pendingChars += line.length + 1;
    return this.pendingChars >= this.flushAt ? this.flush() : undefined;
  }

  /** Encodes everything pending into chunks, in file order; settles when the last chunk is emitted. */
  flush(): Promise<void> {
    if (this.pendingChars > 0) {
      const lines = this.pending;
      this.pending = this.empty();
      this.pendingChars = 0;
      this.flushing = this.flushing.then(() => this.encode(lines));
    }
    return this.flushing;
  }

  private async encode(files: string[][]): Promise<void> {
    let buffer = await this.pool.acquire();
    let view = new Uint8Array(buffer);
    let offset = 0;
    let segments: number[] = [];
    for (let file = 0; file < files.length; file++) {
      let start = offset;
      for (const line of files[file]!) {
        let text = line;
        for (;;) {
          if (text.length > 0) {
            const { read, written } = encoder.encodeInto(text, view.subarray(offset));
            offset += written;
            text = read === text.length ? '' : text.slice(read);
          }
          if (text.length === 0 && offset < view.length) {
            view[offset++] = NEWLINE;
            break;
          }
          // The buffer is full (encodeInto never splits a character): the rest goes into the next one.
          if (offset > start) segments.push(file, start, offset);
          this.emit({ buffer, segments });
          buffer = await this.pool.acquire();
          view = new Uint8Array(buffer);
          offset = 0;
          start = 0;
          segments = [];
        }
      }
      if (offset > start) segments.push(file, start, offset);
    }
    if (segments.length > 0) this.emit({ buffer, segments });
    else this.pool.release(buffer);
  }
}
