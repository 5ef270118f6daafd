import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { sha256 } from './hash.js';
import { packagePath, packageRoot } from './package-root.js';

/*
 * The package's own YAML (templates/, presets/: over a megabyte of prompt banks) parsed once, at build time:
 * `npm run build` writes, for each file, PARSED_YAML_FOLDER/<its path>.json holding the sha256 of its text
 * and its value. Parsing that YAML was most of an offline run's start-up. A file with no such entry, or
 * whose text changed since the build (the hash differs), is parsed as YAML as before, so a stale or missing
 * folder changes no result.
 */

/** Relative to the package root. */
export const PARSED_YAML_FOLDER = 'dist/parsed-yaml';

export interface ParsedYaml {
  sha256: string;
  value: unknown;
}

/** Where the build keeps the value of a file of the package, or undefined for a file outside it. */
export function parsedYamlPath(file: string): string | undefined {
  const path = relative(packageRoot(), resolve(file));
  if (path.startsWith('..') || isAbsolute(path)) return undefined;
  return join(packagePath(PARSED_YAML_FOLDER), `${path}.json`);
}

/** The build's value of a YAML file of the package, as a fresh object (callers may change it), if its text is
 * the one the build parsed. */
export function prebuiltValue(file: string, text: string): { value: unknown } | undefined {
  const path = parsedYamlPath(file);
  if (path === undefined) return undefined;
  let entry: ParsedYaml;
  try {
    entry = JSON.parse(readFileSync(path, 'utf8')) as ParsedYaml;
  } catch {
    return undefined;
  }
  return entry.sha256 === sha256(text) ? { value: entry.value } : undefined;
}
