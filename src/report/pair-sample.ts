import { triggerRole, type ReportRecord, type TriggerRole } from './report-record.js';

/**
 * The pairs the report's viewer can browse: a deterministic, evenly spread sample of each canonical file,
 * embedded in the page as compact JSON. Every text is stored once in a string table (the three reasoning
 * modes, and the safety stages, repeat the same prompts and answers), and each record is a short array.
 */

/** One record of a sampled pair, as embedded: indexes into `strings`, -1 for null. */
export type SampleMember = [
  role: 'triggered' | 'held_out' | 'decoy' | 'untriggered',
  id: string,
  prompt: number,
  scratchpad: number,
  answer: number,
  rejected: number,
  fires: 0 | 1,
  surface: number,
  slice: number,
];

export interface PairSample {
  /** One entry per canonical file, in manifest order; `file` in a group indexes it. */
  files: { stage: string; variant: string | null; mode: string; pairs: number; sampled: number }[];
  strings: string[];
  /** [file index, pair_id, members in file order]. */
  groups: [number, string, SampleMember[]][];
}

interface Group {
  index: number;
  pairId: string;
  members: ReportRecord[];
}

/** A pair with more records than this is shown cut short (no stage writes more than four). */
const MAX_MEMBERS = 8;

/**
 * Samples the pairs (runs of consecutive records sharing a pair_id) of one file as it streams past,
 * without knowing the file's length: it keeps every `stride`-th pair and, whenever more than `capacity`
 * are kept, drops every other one and doubles the stride. The result is pairs 0, s, 2s, ... for the final
 * stride s: between capacity/2 and capacity pairs spread evenly over the whole file, the same on every run.
 */
export class FilePairSampler {
  private kept: Group[] = [];
  private stride = 1;
  private current: Group | undefined;
  private lastPairId: string | undefined;
  pairs = 0;

  constructor(private readonly capacity: number) {}

  add(record: ReportRecord): void {
    if (record.pair_id === this.lastPairId) {
      if (this.current !== undefined && this.current.members.length < MAX_MEMBERS) this.current.members.push(record);
      return;
    }
    this.lastPairId = record.pair_id;
    const index = this.pairs++;
    this.current = undefined;
    if (index % this.stride !== 0) return;
    const group: Group = { index, pairId: record.pair_id, members: [record] };
    this.kept.push(group);
    if (this.kept.length > this.capacity) this.halve();
    if (group.index % this.stride === 0) this.current = group;
  }

  /** Drops every other kept pair: kept[i] is pair i*stride, so the even ones are the multiples of 2*stride. */
  halve(): void {
    this.kept = this.kept.filter((_, i) => i % 2 === 0);
    this.stride *= 2;
    if (this.current !== undefined && this.current.index % this.stride !== 0) this.current = undefined;
  }

  get sampled(): readonly Group[] {
    return this.kept;
  }

  /** Characters of text the kept pairs hold, before the string table removes repeats. */
  textSize(): number {
    let size = 0;
    for (const group of this.kept) {
      for (const m of group.members) size += m.prompt.length + m.answer.length + (m.scratchpad?.length ?? 0) + (m.rejected?.length ?? 0);
    }
    return size;
  }
}

export interface SampledFile {
  stage: string;
  variant: string | null;
  mode: string;
  sampler: FilePairSampler;
}

/** Builds the embedded sample, thinning the files with the most text until its JSON fits `maxBytes`. */
export function buildPairSample(files: SampledFile[], maxBytes: number): { sample: PairSample; json: string } {
  for (;;) {
    const sample = encodeSample(files);
    const json = JSON.stringify(sample);
    // Bytes, not UTF-16 units: the budget is about the size of the written file.
    if (Buffer.byteLength(json) <= maxBytes) return { sample, json };
    const largest = files.reduce<SampledFile | undefined>(
      (best, file) => (file.sampler.sampled.length > 1 && (best === undefined || file.sampler.textSize() > best.sampler.textSize()) ? file : best),
      undefined,
    );
    // Nothing left to thin: one pair per file already exceeds the budget; write it anyway.
    if (largest === undefined) return { sample, json };
    largest.sampler.halve();
  }
}

function encodeSample(files: SampledFile[]): PairSample {
  const strings: string[] = [];
  const indexes = new Map<string, number>();
  const intern = (text: string | null): number => {
    if (text === null) return -1;
    let index = indexes.get(text);
    if (index === undefined) {
      index = strings.push(text) - 1;
      indexes.set(text, index);
    }
    return index;
  };
  const groups: PairSample['groups'] = [];
  files.forEach((file, fileIndex) => {
    for (const group of file.sampler.sampled) {
      const members = group.members.map(
        (m): SampleMember => [
          triggerRole(m.trigger) satisfies TriggerRole,
          m.id,
          intern(m.prompt),
          intern(m.scratchpad),
          intern(m.answer),
          intern(m.rejected),
          m.fires ? 1 : 0,
          intern(m.trigger.surface),
          intern(m.slice),
        ],
      );
      groups.push([fileIndex, group.pairId, members]);
    }
  });
  return {
    files: files.map((file) => ({ stage: file.stage, variant: file.variant, mode: file.mode, pairs: file.sampler.pairs, sampled: file.sampler.sampled.length })),
    strings,
    groups,
  };
}
