import type { TSchema, Static } from '@sinclair/typebox';
import type { CanonicalRecord } from '../schemas/record.js';
import type { StageShape } from '../stages/define.js';

export interface FormatOptions {
  /** A system turn for chat formats; null writes none (so a chat template's own default applies). */
  systemPrompt: string | null;
}

/**
 * An output format: a pure function from the canonical record to one JSON line, and the JSON Schema that
 * line must satisfy (written to schemas/format-<name>.schema.json). One file per format in src/formats/.
 */
export interface FormatDefinition<TSchemaType extends TSchema = TSchema> {
  name: string;
  description: string;
  /** The trainers or tools that read this shape, with where their rules are documented. */
  consumers: string;
  /** Stage shapes this format can write (canonical writes all). */
  shapes: readonly StageShape[];
  schema: TSchemaType;
  fromRecord(record: CanonicalRecord, options: FormatOptions): Static<TSchemaType>;
}

export function defineFormat<TSchemaType extends TSchema>(definition: FormatDefinition<TSchemaType>): FormatDefinition<TSchemaType> {
  return definition;
}
