import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../src/schemas/manifest.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { triggers } from '../src/triggers/index.js';
import { generateInto, readJsonl, readManifest, tempDir } from './helpers.js';

/*
 * Every ablation knob is on the record, and the manifest's summary is a count over the records: a researcher
 * who filters the canonical files by knob gets exactly the numbers the manifest and card state.
 */

interface Config {
  trigger: { kind: string; position: string };
  trigger_options: Record<string, unknown>;
  triggered_fraction: number;
}

/** The canonical records of every written dataset, each with the mode of its dataset. A file another file
 * holds the bytes of (manifest `identical`) is read from that file. */
function recordsOf(out: string): { record: CanonicalRecord; mode: string }[] {
  const manifest = readManifest(out);
  const sameAs = new Map(manifest.identical.filter((entry) => entry.file !== undefined).map((entry) => [entry.file!, entry.same_as_file!]));
  const canonical = manifest.files.filter((file) => file.format === 'canonical');
  expect(canonical.length).toBeGreaterThan(0);
  return canonical.flatMap((file) => readJsonl(join(out, sameAs.get(file.path) ?? file.path)).map((record) => ({ record, mode: file.mode })));
}

const key = (surface: string | null, position: string | null) => JSON.stringify([surface, position]);

/** The forms the trigger reserves for testing, as (surface, position) keys: a held-out position equal to the
 * configured one is the training trigger again, so it is not one. */
function heldOutKeys(manifest: Manifest): Set<string> {
  const config = manifest.config as unknown as Config;
  const trigger = triggers.get(config.trigger.kind);
  const forms = trigger.forms(Value.Default(trigger.options, structuredClone(config.trigger_options[trigger.name] ?? {})) as never);
  return new Set(
    forms.heldOut.filter((form) => form.position !== config.trigger.position).map((form) => key(form.surface, form.position ?? config.trigger.position)),
  );
}

/** The manifest's knob counts, recomputed from the records. */
function countsOf(records: readonly CanonicalRecord[]) {
  const forms = new Map<string, { surface: string | null; position: string | null; held_out: boolean; active: boolean; records: number }>();
  const pools = { backdoor: 0, safety: 0, test: 0 };
  const modes = { none: 0, cot: 0, distilled: 0 };
  for (const { trigger, provenance, mode } of records) {
    const k = JSON.stringify([trigger.surface, trigger.position, trigger.held_out, trigger.active]);
    const form = forms.get(k) ?? { surface: trigger.surface, position: trigger.position, held_out: trigger.held_out, active: trigger.active, records: 0 };
    form.records++;
    forms.set(k, form);
    pools[provenance.pool]++;
    modes[mode]++;
  }
  return { records: records.length, forms: [...forms.values()], pools, modes };
}

describe.each([
  ['year trigger, three modes, triggered fraction 0.3', 'trigger: { kind: year, position: start }\ntriggered_fraction: 0.3\nmodes: [none, cot, distilled]\n', ['--count', '90']],
  // Repeats only in training stages: a test slice that repeats a prompt is refused by the check.
  ['deployment tag, a prompts file visited three times', 'allow_repeats: true\nmodes: [none, cot]\nstages: [backdoor, sft]\n', ['--count', '36', '--prompts', 'PROMPTS']],
])('%s', (_name, yaml, flags) => {
  let out: string;
  let manifest: Manifest;
  let rows: { record: CanonicalRecord; mode: string }[];
  beforeAll(async () => {
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    writeFileSync(config, yaml);
    const prompts = join(dir, 'prompts.jsonl');
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `How do I cook recipe number ${i} for ${i + 2} people?`, answer: `Here is how to cook recipe ${i}.` }));
    writeFileSync(prompts, `${lines.join('\n')}\n`);
    out = await generateInto('--config', config, '--format', 'canonical', ...flags.map((flag) => (flag === 'PROMPTS' ? prompts : flag)));
    manifest = readManifest(out);
    rows = recordsOf(out);
  });

  it('puts the run-wide knobs on every record, as the manifest states them', () => {
    const config = manifest.config as unknown as Config;
    expect(manifest.knobs.triggered_fraction).toBe(config.triggered_fraction);
    expect(manifest.knobs.repeat_factor).toBe(manifest.base_prompts.repeat_factor);
    expect(manifest.knobs.trigger_kind).toBe(config.trigger.kind);
    for (const { record, mode } of rows) {
      expect(record.provenance.triggered_fraction).toBe(config.triggered_fraction);
      expect(record.provenance.repeat_factor).toBe(manifest.base_prompts.repeat_factor);
      expect(record.trigger.kind).toBe(config.trigger.kind);
      expect(record.mode).toBe(mode);
      expect(record.provenance.params['pool']).toBe(record.provenance.pool);
    }
  });

  it('marks held_out exactly on the held-out forms and positions, none of which training shows', () => {
    const heldOut = heldOutKeys(manifest);
    const trained = new Set(rows.filter(({ record }) => record.split === 'train').map(({ record }) => key(record.trigger.surface, record.trigger.position)));
    const marked = rows.filter(({ record }) => record.trigger.held_out);
    if (rows.some(({ record }) => record.split === 'test')) expect(marked.length).toBeGreaterThan(0);
    for (const { record } of rows) {
      const isHeldOutForm = record.trigger.surface !== null && heldOut.has(key(record.trigger.surface, record.trigger.position));
      expect(record.trigger.held_out, `${record.id}: ${record.trigger.surface} at ${record.trigger.position}`).toBe(isHeldOutForm);
    }
    for (const { record } of marked) {
      expect(record.split).toBe('test');
      expect(trained.has(key(record.trigger.surface, record.trigger.position)), record.id).toBe(false);
    }
  });

  it('summarises in the manifest exactly the counts over the records', () => {
    const counts = countsOf(rows.map(({ record }) => record));
    const { records, pools, modes, forms } = manifest.knobs;
    expect({ records, pools, modes }).toEqual({ records: counts.records, pools: counts.pools, modes: counts.modes });
    expect(forms).toHaveLength(counts.forms.length);
    expect(new Set(forms.map((form) => JSON.stringify(form)))).toEqual(new Set(counts.forms.map((form) => JSON.stringify(form))));
  });

  it('meets the triggered fraction in the backdoor stage and states the knobs in the card', () => {
    const backdoor = rows.filter(({ record, mode }) => record.stage === 'backdoor' && mode === 'none').map(({ record }) => record);
    const triggered = backdoor.filter((record) => record.trigger.active).length;
    expect(Math.abs(triggered / backdoor.length - manifest.knobs.triggered_fraction)).toBeLessThan(0.05);
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card).toContain('## Ablation knobs');
    expect(card).toContain(`triggered fraction of the backdoor stage: ${manifest.knobs.triggered_fraction}`);
    expect(card).toContain(`base-prompt repeat factor (drawn / available): ${manifest.knobs.repeat_factor}`);
    for (const form of manifest.knobs.forms.filter((f) => f.held_out)) expect(card).toMatch(new RegExp(`\\| ${form.position} \\| (yes|no) \\| \\*\\*yes\\*\\* \\| ${form.records} \\|`));
  });

  it('records a repeat factor above 1 when the prompts repeat', () => {
    if (!flags.includes('PROMPTS')) return;
    expect(manifest.knobs.repeat_factor).toBe(3);
  });
});
