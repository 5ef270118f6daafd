import type { TSchema, Static } from '@sinclair/typebox';
import type { CanonicalRecord } from '../schemas/record.js';
import type { StageShape } from '../stages/define.js';
import type { JsonPieces } from './json-pieces.js';

/** Which part of an assistant turn a trainer should learn: the whole of it, or only the answer after the
 * scratchpad (post-scratchpad SFT). The prompt is never learned. */
export type TrainOn = 'reasoning+answer' | 'answer';

export interface FormatOptions {
  /** A system turn for chat formats; null writes none (so a chat template's own default applies). */
  systemPrompt: string | null;
  trainOn: TrainOn;
  /** The user's tokenizer's end-of-sequence text, appended to the last learned segment (segments only). */
  eos: string | null;
  /** Model name and sampling settings written into inference request files (config `inference`). */
  inference: InferenceSettings;
}

/** What an inference request asks for; the config's `inference` block, with its field names. */
export interface InferenceSettings {
  model: string;
  max_tokens: number;
  temperature: number;
}

/**
 * An output format: a pure function from the canonical record to one JSON line, and the JSON Schema that
 * line must satisfy (written to schemas/format-<name>.schema.json). One file per format in src/formats/.
 */
/** A field of the canonical record. */
export type RecordField = keyof CanonicalRecord;

export interface FormatDefinition<TSchemaType extends TSchema = TSchema> {
  name: string;
  description: string;
  /** The trainers or tools that read this shape, with where their rules are documented. */
  consumers: string;
  /** Stage shapes this format can write (canonical writes all). */
  shapes: readonly StageShape[];
  /** Stages it is limited to, when not every stage of a shape makes sense (kto: backdoor, preference). */
  stages?: readonly string[];
  /** Whether it can keep the scratchpad out of the loss (`--train-on answer`): by a label, or by moving the
   * scratchpad into the prompt. Formats that cannot are refused with `answer`, never silently relaxed. */
  masksReasoning: boolean;
  schema: TSchemaType;
  /**
   * The record fields its rows are made from (with the format options, which are the same for every
   * dataset of a stage). The plan reads this to find files that would hold the same bytes: two datasets
   * of a stage whose records agree on these fields give the same file, written once (plan.ts). A format
   * that reads `id` is never the same as another dataset's. tests/formats.test.ts checks that changing any
   * other field leaves the rows as they are.
   */
  reads: readonly RecordField[];
  /** Another format whose rows this one's are, byte for byte, for every record (openai's are messages'):
   * a run that writes both writes that one only. tests/formats.test.ts checks it on real records. */
  sameRowsAs?: string;
  /** One row per record; formats that turn one record into several rows (kto: chosen and rejected) return
   * an array, written as consecutive lines. */
  fromRecord(record: CanonicalRecord, options: FormatOptions): Static<TSchemaType> | Static<TSchemaType>[];
  /**
   * The line of a one-row format without building its JSON from the row: exactly JSON.stringify of
   * `fromRecord`'s row, from texts escaped once per example (json-pieces.ts). The row is still what is
   * validated. tests/formats.test.ts checks the two agree byte for byte. Absent: JSON.stringify(row).
   */
  line?(record: CanonicalRecord, options: FormatOptions, pieces: JsonPieces): string;
  /**
   * The user turn(s) of one written row, read back: `check` applies the leakage and trigger invariants to
   * the files a trainer reads, in every format, through this. A row that does not fit gives what it can
   * (nothing for a missing field); `validate` reports its schema errors.
   */
  userPrompts(row: Record<string, unknown>): string[];
}

export function defineFormat<TSchemaType extends TSchema>(definition: FormatDefinition<TSchemaType>): FormatDefinition<TSchemaType> {
  return definition;
}
