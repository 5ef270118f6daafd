import type { ManifestFile } from '../schemas/manifest.js';
import type { Chunk } from './chunks.js';
import type { HashThread } from './hash-thread.js';
import { JsonlWriter } from './jsonl-writer.js';
import type { OutputFolder } from './output-folder.js';
import type { RunPlan } from './run-plan.js';
import type { FileCount } from './tallies.js';

export const REJECTS_FILE = 'rejects.jsonl';

/** What the files of a run gather before writing, together (see JsonlWriter): ~170 KB a file for a default
 * run's two dozen files, 64 KB each for a hundred. */
const STAGING_BYTES = 4 << 20;
const stageBytesFor = (files: number) => Math.max(64 << 10, Math.min(512 << 10, Math.floor(STAGING_BYTES / files / 4096) * 4096));

/**
 * The files of a run on the main thread, in the staging folder: chunks are written one after another in
 * the order they are given (block order), so every file's bytes land, and are hashed, in plan order.
 */
export class RunFiles {
  /** The first write that failed; later chunks are dropped and `failure` is thrown by the next call. */
  private failure: unknown;
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly plan: RunPlan,
    /** By file index: the run's files, then rejects.jsonl (absent when the backend never rejects). */
    private readonly writers: (JsonlWriter | undefined)[],
  ) {}

  /** `hashThread`: hashes the files (else each is hashed here as it is written). */
  static async open(folder: OutputFolder, plan: RunPlan, withRejects: boolean, hashThread?: HashThread): Promise<RunFiles> {
    const writers: (JsonlWriter | undefined)[] = [];
    const files = new RunFiles(plan, writers);
    const stageBytes = stageBytesFor(plan.files.length + 1);
    const create = (path: string) => JsonlWriter.create(folder.temp(path), stageBytes, hashThread && { thread: hashThread, file: writers.length });
    for (const { file } of plan.files) writers.push(await create(file.path));
    writers.push(withRejects ? await create(REJECTS_FILE) : undefined);
    return files;
  }

  /** Writes one chunk (each file's segments in one call, in order; different files in parallel). */
  async write(chunk: Chunk): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const { buffer, segments } = chunk;
    const parts = new Map<number, Uint8Array[]>();
    for (let i = 0; i < segments.length; i += 3) {
      const file = segments[i]!;
      if (this.writers[file] === undefined) throw new Error(`a chunk names file ${file}, which this run does not write`);
      const bytes = new Uint8Array(buffer, segments[i + 1]!, segments[i + 2]! - segments[i + 1]!);
      const list = parts.get(file);
      if (list) list.push(bytes);
      else parts.set(file, [bytes]);
    }
    const writes: Promise<void>[] = [];
    for (const [file, list] of parts) writes.push(this.writers[file]!.write(list));
    try {
      await Promise.all(writes);
    } catch (error) {
      this.failure ??= error;
      throw error;
    }
  }

  /** Queues a chunk behind the ones queued before and calls `done` once it is written (or dropped after a
   * failure). For the in-process path, where the producer does not wait for the disk, only for buffers. */
  enqueue(chunk: Chunk, done: () => void): void {
    if (this.failure !== undefined) throw this.failure;
    this.queue = this.queue.then(() => this.write(chunk).catch(() => undefined)).finally(done);
  }

  /** Settles when every queued chunk is written; throws the first failed write. */
  async drain(): Promise<void> {
    await this.queue;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Closes every file and describes each for the manifest, with the rows and labels the run counted. */
  async close(counts: readonly FileCount[]): Promise<{ files: ManifestFile[]; rejects: { path: string; records: number; sha256: string } | null }> {
    await this.drain();
    const files: ManifestFile[] = [];
    for (const [index, { dataset, file }] of this.plan.files.entries()) {
      const sha256 = await this.writers[index]!.close();
      const count = counts[index]!;
      files.push({
        path: file.path,
        stage: dataset.stage.name,
        variant: dataset.variant.name,
        split: dataset.stage.split,
        format: file.format.name,
        mode: dataset.mode,
        schema: file.schemaFile,
        records: count.lines,
        sha256,
        labels: { fires: count.fires, no_fire: count.noFire },
        slices: count.slices,
      });
    }
    const rejects = this.writers[this.plan.files.length];
    return { files, rejects: rejects === undefined ? null : { path: REJECTS_FILE, records: counts[this.plan.files.length]!.lines, sha256: await rejects.close() } };
  }

  async abandon(): Promise<void> {
    await this.queue;
    await Promise.all(this.writers.map((writer) => writer?.abandon()));
  }
}
