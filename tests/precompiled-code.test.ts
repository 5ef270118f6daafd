import { copyFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config/schema.js';
import { precompiledValidatorPath } from '../src/util/ajv.js';
import { requirePrecompiled } from '../src/util/precompiled-code.js';
import { ROOT, tempDir } from './helpers.js';

const require = createRequire(import.meta.url);

describe("precompiled validators: V8's code cache beside each (src/util/precompiled-code.ts)", () => {
  it('is written by the build, and a module loaded with it, or with a cache of another text, is the module', () => {
    const file = precompiledValidatorPath('input', ConfigSchema);
    expect(existsSync(`${file}.v8cache`)).toBe(true);
    const folder = tempDir();
    symlinkSync(join(ROOT, 'node_modules'), join(folder, 'node_modules')); // the code requires Ajv's runtime
    const copy = join(folder, 'validator.cjs');
    copyFileSync(file, copy);
    copyFileSync(`${file}.v8cache`, `${copy}.v8cache`);
    const bad = { count: 0, modes: ['nope'], extra: 1 };
    const run = (validate: ValidateFunction) => {
      const data = structuredClone(bad);
      return { valid: validate(data), errors: validate.errors, data };
    };
    const expected = run(require(file) as ValidateFunction);
    expect(run(requirePrecompiled(copy) as ValidateFunction)).toEqual(expected);
    // The cache of another text: V8 refuses it and the file is compiled as it is.
    writeFileSync(copy, `${readFileSync(file, 'utf8')}\n// edited\n`);
    expect(run(requirePrecompiled(copy) as ValidateFunction)).toEqual(expected);
  });
});
