import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { sha256 } from './hash.js';
import { packagePath } from './package-root.js';
import { requirePrecompiled } from './precompiled-code.js';
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

const require = createRequire(import.meta.url);

/** An Ajv that counts lengths in code units. Ajv (about a hundred modules) is loaded when the first one is
 * made, so commands that compile no schema (`list`, every --help) never load it. */
export function newAjv(options: Options): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  return new AjvClass({ ...options, ...LENGTH_IN_CODE_UNITS });
}

/*
 * The Ajvs of a run. None checks a schema against the JSON Schema meta-schema before compiling it
 * (validateSchema: false): the schemas are built in code and checked by tests/schema-meta.test.ts, and
 * compiling the meta-schema cost every run about a tenth of its start-up.
 *  - record: the hot path (first error only: a record that fails stops the run);
 *  - input: configs, banks, behaviour files, where every problem is worth reporting at once and defaults
 *    fill the gaps; verbose, so errors carry the offending value and a message can echo it and suggest the
 *    closest allowed one;
 *  - layer: one config layer, checked once per run before defaults apply (no optimisation pass: when it is
 *    compiled at run time, compiling fast matters more than validating fast).
 * A record schema is compiled in an equivalent form (schemaToCompile): its nullable unions folded.
 */
export const VALIDATOR_OPTIONS = {
  record: { allErrors: false, strict: true, validateSchema: false, allowUnionTypes: true },
  input: { allErrors: true, strict: true, useDefaults: true, verbose: true, validateSchema: false },
  layer: { allErrors: true, strict: true, verbose: true, validateSchema: false, code: { optimize: false } },
} as const satisfies Record<string, Options>;

export type ValidatorKind = keyof typeof VALIDATOR_OPTIONS;

/*
 * Compiling a schema (Ajv's code generation) was a fifth of an offline run's start-up, so `npm run build`
 * compiles every schema the package itself ships to a module of standalone code
 * (scripts/precompile-validators.ts), named by validatorKey: a hash of the schema's JSON, the Ajv options
 * (lengths in code units included) and Ajv's version. A run loads the module of that name if it exists and
 * compiles the schema otherwise (under tsx before a build, a schema changed since the build, a schema built
 * from user input), so a missing or stale folder changes no result, only start-up time.
 */

/** Relative to the package root. */
export const PRECOMPILED_VALIDATORS_FOLDER = 'dist/validators';

let ajvVersion: string | undefined;

export function validatorKey(kind: ValidatorKind, schema: object): string {
  ajvVersion ??= (require('ajv/package.json') as { version: string }).version;
  const options = { ...VALIDATOR_OPTIONS[kind], unicode: LENGTH_IN_CODE_UNITS.unicode };
  return sha256(JSON.stringify({ ajv: ajvVersion, options, schema: schemaToCompile(kind, schema) })).slice(0, 32);
}

/**
 * The schema Ajv compiles for a kind of use: for records, `anyOf: [X, {type: "null"}]` (a nullable field)
 * folded into X with `type: [X's type, "null"]` where that means the same (X's other keywords apply only to
 * its own type, as minLength or properties do; not enum, const, combinators or references). Ajv validates a
 * union by trying each branch and recording an error object for each that fails, so every null field of
 * every record allocated one; the folded form checks the type once. The schema files keep the union.
 */
export function schemaToCompile(kind: ValidatorKind, schema: object): object {
  return kind === 'record' ? (foldNullables(schema) as object) : schema;
}

/** Keywords that constrain every type, so a branch holding one cannot take null in its type list. */
const NOT_TYPE_SPECIFIC = ['enum', 'const', 'anyOf', 'oneOf', 'allOf', 'not', '$ref', '$dynamicRef', 'if', 'then', 'else', 'nullable'];

function foldNullables(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(foldNullables);
  if (node === null || typeof node !== 'object') return node;
  const folded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) folded[key] = foldNullables(value);
  const anyOf = folded['anyOf'];
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return folded;
  const [branch, nullBranch] = anyOf as [Record<string, unknown>, Record<string, unknown>];
  const isNull = typeof nullBranch === 'object' && nullBranch !== null && nullBranch['type'] === 'null' && Object.keys(nullBranch).every((key) => key === 'type');
  const foldable =
    typeof branch === 'object' && branch !== null && typeof branch['type'] === 'string' && branch['type'] !== 'null' && !NOT_TYPE_SPECIFIC.some((key) => key in branch);
  if (!isNull || !foldable) return folded;
  const { anyOf: _union, ...outer } = folded;
  if (Object.keys(outer).some((key) => key in branch || NOT_TYPE_SPECIFIC.includes(key))) return folded;
  return { ...outer, ...branch, type: [branch['type'], 'null'] };
}

/** Where the build writes, and a run looks for, the standalone validator of a schema. */
export function precompiledValidatorPath(kind: ValidatorKind, schema: object): string {
  return packagePath(PRECOMPILED_VALIDATORS_FOLDER, `${kind}-${validatorKey(kind, schema)}.cjs`);
}

const ajvs: { [kind in ValidatorKind]?: Ajv } = {};
const compiled: { [kind in ValidatorKind]: WeakMap<object, ValidateFunction> } = { record: new WeakMap(), input: new WeakMap(), layer: new WeakMap() };
const compiledAtRunTime: { kind: ValidatorKind; schema: object }[] = [];

/** The schemas this process compiled itself rather than loading the build's code (for tests: a run of the
 * package's own presets compiles none). */
export const schemasCompiledAtRunTime = (): readonly { kind: ValidatorKind; schema: object }[] => compiledAtRunTime;

/** The validator of a schema for a kind of use: the build's precompiled one if it exists, else compiled
 * here; either way once per schema object. */
export function validator(kind: ValidatorKind, schema: TSchema | object): ValidateFunction {
  let validate = compiled[kind].get(schema);
  if (validate) return validate;
  const file = precompiledValidatorPath(kind, schema);
  if (existsSync(file)) {
    validate = requirePrecompiled(file) as ValidateFunction;
  } else {
    compiledAtRunTime.push({ kind, schema });
    validate = (ajvs[kind] ??= newAjv(VALIDATOR_OPTIONS[kind])).compile(schemaToCompile(kind, schema));
  }
  compiled[kind].set(schema, validate);
  return validate;
}

/** The validator of records of a schema (first error only: a record that fails stops the run). */
export const validatorFor = (schema: TSchema): ValidateFunction => validator('record', schema);

/** A validator of user input (configs, banks): every error, defaults filled in, offending values echoed. */
export const inputValidator = (schema: TSchema | object): ValidateFunction => validator('input', schema);

/** The validator of one config layer (every error, no defaults). */
export const layerValidator = (schema: TSchema | object): ValidateFunction => validator('layer', schema);

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
