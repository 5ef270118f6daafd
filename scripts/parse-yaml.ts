/**
 * Run by `npm run build` after tsc: parses the package's own YAML (templates/, presets/) and writes
 * dist/parsed-yaml.json, each file's value as JSON keyed by the sha256 of its text, so a run reads JSON
 * instead of parsing YAML at start-up (src/util/parsed-yaml.ts). A value JSON cannot carry exactly (a
 * non-finite number, say) is left out, and that file is parsed as YAML at run time as before.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { sha256 } from '../src/util/hash.js';
import { packagePath } from '../src/util/package-root.js';
import { PARSED_YAML_FILE } from '../src/util/parsed-yaml.js';
import { parseStructuredText } from '../src/util/structured-file.js';

function* yamlFiles(folder: string): Generator<string> {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* yamlFiles(path);
    else if (/\.ya?ml$/.test(entry.name)) yield path;
  }
}

const table: Record<string, string> = {};
let skipped = 0;
for (const folder of ['templates', 'presets']) {
  for (const file of yamlFiles(packagePath(folder))) {
    const raw = readFileSync(file, 'utf8');
    const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    let value: unknown;
    try {
      value = parseStructuredText(text, file, 'file', false).value;
    } catch {
      skipped++; // an invalid file keeps failing at run time, with its line number
      continue;
    }
    const json = JSON.stringify(value);
    if (json === undefined || !isDeepStrictEqual(JSON.parse(json), value)) {
      skipped++;
      continue;
    }
    table[sha256(text)] = json;
  }
}
writeFileSync(packagePath(PARSED_YAML_FILE), JSON.stringify(table));
console.log(`${PARSED_YAML_FILE}: ${Object.keys(table).length} YAML files parsed${skipped ? `, ${skipped} left to run time` : ''}`);
