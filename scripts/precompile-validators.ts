/**
 * Run by `npm run build` after tsc: compiles each schema of scripts/precompiled-schemas.ts with the options
 * a run uses (src/util/ajv.ts VALIDATOR_OPTIONS, lengths in code units) and writes Ajv's standalone code to
 * dist/validators/<kind>-<key>.cjs, the name a run looks for (precompiledValidatorPath). A run then loads
 * the generated function instead of generating it, which was a fifth of an offline run's start-up; and
 * beside each, V8's code cache of it after a first call (src/util/precompiled-code.ts).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Options } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { newAjv, PRECOMPILED_VALIDATORS_FOLDER, precompiledValidatorPath, schemaToCompile, VALIDATOR_OPTIONS } from '../src/util/ajv.js';
import { writeFilledDefaults } from '../src/config/filled-defaults.js';
import { packagePath } from '../src/util/package-root.js';
import { writeCodeCache } from '../src/util/precompiled-code.js';
import { precompiledSchemas } from './precompiled-schemas.js';

// A CommonJS module whose types declare an ES default export.
const standaloneCode = standalone.default;

rmSync(packagePath(PRECOMPILED_VALIDATORS_FOLDER), { recursive: true, force: true });
const written = new Set<string>();
for (const { kind, name, schema } of precompiledSchemas()) {
  const path = precompiledValidatorPath(kind, schema);
  if (written.has(path)) continue; // the same schema under two names
  const options: Options = VALIDATOR_OPTIONS[kind];
  // code.source keeps the generated code for standaloneCode; the code itself is the one a run generates.
  const ajv = newAjv({ ...options, code: { ...options.code, source: true } });
  const code = standaloneCode(ajv, ajv.compile(schemaToCompile(kind, schema)));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `// ${kind} validator of the ${name} schema, written by scripts/precompile-validators.ts\n${code}\n`);
  // A first call compiles the validator's function (whatever the verdict on an empty object), so V8's cache
  // of it holds the compiled code a run would otherwise make on its first call.
  writeCodeCache(path, (validate) => (validate as (data: unknown) => boolean)({}));
  written.add(path);
}
// What a config field no layer sets becomes (src/config/filled-defaults.ts).
const defaults = writeFilledDefaults() ? ', the config\'s defaults filled' : ', the config\'s defaults NOT written (an empty config is invalid)';
console.log(`${PRECOMPILED_VALIDATORS_FOLDER}: ${written.size} validators precompiled${defaults}`);
