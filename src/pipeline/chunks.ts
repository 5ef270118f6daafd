/*
 * The bytes of a run travel in chunks: a fixed-size buffer holding, file after file, the lines gathered for
 * each file since the last chunk. A thread owns a small pool of such buffers shared by all files; a buffer
 * goes back to the pool once the main thread has written it, and a thread with no free buffer waits. That
 * wait is the backpressure that keeps memory flat however many files and records a run writes.
 */

/** Bytes for one or more files: `segments` holds (file index, start, end) triples into `buffer`; a file's
 * segments are in the order of its bytes. */
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
 * Gathers each file's lines as one string and, once ~128 K characters are pending over all files, encodes
 * them with `encodeInto` straight into the buffer being filled (no byteLength pass, no intermediate copy);
 * a buffer that is nearly full, or the last one of a block (`flush`), goes to `emit`. Encoding little and
 * often lets each line's string die young: text pending for a whole buffer outlived the young generation
 * and became old-generation garbage. A file may have several segments in a chunk, in order.
 */
export class ChunkEncoder {
  private pending: string[];
  private pendingChars = 0;
  /** The buffer being filled, once one is acquired. */
  private current: { buffer: ArrayBuffer; view: Uint8Array; offset: number; segments: number[] } | undefined;
  /** Encodings waiting for a buffer: while any does, later text queues behind it, so chunks keep the order of the lines. */
  private queued = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly fileCount: number,
    private readonly pool: BufferPool,
    private readonly emit: (chunk: Chunk) => void,
  ) {
    this.pending = new Array<string>(fileCount).fill('');
  }

  /** Pending characters that are encoded into the buffer. */
  private get encodeAt(): number {
    return this.pool.size >> 3;
  }

  /** Adds one line of file `file`. Returns a promise only when the caller must wait (for a buffer). */
  append(file: number, line: string): Promise<void> | undefined {
    this.pending[file] += line;
    this.pending[file] += '\n';
    this.pendingChars += line.length + 1;
    return this.pendingChars >= this.encodeAt ? this.encodePending(false) : undefined;
  }

  /** Encodes everything pending and emits the last buffer; settles once it is emitted. */
  flush(): Promise<void> {
    return this.encodePending(true) ?? Promise.resolve();
  }

  /** Encodes the pending text: at once when the buffer being filled surely has room, else after the queue. */
  private encodePending(emitAfter: boolean): Promise<void> | undefined {
    const texts = this.pending;
    const chars = this.pendingChars;
    this.pending = new Array<string>(this.fileCount).fill('');
    this.pendingChars = 0;
    const current = this.current;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.queued === 0 && current !== undefined && current.view.length - current.offset >= 3 * chars) {
      for (let file = 0; file < texts.length; file++) this.encodeInto(current, file, texts[file]!);
      this.emitIfDone(emitAfter);
      return undefined;
    }
    this.queued++;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.encodeQueued(texts, emitAfter);
      } finally {
        this.queued--;
      }
    });
    return this.flushing;
  }

  private async encodeQueued(texts: string[], emitAfter: boolean): Promise<void> {
    for (let file = 0; file < texts.length; file++) {
      let text = texts[file]!;
      while (text.length > 0) {
        this.current ??= await this.fresh();
        const read = this.encodeInto(this.current, file, text);
        if (read === text.length) break;
        // The buffer is full (encodeInto never splits a character): the rest goes into the next one.
        text = text.slice(read);
        this.emitCurrent();
      }
    }
    this.emitIfDone(emitAfter);
  }

  private async fresh() {
    const buffer = await this.pool.acquire();
    return { buffer, view: new Uint8Array(buffer), offset: 0, segments: [] as number[] };
  }

  /** Encodes what fits of `text` into `into` as a segment of `file`; returns the characters read. */
  private encodeInto(into: NonNullable<ChunkEncoder['current']>, file: number, text: string): number {
    if (text.length === 0) return 0;
    const { read, written } = encoder.encodeInto(text, into.view.subarray(into.offset));
    if (written > 0) into.segments.push(file, into.offset, into.offset + written);
    into.offset += written;
    return read;
  }

  /** Emits the buffer at the end of a block, or once another round of text might not fit. */
  private emitIfDone(always: boolean): void {
    const current = this.current;
    if (current === undefined) return;
    if (always || current.view.length - current.offset < 3 * this.encodeAt) this.emitCurrent();
  }

  private emitCurrent(): void {
    const current = this.current!;
    this.current = undefined;
    if (current.segments.length > 0) this.emit({ buffer: current.buffer, segments: current.segments });
    else this.pool.release(current.buffer);
  }
}
