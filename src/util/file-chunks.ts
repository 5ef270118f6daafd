import { open } from 'node:fs/promises';

/** Bytes [start, end) of a file that start at a line's start and end after a newline (or at the end of
 * the file): lines are numbered from 1 at `start`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Bytes read per step, into one of two buffers reused for the whole file. Under ~1 MB so that a chunk's
 * text is an ordinary heap string: Node makes longer decoded strings external, freed only by a full GC. */
const CHUNK_BYTES = 1 << 19;

/**
 * The bytes of a file (or of `range`) in chunks read into three buffers taken in turn, the next chunk read
 * while the consumer works on this one (waiting for each read after asking for it left the thread idle a
 * seventh of the time a 100 MB prompts file was checked). A chunk is valid until the one after next is
 * read, and its consumer is done with it by then (utf8Lines copies the part of a line it carries over). A
 * read stream allocated a new 1 MB buffer per chunk, freed only when the garbage collector ran: tens of MB
 * outside the heap while a 100 MB prompts file was read.
 */
export async function* fileChunks(file: string, range?: ByteRange): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  const end = range?.end ?? Infinity;
  const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  const read = (turn: number, position: number) => {
    const done = handle.read(buffers[turn]!, 0, Math.min(CHUNK_BYTES, end - position), position);
    // Awaited when the chunk is asked for: a read that fails while the consumer works on the previous
    // chunk must not count as an unhandled rejection (which ends the process) in the meantime.
    done.catch(() => undefined);
    return { turn, position, done };
  };
  let next: ReturnType<typeof read> | undefined;
  try {
    const start = range?.start ?? 0;
    next = start < end ? read(0, start) : undefined;
    while (next !== undefined) {
      const current = next;
      next = undefined;
      const { bytesRead } = await current.done;
      if (bytesRead === 0) return;
      const following = current.position + bytesRead;
      if (following < end) next = read((current.turn + 1) % buffers.length, following);
      yield buffers[current.turn]!.subarray(0, bytesRead);
    }
  } finally {
    // A consumer that stops early leaves a read under way: it ends before the file is closed.
    await next?.done.catch(() => undefined);
    await handle.close();
  }
}
