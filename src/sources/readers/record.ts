/** What every prompts-file reader yields: the file's records as plain objects, with where each one is. */

export const PROMPTS_FORMATS = ['auto', 'jsonl', 'json', 'csv', 'parquet'] as const;
export type PromptsFormat = (typeof PROMPTS_FORMATS)[number];
export type FileFormat = Exclude<PromptsFormat, 'auto'>;

export const FORMAT_LABELS: Record<FileFormat, string> = {
  jsonl: 'JSON lines',
  json: 'a JSON document',
  csv: 'CSV',
  parquet: 'Parquet',
};

export interface SourceRecord {
  value: Record<string, unknown>;
  /** 1-based record number: the CSV data row (header not counted), JSON array element, Parquet row, JSONL record. */
  row: number;
  /** 1-based line where the record starts, in formats that have lines (JSONL, CSV). */
  line?: number;
  /** Where the record sits in a JSON document, e.g. `data[11]`. */
  path?: string;
}

export interface RecordSource {
  format: FileFormat;
  /** Every column the file declares (Parquet reads only the ones a shape needs), for "fields present" hints. */
  columns?: string[];
  /** The records in order, in batches (one async step per batch rather than per record keeps big files fast). */
  batches: AsyncGenerator<SourceRecord[]>;
}
