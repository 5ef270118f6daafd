import { writeFileSync } from 'node:fs';
import { parquetWriteFile } from 'hyparquet-writer';

/** Writers of small prompt sets in each format a researcher downloads, for the prompts-file tests. */

type Row = Record<string, unknown>;

export function writeJsonl(file: string, rows: Row[]): string {
  writeFileSync(file, `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  return file;
}

export function writeJson(file: string, rows: Row[], wrapper?: string): string {
  writeFileSync(file, JSON.stringify(wrapper === undefined ? rows : { version: 1, [wrapper]: rows }, null, 2));
  return file;
}

/** Every field quoted, quotes doubled, as pandas and spreadsheets write them. */
export function writeCsv(file: string, rows: Row[], eol = '\n'): string {
  const columns = Object.keys(rows[0]!);
  const quote = (value: unknown) => `"${String(value ?? '').replaceAll('"', '""')}"`;
  writeFileSync(file, [columns.map(quote).join(','), ...rows.map((row) => columns.map((column) => quote(row[column])).join(','))].join(eol) + eol);
  return file;
}

export interface ParquetOptions {
  codec?: 'SNAPPY' | 'GZIP' | 'LZO' | 'ZSTD' | 'UNCOMPRESSED';
  compressors?: Record<string, (input: Uint8Array) => Uint8Array>;
  rowGroupSize?: number;
}

/**
 * Parquet as Hugging Face's datasets library writes it: string columns, and chats as a list of structs
 * (list<struct<role, content>>, the 3-level LIST layout pyarrow uses).
 */
export function writeParquet(file: string, rows: Row[], options: ParquetOptions = {}): string {
  const columns = Object.keys(rows[0]!);
  const schema: Record<string, unknown>[] = [{ name: 'root', num_children: columns.length }];
  for (const column of columns) {
    const sample = rows[0]![column];
    if (Array.isArray(sample)) {
      const fields = Object.keys(sample[0] as Row);
      schema.push(
        { name: column, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', num_children: fields.length },
        ...fields.map((field) => ({ name: field, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' })),
      );
    } else {
      schema.push({ name: column, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
    }
  }
  parquetWriteFile({
    filename: file,
    columnData: columns.map((name) => ({ name, data: rows.map((row) => row[name] ?? null) })),
    schema: schema as never,
    ...(options.codec ? { codec: options.codec } : {}),
    ...(options.compressors ? { compressors: options.compressors as never } : {}),
    ...(options.rowGroupSize ? { rowGroupSize: options.rowGroupSize } : {}),
  });
  return file;
}
