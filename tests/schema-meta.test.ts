import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { layerSchema } from '../src/config/schema.js';
import { allSchemas } from '../src/schemas/index.js';

/**
 * Runs compile schemas without checking them against the JSON Schema meta-schema (it cost every start-up
 * a tenth of its time); this is where they are checked instead, each one, as a run would compile it.
 */
describe('every schema a run compiles is a valid JSON Schema (draft-07)', () => {
  it('records, formats, config (and its per-layer form), manifest, banks', () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    for (const schema of [...allSchemas(), layerSchema()]) {
      const valid = ajv.validateSchema(schema);
      expect(valid, `${(schema as { $id?: string }).$id ?? 'config layer'}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
    }
  });
});
