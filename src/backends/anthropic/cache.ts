import { critical } from '../../util/cleanup.js';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenUsage } from './types.js';

/** One stored answer. The request itself is not stored: its key (sha256 of it) is the file name. */
export interface CachedAnswer {
  v: 1;
  key: string;
  model: string;
  text: string;
  usage: TokenUsage;
  stop_reason: string | null;
  /** How the answer was obtained: a direct Messages call or a Message Batch (billed at half price). */
  source: 'messages' | 'batch';
  batch_id?: string;
  stored_at: string;
}

const KEY_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The on-disk response cache: one small JSON file per answer under `<dir>/responses/ab/cd/<key>.json`.
 *
 * Why files and not a JSONL log: every write is a complete file written under a temporary name, flushed and
 * renamed into place, and rename is atomic, so a crash at any moment leaves either the whole entry or none
 * (never a torn line to repair), concurrent writers need no lock, and nothing is held in memory (a lookup is
 * one stat/read). The two-level fan-out keeps directories small (65,536 buckets) for millions of entries.
 */
export class ResponseCache {
  readonly dir: string;
  private readonly responsesDir: string;
  private readonly tmpDir: string;
  private tmpReady: Promise<void> | undefined;

  constructor(dir: string) {
    this.dir = dir;
    this.responsesDir = join(dir, 'responses');
    this.tmpDir = join(dir, 'tmp');
  }

  pathFor(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new TypeError(`not a cache key: ${JSON.stringify(key)}`);
    return join(this.responsesDir, key.slice(0, 2), key.slice(2, 4), `${key}.json`);
  }

  /** The stored answer, or undefined. An unreadable entry (which atomic writes should make impossible, short
   * of disk damage) counts as missing so the request is simply made again and the entry rewritten. */
  async get(key: string): Promise<CachedAnswer | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathFor(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const entry = JSON.parse(text) as CachedAnswer;
      return entry.v === 1 && entry.key === key && typeof entry.text === 'string' ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Writes an entry atomically: temp file in the same file system, fsync, rename over the final name. */
  async put(entry: CachedAnswer): Promise<void> {
    // A paid answer is worth the milliseconds: a Ctrl-C waits for the write to land (see critical).
    return critical(() => this.write(entry));
  }

  private async write(entry: CachedAnswer): Promise<void> {
    const finalPath = this.pathFor(entry.key);
    await (this.tmpReady ??= mkdir(this.tmpDir, { recursive: true }).then(() => undefined));
    const tmpPath = join(this.tmpDir, `${entry.key}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tmpPath, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(entry)}\n`, 'utf8');
      // Flush before the rename: otherwise a power loss can leave a renamed but empty file.
      await handle.datasync();
    } finally {
      await handle.close();
    }
    try {
      await mkdir(join(finalPath, '..'), { recursive: true });
      await rename(tmpPath, finalPath);
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
  }

  /** Every stored key (walks the tree; for statistics and tests, not the hot path). */
  async *keys(): AsyncGenerator<string> {
    const level = async (dir: string): Promise<string[]> => {
      try {
        return (await readdir(dir)).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    };
    for (const a of await level(this.responsesDir)) {
      for (const b of await level(join(this.responsesDir, a))) {
        for (const name of await level(join(this.responsesDir, a, b))) {
          if (name.endsWith('.json')) yield name.slice(0, -'.json'.length);
        }
      }
    }
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.keys()) n++;
    return n;
  }
}
