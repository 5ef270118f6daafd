import { createHash, type Hash } from 'node:crypto';
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { FromHashThread, ToHashThread } from './hash-thread.js';

/*
 * The thread of hash-thread.ts: reads back the bytes of each file as far as the main thread reports them
 * written, and hashes them. It imports nothing of the pipeline, so it starts in a few milliseconds.
 */

interface HashedFile {
  path: string;
  fd: number;
  hash: Hash;
  /** Bytes read and hashed so far. */
  hashed: number;
}

const port = parentPort!;
const files: HashedFile[] = [];
const buffer = Buffer.allocUnsafe(1 << 20);

/** Hashes the file's bytes up to `end`. */
function catchUp(file: HashedFile, end: number): void {
  while (file.hashed < end) {
    const read = readSync(file.fd, buffer, 0, Math.min(buffer.length, end - file.hashed), file.hashed);
    if (read === 0) throw Object.assign(new Error(`${file.path} holds ${file.hashed} bytes, fewer than the ${end} written to it`), { path: file.path });
    file.hash.update(buffer.subarray(0, read));
    file.hashed += read;
  }
}

function receive(message: ToHashThread): void {
  if (message.type === 'open') {
    files[message.file] = { path: message.path, fd: message.fd, hash: createHash('sha256'), hashed: 0 };
    return;
  }
  if (message.type === 'written') {
    for (const [file, end] of message.ends) catchUp(files[file]!, end);
    return;
  }
  const file = files[message.file]!;
  catchUp(file, message.end);
  port.postMessage({ type: 'digest', file: message.file, sha256: file.hash.digest('hex') } satisfies FromHashThread);
}

port.on('message', (message: ToHashThread) => {
  try {
    receive(message);
  } catch (caught) {
    // As thread-errors.ts would send it (importing it would load the pipeline here): a system error keeps its path.
    const error = caught instanceof Error ? caught : new Error(String(caught));
    const { code, syscall, path } = error as NodeJS.ErrnoException;
    const system = { ...(code === undefined ? {} : { code }), ...(syscall === undefined ? {} : { syscall }), ...(path === undefined ? {} : { path }) };
    port.postMessage({ type: 'error', error: { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }), system } } satisfies FromHashThread);
  }
});
