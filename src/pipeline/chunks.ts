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
export const BUFFERS_PER_THREAD = 6;

/** A fixed set of reusable buffers; `acquire` waits while all are out. */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly waiting: ((buffer: ArrayBuffer) => void)[] = [];

  constructor(
    count = BUFFERS_PER_THREAD,
    readonly size = CHUNK_BYTES,
    /** Give the event loop a turn before each buffer: the main thread's own producer would otherwise hold
     * up the writing (and the other producers' messages) for as long as it has buffers. */
    private readonly takeTurns = false,
  ) {
    for (let i = 0; i < count; i++) this.free.push(new ArrayBuffer(size));
  }

  /** A free buffer, or a promise of the next one released. */
  acquire(): ArrayBuffer | Promise<ArrayBuffer> {
    if (this.takeTurns) return new Promise((resolve) => setImmediate(() => resolve(this.take())));
    return this.take();
  }

  private take(): ArrayBuffer | Promise<ArrayBuffer> {
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

/**
 * Gathers each file's lines as one string and, once about half a buffer's worth of text is pending over all
 * files (or at the end of a block), encodes them straight into pooled buffers with `encodeInto` (no
 * byteLength pass, no intermediate copy) and hands each filled buffer to `emit`.
 */
export class ChunkEncoder {
  private pending: string[];
  private pendingChars = 0;
  private readonly flushAt: number;
  /** The flush under way: flushes run one after another, so chunks keep the order of the lines. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly fileCount: number,
    private readonly pool: BufferPool,
    private readonly emit: (chunk: Chunk) => void,
  ) {
    this.pending = new Array<string>(fileCount).fill('');
    // UTF-8 takes at least one byte per UTF-16 unit: mostly ASCII text of 7/8 of a buffer fits one chunk
    // (more spills into the next buffer).
    this.flushAt = pool.size - (pool.size >> 3);
  }

  /** Adds one line of file `file`. Returns a promise only when the caller must wait (a flush for a buffer). */
  append(file: number, line: string): Promise<void> | undefined {
    this.pending[file] += line;
    this.pending[file] += '\n';
    this.pendingChars += line.length + 1;
    return this.pendingChars >= this.flushAt ? this.flush() : undefined;
  }

  /** Encodes everything pending into chunks, in file order; settles when the last chunk is emitted. */
  flush(): Promise<void> {
    if (this.pendingChars > 0) {
      const texts = this.pending;
      this.pending = new Array<string>(this.fileCount).fill('');
      this.pendingChars = 0;
      this.flushing = this.flushing.then(() => this.encode(texts));
    }
    return this.flushing;
  }

  private async encode(texts: string[]): Promise<void> {
    let buffer = await this.pool.acquire();
    let view = new Uint8Array(buffer);
    let offset = 0;
    let segments: number[] = [];
    for (let file = 0; file < texts.length; file++) {
      let text = texts[file]!;
      while (text.length > 0) {
        const { read, written } = encoder.encodeInto(text, view.subarray(offset));
        if (written > 0) segments.push(file, offset, offset + written);
        offset += written;
        if (read === text.length) break;
        // The buffer is full (encodeInto never splits a character): the rest goes into the next one.
        text = text.slice(read);
        this.emit({ buffer, segments });
        buffer = await this.pool.acquire();
        view = new Uint8Array(buffer);
        offset = 0;
        segments = [];
      }
    }
    if (segments.length > 0) this.emit({ buffer, segments });
    else this.pool.release(buffer);
  }
}
