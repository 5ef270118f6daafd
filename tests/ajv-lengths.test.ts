import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it, vi } from 'vitest';
import { LENGTH_IN_CODE_UNITS, validatorFor } from '../src/util/ajv.js';
import { ROOT } from './helpers.js';

/**
 * String lengths count UTF-16 code units (`.length`), not code points: counting code points walked every
 * long prompt and answer once more per minLength check. Ajv 8 calls the option deprecated but honours it;
 * this fails if a version stops, and the schemas say what a length counts.
 */
describe('string lengths in the schemas', () => {
  it('count UTF-16 code units: an emoji is two', () => {
    const atMostOne = validatorFor({ type: 'string', maxLength: 1 } as never);
    expect(atMostOne('a')).toBe(true);
    expect(atMostOne('😀')).toBe(false);
    const atLeastTwo = validatorFor({ type: 'string', minLength: 2 } as never);
    expect(atLeastTwo('😀')).toBe(true);
  });

  it('are described as such in every schema file that limits one, and Ajv says nothing about the option', () => {
    for (const file of ['record.schema.json', 'format-dpo.schema.json', 'config.schema.json']) {
      const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')) as { description?: string };
      expect(schema.description, file).toContain('count UTF-16 code units');
    }
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      new Ajv({ ...LENGTH_IN_CODE_UNITS });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
