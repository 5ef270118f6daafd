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

/** Size of one chunk buffer. Large enough that a chunk carries a few KB per file even with ~100 files;
 * small, since every producer has BUFFERS_PER_THREAD of them (1 MB took ~6 MB more RSS, no less CPU). */
export const CHUNK_BYTES = 1 << 19;
/** Buffers per thread: one being filled, the others being written or on their way. */
export const BUFFERS_PER_THREAD = 6;
/** Buffers of a worker thread. Its bytes wait while the main thread writes the blocks before them in order
 * (often its own, made between writes), and with six a worker ran out of buffers and stood idle: at
 * 100,000 base prompts its event loop was idle ~0.8 s of ~9.5 s, against ~0.2 s with twelve (the main
 * thread's ~0.47 s against ~0.38 s), for the same peak RSS (~144 MB with either). */
export const BUFFERS_PER_WORKER_THREAD = 12;

/** A fixed set of reusable buffers; `acquire` waits while all are out. */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private readonly waiting: ((buffer: ArrayBuffer) => void)[] = [];

  constructor(
    count = BUFFERS_PER_THREAD,
    readonly size = CHUNK_BYTES,
    /** Give the event loop a turn before each buffer and after each round of encoding (~128 K characters):
     * the main thread's own producer would otherwise hold up the writing, and so the other producers, for
     * as long as it has buffers. */
    readonly takeTurns = false,
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
 * Gathers each file's lines and, once ~128 K characters are pending over all files, encodes them line by
 * line with `encodeInto` straight into the buffer being filled (no byteLength pass, no joined copy of a
 * file's lines); a buffer that is nearly full, or the last one of a block (`flush`), goes to `emit`.
 * Encoding little and often lets each line's string die young: lines pending for a whole buffer outlived
 * the young generation and became old-generation garbage. A file may have several segments in a chunk,
 * in the order of its bytes.
 */
export class ChunkEncoder {
  private pending: string[][];
  private pendingChars = 0;
  /** The buffer being filled, once one is acquired. */
  private current: Filling | undefined;
  /** Encodings waiting for a buffer: while any does, later lines queue behind it, so chunks keep the order of the lines. */
  private queued = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly fileCount: number,
    private readonly pool: BufferPool,
    private readonly emit: (chunk: Chunk) => void,
  ) {
    this.pending = this.empty();
  }

  private empty(): string[][] {
    return Array.from({ length: this.fileCount }, () => []);
  }

  /** Pending characters that are encoded into the buffer. */
  private get encodeAt(): number {
    return this.pool.size >> 3;
  }

  /** Adds one line of file `file`. Returns a promise only when the caller must wait (for a buffer). */
  append(file: number, line: string): Promise<void> | undefined {
    this.pending[file]!.push(line);
    this.pendingChars += line.length + 1;
    if (this.pendingChars < this.encodeAt) return undefined;
    const waiting = this.encodePending(false);
    return waiting ?? (this.pool.takeTurns ? new Promise((resolve) => setImmediate(resolve)) : undefined);
  }

  /** Encodes everything pending and emits the last buffer; settles once it is emitted. */
  flush(): Promise<void> {
    return this.encodePending(true) ?? Promise.resolve();
  }

  /** Encodes the pending lines: at once when the buffer being filled surely has room, else after the queue. */
  private encodePending(emitAfter: boolean): Promise<void> | undefined {
    const files = this.pending;
    const chars = this.pendingChars;
    this.pending = this.empty();
    this.pendingChars = 0;
    const current = this.current;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.queued === 0 && current !== undefined && current.view.length - current.offset >= 3 * chars) {
      for (let file = 0; file < files.length; file++) for (const line of files[file]!) current.encode(file, line);
      this.emitIfDone(emitAfter);
      return undefined;
    }
    this.queued++;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.encodeQueued(files, emitAfter);
      } finally {
        this.queued--;
      }
    });
    return this.flushing;
  }

  private async encodeQueued(files: string[][], emitAfter: boolean): Promise<void> {
    for (let file = 0; file < files.length; file++) {
      for (const line of files[file]!) {
        let text = line;
        for (;;) {
          const current = (this.current ??= new Filling(await this.pool.acquire()));
          const read = current.encode(file, text);
          if (read > text.length) break;
          // The buffer is full (encodeInto never splits a character): the rest goes into the next one.
          text = text.slice(read);
          this.emitCurrent();
        }
      }
    }
    this.emitIfDone(emitAfter);
  }

  /** Emits the buffer at the end of a block, or once another round of lines might not fit. */
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

const NEWLINE = 0x0a;

/** A pooled buffer being filled, and its segments so far. */
class Filling {
  readonly view: Buffer;
  offset = 0;
  readonly segments: number[] = [];

  constructor(readonly buffer: ArrayBuffer) {
    this.view = Buffer.from(buffer);
  }

  /** Encodes what fits of `text` and, if all of it fit, its newline, as bytes of `file` (joined to the
   * previous segment when that one is the same file's). Returns the characters encoded, plus one for the
   * newline: more than `text.length` once the line is whole. */
  encode(file: number, text: string): number {
    const start = this.offset;
    let read = text.length;
    // A line that surely fits (UTF-8 takes at most 3 bytes per UTF-16 unit) is written at its offset: no
    // view of the rest of the buffer and no result object per line, as encodeInto needs. Both write a lone
    // surrogate as U+FFFD.
    if (this.view.length - start > 3 * text.length) this.offset += this.view.write(text, start);
    else {
      const done = encoder.encodeInto(text, this.view.subarray(start));
      read = done.read;
      this.offset += done.written;
    }
    const newline = read === text.length && this.offset < this.view.length;
    if (newline) this.view[this.offset++] = NEWLINE;
    if (this.offset > start) {
      const last = this.segments.length - 3;
      if (last >= 0 && this.segments[last] === file && this.segments[last + 2] === start) this.segments[last + 2] = this.offset;
      else this.segments.push(file, start, this.offset);
    }
    return newline ? read + 1 : read;
  }
}
