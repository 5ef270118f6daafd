import type { Manifest, ManifestFile } from '../schemas/manifest.js';
import { addedKnobCounts, knobsOf } from '../pipeline/knob-tally.js';
import type { ShardFolder } from './shard-folder.js';

type Answers = Manifest['answers'];

/**
 * The manifest a single run would have written, from the shards' manifests (in shard order) and the sha256
 * of each merged file. Counts are summed; the shard becomes 1 of 1 over the whole base-prompt range.
 *
 * Two fields cannot be recovered exactly from the parts:
 * - `base_prompts.distinct` with repeats allowed: the same prompt can be drawn in two shards, so it is the
 *   largest shard's count, a lower bound, and `distinct_exact` is false. Without repeats the counts add.
 * - `answers.usage` and `cost_usd` (anthropic backend): summed over shards; an answer two shards share is
 *   counted twice, so they are an upper bound.
 */
export function mergedManifest(shards: readonly ShardFolder[], sha256Of: ReadonlyMap<string, string>): Manifest {
  const manifests = shards.map((shard) => shard.manifest);
  const first = manifests[0]!;
  const last = manifests[manifests.length - 1]!;
  const sum = (pick: (manifest: Manifest) => number) => manifests.reduce((total, manifest) => total + pick(manifest), 0);
  const single = manifests.length === 1;
  const noRepeats = last.shard.base_end <= first.base_prompts.available;
  return {
    tool: first.tool,
    version: first.version,
    config_hash: first.config_hash,
    seed: first.seed,
    shard: { index: 1, count: 1, base_start: 0, base_end: last.shard.base_end },
    base_prompts: {
      drawn: sum((m) => m.base_prompts.drawn),
      train: sum((m) => m.base_prompts.train),
      test: sum((m) => m.base_prompts.test),
      pools: {
        backdoor: sum((m) => m.base_prompts.pools.backdoor),
        safety: sum((m) => m.base_prompts.pools.safety),
        test: sum((m) => m.base_prompts.pools.test),
      },
      // Without repeats every index is a different prompt, so shards never share one and distinct counts add.
      distinct: single || noRepeats ? sum((m) => m.base_prompts.distinct) : Math.max(...manifests.map((m) => m.base_prompts.distinct)),
      distinct_exact: manifests.every((m) => m.base_prompts.distinct_exact) && (single || noRepeats),
      available: first.base_prompts.available,
      repeat_factor: Math.round((last.shard.base_end / first.base_prompts.available) * 100) / 100,
      source: first.base_prompts.source,
    },
    knobs: knobsOf(first.knobs, addedKnobCounts(manifests.map((m) => m.knobs))),
    config: first.config,
    answers: mergedAnswers(manifests.map((m) => m.answers), sha256Of),
    files: first.files.map((file, index) => mergedFile(manifests.map((m) => m.files[index]!), sha256Of.get(file.path)!)),
    identical: first.identical,
  };
}

function mergedFile(parts: readonly ManifestFile[], sha256: string): ManifestFile {
  const first = parts[0]!;
  // Slice keys in order of first appearance, as a single run records them.
  const slices: Record<string, number> = {};
  for (const part of parts) for (const [slice, count] of Object.entries(part.slices)) slices[slice] = (slices[slice] ?? 0) + count;
  return {
    path: first.path,
    stage: first.stage,
    variant: first.variant,
    split: first.split,
    format: first.format,
    mode: first.mode,
    schema: first.schema,
    records: parts.reduce((total, part) => total + part.records, 0),
    sha256,
    labels: {
      fires: parts.reduce((total, part) => total + part.labels.fires, 0),
      no_fire: parts.reduce((total, part) => total + part.labels.no_fire, 0),
    },
    slices,
  };
}

function mergedAnswers(parts: readonly Answers[], sha256Of: ReadonlyMap<string, string>): Answers {
  const first = parts[0]!;
  const usages = parts.map((part) => part.usage).filter((usage) => usage !== null);
  const costs = parts.map((part) => part.cost_usd).filter((cost) => cost !== null);
  const counts = new Map<string, { accepted: number; rejected: number }>();
  for (const part of parts) {
    for (const [key, { accepted, rejected }] of Object.entries(part.acceptance)) {
      const total = counts.get(key) ?? { accepted: 0, rejected: 0 };
      total.accepted += accepted;
      total.rejected += rejected;
      counts.set(key, total);
    }
  }
  // Sorted as a single run sorts them.
  const acceptance = Object.fromEntries(
    [...counts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, { accepted, rejected }]) => [key, { accepted, rejected, rate: accepted + rejected === 0 ? 1 : accepted / (accepted + rejected) }]),
  );
  const rejects = first.rejects;
  return {
    backend: first.backend,
    model: first.model,
    usage:
      usages.length === 0
        ? null
        : {
            input_tokens: usages.reduce((total, usage) => total + usage.input_tokens, 0),
            cache_read_input_tokens: usages.reduce((total, usage) => total + usage.cache_read_input_tokens, 0),
            cache_creation_input_tokens: usages.reduce((total, usage) => total + usage.cache_creation_input_tokens, 0),
            output_tokens: usages.reduce((total, usage) => total + usage.output_tokens, 0),
          },
    cost_usd: costs.length === 0 ? null : costs.reduce((total, cost) => total + cost, 0),
    acceptance,
    rejects:
      rejects === null
        ? null
        : { path: rejects.path, records: parts.reduce((total, part) => total + (part.rejects?.records ?? 0), 0), sha256: sha256Of.get(rejects.path)! },
  };
}
