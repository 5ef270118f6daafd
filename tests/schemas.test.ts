import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allSchemas, schemaFileName, schemaJson } from '../src/schemas/index.js';
import { ROOT } from './helpers.js';

describe('schemas/', () => {
  it('holds exactly the schemas defined in src/, up to date (run `npm run schemas` after a change)', () => {
    const expected = new Map(allSchemas().map((schema) => [schemaFileName(schema), schemaJson(schema)]));
    expect(readdirSync(join(ROOT, 'schemas')).sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(readFileSync(join(ROOT, 'schemas', name), 'utf8'), name).toBe(text);
  });
});
