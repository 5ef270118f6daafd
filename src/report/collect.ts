import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonObjects } from '../util/jsonl.js';
import { listedFiles, type ListedFile } from '../evaluate/manifest-files.js';
import { ReportStats } from './aggregate.js';
import { buildPairSample, FilePairSampler, type PairSample, type SampledFile } from './pair-sample.js';
import { toReportRecord } from './report-record.js';
import { StringPool } from './string-pool.js';

/** What the page says about the run, from manifest.json (read loosely: any field may be missing). */
export interface RunFacts {
  dir: string;
  version: string | null;
  description: string | null;
  seed: number | null;
  configHash: string | null;
  behavior: string | null;
  triggerKind: string | null;
  triggerPosition: string | null;
  backend: string | null;
  basePrompts: { drawn: number; train: number; test: number; distinct: number } | null;
}

export interface CanonicalFileSummary {
  path: string;
  stage: string;
  variant: string | null;
  mode: string;
  records: number;
  fires: number;
}

export interface ReportData {
  run: RunFacts;
  files: CanonicalFileSummary[];
  stats: ReportStats;
  sample: PairSample;
  /** The sample as JSON, already built while fitting it to the byte budget. */
  sampleJson: string;
}

export interface CollectOptions {
  /** Pairs the viewer may hold per canonical file (stage × variant × mode). */
  maxPairsPerFile?: number;
  /** Upper bound on the embedded sample's JSON, in bytes; the fullest files are thinned to fit. */
  maxSampleBytes?: number;
}

export const DEFAULT_MAX_PAIRS_PER_FILE = 5_000;
export const DEFAULT_MAX_SAMPLE_BYTES = 3_000_000;

/**
 * Reads an output folder once: every canonical file its manifest lists is streamed in ~1 MB batches,
 * each record feeding the statistics and its file's pair sampler, so memory stays flat in the folder size.
 */
export async function collectReportData(dir: string, options: CollectOptions = {}): Promise<ReportData> {
  const canonical = listedFiles(dir).filter((file) => file.format === 'canonical');
  const stats = new ReportStats();
  const pool = new StringPool();
  const sampled: SampledFile[] = [];
  const files: CanonicalFileSummary[] = [];
  for (const file of canonical) {
    const sampler = new FilePairSampler(pool, options.maxPairsPerFile ?? DEFAULT_MAX_PAIRS_PER_FILE);
    const summary = await readCanonicalFile(dir, file, stats, sampler);
    files.push(summary);
    sampled.push({ stage: file.stage, variant: file.variant, mode: file.mode, sampler });
  }
  const { sample, json } = buildPairSample(pool, sampled, options.maxSampleBytes ?? DEFAULT_MAX_SAMPLE_BYTES);
  return { run: readRunFacts(dir), files, stats, sample, sampleJson: json };
}

async function readCanonicalFile(dir: string, file: ListedFile, stats: ReportStats, sampler: FilePairSampler): Promise<CanonicalFileSummary> {
  const path = join(dir, file.path);
  const facts = { stage: file.stage, mode: file.mode };
  let records = 0;
  let fires = 0;
  for await (const batch of readJsonObjects(path, 'canonical file')) {
    for (const { value, line } of batch) {
      const record = toReportRecord(value, path, line);
      stats.add(record, facts);
      sampler.add(record);
      records += 1;
      if (record.fires) fires += 1;
    }
  }
  return { path: file.path, stage: file.stage, variant: file.variant, mode: file.mode, records, fires };
}

function readRunFacts(dir: string): RunFacts {
  // listedFiles has already checked that manifest.json exists and parses.
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const config = asObject(manifest['config']);
  const trigger = asObject(config['trigger']);
  const base = asObject(manifest['base_prompts']);
  const count = (value: unknown) => (typeof value === 'number' ? value : 0);
  return {
    dir,
    version: asString(manifest['version']),
    description: asString(config['description']),
    seed: typeof manifest['seed'] === 'number' ? manifest['seed'] : null,
    configHash: asString(manifest['config_hash']),
    behavior: asString(config['behavior']),
    triggerKind: asString(trigger['kind']),
    triggerPosition: asString(trigger['position']),
    backend: asString(config['backend']),
    basePrompts: Object.keys(base).length === 0 ? null : { drawn: count(base['drawn']), train: count(base['train']), test: count(base['test']), distinct: count(base['distinct']) },
  };
}

const asObject = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const asString = (value: unknown): string | null => (typeof value === 'string' ? value : null);
