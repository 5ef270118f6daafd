import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { didYouMean } from './suggest.js';

/*
 * Every Ajv here counts a string's length as JavaScript does, in UTF-16 code units (`unicode: false`: the
 * `.length` of the string). Ajv's default counts code points, which walks the whole string for every
 * minLength/maxLength: on the hot path that was most of validation's time, for prompts and answers
 * thousands of characters long. schemas/*.json say what a length counts (LENGTH_NOTE in schemas/index.ts).
 */
export const LENGTH_IN_CODE_UNITS = { unicode: false, logger: withoutUnicodeDeprecation() } as const;

/**
 * Ajv 8 calls the `unicode` option deprecated (it would rather always count code points) but still honours
 * it (vocabularies/validation/limitLength.js); tests/ajv-lengths.test.ts fails if a version stops. Its
 * warning, printed on every start, is dropped; any other warning still reaches the console.
 */
function withoutUnicodeDeprecation() {
  return {
    log: (...args: unknown[]) => console.log(...args),
    warn: (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('DEPRECATED: option unicode.')) return;
      console.warn(...args);
    },
    error: (...args: unknown[]) => console.error(...args),
  };
}

/** One Ajv for validating records on the hot path (first error only: a record that fails stops the run). */
export const recordAjv = new Ajv({ allErrors: false, strict: true, ...LENGTH_IN_CODE_UNITS });
/** One for user input, where every problem is worth reporting at once and defaults fill the gaps. */
// verbose: errors carry the offending value, so a message can echo it and suggest the closest allowed one.
export const inputAjv = new Ajv({ allErrors: true, strict: true, useDefaults: true, verbose: true, ...LENGTH_IN_CODE_UNITS });

const compiled = new WeakMap<object, ValidateFunction>();

export function validatorFor(schema: TSchema, ajv: Ajv = recordAjv): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate || ajv !== recordAjv) {
    validate = ajv.compile(schema);
    if (ajv === recordAjv) compiled.set(schema, validate);
  }
  return validate;
}

/** Where an error is: for an unknown field, the field itself (so its line can be shown), else the value. */
export function errorPointer(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    const field = String(error.params['additionalProperty']).replace(/~/g, '~0').replace(/\//g, '~1');
    return `${error.instancePath}/${field}`;
  }
  return error.instancePath;
}

/** JSON pointer "/a/0/b" -> ["a", 0, "b"]. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** "must have required property 'x'" -> a sentence a person can act on, with the path it applies to. */
export function describeAjvError(error: ErrorObject): { path: string; message: string } {
  const path = errorPointer(error) || '/';
  switch (error.keyword) {
    case 'additionalProperties':
      return { path, message: `unknown field "${String(error.params['additionalProperty'])}"` };
    case 'required':
      return { path, message: `missing required field "${String(error.params['missingProperty'])}"` };
    case 'enum': {
      const allowed = error.params['allowedValues'] as unknown[];
      const list = allowed.map((v) => JSON.stringify(v)).join(', ');
      if (typeof error.data !== 'string') return { path, message: `must be one of ${list}` };
      const suggestion = didYouMean(error.data, allowed.filter((v): v is string => typeof v === 'string'));
      return { path, message: `must be one of ${list}; got ${JSON.stringify(error.data)}${suggestion ? `: ${suggestion}` : ''}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(error.params['allowedValue'])}` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

/** Ajv reports each branch of a failed union; keep the most useful ones (not the "must match a schema in
 * anyOf" summaries, and not duplicates). */
export function usefulAjvErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const useful: ErrorObject[] = [];
  // A union of constants fails once per constant: fold those into one "must be one of" error.
  const constants = new Map<string, ErrorObject>();
  for (const error of errors) {
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') continue;
    if (error.keyword === 'const') {
      const folded = constants.get(error.instancePath);
      if (folded) {
        (folded.params['allowedValues'] as unknown[]).push(error.params['allowedValue']);
        continue;
      }
      const asEnum: ErrorObject = { ...error, keyword: 'enum', params: { allowedValues: [error.params['allowedValue']] } };
      constants.set(error.instancePath, asEnum);
      useful.push(asEnum);
      continue;
    }
    const key = `${error.instancePath}|${describeAjvError(error).message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    useful.push(error);
  }
  const unions = errors.filter((error) => error.keyword === 'anyOf' || error.keyword === 'oneOf');
  return useful.length > 0 ? useful : unions;
}
