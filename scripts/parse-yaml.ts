/**
 * Run by `npm run build` after tsc: parses the package's own YAML (templates/, presets/, examples/) and writes each
 * file's value with the sha256 of its text to dist/parsed-yaml/<path>.json, so a run reads JSON instead of
 * parsing YAML at start-up (src/util/parsed-yaml.ts). A value JSON cannot carry exactly (a
 * non-finite number, say) is left out, and that file is parsed as YAML at run time as before.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { sha256 } from '../src/util/hash.js';
import { packagePath } from '../src/util/package-root.js';
import { PARSED_YAML_FOLDER, parsedYamlPath, type ParsedYaml } from '../src/util/parsed-yaml.js';
import { parseStructuredText } from '../src/util/structured-file.js';

function* yamlFiles(folder: string): Generator<string> {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* yamlFiles(path);
    else if (/\.ya?ml$/.test(entry.name)) yield path;
  }
}

rmSync(packagePath(PARSED_YAML_FOLDER), { recursive: true, force: true });
let written = 0;
let skipped = 0;
for (const folder of ['templates', 'presets', 'examples']) {
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
    const entry: ParsedYaml = { sha256: sha256(text), value };
    const path = parsedYamlPath(file)!;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(entry));
    written++;
  }
}
console.log(`${PARSED_YAML_FOLDER}: ${written} YAML files parsed${skipped ? `, ${skipped} left to run time` : ''}`);
