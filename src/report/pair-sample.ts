import { jsonForScript } from './escape.js';
import { triggerRole, type ReportRecord, type TriggerRole } from './report-record.js';
import { StringPool } from './string-pool.js';

/**
 * The pairs the report's viewer can browse: a deterministic, evenly spread sample of each canonical file,
 * embedded in the page as compact JSON. Every text is stored once in a string table (the three reasoning
 * modes, and the safety stages, repeat the same prompts and answers), and each record is a short array of
 * indexes into it, so the page holds thousands of pairs in a few MB.
 */

/** Roles as one letter in the page: t triggered, h held-out trigger form, d near-miss decoy, u untriggered. */
export const ROLE_CODES: Record<TriggerRole, string> = { triggered: 't', held_out: 'h', decoy: 'd', untriggered: 'u' };

/**
 * One record of a sampled pair, as embedded. Texts are indexes into `strings`, -1 for null; `id` is the
 * record id minus its pair_id prefix ("-t-cot"), which repeats across pairs and so interns well.
 */
export type SampleMember = [role: string, idSuffix: number, prompt: number, scratchpad: number, answer: number, rejected: number, fires: 0 | 1, surface: number, slice: number];

export interface PairSample {
  /** One entry per canonical file, in manifest order; a group's first element indexes it. */
  files: { stage: string; variant: string | null; mode: string; pairs: number; sampled: number }[];
  strings: string[];
  /** [file index, pair_id, members in file order]. */
  groups: [number, string, SampleMember[]][];
}

interface Group {
  index: number;
  pairId: string;
  members: SampleMember[];
}

/** A pair with more records than this is shown cut short (no stage writes more than four). */
const MAX_MEMBERS = 8;
const TEXT_FIELDS = [1, 2, 3, 4, 5, 7, 8] as const;

/**
 * Samples the pairs (runs of consecutive records sharing a pair_id) of one file as it streams past,
 * without knowing the file's length: it keeps every `stride`-th pair and, whenever more than `capacity`
 * are kept, drops every other one and doubles the stride. The result is pairs 0, s, 2s, ... for the final
 * stride s: between capacity/2 and capacity pairs spread evenly over the whole file, the same on every
 * run, and the same base prompts in every file of the folder (which the shared string table rewards).
 */
export class FilePairSampler {
  private kept: Group[] = [];
  private stride = 1;
  private current: Group | undefined;
  private lastPairId: string | undefined;
  /** Pairs seen in the file. */
  pairs = 0;

  constructor(
    private readonly pool: StringPool,
    private readonly capacity: number,
  ) {}

  add(record: ReportRecord): void {
    if (record.pair_id === this.lastPairId) {
      if (this.current !== undefined && this.current.members.length < MAX_MEMBERS) this.current.members.push(this.encode(record));
      return;
    }
    this.lastPairId = record.pair_id;
    const index = this.pairs++;
    this.current = undefined;
    if (index % this.stride !== 0) return;
    this.current = { index, pairId: record.pair_id, members: [this.encode(record)] };
    this.kept.push(this.current);
    if (this.kept.length > this.capacity) this.halve();
  }

  /** Drops every other kept pair: kept[i] is pair i*stride, so the even ones are the multiples of 2*stride. */
  halve(): void {
    const kept: Group[] = [];
    this.kept.forEach((group, i) => {
      if (i % 2 === 0) kept.push(group);
      else for (const member of group.members) for (const field of TEXT_FIELDS) if ((member[field] as number) >= 0) this.pool.release(member[field] as number);
    });
    this.kept = kept;
    this.stride *= 2;
    if (this.current !== undefined && this.current.index % this.stride !== 0) this.current = undefined;
  }

  get sampled(): readonly Group[] {
    return this.kept;
  }

  private encode(record: ReportRecord): SampleMember {
    const acquire = (text: string | null) => (text === null ? -1 : this.pool.acquire(text));
    const idSuffix = record.id.startsWith(record.pair_id) ? record.id.slice(record.pair_id.length) : record.id;
    return [
      ROLE_CODES[triggerRole(record)],
      acquire(idSuffix),
      acquire(record.prompt),
      acquire(record.scratchpad),
      acquire(record.answer),
      acquire(record.rejected),
      record.fires ? 1 : 0,
      acquire(record.trigger.surface),
      acquire(record.slice),
    ];
  }
}

export interface SampledFile {
  stage: string;
  variant: string | null;
  mode: string;
  sampler: FilePairSampler;
}

/**
 * Builds the embedded sample, halving the file with the most sampled pairs until the JSON fits `maxBytes`
 * (so every file keeps a similar share). Sizes are counted, not measured by serialising: texts by the
 * pool, each pair by the JSON of its arrays (an upper bound, as the final indexes are only smaller).
 * The JSON comes back escaped for a <script type="application/json"> block (see jsonForScript).
 */
export function buildPairSample(pool: StringPool, files: SampledFile[], maxBytes: number): { sample: PairSample; json: string } {
  const groupBytes = (group: Group) => JSON.stringify([0, group.pairId, group.members]).length + 1;
  const fileBytes = files.map((file) => file.sampler.sampled.reduce((sum, group) => sum + groupBytes(group), 0));
  // Room for the file list and the object's keys.
  const overhead = 200 * files.length + 100;
  for (;;) {
    const total = pool.bytes + overhead + fileBytes.reduce((sum, bytes) => sum + bytes, 0);
    if (total <= maxBytes) break;
    let fullest = -1;
    files.forEach((file, i) => {
      if (file.sampler.sampled.length > 1 && (fullest < 0 || file.sampler.sampled.length > files[fullest]!.sampler.sampled.length)) fullest = i;
    });
    // One pair per file already exceeds the budget: write what is left rather than nothing.
    if (fullest < 0) break;
    files[fullest]!.sampler.halve();
    fileBytes[fullest] = files[fullest]!.sampler.sampled.reduce((sum, group) => sum + groupBytes(group), 0);
  }
  const sample = encodeSample(pool, files);
  return { sample, json: jsonForScript(sample) };
}

/** The sample with the pool's indexes renumbered to a dense table of the texts still in use. */
function encodeSample(pool: StringPool, files: SampledFile[]): PairSample {
  const strings: string[] = [];
  const renumbered = new Map<number, number>();
  const renumber = (index: number) => {
    if (index < 0) return index;
    let dense = renumbered.get(index);
    if (dense === undefined) renumbered.set(index, (dense = strings.push(pool.text(index)) - 1));
    return dense;
  };
  const groups: PairSample['groups'] = [];
  files.forEach((file, fileIndex) => {
    for (const group of file.sampler.sampled) {
      const members = group.members.map((m): SampleMember => [m[0], renumber(m[1]), renumber(m[2]), renumber(m[3]), renumber(m[4]), renumber(m[5]), m[6], renumber(m[7]), renumber(m[8])]);
      groups.push([fileIndex, group.pairId, members]);
    }
  });
  return {
    files: files.map((file) => ({ stage: file.stage, variant: file.variant, mode: file.mode, pairs: file.sampler.pairs, sampled: file.sampler.sampled.length })),
    strings,
    groups,
  };
}
