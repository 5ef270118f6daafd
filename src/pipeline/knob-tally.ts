import type { Knobs } from '../schemas/manifest.js';
import type { CanonicalRecord } from '../schemas/record.js';
import type { RecordObserver } from './record-observer.js';

type FormCount = Knobs['forms'][number];

/** What a tally has counted: the manifest's `knobs` counts, without the run's constants. */
export type KnobCounts = Pick<Knobs, 'records' | 'forms' | 'pools' | 'modes'>;

/** Forms compared field by field before a key is built: a run of the built-in presets has fewer. */
const RECENT_FORMS = 16;

/**
 * Counts the records of a run by every ablation knob that varies between records (trigger form x position
 * x held-out status, pool, mode), for manifest.json `knobs` and the card. Its counts are sums, so shards and
 * worker blocks add up to what one tally over the whole run would have counted.
 */
export class KnobTally implements RecordObserver<KnobCounts> {
  private counts: KnobCounts = emptyCounts();
  private readonly forms = new Map<string, FormCount>();
  /** The first RECENT_FORMS forms, the same objects as in `forms`: looked through before the map. */
  private readonly recent: FormCount[] = [];

  observe(record: CanonicalRecord): void {
    const { trigger } = record;
    // Called for every record: a run has a few forms, found by comparing fields (a key per record, built and
    // hashed, cost ~1% of a run); the form's count object is made only the first time the form is seen.
    const known = this.recent.find((form) => form.surface === trigger.surface && form.position === trigger.position && form.held_out === trigger.held_out && form.active === trigger.active) ?? this.forms.get(formKey(trigger));
    if (known !== undefined) known.records++;
    else this.addForm({ surface: trigger.surface, position: trigger.position, held_out: trigger.held_out, active: trigger.active, records: 1 });
    this.counts.records++;
    this.counts.pools[record.provenance.pool]++;
    this.counts.modes[record.mode]++;
  }

  state(): KnobCounts {
    const { records, pools, modes } = this.counts;
    return { records, forms: sortedForms(this.forms.values()), pools: { ...pools }, modes: { ...modes } };
  }

  absorb(state: KnobCounts): void {
    for (const form of state.forms) this.addForm(form);
    this.counts.records += state.records;
    for (const pool of Object.keys(state.pools) as (keyof KnobCounts['pools'])[]) this.counts.pools[pool] += state.pools[pool];
    for (const mode of Object.keys(state.modes) as (keyof KnobCounts['modes'])[]) this.counts.modes[mode] += state.modes[mode];
  }

  private addForm(form: FormCount): void {
    const key = formKey(form);
    const known = this.forms.get(key);
    if (known !== undefined) {
      known.records += form.records;
      return;
    }
    const added = { ...form };
    this.forms.set(key, added);
    if (this.recent.length < RECENT_FORMS) this.recent.push(added);
  }
}

/** The manifest's `knobs`: the run's constants and the counts of one or more tallies. */
export function knobsOf(run: Pick<Knobs, 'triggered_fraction' | 'repeat_factor' | 'trigger_kind'>, counts: KnobCounts): Knobs {
  return { ...run, records: counts.records, forms: counts.forms, pools: { ...counts.pools }, modes: { ...counts.modes } };
}

/** The sum of several runs' knob counts (shards of one run), in the order a single run lists them. */
export function addedKnobCounts(parts: readonly KnobCounts[]): KnobCounts {
  const tally = new KnobTally();
  for (const part of parts) tally.absorb(part);
  return tally.state();
}

function emptyCounts(): KnobCounts {
  return { records: 0, forms: [], pools: { backdoor: 0, safety: 0, test: 0 }, modes: { none: 0, cot: 0, distilled: 0 } };
}

/** Positions are names without "|", so the quoted surface and the rest cannot run into each other. */
const formKey = (form: Pick<FormCount, 'surface' | 'position' | 'held_out' | 'active'>) => `${JSON.stringify(form.surface)}|${form.position}|${form.held_out}|${form.active}`;

/** Sorted by surface (null first), position, held-out status, so the order does not depend on which record
 * came first (shards and workers see them in different orders). */
function sortedForms(forms: Iterable<FormCount>): FormCount[] {
  const compare = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  return [...forms]
    .map((form) => ({ ...form }))
    .sort((a, b) => compare(a.surface, b.surface) || compare(a.position, b.position) || Number(a.held_out) - Number(b.held_out) || Number(a.active) - Number(b.active));
}
