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
  /** The first write that failed: every later call throws it. */
  private failure: unknown;

  private constructor(
    private readonly plan: RunPlan,
    /** By file index: the run's files, then rejects.jsonl (absent when the backend never rejects). */
    private readonly writers: (JsonlWriter | undefined)[],
  ) {}

  /** Creates the files. `hashThread`: hashes them (else each is hashed here as it is written). */
  static open(folder: OutputFolder, plan: RunPlan, withRejects: boolean, hashThread?: HashThread): RunFiles {
    const writers: (JsonlWriter | undefined)[] = [];
    const stageBytes = stageBytesFor(plan.files.length + 1);
    const create = (path: string) => new JsonlWriter(folder.temp(path), stageBytes, hashThread && { thread: hashThread, file: writers.length });
    try {
      for (const { file } of plan.files) writers.push(create(file.path));
      writers.push(withRejects ? create(REJECTS_FILE) : undefined);
    } catch (error) {
      // The files made so far are closed here: the caller has no RunFiles to abandon.
      for (const writer of writers) writer?.abandon();
      throw error;
    }
    return new RunFiles(plan, writers);
  }

  /** Writes one chunk: each segment to its file, in order. */
  write(chunk: Chunk): void {
    if (this.failure !== undefined) throw this.failure;
    const { buffer, segments } = chunk;
    try {
      for (let i = 0; i < segments.length; i += 3) {
        const writer = this.writers[segments[i]!];
        if (writer === undefined) throw new Error(`a chunk names file ${segments[i]}, which this run does not write`);
        writer.write(new Uint8Array(buffer, segments[i + 1]!, segments[i + 2]! - segments[i + 1]!));
      }
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /** Closes every file and describes each for the manifest, with the rows and labels the run counted. */
  async close(counts: readonly FileCount[]): Promise<{ files: ManifestFile[]; rejects: { path: string; records: number; sha256: string } | null }> {
    if (this.failure !== undefined) throw this.failure;
    // Every file is closed at once; a hash thread still reading their last bytes settles the digests after.
    const digests = await Promise.all(this.writers.map((writer) => writer?.close()));
    const files: ManifestFile[] = [];
    for (const [index, { dataset, file }] of this.plan.files.entries()) {
      const sha256 = digests[index]!;
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
    const rejects = digests[this.plan.files.length];
    return { files, rejects: rejects === undefined ? null : { path: REJECTS_FILE, records: counts[this.plan.files.length]!.lines, sha256: rejects } };
  }

  abandon(): void {
    for (const writer of this.writers) writer?.abandon();
  }
}
