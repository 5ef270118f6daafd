import { join } from 'node:path';
import type { CheckedFile } from './check.js';
import { formats } from '../formats/index.js';
import { readJsonObjects } from '../util/jsonl.js';
import { readCanonicalRecords } from './canonical-lines.js';
import { compareDigest, Digest, fileProblems, type IntegrityProblem, type ListedDigest } from './folder-integrity.js';
import { RecordChecks, Source, type ChecksOptions, type ChecksState, type TestReference } from './record-checks.js';
import { runFactsOfFolder } from './run-facts.js';

/**
 * The share of `check DIR` one worker does: read some of the folder's files, each once, parsing its records
 * into the shared invariants (RecordChecks) and hashing its bytes for files-match-manifest in the same pass.
 * Runs in a worker thread (check-worker.ts) or, for small folders, in the calling thread.
 */

/** A file to read: as canonical records, as a trainer format's rows, or only for its digest. */
export interface FileJob extends Omit<CheckedFile, 'records'> {
  read: 'canonical' | 'trainer' | 'digest';
  /** What manifest.json says of its bytes, if it lists a digest. */
  digest: ListedDigest | undefined;
  bytes: number;
}

export interface FilesResult {
  state: ChecksState;
  /** Records (or rows) read per job, in the jobs' order; null for a file only hashed. */
  records: (number | null)[];
  problems: IntegrityProblem[];
}

export async function checkFiles(dir: string, jobs: readonly FileJob[], options: ChecksOptions, reference?: TestReference): Promise<FilesResult> {
  const checks = new RecordChecks(runFactsOfFolder(dir), options, reference);
  const records: (number | null)[] = [];
  const problems: IntegrityProblem[] = [];
  for (const job of jobs) {
    const path = join(dir, job.path);
    if (job.read === 'digest') {
      records.push(null);
      if (job.digest) problems.push(...(await fileProblems(dir, job.digest)));
      continue;
    }
    const digest = new Digest();
    const onBytes = (chunk: Buffer) => digest.update(chunk);
    let count = 0;
    if (job.read === 'canonical') {
      const source = new Source({ name: job.path, split: job.split }, false);
      for await (const batch of readCanonicalRecords(path, onBytes)) {
        for (const { record, line } of batch) checks.canonical(record, source, line);
      }
      count = source.records;
    } else {
      const format = formats.find((candidate) => candidate.name === job.format)!;
      for await (const batch of readJsonObjects(path, `${job.format} file`, onBytes)) {
        for (const { value, line } of batch) {
          count++;
          checks.userPrompts(format.userPrompts(value), `${job.path}:${line}`, job);
        }
      }
    }
    records.push(count);
    if (job.digest) problems.push(...compareDigest(job.digest, digest.result()));
  }
  return { state: checks.state(), records, problems };
}
