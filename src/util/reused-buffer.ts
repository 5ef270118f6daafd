import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/*
 * A file read into one buffer that is reused, for files whose bytes are needed only for a moment (the text
 * a string is made of, a code cache V8 reads while compiling). On this kind of machine a first touch of a
 * memory page costs more than reading it: every fresh buffer is new pages, and Node allocates one per
 * readFileSync, freed only by a later garbage collection. One buffer, grown when a file is larger, is
 * touched once.
 */
let shared = Buffer.allocUnsafeSlow(1 << 18);

/** The file's bytes, valid until the next call (copy what must outlive it). */
export function readIntoReusedBuffer(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > shared.length) shared = Buffer.allocUnsafeSlow(Math.max(size, 2 * shared.length));
    let done = 0;
    while (done < size) {
      const bytes = readSync(fd, shared, done, size - done, done);
      if (bytes === 0) break;
      done += bytes;
    }
    return shared.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** The file's text (UTF-8), read through the reused buffer. */
export const readTextThroughReusedBuffer = (file: string): string => readIntoReusedBuffer(file).toString('utf8');
