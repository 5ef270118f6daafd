import { readFileSync } from 'node:fs';
import { sha256 } from './hash.js';
import { packagePath } from './package-root.js';

/*
 * The package's own YAML (templates/, presets/: over a megabyte of prompt banks) parsed once, at build time:
 * `npm run build` writes PARSED_YAML_FILE, each file's value as JSON keyed by the sha256 of its text.
 * Parsing that YAML was most of an offline run's start-up. A file whose text is not in the table (the
 * user's own, or a built-in one edited since the build) is parsed as YAML as before, so the table can be
 * stale or missing without changing any result.
 */

/** Relative to the package root. */
export const PARSED_YAML_FILE = 'dist/parsed-yaml.json';

let table: Readonly<Record<string, string>> | null | undefined;

/** The value of a YAML text parsed at build time, as a fresh object (callers may change it), or undefined. */
export function prebuiltValue(text: string): { value: unknown } | undefined {
  table ??= readTable();
  if (table === null) return undefined;
  const json = table[sha256(text)];
  return json === undefined ? undefined : { value: JSON.parse(json) };
}

function readTable(): Readonly<Record<string, string>> | null {
  try {
    return JSON.parse(readFileSync(packagePath(PARSED_YAML_FILE), 'utf8')) as Record<string, string>;
  } catch {
    return null;
  }
}
