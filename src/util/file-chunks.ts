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
 * The bytes of a file (or of `range`) in chunks read into two buffers taken in turn: a chunk is valid
 * until the one after next is read, and its consumer is done with it by then (utf8Lines copies the part
 * of a line it carries over). A read stream allocated a new 1 MB buffer per chunk, freed only when the
 * garbage collector ran: tens of MB outside the heap while a 100 MB prompts file was read.
 */
export async function* fileChunks(file: string, range?: ByteRange): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
    let position = range?.start ?? 0;
    const end = range?.end ?? Infinity;
    for (let turn = 0; position < end; turn ^= 1) {
      const buffer = buffers[turn]!;
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, end - position), position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
