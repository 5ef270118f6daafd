import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { newAjv, PRECOMPILED_VALIDATORS_FOLDER, validatorKey, VALIDATOR_OPTIONS } from '../util/ajv.js';
import { packagePath } from '../util/package-root.js';
import { ConfigSchema } from './schema.js';

/*
 * The config's defaults as checking an empty config fills them (nested defaults included): what a field no
 * layer sets becomes. Written by `npm run build` beside the precompiled validators, named by the config
 * schema's validator key, so a schema changed since the build finds no file and its run checks the whole
 * config as before.
 */

const filledDefaultsPath = (): string => packagePath(PRECOMPILED_VALIDATORS_FOLDER, `config-defaults-${validatorKey('input', ConfigSchema)}.json`);

let stored: Record<string, unknown> | null | undefined;

/** The build's filled defaults of the current config schema, if it wrote them. */
export function filledDefaults(): Record<string, unknown> | undefined {
  if (stored === undefined) {
    try {
      stored = JSON.parse(readFileSync(filledDefaultsPath(), 'utf8')) as Record<string, unknown>;
    } catch {
      stored = null;
    }
  }
  return stored ?? undefined;
}

/** For the build: whether the defaults could be written (every field a default, each a JSON value). */
export function writeFilledDefaults(): boolean {
  const defaults: Record<string, unknown> = {};
  const valid = newAjv(VALIDATOR_OPTIONS.input).compile(ConfigSchema)(defaults);
  const text = JSON.stringify(defaults);
  if (!valid || !isDeepStrictEqual(JSON.parse(text), defaults)) return false;
  writeFileSync(filledDefaultsPath(), text);
  return true;
}
